"""graphscope used from IPython cells: names that do not change when a cell runs again, cells named as IPython does."""
import gc

import numpy as np
import pytest

import graphscope as gs

IPython = pytest.importorskip("IPython")


@pytest.fixture(scope="module")
def shell():
    """An IPython shell (history kept in memory, not in ~/.ipython), gone again after these tests."""
    from IPython.core.interactiveshell import InteractiveShell
    from traitlets.config import Config
    config = Config()
    config.HistoryManager.hist_file = ":memory:"
    sh = InteractiveShell.instance(config=config)
    sh.run_cell("import numpy as np, graphscope as gs\nx = gs.tensor(np.ones((5, 2)), name='x')", store_history=True)
    yield sh
    sh.reset(new_session=False)   # the models the cells made (and Out) go: later tests start with none alive
    InteractiveShell.clear_instance()
    gc.collect()


def run(shell, src):
    """The value of cell `src` run as a user would (numbered, kept in the history); its error re-raised."""
    result = shell.run_cell(src, store_history=True)
    if result.error_in_exec is not None:
        raise result.error_in_exec
    return result.result


def test_a_standalone_layers_state_keys_do_not_depend_on_its_name():
    lin, other = gs.nn.Linear(2, 3), gs.nn.Linear(2, 3, name="enc")
    assert list(lin.state_dict()) == ["W", "b"] and list(other.state_dict()) == ["W", "b"]
    assert other.load_state_dict(lin.state_dict()) == ([], [])
    assert np.array_equal(other.W.value, lin.W.value)


def test_a_layer_made_in_another_cell_loads_the_state_of_the_first(shell):
    run(shell, "lin = gs.nn.Linear(2, 3); sd2 = lin.state_dict()")
    assert run(shell, "lin = gs.nn.Linear(2, 3); lin.load_state_dict(sd2)") == ([], [])


def test_a_cell_run_again_gives_its_layers_the_same_names(shell):
    cell = "lin2 = gs.nn.Linear(2, 3); lin2.W.name"
    assert run(shell, cell) == run(shell, cell) == run(shell, cell)
    layers = "ls = [gs.nn.Linear(2, 2) for _ in range(3)]; [l.W.name for l in ls]"
    first = run(shell, layers)
    assert len(set(first)) == 3 and run(shell, layers) == first   # one run's layers still differ


def test_a_model_cell_run_again_on_the_same_input_records_the_same_names(shell):
    cell = "net = gs.nn.MLP([2, 4, 3]); out = net(x); net; [p.name for p in out.graph().params]"
    names = run(shell, cell)
    assert run(shell, cell) == names and run(shell, cell) == names
    two = "a = gs.nn.MLP([2, 4, 3]); b = gs.nn.MLP([2, 4, 3]); [p.name for p in (a(x) + b(x)).graph().params]"
    both = run(shell, two)
    assert len(set(both)) == len(both) and run(shell, two) == both   # two models in one cell still differ


def test_errors_and_the_tape_name_the_cell_as_ipython_does(shell):
    with pytest.raises(gs.GraphscopeError) as caught:
        run(shell, "y = x @ x")
    n = shell.execution_count - 1
    assert f"at Cell In[{n}], line 1" in str(caught.value) and "ipython-input" not in str(caught.value)
    run(shell, "z = gs.tanh(x)\n(z * 2).sum()")
    n = shell.execution_count - 1
    from graphscope.engine.source import display_location
    assert display_location(run(shell, "z.source")) == f"Cell In[{n}], line 1"


def test_the_tape_and_nonfinite_warnings_name_the_cell(shell):
    import warnings
    run(shell, "neg = gs.tensor(np.array([1.0, -1.0]), name='neg', requires_grad=True)")
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        run(shell, "logged = gs.log(neg)\ntotal = logged.sum()")
    n = shell.execution_count - 1
    found = [w for w in caught if issubclass(w.category, gs.NonFiniteWarning)]
    assert found and found[0].filename == f"Cell In[{n}]" and found[0].lineno == 1
    assert "logged = gs.log(neg)" in warnings.formatwarning(found[0].message, found[0].category, found[0].filename,
                                                          found[0].lineno)
    tape = str(run(shell, "total.graph()"))
    assert f"Cell In[{n}], line 1" in tape and f"Cell In[{n}], line 2" in tape and "ipython-input" not in tape


def _shown_graphscope_frames(exc):
    """The graphscope frames of `exc`'s traceback that IPython and pytest show (not marked __tracebackhide__)."""
    tb, shown = exc.__traceback__, []
    while tb is not None:
        if "graphscope" in tb.tb_frame.f_code.co_filename and not tb.tb_frame.f_locals.get("__tracebackhide__"):
            shown.append(tb.tb_frame.f_code.co_name)
        tb = tb.tb_next
    return shown


def test_errors_show_at_most_the_frame_that_raised():
    X = gs.tensor(np.ones((2, 3)), name="X")
    for make in (lambda: X @ X, lambda: gs.tanh(X).reshape(7), lambda: gs.tensor(np.ones(4)) + X):
        with pytest.raises(gs.GraphscopeError) as caught:
            make()
        assert len(_shown_graphscope_frames(caught.value)) <= 1, _shown_graphscope_frames(caught.value)
    x = gs.tensor(2.0, name="x")
    g = (max(x, 0.0) * 3.0).graph()
    with pytest.raises(gs.StaleBranchError) as caught:
        g.run({"x": -5.0})
    assert len(_shown_graphscope_frames(caught.value)) <= 1, _shown_graphscope_frames(caught.value)


def test_ipython_shows_the_cell_and_the_message_of_a_shape_error(shell, capsys):
    shell.run_cell("X = gs.tensor(np.ones((2, 3)), name='X')\nX @ X", store_history=True)
    shown = capsys.readouterr().out
    assert "ShapeError" in shown and "skipping hidden" in shown and "op_functions.py" not in shown
    assert "record.py" not in shown


def test_layers_a_cell_made_in_several_runs_and_kept_together_never_share_a_name(shell):
    run(shell, "kept = []")
    for _ in range(3):
        run(shell, "kept.append(gs.nn.Linear(2, 2))")
    names = run(shell, "h = x\nfor layer in kept:\n    h = gs.tanh(layer(h))\n[p.name for p in gs.sum(h).graph().params]")
    assert len(set(names)) == len(names) == 6, names
    assert run(shell, "g = gs.sum(h).graph(); [g[p.name] is p for p in g.params]") == [True] * 6
