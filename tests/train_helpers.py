"""Small stand-ins for the trainer tests: a spiral data set, a 2-layer ReLU net and a plain SGD optimizer."""
import numpy as np

import graphscope as gs


def spiral(n_per_class=100, classes=3, seed=0):
    """cs231n's spiral: `classes` arms of `n_per_class` 2-d points (float32 features, int64 labels)."""
    rng = np.random.default_rng(seed)
    xs, ys = [], []
    for c in range(classes):
        r = np.linspace(0.0, 1, n_per_class)
        t = np.linspace(c * 4, (c + 1) * 4, n_per_class) + rng.normal(size=n_per_class) * 0.2
        xs.append(np.c_[r * np.sin(t), r * np.cos(t)])
        ys.append(np.full(n_per_class, c))
    return np.concatenate(xs).astype(np.float32), np.concatenate(ys).astype(np.int64)


def two_layer(x, y, hidden=100, classes=3, seed=0, std=None):
    """softmax_cross_entropy(relu(x W1 + b1) W2 + b2, y), He-initialized (or N(0, std^2))."""
    rng = np.random.default_rng(seed)
    d = x.shape[1]
    s1 = np.sqrt(2.0 / d) if std is None else std
    s2 = np.sqrt(2.0 / hidden) if std is None else std
    W1 = gs.param(rng.normal(size=(d, hidden)) * s1, name="W1")
    b1 = gs.param(np.zeros(hidden), name="b1")
    W2 = gs.param(rng.normal(size=(hidden, classes)) * s2, name="W2")
    b2 = gs.param(np.zeros(classes), name="b2")
    X = gs.tensor(x, name="x")
    scores = gs.relu(X @ W1 + b1) @ W2 + b2
    scores.name = "scores"
    return gs.softmax_cross_entropy(scores, y)


class SGD:
    """Plain SGD with the gs.optim interface (a stand-in for the tests, not part of the package)."""

    def __init__(self, params, lr):
        self.params = list(params)
        self.lr = lr
        self.t = 0

    def zero_grad(self):
        for p in self.params:
            p.grad = None

    def step(self):
        for p in self.params:
            if p.grad is not None:
                p.value -= self.lr * p.grad
        self.t += 1

    def state_dict(self):
        return {"type": "SGD", "lr": self.lr, "t": self.t, "hyper": {}, "state": [{} for _ in self.params]}

    def load_state_dict(self, d):
        self.lr, self.t = d["lr"], d["t"]

    def state_of(self, param):
        return {}


class Momentum(SGD):
    """SGD with momentum (v = mu v - lr g; x += v): a stand-in with per-parameter state."""

    def __init__(self, params, lr, momentum=0.9):
        super().__init__(params, lr)
        self.mu = momentum
        self.v = [np.zeros_like(np.asarray(p.value)) for p in self.params]

    def step(self):
        for p, v in zip(self.params, self.v):
            v *= self.mu
            v -= self.lr * p.grad
            p.value += v
        self.t += 1

    def state_dict(self):
        return {"type": "Momentum", "lr": self.lr, "t": self.t, "hyper": {"momentum": self.mu},
                "state": [{"velocity": v.copy()} for v in self.v]}

    def load_state_dict(self, d):
        self.lr, self.t, self.mu = d["lr"], d["t"], d["hyper"]["momentum"]
        self.v = [np.array(s["velocity"], dtype=np.asarray(p.value).dtype) for s, p in zip(d["state"], self.params)]
