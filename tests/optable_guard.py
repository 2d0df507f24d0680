"""A fixture that puts the op table back as it was after a test that defines ops.

Test modules that define custom ops do so inside tests (never at import
time), so that tests walking the op table at collection see the built-ins only.
"""
import pytest

from graphscope.engine.optable import OPS, unregister


@pytest.fixture
def op_table_guard():
    before = dict(OPS)
    yield
    for name in [n for n in OPS if OPS[n] is not before.get(n)]:
        unregister(name)  # its function and Tensor methods go with it
    for name, op in before.items():
        if name not in OPS:
            OPS[name] = op
