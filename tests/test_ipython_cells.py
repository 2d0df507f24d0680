"""graphscope used from IPython cells: names that do not change when a cell runs again, cells named as IPython does."""
import numpy as np
import pytest

import graphscope as gs

IPython = pytest.importorskip("IPython")


@pytest.fixture(scope="module")
def shell():
    from IPython.core.interactiveshell import InteractiveShell
    sh = InteractiveShell.instance()
    sh.run_cell("import numpy as np, graphscope as gs\nx = gs.tensor(np.ones((5, 2)), name='x')", store_history=True)
    return sh


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
