"""graphscope train FILE.py: train the graph a training file builds on the data it returns.

A training file defines build() (returning the loss) and data() (returning
x_train, y_train, x_val, y_val). The recorded graph is trained by replay with
gs.Trainer; the history is printed as a table and a terminal curve, and
written as JSON (--history) and as a picture (--plot, needs matplotlib).
A loss that turns NaN or infinite stops the run, names the node that made it
and exits with status 1; the last good checkpoint (--checkpoint) is kept. Ctrl-C
stops the run with status 130 and keeps the last good checkpoint too.
"""
import sys

from ..engine.errors import GraphscopeError
from .common import optimizer_factory, option_problems, report_bad_options

DESCRIPTION = __doc__.split("\n\n", 1)[1]


def add_training_arguments(p, epochs_default=10):
    """Options train and search share: the file, the optimizer and the batches."""
    p.add_argument("file", help="a training file: build() returns the loss, data() returns "
                                "(x_train, y_train, x_val, y_val)")
    p.add_argument("--optimizer", default="sgd", metavar="NAME",
                   help="sgd, momentum, nesterov, adagrad, rmsprop or adam (default sgd)")
    p.add_argument("--epochs", type=int, default=epochs_default, help=f"epochs (default {epochs_default})")
    p.add_argument("--batch-size", type=int, default=64, help="examples per batch (default 64)")
    p.add_argument("--seed", type=int, default=0, help="seed of the shuffling (default 0)")
    p.add_argument("--dtype", choices=("float32", "float64"), default="float32",
                   help="what the graph computes in (default float32)")
    p.add_argument("--no-progress", action="store_true", help="no progress bar, even in a terminal")


def add_parser(sub):
    p = sub.add_parser("train", help="train a training file's graph (mini-batch SGD, Adam, ...)",
                       description=DESCRIPTION)
    add_training_arguments(p)
    p.add_argument("--lr", type=float, default=0.01, help="learning rate (default 0.01)")
    p.add_argument("--reg", type=float, default=0.0,
                   help="L2 regularization strength: loss + REG * sum ||W||^2 over the weights (default 0)")
    p.add_argument("--schedule", metavar="SPEC",
                   help="learning-rate decay per epoch: exp:K, inv:K or step:FACTOR:EVERY")
    p.add_argument("--no-shuffle", action="store_true", help="feed the batches in the same order every epoch")
    p.add_argument("--history", metavar="OUT.json", help="write the history (loss, accuracies, lr, settings)")
    p.add_argument("--checkpoint", metavar="DIR", help="write a checkpoint to DIR after every epoch")
    p.add_argument("--resume", metavar="DIR", help="continue from the checkpoint in DIR up to --epochs in all "
                                                   "(checkpoints then go to DIR unless --checkpoint says otherwise)")
    p.add_argument("--plot", metavar="OUT.png", help="draw loss and accuracy curves (.png, .svg or .pdf; "
                                                     "needs matplotlib)")
    p.add_argument("--sanity", action="store_true",
                   help="run the sanity checks (initial loss, regularization, overfit 20 examples) instead of training")
    p.set_defaults(run=run)


def _schedule(text, lr):
    from ..optim.schedules import parse_schedule
    return parse_schedule(text, lr)


def run(args):
    problems = option_problems(args)
    schedule = None
    if args.schedule:
        try:
            schedule = _schedule(args.schedule, args.lr)
        except ImportError:
            problems.append("--schedule needs graphscope.optim, which this graphscope does not have")
        except GraphscopeError as exc:
            problems.append(f"--schedule {args.schedule}: {exc}")
    if problems:
        return report_bad_options("train", problems)
    from .trainfile import load_training_file
    loss, (x_train, y_train, x_val, y_val) = load_training_file(args.file)
    try:
        optimizer = optimizer_factory(args.optimizer)(loss.graph().params, args.lr)
    except GraphscopeError as exc:
        if "optim is missing" in str(exc):
            raise
        return report_bad_options("train", [f"--optimizer {args.optimizer}: {exc}"])
    from ..train import Trainer
    trainer = Trainer(loss, optimizer, batch_size=args.batch_size, epochs=args.epochs, schedule=schedule,
                      reg=args.reg, seed=args.seed, shuffle=not args.no_shuffle, dtype=args.dtype,
                      progress=False if args.no_progress else None,
                      checkpoint=args.checkpoint or args.resume)
    if args.sanity:
        print(f"sanity checks of {args.file} ({type(optimizer).__name__}, lr {args.lr:g}):")
        report = trainer.sanity_check(x_train, y_train)
        return 0 if report.ok else 1
    if args.resume:
        trainer.load_checkpoint(args.resume)
        print(f"resumed from {args.resume} after epoch {trainer.epoch}")
    print(f"training {args.file}: {len(x_train)} examples"
          + (f", {len(x_val)} for validation" if x_val is not None else "")
          + f"; {type(optimizer).__name__} lr {args.lr:g}"
          + (f" ({args.schedule})" if args.schedule else "")
          + f", batch {args.batch_size}, {args.epochs} epochs, reg {args.reg:g}, {args.dtype}")
    from ..train import TrainingDiverged
    try:
        history = trainer.fit(x_train, y_train, x_val, y_val)
    except TrainingDiverged as exc:
        if args.history:  # what happened up to the blow-up is what one wants to look at
            trainer.history.save(args.history)
            print(f"history up to the divergence written to {args.history}")
        print(f"graphscope train: {exc}", file=sys.stderr)
        return 1  # a problem found in the graph, not a command that could not run
    print()
    print(history.table(max_rows=20))
    from ..viz.curves import terminal_curve
    curve = terminal_curve(history, color=sys.stdout.isatty())
    if curve:
        print()
        print(curve)
    if args.history:
        history.save(args.history)
        print(f"history written to {args.history}")
    if args.plot:
        from ..viz.curves import save_training_plot
        save_training_plot(history, args.plot)
        print(f"plot written to {args.plot}")
    if args.checkpoint or args.resume:
        print(f"checkpoint: {args.checkpoint or args.resume} (after epoch {trainer.epoch})")
    return 0
