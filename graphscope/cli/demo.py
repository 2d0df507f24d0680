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
  graphscope demo hw.py --save hw.gsgraph --no-gradients --no-sources
                                                   a file to hand out: no answers, no paths of this machine
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
        _check_save_path(args)
    elif args.no_gradients or args.no_sources:
        from ..engine.errors import GraphscopeError
        option = "--no-gradients" if args.no_gradients else "--no-sources"
        raise GraphscopeError(f"{option} goes with --save FILE.gsgraph (it says what the saved file leaves out)")
    shown = _shown(args)
    optimizer = make_optimizer(shown.graph, args)
    if opens_tui(args):
        from .tui import open_tui
        notes = getattr(args, "load_warnings", None)  # loading's warnings, shown as it opens
        return open_tui(shown.graph, shown.provenance, shown.file, optimizer, **({"notes": notes} if notes else {}))
    if not args.text and args.save is None:
        say_why_text("demo")
    return print_walk(shown, optimizer, args.save, save_options={"gradients": not args.no_gradients,
                                                                 "sources": not args.no_sources})


def _check_save_path(args):
    """--save's file, checked before the walk is printed: a graph file name in a folder that can be written, not
    the file walked, a .py or another kind of file."""
    from ..engine.errors import GraphscopeError
    from .common import output_file_problem
    from .outputs import GRAPH
    problem = output_file_problem("--save", os.path.expanduser(args.save), GRAPH, [args.file] + args.imports)
    if problem:
        raise GraphscopeError(problem)


def add_parser(sub):
    p = sub.add_parser("demo", help="step through the lecture's example (the terminal UI in a terminal; "
                                    "--text: the walk as text)",
                       description=__doc__.split("\n\n", 1)[1], epilog=EXAMPLES,
                       formatter_class=argparse.RawDescriptionHelpFormatter)
    add_graph_arguments(p, optional_help="default: the lecture's example, samples/chain_rule.py")
    p.add_argument("--save", metavar="FILE.gsgraph",
                   help="also save the walked graph (values and gradients) as a graph file, to export or check; "
                        "source files near it are named relative to it")
    p.add_argument("--no-gradients", action="store_true",
                   help="with --save: leave the gradients out of the file (stepping it computes them: a file to "
                        "hand to students without the answers)")
    p.add_argument("--no-sources", action="store_true",
                   help="with --save: leave out where each node was made and which file defines each custom op "
                        "(no path of this machine in the file)")
    p.add_argument("--text", action="store_true",
                   help="print the walk as text (what the demo does when its output is not a terminal) "
                        "instead of opening the terminal UI")
    add_optimizer_arguments(p)
    p.set_defaults(run=run)


run = _demo
