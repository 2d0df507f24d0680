"""Learning-rate schedules per epoch m, as the lecture writes them.

Each is a callable ``schedule(epoch) -> lr`` with a readable repr; the
trainer sets ``optimizer.lr = schedule(epoch)`` at the start of each epoch
(epoch 0 gets lr0).
"""
import math

from ..engine import GraphscopeError


class Schedule:
    """Base: a named formula of the epoch."""

    formula = ""

    def __call__(self, epoch):
        if isinstance(epoch, bool) or not isinstance(epoch, int) or epoch < 0:
            raise GraphscopeError(f"{self!r}: the epoch must be a whole number >= 0, got {epoch!r}")
        return self.rate(epoch)

    def rate(self, epoch):
        raise NotImplementedError

    def __repr__(self):
        args = ", ".join(f"{k}={v:g}" for k, v in vars(self).items())
        return f"{type(self).__name__.lower()}({args}): lr = {self.formula}"


def _number(value, what, who, positive=True):
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value) \
            or (value <= 0 if positive else value < 0):
        raise GraphscopeError(f"{who}: {what} must be a {'positive' if positive else 'non-negative'} number, "
                              f"got {value!r}")
    return value


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
        problems = []
        whole = not isinstance(every, bool) and isinstance(every, int) and every >= 1
        try:
            self.factor = _number(factor, "factor", "step_decay")
            if self.factor > 1:
                problems.append(f"factor must be at most 1 (a decay: the rate is multiplied by it every "
                                f"{every if whole else 'EVERY'} epochs), got {factor!r}")
        except GraphscopeError as exc:
            problems.append(str(exc).removeprefix("step_decay: "))
        if not whole:
            problems.append(f"every must be a whole number of epochs >= 1, got {every!r}")
        if problems:
            raise GraphscopeError("step_decay: " + "; ".join(problems))
        self.every = every

    def rate(self, epoch):
        return self.lr0 * self.factor ** (epoch // self.every)

    def __repr__(self):
        return super().__repr__().replace("stepdecay", "step_decay")


def exponential(lr0, k):
    """lr0 * exp(-k m): the lecture's exponential decay."""
    return Exponential(lr0, k)


def inverse_time(lr0, k):
    """lr0 / (1 + k m): the lecture's polynomial (1/t) decay."""
    return InverseTime(lr0, k)


def step_decay(lr0, factor, every):
    """lr0 * factor^(m // every): multiply by `factor` every `every` epochs."""
    return StepDecay(lr0, factor, every)


FORMS = "'exp:K', 'inv:K' or 'step:FACTOR:EVERY' (e.g. exp:0.1, inv:0.5, step:0.5:10)"


def _parsed(kind, text):
    """`text` as a float or an int (`kind`), or the text itself when it is not one (the schedule then names it)."""
    try:
        return kind(text)
    except ValueError:
        return text


def parse_schedule(text, lr0):
    """A schedule from the command line's text: 'exp:K', 'inv:K', 'step:FACTOR:EVERY'."""
    parts = str(text).strip().split(":")
    try:
        if parts[0] == "exp" and len(parts) == 2:
            return exponential(lr0, float(parts[1]))
        if parts[0] == "inv" and len(parts) == 2:
            return inverse_time(lr0, float(parts[1]))
        if parts[0] == "step" and len(parts) == 3:  # a part that is no number is named by step_decay as given
            return step_decay(lr0, _parsed(float, parts[1]), _parsed(int, parts[2]))
    except ValueError:
        pass
    except GraphscopeError as exc:
        raise GraphscopeError(f"schedule {text!r}: {exc}; accepted forms: {FORMS}") from None
    raise GraphscopeError(f"schedule {text!r} is not understood; accepted forms: {FORMS}")
