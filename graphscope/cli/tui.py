"""graphscope tui: step through a graph in the terminal, node by node.

The screen shows the graph (laid out by Graphviz), a tape of every node, and
an inspector that reads the local rule at each backward step: upstream x
local = contribution. n / p step, ctrl+p lists every command, ? shows the
keys. l shows per-layer statistics (activations, gradients, histograms); r
trains a training file's graph (build() and data()) with a live loss curve,
with the settings `graphscope train FILE` uses: the training options given
here, else the file's settings(), else train's defaults (the training
screen says which came from where). --resume DIR opens the run saved in DIR (by
r with --checkpoint, or by `graphscope train`), checked as `graphscope train
--resume` checks it: the graph shows its trained parameters, the training
screen its history, and r goes on from its last epoch with its settings,
writing to DIR. With --serve the same app is served to a browser on this
machine.

The terminal UI needs a terminal: when standard input or output is not one
(piped, redirected, run by CI), tui prints the walk as text instead, as
`graphscope demo` does, and says so on standard error; so it does, saying
why, in a terminal it cannot draw on (TERM=dumb, an encoding other than
UTF-8).
"""
import argparse
import gc
import os
import shlex
import sys
import types

from ..engine.errors import GraphscopeError
from .common import (TRAIN_DEFAULTS, add_graph_arguments, add_optimizer_arguments, load_graph, make_optimizer,
                     option_problems, optimizer_options, optimizer_problem, report_bad_options)

DEFAULT_PORT = 8000

EXAMPLES = """examples:
  graphscope tui samples/two_layer.py                    n / p step, ? shows the keys, q quits
  graphscope tui samples/two_layer.py --optimizer adam   with the update phase: one Adam step per parameter
  graphscope tui samples/train_spiral.py --epochs 50     r trains it (50 epochs) with a live loss curve
  graphscope tui samples/fc_net.py --epochs 30           r trains as `graphscope train` does (settings()), 30 epochs
  graphscope tui samples/fc_net.py --checkpoint ck       r keeps every epoch in ck/ ...
  graphscope tui samples/fc_net.py --resume ck           ... the trained graph and its curve; r goes on from there
  graphscope tui samples/two_layer.py --serve --port 8080   in a browser at http://127.0.0.1:8080
  graphscope tui samples/chain_rule.py > walk.txt        not a terminal: the walk as text
"""


#: The training options tui passes on to the training screen (and to the served app), by attribute.
TRAINING_OPTIONS = ("epochs", "batch_size", "schedule", "reg", "seed", "dtype", "checkpoint", "resume")


class BadTrainingOptions(GraphscopeError):
    """The training options (given, suggested by settings() or contradicting --resume's checkpoint) that cannot
    be used: one line each in ``problems``."""

    def __init__(self, problems):
        super().__init__("\n".join(problems))
        self.problems = problems


def suggested_settings(path):
    """(the settings() the training file at `path` suggests, the file's name), or ({}, None) when `path` is not a
    training file (a saved graph, or a .py without data())."""
    from ..userfile import is_python_file, load_module, split_target
    from .trainfile import file_settings
    if not path or not is_python_file(path):
        return {}, None
    module = load_module(path)
    if not hasattr(module, "data"):
        return {}, None
    return file_settings(module, path), os.path.basename(split_target(path)[0])


def training_options(args):
    """The training screen's options, resolved as `graphscope train` resolves its own (the same code): the
    options given, else the training file's settings(), else train's defaults; with --resume DIR, the options
    given, else the settings of DIR's run (one that contradicts them is refused). A bad one (an unknown optimizer
    or schedule, given or suggested) is a GraphscopeError naming where it came from."""
    from ..tui import TrainingOptions
    from .train import (_schedule, fill_defaults, given_settings, no_schedule, origins_line, resume_settings,
                        resumed_origins, setting_name)
    suggested, name = suggested_settings(args.file)
    resolved = argparse.Namespace(**vars(args))  # args keep what was typed (the walk's --optimizer reads it)
    resolved.no_shuffle = False
    problems = []
    if args.resume:
        resume_settings(resolved, problems)  # --epochs left out: the saved run's total
        origins = resumed_origins(given_settings(args))
        name = name or os.path.basename(args.file)
    else:
        origins = fill_defaults(resolved, suggested)
    problem = optimizer_problem(resolved.optimizer, setting_name("optimizer", origins, name))
    if problem:
        problems.append(problem)
    _schedule(resolved.schedule, resolved.lr, problems, setting_name("schedule", origins, name))
    if problems:
        raise BadTrainingOptions(problems)
    schedule = None if resolved.schedule is None or no_schedule(resolved.schedule) else resolved.schedule
    text = origins_line(resolved, origins, types.SimpleNamespace(name=name)) if name else ""
    return TrainingOptions(optimizer=resolved.optimizer, lr=resolved.lr, epochs=resolved.epochs,
                           batch_size=resolved.batch_size, checkpoint=args.checkpoint or args.resume,
                           schedule=schedule, reg=resolved.reg, seed=resolved.seed, dtype=resolved.dtype,
                           shuffle=not resolved.no_shuffle, resume=args.resume, overwrite=args.overwrite,
                           origins=origins if name else {}, settings_file=name or "", origins_text=text)


def open_tui(graph, provenance, file=None, optimizer=None, training=None, notes=()):
    """Run the TUI in this terminal on `graph` (with the update phase of `optimizer`, given one); `provenance`
    says where the graph came from (the title); `notes` (loading's warnings) are shown as it opens."""
    from ..tui import run_app
    code = run_app(graph, provenance, file, optimizer, training, notes)
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
    for option in TRAINING_OPTIONS:
        if getattr(args, option) is not None:
            words += ["--" + option.replace("_", "-"), str(getattr(args, option))]
    if args.overwrite:
        words.append("--overwrite")
    print(f"graphscope tui: serving {args.file} on http://127.0.0.1:{port} (ctrl+c stops)", flush=True)
    Server(shlex.join(words), host="127.0.0.1", port=port, title=f"graphscope {args.file}").serve()
    return 0


def checkpoint_problems(args):
    """--checkpoint and --resume for the training screen, checked as `graphscope train` checks them (the same
    code): --checkpoint DIR writable and not holding another run (without --overwrite) or other files; --resume
    DIR a checkpoint of this file. One line each, naming `graphscope tui FILE --resume DIR` as the way on."""
    from .common import output_folder_problem
    from .train import checkpoint_problems as train_checkpoint_problems
    problem = args.checkpoint and output_folder_problem("--checkpoint", args.checkpoint)
    return [problem] if problem else train_checkpoint_problems(args, command="tui")


def _tui(args):
    from ..engine.source import display_path
    from .walk import NOT_A_TERMINAL, Shown, in_terminal, no_tui_reason, print_walk
    graph = load_graph(args)  # errors before the screen opens: one message, exit 2 (see run)
    training = training_options(args)
    walk_args = args
    if args.optimizer is None and args.lr is not None and training.settings_file:
        walk_args = argparse.Namespace(**{**vars(args), "lr": None})  # --lr alone: the training's rate, no walk step
    optimizer = make_optimizer(graph, walk_args)
    if args.resume and (args.serve or not in_terminal()):  # the app checks it itself (before any screen)
        from ..tui.training import resume_run
        optimizer = resume_run(graph, args.file, training).trainer.optimizer  # refused here, not in a browser
    if args.serve:
        return serve(args, args.port)
    if not in_terminal():  # with --resume: the trained graph, with the saved optimizer's next step, as the app shows it
        why_text = no_tui_reason() or NOT_A_TERMINAL
        said = (f"{NOT_A_TERMINAL}: printing the walk as text, as `graphscope demo` does"
                if why_text == NOT_A_TERMINAL else f"{why_text}; showing the text walk instead")
        print(f"graphscope tui: {said}", file=sys.stderr, flush=True)
        return print_walk(Shown(graph, args.file, args.imports), optimizer, command="tui")
    notes = {"notes": args.load_warnings} if args.load_warnings else {}  # loading's warnings, shown as it opens
    # --resume: the app loads it
    return open_tui(graph, display_path(args.file), args.file, optimizer, training, **notes)


def run(args):
    if args.port is not None and not args.serve:
        print("graphscope tui: --port goes with --serve", file=sys.stderr)
        return 2
    if args.port is not None and not 0 < args.port < 65536:
        print(f"graphscope tui: --port {args.port}: a port is 1..65535", file=sys.stderr)
        return 2
    args.port = DEFAULT_PORT if args.port is None else args.port
    problems = option_problems(args) + checkpoint_problems(args)
    if problems:
        return report_bad_options("tui", problems)
    try:
        return _tui(args)
    except BadTrainingOptions as exc:
        return report_bad_options("tui", exc.problems)
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
    d = TRAIN_DEFAULTS
    train = p.add_argument_group("training screen (r)", "how r trains a training file (build() and data()), as "
                                 "`graphscope train` does:\nan option given here, else the file's settings(), else "
                                 "train's default.\n--optimizer and --lr above choose its optimizer too (default "
                                 f"{d['optimizer']}, lr {d['lr']:g});\n--lr alone sets the training's rate only.")
    train.add_argument("--epochs", type=int, help=f"epochs each r trains (default: settings()'s, else {d['epochs']}); "
                                                  "with --resume, the first r goes on to --epochs in all (default: "
                                                  "the saved run's total; a finished run: that many more)")
    train.add_argument("--batch-size", type=int,
                       help=f"examples per batch (default: settings()'s, else {d['batch_size']})")
    train.add_argument("--schedule", metavar="SPEC",
                       help="learning-rate decay per epoch: exp:K, inv:K or step:FACTOR:EVERY; none: no decay "
                            "(default: settings()'s, else none)")
    train.add_argument("--reg", type=float, help="L2 regularization strength: loss + REG * sum ||W||^2 "
                                                 "(default: settings()'s, else 0)")
    train.add_argument("--seed", type=int, help=f"seed of the shuffling (default: settings()'s, else {d['seed']})")
    train.add_argument("--dtype", choices=("float32", "float64"),
                       help=f"what the graph computes in while training (default: settings()'s, else {d['dtype']})")
    train.add_argument("--checkpoint", metavar="DIR", help="write a checkpoint to DIR after every epoch "
                                                           "(stopping keeps the last one); a DIR holding a "
                                                           "checkpoint is refused (--resume DIR goes on with it, "
                                                           "--overwrite replaces it)")
    train.add_argument("--overwrite", action="store_true",
                       help="let the training screen's run replace the checkpoint in --checkpoint DIR")
    train.add_argument("--resume", metavar="DIR",
                       help="open the run saved in DIR (same file and model; its settings, an option given must "
                            "agree): the trained graph, its curve, and r goes on from its last epoch, writing to DIR "
                            "unless --checkpoint says otherwise")
    p.set_defaults(run=run)
