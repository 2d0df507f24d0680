"""Batch normalization and dropout: the two ops that behave differently in training and at test time.

Both keep everything that varies between passes in their attributes (numbers,
booleans and numpy arrays, so a graph file saves them), and both define
``refresh(attrs, *xs)``: what ``graph.run`` calls before recomputing such a
node. Batch norm's refresh folds the new batch's statistics into its running
averages; dropout's draws a fresh mask. The stepper and the gradient checks
never call it, so a step is exactly the recorded computation (dropout's mask
fixed).

``training`` (an attribute) switches the mode: ``gs.nn.set_training`` (and a
module's ``train()`` / ``eval()``) sets it on a recorded graph. A node's value
is not recomputed then: the new mode applies from the node's next
computation (``graph.run``, the trainer, stepping). Until then the node keeps
``computed_training``, the mode its value was computed in, and the VJP and the
Jacobian read that one, so ``backward()`` differentiates the function that
made the value (as PyTorch's autograd does). ``settle`` drops it when the node
is computed again.
"""
import numpy as np

from ..optable import JacobianInfo, Op, register, scalar_form, shape_of


# ---------------------------------------------------------------- the mode of a value

def computed_mode(training, computed_training):
    """The mode the node's present value was computed in: `computed_training` while a switch waits, else `training`."""
    return training if computed_training is None else computed_training


def settle(attrs):
    """The attributes for computing the node again in its asked-for mode (no ``computed_training``); None
    when nothing waits."""
    if "computed_training" not in attrs:
        return None
    return {k: v for k, v in attrs.items() if k != "computed_training"}


def switch_mode(attrs, training):
    """The attributes after asking for mode `training`: the value keeps the mode it was computed in."""
    computed = computed_mode(attrs.get("training", True), attrs.get("computed_training"))
    attrs = {**attrs, "training": bool(training)}
    if computed == attrs["training"]:
        attrs.pop("computed_training", None)
    else:
        attrs["computed_training"] = computed
    return attrs


# ---------------------------------------------------------------- batch norm

_sum = np.add.reduce   # ufunc reductions: the same result without numpy's Python-level dispatch


def _batch_stats(x):
    """Per-feature mean, centred batch and biased variance of a (N, D) batch."""
    n = x.shape[0]
    mean = _sum(x, axis=0) / n
    centred = x - mean
    return mean, centred, _sum(centred * centred, axis=0) / n


@register
class BatchNorm(Op):
    """y = gamma * (x - mu) / sqrt(var + eps) + beta per feature of a (N, D) batch.

    Training (``training=True``): mu and var are the batch's own mean and biased
    variance, so every output of a feature depends on every input of that
    feature: the VJP is the coupled one,
    dx = gamma / (N sigma) * (N g - sum_n g - xhat * sum_n(g xhat)).
    Test time: mu and var are the running averages (``running_mean``,
    ``running_var``), constants, and the op is an element-wise affine map.

    The running averages follow PyTorch: ``r = (1 - momentum) r + momentum * batch``
    with the unbiased batch variance (cs231n writes ``r = m r + (1 - m) batch``
    with m = 0.9 and the biased variance: momentum 0.1 here is its 0.9).
    """

    name = "batch_norm"

    settle = staticmethod(settle)

    def input_problem(self, x, gamma, beta, training=True, eps=1e-5, momentum=0.1, running_mean=None, running_var=None,
                      computed_training=None):
        xs = shape_of(x)
        if len(xs) != 2:
            return f"batch norm takes a (N, D) batch, got shape {xs}"
        d = xs[1]
        if running_mean is None or running_var is None:
            return "batch norm needs running_mean and running_var attributes (gs.nn.BatchNorm1d records them)"
        for what, v in (("gamma", gamma), ("beta", beta), ("running_mean", running_mean),
                        ("running_var", running_var)):
            if np.shape(v) != (d,):
                return f"{what} must have shape ({d},) for {d} features, got {np.shape(v)}"
        if training and xs[0] < 2:
            return f"batch norm in training mode needs at least 2 examples per batch, got {xs[0]}"
        return None

    def _normalized(self, x, training, eps, running_mean, running_var):
        """xhat and 1/sigma for the mode."""
        if training:
            _, centred, var = _batch_stats(x)
        else:
            centred = x - running_mean.astype(x.dtype, copy=False)
            var = running_var.astype(x.dtype, copy=False)
        inv_std = 1.0 / np.sqrt(var + eps)
        return centred * inv_std, inv_std

    saves = True  # xhat and 1/sigma, which the VJP would compute again

    def forward(self, x, gamma, beta, training=True, eps=1e-5, momentum=0.1, running_mean=None, running_var=None,
                computed_training=None, *, saved=None):
        problem = self.input_problem(x, gamma, beta, training, eps, momentum, running_mean, running_var)
        if problem:
            raise ValueError(problem)
        xhat, inv_std = self._normalized(x, training, eps, running_mean, running_var)
        if saved is not None:
            saved.update(xhat=xhat, inv_std=inv_std, training=bool(training))
        return gamma * xhat + beta

    def vjp(self, g, x, gamma, beta, value, training=True, eps=1e-5, momentum=0.1, running_mean=None,
            running_var=None, computed_training=None, *, saved=None):
        training = computed_mode(training, computed_training)
        if saved is not None and saved["training"] == bool(training):  # the mode the VJP differentiates
            xhat, inv_std = saved["xhat"], saved["inv_std"]
        else:
            xhat, inv_std = self._normalized(x, training, eps, running_mean, running_var)
        dgamma = _sum(g * xhat, axis=0)
        dbeta = _sum(g, axis=0)
        scale = gamma * inv_std
        if not training:
            return g * scale, dgamma, dbeta
        # the coupled form: dx = gamma/(N sigma) (N g - sum_n g - xhat sum_n g xhat), with the sums being dbeta, dgamma
        n = x.shape[0]
        dx = xhat * (dgamma / n)
        dx += dbeta / n
        np.subtract(g, dx, out=dx)
        dx *= scale
        return dx, dgamma, dbeta

    def jacobian(self, i, x, gamma, beta, value, training=True, computed_training=None, **attrs):
        if i == 0:
            if computed_mode(training, computed_training):
                return JacobianInfo("block-diagonal", f"one block per feature d: d{{out}}[m,d]/d{{0}}[n,d] = "
                                    f"{{1}}[d]/(N sigma[d]) (N 1[m=n] - 1 - xhat[m,d] xhat[n,d]), N = {shape_of(x)[0]}; "
                                    f"sigma = sqrt(batch var + eps), xhat = normalized {{0}}", block_axis=0)
            return JacobianInfo("diagonal", "test time: d{out}/d{0} = diag({1} / sqrt(running_var + eps))")
        if i == 1:
            return JacobianInfo("broadcast", "d{out}[n,d]/d{1}[d] = xhat[n,d]  (xhat: normalized {0}; VJP sums over "
                                             "the batch)")
        return JacobianInfo("broadcast", "d{out}[n,d]/d{2}[d] = 1  (VJP sums over the batch)")

    def refresh(self, attrs, x, gamma, beta):
        """Fold this batch into the running averages (in place), in training mode only."""
        attrs = settle(attrs) or attrs
        if attrs.get("training", True) and not self.input_problem(x, gamma, beta, **attrs):
            update_running_stats(attrs, x)  # (a problem: forward raises the readable error)
        return attrs


def update_running_stats(attrs, x):
    """r = (1 - momentum) r + momentum * batch statistic, unbiased variance (PyTorch's rule), in place."""
    m = attrs["momentum"]
    n = x.shape[0]
    mean, _, var = _batch_stats(x)
    rm, rv = attrs["running_mean"], attrs["running_var"]
    rm *= 1.0 - m
    rm += m * mean
    rv *= 1.0 - m
    rv += m * var * (n / (n - 1))


# ---------------------------------------------------------------- dropout

def draw_mask(shape, p, seed, draw):
    """Mask number `draw` of a dropout node: each unit kept with probability 1 - p (reproducible from seed)."""
    return np.random.default_rng([seed, draw]).random(shape) >= p


@register
class Dropout(Op):
    """Inverted dropout: y = x * mask / (1 - p) in training, y = x at test time.

    The binary ``mask`` (True = kept) is an attribute, so a step shows which
    units were dropped and a gradient check sees a fixed mask. Replay draws
    mask number ``draw + 1`` from ``seed`` (reproducible, savable).
    """

    name = "dropout"

    settle = staticmethod(settle)

    def input_problem(self, x, p=0.5, training=True, mask=None, seed=0, draw=0, computed_training=None):
        if not 0.0 <= p < 1.0:
            return f"dropout probability p must be in [0, 1), got {p}"
        if training and np.shape(mask) != shape_of(x):
            return (f"the dropout mask has shape {np.shape(mask)} but the input has shape {shape_of(x)} "
                    f"(replay with graph.run draws a mask of the new shape)")
        return None

    def forward(self, x, p=0.5, training=True, mask=None, seed=0, draw=0, computed_training=None):
        if not training:
            return x * 1.0
        problem = self.input_problem(x, p, training, mask, seed, draw)
        if problem:
            raise ValueError(problem)
        return x * mask * (1.0 / (1.0 - p))

    def vjp(self, g, x, value, p=0.5, training=True, mask=None, seed=0, draw=0, computed_training=None):
        if not computed_mode(training, computed_training):
            return (g * 1.0,)
        return (g * mask * (1.0 / (1.0 - p)),)

    def jacobian(self, i, x, value, p=0.5, training=True, computed_training=None, **attrs):
        if not computed_mode(training, computed_training):
            if np.size(x) == 1:
                return JacobianInfo("scalar", "test time: dropout is off, d{out}/d{0} = 1")
            return JacobianInfo("identity", "test time: dropout is off, d{out}/d{0} = I")
        formula = f"d{{out}}/d{{0}} = diag(mask / (1 - p)), p = {p:g}: 0 where a unit was dropped"
        return JacobianInfo("scalar", scalar_form(formula)) if np.size(x) == 1 else JacobianInfo("diagonal", formula)

    def refresh(self, attrs, x):
        """A fresh mask for the new pass (training mode only)."""
        attrs = settle(attrs) or attrs
        if not attrs.get("training", True):
            return attrs
        draw = attrs.get("draw", 0) + 1
        return {**attrs, "draw": draw, "mask": draw_mask(shape_of(x), attrs["p"], attrs["seed"], draw)}
