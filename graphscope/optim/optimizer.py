"""The Optimizer base class: parameters, learning rate, state per parameter, state_dict.

A rule subclass names its hyperparameters (``hyper``) and its per-parameter
state (``slots``, e.g. ``("m", "v")``) and writes one method,
``delta(state, g, out, scratch)``: the change to add to the parameter, written
as the lecture writes the rule, into ``out``. The base class applies it in place.

Nothing is allocated per step: each parameter's state, its last step (``out``,
what ``last_update`` and the update/weight ratio read) and, for the rules that
need one, a scratch array for intermediate products are made once, in the
parameter's dtype (a float32 model keeps float32 state), and reused.
"""
import inspect
from collections.abc import Mapping

import numpy as np

from ..engine import GraphscopeError, InputError, ShapeError
from ..engine.formatting import array_brief
from ..engine.words import did_you_mean, no_attribute
from ..engine.staleness import changed

#: What a PyTorch keyword means here, for the rules that do not take it.
PYTORCH_KEYWORDS = {
    "weight_decay": "L2 regularization is the trainer's here: gs.Trainer(..., reg=weight_decay / 2) adds "
                    "2 * reg * W to the weights' gradients (biases are left alone)",
    "momentum": "the lecture's momentum rules are gs.optim.Momentum and gs.optim.Nesterov",
    "nesterov": "the lecture's Nesterov momentum is gs.optim.Nesterov(params, lr, momentum=0.9)",
}


class OptimizerArgumentError(GraphscopeError, TypeError):
    """An optimizer was given a keyword it does not take (a TypeError, as Python's own would be)."""


def _as_params(params):
    """A list of leaf tensors requiring gradients, from a list, a gs.nn Module or a Graph."""
    if inspect.ismethod(params) and params.__name__ in ("parameters", "named_parameters"):
        owner = type(params.__self__).__name__
        raise GraphscopeError(f"the optimizer's params: call it, {owner.lower()}.parameters() (got the method "
                              f"{owner}.{params.__name__} itself)")
    if hasattr(params, "parameters") and callable(params.parameters):
        params = params.parameters()
    elif hasattr(params, "params") and hasattr(params, "nodes"):
        params = params.params
    try:
        params = list(params)
    except TypeError:
        raise GraphscopeError(f"the optimizer's params must be a list of gs.param leaves, a module or a graph, "
                              f"got {type(params).__name__}") from None
    if not params:
        raise GraphscopeError("the optimizer got no parameters (pass gs.param leaves, a module or a graph)")
    for p in params:
        if not hasattr(p, "_value") or p.op_def is not None or not p.requires_grad:
            raise GraphscopeError(_not_a_param(p))
    seen = set()
    for p in params:
        if id(p) in seen:
            raise GraphscopeError(f"optimizer: parameter {p.name} is listed twice (it would be updated twice a step)")
        seen.add(id(p))
    return params


def _not_a_param(p):
    """Why `p`, listed as a parameter, is not one: PyTorch's (name, parameter) pairs and parameter groups say what
    to pass instead."""
    if isinstance(p, tuple) and len(p) == 2 and isinstance(p[0], str):
        return (f"optimizer: ({p[0]!r}, ...) is a (name, parameter) pair, as named_parameters() gives: pass "
                f"net.parameters()")
    if isinstance(p, Mapping) and "params" in p:
        return ("optimizer: a dict of 'params' is PyTorch's parameter group; a graphscope optimizer has one group: "
                "pass the parameters themselves (Adam(net.parameters(), lr=...))")
    what = getattr(p, "name", type(p).__name__)
    return f"optimizer: {what} is not a leaf that requires a gradient (use gs.param)"


def _check_lr(lr, who):
    if isinstance(lr, bool) or not isinstance(lr, (int, float, np.floating, np.integer)) or not lr > 0 \
            or not np.isfinite(lr):
        raise GraphscopeError(f"{who}: the learning rate must be a positive number, got {lr!r}")
    return float(lr)


class Optimizer:
    """Base class: ``step()``, ``zero_grad()``, ``state_dict()`` / ``load_state_dict()``, ``state_of(p)``."""

    #: Per-parameter state arrays, in the lecture's names, zero at the start.
    slots = ()
    #: Whether ``delta`` needs a scratch array the size of the parameter (None is passed otherwise).
    uses_scratch = False
    #: Whether a step is lr x the gradient (or a running sum of gradients), so its size follows the gradient's
    #: (SGD, Momentum, Nesterov); the adaptive rules divide by the gradient's running size, so theirs is ~lr.
    step_follows_gradient = False
    #: Each hyperparameter's check, ``check(value, name, rule_name) -> value``: run at construction and
    #: whenever it is set later (``opt.momentum = 0.5``), so a bad value never reaches a step.
    hyper_checks = {}

    def __new__(cls, *args, **kwargs):
        """Check the keywords before __init__ sees them: a misspelt or PyTorch-only one gets one line saying
        what to write instead (Python's TypeError would only name it)."""
        takes = inspect.signature(cls.__init__).parameters
        if not any(p.kind is p.VAR_KEYWORD for p in takes.values()):
            known = [n for n, p in takes.items() if n != "self" and p.kind is not p.VAR_POSITIONAL]
            for name in kwargs:
                if name not in takes:
                    hint = PYTORCH_KEYWORDS.get(name)
                    raise OptimizerArgumentError(
                        f"{cls.__name__}() takes no keyword {name!r}" + (f": {hint}" if hint else
                                                                          did_you_mean(name, known))
                        + f" ({cls.__name__} takes {', '.join(known)})")
        return super().__new__(cls)

    def __init__(self, params, lr, **hyper):
        self.params = _as_params(params)
        self.lr = lr
        self.hyper = {name: self._checked(name, value) for name, value in hyper.items()}
        self.t = 0
        self._index = {id(p): i for i, p in enumerate(self.params)}
        self._state = [{s: np.zeros_like(np.asarray(p._value)) for s in self.slots} for p in self.params]
        self._last = [None] * len(self.params)      # each parameter's step buffer, made at its first step
        self._scratch = [None] * len(self.params)
        self._stepped = [False] * len(self.params)  # whether the last step() moved it (it had a gradient)
        self._borrowed = False  # whether _last holds gradient arrays add_steps() added (not buffers of ours)

    def __getattr__(self, name):
        hyper = self.__dict__.get("hyper", {})
        if name in hyper:
            return hyper[name]
        if name == "param_groups":
            raise AttributeError(f"{type(self).__name__} has no attribute 'param_groups' (PyTorch's): a graphscope "
                                 f"optimizer has one group; its parameters are opt.params, its learning rate "
                                 f"opt.lr (set it to change the rate: opt.lr = 0.01) and its hyperparameters "
                                 f"attributes ({', '.join(f'opt.{h}' for h in hyper) or 'none besides lr'})")
        raise no_attribute(type(self).__name__, name, set(dir(type(self))) | set(self.__dict__) | set(hyper))

    def __setattr__(self, name, value):
        hyper = self.__dict__.get("hyper")
        if hyper is not None and name in hyper:
            hyper[name] = self._checked(name, value)  # opt.momentum = 0.5 changes the rule's hyperparameter
        else:
            object.__setattr__(self, name, value)

    @property
    def lr(self):
        """The learning rate; setting it (a schedule, or by hand) checks it is a positive number."""
        return self._lr

    @lr.setter
    def lr(self, value):
        self._lr = _check_lr(value, type(self).__name__)

    def _checked(self, name, value):
        check = self.hyper_checks.get(name)
        return value if check is None else check(value, name, type(self).__name__)

    # ---------------------------------------------------------------- updating
    def delta(self, state, g, out, scratch):
        """Write into `out` the step to add to a parameter with gradient `g` (state arrays updated in place).

        `out` and `scratch` (None unless ``uses_scratch``) have the parameter's shape and dtype.
        """
        raise NotImplementedError

    def step_scale(self):
        """c when this rule's step is c times the gradient and keeps no state (plain SGD: -lr), else None.

        VJPs are linear in the upstream gradient, so a backward pass seeded with c instead of 1 computes
        the steps themselves; ``add_steps()`` then adds them, saving a pass over every parameter.
        """
        return None

    def add_steps(self):
        """step() for gradients that already are the steps (a backward pass seeded with ``step_scale()``).

        Each parameter's grad is added to it in place and kept as its last update (no copy: a later
        step() makes its own buffers again).
        """
        self.t += 1
        self._borrowed = True
        for i, p in enumerate(self.params):
            s = p.grad
            if s is None:
                self._stepped[i] = False
                continue
            value = p._value
            if value.__class__ is float:
                p._value = float(value + s)
            else:
                value += s
            self._last[i] = s
            self._stepped[i] = True
        _moved(self.params, self._stepped)

    def step(self, closure=None):
        """Apply one update to every parameter that has a gradient (in place on array values).

        ``closure`` (PyTorch's ``step(closure)``): a function that computes the loss and its gradients
        (zero_grad, forward, backward), called first; step() then returns what it returned (None without one).
        """
        loss = None if closure is None else closure()
        self._step()
        return loss

    def _step(self):
        grads = self._usable_gradients()  # every one checked before any parameter moves
        self.t += 1
        if self._borrowed:  # the last steps were gradients' arrays (add_steps): not ours to write into
            self._forget_borrowed()
        last, scratch, stepped = self._last, self._scratch, self._stepped
        for i, (p, g) in enumerate(zip(self.params, grads)):
            if g is None:
                stepped[i] = False
                continue
            value = p._value
            out = last[i]
            if out is None or (value.__class__ is not float
                               and (out.dtype != value.dtype or out.shape != value.shape)):
                out = last[i] = self._buffer(value)
                if self.uses_scratch:
                    scratch[i] = self._buffer(value)
            self.delta(self._state[i], g, out, scratch[i])
            if value.__class__ is float:
                p._value = float(value + out)
            else:
                value += out
            stepped[i] = True
        _moved(self.params, stepped)

    def _usable_gradients(self):
        """Each parameter's gradient as the step uses it (None: none); a hand-assigned one that is no array of real
        numbers shaped like its parameter is refused (usable_gradient) before anything changes."""
        grads = []
        for i, p in enumerate(self.params):
            g, value = p.grad, p._value
            if g is not None and not (g.__class__ is float and value.__class__ is float) and not (
                    g.__class__ is np.ndarray and value.__class__ is not float and g.shape == value.shape
                    and g.dtype.kind == "f"):
                g = usable_gradient(p, g, i)
            grads.append(g)
        return grads

    @staticmethod
    def _buffer(value):
        """An array for one parameter's step: its shape and dtype (0-d float64 for a Python float)."""
        return np.zeros_like(np.asarray(value))

    def release_steps(self):
        """Let go of the last steps add_steps() took (their arrays were the gradients'): a trainer about to compute
        new ones calls this, so that a step never holds two sets; ``last_update`` says None until the next step."""
        if self._borrowed:
            self._forget_borrowed()

    def steps_held(self):
        """The arrays add_steps() keeps as the last steps (nothing may write into them), or an empty list."""
        return [a for a in self._last if a is not None] if self._borrowed else []

    def _forget_borrowed(self):
        n = len(self.params)
        self._last, self._stepped, self._borrowed = [None] * n, [False] * n, False

    def zero_grad(self, set_to_none=True):
        """Clear the parameters' gradients (leaf gradients accumulate across backward calls): None, "not computed"
        (PyTorch's default, set_to_none=True), or with ``set_to_none=False`` zeros of each parameter's shape."""
        for p in self.params:
            p.grad = None if set_to_none else (0.0 if p._value.__class__ is float else np.zeros_like(p._value))

    # ---------------------------------------------------------------- inspecting
    def _position(self, param):
        try:
            return self._index[id(param)]
        except KeyError:
            raise GraphscopeError(f"{getattr(param, 'name', param)} is not one of this optimizer's parameters") from None

    def state_of(self, param):
        """The rule's state for `param` ({'velocity': v}, {'m': m, 'v': v}, ...; empty for SGD), as copies."""
        return ParamState({k: np.array(v) for k, v in self._state[self._position(param)].items()})

    def last_update(self, param):
        """The step the last ``step()`` added to `param` (a copy, an ndarray), or None when it had no gradient."""
        i = self._position(param)
        if not self._stepped[i]:
            return None
        return np.array(self._last[i])

    # ---------------------------------------------------------------- saving
    def state_dict(self):
        """Plain numbers, strings and numpy arrays: type, lr, t, hyper, and the state of each parameter in order."""
        return {"type": type(self).__name__, "lr": self.lr, "t": self.t,
                "hyper": {k: (list(v) if isinstance(v, tuple) else v) for k, v in self.hyper.items()},
                "state": [{k: np.array(v) for k, v in s.items()} for s in self._state]}

    def load_state_dict(self, d):
        """Restore from ``state_dict()`` (checked: type, hyperparameters, one state per parameter, shapes)."""
        who = f"{type(self).__name__}.load_state_dict"
        if not isinstance(d, dict) or not {"type", "lr", "t", "hyper", "state"} <= set(d):
            raise GraphscopeError(f"{who}: expected a dict with type, lr, t, hyper and state")
        if d["type"] != type(self).__name__:
            raise GraphscopeError(f"{who}: the state was saved by {d['type']}, not {type(self).__name__}")
        if set(d["hyper"]) != set(self.hyper):
            raise GraphscopeError(f"{who}: hyperparameters {sorted(d['hyper'])} do not match {sorted(self.hyper)}")
        if len(d["state"]) != len(self.params):
            raise GraphscopeError(f"{who}: the state holds {len(d['state'])} parameters, this optimizer has "
                                  f"{len(self.params)}")
        for p, saved, mine in zip(self.params, d["state"], self._state):
            if set(saved) != set(mine):
                raise GraphscopeError(f"{who}: state of {p.name} has {sorted(saved)}, expected {sorted(mine)}")
            for k, v in saved.items():
                if np.shape(v) != mine[k].shape:
                    raise GraphscopeError(f"{who}: {k} of {p.name} has shape {np.shape(v)}, the parameter "
                                          f"{mine[k].shape}")
        t = d["t"]
        if isinstance(t, bool) or not isinstance(t, (int, np.integer)) or t < 0:
            raise GraphscopeError(f"{who}: t must be a whole number of steps, got {t!r}")
        hyper = {k: self._checked(k, v) for k, v in d["hyper"].items()}  # checked before anything changes
        self.lr = _check_lr(d["lr"], who)
        self.t = int(t)
        self.hyper = hyper
        for p, saved, mine in zip(self.params, d["state"], self._state):
            dtype = np.asarray(p._value).dtype
            for k, v in saved.items():
                if mine[k].dtype != dtype:  # the parameter was cast (the trainer's float32): its state follows
                    mine[k] = np.zeros_like(mine[k], dtype=dtype)
                np.copyto(mine[k], v, casting="unsafe")

    def __repr__(self):
        hyper = "".join(f", {k}={v}" for k, v in self.hyper.items())
        return f"{type(self).__name__}({len(self.params)} parameters, lr={self.lr:g}{hyper}, t={self.t})"


def usable_gradient(param, grad, i):
    """`param`'s gradient as step() can use it: a real number, or an array of real numbers shaped like the
    parameter (NaN and inf allowed: the update shows them); an error naming the parameter otherwise (a gradient
    assigned by hand: ``p.grad = ...``)."""
    name = f"parameter {i} ({param.name})"
    shape = () if param._value.__class__ is float else param._value.shape
    try:
        array = np.asarray(grad)
    except (TypeError, ValueError) as exc:
        raise InputError(f"step(): the gradient of {name} is not an array of numbers ({exc}); grad must be shaped "
                         f"like the parameter, {shape}") from None
    if array.dtype.kind not in "fiub":
        raise InputError(f"step(): the gradient of {name} is {type(grad).__name__} of dtype {array.dtype}, not real "
                         f"numbers; grad must be a float array shaped like the parameter, {shape}")
    if array.shape != shape:
        raise ShapeError(f"step(): the gradient of {name} has shape {array.shape}, but the parameter has shape "
                         f"{shape}; grad must be shaped like the parameter")
    if param._value.__class__ is float:
        return float(array)
    return array.astype(param._value.dtype, copy=False) if array.dtype.kind != "f" else array


class ParamState(dict):
    """``state_of(p)``: {name: array copy}, shown one line per entry by shape, dtype and summary, not in full."""

    def __repr__(self):
        if not self:
            return "{}"
        return "{" + ",\n ".join(f"{k!r}: <{array_brief(v)}>" for k, v in self.items()) + "}"

    __str__ = __repr__


def _moved(params, stepped):
    """Note the parameters a step moved: the values computed from their old values are stale (a backward pass
    through them is refused until the forward pass runs again; graphscope.engine.staleness)."""
    changed([p for p, moved in zip(params, stepped) if moved])
