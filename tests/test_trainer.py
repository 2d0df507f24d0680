"""gs.Trainer: training the recorded graph by replay (optimizers are the stand-ins of train_helpers)."""
import math

import numpy as np
import pytest

import graphscope as gs
from graphscope.train import BatchEnd, EpochEnd, Stopped, TrainingDiverged

from train_helpers import SGD, Momentum, spiral, two_layer


@pytest.fixture(scope="module")
def data():
    return spiral()


def make(x, y, opt=SGD, lr=0.5, **kw):
    loss = two_layer(x, y)
    kw.setdefault("progress", False)
    return gs.Trainer(loss, opt(loss.graph().params, lr), **kw)


def test_two_layer_relu_net_fits_the_spiral(data):
    x, y = data
    trainer = make(x, y, batch_size=32, epochs=500, reg=1e-4)
    history = trainer.fit(x, y)
    acc, _ = trainer.evaluate(x, y)
    assert acc >= 0.98
    assert len(history.loss) == 500 * 10 and history.epochs == 500
    assert history.loss[-1] < 0.2 < history.loss[0]


def test_float32_by_default_float64_on_request(data):
    x, y = data
    t32 = make(x, y, epochs=1)
    assert all(p.value.dtype == np.float32 for p in t32.params)
    t32.fit(x, y)
    assert t32.loss.value.dtype == np.float32 and t32.graph["scores"].value.dtype == np.float32
    t64 = make(x, y, epochs=1, dtype="float64")
    t64.fit(x, y)
    assert all(p.value.dtype == np.float64 for p in t64.params)
    with pytest.raises(gs.GraphscopeError, match="dtype must be 'float32' or 'float64'"):
        make(x, y, dtype="int8")


def test_train_accuracy_comes_from_the_batches_scores(data):
    x, y = data
    trainer = make(x, y, epochs=1, batch_size=300, shuffle=False)
    before = trainer.evaluate(x, y)[0]
    history = trainer.fit(x, y)
    assert history.train_acc[0] == pytest.approx(before)  # one full batch: scored before its update


def test_reg_adds_its_gradient_and_its_term_to_the_loss(data):
    x, y = data[0][:64].astype(np.float64), data[1][:64]
    reg = 0.01
    # reference: the regularization recorded in the graph, trained with reg=0
    base = two_layer(x, y, seed=3)
    g = base.graph()
    W1, W2 = g["W1"], g["W2"]
    recorded = base + reg * (gs.l2(W1) + gs.l2(W2))
    ref = gs.Trainer(recorded, SGD(recorded.graph().params, 0.3), batch_size=16, epochs=2, dtype="float64",
                     progress=False)
    ref_h = ref.fit(x, y)
    ref_params = [p.value.copy() for p in ref.params]
    loss = two_layer(x, y, seed=3)
    mine = gs.Trainer(loss, SGD(loss.graph().params, 0.3), batch_size=16, epochs=2, reg=reg, dtype="float64",
                      progress=False)
    h = mine.fit(x, y)
    np.testing.assert_allclose(h.loss, ref_h.loss, rtol=1e-12)
    for p, q in zip(mine.params, ref_params):
        np.testing.assert_allclose(p.value, q, rtol=1e-12, atol=1e-15)
    assert [p.name for p in mine.weights] == ["W1", "W2"]  # biases are not regularized


def test_same_seed_same_run_and_shuffle_changes_the_order(data):
    x, y = data
    runs = [make(x, y, epochs=2, batch_size=32, seed=s, shuffle=sh).fit(x, y).loss
            for s, sh in ((1, True), (1, True), (2, True), (1, False))]
    assert runs[0] == runs[1]
    assert runs[0] != runs[2] and runs[0] != runs[3]


def test_shuffle_off_feeds_batches_in_order(data):
    x, y = data
    trainer = make(x, y, epochs=1, batch_size=100, shuffle=False)
    seen = []
    trainer.callbacks.append(lambda e: seen.append(trainer.roles.input.value[0].copy())
                             if isinstance(e, BatchEnd) else None)
    trainer.fit(x, y)
    np.testing.assert_array_equal(np.array(seen), x[[0, 100, 200]])


def test_schedule_sets_the_learning_rate_each_epoch(data):
    x, y = data
    trainer = make(x, y, epochs=3, schedule=lambda m: 0.1 / (1 + m))
    history = trainer.fit(x, y)
    assert history.lr == pytest.approx([0.1, 0.05, 0.1 / 3])
    assert trainer.optimizer.lr == pytest.approx(0.1 / 3)


def test_callbacks_see_batches_and_epochs_and_stop_stops(data):
    x, y = data
    trainer = make(x, y, epochs=3, batch_size=100)
    events = []

    def cb(event):
        events.append(event)
        if isinstance(event, BatchEnd) and event.iteration == 4:
            trainer.stop()

    trainer.callbacks.append(cb)
    history = trainer.fit(x, y, x[:50], y[:50])
    kinds = [type(e).__name__ for e in events]
    assert kinds == ["BatchEnd"] * 3 + ["EpochEnd", "BatchEnd", "Stopped"]
    end = events[3]
    assert isinstance(end, EpochEnd) and end.val_acc is not None and end.epochs == 3
    assert events[-1].reason == "stopped" and history.stopped == "stopped"
    assert len(history.loss) == 4 and history.epochs == 1 and trainer.epoch == 1


def test_validation_accuracy_and_loss_per_epoch(data):
    x, y = data
    history = make(x, y, epochs=2, batch_size=32).fit(x[::2], y[::2], x[1::2], y[1::2])
    assert len(history.val_acc) == 2 and all(0 <= a <= 1 for a in history.val_acc)
    assert all(v > 0 for v in history.val_loss)
    text = history.table()
    assert text.splitlines()[0].split()[:3] == ["epoch", "loss", "train"]
    assert len(text.splitlines()) == 3
    noted = history.table(accuracy_note=True).splitlines()   # as graphscope train prints it
    assert noted[:3] == text.splitlines() and noted[3].startswith("(train acc: over the epoch's batches, in training")


def test_divergence_stops_and_names_the_node(data):
    x, y = data
    trainer = make(x, y, lr=1e9, epochs=5, batch_size=100)
    stops = []
    trainer.callbacks.append(lambda e: stops.append(e) if isinstance(e, Stopped) else None)
    with pytest.raises(TrainingDiverged) as info:
        trainer.fit(x, y)
    err = info.value
    assert isinstance(err, gs.GraphscopeError)
    assert err.origin is not None and err.origin.name in str(err)
    assert "training diverged" in str(err) and f"iteration {err.iteration}" in str(err)
    assert all(np.all(np.isfinite(p.value)) for p in trainer.params)  # no step from the NaN loss
    assert stops and stops[0].reason == "diverged"
    assert trainer.history.stopped == "diverged"


def test_labels_leaf_named_y_for_a_regression_loss():
    rng = np.random.default_rng(0)
    x = rng.normal(size=(64, 3))
    t = x @ np.array([[1.0], [-2.0], [0.5]])
    W = gs.param(np.zeros((3, 1)), name="W")
    X = gs.tensor(x, name="x")
    Y = gs.tensor(t, name="y")
    loss = ((X @ W - Y) ** 2).mean()
    history = gs.Trainer(loss, SGD([W], 0.1), batch_size=16, epochs=30, progress=False).fit(x, t)
    assert history.train_acc == [None] * 30
    np.testing.assert_allclose(W.value.ravel(), [1.0, -2.0, 0.5], atol=1e-3)


def test_the_only_input_leaf_is_the_input(data):
    x, y = data
    W = gs.param(np.zeros((2, 3)), name="W")
    loss = gs.softmax_cross_entropy(gs.tensor(x) @ W, y)
    trainer = gs.Trainer(loss, SGD([W], 0.1), epochs=1, progress=False)
    assert trainer.roles.input.role == "input" and trainer.roles.scores.op == "matmul"
    trainer.fit(x, y)


def test_graphs_it_cannot_read_get_a_message_naming_what_to_name(data):
    x, y = data
    W = gs.param(np.zeros((2, 3)), name="W")
    a, b = gs.tensor(x, name="a"), gs.tensor(x, name="b")
    loss = gs.softmax_cross_entropy((a + b) @ W, y)
    with pytest.raises(gs.GraphscopeError, match=r"2 input leaves \(a .*b .*name the one that takes the "
                                                 r"examples 'x'.*or pass x="):
        gs.Trainer(loss, SGD([W], 0.1))
    trainer = gs.Trainer(loss, SGD([W], 0.1), x="a", progress=False)
    assert trainer.roles.input.name == "a"
    plain = (gs.tensor(x, name="x") @ W).sum()
    with pytest.raises(gs.GraphscopeError, match="no leaf named 'y'"):
        gs.Trainer(plain, SGD([W], 0.1))
    with pytest.raises(gs.GraphscopeError, match="does not depend on"):
        gs.Trainer(loss, SGD([gs.param(np.zeros(2), name="stray")], 0.1), x="a")
    with pytest.raises(gs.GraphscopeError, match="batch_size must be an integer >= 1"):
        gs.Trainer(loss, SGD([W], 0.1), x="a", batch_size=0)


@pytest.mark.parametrize("setting, value, words", [
    ("epochs", 0, "epochs must be an integer >= 1, got 0"),
    ("epochs", -2, "epochs must be an integer >= 1, got -2"),
    ("epochs", 2.0, "epochs must be an integer >= 1, got 2.0"),
    ("batch_size", -1, "batch_size must be an integer >= 1, got -1"),
    ("batch_size", 32.5, "batch_size must be an integer >= 1, got 32.5"),
    ("batch_size", "32", "batch_size must be an integer >= 1, got '32'"),
    ("batch_size", True, "batch_size must be an integer >= 1, got True"),
    ("seed", "abc", "seed must be an integer >= 0 or None, got 'abc'"),
    ("reg", float("inf"), "reg must be a number >= 0, got inf"),
])
def test_bad_settings_are_refused_with_one_line_naming_them(data, setting, value, words):
    x, y = data
    with pytest.raises(gs.ArgumentError) as info:
        make(x, y, **{setting: value})
    assert str(info.value) == f"Trainer: {words}"


def test_every_bad_setting_is_named_in_the_one_message_and_later_changes_are_checked_too(data):
    x, y = data
    with pytest.raises(gs.ArgumentError, match=r"^Trainer: batch_size must be an integer >= 1, got 0; "
                                               r"epochs must be an integer >= 1, got 0$"):
        make(x, y, batch_size=0, epochs=0)
    trainer = make(x, y, epochs=1)
    for setting in ("epochs", "batch_size"):
        with pytest.raises(gs.ArgumentError, match=f"Trainer: {setting} must be an integer >= 1, got 0"):
            setattr(trainer, setting, 0)
    trainer.epochs, trainer.batch_size = np.int64(2), 100
    assert (trainer.epochs, trainer.batch_size) == (2, 100) and type(trainer.epochs) is int
    assert trainer.fit(x, y).epochs == 2


def test_bad_data_gets_one_clear_message(data):
    x, y = data
    trainer = make(x, y, epochs=1)
    with pytest.raises(gs.GraphscopeError, match=r"examples of shape \(5,\) but the input x takes rows of shape \(2,\)"):
        trainer.fit(np.zeros((10, 5)), np.zeros(10, dtype=int))
    with pytest.raises(gs.GraphscopeError, match="300 examples but 299 labels"):
        trainer.fit(x, y[:-1])
    with pytest.raises(gs.GraphscopeError, match=r"class labels must be whole numbers: y_train\[0\] = 0.5"):
        trainer.fit(x, y + 0.5)


def test_quiet_when_not_a_terminal(data, capsys):
    x, y = data
    make(x, y, epochs=1, progress=None).fit(x, y)
    captured = capsys.readouterr()
    assert captured.out == "" and captured.err == ""


def test_history_json_round_trip(data, tmp_path):
    x, y = data
    history = make(x, y, epochs=2, batch_size=100).fit(x, y, x, y)
    path = tmp_path / "h.json"
    history.save(path)
    back = gs.History.from_dict(__import__("json").loads(path.read_text()))
    assert back.loss == pytest.approx(history.loss) and back.val_acc == history.val_acc
    assert back.settings["batch_size"] == 100 and back.settings["iterations_per_epoch"] == 3
    assert math.isclose(back.epoch_loss()[0], sum(history.loss[:3]) / 3)


def test_the_flattened_plan_trains_exactly_like_the_general_path(data, monkeypatch):
    from graphscope.engine import hooks
    x, y = data[0].astype(np.float64), data[1]
    runs = []
    for observed in (False, True):
        if observed:  # an observer makes the trainer use graph.run and graph.backward for every batch
            monkeypatch.setattr(hooks, "FORWARD_HOOKS", [lambda node: None])
            import graphscope.train.plan as plan_module
            monkeypatch.setattr(plan_module, "FORWARD_HOOKS", hooks.FORWARD_HOOKS)
        loss = two_layer(x, y, seed=5)
        trainer = gs.Trainer(loss, Momentum(loss.graph().params, 0.05), batch_size=32, epochs=2, reg=1e-3,
                             dtype="float64", progress=False)
        history = trainer.fit(x, y)
        runs.append((history.loss, [p.value.copy() for p in trainer.params], trainer._plan.usable()))
    (fast_loss, fast_params, fast_used), (slow_loss, slow_params, slow_used) = runs
    assert fast_used and not slow_used
    assert fast_loss == slow_loss
    for a, b in zip(fast_params, slow_params):
        np.testing.assert_array_equal(a, b)


def test_a_walk_the_plan_gives_up_halfway_adds_each_gradient_once(data):
    """A custom VJP that raises at every other call (the plan's, in the run without observers) and works at the
    next (the general path's); the plan gives up after the softmax branch filled W1..b2 and must leave them as
    they were (else the general path would add its gradients on top)."""
    from graphscope.engine import hooks
    import graphscope.train.plan as plan_module

    @gs.custom_op(name="half_square_in_place")
    def half_square(w):
        return 0.5 * np.sum(w * w)

    calls = {"n": 0, "flaky": True}

    @half_square.vjp
    def _(g, w, value):
        calls["n"] += 1
        if calls["flaky"] and calls["n"] % 2:  # the plan's call of each batch
            raise RuntimeError("fails on the plan's walk only")
        return (g * w,)

    x, y = data
    runs = []
    for observed in (False, True):
        calls["flaky"] = not observed
        if observed:  # the general path for every batch
            hooks.FORWARD_HOOKS.append(lambda node: None)
        try:
            rng = np.random.default_rng(5)
            W1, b1 = gs.param(rng.normal(size=(2, 16)), name="W1"), gs.param(np.zeros(16), name="b1")
            W2, b2 = gs.param(rng.normal(size=(16, 3)) * 0.3, name="W2"), gs.param(np.zeros(3), name="b2")
            penalty = half_square(W1)  # recorded first, so walked last, with the seed the add passes on
            scores = gs.relu(gs.tensor(x, name="x") @ W1 + b1) @ W2 + b2
            loss = gs.softmax_cross_entropy(scores, y) + penalty
            trainer = gs.Trainer(loss, SGD(loss.graph().params, 0.1), batch_size=50, epochs=2, progress=False)
            history = trainer.fit(x, y)
        finally:
            if observed:
                hooks.FORWARD_HOOKS.pop()
        assert plan_module.Plan.usable() is True
        runs.append((history.loss, [p.value.copy() for p in trainer.params]))
    assert runs[0][0] == runs[1][0]
    for a, b in zip(runs[0][1], runs[1][1]):
        np.testing.assert_array_equal(a, b)


def test_bad_labels_in_a_later_batch_are_refused_before_the_first(data):
    x, y = data
    trainer = make(x, y, epochs=1, batch_size=100, shuffle=False)
    bad = y.copy()
    bad[250] = 7
    with pytest.raises(gs.GraphscopeError, match=r"y_train\[250\] is 7, but the scores have 3 classes"):
        trainer.fit(x, bad)
    assert trainer.history.loss == []


def test_optimizer_state_follows_the_training_dtype(data):
    x, y = data
    loss = two_layer(x.astype(np.float64), y)
    opt = Momentum(loss.graph().params, 0.1)
    assert opt.v[0].dtype == np.float64
    gs.Trainer(loss, opt)
    assert all(v.dtype == np.float32 for v in opt.v)


def test_an_input_that_requires_a_gradient_gets_none_from_training(data):
    x, y = data
    W = gs.param(np.zeros((2, 3)), name="W")
    X = gs.tensor(x[:10], requires_grad=True, name="x")
    loss = gs.softmax_cross_entropy(X @ W, y[:10])
    trainer = gs.Trainer(loss, SGD([W], 0.5), batch_size=32, epochs=2, progress=False)  # last batch: 12 rows
    trainer.fit(x, y)
    assert X.grad is None and W.grad is not None
    matmul = next(step for step in trainer._plan.backward_steps if step[0].op == "matmul")
    assert matmul[3] == (False, True)  # dX skipped, dW computed


def test_an_mlp_reaches_97_percent_validation_accuracy_on_digits_within_30_epochs():
    """The quality bar: standardized digits, a one-hidden-layer MLP, Adam, 30 epochs, seeded."""
    x, y = gs.data.digits()
    x_train, y_train, x_val, y_val = gs.data.train_val_split(x, y, val_fraction=0.2, seed=0)
    x_train, x_val = gs.data.standardize(x_train, x_val)
    net = gs.nn.MLP([64, 256, 10], rng=0)
    loss = gs.softmax_cross_entropy(net(gs.tensor(x_train[:32], name="x")), y_train[:32])
    trainer = gs.Trainer(loss, gs.optim.Adam(loss.graph().params, lr=3e-3), batch_size=32, epochs=30, reg=1e-3,
                         seed=0, progress=False)
    history = trainer.fit(x_train, y_train, x_val, y_val)
    assert history.epochs == 30 and len(history.val_acc) == 30
    assert max(history.val_acc) >= 0.97
    acc, _ = trainer.evaluate(x_val, y_val)
    assert acc >= 0.97


def test_the_progress_bar_redraws_a_few_times_however_many_batches_and_ends_full(monkeypatch):
    from rich.progress import Progress
    from graphscope.train.progress import Bar
    updates = []
    real = Progress.update
    monkeypatch.setattr(Progress, "update", lambda self, task, **kw: (updates.append(kw), real(self, task, **kw)))
    notes = []
    with Bar(5000, "training", True) as bar:
        for i in range(5000):
            bar.advance(lambda i=i: notes.append(i) or f"batch {i}")
        progress = bar._progress
    assert progress.tasks[0].completed == 5000
    assert len(updates) < 50 and len(notes) == len(updates) - 1  # the last update only adds the count


def test_examples_holding_a_nan_or_an_infinity_are_refused_before_training(data):
    x, y = data
    bad = x.copy()
    bad[100, 0] = np.inf
    trainer = make(x, y, epochs=1)
    before = [p.value.copy() for p in trainer.params]
    with pytest.raises(gs.GraphscopeError, match=r"x_train\[100, 0\] is inf \(1 of \d+ entries are not finite\)"):
        trainer.fit(bad, y)
    assert all(np.array_equal(p.value, b) for p, b in zip(trainer.params, before))
    with pytest.raises(gs.GraphscopeError, match=r"x_val\[3, 1\] is nan"):
        bad_val = x.copy()
        bad_val[3, 1] = np.nan
        trainer.fit(x, y, bad_val, y)
