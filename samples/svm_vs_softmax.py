"""The multiclass SVM loss and the softmax loss on the same scores.

- On the lecture's scores (cat, car, frog; one example each) the car example
  already beats every other class by more than 1: its SVM loss is 0 and its
  SVM gradient is exactly 0, while its softmax loss and gradient are not.
- At initialization (small random weights, every score near 0) the softmax
  loss is close to log(C) and the SVM loss close to C - 1: the lecture's
  first sanity check.
- Gradient descent on one example's scores: the SVM stops moving them once
  every margin exceeds 1; the softmax keeps pushing the right class up.

build() returns total = svm + softmax on one shared scores node, so one backward pass
shows each loss's own contribution to d/dscores, side by side:

    python samples/svm_vs_softmax.py [--fast] [--plot PATH]
    python samples/svm_vs_softmax.py --plot descent.svg   # the descent drawn as .png, .svg or .pdf
    python samples/svm_vs_softmax.py --plot figures       # figures/descent.png
    graphscope demo samples/svm_vs_softmax.py
    graphscope export samples/svm_vs_softmax.py -o losses.svg
    graphscope check samples/svm_vs_softmax.py
"""
import numpy as np

import graphscope as gs
from _cli import parse_args
from graphscope.engine.formatting import format_table
from graphscope.viz.figures import DPI, new_figure, whole_number_axis, write_figure

#: The lecture's scores: rows are examples (a cat, a car, a frog image), columns the classes.
CLASSES = ("cat", "car", "frog")
SCORES = [[3.2, 5.1, -1.7],
          [1.3, 4.9, 2.0],
          [2.2, 2.5, -3.1]]
LABELS = [0, 1, 2]
LOSSES = {"svm": gs.svm_loss, "softmax": gs.softmax_cross_entropy}


def build(scores=SCORES, labels=LABELS):
    """total = svm + softmax, both on the same scores node (each loss is a mean over the examples)."""
    s = gs.param(np.array(scores, dtype=np.float64), name="scores")
    total = None
    for name, loss_fn in LOSSES.items():
        loss = loss_fn(s, labels)
        loss.name = name
        total = loss if total is None else total + loss
    total.name = "total"
    return total


def loss_and_grad(loss, scores, labels):
    """The value of loss ("svm" or "softmax") on the scores and its gradient with respect to them."""
    s = gs.param(np.array(scores, dtype=np.float64), name="scores")
    out = LOSSES[loss](s, labels)
    out.backward()
    return out.item(), np.array(s.grad)


def per_example(scores=SCORES, labels=LABELS):
    """For each example: {loss: (value, gradient of its scores row)} for both losses."""
    return [{name: loss_and_grad(name, [row], [label]) for name in LOSSES} for row, label in zip(scores, labels)]


def initial_losses(classes=10, examples=50, features=100, scale=1e-3, seed=0):
    """Both losses of a linear classifier scores = X W at initialization, W ~ scale * N(0, 1)."""
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(examples, features))
    W = scale * rng.normal(size=(features, classes))
    labels = rng.integers(0, classes, size=examples)
    return {name: loss_and_grad(name, X @ W, labels)[0] for name in LOSSES}


def margin(scores, label):
    """How far the right class's score is above the best other class's."""
    others = np.delete(np.asarray(scores, dtype=np.float64), label)
    return float(scores[label] - others.max())


def descend(loss, scores, label, steps, lr=0.5):
    """Gradient descent on one example's scores under `loss`, replaying one recorded graph.

    Returns one (loss value, margin, gradient norm) row per step, the first
    before any update.
    """
    s = gs.param(np.array([scores], dtype=np.float64), name="scores")
    graph = LOSSES[loss](s, [label]).graph()
    history = []
    for _ in range(steps + 1):
        graph.zero_grad()
        graph.backward()
        history.append((graph.output.item(), margin(s.value[0], label), float(np.linalg.norm(s.grad))))
        s.value = s.value - lr * s.grad
        graph.run()
    return history


def plot_descent(runs, path, dpi=DPI):
    """Loss and margin against step, one line per loss, to `path` (.png, .svg or .pdf; needs matplotlib)."""
    fig = new_figure(path, (9, 3.5))
    ax_loss, ax_margin = fig.subplots(1, 2)
    for name, history in runs.items():
        steps = range(len(history))
        ax_loss.plot(steps, [row[0] for row in history], label=name)
        ax_margin.plot(steps, [row[1] for row in history], label=name)
    ax_margin.axhline(1.0, color="gray", linestyle=":", linewidth=1)
    ax_loss.set(xlabel="step", ylabel="loss", title="loss")
    ax_margin.set(xlabel="step", ylabel="s_y - max other score", title="margin (the svm stops above 1)")
    ax_loss.legend()
    for ax in (ax_loss, ax_margin):
        whole_number_axis(ax.xaxis)
    fig.suptitle("gradient descent on one example's scores")
    return write_figure(fig, path, dpi)


def main(argv=None):
    options = parse_args(__file__, __doc__, argv, fast="40 descent steps instead of 200", figures=("descent.png",))
    steps = 40 if options.fast else 200
    print("the lecture's scores, one example per row; each loss on its own:")
    rows, examples = [], per_example()
    for k, found in enumerate(examples):
        rows.append((CLASSES[LABELS[k]], " ".join(f"{v:g}" for v in SCORES[k]))
                    + tuple(x for name in LOSSES for x in (f"{found[name][0]:.3f}",
                                                            f"{np.linalg.norm(found[name][1]):.3g}")))
    print(format_table(("example", "scores (cat car frog)", "svm", "|d svm/ds|", "softmax", "|d softmax/ds|"),
                       rows))
    car = examples[CLASSES.index("car")]
    print(f"the car beats every class by more than 1: svm loss {car['svm'][0]:g} and gradient "
          f"{np.abs(car['svm'][1]).max():g}, softmax loss {car['softmax'][0]:.3f} and gradient "
          f"{np.linalg.norm(car['softmax'][1]):.3g}\n")

    classes = 10
    init = initial_losses(classes)
    print(f"at initialization (W ~ 0.001 N(0, 1), {classes} classes): softmax loss {init['softmax']:.4f} "
          f"vs log({classes}) = {np.log(classes):.4f}; svm loss {init['svm']:.4f} vs C - 1 = {classes - 1}\n")

    cat = SCORES[0]
    runs = {name: descend(name, cat, LABELS[0], steps) for name in LOSSES}
    shown = sorted({0, 1, 2, 3, 5, 10, steps // 4, steps // 2, steps})
    print(f"gradient descent (lr 0.5) on the cat example's scores {cat}, margin = s_cat - max(other scores):")
    print(format_table(("step", "svm loss", "svm margin", "|grad|", "softmax loss", "softmax margin", "|grad|"),
                       [(str(t),) + tuple(x for name in LOSSES for x in (
                           f"{runs[name][t][0]:.4g}", f"{runs[name][t][1]:.3f}", f"{runs[name][t][2]:.3g}"))
                        for t in shown]))
    still = next(t for t, row in enumerate(runs["svm"]) if row[0] == 0.0)
    print(f"the svm loss is 0 from step {still} on (margin {runs['svm'][still][1]:.2f} > 1) and the scores stop "
          f"moving; the softmax keeps pushing: margin {runs['softmax'][-1][1]:.2f} after {steps} steps")
    if options.plot:
        options.plot.write("descent.png", lambda path, dpi: plot_descent(runs, path, dpi))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
