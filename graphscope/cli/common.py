"""What the commands that read a graph share: their arguments, option types, loading the graph, the note on NaNs."""
import argparse
import math
import os
import shlex
import sys
import warnings

from ..engine.errors import GraphscopeError

#: The learning rate of --optimizer when --lr is not given (as `graphscope train`'s).
DEFAULT_LR = 0.01

#: The file a suggested --import names when the file defining a custom op is not known.
SOME_OPS_FILE = "my_ops.py"


def whole_number(least, name, what="a whole number"):
    """An argparse type: an integer of at least `least` (a bad one is that command's usage error, exit 2)."""
    def parse(text):
        try:
            n = int(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"expected {what}, got {text!r}") from None
        if n < least:
            raise argparse.ArgumentTypeError(f"{name} must be {least} or more, got {n}")
        return n
    return parse


def lr_problem(lr):
    """The line that refuses a learning rate (None when it is fine or not given): one wording for every command."""
    if lr is None or (math.isfinite(lr) and lr > 0):
        return None
    return f"--lr must be a finite number greater than 0, got {lr:g}"


def optimizer_problem(name, label="--optimizer"):
    """The line that refuses an optimizer's name (None when it is known or not given), `label` naming where it
    came from (an option, or a training file's settings()): one wording for every command."""
    if name is None:
        return None
    from ..optim.rules import unknown_name
    problem = unknown_name(name)
    return None if problem is None else f"{label} {name}: {problem}"


class OptionProblems(GraphscopeError):
    """Options that cannot be used, one line each in ``problems``: the command reports every line (exit 2)."""

    def __init__(self, problems):
        super().__init__("\n".join(problems))
        self.problems = list(problems)


def optimizer_factory(name):
    """make(params, lr) for gs.optim's optimizer called `name`."""
    from ..optim import make

    def build(params, lr):
        return make(name, params, lr)
    return build


def add_optimizer_arguments(parser):
    """--optimizer NAME and --lr LR: add the update phase (one optimizer step per parameter) to the walk."""
    parser.add_argument("--optimizer", metavar="NAME",
                        help="after forward and backward, walk one update of this optimizer (sgd, momentum, "
                             "nesterov, adagrad, rmsprop or adam): per parameter its gradient, the optimizer's "
                             "state, the step and the update/weight ratio; the parameters are left as they were")
    parser.add_argument("--lr", type=float, metavar="LR",
                        help=f"the optimizer's learning rate (default {DEFAULT_LR:g})")


def make_optimizer(graph, args):
    """The optimizer --optimizer/--lr ask for, over the graph's parameters, or None when none is asked for."""
    name = getattr(args, "optimizer", None)
    lr = getattr(args, "lr", None)
    problems = [p for p in (optimizer_problem(name), lr_problem(lr)) if p]
    if name is None and lr is not None:
        problems.append("--lr goes with --optimizer NAME (e.g. --optimizer adam --lr 1e-3)")
    if problems:
        raise OptionProblems(problems)
    if name is None:
        return None
    if not graph.params:
        raise GraphscopeError(f"--optimizer {name}: the graph has no parameters to update (make them with "
                              f"gs.param(...))")
    lr = DEFAULT_LR if args.lr is None else args.lr
    try:
        return optimizer_factory(name)(graph.params, lr)
    except GraphscopeError as exc:
        raise GraphscopeError(f"--optimizer {name}: {exc}") from None


def optimizer_options(args):
    """['--optimizer', NAME, '--lr', LR] as given (to pass the same update phase on to another command)."""
    words = []
    if getattr(args, "optimizer", None):
        words += ["--optimizer", args.optimizer]
    if getattr(args, "lr", None) is not None:
        words += ["--lr", repr(args.lr)]
    return words


def add_graph_arguments(parser, optional_help=None):
    """FILE (a .py defining build(), or a saved graph) and --import FILE.py (defines custom ops first).

    With `optional_help` FILE may be left out; the text says what is used then.
    """
    what = ("a sample (.py defining build(); FILE.py:NAME builds the graph with NAME() instead) or a saved graph "
            "file (graph.save(...))")
    if optional_help:
        parser.add_argument("file", nargs="?", help=f"{what}; {optional_help}")
    else:
        parser.add_argument("file", help=what)
    parser.add_argument("--import", dest="imports", action="append", default=[], metavar="FILE.py",
                        help="run this Python file first, to define the custom ops a saved graph uses "
                             "(repeatable)")


def user_file_text(target):
    """A user's file (or FILE.py:NAME target) as every message and table names it: relative to the current folder
    when below it, else in full (``source.display_path``), so a header, a table row and a verdict agree."""
    from ..engine.source import display_path
    from ..userfile import split_target
    path, name = split_target(target)
    shown = display_path(os.path.abspath(path))
    return shown if path == target else f"{shown}:{name}"


def load_graph(args, report=True):
    """The Graph of args.file, after running the --import files; a missing custom op names --import.

    A saved graph whose values disagree with this session's ops gets its warning on stderr, as
    'graphscope COMMAND: warning: ...' (unless `report` is False: the caller reports it); ``args.load_warnings``
    keeps the texts (``check`` fails on them)."""
    from ..interop import SavedValuesWarning, UnknownOpError
    from ..userfile import RewrittenByImport, load_graph_file
    if os.path.isdir(args.file) and os.path.isfile(os.path.join(args.file, "checkpoint.json")):
        raise GraphscopeError(checkpoint_folder_text(args.file))
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always", SavedValuesWarning)
        warnings.simplefilter("always", RewrittenByImport)
        try:
            graph = load_graph_file(args.file, args.imports)
        except UnknownOpError as exc:
            raise GraphscopeError(missing_ops_text(exc, args)) from None
    args.load_warnings = []
    for w in caught:
        if issubclass(w.category, SavedValuesWarning):
            args.load_warnings.append(str(w.message))
            if report:
                print(f"graphscope {args.command}: warning: {w.message}", file=sys.stderr)
        elif issubclass(w.category, RewrittenByImport):  # the file read is the one given, not the import's
            print(f"graphscope {args.command}: warning: {w.message}", file=sys.stderr)
        else:  # any other warning goes on as it came
            warnings.warn_explicit(w.message, w.category, w.filename, w.lineno)
    return graph


def checkpoint_folder_text(folder):
    """What to type when a checkpoint folder is given where a graph is read: the export of the trained model."""
    from ..train.checkpoint import CheckpointError, checkpoint_summary, saved_file
    try:
        held, file = checkpoint_summary(folder), saved_file(folder)
    except CheckpointError:
        held, file = None, None
    command = "graphscope " + shlex.join(["export", file or "TRAINING_FILE.py", "--checkpoint", folder, "-o",
                                          "model.onnx"])
    return (f"{folder} is a checkpoint folder{f' ({held})' if held else ''}, not a graph file: it holds the trained "
            f"weights of {'its training file' if file is None else file}'s model; `{command}` writes the trained "
            f"model (-o model.gsgraph a graph file to check or step through, -o model.svg a picture)")


def missing_ops_text(exc, args):
    """What to type when a saved graph uses custom ops not defined: the same command with --import FILE."""
    from ..engine.source import display_path
    files, unknown = [], []
    for name in exc.ops:
        where = exc.defined_in.get(name)
        if where and os.path.isfile(where):
            if display_path(where) not in files:
                files.append(display_path(where))
        else:
            unknown.append(name)
    if unknown:
        files.append(SOME_OPS_FILE)
    given = f"the files given with --import ({', '.join(args.imports)}) do not define {exc.them()}; " \
        if args.imports else ""
    command = list(getattr(args, "argv", None) or [args.command, args.file])
    for f in files:
        command += ["--import", f]
    lines = [f"{exc.path}: {exc.uses()}: {given}name the Python file that defines {exc.them()} with --import:",
             f"  graphscope {shlex.join(command)}"]
    for name in unknown:
        where = exc.described.get(name)
        lines.append(f"  ({SOME_OPS_FILE}: the file that defines {name}"
                     + (f"; it was defined in {where}, which is not there)" if where else ")"))
    if exc.saving:  # the script that saved the graph: --import runs it all (the graph file is put back as it was)
        advice = exc.own_module_advice("--import", "give --import myops.py")[2:]
        lines.append(f"  ({advice}; a graph file the import rewrites is put back as it was)")
    return "\n".join(lines)


def file_command(command, file, imports=(), *options):
    """'graphscope COMMAND FILE --import M.py ... OPTIONS', quoted as a shell needs, for the user to type.

    FILE is shown relative to the current directory when below it; the --import files come along, so the
    command works on a saved graph with custom ops too.
    """
    words = [command, user_file_text(file)]
    for module in imports:
        words += ["--import", module]
    return "graphscope " + shlex.join(words + list(options))


def nonfinite_note(graph, file, imports=()):
    """'note: ...' naming the node that makes the first NaN or infinity, or None when everything is finite."""
    from ..engine.nonfinite import find_nonfinite
    from ..engine.source import display_location
    origin = find_nonfinite(graph.nodes)
    if origin is None:
        return None
    made = "a leaf's data" if origin.reason == "leaf" else f"op {origin.op}"
    kind = "value" if origin.phase == "forward" else "gradient"
    return (f"note: non-finite {kind}s ({origin.kind}): the first is made at {origin.name} ({made}), "
            f"{display_location(origin.source)}; `{file_command('check', file, imports)}` says more")


def warn_broken_backward(command, stepper, file, imports=()):
    """One warning line on stderr when the walk's backward pass stopped at a node whose VJP failed (the pictures
    and the walk show that step; the command still succeeds)."""
    rec = stepper.recording
    if rec.broken is None:
        return
    error = rec.events[rec.error_step].error
    check = f"; `{file_command('check', file, imports)}` checks every VJP" if file is not None else ""
    print(f"graphscope {command}: warning: the backward pass stopped at {rec.broken.name} (step {rec.error_step}): "
          f"{error.summary}{check}", file=sys.stderr)


#: How many edges around the node a suggested picture shows (a neighbourhood, not the whole graph).
AROUND = 2


def export_command(file, imports, graph, node, phase="forward", check=False):
    """'graphscope export FILE --node NAME --around 2 -o NAME.svg': the command that draws the step where `node`
    is visited, with its neighbourhood only (with `check`, marking the VJP that fails its check: --check).

    The backward step when `phase` is 'backward' and the node has one, else the forward step; the node is
    named by its name, or when several nodes share it by its scope path ('block3/W') or id ('%12').
    """
    from ..viz.view import safe_name
    key = graph.key_of(node)
    options = ["--check"] if check else []
    options += ["--node", key]
    if phase == "backward" and node.requires_grad:
        options += ["--phase", "backward"]
    options += ["--around", str(AROUND)]
    return file_command("export", file, imports, *options, "-o", f"{safe_name(node.name)}.svg")


def option_problems(args):
    """One line per bad training option (empty when all are fine); an option left out (None) is fine."""
    problems = [p for p in (optimizer_problem(getattr(args, "optimizer", None)), lr_problem(getattr(args, "lr", None)))
                if p]
    if args.epochs is not None and args.epochs < 1:
        problems.append(f"--epochs must be at least 1, got {args.epochs}")
    if args.batch_size is not None and args.batch_size < 1:
        problems.append(f"--batch-size must be at least 1, got {args.batch_size}")
    reg = getattr(args, "reg", None)
    if reg is not None and not (math.isfinite(reg) and reg >= 0):
        problems.append(f"--reg must be a number >= 0, got {reg:g}")
    seed = getattr(args, "seed", None)
    if seed is not None and seed < 0:
        problems.append(f"--seed must be a whole number >= 0, got {seed}")
    return problems


def report_bad_options(command, problems):
    """One line per problem on standard error; exit status 2."""
    for line in problems:
        print(f"graphscope {command}: {' '.join(str(line).split())}", file=sys.stderr)
    return 2


#: What `graphscope train` uses for an option left out (search's suggested command leaves these out too).
TRAIN_DEFAULTS = {"optimizer": "sgd", "lr": DEFAULT_LR, "batch_size": 64, "reg": 0.0, "seed": 0,
                  "dtype": "float32", "epochs": 10, "schedule": None, "shuffle": True}


def output_file_problem(option, path, kind, inputs=()):
    """Why `path` cannot be written ("is a folder", its folder is missing, is not writable, is on a read-only or
    virtual file system, ...) or must not be (the command's input among `inputs`, a .py file, an existing file
    that is not a `kind`: see cli.outputs), or None. Tried for real, before any long work (graphscope.util.atomic)."""
    from ..util.atomic import folder_problem
    from .outputs import replace_problem
    folder = os.path.dirname(os.path.abspath(path))
    if os.path.isdir(path):
        return f"{option} {path}: is a folder; give a file name"
    problem = folder_problem(folder)
    if problem is not None:
        return f"{option} {path}: the folder {folder} {problem}"
    return replace_problem(option, path, kind, inputs)


def output_folder_problem(option, path):
    """Why the folder `path` cannot be made or written into (the first part of it that exists decides), or None."""
    from ..util.atomic import folder_problem
    where = os.path.abspath(path)
    if os.path.exists(where) and not os.path.isdir(where):
        return f"{option} {path}: is a file, not a folder"
    while not os.path.exists(where):
        where = os.path.dirname(where)
    if not os.path.isdir(where):
        return f"{option} {path}: {where} is a file, not a folder"
    problem = folder_problem(where)
    if problem is None:
        return None
    return f"{option} {path}: " + ("it " if where == os.path.abspath(path) else f"the folder {where} ") + problem


def output_problems(args):
    """One line per output a training command was asked to write but could not (checked before any training)."""
    from .outputs import HISTORY, PLOT
    problems = []
    history = getattr(args, "history", None)
    if history:
        problems.append(output_file_problem("--history", history, HISTORY, [args.file]))
    plot = getattr(args, "plot", None)
    if plot:
        from ..viz.curves import plot_format_problem
        problems.append(output_file_problem("--plot", plot, PLOT, [args.file]) or plot_format_problem(plot))
    checkpoint = getattr(args, "checkpoint", None)
    if checkpoint:
        problems.append(output_folder_problem("--checkpoint", checkpoint))
    return [p for p in problems if p]
