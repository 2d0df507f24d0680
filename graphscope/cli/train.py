"""graphscope train FILE.py: train the graph a training file builds on the data it returns.

A training file defines build() (returning the loss) and data() (returning
x_train, y_train, x_val, y_val); a saved graph cannot be trained (it holds
no data). The file may also define settings(), returning the settings it
trains best with, e.g. {"optimizer": "adam", "lr": 0.01, "epochs": 150,
"batch_size": 30, "schedule": "exp:0.02"} (also: reg, seed, dtype): they
replace train's defaults, options given on the command line replace them,
and the header says where each setting came from.

The recorded graph is trained by replay with gs.Trainer; the history is
printed as a table and a terminal curve, and written as JSON (--history) and
as a picture (--plot, needs matplotlib). Every output is checked before
training starts. After training, a short diagnosis of the layers says when
a gradient vanishes or explodes, a layer's units are more than 90% dead or
saturated, or a layer's units all hold the same weights; --layers prints
the layer statistics table too, and --history keeps one compact record of
the layers per epoch (gradient std, dead/saturated fraction,
update/weight ratio, the diagnosis).

--checkpoint DIR keeps every epoch; a new run refuses a DIR that holds a
checkpoint (--overwrite replaces it) or other files. --resume DIR goes on
with the run saved in DIR: the same training file and model, with its
settings (an option that contradicts them is refused; only --epochs, the
total, may grow). The trained model is shipped from a checkpoint: `graphscope
export FILE.py --checkpoint DIR -o model.onnx` (or .gsgraph, .svg) holds its
weights, in eval mode (batch norm's running averages, no dropout). A
loss that turns NaN or infinite stops the run, names the node that made it
and exits with status 1; Ctrl-C stops it with status 130. Either way the
table, --history and --plot show the epochs completed and the last good
checkpoint (--checkpoint) is kept.
"""
import argparse
import dataclasses
import math
import os
import shlex
import sys

from ..engine.errors import GraphscopeError
from ..engine.graphcheck import NOT_JUDGED_STATUS
from ..engine.words import plural
from .common import (TRAIN_DEFAULTS, optimizer_factory, optimizer_problem, option_problems, output_problems,
                     report_bad_options)
from .trainfile import SETTINGS

DESCRIPTION = __doc__.split("\n\n", 1)[1]

EXAMPLES = """examples:
  graphscope train samples/fc_net.py                   with the settings fc_net.py's settings() suggests
  graphscope train samples/fc_net.py --epochs 20       the same, 20 epochs (an option beats settings())
  graphscope train samples/train_spiral.py --optimizer sgd --lr 0.5 --schedule exp:0.01 --epochs 300 --batch-size 32
  graphscope train samples/train_spiral.py --schedule step:0.5:50 --history h.json --plot curves.png
  graphscope train samples/train_spiral.py --checkpoint ck/ --epochs 8
  graphscope train samples/train_spiral.py --resume ck/ --epochs 20   on to 20 epochs in all, with ck/'s settings
  graphscope export samples/train_spiral.py --checkpoint ck/ -o spiral.onnx   the trained model, to ship
  graphscope train samples/train_spiral.py --sanity    initial loss, regularization, overfit 20 examples
  graphscope train samples/train_spiral.py --layers     the layer statistics table after training
"""

#: The settings a training file's settings() may suggest, in the order the header lists them.
SETTING_KEYS = tuple(SETTINGS)
#: Where a setting came from: the command line, the training file's settings(), train's defaults.
GIVEN, SUGGESTED, DEFAULT = "given", "settings()", "default"

#: The option that sets each resumable setting (--no-shuffle sets shuffle to False).
OPTIONS = {"optimizer": "--optimizer", "lr": "--lr", "batch_size": "--batch-size", "reg": "--reg", "seed": "--seed",
           "dtype": "--dtype", "schedule": "--schedule", "shuffle": "--no-shuffle"}
#: Options --sanity does not use (it trains nothing: no history, curves or checkpoints to write or read).
NOT_WITH_SANITY = ("plot", "history", "checkpoint", "resume", "layers")
#: The command line's schedule forms, by the gs.optim schedule class they make.
SCHEDULE_SPECS = {"Exponential": ("exp", "k"), "InverseTime": ("inv", "k"), "StepDecay": ("step", "factor", "every")}


def add_training_arguments(p, epochs_help=None):
    """Options train and search share: the file, the optimizer and the batches. Left out, they are None
    (train then takes them from --resume's checkpoint, else from the file's settings(), else from
    TRAIN_DEFAULTS). `epochs_help`: what --epochs means and its default, when not train's."""
    d = TRAIN_DEFAULTS
    p.add_argument("file", help="a training file: a .py whose build() returns the loss and whose data() returns "
                                "(x_train, y_train, x_val, y_val); a saved graph has no data to train on")
    p.add_argument("--optimizer", metavar="NAME",
                   help=f"sgd, momentum, nesterov, adagrad, rmsprop or adam (default: settings()'s, else "
                        f"{d['optimizer']})")
    p.add_argument("--epochs", type=int,
                   help=epochs_help or f"epochs in all (default: the checkpoint's with --resume, else settings()'s, "
                                       f"else {d['epochs']})")
    p.add_argument("--batch-size", type=int, help=f"examples per batch (default: settings()'s, else {d['batch_size']})")
    p.add_argument("--seed", type=int, help=f"seed of the shuffling (default: settings()'s, else {d['seed']})")
    p.add_argument("--dtype", choices=("float32", "float64"),
                   help=f"what the graph computes in (default: settings()'s, else {d['dtype']})")
    p.add_argument("--drop-last", action="store_true",
                   help="leave out each epoch's last batch when it is smaller than --batch-size (batch norm cannot "
                        "train on a last batch of 1 example)")
    p.add_argument("--no-progress", action="store_true", help="no progress bar, even in a terminal")


def fill_defaults(args, suggested=None):
    """Every training setting left out (None) set to the training file's `suggested` one, else to `graphscope
    train`'s default; returns where each came from ({key: GIVEN, SUGGESTED or DEFAULT})."""
    suggested = suggested or {}
    origins = {}
    for key in SETTING_KEYS:
        if not hasattr(args, key):
            continue
        if getattr(args, key) is not None:
            origins[key] = GIVEN
        elif key in suggested:
            setattr(args, key, suggested[key])
            origins[key] = SUGGESTED
        else:
            setattr(args, key, TRAIN_DEFAULTS[key])
            origins[key] = DEFAULT
    return origins


def settings_optimizer_problems(args, origins, file_name):
    """[the line refusing the optimizer a training file's settings() names], or [] (one given on the command line
    was checked with the other options)."""
    if (origins or {}).get("optimizer") != SUGGESTED:
        return []
    problem = optimizer_problem(args.optimizer, setting_name("optimizer", origins, file_name))
    return [problem] if problem else []


def setting_name(key, origins, file_name):
    """How a message names a setting: '--lr' when given or defaulted, "lr of fc_net.py's settings()" else."""
    if (origins or {}).get(key) == SUGGESTED:
        return f"{key} of {file_name}'s settings()"
    return "--" + key.replace("_", "-")


def add_parser(sub):
    p = sub.add_parser("train", help="train a training file's graph (mini-batch SGD, Adam, ...)",
                       description=DESCRIPTION, epilog=EXAMPLES, formatter_class=argparse.RawDescriptionHelpFormatter)
    add_training_arguments(p)
    p.add_argument("--lr", type=float, help=f"learning rate (default: settings()'s, else {TRAIN_DEFAULTS['lr']:g})")
    p.add_argument("--reg", type=float,
                   help="L2 regularization strength: loss + REG * sum ||W||^2 over the weights (default: "
                        "settings()'s, else 0)")
    p.add_argument("--schedule", metavar="SPEC",
                   help="learning-rate decay per epoch (epoch = 0, 1, ...; lr0 = --lr): exp:K (lr0 * e^(-K * "
                        "epoch)), inv:K (lr0 / (1 + K * epoch)) or step:FACTOR:EVERY (lr0 * FACTOR^(epoch // "
                        "EVERY): multiplied by FACTOR every EVERY epochs); none: no decay, whatever settings() "
                        "suggests (default: settings()'s, else none)")
    p.add_argument("--no-shuffle", action="store_true", help="feed the batches in the same order every epoch")
    p.add_argument("--history", metavar="OUT.json", help="write the history (loss, accuracies, lr, settings)")
    p.add_argument("--checkpoint", metavar="DIR",
                   help="write a checkpoint to DIR after every epoch; a new run refuses a DIR that holds a checkpoint "
                        "(--resume DIR goes on with it, --overwrite replaces it) or other files")
    p.add_argument("--overwrite", action="store_true",
                   help="let a new run replace the checkpoint in --checkpoint DIR")
    p.add_argument("--resume", metavar="DIR",
                   help="go on with the run saved in DIR, with its settings, up to --epochs in all (default: the "
                        "saved run's total); checkpoints then go to DIR unless --checkpoint says otherwise")
    p.add_argument("--plot", metavar="OUT.png", help="draw loss, accuracy and learning-rate curves (.png, .svg, "
                                                     ".pdf, .jpg, ...; needs matplotlib)")
    p.add_argument("--layers", action="store_true",
                   help="after training, print the layer statistics table (per scope: activation and gradient "
                        "mean and std, dead/saturated units, update/weight ratio per parameter) above the layer "
                        "diagnosis")
    p.add_argument("--sanity", action="store_true",
                   help="instead of training, run the sanity checks (initial loss, regularization, overfit 20 "
                        "examples), each printing the number it measured and a verdict ([ok], [FAIL], or [skip]: "
                        "not performed for this model); exit status 0 when all passed, 1 when one failed, 3 when "
                        "none failed but one was skipped")
    p.set_defaults(run=run)


# ---------------------------------------------------------------- settings

def schedule_spec(state):
    """The command line's text ('exp:0.1') of a saved schedule (checkpoint.schedule_state's form), or None."""
    if not state or state.get("type") not in SCHEDULE_SPECS:
        return None
    name, *keys = SCHEDULE_SPECS[state["type"]]
    return ":".join([name] + [repr(state[k]) for k in keys])  # repr: read back, it is the same number


def _schedule(text, lr, problems, label="--schedule"):
    """The schedule --schedule TEXT makes (None without one, or with 'none'); a bad one is a problem line."""
    if not text or no_schedule(text):
        return None
    lr_ok = isinstance(lr, (int, float)) and math.isfinite(lr) and lr > 0
    lr = lr if lr_ok else 1.0  # a bad --lr has its own line: the schedule is checked on a stand-in rate
    try:
        from ..optim.schedules import parse_schedule
        schedule = parse_schedule(text, lr)
        return schedule if lr_ok else None
    except ImportError:
        problems.append("--schedule needs graphscope.optim, which this graphscope does not have")
    except GraphscopeError as exc:
        problems.append(f"{label} {text}: {exc}")
    return None


def no_schedule(text):
    """True for --schedule none: no decay, even when the training file's settings() suggests one."""
    return text is not None and text.strip().lower() == "none"


def resume_settings(args, problems):
    """Take the settings left out from --resume's checkpoint; one problem per option that contradicts it.

    Returns (epochs done, the saved schedule's state).
    """
    from ..train.checkpoint import read_settings, same_setting
    saved = read_settings(args.resume)
    where = f"the checkpoint {args.resume} was trained with"
    for key in ("optimizer", "lr", "batch_size", "reg", "seed", "dtype"):
        value, given = saved.get(key), getattr(args, key)
        if key == "optimizer" and value is not None:
            value, given = str(value).lower(), None if given is None else given.lower()
        if given is None:
            setattr(args, key, TRAIN_DEFAULTS[key] if value is None else value)
        elif value is not None and not same_setting(value, given):
            problems.append(f"{OPTIONS[key]} {_text(getattr(args, key))}: {where} {OPTIONS[key]} {_text(value)}")
    if saved.get("shuffle") is False:
        args.no_shuffle = True
    elif args.no_shuffle:
        problems.append(f"--no-shuffle: {where} a fresh shuffle every epoch")
    if saved.get("drop_last"):
        args.drop_last = True
    elif getattr(args, "drop_last", False):  # tui's options have none
        problems.append(f"--drop-last: {where} every example in every epoch (a last batch smaller than the others)")
    state = saved.get("schedule")
    if state is not None and "repr" in state:
        problems.append(f"--resume {args.resume}: its run decays the learning rate by a schedule the command line "
                        f"cannot rebuild ({state['repr']}); resume it from Python (gs.train.checkpoint.read_settings)")
    elif args.schedule is not None and (schedule_spec(state) or "none") != args.schedule.strip():
        given = _schedule(args.schedule, args.lr, [])
        from ..train.checkpoint import schedule_state
        if given is None or schedule_state(given) != state:
            problems.append(f"--schedule {args.schedule}: {where} "
                            + (f"--schedule {schedule_spec(state)}" if state else "no schedule"))
    args.schedule = schedule_spec(state)
    if args.epochs is None:
        args.epochs = saved.get("epochs") if isinstance(saved.get("epochs"), int) else saved["done"]
    return saved["done"]


#: Where a resumed run's settings came from, for --history's settings.from.
FROM_CHECKPOINT = "checkpoint"


def given_settings(args):
    """The settings the command line gives (before any is filled in from a checkpoint or settings())."""
    return {key for key in SETTING_KEYS if getattr(args, key, None) is not None} | \
        ({"shuffle"} if getattr(args, "no_shuffle", False) else set())


def resumed_origins(given):
    """{setting: 'given' or 'checkpoint'}: a resumed run takes every setting left out from its checkpoint."""
    return {key: GIVEN if key in given else FROM_CHECKPOINT for key in SETTING_KEYS}


def checkpoint_problems(args, command="train"):
    """Whether the checkpoint folders fit the run: a new run's --checkpoint must not hold another run (without
    --overwrite) or other files; --resume must be a checkpoint of this training file. One line each, in the words
    of `graphscope COMMAND` (train, or tui, whose training screen takes the same options)."""
    from ..train.checkpoint import CheckpointError, new_run_problem, saved_file
    problems = []
    if args.overwrite and not args.checkpoint:
        problems.append("--overwrite goes with --checkpoint DIR (the folder whose checkpoint a new run replaces)")
    target = args.checkpoint
    if target and not (args.resume and _same_folder(target, args.resume)):
        resume = option_text("--resume", target) if command == "train" else \
            f"{resume_command(command, args.file, target)} (or {resume_command('train', args.file, target)})"
        if args.resume or not _holds_run_of(target, args.file):
            resume = None  # only a run of this file, not being resumed from elsewhere, may be continued
        problem = new_run_problem(target, replace=args.overwrite, resume=resume, overwrite="--overwrite",
                                  label=option_text("--checkpoint", target),
                                  run="a resumed run" if args.resume else "a new run")
        if problem:
            problems.append(problem)
    if args.resume:
        try:
            made_by = saved_file(args.resume)
        except CheckpointError as exc:
            return problems + [str(exc)]
        if made_by is not None and not same_file(made_by, args.file):
            problems.append(f"{option_text('--resume', args.resume)}: it holds a run of {made_by}, not of {args.file}; "
                            f"resume it with "
                            f"{resume_command(command, made_by, args.resume)}, or train {args.file} with another "
                            f"--checkpoint folder")
        elif not args.checkpoint:
            problems += resume_folder_problems(args.resume)
    return problems


def resume_folder_problems(folder):
    """[why the checkpoints of a run resumed from `folder` cannot be written back into it (a read-only folder, a
    full disk: tried for real)], or []: said before training, with the way to keep them elsewhere."""
    from .common import output_folder_problem
    problem = output_folder_problem("--resume", folder)
    if problem is None:
        return []
    problem = option_text("--resume", folder) + problem[len(f"--resume {folder}"):]
    return [f"{problem}; a resumed run writes its checkpoints there: give {option_text('--checkpoint', 'OTHER')} "
            f"to write them into another folder (the run still goes on from {shlex.quote(folder)})"]


def _holds_run_of(folder, file):
    """True when the checkpoint in `folder` is a run of `file` (or does not say whose it is)."""
    from ..train.checkpoint import CheckpointError, saved_file
    try:
        made_by = saved_file(folder)
    except (CheckpointError, OSError):
        return False
    return made_by is None or same_file(made_by, file)


def resume_command(command, file, folder):
    """'graphscope train FILE --resume DIR': the command that goes on with the run saved in `folder`."""
    return "graphscope " + shlex.join([command, file, "--resume", folder])


def option_text(option, value):
    """'--resume 'ck dir'': an option and its value as a shell reads them (quoted when it holds a space, ...)."""
    return f"{option} {shlex.quote(str(value))}"


def _same_folder(a, b):
    return os.path.abspath(a) == os.path.abspath(b)


def same_file(saved, given):
    """True when the file a checkpoint names (as given then) is `given` now: the same path, the same file, or,
    when the saved path leads nowhere from here (another working folder), the same file name."""
    if os.path.normpath(saved) == os.path.normpath(given):
        return True
    if os.path.exists(saved):
        return os.path.exists(given) and os.path.samefile(saved, given)
    return os.path.basename(saved) == os.path.basename(given)


def _text(value):
    return f"{value:g}" if isinstance(value, float) else str(value)


def nothing_to_train(args, done, epochs_given):
    """The line saying the checkpoint already holds --epochs epochs, or None when there is some to train."""
    if args.epochs > done:
        return None
    if epochs_given:
        return (f"nothing to train: the checkpoint {args.resume} has {plural(done, 'epoch')}, --epochs "
                f"{args.epochs} (the total, not the epochs to add: give --epochs {done + 1} or more to train further)")
    return (f"nothing to train: the checkpoint {args.resume} has all {plural(done, 'epoch')} of its run; give "
            f"--epochs {done + 1} or more (the total) to train further")


def sanity_problems(args):
    """--sanity trains nothing: the options about a run's outputs are refused with it, one line each."""
    if not args.sanity:
        return []
    return [f"--{name}: --sanity only checks the model before training (no run to {verb}); leave out one of them"
            for name, verb in zip(NOT_WITH_SANITY, ("draw", "write", "save", "resume", "measure"))
            if getattr(args, name)]


# ---------------------------------------------------------------- the command

def run(args):
    from .trainfile import TrainingFile
    epochs_given = args.epochs is not None
    given = given_settings(args)
    problems = option_problems(args) + sanity_problems(args)
    from ..train.search_result import MAX_EPOCHS  # one cap: search's, so a run search suggests is one train takes
    if args.epochs is not None and args.epochs > MAX_EPOCHS:
        problems.append(f"--epochs must be a whole number from 1 to {MAX_EPOCHS:,}, got {args.epochs}")
    training_file = TrainingFile(args.file)  # a saved graph or a file without data() is refused here (exit 2)
    done, origins = 0, None
    if args.resume and not args.sanity:
        done = resume_settings(args, problems)
    else:
        origins = fill_defaults(args, training_file.settings)
        problems += settings_optimizer_problems(args, origins, training_file.name)
    schedule = _schedule(args.schedule, args.lr, problems, setting_name("schedule", origins, training_file.name))
    problems += output_problems(args) + checkpoint_problems(args)
    if problems:
        return report_bad_options("train", problems)
    loss, (x_train, y_train, x_val, y_val) = training_file.load()
    try:
        optimizer = optimizer_factory(args.optimizer)(loss.graph().params, args.lr)
    except GraphscopeError as exc:
        if "optim is missing" in str(exc):
            raise
        name = setting_name("optimizer", origins, training_file.name)
        return report_bad_options("train", [f"{name} {args.optimizer}: {exc}"])
    from ..train import Trainer
    trainer = Trainer(loss, optimizer, batch_size=args.batch_size, epochs=args.epochs, schedule=schedule,
                      reg=args.reg, seed=args.seed, shuffle=not args.no_shuffle, dtype=args.dtype,
                      progress=False if args.no_progress else None,
                      checkpoint=args.checkpoint or args.resume, overwrite_checkpoint=args.overwrite,
                      watch_layers=bool(args.history), drop_last=args.drop_last)
    trainer.file = args.file  # as given: what a checkpoint records and --resume compares
    try:  # before anything is said or trained: a bad array is named as data() returns it
        x_train, y_train, x_val, y_val = trainer.check_data(x_train, y_train, x_val, y_val,
                                                            where=f"{args.file}'s data()")
    except GraphscopeError as exc:
        return report_bad_options("train", [str(exc)])
    batch_problem = cli_last_batch_problem(trainer.graph, len(x_train), args)
    if batch_problem and not args.sanity:  # --sanity says it as a failed check
        return report_bad_options("train", [batch_problem])
    from ..train.frozen import frozen_notes
    notes = frozen_notes(trainer)  # weights that will not train, said before anything is trained
    if args.sanity:
        print(f"sanity checks of {args.file} ({type(optimizer).__name__}, lr {args.lr:g}):")
        for note in notes:
            print(note)
        report = trainer.sanity_check(x_train, y_train, out=print)
        return 1 if not report.ok else 0 if report.complete else NOT_JUDGED_STATUS  # 3: as check, not all checked
    if args.resume:
        trainer.load_checkpoint(args.resume)  # the model is checked first: a different one is named as such
        args.resumed_after = trainer.epoch  # the table marks where this run went on
        if args.history:
            trainer.history.notes += unrecorded_layers_notes(trainer.history, args.resume)
        stop = nothing_to_train(args, done, epochs_given)
        if stop:
            return report_bad_options("train", [stop])
        origins = resumed_origins(given)
    print(header(args, optimizer, trainer, len(x_train), None if x_val is None else len(x_val)))
    if origins is not None and not args.resume:
        print(origins_line(args, origins, training_file))
    for note in notes:
        print(note)
    args.origins = origins
    from ..train import TrainingDiverged, TrainingInterrupted
    from ..train.loss_trend import trainer_verdict
    try:
        history = trainer.fit(x_train, y_train, x_val, y_val)
    except TrainingDiverged as exc:
        show(trainer.history, args, "up to the divergence")
        print()
        print(layer_health(trainer, args, "at the divergence"))
        print(f"graphscope train: {exc}", file=sys.stderr)
        return 1  # a problem found in the graph, not a command that could not run
    except TrainingInterrupted as exc:
        completed = completed_epochs(trainer.history, trainer.epoch)  # the one count the message and checkpoint use
        if completed.epochs:
            print(f"\ninterrupted: what follows shows the {plural(completed.epochs, 'epoch')} completed")
            note = exc.checkpoint is not None and held_note(exc.checkpoint, exc.epoch, completed.epochs)
            show(completed, args, f"of the {plural(completed.epochs, 'epoch')} completed", note)
        else:
            print("\ninterrupted before the first epoch ended: no history or plot written")
        raise  # graphscope's main says which checkpoint is kept and exits 130
    except Exception as exc:  # any other failure keeps the epochs that finished (--history, --plot), then is said
        completed = completed_epochs(trainer.history, trainer.epoch)
        if completed.epochs:
            print(f"\nstopped by an error: what follows shows the {plural(completed.epochs, 'epoch')} completed")
            folder = args.checkpoint or args.resume
            note = folder and held_note(folder, getattr(exc, "held", trainer.saved_epoch), completed.epochs,
                                        resumed=(args.resume, done) if args.resume else None)
            show(completed, args, f"of the {plural(completed.epochs, 'epoch')} completed", note)
        raise
    show(history, args)
    from ..train.threads import thread_note
    threads = thread_note(history.seconds)
    if threads:
        print(f"note: {threads}")
    print()
    stats = trainer.layer_stats()
    verdict = trainer_verdict(trainer, stats)
    if verdict:
        print(verdict)
    print(layer_health(trainer, args, f"after epoch {trainer.epoch}", stats))
    if args.checkpoint or args.resume:
        folder = args.checkpoint or args.resume
        words = ["export", args.file, "--checkpoint", folder, "-o", model_name(args.file)]
        print(f"checkpoint: {folder} (after epoch {trainer.epoch}); the trained model, to ship: "
              + "graphscope " + shlex.join(words + (["--dynamic-batch"] if any_batch_size(trainer) else [])))
    return 0


def any_batch_size(trainer):
    """True when the trained model export ships (the graph ending at the class scores) can take any batch size."""
    from ..engine.graph import Graph
    from ..interop.onnxbatch import batch_carriers
    scores = trainer.roles.scores
    try:
        batch_carriers(Graph(scores if scores is not None else trainer.graph.output))
    except GraphscopeError:
        return False
    return True


def cli_last_batch_problem(graph, n_train, args):
    """Why the batches of `n_train` examples leave batch norm a last batch of 1, in the command line's words, or
    None."""
    from ..train.lastbatch import last_batch_problem
    return last_batch_problem(graph, n_train, args.batch_size, args.drop_last, drop_option="--drop-last",
                              size_option="--batch-size")


def model_name(file):
    """'fc_net.onnx': the ONNX file a training file's trained model is suggested to go to."""
    from ..userfile import split_target
    return os.path.splitext(os.path.basename(split_target(file)[0]))[0] + ".onnx"


def layer_health(trainer, args, when, stats=None):
    """The layer diagnosis (with --layers, the statistics table above it) of the trained graph (`stats`: its
    layer statistics, when measured already)."""
    from .layerhealth import health_text
    command = "graphscope " + shlex.join(list(getattr(args, "argv", None) or ["train", args.file]) + ["--layers"])
    stats = trainer.layer_stats() if stats is None else stats
    return health_text(stats, when, show_table=args.layers, hint=f"the table: {command}")


def origins_line(args, origins, training_file):
    """'settings: --epochs 5 given; optimizer adam, lr 0.01 from fc_net.py's settings(); defaults: reg 0, ...'."""
    def text(key):
        value = getattr(args, key)
        if key == "schedule":
            value = "none" if value is None or no_schedule(value) else value
        shown = f"{value:g}" if isinstance(value, float) else str(value)
        return f"--{key.replace('_', '-')} {shown}" if origins[key] == GIVEN else f"{key.replace('_', ' ')} {shown}"
    parts = []
    for origin, where in ((GIVEN, "given"), (SUGGESTED, f"from {training_file.name}'s settings()"),
                          (FROM_CHECKPOINT, "from the checkpoint"), (DEFAULT, "train's defaults")):
        keys = [k for k in SETTING_KEYS if origins.get(k) == origin]
        if keys:
            listed = ", ".join(text(k) for k in keys)
            parts.append(f"{where}: {listed}" if origin == DEFAULT else f"{listed} {where}")
    return "settings: " + "; ".join(parts)


def header(args, optimizer, trainer, n_train, n_val):
    """'training FILE: 300 examples, ...; SGD lr 0.5 (exp:0.1), batch 32, reg 0.0001, float32, 8 epochs'."""
    from ..train.settings import batch_text
    batch = batch_text(args.batch_size, n_train)
    line = (f"training {args.file}: {n_train} examples" + (f", {n_val} for validation" if n_val else "")
            + f"; {type(optimizer).__name__} lr {args.lr:g}"
            + (f" ({args.schedule})" if args.schedule and not no_schedule(args.schedule) else "")
            + f", {batch}" + (" (a smaller last batch left out)" if args.drop_last else "")
            + f", reg {args.reg:g}, {args.dtype}" + (", no shuffling" if args.no_shuffle else "")
            + f", {plural(args.epochs, 'epoch')}")
    if args.resume:
        line += f"; resuming after epoch {trainer.epoch} of {args.epochs} (from {args.resume})"
    return line


def completed_epochs(history, epochs=None):
    """The history of the `epochs` epochs the trainer counts as finished (trainer.epoch; default: those the history
    holds): without the iterations of an unfinished last epoch, nor what an epoch interrupted while it was being
    recorded had added (its accuracies, its layer record), so the table, --history, the checkpoint note and the
    interruption message all count the same epochs."""
    from ..train.history import PER_EPOCH
    epochs = history.epochs if epochs is None else min(epochs, history.epochs)
    per = history.settings.get("iterations_per_epoch") or 0
    cut = {key: list(getattr(history, key)[:epochs]) for key in PER_EPOCH}
    return dataclasses.replace(history, loss=list(history.loss[:epochs * per] if per else history.loss),
                               layers=[r for r in history.layers if r.get("epoch") is None or r["epoch"] <= epochs],
                               **cut)


def unrecorded_layers_notes(history, folder):
    """[the note saying which epochs of a resumed run have no layer record (the run saved in `folder` ran without
    --history, so it kept none)], or [] when every saved epoch has one."""
    recorded = {r.get("epoch") for r in history.layers}
    missing = [e for e in range(1, history.epochs + 1) if e not in recorded]
    if not missing or any(note.startswith("layers: ") for note in history.notes):  # said by an earlier resume
        return []
    return [f"layers: no records of {plural(len(missing), 'epoch')} ({missing[0]}-{missing[-1]}): the run saved in "
            f"{folder} did not record them (it ran without --history)"]


def held_note(folder, held, completed, resumed=None):
    """'the checkpoint ck holds epoch 6, not 7: ...' when the checkpoint in `folder` holds `held` epochs (None: no
    checkpoint) rather than the `completed` ones the table and --history show; else None. `resumed`: (the folder
    the run was resumed from, its epoch), still there when none was written to another `folder`."""
    if held == completed:
        return None
    if held is None and resumed and resumed[1]:
        return (f"no checkpoint was written to {folder}; {resumed[0]} still holds epoch {resumed[1]}: resuming it "
                f"trains epoch {resumed[1] + 1} again")
    if held is None:
        return f"no checkpoint was written to {folder}: the {plural(completed, 'epoch')} shown are not saved"
    return (f"the checkpoint {folder} holds epoch {held}, not {completed}: resuming it trains epoch {held + 1} "
            f"again")


def show(history, args, which="", note=None):
    """Write --history and --plot (`which`: what part of the run), then print the table, the terminal curve,
    where the files went and the `note` (also kept in --history's notes): the files are written before anything
    is printed."""
    from ..util.terminal import colour_allowed
    from ..viz.curves import save_training_plot, terminal_curve
    which = f" {which}" if which else ""
    if note:
        history.notes = history.notes + [note]  # a copy: the trainer's own history (and checkpoints) stay as they are
    if getattr(args, "origins", None):
        history.settings["from"] = dict(args.origins)  # where each setting came from (given, settings(), default)
    written = []
    if args.history:
        history.save(args.history)
        written.append(f"history{which} written to {args.history}")
    if args.plot and history.loss:
        save_training_plot(history, args.plot, resumed_after=getattr(args, "resumed_after", None))
        written.append(f"plot{which} written to {args.plot}")
    if history.epochs:
        print()
        print(history.table(resumed_after=getattr(args, "resumed_after", None),
                            all_rows_hint="--history keeps them all", accuracy_note=True))
        if history.settings.get("reg"):  # the two losses differ by the reg term: said, or they look inconsistent
            print(f"(loss: the data loss plus the reg term, {history.settings['reg']:g} * sum ||W||^2; val loss: the "
                  f"data loss alone)")
    curve = terminal_curve(history, color=colour_allowed(sys.stdout))
    if curve:
        print()
        print(curve)
    for line in written:
        print(line)
    if note:
        print(f"note: {note}")
