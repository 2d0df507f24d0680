"""The lecture's six update rules under PyTorch's names.

Each ``delta`` is the rule as the lecture writes it (x += delta), computed
into the parameter's step buffer ``out`` (and ``scratch``) with the same
operations in the same order as the formula, so nothing is allocated per
step and the result is bit for bit the formula's. All equal
``torch.optim`` at a constant learning rate (tested over 20 steps in float64):
``SGD``, ``SGD(momentum=mu)``, ``SGD(momentum=mu, nesterov=True)``,
``Adagrad``, ``RMSprop`` and ``Adam``; with a schedule the lecture's Momentum
and Nesterov differ from PyTorch's (its velocity takes a new lr at once), and
``torch_style=True`` gives PyTorch's. Where the written form differs from
PyTorch's, the docstring says how.
"""
import numpy as np

from ..engine import GraphscopeError
from .optimizer import Optimizer, OptimizerArgumentError


def _fraction(value, what, who):
    if isinstance(value, bool) or not isinstance(value, (int, float, np.floating, np.integer)) \
            or not 0.0 <= value < 1.0:
        raise GraphscopeError(f"{who}: {what} must be in [0, 1), got {value!r}")
    return float(value)


def _positive(value, what, who):
    if isinstance(value, bool) or not isinstance(value, (int, float, np.floating, np.integer)) or not value > 0 \
            or not np.isfinite(value):
        raise GraphscopeError(f"{who}: {what} must be a positive number, got {value!r}")
    return float(value)


def _betas(value, what, who):
    try:
        b1, b2 = value
    except (TypeError, ValueError):
        raise GraphscopeError(f"{who}: {what} must be a pair (beta1, beta2), got {value!r}") from None
    return (_fraction(b1, "beta1", who), _fraction(b2, "beta2", who))


class SGD(Optimizer):
    """Vanilla gradient descent: x += -lr * dx.

    PyTorch's ``momentum`` and ``nesterov`` are accepted only off (0, False): with momentum on they are the
    lecture's other rules, ``Momentum(params, lr, momentum=mu)`` and ``Nesterov(params, lr, momentum=mu)``,
    each its own class with its own state (velocity), and SGD says so instead of quietly changing rule.
    """

    step_follows_gradient = True

    def __init__(self, params, lr, momentum=0, nesterov=False):  # no hyperparameters of its own
        if nesterov or momentum:
            rule, mu = ("Nesterov", momentum or 0.9) if nesterov else ("Momentum", momentum)
            raise OptimizerArgumentError(
                f"SGD(momentum={momentum!r}" + (", nesterov=True" if nesterov else "") + f") is the lecture's "
                f"{rule} rule here: gs.optim.{rule}(params, lr, momentum={mu!r}) (SGD is plain gradient descent)")
        super().__init__(params, lr)

    def delta(self, state, g, out, scratch):
        np.multiply(g, -self.lr, out=out)  # -lr * dx

    def step_scale(self):
        # the step is -lr * dx, with no state; a subclass with its own rule (delta or step) takes its own path
        cls = type(self)
        if cls.delta is not SGD.delta or cls.step is not Optimizer.step or cls.add_steps is not Optimizer.add_steps:
            return None
        return -self.lr


def _flag(value, what, who):
    if not isinstance(value, (bool, np.bool_)):
        raise GraphscopeError(f"{who}: {what} must be True or False, got {value!r}")
    return bool(value)


class _VelocityRule(Optimizer):
    """Momentum and Nesterov: a velocity v (the lecture's), and ``torch_style`` for PyTorch's answer once lr changes.

    PyTorch keeps b = mu b + dx and multiplies by the current lr, so when a schedule changes lr the whole
    velocity takes the new rate at once; the lecture's v = mu v - lr dx takes it only for the new gradient.
    While lr is constant both are equal (v = -lr b). ``torch_style=True`` rescales v by lr_new / lr_old when the
    rate changes, which is exactly PyTorch's rule (for parameters stepped at every step).
    """

    slots = ("velocity",)
    hyper_checks = {"momentum": _fraction, "torch_style": _flag}
    step_follows_gradient = True

    def __init__(self, params, lr, momentum=0.9, torch_style=False):
        # torch_style is a hyperparameter only when on, so states saved before it existed still load
        on = {} if torch_style is False else {"torch_style": torch_style}
        super().__init__(params, lr, momentum=momentum, **on)
        self._velocity_lr = None   # the rate the velocity was last stepped with

    def _step(self):
        super()._step()
        self._velocity_lr = self.lr

    def load_state_dict(self, d):
        super().load_state_dict(d)
        self._velocity_lr = self.lr if self.t else None

    def _velocity(self, state):
        """The velocity, rescaled to this step's lr first when torch_style and the rate changed."""
        v = state["velocity"]
        old = self._velocity_lr
        if old is not None and old != self.lr and self.hyper.get("torch_style"):
            v *= self.lr / old
        return v


class Momentum(_VelocityRule):
    """Momentum: v = mu * v - lr * dx; x += v (v = 0 at the start).

    PyTorch's SGD(momentum=mu) keeps b = mu * b + dx and steps -lr * b: the same
    as v = -lr * b while lr is constant; after a change of lr (a schedule), PyTorch's
    velocity takes the new rate at once and this v only for the new gradient.
    ``torch_style=True`` gives PyTorch's answer then too (v rescaled by lr_new / lr_old).
    """

    def delta(self, state, g, out, scratch):
        v = self._velocity(state)
        v *= self.momentum
        v -= np.multiply(g, self.lr, out=out)  # v = mu v - lr dx
        np.copyto(out, v)


class Nesterov(_VelocityRule):
    """Nesterov momentum in cs231n's form: v_prev = v; v = mu v - lr dx; x += -mu v_prev + (1 + mu) v.

    That is the lookahead gradient rewritten in the variable x that is
    stored; PyTorch's SGD(momentum=mu, nesterov=True) steps -lr (dx + mu b)
    with b = mu b + dx, equal while lr is constant; after a change of lr (a
    schedule) they differ, unless ``torch_style=True`` (v rescaled by lr_new / lr_old).
    """

    uses_scratch = True

    def delta(self, state, g, out, scratch):
        v = self._velocity(state)
        mu = self.momentum
        np.multiply(v, -mu, out=out)                   # -mu v_prev
        v *= mu
        v -= np.multiply(g, self.lr, out=scratch)      # v = mu v - lr dx
        out += np.multiply(v, 1.0 + mu, out=scratch)   # + (1 + mu) v


class AdaGrad(Optimizer):
    """AdaGrad: cache += dx^2; x += -lr * dx / (sqrt(cache) + eps).

    As PyTorch's Adagrad with lr_decay = 0 and initial_accumulator_value = 0
    (eps defaults to PyTorch's 1e-10).
    """

    slots = ("cache",)
    uses_scratch = True
    hyper_checks = {"eps": _positive}

    def __init__(self, params, lr, eps=1e-10):
        super().__init__(params, lr, eps=eps)

    def delta(self, state, g, out, scratch):
        cache = state["cache"]
        cache += np.multiply(g, g, out=scratch)
        _scaled_step(g, cache, -self.lr, self.eps, out, scratch)


class RMSProp(Optimizer):
    """RMSProp: cache = alpha * cache + (1 - alpha) * dx^2; x += -lr * dx / (sqrt(cache) + eps).

    alpha is the lecture's decay rate (PyTorch's RMSprop alpha, default 0.99).
    """

    slots = ("cache",)
    uses_scratch = True
    hyper_checks = {"alpha": _fraction, "eps": _positive}

    def __init__(self, params, lr, alpha=0.99, eps=1e-8):
        super().__init__(params, lr, alpha=alpha, eps=eps)

    def delta(self, state, g, out, scratch):
        cache = state["cache"]
        cache *= self.alpha
        np.multiply(g, 1.0 - self.alpha, out=scratch)
        scratch *= g
        cache += scratch                               # (1 - alpha) dx^2
        _scaled_step(g, cache, -self.lr, self.eps, out, scratch)


class Adam(Optimizer):
    """Adam with bias correction: m = b1 m + (1 - b1) dx; v = b2 v + (1 - b2) dx^2;
    x += -lr * m_hat / (sqrt(v_hat) + eps) with m_hat = m / (1 - b1^t), v_hat = v / (1 - b2^t).

    PyTorch computes the same as lr / (1 - b1^t) * m / (sqrt(v) / sqrt(1 - b2^t) + eps).
    """

    slots = ("m", "v")
    uses_scratch = True
    hyper_checks = {"betas": _betas, "eps": _positive}

    def __init__(self, params, lr=1e-3, betas=(0.9, 0.999), eps=1e-8):
        super().__init__(params, lr, betas=betas, eps=eps)

    def delta(self, state, g, out, scratch):
        b1, b2 = self.betas
        m, v = state["m"], state["v"]
        m *= b1
        m += np.multiply(g, 1.0 - b1, out=scratch)     # (1 - b1) dx
        v *= b2
        np.multiply(g, 1.0 - b2, out=scratch)
        scratch *= g
        v += scratch                                   # (1 - b2) dx^2
        np.divide(m, 1.0 - b1 ** self.t, out=out)      # m_hat
        out *= -self.lr
        np.divide(v, 1.0 - b2 ** self.t, out=scratch)  # v_hat
        np.sqrt(scratch, out=scratch)
        scratch += self.eps
        out /= scratch                                 # -lr m_hat / (sqrt(v_hat) + eps)


def _scaled_step(g, cache, neg_lr, eps, out, scratch):
    """out = -lr * dx / (sqrt(cache) + eps), AdaGrad's and RMSProp's step (scratch is overwritten)."""
    np.sqrt(cache, out=scratch)
    scratch += eps
    np.multiply(g, neg_lr, out=out)
    out /= scratch


#: PyTorch's spellings: the same classes.
RMSprop = RMSProp
Adagrad = AdaGrad

RULES = {"sgd": SGD, "momentum": Momentum, "nesterov": Nesterov, "adagrad": AdaGrad, "rmsprop": RMSProp,
         "adam": Adam}


def unknown_name(name):
    """Why `name` names no update rule ("unknown optimizer 'adamw'; known: sgd, ..."), or None when it names one."""
    if str(name).lower() in RULES:
        return None
    from ..engine.words import did_you_mean
    return f"unknown optimizer {name!r}; known: {', '.join(RULES)}{did_you_mean(str(name).lower(), list(RULES))}"


def make(name, params, lr, **hyper):
    """An optimizer by its name (sgd, momentum, nesterov, adagrad, rmsprop, adam; any case: 'RMSprop' too)."""
    problem = unknown_name(name)
    if problem:
        raise GraphscopeError(problem)
    cls = RULES[str(name).lower()]
    try:
        return cls(params, lr, **hyper)
    except GraphscopeError:
        raise  # already says which rule and keyword
    except TypeError as exc:
        raise GraphscopeError(f"{cls.__name__}: {exc}") from None
