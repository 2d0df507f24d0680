import numpy as np
import graphscope as gs

def data():
    x, y = gs.data.digits()
    xt, yt, xv, yv = gs.data.train_val_split(x, y, val_fraction=0.2, seed=0)
    xt, xv = gs.data.standardize(xt, xv)
    return xt, yt, xv, yv

def build():
    xt, yt, _, _ = data()
    rng = np.random.default_rng(0)
    X = gs.tensor(xt[:64], name="x")
    with gs.scope("fc1"):
        W1 = gs.param(rng.normal(0, np.sqrt(2 / 64), (64, 50)), name="fc1.W")
        b1 = gs.param(np.zeros(50), name="fc1.b")
        h = gs.relu(X @ W1 + b1)
    with gs.scope("fc2"):
        W2 = gs.param(rng.normal(0, 0.01, (50, 10)), name="fc2.W")
        b2 = gs.param(np.zeros(10), name="fc2.b")
        scores = h @ W2 + b2
        scores.name = "scores"
    return gs.softmax_cross_entropy(scores, yt[:64])
