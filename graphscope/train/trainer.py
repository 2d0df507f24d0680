"""gs.Trainer: mini-batch training of the recorded graph by replay.

Each batch is fed into the graph the user built (``graph.run(feeds)``), then
``graph.backward()`` and ``optimizer.step()``; no second definition of the model.
Regularization: ``E = L + reg * sum ||W||_F^2`` over the parameters with two or
more axes (weights, not biases). The trainer adds its gradient ``2 reg W`` to
each weight's gradient after backward (nothing is added to the graph), and
the reported loss includes the term.
"""
import math
import os
import time

import numpy as np

from ..engine.errors import ArgumentError, GraphscopeError
from ..engine.graph import Graph
from ..engine.replay import replay
from ..engine.words import plural
from ..util.atomic import require_path
from .divergence import divergence_advice
from .events import BatchEnd, EpochEnd, Stopped
from .feeds import GraphRoles
from .history import History
from .labels import label_shape_problem, require_whole_labels
from .lastbatch import batch_count, last_batch_problem
from .node_state import PassState
from .optimizer_state import copied_state
from .plan import Plan
from .progress import Bar, wanted
from .schedule_rate import warn_schedule_rate
from .settings import DTYPES, VAL_CHUNK, setting_problems


class TrainingDiverged(GraphscopeError):
    """The loss became NaN or infinite; ``origin`` names the node that made the first non-finite value, ``advice``
    says what to change (the learning rate only when updates came first and the loss grew)."""

    def __init__(self, message, origin=None, epoch=None, iteration=None, advice=()):
        super().__init__(message)
        self.origin = origin
        self.advice = list(advice)  # what to change, one line each (also the message's last lines)
        self.epoch = epoch
        self.iteration = iteration


class TrainingInterrupted(KeyboardInterrupt):
    """Ctrl-C (or a callback raising KeyboardInterrupt) stopped fit(); the message names the last good checkpoint.

    A KeyboardInterrupt still, so whatever stops on Ctrl-C stops on this too; ``epoch`` is the number of
    finished epochs and ``checkpoint`` the folder holding the last one written (None when none was).
    """

    def __init__(self, message, epoch, checkpoint):
        super().__init__(message)
        self.epoch = epoch
        self.checkpoint = checkpoint


def _require_finite(x, what, name):
    """Refuse examples holding a NaN or an infinity, naming the first (their sum tells, in one pass without a mask
    the size of the data; a sum that overflows is looked at entry by entry): it would make the gradients of every
    batch holding it NaN, and the trainer would blame the learning rate once the parameters were."""
    if x.dtype.kind != "f":
        return
    with np.errstate(over="ignore", invalid="ignore"):
        if np.isfinite(np.add.reduce(x, axis=None)):
            return
    bad = np.argwhere(~np.isfinite(x))
    if not len(bad):
        return  # a sum of huge finite values overflowed: nothing is wrong with the data
    where = tuple(int(i) for i in bad[0])
    raise GraphscopeError(f"{what}: {name}[{', '.join(map(str, where))}] is {x[where]} ({len(bad)} of {x.size} "
                          f"entries are not finite): the examples must be finite numbers (a NaN or an infinity in "
                          f"an example makes the gradient of its batch NaN)")


#: What an optimizer needs for the trainer to have the backward pass compute its steps (plain SGD).
FUSED_STEP_METHODS = ("step_scale", "add_steps", "release_steps", "steps_held")


def _real_numbers(data, what, name):
    """`data` as an array when it holds real numbers (or is an array of something else numpy will refuse later,
    such as strings); a GraphscopeError for complex values (their imaginary part would be dropped) and masked
    arrays (their mask would be)."""
    if isinstance(data, np.ma.MaskedArray):
        raise GraphscopeError(f"{what}: {name} is a masked array, and training would use its masked entries as "
                              f"numbers: pass {name}.filled(value), or drop the masked examples first")
    try:
        array = np.asarray(data) if data.__class__ is not np.ndarray else data
    except (TypeError, ValueError) as exc:  # a ragged list
        raise GraphscopeError(f"{what}: {name} must be an array of numbers ({type(data).__name__}: {exc})") from None
    if array.dtype.kind == "c":
        features = f", or both parts as features (np.concatenate([{name}.real, {name}.imag], axis=1))" \
            if name.startswith("x") else ""
        raise GraphscopeError(f"{what}: {name} holds complex numbers ({array.dtype}); graphscope trains on real "
                              f"numbers and would drop the imaginary part: pass np.real({name}) or "
                              f"np.abs({name}){features}")
    return array


class Trainer:
    """Train a recorded loss: ``history = gs.Trainer(loss, optimizer, ...).fit(x_train, y_train, x_val, y_val)``.

    `optimizer` is any object with the gs.optim interface (``params``, ``lr``,
    ``step()``, ``zero_grad()``, ``state_dict()``, ``load_state_dict()``).
    `schedule` is a callable ``epoch -> lr`` (0-based epoch) applied at the
    start of every epoch. `epochs` is the total: a resumed trainer
    (``load_checkpoint``) trains the epochs that are left. `dtype`
    ("float32" or "float64") is what the graph computes in: its leaves are cast
    once, here. `x`, `y`, `scores` name (or are) the input leaf, the labels leaf
    and the scores node when the graph does not say (see graphscope.train.feeds).
    `checkpoint`: a folder written after every epoch (see graphscope.train.checkpoint); a new run refuses a folder
    that holds a checkpoint (load_checkpoint it to go on with that run, or pass ``overwrite_checkpoint=True``)
    or other files. ``trainer.file`` (the file that built the loss, as the loss's source line says) is recorded in
    checkpoints; set it to name the file otherwise.
    `callbacks` are called with BatchEnd, EpochEnd and Stopped events.
    `watch_layers`: after every epoch, keep a compact record of each layer's health in ``history.layers``
    (gradient std, dead or saturated fraction, update/weight ratio per scope, and graphscope.train.health's
    diagnosis), measured as ``layer_stats()`` measures it.
    `drop_last`: leave out each epoch's last batch when it is smaller than `batch_size` (as PyTorch's DataLoader):
    batch norm in training mode needs 2 examples a batch, so a last batch of 1 is refused before training starts.
    """

    def __init__(self, loss, optimizer, batch_size=64, epochs=10, schedule=None, reg=0.0, seed=0, shuffle=True,
                 dtype="float32", progress=None, callbacks=(), *, x=None, y=None, scores=None, checkpoint=None,
                 overwrite_checkpoint=False, watch_layers=False, drop_last=False):
        if not hasattr(loss, "_value"):
            raise GraphscopeError(f"Trainer(loss, ...): loss must be the recorded loss tensor, got {type(loss).__name__}")
        if loss.size != 1:
            raise GraphscopeError(f"Trainer: the loss {loss.name} has shape {loss.shape}; it must be one number "
                                  f"(e.g. gs.softmax_cross_entropy(scores, labels), or .mean() of a loss per example)")
        for attr in ("params", "lr", "step", "zero_grad", "state_dict", "load_state_dict"):
            if not hasattr(optimizer, attr):
                raise GraphscopeError(f"Trainer: the optimizer {type(optimizer).__name__} has no {attr}; "
                                      f"pass a gs.optim optimizer, e.g. gs.optim.SGD(graph.params, lr=0.1)")
        problems = setting_problems(batch_size=batch_size, epochs=epochs, reg=reg, seed=seed, dtype=dtype,
                                    schedule=schedule)
        if problems:
            raise ArgumentError("Trainer: " + "; ".join(problems))
        self.graph = loss.graph() if not isinstance(loss, Graph) else loss
        self.loss = self.graph.output
        self.optimizer = optimizer
        self.batch_size = batch_size
        self.epochs = epochs
        self.reg = float(reg)
        self.schedule = schedule
        self.seed = seed
        self.shuffle = bool(shuffle)
        self.drop_last = bool(drop_last)
        self.dtype = np.dtype(DTYPES[str(dtype)])
        self.progress = progress
        self.callbacks = list(callbacks) if isinstance(callbacks, (list, tuple)) else [callbacks]
        for cb in self.callbacks:
            if not callable(cb):
                raise GraphscopeError(f"Trainer: callbacks must be functions of an event (a list of them), "
                                      f"got {type(cb).__name__}")
        self.checkpoint = None if checkpoint is None else require_path(checkpoint, "checkpoint folder")
        self.overwrite_checkpoint = bool(overwrite_checkpoint)
        self.file = _source_file(self.loss)
        self.roles = GraphRoles(self.graph, x=x, y=y, scores=scores)
        in_graph = {id(p) for p in self.graph.nodes}
        for p in optimizer.params:
            if id(p) not in in_graph:
                raise GraphscopeError(f"Trainer: the optimizer updates {getattr(p, 'name', p)!r}, which the loss "
                                      f"{self.loss.name} does not depend on; give it the graph's parameters "
                                      f"(loss.graph().params)")
        self.params = list(optimizer.params)
        self.weights = [p for p in self.graph.params if p.ndim >= 2]
        self.lr0 = float(optimizer.lr)
        self._rate_said = None          # the schedule whose rate fit() said replaces the optimizer's (once)
        self.rng = np.random.default_rng(seed)
        self.epoch = 0                  # epochs completed
        self.saved_epoch = None         # the epoch count of the last checkpoint written (None: none yet)
        self.history = History()
        self.watch_layers = bool(watch_layers)
        self._layer_source = None       # a copy of the last fit's sample rows (x, y): what layer_sample gives
        self._layer_given = None        # the data fit was given, until those rows are copied out of it
        self._stop = False
        self._writing = None            # the epoch whose checkpoint is being written (None: none is)
        self._cast_leaves()
        self._plan = Plan(self.graph, fed=(self.roles.input, self.roles.label_leaf))
        self._scaled_by = None  # the factor of the graph's gradients after the last step (plain SGD), if not 1
        self._fused = None  # (optimizer, whether its steps can be computed by the backward pass): see _step_scale
        self._pass_state = PassState(self.graph)  # what a batch that fails must not leave behind

    # ---------------------------------------------------------------- settings that may change between fits
    @property
    def epochs(self):
        """The total number of epochs fit() trains up to (an integer >= 1; checked when set)."""
        return self._epochs

    @epochs.setter
    def epochs(self, value):
        self._epochs = _checked("epochs", value)

    @property
    def batch_size(self):
        """Examples per mini-batch (an integer >= 1; checked when set)."""
        return self._batch_size

    @batch_size.setter
    def batch_size(self, value):
        self._batch_size = _checked("batch_size", value)

    # ---------------------------------------------------------------- setup
    def _cast_leaves(self):
        """Bring every array leaf (parameters, inputs, constants) to the training dtype, once.

        The optimizer's state (made before, in the old dtype) is cast too, through its state_dict.
        """
        cast = False
        for leaf in self.graph.leaves:
            v = leaf._value
            if v.__class__ is np.ndarray and v.dtype != self.dtype:
                leaf._value = v.astype(self.dtype)
                leaf.grad = None
                cast = True
        if cast:
            self.optimizer.load_state_dict(copied_state(self.optimizer, self.dtype))

    def settings(self, n_train=None):
        """How this run trains, as plain JSON-able values (kept in the history and checkpoints)."""
        return {"optimizer": _optimizer_name(self.optimizer), "lr": self.lr0, "batch_size": self.batch_size,
                "epochs": self.epochs, "reg": self.reg, "seed": self.seed, "shuffle": self.shuffle,
                "dtype": self.dtype.name, "schedule": None if self.schedule is None else repr(self.schedule),
                "n_train": n_train, "iterations_per_epoch": None if n_train is None else
                batch_count(n_train, self.batch_size, self.drop_last), "classes": self.roles.classes,
                "params": [p.name for p in self.params], "drop_last": self.drop_last}

    def stop(self):
        """Ask a running fit to stop before its next batch (safe to call from another thread).

        Asked during an epoch (a BatchEnd callback, another thread), the fit ends after the current batch
        and the unfinished epoch is not counted: a later fit() trains it again, with a new shuffle. Asked
        at an epoch's end (an EpochEnd callback: early stopping) or during the last batch, that epoch
        counts and nothing of the next is trained: the parameters, the optimizer and the shuffling are
        those of a run of that many epochs ('stopped after epoch N'). Asked while no fit runs, the next fit
        stops before its first batch and trains nothing ('stopped before the first batch'; cancel_stop() forgets it).
        """
        self._stop = True

    def cancel_stop(self):
        """Forget a stop() that no fit has acted on yet (one asked while no fit ran)."""
        self._stop = False

    # ---------------------------------------------------------------- data
    def _labels(self, y, what, name="y"):
        y = np.asarray(y)
        if self.roles.labelled:
            problem = label_shape_problem(y, self.graph, name, source="")
            if problem:
                raise GraphscopeError(f"{what}: {problem}")
            require_whole_labels(y, what, name)  # names y_train[3] = 2.5, not the dtype holding it
            if y.dtype.kind == "f":
                y = y.astype(np.int64)
            if y.dtype.kind not in "iu":
                raise GraphscopeError(f"{what} labels: class labels must be integers, got dtype {y.dtype}")
            y = y.astype(np.int64, copy=False)
            self._check_label_range(y, what, name)
            return y
        return np.ascontiguousarray(y, dtype=self.dtype)

    def _check_label_range(self, y, what, name):
        """Every class label in 0..classes-1, the classes the classification loss's scores have."""
        scores = self.roles.labelled[0].inputs[0]
        if not y.size or not scores.shape:
            return
        classes = int(scores.shape[-1])
        bad = (y < 0) | (y >= classes)
        if bad.any():
            i = np.unravel_index(int(np.argmax(bad)), y.shape)
            at = ", ".join(str(int(k)) for k in i)
            raise GraphscopeError(f"{what}: {name}[{at}] is {int(y[i])}, but the scores have {classes} classes, so "
                                  f"a label must lie in 0..{classes - 1} ({int(bad.sum())} of {y.size} labels "
                                  f"{'is' if bad.sum() == 1 else 'are'} out of range)")

    def check_data(self, x_train, y_train, x_val=None, y_val=None, where="fit"):
        """(x_train, y_train, x_val, y_val) as fit trains on them, after checking each array (numbers, labels
        that are whole numbers within the classes, matching lengths and shapes); a GraphscopeError names the
        array (`where`: who gave them, e.g. "fit")."""
        x_train, y_train = self._data(x_train, y_train, f"{where}: training data", ("x_train", "y_train"))
        if x_val is not None or y_val is not None:
            x_val, y_val = self._data(x_val, y_val, f"{where}: validation data", ("x_val", "y_val"))
        return x_train, y_train, x_val, y_val

    def _data(self, x, y, what, names=("x", "y")):
        if x is None or y is None:
            raise GraphscopeError(f"{what}: give both the examples and their labels")
        try:
            x = np.ascontiguousarray(_real_numbers(x, what, names[0]), dtype=self.dtype)
        except (TypeError, ValueError) as exc:
            raise GraphscopeError(f"{what}: the examples must be numbers ({type(x).__name__}: {exc})") from None
        _require_finite(x, what, names[0])
        y = self._labels(_real_numbers(y, what, names[1]), what, names[1])
        if len(x) != len(y):
            raise GraphscopeError(f"{what}: {len(x)} examples but {len(y)} labels")
        if len(x) == 0:
            raise GraphscopeError(f"{what}: no examples")
        want = self.roles.input.shape[1:]
        if x.shape[1:] != want:
            raise GraphscopeError(f"{what}: examples of shape {x.shape[1:]} but the input {self.roles.input.name} "
                                  f"takes rows of shape {want} (it was recorded as {self.roles.recorded_shape})")
        return x, y

    # ---------------------------------------------------------------- one step
    def _reg_term(self):
        if not self.reg:
            return 0.0
        return self.reg * sum(float(np.vdot(w._value, w._value)) for w in self.weights)

    def _add_reg_gradient(self, scale=1.0):
        """Add reg's gradient, 2 reg W, to each weight's (times `scale` when the gradients are scaled)."""
        if not self.reg:
            return
        k = 2.0 * self.reg * scale
        for w in self.weights:
            # a new array: a gradient may be shared with a node's (an add passes its upstream on as it is)
            w.grad = k * w._value if w.grad is None else w.grad + k * w._value

    def _step(self, xb, yb):
        """Forward, backward, regularization gradient, update; returns the loss (data + reg).

        Batches run through the flattened Plan (graphscope.train.plan), falling back to the general
        path, ``graph.run`` and ``graph.backward``, and its error messages, when anything is unusual.
        """
        if self._scaled_by is not None:  # the last step's scaled gradients: nobody will read them now
            self._plan.forget_gradients()
            self._scaled_by = None
        self.optimizer.zero_grad()
        release = getattr(self.optimizer, "release_steps", None)
        if release is not None:  # a fused step's arrays go now, so that a step holds one set (plain SGD)
            release()
        plan = self._plan
        fast = plan.usable()
        held, state = self.roles.held(), self._pass_state.held()
        if fast:
            self.roles.set_batch(xb, yb)
            fast = plan.forward()
            if not fast:
                self._pass_state.put_back(state)  # graph.run refreshes them again: this batch counts once
        if not fast:
            try:
                self.graph.run(self.roles.feeds(xb, yb))  # the general path: its checks, its error messages
            except Exception:
                self.roles.put_back(held)  # the leaves keep what they held, not the batch that failed
                self._pass_state.put_back(state)  # and the running averages have not taken it in
                self._recompute_quietly()  # and the op nodes their values (the fast path had begun the batch)
                raise
        loss = float(self.loss._value) + self._reg_term()
        if not math.isfinite(loss):
            return loss
        try:
            self._backward_and_update(fast)
        except Exception:  # a VJP or the optimizer raised: the batch leaves no trace, as a failed forward pass
            self.roles.put_back(held)
            self._pass_state.put_back(state)
            self._recompute_quietly()
            raise
        return loss

    def _backward_and_update(self, fast):
        """The gradients of the batch just run (through the plan when `fast`), then the optimizer's step."""
        scale = self._step_scale() if fast else None
        if fast and self._plan.backward(1.0 if scale is None else scale):
            if scale is not None:  # the gradients are the steps (plain SGD): added without a pass to scale them
                self._add_reg_gradient(scale)
                self.optimizer.add_steps()
                self._scaled_by = scale
                return
        else:
            self.graph.backward()
            for leaf in (self.roles.input, self.roles.label_leaf):
                if leaf is not None:  # a fed leaf that requires a gradient would pile up one per batch size
                    leaf.grad = None
        self._add_reg_gradient()
        self.optimizer.step()

    def _recompute_quietly(self):
        """Every node's value again from the leaves as they are (no fresh dropout mask, no running-average
        update, no observers); a failure leaves the values as they are."""
        try:
            replay(self.graph.program, observed=False)
        except Exception:
            pass

    def _step_scale(self):
        """The optimizer's step_scale() (-lr for plain SGD); None for a rule with state, one without the method,
        or a graph with a custom op (its VJP may not be linear in the upstream gradient, e.g. a clipping op)."""
        opt = self.optimizer
        fused = self._fused
        if fused is None or fused[0] is not opt:  # asked once per optimizer, not at every batch
            fused = self._fused = (opt, self._plan.linear and all(callable(getattr(opt, name, None))
                                                                   for name in FUSED_STEP_METHODS))
        return opt.step_scale() if fused[1] else None

    def _unscale_gradients(self):
        """Give the graph the loss's own gradients again after a step that computed them scaled (plain SGD):
        before anyone else reads them (callbacks, the layer statistics, the end of an epoch or of fit)."""
        if self._scaled_by is not None:
            self._plan.unscale(self._scaled_by, keep=self.optimizer.steps_held())  # the steps stay the steps
            self._scaled_by = None

    def _diverged(self, loss, epoch, iteration):
        origin = self.graph.find_nonfinite()
        where = origin.describe() if origin is not None else \
            f"the regularization term (reg {self.reg:g} * sum ||W||^2) is {loss}"
        kept = ""
        if self.checkpoint is not None and self.epoch > 0:
            kept = f"\n  the last good checkpoint is {self.checkpoint} (after epoch {self.epoch})"
        elif self.checkpoint is not None:
            kept = "\n  no checkpoint was written (no epoch finished)"
        losses = self.history.loss  # one per update taken before this loss
        advice = divergence_advice(origin, losses, float(self.optimizer.lr), self.reg)
        when = ", before any update" if not losses else ""
        message = (f"training diverged: the loss is {loss} at iteration {iteration} (epoch {epoch + 1}){when}\n  "
                   + where.replace("\n", "\n  ") + kept + "".join(f"\n  {line}" for line in advice))
        return TrainingDiverged(message, origin=origin, epoch=epoch, iteration=iteration, advice=advice)

    def _emit(self, event):
        for cb in self.callbacks:
            cb(event)

    # ---------------------------------------------------------------- evaluation
    def _set_training(self, flag):
        try:
            from ..nn import set_training
        except ImportError:  # no gs.nn: no batch norm or dropout nodes to switch
            return
        set_training(self.graph, flag)

    def evaluate(self, x, y):
        """(accuracy or None, mean data loss) of the graph in eval mode on (x, y); parameters unchanged."""
        x, y = self._data(x, y, "evaluate")
        correct, total_loss = 0, 0.0
        for xb, yb in self._eval_passes(x, y):
            total_loss += float(self.loss._value) * len(xb)
            c = self.roles.correct(yb)
            correct = None if c is None or correct is None else correct + c
        return (None if correct is None else correct / len(x)), total_loss / len(x)

    def predict(self, x, batch_size=VAL_CHUNK):
        """The class scores (N, C) of the examples `x`, in eval mode (batch norm's running averages, no dropout),
        `batch_size` rows a pass; the graph keeps what it held (the last training batch, its mode), so training
        goes on as before. ``scores.argmax(axis=1)`` are the predicted classes."""
        from .prediction import predict
        if self.roles.scores is None:
            raise GraphscopeError(f"predict: the graph of {self.loss.name} has no class scores (one row per "
                                  f"example); name the node scores.name = 'scores' or pass Trainer(..., scores=...)")
        x = _real_numbers(x, "predict", "x")
        return predict(self.graph, x, batch_size, scores=self.roles.scores, x_node=self.roles.input)

    def _eval_passes(self, x, y):
        """Run the graph in eval mode on (x, y), VAL_CHUNK rows at a time, yielding each chunk after its pass."""
        self._set_training(False)
        try:
            for i in range(0, len(x), VAL_CHUNK):
                xb, yb = x[i:i + VAL_CHUNK], y[i:i + VAL_CHUNK]
                self.graph.run(self.roles.feeds(xb, yb))
                yield xb, yb
        finally:
            self._set_training(True)

    # ---------------------------------------------------------------- the loop
    def fit(self, x_train, y_train, x_val=None, y_val=None):
        """Train until `epochs` epochs are done (or stop()); returns the History (also ``trainer.history``).

        A NaN or infinite loss stops at once with TrainingDiverged naming the node that made it, why, and what
        to change (its ``advice``); the parameters keep the values of the last finite step.
        """
        with np.errstate(over="ignore", invalid="ignore", divide="ignore"):  # a NaN is reported where it is made
            try:
                return self._fit(x_train, y_train, x_val, y_val)
            except TrainingInterrupted:
                raise
            except KeyboardInterrupt:
                self.history.stopped = "interrupted"
                raise self._interrupted() from None
            finally:
                self._stop = False  # acted on (or the fit ended first): it does not stop the next fit
                self._unscale_gradients()
                self._keep_layer_sample()

    def _interrupted(self):
        """The TrainingInterrupted for Ctrl-C now: one line saying what is kept."""
        where = f"interrupted during epoch {self.epoch + 1}; "
        unsaved = "no epoch finished"
        if self._writing is not None:  # epoch `_writing` had finished; its checkpoint was being written
            self.saved_epoch = self._checkpoint_on_disk()
            done = self.saved_epoch == self._writing  # Ctrl-C is held until a write is done, where it can be
            where = (f"interrupted as the checkpoint of epoch {self._writing} was written; "
                     + ("it was finished first: " if done else "that write was undone: "))
            unsaved = "none had been before"
            self._writing = None
        if self.checkpoint is None:
            kept = (f"no checkpoint folder was given, nothing was saved to disk; in memory, the parameters keep what "
                    f"was trained and trainer.history its {plural(self.epoch, 'finished epoch')}")
        elif self.saved_epoch is None:
            kept = f"no checkpoint was written to {self.checkpoint} ({unsaved})"
        else:
            kept = f"the last good checkpoint is {self.checkpoint} (after epoch {self.saved_epoch})"
        return TrainingInterrupted(f"{where}{kept}", self.saved_epoch or 0,
                                   None if self.saved_epoch is None else self.checkpoint)

    def _checkpoint_on_disk(self):
        """The epoch of the whole checkpoint in the checkpoint folder (a write cut short leaves the previous one,
        or the new one when only the clean-up was cut), or None when it holds none."""
        from .checkpoint import CheckpointError, read_checkpoint
        try:
            return read_checkpoint(self.checkpoint)[0]["epoch"]
        except CheckpointError:
            return None

    def _fit(self, x_train, y_train, x_val, y_val):
        self._check_checkpoint_folder()
        if self.epoch >= self.epochs:
            raise GraphscopeError(f"fit: nothing to train: {plural(self.epoch, 'epoch')} done, epochs={self.epochs} "
                                  f"(the total); set trainer.epochs to {self.epoch + 1} or more to train further")
        given = (x_train, y_train)
        x_train, y_train, x_val, y_val = self.check_data(x_train, y_train, x_val, y_val)
        if self.schedule is not None and self._rate_said is not self.schedule:
            if warn_schedule_rate(self.schedule, self.lr0, f"the optimizer {_optimizer_name(self.optimizer)}"):
                self._rate_said = self.schedule
        self._layer_source, self._layer_given = None, given  # the sample is copied when first asked, or at the end
        has_val = x_val is not None or y_val is not None
        n = len(x_train)
        batches = batch_count(n, self.batch_size, self.drop_last)
        problem = last_batch_problem(self.graph, n, self.batch_size, self.drop_last)
        if problem:
            raise GraphscopeError(f"fit: {problem}")
        trained_rows = min(n, batches * self.batch_size)  # each epoch's examples (drop_last leaves a few out)
        h = self.history
        h.settings = self.settings(n)
        h.stopped = ""
        self._set_training(True)
        trained = False  # a batch of this fit was trained
        todo = max(0, self.epochs - self.epoch)
        with Bar(todo * batches, "training", wanted(self.progress)) as bar:
            while self.epoch < self.epochs:
                epoch = self.epoch
                if self._stop:  # asked at an epoch's end: nothing of the next epoch is drawn, shuffled or trained
                    return self._stopped(epoch, f"stopped after epoch {epoch}" if trained else
                                         "stopped before the first batch")
                lr = float(self.schedule(epoch)) if self.schedule is not None else float(self.optimizer.lr)
                self.optimizer.lr = lr
                order = self.rng.permutation(n) if self.shuffle else None
                t0 = time.perf_counter()
                correct, loss_sum = 0, 0.0
                bs = self.batch_size
                for b in range(batches):
                    if b and self._stop:  # asked during the epoch: it ends before this batch, the epoch uncounted
                        return self._stopped(epoch, f"stopped after batch {b} of epoch {epoch + 1}")
                    idx = slice(b * bs, (b + 1) * bs)
                    if order is not None:
                        idx = order[idx]
                    xb, yb = x_train[idx], y_train[idx]
                    loss = self._step(xb, yb)
                    trained = True
                    iteration = len(h.loss) + 1
                    if not math.isfinite(loss):
                        exc = self._diverged(loss, epoch, iteration)
                        h.stopped = "diverged"
                        self._emit(Stopped("diverged", epoch, iteration, str(exc)))
                        raise exc
                    h.loss.append(loss)
                    loss_sum += loss
                    c = self.roles.correct(yb)
                    correct = None if c is None or correct is None else correct + c
                    if self.callbacks:
                        self._unscale_gradients()
                        self._emit(BatchEnd(epoch, iteration, b + 1, batches, loss,
                                            None if c is None else c / len(yb), lr))
                    bar.advance(lambda: f"epoch {epoch + 1}/{self.epochs}  loss {loss:.4g}")
                self._unscale_gradients()
                train_acc = None if correct is None else correct / trained_rows
                val_acc = val_loss = None
                if has_val:
                    kept = _last_pass(self.graph)
                    val_acc, val_loss = self.evaluate(x_val, y_val)
                    _put_back(kept)  # the graph shows the last training batch again (gs.layer_stats reads it)
                    del kept  # nothing holds the last pass's arrays now: the next batch writes into them again
                seconds = time.perf_counter() - t0
                h.train_acc.append(train_acc)
                h.val_acc.append(val_acc)
                h.val_loss.append(val_loss)
                h.lr.append(lr)
                h.seconds.append(seconds)
                if self.watch_layers:
                    from .health import epoch_summary
                    h.layers.append(epoch_summary(self.layer_stats(), epoch + 1))
                self.epoch += 1
                if self.checkpoint is not None:
                    self._writing = self.epoch
                    self._save_epoch_checkpoint()
                    self.saved_epoch, self._writing = self.epoch, None
                self._emit(EpochEnd(epoch, self.epochs, loss_sum / batches, train_acc, val_acc, val_loss, lr,
                                    seconds))
        return h

    def _stopped(self, epoch, message):
        """End a fit that stop() asked to end, before a batch: say so to the history and the callbacks."""
        self.history.stopped = "stopped"
        self._emit(Stopped("stopped", epoch, len(self.history.loss), message))
        return self.history

    # ---------------------------------------------------------------- checkpoints
    def save_checkpoint(self, folder):
        """Write parameters, optimizer state, history, settings and RNG state to `folder` (atomically)."""
        from .checkpoint import save_checkpoint
        return save_checkpoint(self, folder)

    def _save_epoch_checkpoint(self):
        from .checkpoint import save_epoch_checkpoint
        save_epoch_checkpoint(self, self.checkpoint)

    def _check_checkpoint_folder(self):
        """Before the first write of this run: refuse a checkpoint folder holding another run or other files."""
        if self.checkpoint is None or self.saved_epoch is not None:
            return  # none, or it holds this run already
        from .checkpoint import CheckpointError, new_run_problem
        problem = new_run_problem(self.checkpoint, replace=self.overwrite_checkpoint)
        if problem:
            raise CheckpointError(f"fit: {problem}")

    def load_checkpoint(self, folder):
        """Restore what save_checkpoint wrote; fit() then trains the epochs that are left."""
        from .checkpoint import load_checkpoint
        meta = load_checkpoint(self, folder)
        if self.checkpoint is not None and os.path.abspath(self.checkpoint) == os.path.abspath(folder):
            self.saved_epoch = self.epoch  # that folder already holds this state
        return meta

    # ---------------------------------------------------------------- statistics
    def layer_stats(self, bins=None):
        """gs.layer_stats with the update/weight ratio of the optimizer's last step; once fit() has seen the data,
        the activations and dead or saturated fractions are measured on a fixed sample of the training data
        (up to monitor.LAYER_SAMPLE evenly spaced examples, eval mode: no dropout, batch norm's running averages), the
        gradients on the graph's last pass (the last training batch). The table says which is which."""
        from .monitor import HISTOGRAM_BINS, layer_stats
        return layer_stats(self.graph, bins=bins or HISTOGRAM_BINS, optimizer=self.optimizer,
                           activations=self.sample_activations())

    @staticmethod
    def _fixed_sample(given):
        """A copy of the rows of (x, y) that layer_sample shows: small, and the caller may reuse its arrays."""
        from .monitor import LAYER_SAMPLE, evenly_spaced
        data = [np.asarray(a) for a in given]
        rows = evenly_spaced(*data, LAYER_SAMPLE)
        # the rows picked out are a new array already; the data itself (as few rows as the sample) is copied
        return tuple(np.array(r) if np.may_share_memory(r, a) else r for r, a in zip(rows, data))

    def _keep_layer_sample(self):
        """Copy the layer sample's rows out of the data fit was given (once): fit holds no copy while it trains, and
        changing the data arrays after fit does not change the sample."""
        if self._layer_given is not None:
            self._layer_source, self._layer_given = self._fixed_sample(self._layer_given), None

    @property
    def layer_sample(self):
        """(x, y): up to monitor.LAYER_SAMPLE evenly spaced examples of the last fit's training data, those
        layer_stats measures activations on (None before fit has seen data); a copy of just those rows, taken
        when first asked or when fit returns, so that changing the data arrays afterwards does not change it."""
        self._keep_layer_sample()
        if self._layer_source is None:
            return None
        return self._data(*self._layer_source, "the layer statistics' sample")

    def sample_activations(self, sample=None):
        """A monitor.Sample: each scope's activation on the layer sample, or on `sample` (x, y) when given (None
        before fit has seen data, or when the graph cannot run on it); the graph is left showing its last pass."""
        sample = self.layer_sample if sample is None else sample
        if sample is None:
            return None
        from .monitor import Sample, scope_outputs
        outputs = list(scope_outputs(self.graph).values())
        if not outputs:
            return None
        x, y = sample
        parts = {node.id: [] for node in outputs}
        kept = _last_pass(self.graph)
        try:
            with np.errstate(over="ignore", invalid="ignore", divide="ignore"):
                for _ in self._eval_passes(x, y):
                    for node in outputs:
                        parts[node.id].append(np.asarray(node._value))
        except GraphscopeError:  # a graph that takes only its batch size: the statistics stay the last pass's
            return None
        finally:
            _put_back(kept)
        values = {k: v[0] if len(v) == 1 else np.concatenate(v) for k, v in parts.items()}
        return Sample(values, len(x), f"{len(x)} training examples (a fixed sample, eval mode)")

    # ---------------------------------------------------------------- sanity
    def sanity_check(self, x=None, y=None, out=None):
        """The lecture's checks before training (see graphscope.train.sanity): returns a SanityReport (print it);
        `out` (e.g. print) is told each check as it ends. Parameters are left unchanged."""
        from .sanity import sanity_check
        return sanity_check(self, x, y, out=out)

    def __repr__(self):
        return (f"<Trainer: {self.loss.name} with {_optimizer_name(self.optimizer)} lr {self.optimizer.lr:g}, "
                f"batch {self.batch_size}, epoch {self.epoch}/{self.epochs}>")


def _source_file(node):
    """The file of the user's line that made `node` (relative to the current folder when below it), or None."""
    from ..engine.source import display_path
    source = getattr(node, "source", None)
    if not isinstance(source, str) or ":" not in source:
        return None
    return display_path(source.rsplit(":", 1)[0])


def _last_pass(graph):
    """Every node's value, gradient and attributes as the last pass left them (references: a pass replaces
    values and attribute dicts, it never changes them in place)."""
    return [(n, n._value, n.grad, n.attrs) for n in graph.nodes]


def _put_back(kept):
    for n, value, grad, attrs in kept:
        n._value, n.grad, n.attrs = value, grad, attrs


def _optimizer_name(optimizer):
    return type(optimizer).__name__


def _checked(name, value):
    """`value` of the integer setting `name` as an int, or ArgumentError naming what is wrong."""
    problems = setting_problems(**{name: value})
    if problems:
        raise ArgumentError("Trainer: " + "; ".join(problems))
    return int(value)
