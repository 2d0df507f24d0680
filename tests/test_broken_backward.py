"""A custom op whose VJP raises, or returns a gradient of the wrong shape: every view still steps and draws the
graph. The forward steps are all there; the backward phase runs up to that node, whose step is an error step
(the engine's words, the user's line), and ends there; the nodes it never reached say so."""
import re
import shlex

import numpy as np
import pytest

from cli_run import graphscope
from optable_guard import op_table_guard  # noqa: F401  (fixture)
from graphscope.engine.errors import BackwardError, VJPError
from graphscope.stepper import BACKWARD, FORWARD, StepError, Stepper, explain
from graphscope.stepper.state import FAILED, NOT_REACHED, UNREACHED
from graphscope.userfile import load_graph_file
from graphscope.viz import Picture, theme

pytestmark = pytest.mark.usefixtures("op_table_guard")

# The op is named per file (custom ops are global); BODY is its VJP's body. x * x on a (3,) input, summed, plus
# the same through a correct op, so the pass meets the broken node after some correct steps.
TEMPLATE = '''import numpy as np
import graphscope as gs

@gs.custom_op
def good_{name}(x):
    return x * x

@good_{name}.vjp
def good_{name}_vjp(g, x, value):
    return (2 * x * g,)

@gs.custom_op
def {name}(x):
    return x * x

@{name}.vjp
def {name}_vjp(g, x, value):
    {body}

def build():
    a = gs.tensor(np.array([1.0, 2.0, 3.0]), requires_grad=True, name="a")
    return gs.sum(good_{name}(a)) + gs.sum({name}(a))
'''
BODIES = {
    "raises": ("return (g * 2 * y,)", "the VJP raised NameError: name 'y' is not defined"),
    "wrong_shape": ("return (np.sum(g * 2 * x),)", "the VJP returned a gradient of shape () for input a of shape (3,)"),
    "right": ("return (2 * x * g,)", None),
}


def write(tmp_path, kind):
    name = f"sq_{kind}"
    path = tmp_path / f"{kind}.py"
    path.write_text(TEMPLATE.format(name=name, body=BODIES[kind][0]))
    return path


@pytest.fixture(params=["raises", "wrong_shape"])
def broken(request, tmp_path):
    """(kind, file, graph, the broken node, the engine's words for what went wrong)."""
    kind = request.param
    path = write(tmp_path, kind)
    graph = load_graph_file(str(path))
    node = next(n for n in graph.nodes if n.op == f"sq_{kind}")
    return kind, path, graph, node, BODIES[kind][1]


def test_the_engine_adds_nothing_from_a_step_whose_vjp_fails_and_names_the_node():
    import graphscope as gs

    @gs.custom_op
    def half_right(x, y):
        return x * y

    @half_right.vjp
    def _(g, x, y, value):
        return g * y, np.sum(g * x)  # the second has the wrong shape

    x = gs.tensor(np.ones(3), requires_grad=True, name="x")
    y = gs.tensor(np.ones(3), requires_grad=True, name="y")
    out = half_right(x, y)
    with pytest.raises(BackwardError) as caught:
        gs.sum(out).backward()
    assert caught.value.node is out
    assert caught.value.summary == "half_right: the VJP returned a gradient of shape () for input y of shape (3,)"
    assert caught.value.location == f"{__file__}:{_.__code__.co_firstlineno}"  # the user's VJP
    assert x.grad is None and y.grad is None  # x's contribution was right, but the step as a whole failed


def same_kind(node, other, kind):
    """The same op at the same place of the two graphs (the broken op's name differs from the right one's)."""
    return str(node.op).replace(kind, "right") == str(other.op) and node.role == other.role


def test_forward_steps_all_there_backward_up_to_the_broken_node_unchanged(broken, tmp_path):
    kind, _, graph, node, words = broken
    good = load_graph_file(str(write(tmp_path, "right")))
    st, ref = Stepper(graph), Stepper(good)
    assert st.n_forward == ref.n_forward == len(graph.nodes)
    for a, b in zip(st.events[:st.n_forward], ref.events[:ref.n_forward]):
        assert same_kind(a.node, b.node, kind) and np.array_equal(a.value, b.value)
    error = st.events[-1]
    assert error.phase == BACKWARD and error.node is node and error.edges == () and error.error is not None
    assert isinstance(error.error, VJPError) == (kind == "raises")
    assert words in error.error.summary and error.error.node is node
    # the steps before the break are the correct graph's, one for one
    before = st.events[st.n_forward:-1]
    assert len(before) == 2  # the seed (add) and the sum over the broken op
    for a, b in zip(before, ref.events[ref.n_forward:]):
        assert same_kind(a.node, b.node, kind) and np.array_equal(a.upstream, b.upstream)
        assert all(np.array_equal(e.contribution, f.contribution) for e, f in zip(a.edges, b.edges))
        assert len(a.edges) == len(b.edges) and all(same_kind(e.input, f.input, kind) for e, f in zip(a.edges, b.edges))
    assert st.recording.broken is node and st.recording.error_step == len(st) - 1


def test_the_nodes_never_reached_keep_no_gradient_and_say_so(broken):
    _, _, graph, node, _ = broken
    st = Stepper(graph)
    a = graph.node("a")
    good = next(n for n in graph.nodes if n.op and n.op.startswith("good_"))
    before, at, final = st.at(-2), st.at(-1), st.final()
    assert before.status(a) == "pending" and before.grad_status(a) == "none"
    assert at.status(a) == UNREACHED and at.grad_status(a) == NOT_REACHED and at.grad(a) is None
    assert at.status(good) == UNREACHED and at.stopped_at is node
    assert at.status(node) == "current" and final.status(node) == FAILED
    assert a.grad is None and good.grad is None  # the graph itself: what backward() left before it stopped
    with pytest.raises(StepError, match=f"stopped at {node.name} before reaching it"):
        st.find(a, BACKWARD)
    assert "backward pass stopped at" in final.caption()


def test_an_optimizer_gets_no_update_phase_after_a_stopped_pass(broken):
    import graphscope as gs
    _, _, graph, node, _ = broken
    leaf = graph.node("a")
    st = Stepper(graph, optimizer=gs.optim.SGD([leaf], lr=0.1))
    assert st.n_update == 0 and st.update_note == f"no update phase: the backward pass stopped at {node.name} " \
                                                   f"(its VJP failed)"


def test_the_error_step_text_names_what_the_vjp_did_wrong_and_the_users_line(broken):
    kind, path, graph, node, words = broken
    st = Stepper(graph)
    text = "\n".join(explain.lines(st.events[-1], graph.output))
    assert f"VJP failed: {node.op}: {words}" in text
    line = 18 if kind == "raises" else 16  # the raising line; where the VJP is defined, for a wrong result
    assert re.search(rf"at \S*{path.name}:{line} in {node.op}_vjp", text), text
    assert "the backward pass stops here: nothing flows back to a" in text
    assert re.search(r"not reached: sum_\d+, good_sq_\w+_\d+, a \(no backward step ran at them\)", text), text


def test_the_picture_marks_the_broken_node_in_the_error_colour_from_its_step_on(broken):
    _, _, graph, node, words = broken
    picture = Picture(Stepper(graph))
    key = picture.view.item_of[node].key
    at = picture.dot(picture.state(node=node.name, phase=BACKWARD)).replace("&#160;", " ")
    before = picture.dot(picture.state(step=picture.stepper.n_forward)).replace("&#160;", " ")
    card = next(line for line in at.splitlines() if line.strip().startswith(f"{key} ["))
    assert theme.ORIGIN_BORDER in card and "backward stopped here:" in card and words[:20] in card
    assert f"not reached: the backward pass stopped at {node.name}" in at
    card = next(line for line in before.splitlines() if line.strip().startswith(f"{key} ["))
    assert theme.ORIGIN_BORDER not in card and "backward stopped here:" not in card
    assert theme.BROKEN_LEGEND in at                                        # the legend explains the mark shown
    assert "not reached" not in before and theme.BROKEN_LEGEND not in before  # and lists no mark before it


def test_a_normal_graph_has_no_error_step_and_no_mark(tmp_path):
    graph = load_graph_file(str(write(tmp_path, "right")))
    st = Stepper(graph)
    assert st.recording.broken is None and all(getattr(e, "error", None) is None for e in st.events)
    assert all(st.final().grad_status(n) != NOT_REACHED for n in graph.nodes)
    assert Picture(st).origin(st.final()) is None


def command_of(line):
    return shlex.split(line.split("to look at it: ", 1)[1])[1:]


def test_check_still_fails_and_its_suggestion_draws_the_error_step(broken, tmp_path):
    kind, path, _, node, _ = broken
    ran = graphscope("check", path.name, cwd=tmp_path).expect(1)
    hint = next(line for line in ran.out.splitlines() if "to look at it: graphscope export" in line)
    args = command_of(hint)
    name = args[args.index("--node") + 1]  # node names count from the start of the process
    assert name.startswith(f"{node.op}_") and args[args.index("--phase") + 1] == BACKWARD
    drawn = graphscope(*args, cwd=tmp_path).expect(0)
    svg = (tmp_path / f"{name}.svg").read_text()
    assert "<svg" in svg and theme.ORIGIN_BORDER in svg and "backward stopped here:" in svg
    warnings = drawn.err.strip().splitlines()
    assert len(warnings) == 1 and f"the backward pass stopped at {name}" in warnings[0]
    assert f"{node.name}'s VJP failed" in drawn.out or "its VJP failed" in drawn.out


def test_export_forward_html_and_demo_succeed_with_one_warning(tmp_path):
    path = write(tmp_path, "wrong_shape")
    forward = graphscope("export", path.name, "--node", "a", "--phase", FORWARD, "-o", "a.svg", cwd=tmp_path).expect(0)
    assert (tmp_path / "a.svg").exists() and len(forward.err.strip().splitlines()) == 1
    graphscope("export", path.name, "-o", "steps.html", cwd=tmp_path).expect(0)
    html = (tmp_path / "steps.html").read_text()
    assert "VJP failed" in html or "the VJP returned a gradient of shape ()" in html
    assert str(tmp_path) not in html  # the user's line is shown as a shared file shows it
    demo = graphscope("demo", path.name, cwd=tmp_path).expect(0)
    assert "VJP failed: sq_wrong_shape: the VJP returned a gradient of shape ()" in demo.out
    assert "da = not reached: the backward pass stopped at sq_wrong_shape_" in demo.out
    assert len(demo.err.strip().splitlines()) == 1 and "warning: the backward pass stopped at" in demo.err


def test_the_player_panel_shows_the_failed_vjp(browser, tmp_path):
    from selenium.webdriver.common.by import By
    from graphscope import viz
    graph = load_graph_file(str(write(tmp_path, "raises")))
    st = Stepper(graph)
    path = tmp_path / "p.html"
    viz.export(st, str(path), step=-1)
    browser.get(path.as_uri())
    panel = browser.find_element(By.ID, "panel").text
    assert "VJP failed: sq_raises: the VJP raised NameError" in panel
    assert "raises.py:18 in sq_raises_vjp" in panel and "not reached:" in panel
    assert browser.get_log("browser") == []


async def test_the_tui_steps_to_the_error_step_and_says_the_pass_stopped(tmp_path):
    from graphscope.tui import GraphscopeApp
    from graphscope.tui.widgets.tape import Tape
    path = write(tmp_path, "raises")
    app = GraphscopeApp(load_graph_file(str(path)), "raises.py", str(path))
    app.cursor_blink = False
    async with app.run_test(size=(200, 40)) as pilot:
        await pilot.press("b")
        await pilot.pause()
        await pilot.pause()
        status = str(app.screen.query_one("#status").render())
        inspector = str(app.screen.query_one("#inspector-body").render())
        tape = app.screen.query_one(Tape)
        rows = [tape.render_line(y).text for y in range(tape.scrollable_content_region.height)]
        assert "its VJP failed: the backward pass stopped here" in status
        assert "VJP failed: sq_raises: the VJP raised NameError" in inspector and "not reached: " in inspector
        assert any(row.split()[2:3] == ["a"] and "not reached" in row for row in rows if row.strip()), rows
        await pilot.press("p")
        await pilot.pause()
        assert "stopped" not in str(app.screen.query_one("#status").render())


async def test_the_tui_graph_draws_the_broken_box_in_the_error_colour_from_its_step_on(tmp_path):
    from graphscope.tui import GraphscopeApp
    from graphscope.tui.widgets.graphview import GraphView
    path = write(tmp_path, "raises")
    app = GraphscopeApp(load_graph_file(str(path)), "raises.py", str(path))
    app.cursor_blink = False

    def border_colours():
        """The colours of the box-drawing characters on the row that holds the broken node's label."""
        view = app.screen.query_one(GraphView)
        for y in range(view.scrollable_content_region.height):
            strip = view.render_line(y)
            if re.search(r"(?<!good_)sq_raises_\d", strip.text):
                return {seg.style.color.name for seg in strip if seg.style and seg.style.color
                        and seg.text.strip() and set(seg.text.strip()) <= set("│┃┆║")}
        raise AssertionError("the broken node's box is not on screen")

    red = theme.ORIGIN_BORDER.lower()
    async with app.run_test(size=(200, 40)) as pilot:
        await pilot.press("f")  # the end of the forward pass: nothing has failed yet
        await pilot.pause()
        assert red not in {c.lower() for c in border_colours()}
        await pilot.press("b")  # the error step and after
        await pilot.pause()
        assert red in {c.lower() for c in border_colours()}
