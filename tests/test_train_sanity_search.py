"""The trainer's sanity checks and the hyperparameter search."""
import math
import re

import numpy as np
import pytest

import graphscope as gs
from graphscope.train import sanity, search

from train_helpers import SGD, spiral, two_layer


@pytest.fixture(scope="module")
def data():
    return spiral()


def test_sanity_checks_pass_on_a_small_init_and_leave_the_trainer_as_it_was(data):
    x, y = data
    loss = two_layer(x, y, std=0.01)
    trainer = gs.Trainer(loss, SGD(loss.graph().params, 1.0), progress=False)
    before = [p.value.copy() for p in trainer.params]
    lines = []
    report = trainer.sanity_check(x, y, out=lines.append)
    assert report.ok, str(report)
    assert [c.name for c in report.checks] == ["initial loss", "regularization raises the loss",
                                               "overfit 20 examples"]
    assert f"to log(3) = {math.log(3):.4g}" in lines[0] and lines[0].startswith("[ok  ]")
    assert "expected about 1.099 for these initial scores (0% off)" in lines[0]
    assert "100% training accuracy" in lines[2]
    assert lines[-1] == "sanity checks passed"
    for p, b in zip(trainer.params, before):
        np.testing.assert_array_equal(p.value, b)
    assert trainer.optimizer.t == 0 and trainer.history.loss == []


def test_sanity_checks_catch_a_bad_init_and_a_too_small_learning_rate(data):
    x, y = data
    loss = two_layer(x, y, std=10.0)
    report = gs.Trainer(loss, SGD(loss.graph().params, 1e-9), progress=False).sanity_check(out=None)
    initial, reg, overfit = report.checks
    assert not initial.ok and "spread too widely" in initial.line() and "too large" in initial.line()
    assert reg.ok
    assert not overfit.ok and not report.ok


def test_a_recorded_batch_of_one_class_is_named_and_not_overfitted(data):
    """Spiral's first 30 points are all class 0: a net that always answers 0 fits 20 of them, so the check proved
    nothing and passed; the initial loss of one class is named too."""
    x, y = data
    loss = two_layer(x[:30], y[:30], std=0.01)
    lines = []
    report = gs.Trainer(loss, SGD(loss.graph().params, 1.0), progress=False).sanity_check(out=lines.append)
    initial, _, overfit = report.checks
    assert initial.ok and initial.figure.endswith("; the recorded batch holds class 0 only (30 examples): pass "
                                                  "(x, y), e.g. trainer.sanity_check(x_train, y_train)")
    assert overfit.status == "skip" and lines[2] == (
        "[skip] overfit 20 examples: not tried: the 20 examples are all class 0 (the recorded batch holds no "
        "other): overfitting them proves little, a net that always answers 0 fits them; pass (x, y), e.g. "
        "trainer.sanity_check(x_train, y_train)")
    assert report.ok and not report.complete and lines[-1] == "sanity checks: 2 of 3 passed, 1 of 3 not performed " \
                                                              "([skip])"
    report = gs.Trainer(loss, SGD(loss.graph().params, 1.0), progress=False).sanity_check(x, y)
    assert report.complete and report.ok and "class 0 only" not in str(report)


def test_a_random_subset_of_one_class_gives_way_to_every_class_in_turn():
    y = np.array([0] * 300 + [1, 2, 1, 2, 1], dtype=np.int64)
    seed = next(s for s in range(100) if len(set(y[np.random.default_rng(s).choice(len(y), 20, replace=False)])) == 1)
    pick = sanity._subset(y, 20, seed)
    assert len(pick) == 20 == len(set(pick.tolist())) and sorted(set(y[pick].tolist())) == [0, 1, 2]
    assert np.count_nonzero(y[pick] == 1) == 3 and np.count_nonzero(y[pick] == 2) == 2  # all there are
    other = next(s for s in range(100) if len(set(y[np.random.default_rng(s).choice(len(y), 20, replace=False)])) > 1)
    np.testing.assert_array_equal(sanity._subset(y, 20, other),  # a subset with several classes is kept as drawn
                                  np.sort(np.random.default_rng(other).choice(len(y), 20, replace=False)))


def test_random_search_is_log_uniform_sorted_and_restores_the_parameters(data):
    x, y = data
    loss = two_layer(x, y, std=0.01)
    before = [p.value.astype(np.float32) for p in loss.graph().params]  # the trainer computes in float32
    told = []
    result = search(loss, SGD, x, y, x, y, trials=4, epochs=1, fine_trials=2, batch_size=100,
                    lr=(1e-3, 1e3), reg=(1e-5, 1e-1), out=told.append)
    assert len(result.trials) == 6 and len(told) == 7  # each trial, and the fine round's ranges before it
    assert told[4] == (f"fine round: lr in [{result.fine_ranges[0][0]:.3g}, {result.fine_ranges[0][1]:.3g}], "
                       f"reg in [{result.fine_ranges[1][0]:.3g}, {result.fine_ranges[1][1]:.3g}]")
    assert [t.stage for t in result.trials] == ["coarse"] * 4 + ["fine"] * 2
    assert all(1e-3 <= t.lr <= 1e3 and 1e-5 <= t.reg <= 1e-1 for t in result.trials)
    assert all(t.epochs == (1 if t.stage == "coarse" else 2) for t in result.trials)
    scores = [t.score for t in result.ranked]
    assert scores == sorted(scores, reverse=True) and result.best is result.ranked[0]
    best_coarse = max((t for t in result.trials if t.stage == "coarse"), key=lambda t: t.score)
    assert all(best_coarse.lr / 2 <= t.lr <= best_coarse.lr * 2 or t.stage == "coarse" for t in result.trials[4:])
    assert result.table().splitlines()[0].split()[:3] == ["rank", "stage", "lr"]
    for p, b in zip(loss.graph().params, before):
        np.testing.assert_array_equal(p.value, b)


def test_grid_search_spans_the_ranges_and_ranks_diverged_trials_last(data):
    x, y = data
    loss = two_layer(x, y)
    result = search(loss, SGD, x, y, method="grid", trials=4, fine_trials=0, epochs=1, batch_size=100,
                    lr=(1e-2, 1e30), reg=(1e-4, 1e-2))
    assert sorted({t.lr for t in result.trials}) == pytest.approx([1e-2, 1e30])
    assert sorted({t.reg for t in result.trials}) == pytest.approx([1e-4, 1e-2])
    lines = result.table().splitlines()
    last_row = lines[next(k for k, line in enumerate(lines) if line.startswith("ranked by")) - 1]
    assert result.ranked[-1].diverged and "diverged" in last_row


def test_search_rejects_bad_ranges(data):
    x, y = data
    loss = two_layer(x, y)
    with pytest.raises(gs.GraphscopeError, match=r"the lr range \(1, 0.1\) must satisfy 0 < low <= high"):
        search(loss, SGD, x, y, lr=(1.0, 0.1))
    with pytest.raises(gs.GraphscopeError, match="method must be 'random' or 'grid'"):
        search(loss, SGD, x, y, method="bayes")


def test_a_reg_range_of_0_0_searches_no_regularization_and_values_tried_are_short(data):
    x, y = data
    loss = two_layer(x, y, std=0.01)
    result = search(loss, SGD, x, y, trials=3, epochs=1, fine_trials=1, batch_size=100, lr=(1e-3, 1.0),
                    reg=(0, 0))
    assert [t.reg for t in result.trials] == [0.0] * 4
    assert all(float(f"{t.lr:.3g}") == t.lr for t in result.trials)  # the command line can type them exactly
    with pytest.raises(gs.GraphscopeError, match=r"the reg range \(0, 0.1\) must satisfy 0 < low <= high "
                                                 r"\(sampled log-uniformly\), or be \(0, 0\) for none"):
        search(loss, SGD, x, y, reg=(0, 0.1))


def test_sanity_check_returns_its_report_and_prints_nothing(data, capsys):
    x, y = data
    loss = two_layer(x, y, std=0.01)
    report = gs.Trainer(loss, SGD(loss.graph().params, 1.0), progress=False).sanity_check(x, y)
    assert capsys.readouterr().out == ""
    assert str(report).splitlines()[-1] == "sanity checks passed" and len(str(report).splitlines()) == 4


def test_overfit_check_finds_a_rate_at_which_the_subset_fits(data):
    x, y = data
    loss = two_layer(x, y, std=0.01)
    report = gs.Trainer(loss, SGD(loss.graph().params, 0.01), progress=False).sanity_check(x, y)
    overfit = report.checks[2]
    assert overfit.ok, overfit.line()
    assert "100% training accuracy" in overfit.figure and "at lr 0.01: " in overfit.figure
    assert "too small a learning rate" in overfit.figure


def test_a_wrong_feature_size_quotes_the_shape_the_input_was_recorded_with(data):
    x, y = data
    loss = two_layer(x[:30], y[:30])
    trainer = gs.Trainer(loss, SGD(loss.graph().params, 0.1), batch_size=64, epochs=1, progress=False)
    trainer.fit(x, y)
    trainer.epochs = 2
    with pytest.raises(gs.GraphscopeError, match=r"examples of shape \(3,\) but the input x takes rows of shape "
                                                 r"\(2,\) \(it was recorded as \(30, 2\)\)"):
        trainer.fit(np.zeros((5, 3)), y[:5])


def test_the_terminal_curve_of_a_blow_up_has_short_labels_on_a_log_axis():
    from graphscope.viz.curves import terminal_curve
    history = gs.train.History(loss=list(np.geomspace(1.0, 6e26, 50)), lr=[0.1] * 5,
                               settings={"iterations_per_epoch": 10})
    text = terminal_curve(history)
    labels = [line.split("┤")[0].strip() for line in text.splitlines() if "┤" in line]
    assert labels == ["1e+24", "1e+18", "1e+12", "1e+06", "1"]  # powers of 10, never 27-digit numbers
    assert "loss (log scale)" in text and "training loss (log scale: it spans more than a factor of 1000)" in text
    calm = terminal_curve(gs.train.History(loss=[1.0, 0.5, 0.25], lr=[0.1], settings={"iterations_per_epoch": 3}))
    assert "log scale" not in calm


def test_the_terminal_curve_labels_its_loss_at_round_steps():
    from graphscope.viz.curves import terminal_curve
    text = terminal_curve(gs.train.History(loss=list(np.linspace(2.0, 0.2, 40)), lr=[0.1] * 4,
                                           settings={"iterations_per_epoch": 10}))
    labels = [line.split("┤")[0].strip() for line in text.splitlines() if "┤" in line]
    assert labels == ["2", "1.5", "1", "0.5"]  # not 2, 1.55, 1.1, 0.65, 0.2


def test_the_terminal_curve_counts_iterations_in_whole_round_numbers():
    from graphscope.viz.curves import terminal_curve, whole_ticks
    assert whole_ticks(47) == [1, 10, 20, 30, 40] and whole_ticks(10) == [1, 2, 4, 6, 8, 10]
    assert whole_ticks(2) == [1, 2] and len(whole_ticks(123456)) <= 6
    text = terminal_curve(gs.train.History(loss=list(np.linspace(1, 0.1, 47)), lr=[0.1], settings={}))
    axis = next(line for line in text.splitlines() if line.split() and line.split()[0] == "1")
    assert axis.split() == ["1", "10", "20", "30", "40"]  # no '5.8' or '10.5'



# ---------------------------------------------------------------- the initial loss, judged by the initial scores

@pytest.fixture(scope="module")
def digits():
    pytest.importorskip("sklearn")
    x, y = gs.data.digits()
    return x, gs.data.standardize(x), y


def initial_check(scores_of, x, y, seed=0):
    """The initial-loss check of softmax_cross_entropy(scores_of(net, x), y) for gs.nn.MLP([64, 64, 10], rng=seed)."""
    net = gs.nn.MLP([x.shape[1], 64, 10], rng=seed)
    loss = gs.softmax_cross_entropy(scores_of(net, gs.tensor(x[:32], name="x")), y[:32])
    trainer = gs.Trainer(loss, gs.optim.SGD(loss.graph().params, lr=0.1), progress=False)
    return trainer.sanity_check(x, y).checks[0]


@pytest.mark.parametrize("seed", range(5))
def test_the_default_mlp_on_standardized_digits_passes_the_initial_loss_check_for_every_seed(digits, seed):
    _, standardized, y = digits
    check = initial_check(lambda net, x: net(x), standardized, y, seed)
    assert check.ok, check.line()
    loss, expected = (float(v) for v in re.findall(r"([\d.]+), expected about ([\d.]+)", check.figure)[0])
    assert loss > 1.15 * math.log(10) and expected > 1.15 * math.log(10)   # above log(10), as He init gives
    assert "to log(10) = 2.303" in check.figure


def test_raw_digits_and_scores_scaled_100x_fail_the_initial_loss_check(digits):
    raw, standardized, y = digits
    for scores_of, x in ((lambda net, x: net(x), raw), (lambda net, x: net(x) * 100.0, standardized)):
        check = initial_check(scores_of, x, y)
        assert not check.ok and "spread too widely" in check.line() and "gs.data.standardize" in check.line()


def test_a_loss_that_is_not_what_the_scores_give_fails_the_initial_loss_check(digits):
    _, standardized, y = digits
    net = gs.nn.MLP([64, 64, 10], rng=0)
    doubled = 2.0 * gs.softmax_cross_entropy(net(gs.tensor(standardized[:32], name="x")), y[:32])   # a bug
    trainer = gs.Trainer(doubled, gs.optim.SGD(doubled.graph().params, lr=0.1), progress=False)
    check = trainer.sanity_check(standardized, y).checks[0]
    assert not check.ok and "not what these scores give for labels they know nothing of" in check.line()


@pytest.mark.parametrize("loss_fn", [gs.softmax_cross_entropy, gs.svm_loss])
def test_the_expected_untrained_loss_is_the_mean_loss_over_every_label(loss_fn):
    scores = np.random.default_rng(0).normal(scale=1.5, size=(7, 4))
    every_label = np.mean([float(loss_fn(gs.tensor(scores), np.full(7, c)).value) for c in range(4)])
    svm = loss_fn is gs.svm_loss
    assert sanity.expected_untrained_loss(scores, svm) == pytest.approx(every_label, rel=1e-12)
    assert sanity.expected_untrained_loss(np.zeros((3, 4)), svm) == pytest.approx(3.0 if svm else math.log(4))
    assert sanity.score_spread(scores) == pytest.approx(np.sqrt(scores.var(axis=1).mean()))


def test_sanity_checks_put_back_running_averages_and_dropout_draws(data):
    x, y = data
    net = gs.nn.MLP([2, 20, 3], batchnorm=True, dropout=0.2, rng=0)
    loss = gs.softmax_cross_entropy(net(gs.tensor(x[:32], name="x")), y[:32])
    trainer = gs.Trainer(loss, gs.optim.SGD(loss.graph().params, lr=0.1), progress=False)
    running = net["bn1"].running_mean.copy()
    draws = net["drop1"]._recorded[-1].attrs["draw"]
    assert trainer.sanity_check(x, y).ok
    np.testing.assert_array_equal(net["bn1"].running_mean, running)
    assert net["drop1"]._recorded[-1].attrs["draw"] == draws
    assert net["bn1"]._recorded[-1].attrs["running_mean"] is net["bn1"].running_mean


def test_a_long_runs_table_says_which_epochs_it_shows_and_marks_where_a_run_was_resumed():
    per = 2
    history = gs.train.History(loss=list(np.linspace(1, 0.1, 47 * per)), lr=[0.1] * 47,
                               train_acc=[0.5] * 47, val_acc=[0.5] * 47, val_loss=[1.0] * 47,
                               seconds=[0.01] * 47, settings={"iterations_per_epoch": per})
    table = history.table(max_rows=20, resumed_after=30)
    epochs = [line.split()[0] for line in table.splitlines()[1:-1]]
    assert epochs[0] == "1" and epochs[-1] == "47" and {"30", "31"} <= set(epochs)  # the resume point is shown
    (resumed,) = [line for line in table.splitlines() if "\u2190 resumed" in line]
    assert resumed.split()[0] == "31" and resumed.rstrip().endswith("\u2190 resumed")
    assert len(epochs) == 19  # 17 evenly spaced and the two about the resume point (another 18 would be 21)
    assert table.splitlines()[-1] == (f"(19 of 47 epochs shown, one every 2 or 3, the first and the last, and "
                                      f"where the run was resumed; table(max_rows=None) shows them all)")
    assert history.table(resumed_after=30) == table   # 20 rows by default, as graphscope train prints it
    whole = history.table(max_rows=None)
    assert len(whole.splitlines()) == 48 and "shown" not in whole and "resumed" not in whole


def test_the_librarys_history_table_thins_a_long_run_as_the_cli_does(capsys):
    from argparse import Namespace
    from graphscope.cli.train import show
    epochs = 200
    history = gs.train.History(loss=[1.0] * epochs, lr=[0.1] * epochs, train_acc=[0.5] * epochs,
                               val_acc=[None] * epochs, val_loss=[None] * epochs, seconds=[0.01] * epochs,
                               settings={"iterations_per_epoch": 1})
    table = history.table()
    rows = table.splitlines()[1:-1]
    assert len(rows) == 20 and rows[0].split()[0] == "1" and rows[-1].split()[0] == "200"
    assert table.splitlines()[-1] == ("(20 of 200 epochs shown, one every 10 or 11, the first and the last; "
                                      "table(max_rows=None) shows them all)")
    assert len(history.table(max_rows=None).splitlines()) == 201
    show(history, Namespace(history=None, plot=None))
    printed = capsys.readouterr().out
    assert "(20 of 200 epochs shown, one every 10 or 11, the first and the last; --history keeps them all)" in printed


@pytest.mark.parametrize("epochs", [21, 30, 39, 50, 300, 1001])
def test_a_thinned_table_shows_twenty_evenly_spaced_epochs_the_first_and_the_last(epochs):
    history = gs.train.History(loss=[1.0] * epochs, lr=[0.1] * epochs, train_acc=[0.5] * epochs,
                               val_acc=[None] * epochs, val_loss=[None] * epochs, seconds=[0.01] * epochs,
                               settings={"iterations_per_epoch": 1})
    shown = [int(line.split()[0]) for line in history.table().splitlines()[1:-1]]
    assert len(shown) == 20 and shown[0] == 1 and shown[-1] == epochs
    gaps = [b - a for a, b in zip(shown, shown[1:])]
    assert max(gaps) - min(gaps) <= 1 and min(gaps) >= 1  # evenly spaced, as far as whole epochs allow
    spacing = f"one every {min(gaps)}" + (f" or {max(gaps)}" if max(gaps) > min(gaps) else "")
    assert history.table().splitlines()[-1].startswith(f"(20 of {epochs} epochs shown, {spacing}, the first")
