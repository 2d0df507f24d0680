"""FILE.py:NAME builds the graph with NAME() instead of build(): one file may hold several graphs."""
import os

import pytest

from cli_run import graphscope
from graphscope.userfile import UserFileError, load_graph_file, split_target

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
NEURON = os.path.join(ROOT, "samples", "neuron.py")


@pytest.mark.parametrize("target, expected", [
    ("samples/neuron.py:build_gates", ("samples/neuron.py", "build_gates")),
    ("samples/neuron.py", ("samples/neuron.py", "build")),
    ("model.gsgraph", ("model.gsgraph", "build")),
    ("C:/odd folder/x.py:f2", ("C:/odd folder/x.py", "f2")),
    ("x.py:not a name", ("x.py:not a name", "build")),
])
def test_a_target_splits_into_file_and_function(target, expected):
    assert split_target(target) == expected


def test_the_named_function_builds_the_graph():
    one_node = load_graph_file(NEURON)
    gates = load_graph_file(f"{NEURON}:build_gates")
    assert "sigmoid" in {n.op for n in one_node.ops} and "exp" not in {n.op for n in one_node.ops}
    assert "exp" in {n.op for n in gates.ops} and "sigmoid" not in {n.op for n in gates.ops}
    assert gates.output.value == pytest.approx(one_node.output.value)


def test_a_misspelt_function_is_named_with_the_files_functions():
    with pytest.raises(UserFileError) as err:
        load_graph_file(f"{NEURON}:build_gatez")
    text = str(err.value)
    assert "does not define build_gatez()" in text and "build_gates" in text and "did you mean" in text


def test_commands_take_a_target_and_suggest_it_back(tmp_path):
    out = tmp_path / "gates.svg"
    graphscope("export", "samples/neuron.py:build_gates", "-o", out, cwd=ROOT).expect(0)
    assert "exp" in out.read_text()
    walk = graphscope("demo", "samples/neuron.py:build_gates", "--text", cwd=ROOT).expect(0)
    assert "samples/neuron.py:build_gates --step" in walk.out  # the next commands keep the target
