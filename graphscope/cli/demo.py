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
when its output is piped, or with --text or --save, it prints the walk.
"""
import argparse
import os
import shlex
import sys

from .common import (add_graph_arguments, add_optimizer_arguments, file_command, load_graph, make_optimizer,
                     nonfinite_note)
from ..engine.words import plural

SAMPLES_DIR = os.path.join(os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__)))), "samples")
DEFAULT_SAMPLE = os.path.join(SAMPLES_DIR, "chain_rule.py")
#: Where the closing hint suggests saving the built-in example (no file of it exists to export).
BUILT_IN_SAVE = "lecture.gsgraph"

EXAMPLES = """examples:
  graphscope demo                                  the lecture's f = (x + y) z (the terminal UI in a terminal)
  graphscope demo --text                           the same walk, printed
  graphscope demo samples/two_layer.py --text      any file that defines build(), or a saved graph
  graphscope demo samples/two_layer.py --text --optimizer adam   then one Adam update per parameter
  graphscope demo --save lecture.gsgraph           also save the walked graph, to export or check it
  graphscope demo model.gsgraph --import my_ops.py a saved graph whose custom ops my_ops.py defines
"""


class Shown:
    """The graph the demo walks and where it comes from: its file (None for the built-in example)."""

    def __init__(self, graph, file, imports=()):
        self.graph, self.file, self.imports = graph, file, list(imports)

    @property
    def provenance(self):
        from ..engine.source import display_path
        return "the lecture's example f = (x + y) * z (built in)" if self.file is None else display_path(self.file)

    def command(self, name, *options):
        """'graphscope NAME FILE --import ... OPTIONS': a command on the same file, as the user can type it."""
        return file_command(name, self.file, self.imports, *options)


def _shown(args):
    """The file's graph (a sample or a saved graph), samples/chain_rule.py, or the built-in example."""
    if args.file is None and os.path.exists(DEFAULT_SAMPLE):
        args.file = DEFAULT_SAMPLE
    if args.file is not None:
        return Shown(load_graph(args), args.file, args.imports)
    from ..engine.graph import Graph
    from ..examples import lecture_example
    return Shown(Graph(lecture_example()), None)


def walk(graph, provenance, write, optimizer=None, command="demo"):
    """Write the forward-then-backward walk of `graph` (then the optimizer's update, given one), one step a
    paragraph; `provenance` says where the graph came from; return its Stepper."""
    from ..engine.formatting import summarize_value
    from ..stepper import Stepper, explain
    st = Stepper(graph, optimizer=optimizer)
    out = graph.output
    write(f"graphscope {command}: {provenance}")
    update = f" then {plural(st.n_update, 'update step')}" if st.n_update else ""
    write(f"{plural(len(graph), 'node')}, output {out.name}; {plural(st.n_forward, 'forward step')} then "
          f"{plural(st.n_backward, 'backward step')}{update}\n")
    write("forward pass: each node's value from its inputs' values (inputs before outputs)")
    for ev in st.events[:st.n_forward]:
        write("\n".join(explain.lines(ev, out)))
    if st.backward_note:
        write(f"\n{st.backward_note}")
        return st
    write(f"\nbackward pass: outputs before inputs; at each node, for each input,\n"
          f"  contribution = upstream x local  (upstream = d{out.name}/d(node), local = d(node)/d(input))\n"
          f"  and the input's gradient is the sum of the contributions it receives")
    for ev in st.events[st.n_forward:st.n_forward + st.n_backward]:
        write("")
        write("\n".join(explain.lines(ev, out)))
    write(f"\ngradients of {out.name}:")
    for n in graph.leaves:
        if n.requires_grad:
            write(f"  {explain.d(out, n):>12} = {summarize_value(n.grad)}")
    if optimizer is not None:
        walk_update(st, optimizer, write)
    return st


def walk_update(st, optimizer, write):
    """Write the update phase: one optimizer step per parameter (or why there is none)."""
    from ..stepper import explain
    if st.update_note:
        write(f"\n{st.update_note}")
        return
    write(f"\nupdate: one step of {optimizer!r}; for each parameter the optimizer's state before -> after,\n"
          f"  the step it adds and the update/weight ratio ||step|| / ||weights|| (rule of thumb: about 1e-3);\n"
          f"  the parameters are then put back as they were")
    for ev in st.events[st.n_forward + st.n_backward:]:
        write("")
        write("\n".join(explain.lines(ev, st.graph.output)))


def next_steps(shown, stepper, saved=None):
    """The closing hint: the export commands for the file just shown (or for where the example can be saved)."""
    k = min(stepper.n_forward + 1, len(stepper) - 1)  # the first backward step after the seed: the local rule
    first = []
    if shown.file is None:  # the built-in example has no file: export the saved one
        target = saved
        if target is None:
            writable = os.access(os.getcwd(), os.W_OK)
            target = BUILT_IN_SAVE if writable else os.path.join(os.path.expanduser("~"), BUILT_IN_SAVE)
            first = [f"  graphscope demo --save {shlex.quote(target)}   (writes this example to {target})"]
        shown = Shown(shown.graph, target)
    return "\n".join(["next:"] + first + [
        f"  {shown.command('export', '-o', 'steps.html')}   (the step-player)",
        f"  {shown.command('export', '--step', str(k), '-o', f'step{k}.svg')}   (one picture: step {k})"])


def in_terminal():
    """True when the terminal UI can run: standard input and output are a terminal (not piped, redirected or
    run by CI), or Textual was given a driver that needs none (textual-serve's). Else demo and tui print the
    walk as text."""
    return (sys.stdout.isatty() and sys.stdin.isatty()) or bool(os.environ.get("TEXTUAL_DRIVER"))


def opens_tui(args):
    """The demo opens the TUI when its output is a terminal (not piped, not CI) and --text/--save are not given."""
    return not args.text and args.save is None and in_terminal()


def print_walk(shown, optimizer=None, save=None, command="demo"):
    """Print the walk as text, the note on NaNs, the saved file (given `save`) and the next commands; exit 0."""
    from ..interop import save_graph
    st = walk(shown.graph, shown.provenance, print, optimizer, command)
    note = None if shown.file is None else nonfinite_note(shown.graph, shown.file, shown.imports)
    if note:
        print(f"\n{note}")
    if save is not None:
        save_graph(shown.graph, os.path.expanduser(save))
        print(f"\nsaved the graph to {save}")
    print("\n" + next_steps(shown, st, save))
    return 0


def _demo(args):
    if args.save is not None:
        _check_save_path(args.save)
    shown = _shown(args)
    optimizer = make_optimizer(shown.graph, args)
    if opens_tui(args):
        from .tui import open_tui
        return open_tui(shown.graph, shown.provenance, shown.file, optimizer)
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
