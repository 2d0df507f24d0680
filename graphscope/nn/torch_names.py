"""PyTorch's names that graphscope spells otherwise, per namespace, and the line saying what to write instead.

Hints, not aliases: where graphscope's thing differs from PyTorch's (a function for a loss module, an
initializer that returns an array instead of filling one in place), a second name for it would mislead.
``engine.words.no_attribute`` gives the line: ``module 'graphscope.nn' has no attribute 'CrossEntropyLoss'
(PyTorch's name); write gs.softmax_cross_entropy(scores, labels) ...``.
"""

_RECORDING = ("graphscope records every op (what it shows) and computes no gradient before backward(): update "
              "parameters with opt.step() or in place on their values (p.value -= lr * p.grad), and use x.detach() "
              "for a constant leaf")


def _made_by_numpy(call):
    return f"write gs.tensor({call}) (numpy makes the values; gs.param(...) for a parameter)"


#: gs.<name>
GS = {
    "no_grad": _RECORDING, "enable_grad": _RECORDING, "inference_mode": _RECORDING,
    "set_grad_enabled": _RECORDING,
    "from_numpy": "write gs.tensor(array) (gs.param(array) for a parameter)",
    "cat": "write gs.concat([x, y], axis=0) (numpy's name; dim= works too)",
    "manual_seed": "graphscope draws from numpy Generators: give a seed where it draws (gs.nn.Linear(..., rng=0), "
                   "gs.nn.init.he(shape, 0), gs.Trainer(..., seed=0))",
    "zeros": _made_by_numpy("np.zeros(shape)"), "ones": _made_by_numpy("np.ones(shape)"),
    "randn": _made_by_numpy("np.random.default_rng(0).standard_normal(shape)"),
    "rand": _made_by_numpy("np.random.default_rng(0).random(shape)"),
    "eye": _made_by_numpy("np.eye(n)"), "arange": _made_by_numpy("np.arange(n)"),
    "autograd": "gradients come from loss.backward() (or gs.backward(loss)) into each leaf's .grad; "
                "gs.gradcheck(...) checks them numerically",
}

#: gs.nn.<name>
NN = {
    "CrossEntropyLoss": "write gs.softmax_cross_entropy(scores, labels), a function (PyTorch's F.cross_entropy: "
                        "labels are class indices)",
    "NLLLoss": "write gs.softmax_cross_entropy(scores, labels) on the scores (log_softmax and NLL in one)",
    "MultiMarginLoss": "write gs.svm_loss(scores, labels), a function (the lecture's multiclass SVM: PyTorch's "
                       "multi_margin_loss times the number of classes)",
    "MSELoss": "write gs.mean((prediction - target) ** 2)",
    "Softmax": "write gs.softmax(x, axis=-1) in forward, a function",
    "LogSoftmax": "write gs.log_softmax(x, axis=-1) in forward, a function",
    "Flatten": "write x.reshape(len(x), -1) in forward",
    "Parameter": "write gs.param(value) (self.w = gs.param(...) in a Module registers it)",
    "functional": "graphscope's functions are gs.relu, gs.tanh, gs.sigmoid, gs.leaky_relu, gs.softmax, "
                  "gs.log_softmax, gs.softmax_cross_entropy, gs.svm_loss, ... (there is no gs.nn.functional)",
}

_FILLS = "graphscope's initializers return a new array rather than fill one in place"


def _init_hint(call, init, note=""):
    return f"{_FILLS}: W.value = gs.nn.init.{call}{note}, or gs.nn.Linear(..., init={init!r})"


#: gs.nn.init.<name>: PyTorch's in-place initializers (weights of shape (out, in); graphscope's are (in, out), so
#: fan_in is the same number: PyTorch's default mode='fan_in' is graphscope's).
INIT = {
    "kaiming_normal_": _init_hint("he(W.shape, rng=0)", "he"),
    "kaiming_uniform_": _init_hint("he(W.shape, rng=0)", "he", " (a normal distribution: graphscope draws no "
                                                                  "uniform ones)"),
    "xavier_normal_": _init_hint("glorot(W.shape, rng=0)", "glorot", " (PyTorch's xavier is Glorot's "
                                                                      "2 / (fan_in + fan_out))"),
    "xavier_uniform_": _init_hint("glorot(W.shape, rng=0)", "glorot", " (a normal distribution: graphscope draws "
                                                                      "no uniform ones)"),
    "normal_": _init_hint("normal(W.shape, std=0.01, rng=0)", "normal(std=0.01)"),
    "zeros_": _init_hint("zeros(W.shape)", "zeros"),
    "constant_": f"{_FILLS}: b.value = gs.nn.init.constant(b.shape, value=0.01) (a Linear's biases: "
                 f"gs.nn.Linear(..., bias=0.01))",
}
