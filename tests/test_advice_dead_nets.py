"""Advice that follows the cause when a net cannot learn at any rate, and checks that say what they did.

Two sick nets of the lecture, 10 layers deep: ReLU with every bias -3 (dead units, every weight gradient exactly 0)
and sigmoid with N(0, 0.01^2) weights (vanishing gradients, ~1e-19 at the first layer). The overfit sanity check
and a search that learned nothing lead with the layer diagnosis and suggest no larger learning rate; a check not
performed reads [skip]; the layer diagnosis and `graphscope check` say what they measured.
"""
import numpy as np
import pytest

import graphscope as gs
from cli_run import in_process
from graphscope.cli import main
from graphscope.engine.graphcheck import NOT_JUDGED_STATUS, check_graph
from graphscope.train.health import diagnose
from graphscope.train.monitor import LayerStats, LayerStatsList, Summary
from graphscope.train.search import search
from graphscope.train.search_verdict import judge

pytestmark = pytest.mark.filterwarnings("ignore::RuntimeWarning")

#: A training file: 4 features, 3 unbalanced classes (60/25/15%, so the last bias alone moves the loss a little).
NET_FILE = '''
import numpy as np
import graphscope as gs

def data(n=90, seed=0):
    rng = np.random.default_rng(seed)
    x = rng.standard_normal((n, 4))
    y = rng.choice(3, size=n, p=[0.6, 0.25, 0.15])
    return x, y, x[:30], y[:30]

def build(activation={activation!r}, init={init!r}, bias={bias!r}):
    x, y, _, _ = data()
    mlp = gs.nn.MLP([4] + [20] * 9 + [3], activation=activation, init=init, bias=bias, rng=0)
    scores = mlp(gs.tensor(x[:32], name="x"))
    scores.name = "scores"
    return gs.softmax_cross_entropy(scores, y[:32])
'''
NETS = {"dead relu": {"activation": "relu", "init": "he", "bias": -3.0},
        "vanishing sigmoid": {"activation": "sigmoid", "init": "normal", "bias": 0.0}}


def net_module(kind):
    namespace = {}
    exec(compile(NET_FILE.format(**NETS[kind]), f"<{kind} net>", "exec"), namespace)
    return namespace


def net_file(tmp_path, kind):
    path = tmp_path / f"{kind.replace(' ', '_')}.py"
    path.write_text(NET_FILE.format(**NETS[kind]))
    return str(path)


def trainer_of(kind, lr=0.01):
    m = net_module(kind)
    loss = m["build"]()
    x, y, _, _ = m["data"]()
    return gs.Trainer(loss, gs.optim.SGD(loss.graph().params, lr=lr), progress=False), x, y


# ---------------------------------------------------------------- the overfit check of a net that cannot learn

@pytest.mark.parametrize("kind, finding, then", [
    ("dead relu", "dead units", "- no gradient: fc1 ... fc9 (17 scopes) get exactly 0: the dead units of relu"),
    ("vanishing sigmoid", "vanishing gradients", "a larger rate only scales gradients that are 0 or ~0")])
def test_the_overfit_check_of_a_net_no_rate_can_train_leads_with_the_layer_diagnosis(kind, finding, then):
    trainer, x, y = trainer_of(kind)
    before = [np.array(p.value, copy=True) for p in trainer.params]
    overfit = trainer.sanity_check(x, y).checks[2]
    assert not overfit.ok and overfit.advice.startswith("no learning rate can help")
    assert overfit.advice.splitlines()[1].startswith(f"- {finding}")
    assert "larger learning rate" not in overfit.advice and "try a learning rate near" not in overfit.advice
    assert then in overfit.advice.splitlines()[2]
    assert "gradient/weight RMS: fc1.W" in overfit.advice          # the ratios the README promises
    assert "\n       - " + finding in overfit.line()               # every advice line indented under the check
    assert all(np.array_equal(p.value, b) for p, b in zip(trainer.params, before))


def test_train_sanity_on_the_dead_net_names_dead_units_and_exits_1(tmp_path, capsys):
    code, out, err = in_process(main, capsys, "train", net_file(tmp_path, "dead relu"), "--sanity")
    assert code == 1, err
    assert "no learning rate can help" in out and "dead units" in out and "try a larger" not in out
    assert out.strip().splitlines()[-1] == "sanity checks: 1 of 3 failed"


# ---------------------------------------------------------------- a search over a net that cannot learn

def test_search_over_the_dead_net_leads_with_dead_units_and_suggests_no_larger_rates(tmp_path, capsys):
    code, out, err = in_process(main, capsys, "search", net_file(tmp_path, "dead relu"), "--trials", "4", "--epochs",
                                "3", "--no-progress")
    assert code == 1, err
    verdict = out[out.index("nothing learned"):].splitlines()
    assert verdict[1] == "  no learning rate can help: at the initial parameters the layer diagnosis finds"
    assert verdict[2].startswith("    dead units") and "no gradient: fc1" in verdict[3]
    assert "too small" not in out and "--lr-range" not in out and "more epochs" not in out


def test_a_search_over_the_vanishing_net_keeps_the_finding_and_judges_no_rate_change():
    m = net_module("vanishing sigmoid")
    x, y, x_val, y_val = m["data"]()
    result = search(m["build"](), lambda params, lr: gs.optim.SGD(params, lr=lr), x, y, x_val, y_val, trials=3,
                    epochs=2, fine_trials=0, progress=False)
    assert [f.kind for f in result.blocked] == ["vanishing"]
    verdict = judge(result)
    assert not verdict.learned and verdict.lr_change == "" and verdict.lr_range is None
    assert verdict.blocked[1].startswith("vanishing gradients: fc1") and "vanishing gradients" in str(verdict)


# ---------------------------------------------------------------- checks not performed

ONE_HOT = np.eye(3)


def hand_written(offset):
    """-sum(y log softmax(x W)) / 3 + offset over one-hot labels: with an offset, neither what a softmax loss of
    the scores gives per example nor summed."""
    rng = np.random.default_rng(0)
    x, labels = rng.standard_normal((40, 2)), rng.integers(0, 3, 40)
    W = gs.param(rng.normal(scale=0.01, size=(2, 3)), name="W")
    scores = gs.tensor(x, name="x") @ W
    scores.name = "scores"
    loss = -gs.sum(gs.tensor(ONE_HOT[labels], name="y") * gs.log_softmax(scores)) / 3.0 + offset
    return loss, x, ONE_HOT[labels]


def test_an_initial_loss_that_matches_nothing_is_skipped_not_passed():
    loss, x, y = hand_written(offset=300.0)
    report = gs.Trainer(loss, gs.optim.SGD(loss.graph().params, lr=0.1), progress=False).sanity_check(x, y)
    initial = report.checks[0]
    assert initial.status == "skip" and not initial.performed and initial.line().startswith("[skip] initial loss:")
    assert "neither (" in initial.figure and "x its mean" in initial.figure
    assert not report.complete and report.summary().endswith(", 1 of 3 not performed ([skip])")
    assert report.ok == all(c.ok for c in report.checks[1:])      # a skipped check never fails the report


def test_a_net_without_weights_skips_the_regularization_check():
    rng = np.random.default_rng(0)
    x, y = rng.standard_normal((30, 3)), np.arange(30) % 3
    scores = gs.tensor(x, name="x") + gs.param(np.zeros(3), name="b")
    scores.name = "scores"
    loss = gs.softmax_cross_entropy(scores, y)
    report = gs.Trainer(loss, gs.optim.SGD(loss.graph().params, lr=0.1), progress=False).sanity_check(x, y)
    assert report.checks[1].line() == ("[skip] regularization raises the loss: not compared: no weights (parameters "
                                       "with 2+ axes) to regularize")


REGRESSION_FILE = '''
import numpy as np
import graphscope as gs

def data():
    x = np.random.default_rng(0).standard_normal((40, 3))
    return x, x @ np.array([[1.0], [-2.0], [0.5]]), None, None

def build():
    x, target, _, _ = data()
    diff = gs.tensor(x, name="x") @ gs.param(np.full((3, 1), 0.1), name="W") - gs.tensor(target, name="y")
    return gs.mean(diff * diff)
'''


def test_a_regression_passes_what_it_can_says_its_loss_once_and_exits_3_for_the_check_it_skipped(tmp_path, capsys):
    path = tmp_path / "regression.py"
    path.write_text(REGRESSION_FILE)
    code, out, err = in_process(main, capsys, "train", str(path), "--sanity", "--lr", "0.1")
    assert code == NOT_JUDGED_STATUS, out + err
    lines = out.strip().splitlines()
    assert lines[1].startswith("[skip] initial loss: ") and "no class scores" in lines[1]
    assert lines[2].startswith("[ok  ] regularization raises the loss")
    overfit = lines[3]
    assert overfit.startswith("[ok  ] overfit 20 examples: loss ") and overfit.count("loss ") == 1, overfit
    assert lines[-1] == "sanity checks: 2 of 3 passed, 1 of 3 not performed ([skip])"


# ---------------------------------------------------------------- what the diagnosis and the check measured

def scope(name, op, grad_std, dead=None):
    """A LayerStats whose gradient has the given std (zero mean), and `dead` the dead fraction of a relu."""
    grad = np.array([-grad_std, grad_std] * 8).reshape(4, 4)
    return LayerStats(name, f"{op}_1", op, (4, 4), Summary.of(np.ones((4, 4))), Summary.of(grad),
                      fraction=dead, fraction_kind=None if dead is None else "dead", examples=4)


def test_an_exploding_gradient_at_dead_units_says_it_only_reaches_their_output():
    stats = LayerStatsList([scope("relu2", "relu", 3.58e6, dead=1.0), scope("fc3", "add", 1.0)])
    text = str(diagnose(stats))
    assert "exploding gradients: relu2 gets more than 1000 times" in text
    assert "(the gradient reaching the output of relu2: its units are dead, they output 0, so none of it passes " \
           "back through it)" in text


def test_the_diagnosis_verbs_agree_with_how_many_scopes_they_name():
    one = str(diagnose(LayerStatsList([scope("fc1", "add", 1e-9), scope("fc3", "add", 1.0)])))
    two = str(diagnose(LayerStatsList([scope("fc1", "add", 1e-9), scope("fc2", "add", 1e-9),
                                       scope("fc3", "add", 1.0)])))
    assert "vanishing gradients: fc1 gets less than" in one and "vanishing gradients: fc1, fc2 get less than" in two
    healthy = str(diagnose(LayerStatsList([scope("fc1", "add", 2e3), scope("fc3", "add", 1.0)])))
    assert "exploding gradients: fc1 gets more than" in healthy and "dead" not in healthy


def test_check_says_gradients_are_about_0_when_they_vanish_and_0_when_they_are_0():
    vanishing = check_graph(net_module("vanishing sigmoid")["build"]().graph())
    assert "could not be judged (gradients ~0 (at most " in vanishing.verdict
    assert "all ~0" in vanishing.whole.table()
    dead = check_graph(net_module("dead relu")["build"]().graph())
    assert "could not be judged (gradients 0 wherever checked)" in dead.verdict and "all ~0" not in dead.whole.table()
