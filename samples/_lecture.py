"""Shared pieces of the lecture's training samples: the spiral data and a small net on it, training runs with
gs.Trainer, and steady CPU timings (one BLAS thread, medians of interleaved runs). (Their command line is _cli.py's.) The samples import this module by name (their own folder is
on the path when Python or graphscope runs them).
"""
import contextlib
import time

import numpy as np

import graphscope as gs


def loss_of(net, x, y):
    """The softmax loss of `net` on one batch, with the input leaf named x and the scores node named scores."""
    scores = net(gs.tensor(np.asarray(x), name="x"))
    scores.name = "scores"
    loss = gs.softmax_cross_entropy(scores, np.asarray(y))
    loss.name = "loss"
    return loss


def fit(net, data, optimizer="sgd", lr=0.1, epochs=10, batch_size=32, reg=0.0, schedule=None, seed=0,
        **hyper):
    """Train `net` on ``data = (x, y, x_val, y_val)`` with gs.Trainer; returns ``(history, trainer)``."""
    trainer = make_trainer(net, data, optimizer, lr, epochs, batch_size, reg, schedule, seed, **hyper)
    return trainer.fit(*data), trainer


def make_trainer(net, data, optimizer="sgd", lr=0.1, epochs=10, batch_size=32, reg=0.0, schedule=None, seed=0,
                 **hyper):
    """A gs.Trainer for `net` on ``data = (x, y, x_val, y_val)``, recorded on its first batch, in float64."""
    x, y = data[0], data[1]
    loss = loss_of(net, x[:batch_size], y[:batch_size])
    opt = gs.optim.make(optimizer, loss.graph().params, lr, **hyper)
    return gs.Trainer(loss, opt, batch_size=batch_size, epochs=epochs, reg=reg, schedule=schedule, seed=seed,
                      dtype="float64", progress=False)


def epochs_to(accuracies, target):
    """The first epoch (1-based) whose accuracy reaches `target`, or None."""
    return next((i + 1 for i, a in enumerate(accuracies) if a is not None and a >= target), None)


# ---------------------------------------------------------------- the spiral and a net on it

CLASSES = 3


def spiral_data(per_class=100):
    """cs231n's 3-class spiral to train on, and a second draw of its noise to validate on."""
    x, y = gs.train.spiral(n_per_class=per_class, classes=CLASSES, seed=0)
    x_val, y_val = gs.train.spiral(n_per_class=per_class, classes=CLASSES, seed=1)
    return x, y, x_val, y_val


def spiral_net(hidden=100, activation="relu", seed=0, layers=1, batchnorm=False):
    """A fully connected net on the spiral (`layers` hidden layers of `hidden` units), its softmax loss on a
    first batch; the trainer replays it on every batch. Weights: He for ReLU, Xavier otherwise."""
    x, y, _, _ = spiral_data()
    rng = np.random.default_rng(seed)
    h = gs.tensor(x[::10], name="x")
    fan_in = 2
    for i in range(1, layers + 1):
        with gs.scope(f"fc{i}"):
            gain = 2.0 if activation == "relu" else 1.0
            W = gs.param(rng.normal(scale=np.sqrt(gain / fan_in), size=(fan_in, hidden)), name=f"fc{i}.W")
            a = h @ W
            if batchnorm:  # no bias before batch norm: it would be subtracted again (beta is the bias)
                a = gs.nn.BatchNorm1d(hidden, name=f"bn{i}")(a)
            else:
                a = a + gs.param(np.zeros(hidden), name=f"fc{i}.b")
            h = getattr(gs, activation)(a)
        fan_in = hidden
    with gs.scope("out"):
        W = gs.param(rng.normal(scale=0.01, size=(hidden, CLASSES)), name="out.W")
        b = gs.param(np.zeros(CLASSES), name="out.b")
        scores = h @ W + b
        scores.name = "scores"
    loss = gs.softmax_cross_entropy(scores, y[::10])
    loss.name = "loss"
    return loss


def train(loss, rule, lr, epochs, batch_size=32, seed=0, shuffle=True, x=None, y=None, x_val=None, y_val=None):
    """Train `loss`'s graph with gs.optim.<rule> for `epochs` on the spiral (or the data given): the History."""
    if x is None:
        x, y, x_val, y_val = spiral_data()
    optimizer = getattr(gs.optim, rule)(loss.graph().params, lr=lr)
    trainer = gs.Trainer(loss, optimizer, batch_size=batch_size, epochs=epochs, seed=seed, shuffle=shuffle,
                         progress=False)
    return trainer.fit(x, y, x_val, y_val)


def epoch_means(history):
    """The mean training loss of each epoch."""
    per = history.settings["iterations_per_epoch"]
    return [float(np.mean(history.loss[i:i + per])) for i in range(0, len(history.loss), per)]


# ---------------------------------------------------------------- timing

def blas_pinned():
    """Whether one_blas_thread() can pin numpy's BLAS (threadpoolctl is installed)."""
    try:
        import threadpoolctl  # noqa: F401
    except ImportError:
        return False
    return True


def one_blas_thread():
    """A context in which numpy's BLAS runs on one thread, so that timings measure the work rather than how
    threads share a busy machine; a no-op without threadpoolctl."""
    if not blas_pinned():
        return contextlib.nullcontext()
    from threadpoolctl import threadpool_limits
    return threadpool_limits(1)


def cpu_seconds(fn, calls=3):
    """The CPU time of one call of `fn`, averaged over `calls` calls in a row."""
    t0 = time.process_time()
    for _ in range(calls):
        fn()
    return (time.process_time() - t0) / calls


def median_cpu_seconds(fns, runs, calls=3):
    """{name: the median CPU seconds of one call of fns[name]}, the functions timed in turn (interleaved, so a
    busy spell weighs on each alike) after one warm-up call each, on one BLAS thread."""
    with one_blas_thread():
        for fn in fns.values():
            fn()
        times = {name: [] for name in fns}
        for _ in range(runs):
            for name, fn in fns.items():
                times[name].append(cpu_seconds(fn, calls))
    return {name: float(np.median(t)) for name, t in times.items()}
