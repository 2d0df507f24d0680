"""A saved graph whose custom op is not defined: each command says how to run it again with --import."""
import shlex

import pytest

import graphscope as gs
from graphscope.cli import main
from graphscope.engine.custom import unregister
from graphscope.userfile import build_output
from optable_guard import op_table_guard  # noqa: F401  (fixture)

pytestmark = pytest.mark.usefixtures("op_table_guard")

OPS_FILE = '''import numpy as np
import graphscope as gs


@gs.custom_op
def softsign(x):
    return x / (1.0 + np.abs(x))


@softsign.vjp
def _(g, x, value):
    return (g / (1.0 + np.abs(x)) ** 2,)


def build():
    return gs.sum(softsign(gs.param(np.linspace(-2.0, 2.0, 5), name="w")))
'''

#: command -> the arguments after FILE
COMMANDS = {"check": ["--nodes-only"], "demo": [], "export": ["-o", "out dir/x.dot"]}


@pytest.fixture
def saved(tmp_path, monkeypatch):
    """model.gsgraph in the current directory, using the op softsign that ops.py defines (now undefined)."""
    monkeypatch.chdir(tmp_path)
    (tmp_path / "ops.py").write_text(OPS_FILE)
    (tmp_path / "out dir").mkdir()
    gs.Graph(build_output("ops.py")).save("model.gsgraph")
    unregister("softsign")
    return tmp_path


def suggested(err):
    """The commands a message suggests, one per line '  graphscope ...', as argument lists."""
    return [shlex.split(line)[1:] for line in err.splitlines() if line.startswith("  graphscope ")]


@pytest.mark.parametrize("command", sorted(COMMANDS))
def test_the_message_is_the_same_command_with_import(capsys, saved, command):
    typed = [command, "model.gsgraph", *COMMANDS[command]]
    assert main(typed) == 2
    err = capsys.readouterr().err
    assert err.startswith(f"graphscope {command}: model.gsgraph: ") and "softsign" in err
    (suggestion,) = suggested(err)
    assert suggestion == typed + ["--import", "ops.py"]           # the same command, with the file to import
    assert "before gs.load_graph" not in err                     # the library's advice is not the command's
    assert main(suggestion) == 0                                 # and the suggestion works as typed


@pytest.mark.parametrize("command", sorted(COMMANDS))
def test_a_defining_file_that_is_gone_gets_a_placeholder(capsys, saved, command):
    (saved / "ops.py").unlink()
    (saved / "other.py").write_text("x = 1\n")
    typed = [command, "model.gsgraph", "--import", "other.py", *COMMANDS[command]]
    assert main(typed) == 2
    err = capsys.readouterr().err
    assert "other.py" in err and "softsign" in err                # names the file that did not define it
    assert suggested(err) == [typed + ["--import", "my_ops.py"]]  # a placeholder for the file to write
    assert "it was defined in ops.py (next to the graph file), which is not there" in err   # where, now gone


def test_the_library_message_says_to_import_before_load_graph(saved):
    from graphscope.interop import UnknownOpError
    with pytest.raises(UnknownOpError) as err:
        gs.load_graph("model.gsgraph")
    assert err.value.ops == ["softsign"] and err.value.defined_in == {"softsign": str(saved / "ops.py")}
    message = str(err.value)
    assert "softsign" in message and "gs.load_graph" in message
    assert "softsign was defined in ops.py (next to the graph file)" in message and str(saved) not in message
    assert "--import" not in message


SAVING_SCRIPT = OPS_FILE.replace("def build():", '''def _unused():
    pass


W = gs.param(np.random.default_rng().normal(size=5), name="w")
gs.sum(softsign(W)).graph().save("model.gsgraph")   # run as a script, it saves a new graph over the old one


def build():''')


def test_importing_the_script_that_saved_the_graph_leaves_the_graph_file_as_it_was(capsys, saved):
    (saved / "ops.py").write_text(SAVING_SCRIPT)
    before = (saved / "model.gsgraph").read_bytes()
    assert main(["check", "model.gsgraph"]) == 2
    err = capsys.readouterr().err
    (suggestion,) = suggested(err)
    assert suggestion == ["check", "model.gsgraph", "--import", "ops.py"]
    assert "ops.py also saves a graph when run, and --import runs all of it: put softsign in a module of its own " \
           "(myops.py) and give --import myops.py" in err
    code = main(suggestion)
    out, err = capsys.readouterr()
    assert code == 0, out + err
    assert "importing ops.py rewrote model.gsgraph (it saves a graph when it runs): the file is put back and read " \
           "as it was before" in err
    assert (saved / "model.gsgraph").read_bytes() == before   # the file checked is the one given, still on disk
    unregister("softsign")
    from graphscope.interop import UnknownOpError
    with pytest.raises(UnknownOpError, match=r"ops\.py also saves a graph when run, and importing it runs all of it: "
                                             r"put softsign in a module of its own \(myops\.py\) and import that"):
        gs.load_graph("model.gsgraph")
