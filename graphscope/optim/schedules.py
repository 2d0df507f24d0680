"""Learning-rate schedules per epoch m, as the lecture writes them.

Each is a callable ``schedule(epoch) -> lr`` with a readable repr; the
trainer sets ``optimizer.lr = schedule(epoch)`` at the start of each epoch
(epoch 0 gets lr0).
"""
import functools
import inspect
import math

from ..engine import GraphscopeError
from ..engine.words import did_you_mean, no_attribute

#: PyTorch's LR scheduler methods -> what a graphscope schedule, a function of the epoch, does instead.
TORCH_METHODS = {
    "step": "a schedule is the rate as a function of the epoch: set opt.lr = schedule(epoch) at the start of each "
            "epoch (gs.Trainer(..., schedule=schedule) does it for you)",
    "get_last_lr": "schedule(epoch) is the rate at that epoch; opt.lr is the optimizer's rate now",
    "get_lr": "schedule(epoch) is the rate at that epoch; opt.lr is the optimizer's rate now",
}

_SCHEDULES = ("gs.optim.exponential(lr0, k), inverse_time(lr0, k) and step_decay(lr0, factor, every): functions of "
              "the epoch, opt.lr = schedule(epoch) (gs.Trainer(..., schedule=...) sets it)")
#: PyTorch's names of gs.optim for schedules -> what to write instead.
TORCH_NAMES = {
    "lr_scheduler": f"graphscope's schedules are {_SCHEDULES}",
    "ExponentialLR": "write gs.optim.exponential(lr0, k) with k = -ln(gamma) (lr0 * exp(-k * epoch) = lr0 * gamma "
                     "** epoch), a function of the epoch: opt.lr = schedule(epoch)",
    "StepLR": "write gs.optim.step_decay(lr0, factor=gamma, every=step_size), a function of the epoch: "
              "opt.lr = schedule(epoch)",
}


class ScheduleArgumentError(GraphscopeError, TypeError):
    """A schedule was called with arguments it does not take (a TypeError, as Python's own would be)."""


class Schedule:
    """Base: a named formula of the epoch."""

    formula = ""

    def __getattr__(self, name):
        """Only called when normal lookup fails: PyTorch's ``scheduler.step()`` says what to write instead."""
        if name.startswith("_"):
            raise AttributeError(f"{type(self).__name__!r} object has no attribute {name!r}")
        raise no_attribute(f"{type(self).__name__!r} schedule", name, set(dir(type(self))) | set(vars(self)),
                           torch_names=TORCH_METHODS)

    def __call__(self, epoch):
        if isinstance(epoch, bool) or not isinstance(epoch, int) or epoch < 0:
            raise GraphscopeError(f"{self!r}: the epoch must be a whole number >= 0, got {epoch!r}")
        return self.rate(epoch)

    def rate(self, epoch):
        raise NotImplementedError

    def __repr__(self):
        args = ", ".join(f"{k}={v:g}" for k, v in vars(self).items())
        return f"{type(self).__name__.lower()}({args}): lr = {self.formula}"


def _number_problem(value, what, positive=True):
    """'WHAT must be a positive number, got ...' when `value` is not one (non-negative: `positive` False), else ''."""
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value) \
            or (value <= 0 if positive else value < 0):
        return f"{what} must be a {'positive' if positive else 'non-negative'} number, got {value!r}"
    return ""


def _number(value, what, who, positive=True):
    problem = _number_problem(value, what, positive)
    if problem:
        raise GraphscopeError(f"{who}: {problem}")
    return value


def _step_problems(factor, every, names=("factor", "every")):
    """What is wrong with a step decay's `factor` and `every` (a list, empty when nothing is), naming them by
    `names`."""
    problems = []
    whole = not isinstance(every, bool) and isinstance(every, int) and every >= 1
    problem = _number_problem(factor, names[0])
    if problem:
        problems.append(problem)
    elif factor > 1:
        problems.append(f"{names[0]} must be at most 1 (a decay: the rate is multiplied by it every "
                        f"{every if whole else names[1]} epochs), got {factor!r}")
    if not whole:
        problems.append(f"{names[1]} must be a whole number of epochs >= 1, got {every!r}")
    return problems


class Exponential(Schedule):
    formula = "lr0 * exp(-k * epoch)"

    def __init__(self, lr0, k):
        self.lr0, self.k = _number(lr0, "lr0", "exponential"), _number(k, "k", "exponential", positive=False)

    def rate(self, epoch):
        return self.lr0 * math.exp(-self.k * epoch)


class InverseTime(Schedule):
    formula = "lr0 / (1 + k * epoch)"

    def __init__(self, lr0, k):
        self.lr0, self.k = _number(lr0, "lr0", "inverse_time"), _number(k, "k", "inverse_time", positive=False)

    def rate(self, epoch):
        return self.lr0 / (1.0 + self.k * epoch)

    def __repr__(self):
        return super().__repr__().replace("inversetime", "inverse_time")


class StepDecay(Schedule):
    formula = "lr0 * factor ** (epoch // every)"

    def __init__(self, lr0, factor, every):
        """Every bad argument is named in one error ('factor must be at most 1 ...; every must be ...')."""
        self.lr0 = _number(lr0, "lr0", "step_decay")
        problems = _step_problems(factor, every)
        if problems:
            raise GraphscopeError("step_decay: " + "; ".join(problems))
        self.factor, self.every = factor, every

    def rate(self, epoch):
        return self.lr0 * self.factor ** (epoch // self.every)

    def __repr__(self):
        return super().__repr__().replace("stepdecay", "step_decay")


def _gamma_as_k(kwargs):
    """PyTorch's ExponentialLR(gamma) in the lecture's form: lr0 * gamma^m = lr0 * exp(-k m), k = -ln(gamma)."""
    gamma = kwargs["gamma"]
    worked = f" = {-math.log(gamma):.4g}" if isinstance(gamma, (int, float)) and 0 < gamma <= 1 else ""
    return (f"PyTorch's ExponentialLR multiplies the rate by gamma every epoch (lr0 * gamma ** epoch), which is "
            f"exponential(lr0, k) with k = -ln(gamma){worked}")


def _step_lr(kwargs):
    """PyTorch's StepLR(step_size, gamma) is step_decay(lr0, factor=gamma, every=step_size)."""
    factor = kwargs.get("gamma", kwargs.get("factor", "gamma"))
    every = kwargs.get("step_size", kwargs.get("every", "step_size"))
    return f"PyTorch's StepLR(step_size, gamma) is step_decay(lr0, factor={factor}, every={every})"


#: Each schedule function's PyTorch keywords -> what to write instead (a function of the keywords given).
TORCH_KEYWORDS = {
    "exponential": {"gamma": _gamma_as_k},
    "step_decay": {"gamma": _step_lr, "step_size": _step_lr},
}
#: Other spellings of the schedules' own keywords.
_ALIASES = {"lr": "lr0", "initial_lr": "lr0", "base_lr": "lr0"}


def _explained(kind):
    """A schedule function (making a `kind` Schedule) whose call, when it does not fit the signature, is refused
    in one line saying what to write: PyTorch's keywords (TORCH_KEYWORDS), a did-you-mean for a misspelt one,
    Python's complaint otherwise."""
    def wrap(schedule):
        signature = inspect.signature(schedule)
        usage = f"{schedule.__name__}{signature}: lr = {kind.formula}"

        @functools.wraps(schedule)
        def call(*args, **kwargs):
            try:
                signature.bind(*args, **kwargs)
            except TypeError as exc:
                raise ScheduleArgumentError(_call_problem(schedule.__name__, signature, usage, kwargs, exc)) \
                    from None
            return schedule(*args, **kwargs)
        return call
    return wrap


def _call_problem(name, signature, usage, kwargs, exc):
    for key in kwargs:
        if key in signature.parameters:
            continue
        hint = TORCH_KEYWORDS.get(name, {}).get(key)
        if hint is not None:
            return f"{name}() takes no keyword {key!r} (PyTorch's); {hint(kwargs)}"
        return (f"{name}() takes no keyword {key!r}{did_you_mean(key, list(signature.parameters), _ALIASES)} "
                f"({usage})")
    return f"{usage}; {exc}"


@_explained(Exponential)
def exponential(lr0, k):
    """lr0 * exp(-k m): the lecture's exponential decay."""
    return Exponential(lr0, k)


@_explained(InverseTime)
def inverse_time(lr0, k):
    """lr0 / (1 + k m): the lecture's polynomial (1/t) decay."""
    return InverseTime(lr0, k)


@_explained(StepDecay)
def step_decay(lr0, factor, every):
    """lr0 * factor^(m // every): multiply by `factor` every `every` epochs."""
    return StepDecay(lr0, factor, every)


#: The command line's forms: the form, the names of its parts, the formula of the rate at epoch m = 0, 1, ...
SPECS = {"exp": ("exp:K", ("K",), "lr0 * e^(-K * epoch)"),
         "inv": ("inv:K", ("K",), "lr0 / (1 + K * epoch)"),
         "step": ("step:FACTOR:EVERY", ("FACTOR", "EVERY"), "lr0 * FACTOR^(epoch // EVERY)")}
#: The forms with their formulas, as help and error messages give them (lr0: the --lr given).
FORMS = ("exp:K (lr = lr0 * e^(-K * epoch)), inv:K (lr = lr0 / (1 + K * epoch)) or step:FACTOR:EVERY "
         "(lr = lr0 * FACTOR^(epoch // EVERY): multiplied by FACTOR every EVERY epochs), e.g. exp:0.1, inv:0.5, "
         "step:0.5:10")


def _parsed(kind, text):
    """`text` as a float or an int (`kind`), or the text itself when it is not one (the problem then names it)."""
    try:
        return kind(text)
    except ValueError:
        return text


def parse_schedule(text, lr0):
    """A schedule from the command line's text: 'exp:K', 'inv:K', 'step:FACTOR:EVERY' (FORMS). A bad one raises
    one GraphscopeError naming the form, its formula and every bad part (not the text: the caller names it)."""
    parts = str(text).strip().split(":")
    spec = SPECS.get(parts[0].lower())
    if spec is None or len(parts) != len(spec[1]) + 1:
        raise GraphscopeError(f"not one of the schedule forms: {FORMS}")
    form, names, formula = spec
    if form == "step:FACTOR:EVERY":
        factor, every = _parsed(float, parts[1]), _parsed(int, parts[2])
        problems = _step_problems(factor, every, names)
    else:
        k = _parsed(float, parts[1])
        problems = [p for p in [_number_problem(k, "K", positive=False)] if p]
    if problems:
        raise GraphscopeError(f"{form} (lr = {formula}): " + "; ".join(problems))
    if form == "step:FACTOR:EVERY":
        return step_decay(lr0, factor, every)
    return (exponential if form == "exp:K" else inverse_time)(lr0, k)
