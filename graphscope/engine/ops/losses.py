"""Softmax, log-softmax and the lecture's losses: softmax cross-entropy, multiclass SVM, L2.

The two classification losses take integer labels as an attribute (not an
input: labels get no gradient) and average over the batch, as PyTorch's
losses do by default.
"""
import numpy as np

from ..arguments import labels as labels_of, whole
from ..optable import JacobianInfo, Op, reduction_jacobian, register, shape_of


# ufunc reductions rather than np.max/np.sum: the same result without numpy's Python-level dispatch
_max = np.maximum.reduce
_min = np.minimum.reduce
_sum = np.add.reduce


def _log_softmax(x, axis, out=None):
    """log(softmax(x)) along `axis`, into `out` (an array of x's shape and dtype) when given."""
    x = np.asarray(x)
    out = np.subtract(x, _max(x, axis=axis, keepdims=True), out=out)  # shifted: updated in place below
    out -= np.log(_sum(np.exp(out), axis=axis, keepdims=True))
    return out


def _mean(a):
    """np.mean(a) with np.mean's own arithmetic (the sum, divided by the count in float64, in a's dtype),
    without its Python-level dispatch."""
    total = _sum(a, axis=None)
    return total.dtype.type(total / np.intp(a.size))


@register
class Softmax(Op):
    """e**x / sum(e**x) along `axis`, computed stably."""

    name = "softmax"
    function = "softmax"
    method = True

    def arguments(self, x, axis=-1):
        return (x,), {"axis": whole(axis, "axis", "softmax")}

    def forward(self, x, axis=-1):
        x = np.asarray(x)
        e = np.asarray(x - _max(x, axis=axis, keepdims=True))  # (a 0-d input gives a numpy scalar)
        np.exp(e, out=e)  # in place: e is this call's own array
        e /= _sum(e, axis=axis, keepdims=True)
        return e

    def vjp(self, g, x, value, axis=-1):
        return (value * (g - _sum(np.asarray(g * value), axis=axis, keepdims=True)),)

    def jacobian(self, i, x, value, axis=-1):
        return JacobianInfo("block-diagonal", f"one block per slice along axis {axis}: d{{out}}/d{{0}} = "
                                              f"diag({{out}}) - {{out}} {{out}}^T (the slice's entries)", block_axis=axis)


@register
class LogSoftmax(Op):
    """log(softmax(x)) along `axis`, computed stably."""

    name = "log_softmax"
    function = "log_softmax"
    method = True

    def arguments(self, x, axis=-1):
        return (x,), {"axis": whole(axis, "axis", "log_softmax")}

    def forward(self, x, axis=-1):
        return _log_softmax(x, axis)

    def vjp(self, g, x, value, axis=-1):
        return (g - np.exp(value) * _sum(np.asarray(g), axis=axis, keepdims=True),)

    def jacobian(self, i, x, value, axis=-1):
        return JacobianInfo("block-diagonal", f"one block per slice along axis {axis}: d{{out}}/d{{0}} = "
                                              f"I - 1 exp({{out}})^T (exp({{out}}): the slice's softmax)",
                            block_axis=axis)


class _ClassificationLoss(Op):
    """scores (N, C) with labels (N,), or scores (C,) with one label; mean over the batch."""

    def arguments(self, scores, labels):
        return (scores,), {"labels": labels_of(labels)}

    def input_problem(self, scores, labels):
        shape = shape_of(scores)
        labels = np.asarray(labels)
        if len(shape) not in (1, 2):
            return self._swapped(scores, labels) or f"scores must be (N, C) or (C,), got shape {shape}"
        if labels.dtype.kind not in "iu":
            return self._swapped(scores, labels) or self._one_hot(shape, labels) or \
                f"labels must be integers (class indices), got dtype {labels.dtype}"
        if 0 in shape:
            return f"scores of shape {shape} hold no scores: the loss of an empty batch is undefined"
        expected = shape[:-1]
        if labels.shape != expected:
            return self._swapped(scores, labels) or self._one_hot(shape, labels) or \
                f"labels have shape {labels.shape} but scores {shape} need labels of shape {expected}"
        if labels.size and (_min(labels, axis=None) < 0 or _max(labels, axis=None) >= shape[-1]):
            return f"labels must lie in [0, {shape[-1] - 1}] for {shape[-1]} classes, got {labels.min()}..{labels.max()}"
        return None

    def _swapped(self, scores, labels):
        """Why the arguments look swapped, or None: the scores are whole numbers >= 0 with one axis fewer than the
        labels, as class indices and scores would be (right way round, labels have one axis fewer)."""
        scores = np.asarray(scores)
        if scores.ndim > 1 or labels.ndim != scores.ndim + 1 or scores.size == 0:
            return None
        if not (np.all(np.isfinite(scores)) and np.all(scores == np.round(scores)) and np.all(scores >= 0)):
            return None
        return (f"the first argument looks like labels (shape {scores.shape}, whole numbers) and the second like "
                f"scores (shape {labels.shape}): write {self.name}(scores, labels)")

    @staticmethod
    def _one_hot(shape, labels):
        """Why labels shaped like (N, C) scores are refused (one-hot rows, or class probabilities, which PyTorch's
        cross_entropy also takes), or None."""
        if labels.ndim != 2 or labels.shape != tuple(shape):
            return None
        return (f"labels must be class indices of shape {tuple(shape[:-1])}, got labels of the scores' shape "
                f"{tuple(shape)} (one-hot rows or class probabilities?): pass the class indices, labels.argmax(axis=1)")

    def _checked_rows(self, scores, labels):
        """_rows after validating: numpy indexing would silently wrap negative labels around."""
        problem = self.input_problem(scores, labels)
        if problem:
            raise ValueError(problem)
        return self._rows(scores, labels)

    @staticmethod
    def _rows(scores, labels):
        if scores.ndim == 1:  # one example: a batch of one
            scores, labels = scores[None, :], np.reshape(labels, (1,))
        return scores, labels, np.arange(scores.shape[0])


@register
class SoftmaxCrossEntropy(_ClassificationLoss):
    """Softmax (cross-entropy) loss averaged over the batch: L = mean_i -log(e^{s_{i,y_i}} / sum_j e^{s_{i,j}}).

    scores: (N, C), one row of class scores per example (or (C,) for one
    example); labels: N integer class indices in [0, C) (a list, an integer
    array, or a tensor of whole numbers), not one-hot; they get no gradient.
    Returns a scalar. Gradient: dL/ds = (softmax(s) - onehot(y)) / N. Computed
    stably (log-sum-exp); the same as torch.nn.functional.cross_entropy.
    """
    name = "softmax_cross_entropy"
    function = "softmax_cross_entropy"
    accepts_out = ("vjp",)  # its value is one number: only the VJP writes into an array given
    saves = True  # the forward's log-softmax of every class: the VJP's softmax is its exp

    def forward(self, scores, labels, *, saved=None):
        s2, y, rows = self._checked_rows(scores, labels)
        if saved is not None:  # the whole log-softmax, kept: its entries are those below, bit for bit
            log_p = saved["log_p"] = _log_softmax(s2, -1)
            saved["rows"] = rows
            return -_mean(log_p[rows, y])
        shifted = s2 - _max(s2, axis=-1, keepdims=True)
        log_p = shifted[rows, y] - np.log(_sum(np.exp(shifted), axis=-1))  # log-softmax at the labels only
        return -_mean(log_p)

    def vjp(self, g, scores, value, labels, *, out=None, saved=None):
        buf = None if out is None or scores.ndim != 2 else out[0]
        if saved is not None:
            p = np.exp(saved["log_p"], out=buf)
            y, rows = labels, saved["rows"]
        else:
            s2, y, rows = self._rows(scores, labels)
            p = _log_softmax(s2, -1, buf)
            np.exp(p, out=p)
        p[rows, y] -= 1.0
        p *= g / p.shape[0]
        return (p if p.ndim == scores.ndim else p.reshape(scores.shape),)

    def jacobian(self, i, scores, value, labels):
        n = 1 if np.ndim(scores) == 1 else shape_of(scores)[0]
        return JacobianInfo("dense", f"d{{out}}/d{{0}} = (softmax({{0}}) - onehot(labels)) / N, N = {n}, softmax "
                                     f"along each row  (a 1 x {np.size(scores)} row)")


@register
class SvmLoss(_ClassificationLoss):
    """Multiclass SVM (hinge) loss with margin 1, averaged over the batch:
    L = mean_i sum_{j != y_i} max(0, s_{i,j} - s_{i,y_i} + 1).

    scores: (N, C) (or (C,) for one example); labels: N integer class indices
    in [0, C), not one-hot, with no gradient. Returns a scalar. Gradient:
    dL/ds_j = 1[margin_j > 0] / N for j != y, dL/ds_y = -(number of positive
    margins) / N (0 on a margin of exactly 0). The same as
    torch.nn.functional.multi_margin_loss(s, y) times C.
    """
    name = "svm_loss"
    function = "svm_loss"

    def forward(self, scores, labels):
        s2, y, rows = self._checked_rows(scores, labels)
        margins = np.maximum(0.0, s2 - s2[rows, y][:, None] + 1.0)
        margins[rows, y] = 0.0
        return np.sum(margins) / s2.shape[0]

    def vjp(self, g, scores, value, labels):
        s2, y, rows = self._rows(scores, labels)
        active = (s2 - s2[rows, y][:, None] + 1.0 > 0).astype(s2.dtype)
        active[rows, y] = 0.0
        active[rows, y] = -active.sum(axis=1)
        return ((active * (g / s2.shape[0])).reshape(scores.shape),)

    def jacobian(self, i, scores, value, labels):
        n = 1 if np.ndim(scores) == 1 else shape_of(scores)[0]
        return JacobianInfo("dense", f"d{{out}}/d{{0}}[n,j] = 1[{{0}}[n,j] - {{0}}[n,y] + 1 > 0] / N for j != y, "
                                     f"d{{out}}/d{{0}}[n,y] = -(its row's active margins) / N; y = labels[n], N = {n}")


@register
class L2(Op):
    """Squared Frobenius norm sum(W**2): the lecture's regularizer R(W), gradient 2W."""

    name = "l2"
    function = "l2"
    method = True

    def forward(self, w):
        return np.sum(np.square(w))

    def vjp(self, g, w, value):
        return (2.0 * g * w,)

    def jacobian(self, i, w, value):
        return reduction_jacobian(w, value, "dense", f"d||{{0}}||^2/d{{0}} = 2 {{0}}  (a 1 x {np.size(w)} row)")
