"""A fixture that puts the op table back as it was after a test that defines custom ops.

Test modules that define custom ops do so inside tests (never at import
time), so that tests walking the op table at collection see the built-ins only.
"""
import pytest

from graphscope.engine.optable import OPS


@pytest.fixture
def op_table_guard():
    before = dict(OPS)
    yield
    OPS.clear()
    OPS.update(before)
