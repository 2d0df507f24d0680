"""Every command's --help fits an 80-column terminal: prose is wrapped, examples too wide for one line become the
command (continued with a backslash) and what it does under it."""
import pytest

from graphscope.cli import COMMANDS, main
from graphscope.cli.helptext import fit_line

NAMES = [""] + [m.__name__.rsplit(".", 1)[-1].removesuffix("_command") for m in COMMANDS]


@pytest.mark.parametrize("command", NAMES)
def test_help_at_80_columns_has_no_line_past_80(command, capsys, monkeypatch):
    monkeypatch.setenv("COLUMNS", "80")
    with pytest.raises(SystemExit):
        main([command, "--help"] if command else ["--help"])
    out = capsys.readouterr().out
    wide = [line for line in out.splitlines() if len(line) > 80]
    assert not wide and "examples:" in out, wide


def test_a_wide_example_keeps_its_options_whole_and_says_what_it_does_under_it():
    line = "  graphscope search samples/train_spiral.py --lr-range 1e-3 1 --reg-range 0 0   a search without reg"
    assert fit_line(line, 60) == ["  graphscope search samples/train_spiral.py \\",
                                  "      --lr-range 1e-3 1 --reg-range 0 0",
                                  "      a search without reg"]
    assert fit_line("  short enough", 60) == ["  short enough"]
