"""The lecture's update rules on the same net and data: SGD, Momentum, Nesterov, AdaGrad, RMSProp, Adam.

Every rule starts from the same initial weights and sees the same batches;
each gets the learning rate the lecture would start it with (SGD-like rules
0.05, the adaptive ones 0.01). Plain SGD is the slowest; Momentum and Adam
reach a lower loss after the same number of iterations.

The "why SGD is slow" picture: on a loss surface that is steep in one
direction and shallow in the other, L(w) = (0.05 w1^2 + 2 w2^2) / 2, SGD
jitters across the steep direction and crawls along the shallow one;
momentum builds up speed along it; the adaptive rules rescale each direction.

    python samples/update_rules.py [--fast] [--plot DIR] [--no-terminal-plot]   # losses; rules.png, surface.png
    graphscope train samples/update_rules.py                             # settings() below: Adam's run, lr 0.01
    graphscope train samples/update_rules.py --optimizer sgd --lr 0.05   # another rule's run
"""
import os
import sys

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import _lecture as lecture  # noqa: E402
from _cli import parse_args, print_findings, terminal_plot  # noqa: E402

import graphscope as gs  # noqa: E402

#: rule -> learning rate on the spiral net
RULES = {"SGD": 0.05, "Momentum": 0.05, "Nesterov": 0.05, "AdaGrad": 0.05, "RMSProp": 0.01, "Adam": 0.01}
#: rule -> learning rate on the 2-D surface (SGD's is near its stability limit 2 / 2 along w2: it jitters)
SURFACE_RULES = {"SGD": 0.9, "Momentum": 0.1, "Nesterov": 0.1, "AdaGrad": 1.0, "RMSProp": 0.1, "Adam": 0.3}
CURVATURE = np.array([0.05, 2.0])
START = np.array([-9.0, 1.5])
BATCH = 32
FIGURES = ("rules.png", "surface.png")


def data():
    """The spiral to train on and a second draw of it to validate on."""
    return lecture.spiral_data()


def settings():
    """What `graphscope train samples/update_rules.py` trains with: Adam's run of compare() (options replace
    them; --optimizer NAME --lr RULES' rate gives another rule's run)."""
    return {"optimizer": "adam", "lr": RULES["Adam"], "batch_size": BATCH, "epochs": 30}


def build():
    """The 2-layer ReLU net's loss on a first batch (the same initial weights for every rule)."""
    return lecture.spiral_net(hidden=100, activation="relu", seed=0)


def compare(epochs=30):
    """{rule: the mean training loss of each epoch}, every rule from the same start on the same batches."""
    return {rule: lecture.epoch_means(lecture.train(build(), rule, lr, epochs, batch_size=BATCH))
            for rule, lr in RULES.items()}


def surface(w1, w2):
    """The 2-D loss, vectorized over grids."""
    return 0.5 * (CURVATURE[0] * w1 ** 2 + CURVATURE[1] * w2 ** 2)


def trajectory(rule, lr, steps=40):
    """The points gs.optim.<rule> visits on the 2-D surface, recorded as a graphscope graph and replayed."""
    w = gs.param(START.copy(), name="w")
    loss = 0.5 * gs.sum(gs.constant(CURVATURE) * w * w)
    graph = loss.graph()
    optimizer = getattr(gs.optim, rule)([w], lr=lr)
    points = [w.value.copy()]
    for _ in range(steps):
        graph.run()
        graph.zero_grad()
        graph.backward()
        optimizer.step()
        points.append(np.array(w.value, copy=True))
    return np.array(points)


def trajectories(steps=40):
    """{rule: its path on the surface}."""
    return {rule: trajectory(rule, lr, steps) for rule, lr in SURFACE_RULES.items()}


def findings(losses, paths):
    """The lecture's claims, each (text, holds?)."""
    final = {rule: ls[-1] for rule, ls in losses.items()}
    distance = {rule: float(np.linalg.norm(p[-1])) for rule, p in paths.items()}
    slowest = max(final, key=final.get)
    return [
        (f"Momentum beats plain SGD after the same iterations (last-epoch loss {final['Momentum']:.3f} "
         f"vs {final['SGD']:.3f})", final["Momentum"] < final["SGD"]),
        (f"Adam beats plain SGD after the same iterations ({final['Adam']:.3f} vs {final['SGD']:.3f})",
         final["Adam"] < final["SGD"]),
        (f"SGD is the slowest of the six (slowest: {slowest})", slowest == "SGD"),
        (f"on the 2-D surface SGD ends farthest from the minimum after {len(paths['SGD']) - 1} steps "
         f"(distance {distance['SGD']:.2f}; Momentum {distance['Momentum']:.2f}, Adam {distance['Adam']:.2f})",
         max(distance, key=distance.get) == "SGD"),
    ]


def main(argv=None):
    args = parse_args(__file__, __doc__, argv, fast="10 epochs instead of 30", figures=FIGURES, terminal=True)
    epochs = 10 if args.fast else settings()["epochs"]
    losses, paths = compare(epochs), trajectories()
    print(f"mean training loss per epoch, 2-layer ReLU net on the spiral, {epochs} epochs:")
    for rule, ls in sorted(losses.items(), key=lambda kv: kv[1][-1]):
        print(f"  {rule:<9} lr {RULES[rule]:<5g} first epoch {ls[0]:.3f}  last epoch {ls[-1]:.3f}")
    terminal_plot(losses, "mean loss per epoch", ylabel="loss", args=args)
    ok = print_findings(findings(losses, paths))
    if args.plot:
        from graphscope.viz.figures import save_surface_paths
        args.plot.curves("rules.png", losses, "the same net, data and batches: loss per epoch", ylabel="loss")
        args.plot.write("surface.png", lambda path, dpi: save_surface_paths(
            surface, paths, path, (-10, 2, -2.5, 2.5), "L(w) = (0.05 w1^2 + 2 w2^2) / 2: each rule's path",
            dpi=dpi))
    return 0 if ok else 1


if __name__ == "__main__":
    raise SystemExit(main())
