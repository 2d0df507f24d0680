"""graphscope train says under its table that the loss holds the reg term and the validation loss does not."""
import os

from graphscope.cli import main

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
SPIRAL = os.path.join(ROOT, "samples", "train_spiral.py")
NOTE = "(loss: the data loss plus the reg term, 0.0474 * sum ||W||^2; val loss: the data loss alone)"


def test_the_note_under_the_table_says_what_the_two_losses_hold_when_there_is_a_reg_term(capsys):
    common = ["train", SPIRAL, "--lr", "0.0149", "--epochs", "1", "--schedule", "none", "--no-progress"]
    assert main(common + ["--reg", "0.0474"]) == 0
    lines = capsys.readouterr().out.splitlines()
    accuracy = next(k for k, line in enumerate(lines) if line.startswith("(train acc:"))
    assert lines[accuracy + 1] == NOTE
    assert main(common + ["--reg", "0"]) == 0
    assert "the reg term" not in capsys.readouterr().out  # no term: the two losses are the same kind
