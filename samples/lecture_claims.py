"""Every quantitative claim of the lecture, measured with graphscope: the claim, the numbers, a verdict.

Some claims come out refuted or only partly true at this scale (tiny nets on
a 2-D spiral, numpy on a CPU): that is a finding, reported as measured.

    python samples/lecture_claims.py             # every claim at full size, printed as a table
    python samples/lecture_claims.py --width 100 # fit the table to 100 columns (default: the terminal's)
    python samples/lecture_claims.py --fast      # smaller runs (what CI runs, seconds)
    python samples/lecture_claims.py --markdown docs/lecture_claims.md   # also write the table (the README's)
    python samples/lecture_claims.py --fast --markdown claims.md --only init,relu
    graphscope tui samples/lecture_claims.py     # the first claim's net: its initial loss is about log(10)

Nothing is written unless --markdown says where. The timings are CPU time
on one BLAS thread (when threadpoolctl is installed), so a busy machine
moves them little; each timing claim names what it measured and the band of
ratios each verdict stands for.
"""
import argparse
import os
import sys
import textwrap
import time
from dataclasses import dataclass

import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
import _lecture as lecture  # noqa: E402
from _cli import parse_args  # noqa: E402
from _table import fitted_table, terminal_width  # noqa: E402
import activations  # noqa: E402
import batchnorm  # noqa: E402
import dropout  # noqa: E402
import hyperparameter_search  # noqa: E402
import svm_vs_softmax  # noqa: E402
import update_rules  # noqa: E402
import vanishing_gradients  # noqa: E402

import graphscope as gs  # noqa: E402
from graphscope.util.atomic import atomic_write  # noqa: E402

VERDICTS = ("confirmed", "partly", "refuted")
#: The narrowest --width taken: the table prints one block per claim below 50 columns.
MIN_WIDTH = 30


@dataclass
class Claim:
    """One claim of the lecture, what graphscope measured and the verdict."""

    claim: str
    measured: str
    verdict: str    # one of VERDICTS
    evidence: str = ""  # the sample that shows it at length

    def __post_init__(self):
        if self.verdict not in VERDICTS:
            raise ValueError(f"verdict must be one of {VERDICTS}, got {self.verdict!r}")


def _grade(full, some=False):
    return "confirmed" if full else ("partly" if some else "refuted")


# ---------------------------------------------------------------- the claims, one function each

def build(classes=10, batch=200, seed=0):
    """The first claim's graph: a 2-layer net with small random weights, its softmax loss on random data
    (what `graphscope tui samples/lecture_claims.py` steps through)."""
    rng = np.random.default_rng(seed)
    x = gs.tensor(rng.standard_normal((batch, 50)), name="x")
    with gs.scope("fc1"):
        h = gs.relu(x @ gs.param(rng.normal(scale=0.01, size=(50, 100)), name="W1"))
    with gs.scope("fc2"):
        scores = h @ gs.param(rng.normal(scale=0.01, size=(100, classes)), name="W2")
        scores.name = "scores"
    loss = gs.softmax_cross_entropy(scores, rng.integers(0, classes, batch))
    loss.name = "loss"
    return loss


def initial_softmax_loss(classes=10, batch=200, seed=0):
    """The softmax loss of a net with small random weights, against -log(1/C); and that of
    samples/svm_vs_softmax.py's linear classifier, which shows the same on another model."""
    loss = build(classes, batch, seed)
    expected = -np.log(1.0 / classes)
    rel = abs(loss.item() - expected) / expected
    linear = svm_vs_softmax.initial_losses(classes=classes)["softmax"]
    return Claim(f"the initial softmax loss is -log(1/C) (C = {classes})",
                 f"{loss.item():.4f} vs -log(1/{classes}) = {expected:.4f} (off by {100 * rel:.2f}%): a 2-layer "
                 f"ReLU net, weights N(0, 0.01^2), {batch} random examples; a linear classifier (W ~ 0.001 N(0, 1), "
                 f"50 examples) gives {linear:.4f}",
                 _grade(rel < 0.01, rel < 0.1), "svm_vs_softmax.py")


def _threads():
    return "one BLAS thread" if lecture.blas_pinned() else "BLAS threads not pinned (no threadpoolctl)"


#: backward / forward: "about as much, slightly more" (confirmed), the same order (partly), else refuted.
BACKWARD_BANDS = {"confirmed": (1.0, 1.5), "partly": (0.8, 3.0)}


def backward_vs_forward(fast=False, layers=4, width=512, batch=256):
    """The CPU time of the forward and of the backward phase of one graph (ReLU layers of matmuls on a batch),
    each the median of interleaved runs after a warm-up; the same graph with --fast, fewer runs."""
    rng = np.random.default_rng(0)
    h = gs.tensor(rng.standard_normal((batch, width)), name="x")
    for i in range(layers):
        with gs.scope(f"fc{i + 1}"):
            h = gs.relu(h @ gs.param(rng.normal(scale=np.sqrt(2 / width), size=(width, width))))
    graph = gs.mean(h * h).graph()

    def backward():
        graph.zero_grad()
        graph.backward()
    runs = 5 if fast else 15
    seconds = lecture.median_cpu_seconds({"forward": graph.run, "backward": backward}, runs)
    forward_s, backward_s = seconds["forward"], seconds["backward"]
    ratio = backward_s / forward_s
    # forward: one matmul per layer; backward: dW for each layer and dX for all but the first (x needs none)
    predicted = (2 * layers - 1) / layers
    low, high = BACKWARD_BANDS["confirmed"]
    return Claim("backward costs about as much as forward, slightly more",
                 f"CPU time per pass, median of {runs} interleaved runs after a warm-up ({_threads()}; {layers} ReLU "
                 f"layers of {width}, batch {batch}): forward {1e3 * forward_s:.1f} ms, backward "
                 f"{1e3 * backward_s:.1f} ms, backward = {ratio:.2f} x forward; the matmuls predict "
                 f"{predicted:.2f}x ({layers} forward, {2 * layers - 1} backward); confirmed within {low:g}-{high:g}x, "
                 f"partly within {BACKWARD_BANDS['partly'][0]:g}-{BACKWARD_BANDS['partly'][1]:g}x",
                 _grade(low <= ratio <= high, BACKWARD_BANDS["partly"][0] <= ratio <= BACKWARD_BANDS["partly"][1]))


def elementwise_jacobian(n=4096):
    """The Jacobian of relu on an n-vector, described (never built)."""
    x = gs.tensor(np.random.default_rng(0).standard_normal(n), requires_grad=True, name="x")
    y = gs.relu(x)
    info = gs.describe_jacobian(y.graph().output, 0)
    dense_mb = n * n * 8 / 1e6
    holds = tuple(info.shape) == (n, n) and info.structure == "diagonal"
    return Claim(f"an element-wise op on a {n}-vector has a {n}x{n} Jacobian that is diagonal",
                 f"relu: shape {info.shape[0]} x {info.shape[1]}, structure {info.structure} "
                 f"({dense_mb:.0f} MB if built dense; graphscope never builds it)",
                 _grade(holds), "jacobians.py")


def weight_init(fast=False):
    """10 tanh layers of 500: N(0, 0.01^2) collapses, N(0, 1) saturates, Xavier keeps the spread."""
    v = vanishing_gradients.verdicts({s: vanishing_gradients.measure(s, fast) for s in vanishing_gradients.SETUPS})
    held = [holds for _, holds in vanishing_gradients.activation_claims(v)[:3]]
    small, big, xavier = (v[k] for k in list(vanishing_gradients.SETUPS)[:3])
    return Claim("10-layer 500-unit tanh net: activations collapse with N(0, 0.01^2), saturate with N(0, 1), "
                 "keep their variance with Xavier",
                 f"last/first layer std {small['last_over_first']:.1e} with 0.01; "
                 f"{100 * big['saturated_mean']:.0f}% of units saturated with 1.0 (local gradient < 0.02), yet "
                 f"the gradient grows {big['grad_first_over_last']:.1e}x from layer 10 back to layer 1 (it "
                 f"explodes, it does not vanish); "
                 f"Xavier std {xavier['first_std']:.2f} -> {xavier['last_std']:.2f} (max/min "
                 f"{xavier['max_over_min']:.1f})", _grade(all(held), any(held)), "vanishing_gradients.py")


def relu_speed(fast=False):
    """Epochs to the target training accuracy with ReLU, tanh and sigmoid: samples/activations.py's runs
    (the same net, data, rule and lr for each)."""
    m = activations.measure(fast)
    target, max_epochs = m["target"], m["epochs"]
    epochs = {act: m[act]["epochs_to_target"] for act in ("relu", "tanh", "sigmoid")}
    relu = epochs["relu"]
    others = {a: e for a, e in epochs.items() if a != "relu"}
    shown = ", ".join(f"{a} {e if e else f'not within {max_epochs}'}" for a, e in epochs.items())
    if relu is None:
        return Claim("ReLU converges about 6x faster than sigmoid/tanh", f"epochs to {100 * target:.0f}% "
                     f"training accuracy: {shown}", "refuted", "activations.py")
    ratios = {a: (e if e else max_epochs) / relu for a, e in others.items()}
    low = min(ratios.values())
    speedups = ", ".join(f"{'' if others[a] else '> '}{r:.1f}x over {a}" for a, r in ratios.items())
    text = f"epochs to {100 * target:.0f}% training accuracy: {shown}; ReLU {speedups}"
    return Claim("ReLU converges about 6x faster than sigmoid/tanh", text, _grade(low >= 4, low >= 1.5),
                 "activations.py")


#: batch norm's extra CPU time per training step: "about 30%" (confirmed), up to double (partly), else refuted.
BATCHNORM_BANDS = {"confirmed": (0.15, 0.5), "partly": (0.05, 1.0)}


def batchnorm_cost(fast=False):
    """The compute of a training step of the same net with and without batch norm: samples/batchnorm.py's."""
    m = batchnorm.measure(fast)
    plain, bn = m["plain"]["step_seconds"], m["batchnorm"]["step_seconds"]
    extra = m["cost_ratio"] - 1.0
    (low, high), (some_low, some_high) = BATCHNORM_BANDS["confirmed"], BATCHNORM_BANDS["partly"]
    return Claim("batch norm costs about 30% more compute per epoch",
                 f"CPU time of a training step (forward and backward of a batch of {batchnorm.BATCH}; median of "
                 f"{m['cost_runs']} interleaved runs after a warm-up, {_threads()}): {1e3 * plain:.2f} ms "
                 f"without, {1e3 * bn:.2f} ms with ({batchnorm.DEPTH} hidden layers of {batchnorm.WIDTH}, so "
                 f"per-op overhead weighs): {100 * extra:+.0f}%; confirmed within {100 * low:+.0f} to "
                 f"{100 * high:+.0f}%, partly within {100 * some_low:+.0f} to {100 * some_high:+.0f}%",
                 _grade(low <= extra <= high, some_low <= extra <= some_high), "batchnorm.py")


def dropout_gap(fast=False):
    """The train/validation accuracy gap with and without dropout: samples/dropout.py's runs."""
    m = dropout.measure(fast)
    plain, drop = m["plain"], m["dropout"]
    narrower, val_kept = drop["gap"] < plain["gap"], drop["val_acc"] >= plain["val_acc"]
    return Claim("dropout reduces overfitting",
                 f"train - validation accuracy after {m['epochs']} epochs: {100 * plain['gap']:.1f} points "
                 f"without, {100 * drop['gap']:.1f} with p = {m['p']}; validation {100 * plain['val_acc']:.1f}% "
                 f"without, {100 * drop['val_acc']:.1f}% with", _grade(narrower and val_kept, narrower),
                 "dropout.py")


def reshuffling(fast=False, seeds=3):
    """Validation accuracy after the same epochs: reshuffled every epoch vs one fixed shuffled order."""
    x, y, x_val, y_val = lecture.spiral_data()
    order = np.random.default_rng(0).permutation(len(x))
    x_fixed, y_fixed = x[order], y[order]
    epochs = 15 if fast else 40
    acc = {True: [], False: []}
    for seed in range(seeds):
        for shuffle in (True, False):
            h = lecture.train(lecture.spiral_net(seed=seed), "SGD", 0.3, epochs, seed=seed, shuffle=shuffle,
                              x=x_fixed, y=y_fixed, x_val=x_val, y_val=y_val)
            acc[shuffle].append(h.val_acc[-1])
    gain = float(np.mean(acc[True]) - np.mean(acc[False]))
    spread = float(np.std(np.array(acc[True]) - np.array(acc[False])))
    return Claim("reshuffling every epoch improves results significantly",
                 f"validation accuracy after {epochs} epochs, mean of {seeds} seeds: reshuffled "
                 f"{100 * np.mean(acc[True]):.1f}%, one fixed order {100 * np.mean(acc[False]):.1f}% "
                 f"({100 * gain:+.1f} points, spread {100 * spread:.1f})",
                 _grade(gain > 0.02 and gain > 2 * spread, gain > max(spread, 0.005)))


def update_rule_ranking(fast=False):
    """Adam is a good default; SGD is the slowest: the last-epoch loss of the six rules."""
    losses = update_rules.compare(10 if fast else 30)
    ranked = sorted(losses, key=lambda r: losses[r][-1])
    adam_good, sgd_slowest = ranked.index("Adam") < 3, ranked[-1] == "SGD"
    return Claim("Adam is a good default; SGD is the slowest",
                 "last-epoch loss: " + ", ".join(f"{r} {losses[r][-1]:.3f}" for r in ranked),
                 _grade(adam_good and sgd_slowest, adam_good or sgd_slowest), "update_rules.py")


def random_vs_grid(fast=False):
    """The best validation accuracy random and grid search find on the same budget."""
    s = hyperparameter_search.summary(hyperparameter_search.compare(fast))
    rnd, grid = s["random"], s["grid"]
    diff = rnd["best_val"] - grid["best_val"]
    return Claim("random search beats grid search on the same budget",
                 f"best validation accuracy {100 * rnd['best_val']:.1f}% (random) vs {100 * grid['best_val']:.1f}% "
                 f"(grid), {rnd['trials']} trials and {rnd['epochs']} epochs each; coarse learning rates tried: "
                 f"{rnd['distinct_lr']} vs {grid['distinct_lr']}", _grade(diff > 0.01, diff >= 0),
                 "hyperparameter_search.py")


#: short name -> measuring function (each takes fast= except the instant ones)
CLAIMS = {
    "softmax": lambda fast: initial_softmax_loss(),
    "backward": backward_vs_forward,
    "jacobian": lambda fast: elementwise_jacobian(),
    "init": weight_init,
    "relu": relu_speed,
    "batchnorm": batchnorm_cost,
    "dropout": dropout_gap,
    "shuffle": reshuffling,
    "rules": update_rule_ranking,
    "search": random_vs_grid,
}


def measure(names=None, fast=False, out=None, width=None):
    """Measure the named claims (all by default), telling `out` (e.g. print) each as it is done, in a line of at
    most `width` characters (default: the terminal's)."""
    results, start = [], time.perf_counter()
    width = width or terminal_width()
    with lecture.one_blas_thread():  # the timings measure work, not how BLAS threads share the machine
        for name in names or CLAIMS:
            results.append(CLAIMS[name](fast))
            if out:
                line = f"[{time.perf_counter() - start:5.1f} s] {results[-1].verdict:<9} {results[-1].claim}"
                out(textwrap.shorten(line, width, placeholder=" ..."))
    return results


def table(claims, width=None):
    """The claims as a text table fitted to `width` columns (default: the terminal's), cells wrapped."""
    return fitted_table(("the lecture says", "graphscope measured", "verdict"),
                        [(c.claim, c.measured, c.verdict) for c in claims], width)


def markdown(claims, fast=False, path="FILE.md"):
    """The claims as a Markdown table, with how it was made."""
    def cell(text):
        return text.replace("|", "\\|")
    lines = ["| the lecture says | graphscope measured | verdict |", "|---|---|---|"]
    for c in claims:
        seen = f" (see `samples/{c.evidence}`)" if c.evidence else ""
        lines.append(f"| {cell(c.claim)} | {cell(c.measured)}{seen} | **{c.verdict}** |")
    how = "python samples/lecture_claims.py" + (" --fast" if fast else "") + f" --markdown {path}"
    return "\n".join(lines) + f"\n\nMade by `{how}`; timings depend on the machine.\n"


def _options(parser):
    parser.add_argument("--markdown", metavar="FILE.md",
                        help="also write the table there as Markdown (the README's is docs/lecture_claims.md); "
                             "without it nothing is written")
    parser.add_argument("--only", metavar="NAMES", help=f"comma-separated claims to measure: {', '.join(CLAIMS)}")
    parser.add_argument("--width", metavar="N", type=_width,
                        help="fit the table to N columns, wrapping within its cells (default: the terminal's width; "
                             "80 in a pipe unless COLUMNS is set)")


def _width(text):
    """--width's value: a whole number of columns from MIN_WIDTH, or argparse's one-line refusal."""
    if not text.isdigit() or int(text) < MIN_WIDTH:
        raise argparse.ArgumentTypeError(f"give a whole number of columns from {MIN_WIDTH}, not {text!r}")
    return int(text)


def _claim_names(only):
    """The claims --only names, or a one-line problem naming the unknown ones."""
    names = [n.strip() for n in only.split(",") if n.strip()]
    unknown = [n for n in names if n not in CLAIMS]
    if unknown:
        return None, f"--only: no claim named {', '.join(unknown)}; the claims: {', '.join(CLAIMS)}"
    return names, None


def _markdown_problem(path):
    folder = os.path.dirname(path) or "."
    if not os.path.isdir(folder):
        return f"--markdown {path}: there is no folder {folder}"
    if os.path.isdir(path):
        return f"--markdown {path}: is a folder; give a file name, e.g. {os.path.join(path, 'lecture_claims.md')}"
    return None


def main(argv=None):
    args = parse_args(__file__, __doc__, argv, fast="smaller runs, the same timing graph (seconds; what CI runs)",
                      add_options=_options)
    names, problem = _claim_names(args.only) if args.only else (None, None)
    problem = problem or (args.markdown and _markdown_problem(args.markdown))
    if problem:
        print(f"lecture_claims.py: error: {problem}", file=sys.stderr)
        return 2
    claims = measure(names, args.fast, out=print, width=args.width)
    print()
    print(table(claims, args.width))
    if args.markdown:
        with atomic_write(args.markdown, "claims table") as f:
            f.write(markdown(claims, args.fast, args.markdown).encode("utf-8"))
        print(f"\nwrote {args.markdown}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
