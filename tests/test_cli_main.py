"""The graphscope command itself: --version."""
import pytest

from cli_run import graphscope

from graphscope import version
from graphscope.cli import main


def test_version(capsys):
    with pytest.raises(SystemExit) as done:
        main(["--version"])
    assert done.value.code == 0
    assert capsys.readouterr().out == f"graphscope {version.__version__}\n"
    assert graphscope("--version").expect(0).out == f"graphscope {version.__version__}\n"
