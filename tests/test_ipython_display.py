"""What IPython shows of graphscope's reports as a cell's last value: the readable text print gives, not a dump."""
import numpy as np
import pytest

import graphscope as gs
from graphscope.train.health import diagnose

pretty = pytest.importorskip("IPython.lib.pretty").pretty


@pytest.fixture(scope="module")
def trained():
    x, y = gs.train.spiral()
    net = gs.nn.MLP([2, 100, 3], rng=0)
    loss = gs.softmax_cross_entropy(net(gs.tensor(x[:32], name="x")), y[:32])
    opt = gs.optim.Adam(loss.graph().params, lr=1e-2)
    trainer = gs.Trainer(loss, opt, epochs=1)
    trainer.fit(x, y)
    return net, loss, opt, trainer


def test_layer_stats_show_their_table_and_a_short_repr(trained):
    _, loss, _, _ = trained
    stats = gs.layer_stats(loss)
    assert pretty(stats) == str(stats) and "act mean" in pretty(stats)
    assert len(repr(stats)) < 120 and "fc1" in repr(stats)
    one = stats["fc1"]
    assert pretty(one) == str(one) and "fc1.W" in pretty(one) and "counts=" not in pretty(one)
    assert len(repr(one)) < 200 and "array(" not in repr(one)
    act = one.activation
    assert pretty(act).startswith("mean=") and "std=" in pretty(act) and len(repr(act)) < 120
    assert "bins over" in repr(act.histogram) and "array(" not in repr(one.params)


def test_sanity_report_and_diagnosis_show_what_print_shows(trained):
    _, loss, _, trainer = trained
    report = trainer.sanity_check()
    assert pretty(report) == str(report) and "Check(" not in pretty(report)
    assert report.summary() in repr(report) and "\n" not in repr(report)
    assert pretty(report.checks[0]) == report.checks[0].line()
    found = diagnose(gs.layer_stats(loss))
    assert not found and pretty(found) == str(found) and pretty(found).startswith("no vanishing")
    assert "nothing found" in repr(found) and found == []


def test_optimizer_state_is_summarized_not_dumped(trained):
    net, _, opt, _ = trained
    state = opt.state_of(net["fc1"].W)
    assert set(state) == {"m", "v"} and isinstance(state["m"], np.ndarray)
    text = pretty(state)
    assert text == repr(state) and "(2, 100) float32" in text and "mean=" in text and len(text) < 200


def test_a_step_prints_and_displays_its_numbers_and_keeps_a_short_repr():
    x, y, z = (gs.tensor(v, requires_grad=True, name=n) for n, v in (("x", -2.0), ("y", 5.0), ("z", -4.0)))
    f = (x + y) * z
    st = gs.Stepper(f)
    event = st.goto(7) or st.event
    text = str(event)
    assert repr(event) == f"<step 7 backward {event.node.name}>"
    assert f"upstream d{f.name}/d{event.node.name} = -4" in text
    assert "contribution = upstream × local = -4 × 1 = -4" in text and f"d{f.name}/dx = -4" in text
    assert pretty(event) == text
    assert pretty(st.events[1]) == str(st.events[1]) and "y = 5" in str(st.events[1])


def test_a_large_tensor_shows_shape_dtype_aligned_rows_and_a_summarized_gradient():
    W = gs.param(np.random.default_rng(0).normal(size=(1000, 1000)).astype(np.float32), name="W")
    (W * W).sum().backward()
    text = repr(W)
    lines = text.splitlines()
    assert "shape=(1000, 1000)" in text and "dtype=float32" in text and "grad=<mean=" in text
    assert len(lines) == 7 and all(line.startswith("        [") or line.startswith("        ...") for line in lines[1:])


def test_small_empty_and_elided_tensors():
    x = gs.tensor(np.array([[1.0, 2.0], [3.0, 4.0]]), name="x", requires_grad=True)
    (x * x).sum().backward()
    assert repr(x) == ("tensor([[1., 2.],\n        [3., 4.]], name='x', input, grad=[[2., 4.],\n"
                       + " " * 42 + "[6., 8.]])")
    assert repr(gs.tensor(np.zeros((0, 3)), name="e")) == "tensor([], shape=(0, 3), name='e', input)"
    assert "shape=(13,)" in repr(gs.tensor(np.arange(13.0), name="v"))
    assert repr(gs.tensor(125875.80359451691, name="loss")) == "tensor(125875.8036, name='loss', input)"
    assert repr(gs.tensor(np.ones(3), name="v")) == "tensor([1., 1., 1.], name='v', input)"
