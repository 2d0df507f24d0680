"""The graphscope command itself: --version."""
import subprocess
import sys

import pytest

from graphscope import version
from graphscope.cli import main


def test_version(capsys):
    with pytest.raises(SystemExit) as done:
        main(["--version"])
    assert done.value.code == 0
    assert capsys.readouterr().out == f"graphscope {version.__version__}\n"
    result = subprocess.run([sys.executable, "-m", "graphscope", "--version"], capture_output=True, text=True)
    assert result.returncode == 0 and result.stdout == f"graphscope {version.__version__}\n"
