"""graphscope demo: the lecture's example, walked forward then backward, one node a step.

The graph is f(x, y, z) = (x + y) z with x = -2, y = 5, z = -4. The forward
pass computes every node's value from its inputs; the backward pass then
visits the nodes outputs-first and, at each, applies the local rule
"gradient = upstream x local": for every input, the contribution is the
upstream gradient times the local Jacobian, and the input's gradient is the
sum of the contributions it receives.

Any other graph walks the same way: a sample file defining build(), or a
graph saved with graph.save(...) (or with --save here).

In a terminal the demo opens the terminal UI (as `graphscope tui` does);
when its output is piped, or with --text or --save, it prints the walk; so
it does, saying why, in a terminal the UI cannot draw on (TERM=dumb, an
encoding other than UTF-8).
"""
import argparse
import os

from .common import add_graph_arguments, add_optimizer_arguments, load_graph, make_optimizer
from .walk import Shown, in_terminal, print_walk, say_why_text

SAMPLES_DIR = os.path.join(os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__)))), "samples")
DEFAULT_SAMPLE = os.path.join(SAMPLES_DIR, "chain_rule.py")

EXAMPLES = """examples:
  graphscope demo                                  the lecture's f = (x + y) z (the terminal UI in a terminal)
  graphscope demo --text                           the same walk, printed
  graphscope demo samples/two_layer.py --text      any file that defines build(), or a saved graph
  graphscope demo samples/two_layer.py --text --optimizer adam   then one Adam update per parameter
  graphscope demo --save lecture.gsgraph           also save the walked graph, to export or check it
  graphscope demo model.gsgraph --import my_ops.py a saved graph whose custom ops my_ops.py defines
"""


def _shown(args):
    """The file's graph (a sample or a saved graph), samples/chain_rule.py, or the built-in example."""
    if args.file is None and os.path.exists(DEFAULT_SAMPLE):
        args.file = DEFAULT_SAMPLE
    if args.file is not None:
        return Shown(load_graph(args), args.file, args.imports)
    from ..engine.graph import Graph
    from ..examples import lecture_example
    return Shown(Graph(lecture_example()), None)


def opens_tui(args):
    """The demo opens the TUI when its output is a terminal (not piped, not CI) and --text/--save are not given."""
    return not args.text and args.save is None and in_terminal()


def _demo(args):
    if args.save is not None:
        _check_save_path(args.save)
    shown = _shown(args)
    optimizer = make_optimizer(shown.graph, args)
    if opens_tui(args):
        from .tui import open_tui
        return open_tui(shown.graph, shown.provenance, shown.file, optimizer)
    if not args.text and args.save is None:
        say_why_text("demo")
    return print_walk(shown, optimizer, args.save)


def _check_save_path(path):
    """--save's file, checked before the walk is printed: a graph file name in a folder that exists."""
    from ..engine.errors import GraphscopeError
    if path.endswith(".py"):
        raise GraphscopeError(f"--save {path}: a graph is saved as a graph file, e.g. --save lecture.gsgraph "
                              f"(a .py file is a sample you write, defining build())")
    full = os.path.expanduser(path)
    folder = os.path.dirname(os.path.abspath(full))
    if os.path.isdir(full) or not os.path.isdir(folder):
        problem = "is a folder" if os.path.isdir(full) else f"the folder {folder} does not exist"
        raise GraphscopeError(f"--save {path}: {problem}; give a graph file name, e.g. --save lecture.gsgraph")
    if not os.access(folder, os.W_OK | os.X_OK):  # the file is written beside itself, then renamed
        raise GraphscopeError(f"--save {path}: the folder {folder} is not writable; save it somewhere else, "
                              f"e.g. --save {os.path.join('~', os.path.basename(full))}")


def add_parser(sub):
    p = sub.add_parser("demo", help="step through the lecture's example (the terminal UI in a terminal; "
                                    "--text: the walk as text)",
                       description=__doc__.split("\n\n", 1)[1], epilog=EXAMPLES,
                       formatter_class=argparse.RawDescriptionHelpFormatter)
    add_graph_arguments(p, optional_help="default: the lecture's example, samples/chain_rule.py")
    p.add_argument("--save", metavar="FILE.gsgraph",
                   help="also save the walked graph (values and gradients) as a graph file, to export or check")
    p.add_argument("--text", action="store_true",
                   help="print the walk as text (what the demo does when its output is not a terminal) "
                        "instead of opening the terminal UI")
    add_optimizer_arguments(p)
    p.set_defaults(run=run)


run = _demo
