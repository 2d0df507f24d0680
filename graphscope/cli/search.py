"""graphscope search FILE.py: look for a good learning rate and regularization strength.

Coarse then fine, as the lecture advises: a first round of short trials
(random log-uniform samples, or a grid) over wide ranges, then a second,
longer round in the ranges of the best trials (--fine-epochs each, by
default twice --epochs). Every trial starts from the same initial weights;
the optimizer, batch size, seed and dtype come from the options, else from
the training file's settings(), else from train's defaults. The trials are
printed as they finish, then as a table sorted by validation accuracy, with
the `graphscope train` command that repeats the best trial exactly. Ctrl-C
still prints the trials that finished.
"""
import argparse
import math
import shlex

from ..engine.words import plural
from .common import TRAIN_DEFAULTS, optimizer_factory, option_problems, report_bad_options
from .train import add_training_arguments, fill_defaults, setting_name

DESCRIPTION = __doc__.split("\n\n", 1)[1]

EXAMPLES = """examples:
  graphscope search samples/train_spiral.py                          8 coarse trials of 2 epochs, 8 fine of 4
  graphscope search samples/train_spiral.py --trials 9 --epochs 5    9 of 5 epochs, then 9 of 10
  graphscope search samples/train_spiral.py --method grid --trials 9 --fine-trials 0
  graphscope search samples/train_spiral.py --lr-range 1e-3 1 --reg-range 0 0 --optimizer adam
"""

#: The settings search takes from a training file's settings() (it searches lr and reg, and sets the epochs).
FROM_SETTINGS = ("optimizer", "batch_size", "seed", "dtype")


def add_parser(sub):
    p = sub.add_parser("search", help="random or grid search of the learning rate and regularization",
                       description=DESCRIPTION, epilog=EXAMPLES, formatter_class=argparse.RawDescriptionHelpFormatter)
    add_training_arguments(p, epochs_help="epochs of each coarse trial (default 2); fine trials train "
                                          "--fine-epochs each")
    p.set_defaults(epochs=2)
    p.add_argument("--method", choices=("random", "grid"), default="random", help="how to pick (default random)")
    p.add_argument("--trials", type=int, default=8, help="trials in the coarse round (default 8)")
    p.add_argument("--fine-trials", type=int, metavar="N",
                   help="trials in the fine round (default: as many as --trials; 0: none)")
    p.add_argument("--fine-epochs", type=int, metavar="N",
                   help="epochs of each fine trial (default: twice --epochs)")
    p.add_argument("--lr-range", type=float, nargs=2, default=(1e-4, 1.0), metavar=("LOW", "HIGH"),
                   help="learning rates to try (default 1e-4 1)")
    p.add_argument("--reg-range", type=float, nargs=2, default=(1e-6, 1e-1), metavar=("LOW", "HIGH"),
                   help="regularization strengths to try (default 1e-6 0.1; 0 0 for none)")
    p.set_defaults(run=run)


def _range_problems(args):
    problems = []
    for option, (lo, hi), zero_ok in (("--lr-range", args.lr_range, False), ("--reg-range", args.reg_range, True)):
        ok = math.isfinite(lo) and math.isfinite(hi) and 0 <= lo <= hi and (lo > 0 or (zero_ok and hi == 0))
        if not ok:
            problems.append(f"{option} {lo:g} {hi:g}: needs 0 < LOW <= HIGH" + (" (or 0 0)" if zero_ok else ""))
    if args.trials < 1:
        problems.append(f"--trials must be at least 1, got {args.trials}")
    if args.fine_trials is not None and args.fine_trials < 0:
        problems.append(f"--fine-trials must be 0 or more, got {args.fine_trials}")
    if args.fine_epochs is not None and args.fine_epochs < 1:
        problems.append(f"--fine-epochs must be at least 1, got {args.fine_epochs}")
    return problems


def run(args):
    from .trainfile import TrainingFile
    from ..engine.errors import GraphscopeError
    problems = option_problems(args) + _range_problems(args)
    training_file = TrainingFile(args.file)  # a saved graph or a file without data() is refused here (exit 2)
    suggested = {k: v for k, v in training_file.settings.items() if k in FROM_SETTINGS}
    origins = fill_defaults(args, suggested)
    if problems:
        return report_bad_options("search", problems)
    args.train_defaults = {**TRAIN_DEFAULTS, **training_file.settings}  # what `graphscope train FILE` would use
    loss, (x_train, y_train, x_val, y_val) = training_file.load()
    make = optimizer_factory(args.optimizer)
    try:
        make(loss.graph().params, args.lr_range[0])
    except GraphscopeError as exc:
        if "optim is missing" in str(exc):
            raise
        name = setting_name("optimizer", origins, training_file.name)
        return report_bad_options("search", [f"{name} {args.optimizer}: {exc}"])
    from ..train.search import SearchInterrupted, search
    reg = (0.0, 0.0) if args.reg_range[1] == 0 else tuple(args.reg_range)
    regs = "no regularization" if reg[1] == 0 else f"reg in [{reg[0]:g}, {reg[1]:g}]"
    fine_trials = args.trials if args.fine_trials is None else args.fine_trials
    fine_epochs = 2 * args.epochs if args.fine_epochs is None else args.fine_epochs
    rounds = f"{plural(args.trials, 'trial')} of {plural(args.epochs, 'epoch')}" + (
        f", then {fine_trials} of {plural(fine_epochs, 'epoch')}" if fine_trials else "")
    print(f"searching lr in [{args.lr_range[0]:g}, {args.lr_range[1]:g}], {regs} "
          f"({args.method}, {args.optimizer}, batch {args.batch_size}) on {len(x_train)} examples: {rounds}")
    try:
        result = search(loss, make, x_train, y_train, x_val, y_val, method=args.method, trials=args.trials,
                        lr=tuple(args.lr_range), reg=reg, epochs=args.epochs, fine_trials=args.fine_trials,
                        fine_epochs=args.fine_epochs,
                        batch_size=args.batch_size, seed=args.seed, dtype=args.dtype,
                        progress=False if args.no_progress else None, out=print)
    except SearchInterrupted as exc:
        if exc.result.trials:
            print("\ninterrupted: the trials that finished")
            report(exc.result, args)
        raise  # graphscope's main says where it stopped and exits 130
    return report(result, args)


def report(result, args):
    """Print the ranking and the command that repeats the best trial; 1 when every trial diverged."""
    print()
    print(result.table())
    best = result.best
    if best.diverged:
        print("\nevery trial diverged: try smaller learning rates (--lr-range)")
        return 1
    print(f"\nbest: lr {best.lr:.3g}, reg {best.reg:.3g} after {plural(best.epochs, 'epoch')}; the same run "
          f"(raise --epochs to train it longer):\n  {shlex.join(best_command(best, args))}")
    return 0


def best_command(trial, args):
    """`graphscope train FILE ...` with every setting of `trial` that differs from what train takes for the file
    (its settings(), else train's defaults): it repeats the trial exactly (the values tried have 3 significant
    digits, typed here in full; a schedule the file suggests is turned off, as the trials had none)."""
    defaults = getattr(args, "train_defaults", TRAIN_DEFAULTS)
    settings = {"optimizer": args.optimizer, "lr": trial.lr, "reg": trial.reg, "batch_size": args.batch_size,
                "epochs": trial.epochs, "seed": args.seed, "dtype": args.dtype}
    words = ["graphscope", "train", args.file]
    for key, value in settings.items():
        if value != defaults[key]:
            words += ["--" + key.replace("_", "-"), repr(value) if isinstance(value, float) else str(value)]
    if defaults.get("schedule"):
        words += ["--schedule", "none"]
    return words
