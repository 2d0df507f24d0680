"""graphscope tui: step through a graph in the terminal, node by node.

The screen shows the graph (laid out by Graphviz), a tape of every node, and
an inspector that reads the local rule at each backward step: upstream x
local = contribution. n / p step, ctrl+p lists every command, ? shows the
keys. l shows per-layer statistics (activations, gradients, histograms); r
trains a training file's graph (build() and data(), as graphscope train)
with a live loss curve, using --optimizer, --lr, --epochs, --batch-size.
With --serve the same app is served to a browser on this machine.

The terminal UI needs a terminal: when standard input or output is not one
(piped, redirected, run by CI), tui prints the walk as text instead, as
`graphscope demo` does, and says so on standard error.
"""
import argparse
import gc
import shlex
import sys

from ..engine.errors import GraphscopeError
from .common import (add_graph_arguments, add_optimizer_arguments, load_graph, make_optimizer, option_problems,
                     optimizer_options, report_bad_options)

DEFAULT_PORT = 8000

EXAMPLES = """examples:
  graphscope tui samples/two_layer.py                    n / p step, ? shows the keys, q quits
  graphscope tui samples/two_layer.py --optimizer adam   with the update phase: one Adam step per parameter
  graphscope tui samples/train_spiral.py --epochs 50     r trains it (50 epochs) with a live loss curve
  graphscope tui samples/two_layer.py --serve --port 8080   in a browser at http://127.0.0.1:8080
  graphscope tui samples/chain_rule.py > walk.txt        not a terminal: the walk as text
"""


def training_options(args):
    """The training screen's options from the command line (the trainer's defaults for those left out)."""
    from ..tui import TrainingOptions
    return TrainingOptions.given(optimizer=args.optimizer, lr=args.lr, epochs=args.epochs,
                                 batch_size=args.batch_size, checkpoint=args.checkpoint)


def open_tui(graph, provenance, file=None, optimizer=None, training=None):
    """Run the TUI in this terminal on `graph` (with the update phase of `optimizer`, given one); `provenance`
    says where the graph came from (the title)."""
    from ..tui import run_app
    code = run_app(graph, provenance, file, optimizer, training)
    # the process ends next: its last garbage collections would walk every object of the graph, its recording
    # and its layout (1.4 s at 60,001 nodes); frozen objects are skipped, so the shell comes back at once
    gc.freeze()
    return code


def serve(args, port):
    """Serve `graphscope tui FILE` through textual-serve on 127.0.0.1:`port` until interrupted."""
    try:
        from textual_serve.server import Server
    except ImportError:
        raise GraphscopeError("--serve needs textual-serve: pip install -e '.[serve]' (in graphscope's checkout)") from None
    words = [sys.executable, "-m", "graphscope", "tui", args.file]
    for module in args.imports:
        words += ["--import", module]
    words += optimizer_options(args)
    for option in ("epochs", "batch_size", "checkpoint"):
        if getattr(args, option) is not None:
            words += ["--" + option.replace("_", "-"), str(getattr(args, option))]
    print(f"graphscope tui: serving {args.file} on http://127.0.0.1:{port} (ctrl+c stops)", flush=True)
    Server(shlex.join(words), host="127.0.0.1", port=port, title=f"graphscope {args.file}").serve()
    return 0


def _tui(args):
    from ..engine.source import display_path
    from .walk import Shown, in_terminal, print_walk
    graph = load_graph(args)  # errors before the screen opens: one message, exit 2 (see run)
    optimizer = make_optimizer(graph, args)
    if args.serve:
        return serve(args, args.port)
    if not in_terminal():
        print("graphscope tui: not a terminal (input or output is piped or redirected): printing the walk as "
              "text, as `graphscope demo` does", file=sys.stderr, flush=True)
        return print_walk(Shown(graph, args.file, args.imports), optimizer, command="tui")
    return open_tui(graph, display_path(args.file), args.file, optimizer, training_options(args))


def run(args):
    if args.port is not None and not args.serve:
        print("graphscope tui: --port goes with --serve", file=sys.stderr)
        return 2
    if args.port is not None and not 0 < args.port < 65536:
        print(f"graphscope tui: --port {args.port}: a port is 1..65535", file=sys.stderr)
        return 2
    args.port = DEFAULT_PORT if args.port is None else args.port
    problems = option_problems(args)
    if args.optimizer is not None:
        from ..engine.words import did_you_mean
        from ..optim.rules import RULES
        if args.optimizer.lower() not in RULES:
            problems.append(f"--optimizer {args.optimizer}: unknown optimizer; known: {', '.join(RULES)}"
                            f"{did_you_mean(args.optimizer.lower(), list(RULES))}")
    if problems:
        return report_bad_options("tui", problems)
    try:
        return _tui(args)
    except GraphscopeError as exc:
        print(f"graphscope tui: {exc}", file=sys.stderr)
        return 2


def add_parser(sub):
    p = sub.add_parser("tui", help="step through a graph in the terminal (graph, tape, inspector; piped: the "
                                   "walk as text)",
                       description=__doc__.split("\n\n", 1)[1], epilog=EXAMPLES,
                       formatter_class=argparse.RawDescriptionHelpFormatter)
    add_graph_arguments(p)
    p.add_argument("--serve", action="store_true", help="serve the app to a browser at http://127.0.0.1:PORT")
    p.add_argument("--port", type=int, default=None, help=f"the port for --serve (default {DEFAULT_PORT})")
    add_optimizer_arguments(p)
    train = p.add_argument_group("training screen (r)", "how r trains a training file (build() and data()); "
                                 "--optimizer and --lr above choose its optimizer too (default sgd, lr 0.01)")
    train.add_argument("--epochs", type=int, help="epochs (default: the trainer's, 10)")
    train.add_argument("--batch-size", type=int, help="examples per batch (default: the trainer's, 64)")
    train.add_argument("--checkpoint", metavar="DIR", help="write a checkpoint to DIR after every epoch "
                                                           "(stopping keeps the last one)")
    p.set_defaults(run=run)
