"""graphscope search FILE.py: look for a good learning rate and regularization strength.

Coarse then fine, as the lecture advises: a first round of short trials
(random log-uniform samples, or a full grid evenly spaced in log scale,
--trials rounded up to fill it) over wide ranges, then a second, longer
round in the ranges of the best trials (--fine-epochs each, by default twice
--epochs; a grid's is finer, centred on the best trial). When the best
coarse trial sits at an edge of a range the fine round looks past it; when
every coarse trial diverged the fine round is skipped. A best value at an
end of the range searched is named under the command, with a wider range
to try. Every trial starts from the same initial weights
and shuffling seed; the optimizer, batch size, seed and dtype come from the
options, else from the training file's settings(), else from train's
defaults. The trials are printed as they finish, then as a table ranked
within each round (a fine trial trains longer than a coarse one), with the
`graphscope train` command that repeats the best trial exactly. When the
best trial learned nothing (it diverged, or its accuracy is near chance) a
line says so and what to try instead of a command, led by the layer
diagnosis at the initial weights when it finds what no learning rate cures
(dead units, no or vanishing gradients, symmetric weights), and the exit
status is 1.

-o FILE.json keeps the search as it goes: its settings and every finished
trial (per-epoch loss and accuracies), rewritten atomically as each trial
ends, so Ctrl-C (exit 130, the finished trials still ranked) loses only the
trial that was running. --resume FILE.json goes on with such a search: the
same training file and settings, its finished trials kept, the others run
(with the same seeds, so the result is that of the search never stopped).
"""
import argparse
import math
import os
import shlex

from ..engine.words import plural
from .common import (TRAIN_DEFAULTS, file_command, optimizer_factory, option_problems, output_file_problem,
                     report_bad_options, user_file_text)
from .train import (add_training_arguments, cli_last_batch_problem, fill_defaults, setting_name,
                    settings_optimizer_problems)

DESCRIPTION = __doc__.split("\n\n", 1)[1]

EXAMPLES = """examples:
  graphscope search samples/train_spiral.py                          8 coarse trials of 2 epochs, 8 fine of 4
  graphscope search samples/train_spiral.py --trials 9 --epochs 5    9 of 5 epochs, then 9 of 10
  graphscope search samples/train_spiral.py --method grid --trials 9 --fine-trials 0
  graphscope search samples/train_spiral.py --lr-range 1e-3 1 --reg-range 0 0 --optimizer adam
  graphscope search samples/train_spiral.py -o spiral.json           keep every trial (Ctrl-C too)
  graphscope search samples/train_spiral.py --resume spiral.json     go on with it: the trials left
"""

#: The settings search takes from a training file's settings() (it searches lr and reg, and sets the epochs).
FROM_SETTINGS = ("optimizer", "batch_size", "seed", "dtype")
#: What the search options mean when left out (and not taken from --resume's file).
SEARCH_DEFAULTS = {"method": "random", "trials": 8, "epochs": 2, "lr_range": (1e-4, 1.0), "reg_range": (1e-6, 1e-1)}
#: The options a resumed search takes from its file, by the setting they set.
RESUMED = {"method": "--method", "trials": "--trials", "fine_trials": "--fine-trials", "epochs": "--epochs",
           "fine_epochs": "--fine-epochs", "lr_range": "--lr-range", "reg_range": "--reg-range",
           "optimizer": "--optimizer", "batch_size": "--batch-size", "seed": "--seed", "dtype": "--dtype"}


def add_parser(sub):
    p = sub.add_parser("search", help="random or grid search of the learning rate and regularization",
                       description=DESCRIPTION, epilog=EXAMPLES, formatter_class=argparse.RawDescriptionHelpFormatter)
    add_training_arguments(p, epochs_help="epochs of each coarse trial (default 2); fine trials train "
                                          "--fine-epochs each")
    p.add_argument("--method", choices=("random", "grid"),
                   help="how to pick (default random): random samples each setting log-uniformly; grid tries every "
                        "pair of values evenly spaced in log scale, a grid as near square as fits (--trials rounded "
                        "up to fill it: 8 gives 3 lr x 3 reg values, 10 gives 4 x 3; with --reg-range 0 0, "
                        "--trials lr values)")
    p.add_argument("--trials", type=int, help="trials in the coarse round (default 8; a grid's rounded up)")
    p.add_argument("--fine-trials", type=int, metavar="N",
                   help="trials in the fine round (default: as many as --trials; 0: none)")
    p.add_argument("--fine-epochs", type=int, metavar="N",
                   help="epochs of each fine trial (default: twice --epochs)")
    p.add_argument("--lr-range", type=float, nargs=2, metavar=("LOW", "HIGH"),
                   help="learning rates to try, spread evenly in log scale, so 0 < LOW <= HIGH (default 1e-4 1); "
                        "the fine round may look one coarse step past an end the best coarse trial sits at")
    p.add_argument("--reg-range", type=float, nargs=2, metavar=("LOW", "HIGH"),
                   help="regularization strengths to try, spread evenly in log scale, so 0 < LOW <= HIGH (default "
                        "1e-6 0.1: a LOW this small acts as almost no regularization); 0 0 for none")
    p.add_argument("-o", "--output", metavar="FILE.json",
                   help="keep the search in this file: its settings and every finished trial (per-epoch loss and "
                        "accuracies), rewritten as each trial ends; a file holding another search is refused "
                        "(--resume it, or --overwrite)")
    p.add_argument("--resume", metavar="FILE.json",
                   help="go on with the search kept in FILE.json (-o): its settings (an option that contradicts "
                        "them is refused), its finished trials kept, the others run and added to the file")
    p.add_argument("--overwrite", action="store_true", help="let -o replace a file that holds a search")
    p.set_defaults(run=run)


def _range_problems(args):
    problems = []
    for option, pair, zero_ok in (("--lr-range", args.lr_range, False), ("--reg-range", args.reg_range, True)):
        lo, hi = pair
        ok = math.isfinite(lo) and math.isfinite(hi) and 0 <= lo <= hi and (lo > 0 or (zero_ok and hi == 0))
        if not ok:
            problems.append(f"{option} {lo:g} {hi:g}: needs 0 < LOW <= HIGH" + (
                ", or 0 0 for no regularization: the values are spread evenly in log scale, where 0 lies infinitely "
                "far down; a LOW of 1e-6 acts as almost none (or compare with a search of --reg-range 0 0)"
                if zero_ok and lo == 0 and hi > 0 else " (or 0 0)" if zero_ok else
                ": the values are spread evenly in log scale" if lo <= 0 < hi else ""))
    from ..train.search_result import MAX_EPOCHS, MAX_TRIALS
    for option, n, least, most in (("--trials", args.trials, 1, MAX_TRIALS),
                                   ("--fine-trials", args.fine_trials, 0, MAX_TRIALS),
                                   ("--epochs", args.epochs if args.epochs >= 1 else None, 1, MAX_EPOCHS),
                                   ("--fine-epochs", args.fine_epochs, 1, MAX_EPOCHS)):
        if n is not None and not least <= n <= most:
            problems.append(f"{option} must be a whole number from {least} to {most:,}, got {n}")
    return problems


def run(args):
    from .trainfile import TrainingFile
    from ..engine.errors import GraphscopeError
    problems = option_problems(args)
    training_file = TrainingFile(args.file)  # a saved graph or a file without data() is refused here (exit 2)
    resumed = None
    if args.resume:
        resumed, resume_problems = _resumed(args)
        problems += resume_problems
    for key, value in SEARCH_DEFAULTS.items():  # first: --epochs is each coarse trial's, never settings()'s
        if getattr(args, key) is None:
            setattr(args, key, value)
    suggested = {k: v for k, v in training_file.settings.items() if k in FROM_SETTINGS}
    origins = fill_defaults(args, suggested)
    problems += settings_optimizer_problems(args, origins, training_file.name)
    problems += _range_problems(args) + _output_problems(args)
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
    from ..train import Trainer
    try:  # before anything is said or run: a bad array is named as data() returns it
        Trainer(loss, make(loss.graph().params, args.lr_range[0]), progress=False).check_data(
            x_train, y_train, x_val, y_val, where=f"{args.file}'s data()")
    except GraphscopeError as exc:
        return report_bad_options("search", [str(exc)])
    batch_problem = cli_last_batch_problem(loss.graph(), len(x_train), args)
    if batch_problem:
        return report_bad_options("search", [batch_problem])
    from ..train.search import SearchInterrupted, search
    reg = (0.0, 0.0) if args.reg_range[1] == 0 else tuple(args.reg_range)
    regs = "no regularization" if reg[1] == 0 else f"reg in [{reg[0]:g}, {reg[1]:g}]"
    fine_trials = args.trials if args.fine_trials is None else args.fine_trials
    fine_epochs = 2 * args.epochs if args.fine_epochs is None else args.fine_epochs
    rounds = _rounds_text(args, reg, fine_trials, fine_epochs)
    print(f"searching lr in [{args.lr_range[0]:g}, {args.lr_range[1]:g}], {regs} "
          f"({args.method}, {args.optimizer}, batch {args.batch_size}) on {len(x_train)} examples: {rounds}")
    save = args.output or args.resume
    try:
        result = search(loss, make, x_train, y_train, x_val, y_val, method=args.method, trials=args.trials,
                        lr=tuple(args.lr_range), reg=reg, epochs=args.epochs, fine_trials=fine_trials,
                        fine_epochs=fine_epochs, batch_size=args.batch_size, seed=args.seed, dtype=args.dtype,
                        progress=False if args.no_progress else None, out=print, save=save, resume=resumed,
                        about={"file": _file_key(args.file), "optimizer": args.optimizer}, drop_last=args.drop_last)
    except GraphscopeError as exc:  # --resume's file is of other data or weights: said without the library's prefix
        raise GraphscopeError(str(exc).removeprefix("search: ")) from None
    except SearchInterrupted as exc:
        if exc.result.trials:
            print("\ninterrupted: the trials that finished")
            report(exc.result, args)
        go_on = (f"; `{file_command('search', args.file, (), '--resume', exc.saved)}` goes on" if exc.saved else
                 "; -o FILE.json would keep them (--resume FILE.json goes on)" if exc.result.trials and not save
                 else "")
        raise SearchInterrupted(f"{exc}{go_on}", exc.result) from None  # main says it and exits 130
    code = report(result, args)
    if save:
        print(f"\nthe search ({plural(len(result.trials), 'trial')}) is kept in {save}")
    return code


def _rounds_text(args, reg, fine_trials, fine_epochs):
    """'8 trials of 2 epochs, then 8 of 4 epochs'; a grid's shape, and --trials rounded up to fill it."""
    from ..train.search import grid_shape, planned_trials
    lr = tuple(args.lr_range)

    def round_text(n, option, epochs, first):
        runs = planned_trials(args.method, n, lr, reg)
        text = (plural(runs, "trial") if first else str(runs)) + f" of {plural(epochs, 'epoch')}"
        if args.method == "grid":
            side_lr, side_reg = grid_shape(n, lr, reg)
            text += (f" (a grid of {side_lr} lr x {plural(side_reg, 'reg value')}" if reg[1] > reg[0] else
                     f" (a grid of {plural(side_lr, 'lr value')}") + (f"; {option} {n} rounded up)" if runs != n else ")")
        return text

    return round_text(args.trials, "--trials", args.epochs, True) + (
        f", then {round_text(fine_trials, '--fine-trials', fine_epochs, False)}" if fine_trials else "")


# ---------------------------------------------------------------- -o and --resume

def _file_key(target):
    """The training file as a search file records it: its real path (and :NAME of a FILE.py:NAME target)."""
    from ..userfile import split_target
    path, name = split_target(target)
    return os.path.realpath(path) + (f":{name}" if path != target else "")


def _resumed(args):
    """(the SearchResult in --resume's file, or None; problems): the file must hold a search of the same training
    file; every search option left out is set from it, and one given that contradicts it is a problem."""
    from ..train.search import load_search
    from ..train.search_result import SearchFileError
    try:
        saved = load_search(args.resume)
    except SearchFileError as exc:
        return None, [f"--resume {exc}"]
    settings = saved.settings
    if settings.get("file") != _file_key(args.file):
        return None, [f"--resume {args.resume}: it holds a search of {_shown(settings.get('file'))}, not of "
                      f"{user_file_text(args.file)}"]
    problems = []
    args.drop_last = args.drop_last or bool(settings.get("drop_last"))  # a search file keeps it only when set
    for key, option in RESUMED.items():
        if key not in settings:
            problems.append(f"--resume {args.resume}: its settings lack {key}")
            continue
        given, kept = getattr(args, key), settings[key]
        if given is None:
            setattr(args, key, tuple(kept) if isinstance(kept, list) else kept)
        elif (list(map(float, given)) if isinstance(given, (list, tuple)) else given) != kept:
            problems.append(f"{option} {_value_text(given)}: the search in {args.resume} was run with {option} "
                            f"{_value_text(kept)} (a resumed search keeps its settings; -o OTHER.json starts a "
                            f"new one)")
    return saved, problems


def _shown(file_key):
    """The training file a search file names, as messages name files."""
    return user_file_text(file_key) if isinstance(file_key, str) and file_key else "an unknown file"


def _value_text(v):
    return " ".join(f"{x:g}" for x in v) if isinstance(v, (list, tuple)) else str(v)


def _output_problems(args):
    """-o's file must be writable, and must not hold another search unless --overwrite (or it is --resume's)."""
    if args.overwrite and not args.output:
        return ["--overwrite goes with -o FILE.json (it lets -o replace a file holding a search)"]
    if not args.output:
        return []
    from .outputs import SEARCH
    problem = output_file_problem("-o", args.output, SEARCH, [args.file])
    if problem:
        return [problem]
    same = args.resume and os.path.realpath(args.resume) == os.path.realpath(args.output)
    if args.overwrite or same or not os.path.isfile(args.output):
        return []
    from ..train.search import load_search
    from ..train.search_result import SearchFileError
    try:
        held = load_search(args.output)
    except SearchFileError:
        return []  # a damaged search file: replaced
    if not held.trials:
        return []
    return [f"-o {args.output} holds {plural(len(held.trials), 'finished trial')} of a search of "
            f"{_shown(held.settings.get('file'))}; a new search would replace it: --resume "
            f"{shlex.quote(args.output)} goes on with it, or give another file, or --overwrite to replace it"]


# ---------------------------------------------------------------- the result

def report(result, args):
    """Print the ranking, then the command that repeats the best trial, or why there is none (exit 1)."""
    from ..train.search_verdict import judge
    print()
    print(result.table())
    verdict = judge(result, tuple(args.lr_range))
    if not verdict.learned:
        print()
        for line in verdict_lines(verdict, result, args):
            print(line)
        return 1
    best = result.best
    acc = "" if verdict.best_acc is None else f", {100 * verdict.best_acc:.1f}% {_accuracy_of(result)}"
    from ..train.search_ranges import best_at_edges
    notes = [f"note: {at_edge}" for at_edge in best_at_edges(result)]  # above the command, which ends the output
    print("\n" + "\n".join(notes) if notes else "")
    print(f"best: lr {best.lr:.3g}, reg {best.reg:.3g} ({best.stage} round, {plural(best.epochs, 'epoch')}{acc}); "
          f"the same run (raise --epochs to train it longer):\n  {shlex.join(best_command(best, args))}")
    return 0


def _accuracy_of(result):
    """'validation accuracy' or 'training accuracy': what the best trial's figure is ('' for a loss)."""
    return result.ranked_by if result.ranked_by.endswith("accuracy") else ""


def verdict_lines(verdict, result, args):
    """Why the search found nothing and what to try: the learning rates (with a range), then the model."""
    lo, hi = args.lr_range
    n = verdict.trials
    if verdict.reason == "diverged":
        lines = [f"nothing learned: every trial diverged (lr {lo:g} to {hi:g})"]
    else:
        best = result.best
        lines = [f"nothing learned: the best {_accuracy_of(result)}, {100 * verdict.best_acc:.1f}% (lr {best.lr:.3g}, "
                 f"reg {best.reg:.3g}, {best.stage} round), is near chance ({100 * result.chance:.1f}%: always "
                 f"answering the most common of the {result.classes} classes)"]
    if verdict.blocked:
        lines.append(f"  {verdict.blocked[0]}")
        lines += [f"    {line}" for line in verdict.blocked[1:]]
    change = {"smaller": (f"the learning rates are too large: the loss grew or diverged in {verdict.blew_up} of "
                          f"{plural(n, 'trial')}"),
              "larger": (f"the learning rates are too small: the loss hardly moved in {verdict.stalled} of "
                         f"{plural(n, 'trial')}" if 2 * verdict.stalled >= n else
                         "the learning rates look too small: no trial's loss grew, and the best was near the top of "
                         "the range"),
              "": ("so the learning rates are not the problem" + (
                  f": the loss hardly moved in {verdict.stalled} of {plural(n, 'trial')}, and" if verdict.stalled
                  else ";") + " a larger rate only scales gradients that are 0 or ~0: fix the model first"
                   if verdict.blocked else
                   f"the learning rates do not look like the problem: the loss grew or diverged in only "
                   f"{verdict.blew_up} of {plural(n, 'trial')}")}[verdict.lr_change]
    if verdict.lr_range:
        change += f"; try --lr-range {verdict.lr_range[0]:g} {verdict.lr_range[1]:g}"
    lines.append(f"  {change}")
    lines.append(f"  the model: `{file_command('train', args.file, (), '--sanity')}` checks its initial loss and "
                 f"that it can overfit 20 examples" + ("" if verdict.reason == "diverged" or verdict.blocked else
                                                       "; more epochs (--epochs) give every trial longer"))
    return lines


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
    if getattr(args, "drop_last", False):
        words.append("--drop-last")
    return words
