"""Where the search looks: a full grid, a fine round finer than the coarse one, an edge of a range looked past and
named, and no fine round after a coarse round that only diverged."""
import math
import os

import pytest

from graphscope.cli import main
from graphscope.train.search import best_at_edges, grid_shape, planned_trials, search

from train_helpers import SGD, spiral, two_layer

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
SPIRAL = os.path.join(ROOT, "samples", "train_spiral.py")
FAST = dict(epochs=1, fine_epochs=1, batch_size=100)


@pytest.fixture(scope="module")
def data():
    return spiral()


@pytest.mark.parametrize("trials, reg, shape", [(8, (1e-6, 0.1), (3, 3)), (5, (1e-6, 0.1), (3, 2)),
                                                (10, (1e-6, 0.1), (4, 3)), (9, (1e-6, 0.1), (3, 3)),
                                                (8, (0, 0), (8, 1)), (4, (1e-3, 1e-3), (4, 1))])
def test_a_grid_is_full_and_as_near_square_as_fits(trials, reg, shape):
    assert grid_shape(trials, (1e-4, 1.0), reg) == shape
    assert planned_trials("grid", trials, (1e-4, 1.0), reg) == shape[0] * shape[1]
    assert planned_trials("random", trials, (1e-4, 1.0), reg) == trials


def test_a_grid_search_of_5_trials_runs_every_pair_of_a_3_by_2_grid(data):
    x, y = data
    result = search(two_layer(x, y), SGD, x, y, x, y, method="grid", trials=5, fine_trials=0, lr=(1e-3, 1.0),
                    reg=(1e-5, 1e-2), **FAST)
    pairs = {(t.lr, t.reg) for t in result.trials}
    assert len(result.trials) == 6 == len(pairs)
    assert pairs == {(lr, reg) for lr in (1e-3, 0.0316, 1.0) for reg in (1e-5, 1e-2)}  # (1, 1e-2) is not left out


def test_the_grid_fine_round_is_finer_and_centred_on_the_best_coarse_trial(data):
    x, y = data
    lr, reg = (1e-3, 1.0), (1e-6, 1e-2)
    result = search(two_layer(x, y), SGD, x, y, x, y, method="grid", trials=9, fine_trials=9, lr=lr, reg=reg,
                    **FAST)
    coarse = [t for t in result.trials if t.stage == "coarse"]
    fine = [t for t in result.trials if t.stage == "fine"]
    best = max(coarse, key=lambda t: (t.score, t.train_acc))
    assert len(fine) == 9
    for name, (lo, hi) in (("lr", lr), ("reg", reg)):
        step = math.sqrt(hi / lo)  # 3 values: two steps
        values = sorted({getattr(t, name) for t in fine})
        centre = getattr(best, name)
        assert len(values) == 3 and values[1] == pytest.approx(centre, rel=1e-2)
        assert values[0] == pytest.approx(centre / math.sqrt(step), rel=1e-2)  # half a coarse step either side
        assert values[2] == pytest.approx(centre * math.sqrt(step), rel=1e-2)
    coarse_regs = {t.reg for t in coarse}
    assert len({t.reg for t in fine} - coarse_regs) == 2  # not the coarse values again


def test_the_fine_round_looks_past_the_edge_the_best_coarse_trial_sits_at_and_the_note_names_it(data):
    """Learning rates of 1e-4 to 1e-3 are all too small for SGD on the spiral: the larger the better."""
    x, y = data
    lr = (1e-4, 1e-3)
    told = []
    result = search(two_layer(x, y), SGD, x, y, x, y, method="grid", trials=3, fine_trials=3, lr=lr, reg=(0, 0),
                    out=told.append, **FAST)
    assert max(t.lr for t in result.trials if t.stage == "coarse") == 1e-3
    assert result.best.lr > 1e-3  # the fine round went past the top of the range
    (name, side, (flo, fhi)), = result.past_edges
    assert (name, side) == ("lr", "top") and fhi == pytest.approx(1e-3 * math.sqrt(10) ** 0.5, rel=1e-2)
    assert [line for line in told if line.startswith("fine round")] == [
        f"fine round: lr in [{flo:.3g}, {fhi:.3g}]; lr past the top of its range (0.001) to {fhi:.3g}: the best "
        f"coarse trial sits at it"]
    (at_edge,) = best_at_edges(result)
    assert (at_edge.name, at_edge.side, at_edge.value) == ("lr", "top", result.best.lr)
    assert at_edge.suggested[0] < result.best.lr / 5 and at_edge.suggested[1] > 5 * result.best.lr
    assert str(at_edge).startswith(f"the best learning rate ({result.best.lr:.3g}) sits at the top of the range "
                                   f"searched (0.0001 to {fhi:.3g}): a larger one may do better; widen it, e.g. "
                                   f"--lr-range ")


def test_a_best_value_with_a_worse_one_tried_beyond_it_is_no_edge():
    """A grid's best coarse lr, 1, is the top of its range; the fine round tried 10, which did worse: the range
    searched has a top above the best, so nothing is said about it."""
    from graphscope.train import SearchResult, Trial

    def trial(stage, lr, acc):
        return Trial(stage, lr, 0.0, 1, [1.0], [acc], [acc])
    settings = {"method": "grid", "trials": 3, "lr_range": [1e-4, 1.0], "reg_range": [0, 0]}
    coarse = [trial("coarse", 1e-4, 0.3), trial("coarse", 1e-2, 0.5), trial("coarse", 1.0, 0.6)]
    result = SearchResult(coarse + [trial("fine", 0.1, 0.5), trial("fine", 1.0, 0.7), trial("fine", 10.0, 0.4)],
                          settings)
    assert result.best.lr == 1.0 and best_at_edges(result) == []
    result = SearchResult(coarse + [trial("fine", 0.1, 0.5), trial("fine", 1.0, 0.6), trial("fine", 10.0, 0.7)],
                          settings)
    (at_edge,) = best_at_edges(result)
    assert (at_edge.side, at_edge.value, at_edge.searched, at_edge.suggested) == ("top", 10.0, (1e-4, 10.0),
                                                                                  (0.03, 3000.0))


#: Two well separated blobs and a linear classifier: the larger the learning rate (of those tried), the further
#: one epoch gets, so the best sits at the top of a range of small rates.
BLOBS = """
import numpy as np
import graphscope as gs

def data():
    rng = np.random.default_rng(0)
    x = np.concatenate([rng.normal(-2, 1, (100, 2)), rng.normal(2, 1, (100, 2))])
    y = np.repeat([0, 1], 100)
    return x, y, x, y

def build():
    x, y, _, _ = data()
    W = gs.param(np.zeros((2, 2)), name="W")
    X = gs.tensor(x[:50], name="x")
    scores = X @ W
    scores.name = "scores"
    return gs.softmax_cross_entropy(scores, y[:50])
"""


def test_the_command_names_the_grid_and_the_edge(capsys, tmp_path):
    path = tmp_path / "blobs.py"
    path.write_text(BLOBS)
    code = main(["search", str(path), "--method", "grid", "--trials", "8", "--fine-trials", "2", "--epochs", "1",
                 "--batch-size", "50", "--lr-range", "1e-5", "1e-3", "--reg-range", "1e-6", "1e-5", "--no-progress"])
    lines = capsys.readouterr().out.splitlines()
    assert code == 0
    assert lines[0].endswith(": 9 trials of 1 epoch (a grid of 3 lr x 3 reg values; --trials 8 rounded up), "
                             "then 2 of 2 epochs (a grid of 2 lr x 1 reg value)")
    assert next(line for line in lines if line.startswith("fine round:")).startswith(
        "fine round: lr in [0.000316, 0.00316], ")
    note = next(line for line in lines if line.startswith("note: the best learning rate ("))
    assert ") sits at the top of the range searched (1e-05 to 0.00316): a larger one may do better" in note
    assert lines[-2].startswith("best: lr 0.00316") and lines[-1].startswith("  graphscope train ")


def test_one_or_two_values_of_a_setting_have_no_edge():
    """With one coarse trial every value is at an edge: nothing is said, and the fine round stays in the range."""
    from graphscope.train import SearchResult, Trial
    settings = {"method": "random", "trials": 2, "lr_range": [1e-4, 1.0], "reg_range": [1e-6, 1e-1]}
    trials = [Trial("coarse", 0.9, 1e-6, 1, [1.0], [0.5], [0.5]), Trial("coarse", 0.5, 1e-5, 1, [1.0], [0.4], [0.4])]
    assert best_at_edges(SearchResult(trials, settings)) == []
    assert best_at_edges(SearchResult(trials, {**settings, "trials": 9})) != []  # 3 values each: the top is an edge


def test_a_reg_range_from_0_is_refused_saying_why_and_what_to_do(capsys):
    code = main(["search", SPIRAL, "--reg-range", "0", "0.1"])
    err = capsys.readouterr().err
    assert code == 2
    assert ("--reg-range 0 0.1: needs 0 < LOW <= HIGH, or 0 0 for no regularization: the values are spread evenly "
            "in log scale, where 0 lies infinitely far down; a LOW of 1e-6 acts as almost none (or compare with a "
            "search of --reg-range 0 0)") in err


def test_a_random_search_whose_best_coarse_rate_is_the_largest_tried_looks_past_the_top():
    """The report's case: accuracy rising with the rate up to the largest coarse one (0.00547, half a decade under
    the top, 0.01): the fine round goes past 0.01; a best that is not the largest tried does not."""
    from graphscope.train import Trial
    from graphscope.train.search import _narrow

    def coarse(lr, acc):
        return Trial("coarse", lr, 0.0, 3, [2.0], [acc], [acc])
    rising = [coarse(0.00547, 0.716), coarse(0.00275, 0.646), coarse(0.000814, 0.373), coarse(6.45e-5, 0.134),
              coarse(1.33e-5, 0.128), coarse(1.12e-5, 0.125)]
    (lo, hi), reg, past = _narrow("random", 6, rising, (1e-5, 1e-2), (0, 0))
    assert hi == pytest.approx(0.0109) and lo == pytest.approx(0.00275 / 2, rel=1e-2) and reg == (0, 0)
    assert past == [("lr", "top", (lo, hi))]
    worse_above = rising + [coarse(0.009, 0.5)]
    (lo, hi), _, past = _narrow("random", 7, sorted(worse_above, key=lambda t: -t.val_acc), (1e-5, 1e-2), (0, 0))
    assert hi == 0.01 and past == []


@pytest.mark.parametrize("trials", [5, 6, 10, 12])
def test_each_settings_edges_and_step_follow_the_values_its_own_grid_side_tries(trials):
    import numpy as np
    from graphscope.train.search import _points
    from graphscope.train.search_ranges import EDGE_SIDE, coarse_step, has_edges
    lr, reg = (1e-3, 1e-1), (1e-5, 1e-1)
    points = _points("grid", lr, reg, trials, np.random.default_rng(0))
    for name, r, other, tried in (("lr", lr, reg, sorted({a for a, _ in points})),
                                  ("reg", reg, lr, sorted({b for _, b in points}))):
        assert has_edges(name, trials, r, other) == (len(tried) >= EDGE_SIDE), (name, tried)
        step = coarse_step("grid", name, trials, r, other)
        assert step == pytest.approx(tried[1] / tried[0], rel=1e-2), (name, tried)  # values kept to 3 digits
