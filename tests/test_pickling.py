"""Tensors, graphs and modules pickle (for multiprocessing, joblib, caches): the source line's code object is kept as
its file and function names, a pickled graph keeps its guards, and an op is pickled by name (a custom op's too):
unpickling finds the op registered under it, or says what to import."""
import pickle
import re
import subprocess
import sys
import textwrap

import numpy as np
import pytest

import graphscope as gs
from graphscope.engine.custom import unregister
from optable_guard import op_table_guard  # noqa: F401  (fixture)


def test_a_module_pickles_with_its_parameters_names_and_source_lines():
    layer = gs.nn.Linear(4, 3, init="xavier")
    again = pickle.loads(pickle.dumps(layer))
    for before, after in zip(layer.parameters(), again.parameters()):
        assert after.name == before.name and after.source == before.source
        np.testing.assert_array_equal(after.value, before.value)


def test_a_pickled_graph_replays_and_refuses_the_other_branch_as_the_original_does():
    x = gs.tensor(np.ones(3), name="x")
    out = x * 1.0
    if out.sum() > 0:
        out = out * 2.0
    loss = pickle.loads(pickle.dumps(out.sum()))
    graph = loss.graph()
    assert [n.op for n in graph.guards] == ["greater"] and "test_pickling.py:" in loss.source
    assert graph.run({"x": np.full(3, 2.0)}) == pytest.approx(12.0)
    with pytest.raises(gs.StaleBranchError):
        graph.run({"x": -np.ones(3)})


def test_unpickled_nodes_use_the_registered_ops_themselves():
    x = gs.param(np.arange(3.0), name="x")
    loss = pickle.loads(pickle.dumps(gs.sum(gs.tanh(x) * 2.0)))
    assert all(n.op_def is gs.OPS[n.op] for n in loss.graph().ops)


def _define_cube():
    @gs.custom_op
    def cube(x):
        """x ** 3, element-wise."""
        return x ** 3

    @cube.vjp
    def _(g, x, value):
        return (3 * x * x * g,)

    return cube


def test_a_custom_ops_tensor_pickles_and_backpropagates_through_the_registered_op(op_table_guard):
    cube = _define_cube()
    x = gs.param(np.array([1.0, -2.0, 0.5]), name="x")
    loss = pickle.loads(pickle.dumps(gs.sum(cube(x))))
    node = next(n for n in loss.graph().ops if n.op == "cube")
    assert node.op_def is gs.OPS["cube"] is cube.op
    loss.backward()
    np.testing.assert_allclose(node.inputs[0].grad, 3 * x.value ** 2)


def test_unpickling_a_custom_op_this_process_does_not_define_names_it_and_its_module(op_table_guard):
    cube = _define_cube()
    data = pickle.dumps(gs.sum(cube(gs.param(np.ones(2), name="x"))))
    unregister("cube")
    with pytest.raises(gs.GraphscopeError, match=rf"op 'cube': no op of that name is registered in this process.*import "
                                                 rf"{re.escape(__name__)} \(.*test_pickling\.py\), which defines it"):
        pickle.loads(data)


def test_a_custom_op_of_a_script_is_refused_by_another_process_with_what_to_do(tmp_path):
    """The script that pickled the tensor is __main__: the other process is told to move the op into a module."""
    script = tmp_path / "make.py"
    script.write_text(textwrap.dedent("""
        import pickle, sys
        import numpy as np
        import graphscope as gs

        @gs.custom_op(vjp=lambda g, x, value: (3 * x * x * g,))
        def cube(x):
            return x ** 3

        sys.stdout.buffer.write(pickle.dumps(gs.sum(cube(gs.param(np.ones(2), name="x")))))
    """))
    data = subprocess.run([sys.executable, str(script)], capture_output=True, check=True).stdout
    read = subprocess.run([sys.executable, "-c", "import pickle, sys, graphscope; pickle.loads(sys.stdin.buffer.read())"],
                          input=data, capture_output=True)
    message = read.stderr.decode()
    assert read.returncode == 1 and "NotFoundError: cannot unpickle op 'cube'" in message
    assert f"defined in {script}, the script that pickled it: put it in a module of its own" in message
