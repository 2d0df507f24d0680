"""Finite-difference derivatives for the tests, independent of graphscope's VJPs.

Only a function's forward values are used: ``numerical_vjp`` and
``numerical_jacobian`` perturb one input entry at a time and take the
fourth-order central difference

    f'(x) ~ (8 (f(x + h) - f(x - h)) - (f(x + 2h) - f(x - 2h))) / (12 h),

whose truncation error is O(h^4): with h = 1e-3 in float64 it is far below
the 1e-6 relative error the op tests demand, as long as the inputs stay more
than 2h away from a kink (relu at 0, a tie in max, a clip bound, ...).
"""
import numpy as np

STEP = 1e-3


def _as_array(x):
    return np.array(x, dtype=np.float64)


def _perturbed(inputs, i, index, delta):
    xs = [_as_array(x) for x in inputs]
    xs[i][index] += delta
    return xs


def _derivative(value_at, h):
    """Fourth-order central difference of a scalar- or array-valued function of one number."""
    # differences first: where f does not depend on x they are exactly 0, and so is the estimate
    return (8 * (value_at(h) - value_at(-h)) - (value_at(2 * h) - value_at(-2 * h))) / (12 * h)


def numerical_vjp(f, inputs, g, h=STEP):
    """d sum(g * f(*inputs)) / d inputs[i], for every input, as float64 arrays shaped like the inputs."""
    g = _as_array(g)
    grads = []
    for i, x in enumerate(inputs):
        x = _as_array(x)
        grad = np.zeros_like(x)
        for index in np.ndindex(x.shape):
            def value_at(delta, i=i, index=index):
                return float(np.sum(g * _as_array(f(*_perturbed(inputs, i, index, delta)))))
            grad[index] = _derivative(value_at, h)
        grads.append(grad)
    return grads


def numerical_jacobian(f, inputs, i, h=STEP):
    """J[r, c] = d f(*inputs).flat[r] / d inputs[i].flat[c], a float64 (out.size, in.size) matrix."""
    x = _as_array(inputs[i])
    out_size = _as_array(f(*[_as_array(v) for v in inputs])).size
    J = np.zeros((out_size, x.size))
    for c, index in enumerate(np.ndindex(x.shape)):
        def value_at(delta, index=index):
            return _as_array(f(*_perturbed(inputs, i, index, delta))).ravel()
        J[:, c] = _derivative(value_at, h)
    return J


def relative_error(actual, expected):
    """max |actual - expected| / max(max |actual|, max |expected|): 0 when both are all zeros."""
    a = _as_array(actual)
    e = _as_array(expected)
    if a.shape != e.shape:
        raise AssertionError(f"shapes differ: {a.shape} vs {e.shape}")
    scale = max(np.max(np.abs(a), initial=0.0), np.max(np.abs(e), initial=0.0))
    if scale == 0.0:
        return 0.0
    return float(np.max(np.abs(a - e)) / scale)
