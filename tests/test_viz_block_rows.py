"""A folded box's row of one number per block: a scalar's value (not its std, always 0), and few lines."""
import re

import numpy as np

import graphscope as gs
from graphscope.viz.picture import Picture
from graphscope.viz.summaries import spread_text
from graphscope.viz.view import FOLD


def stepped_loss(n):
    """A loop whose every pass is a scope of its own (step0 .. step{n-1}) ending in a scalar, summed up."""
    rng = np.random.default_rng(0)
    W = gs.param(rng.normal(size=(4, 3)), name="W")
    total = None
    for i in range(n):
        with gs.scope(f"step{i}"):
            term = gs.sum(gs.tanh(gs.tensor(rng.normal(size=(1, 4)), name=f"x{i}") @ W))
            total = term if total is None else total + term
    loss = total / n
    loss.name = "loss"
    return loss


def card_text(dot, key):
    line = next(ln for ln in dot.splitlines() if re.match(rf"\s*{key} \[", ln))
    return re.sub(r"<[^>]*>", " ", line).replace("&#160;", " ")


def test_a_fold_of_scalar_blocks_shows_their_gradients_not_a_wall_of_zero_stds():
    """step0 .. step29 fold into one box whose blocks end in a scalar: the row lists the scalars' gradients (not
    their std, always 0), cut to the first and last few and a min / median / max line."""
    loss = stepped_loss(30)
    pic = Picture(loss)
    state = pic.state("final")
    (fold,) = [item for item in pic.view.items if item.kind == FOLD]
    assert fold.blocks >= 20
    text = card_text(pic.dot(state), fold.key)
    row = text[text.index("grad/block"):]
    assert "grad std/block" not in text and "0.0e+00" not in row
    assert f"{1 / 30:.1e}" in row and "\u2026" in row and "median" in row
    assert row.count("e-0") <= 8                                     # a few entries, not one per block


def test_spread_text_lists_few_entries_and_summarises_many():
    assert spread_text([1.0, 2.0]) == " 1.0e+00  2.0e+00"
    many = spread_text(list(np.arange(1.0, 101.0)))
    lines = many.split("\n")
    assert len(lines) == 2 and "\u2026" in lines[0] and lines[1] == "min 1.0e+00  median 5.0e+01  max 1.0e+02"
    assert spread_text([None, None]) == "not computed yet"
