"""The exact wording of a few commands and pictures, against tests/golden/ (see tests/golden/__init__.py)."""
import difflib

import pytest

from golden import CASES, UPDATE_COMMAND, stored


@pytest.mark.parametrize("name", list(CASES))
def test_wording_matches_its_golden_file(name):
    golden = stored(name)
    assert golden is not None, f"tests/golden/{name} is missing: run `{UPDATE_COMMAND}`"
    text = CASES[name]()
    if text != golden:
        diff = "".join(difflib.unified_diff(golden.splitlines(True), text.splitlines(True), f"golden/{name}", "now"))
        pytest.fail(f"{name} differs from its golden file (if the change is meant: `{UPDATE_COMMAND}`)\n{diff}",
                    pytrace=False)
