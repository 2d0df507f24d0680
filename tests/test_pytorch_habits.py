"""A PyTorch habit that does not fit graphscope gets one line naming graphscope's spelling (a hint, not an alias)."""
import re

import numpy as np
import pytest

import graphscope as gs

LABELS = np.array([0, 1, 2, 1, 0], dtype=np.int64)


def _scores():
    return gs.tensor(np.random.default_rng(0).standard_normal((5, 3)), name="scores")


@pytest.mark.parametrize("loss", [gs.softmax_cross_entropy, gs.svm_loss])
@pytest.mark.parametrize("labels", [lambda: LABELS, lambda: gs.tensor(LABELS, name="y"), lambda: 2])
def test_swapped_loss_arguments_say_to_swap_them(loss, labels):
    y = labels()
    scores = _scores() if not isinstance(y, int) else _scores()[0]
    with pytest.raises(gs.ShapeError) as caught:
        loss(y, scores)
    first = str(caught.value).splitlines()[0]
    assert "the first argument looks like labels" in first
    assert f"write {loss.__name__}(scores, labels)" in first
    assert loss(scores, y).value > 0   # the other way round is right


@pytest.mark.parametrize("one_hot", [lambda: np.eye(3)[LABELS], lambda: gs.tensor(np.eye(3)[LABELS])])
def test_one_hot_labels_say_to_pass_class_indices(one_hot):
    with pytest.raises(gs.ShapeError, match=r"one-hot rows or class probabilities\?\): pass the class indices, "
                                            r"labels.argmax\(axis=1\)"):
        gs.softmax_cross_entropy(_scores(), one_hot())


def test_fractional_labels_are_still_refused_as_not_integers():
    with pytest.raises(gs.ShapeError, match="labels must be integers") as caught:
        gs.softmax_cross_entropy(_scores(), LABELS + 0.5)
    assert "looks like labels" not in str(caught.value)


@pytest.mark.parametrize("owner, name, words", [
    (gs, "no_grad", "p.value -= lr * p.grad"),
    (gs, "cat", "gs.concat([x, y], axis=0)"),
    (gs, "from_numpy", "gs.tensor(array)"),
    (gs.nn, "CrossEntropyLoss", "gs.softmax_cross_entropy(scores, labels)"),
    (gs.nn, "functional", "gs.softmax_cross_entropy"),
    (gs.nn, "Parameter", "gs.param(value)"),
    (gs.nn.init, "kaiming_normal_", "W.value = gs.nn.init.he(W.shape, rng=0)"),
    (gs.nn.init, "xavier_normal_", "gs.nn.init.glorot(W.shape, rng=0)"),
])
def test_a_pytorch_name_of_a_namespace_says_what_to_write(owner, name, words):
    with pytest.raises(AttributeError) as caught:
        getattr(owner, name)
    message = str(caught.value)
    assert f"has no attribute {name!r} (PyTorch's name); " in message and words in message and "\n" not in message


def test_the_hints_name_what_works():
    """What the hints tell a PyTorch user to write does what they meant."""
    fc = gs.nn.Linear(3, 2, rng=0)
    W = fc.W
    W.value = gs.nn.init.he(W.shape, rng=0)
    np.testing.assert_array_equal(fc.W.value, gs.nn.init.he((3, 2), 0))
    loss = gs.sum(fc(gs.concat([gs.tensor(np.ones((2, 3))), gs.tensor(np.ones((1, 3)))], dim=0)))
    loss.backward()
    before = W.value.copy()
    W.value -= 0.1 * W.grad
    np.testing.assert_allclose(W.value, before - 0.1 * 3.0)


def test_init_answers_to_synonyms_and_misspellings_with_a_suggestion():
    with pytest.raises(AttributeError, match="has no attribute 'kaiming'; did you mean 'he'"):
        gs.nn.init.kaiming
    with pytest.raises(AttributeError, match="has no attribute 'glorrot'; did you mean 'glorot'"):
        gs.nn.init.glorrot
    assert not hasattr(gs.nn.init, "__path__")


@pytest.mark.parametrize("make, name, words", [
    (lambda: gs.nn.Linear(64, 128, rng=0), "weight",
     "graphscope's is W, of shape (in_features, out_features) = (64, 128): PyTorch's weight is its transpose, "
     "(out, in) = (128, 64)"),
    (lambda: gs.nn.Linear(64, 128, rng=0), "bias", "graphscope's is b, of shape (out_features,) = (128,)"),
    (lambda: gs.nn.Linear(4, 2, bias=False), "bias", "graphscope's is b, None here"),
    (lambda: gs.nn.BatchNorm1d(8), "weight", "graphscope's is gamma"),
    (lambda: gs.nn.BatchNorm1d(8), "bias", "graphscope's is beta"),
    (lambda: gs.nn.LeakyReLU(), "negative_slope", "graphscope's is alpha"),
    (lambda: gs.nn.MLP([2, 4, 3]), "cuda", "not needed: graphscope computes with numpy on the CPU"),
])
def test_a_pytorch_attribute_of_a_layer_names_graphscopes(make, name, words):
    layer = make()
    with pytest.raises(AttributeError) as caught:
        getattr(layer, name)
    message = str(caught.value)
    assert f"object has no attribute {name!r} (PyTorch's name); " in message and words in message


def test_the_linear_hint_describes_w_as_it_is():
    fc = gs.nn.Linear(64, 128, rng=0)
    assert fc.W.shape == (64, 128) and fc.b.shape == (128,)
    assert not hasattr(fc, "weight") and not hasattr(fc, "bias")   # hints, not aliases with another shape


def test_a_containers_layer_as_an_attribute_says_how_to_reach_it():
    net = gs.nn.MLP([2, 4, 3])
    with pytest.raises(AttributeError) as caught:
        net.fc2
    message = str(caught.value)
    assert "MLP keeps its layers by name, not as attributes: write mlp['fc2'] or, by position, mlp[2]" in message
    assert "(its layers: fc1, relu1, fc2)" in message
    assert net["fc2"] is net[2]


def test_a_layer_inside_a_child_is_named_by_its_path():
    class Net(gs.nn.Module):
        def __init__(self):
            super().__init__()
            self.enc = gs.nn.MLP([2, 4, 3])

        def forward(self, x):
            return self.enc(x)

    net = Net()
    with pytest.raises(AttributeError, match=r"'fc1' is a layer inside it: write net\['enc.fc1'\]"):
        net.fc1
    with pytest.raises(AttributeError, match="has no attribute 'encc'; did you mean 'enc'"):
        net.encc
    assert getattr(net, "role", None) is None and not hasattr(net, "_private")


@pytest.mark.parametrize("method", ["step", "get_last_lr"])
def test_a_schedules_pytorch_method_says_it_is_a_function_of_the_epoch(method):
    schedule = gs.optim.exponential(0.1, 0.5)
    with pytest.raises(AttributeError, match=f"'Exponential' schedule has no attribute '{method}' \\(PyTorch's name\\); "
                                             "(a schedule is the rate as a function of the epoch: set opt.lr = "
                                             "schedule\\(epoch\\)|schedule\\(epoch\\) is the rate at that epoch)"):
        getattr(schedule, method)()
    with pytest.raises(AttributeError, match="did you mean 'formula'"):
        schedule.formla


def test_exponential_with_pytorchs_gamma_names_k():
    with pytest.raises(TypeError) as caught:
        gs.optim.exponential(0.1, gamma=0.9)
    message = str(caught.value)
    assert isinstance(caught.value, gs.GraphscopeError) and "\n" not in message
    assert "exponential() takes no keyword 'gamma' (PyTorch's)" in message and "k = -ln(gamma) = 0.1054" in message
    k = float(message.rsplit("= ", 1)[1])
    assert gs.optim.exponential(0.1, k)(7) == pytest.approx(0.1 * 0.9 ** 7, rel=1e-3)   # the k it names is gamma's


def test_step_decay_with_pytorchs_keywords_names_its_own():
    with pytest.raises(TypeError, match=r"PyTorch's StepLR\(step_size, gamma\) is step_decay\(lr0, factor=0.5, "
                                        r"every=10\)"):
        gs.optim.step_decay(0.1, gamma=0.5, step_size=10)
    with pytest.raises(TypeError, match=r"takes no keyword 'lr'; did you mean 'lr0'\? \(inverse_time\(lr0, k\)"):
        gs.optim.inverse_time(lr=0.1, k=0.5)
    with pytest.raises(TypeError, match=r"exponential\(lr0, k\): lr = lr0 \* exp\(-k \* epoch\); missing"):
        gs.optim.exponential(0.1)
    assert gs.optim.step_decay(0.1, factor=0.5, every=10)(10) == pytest.approx(0.05)


@pytest.mark.parametrize("name, words", [("ExponentialLR", "gs.optim.exponential(lr0, k) with k = -ln(gamma)"),
                                         ("StepLR", "gs.optim.step_decay(lr0, factor=gamma, every=step_size)"),
                                         ("lr_scheduler", "gs.optim.exponential(lr0, k), inverse_time")])
def test_pytorchs_schedulers_name_graphscopes(name, words):
    with pytest.raises(AttributeError, match=f"'graphscope.optim' has no attribute '{name}' \\(PyTorch's name\\)") \
            as caught:
        getattr(gs.optim, name)
    assert words in str(caught.value)


@pytest.mark.parametrize("params, words", [
    (lambda net: net.parameters, r"the optimizer's params: call it, mlp.parameters\(\) \(got the method "
                                 r"MLP.parameters itself\)"),
    (lambda net: net.named_parameters(), r"\('fc1.W', ...\) is a \(name, parameter\) pair, as named_parameters\(\) "
                                         r"gives: pass net.parameters\(\)"),
    (lambda net: [{"params": net.parameters(), "lr": 0.1}], r"PyTorch's parameter group; a graphscope optimizer has "
                                                            r"one group"),
])
def test_an_optimizer_given_pytorchs_forms_of_params_says_what_to_pass(params, words):
    net = gs.nn.MLP([2, 4, 3], rng=0)
    with pytest.raises(gs.GraphscopeError, match=words):
        gs.optim.Adam(params(net), lr=1e-3)
    assert gs.optim.Adam(net.parameters(), lr=1e-3).params == net.parameters()


def _suggested_state(message, state):
    """The dict the message says to load, evaluated with `state` as the message names it."""
    literal = re.search(r"load_state_dict\((\{.*?\})\)", message).group(1)
    return eval(literal, {"state": state})


def test_a_pytorch_state_dict_is_told_which_keys_are_which_parameters(torch):
    torch.manual_seed(0)
    tnet = torch.nn.Sequential(torch.nn.Linear(2, 4), torch.nn.BatchNorm1d(4), torch.nn.ReLU(),
                               torch.nn.Linear(4, 3)).double()
    tnet.train()
    tnet(torch.randn(16, 2, dtype=torch.float64))   # running averages move off their start
    tnet.eval()
    state = {k: v.numpy() for k, v in tnet.state_dict().items()}
    net = gs.nn.MLP([2, 4, 3], batchnorm=True)   # fc1 has no bias: batch norm's beta is the bias
    with pytest.raises(gs.GraphscopeError) as caught:
        net.load_state_dict(state)
    message = str(caught.value)
    assert "The state has PyTorch's names (a Linear's W is (in, out), PyTorch's weight (out, in) transposed)" in message
    assert "'fc1.W': state['0.weight'].T" in message and "'bn1.gamma': state['1.weight']" in message
    assert "'bn1.running_mean': state['1.running_mean'] - state['0.bias']" in message
    assert "1.num_batches_tracked left out" in message
    net.load_state_dict(_suggested_state(message, state))
    net.eval()
    x = np.random.default_rng(1).standard_normal((5, 2))
    np.testing.assert_allclose(net(gs.tensor(x)).value, tnet(torch.from_numpy(x)).detach().numpy(), rtol=1e-12)


def test_pytorch_names_in_a_modules_state_are_mapped_by_attribute():
    net = gs.nn.MLP([2, 4, 3], rng=0)
    state = {k.replace(".W", ".weight").replace(".b", ".bias"): (v.T if v.ndim == 2 else v)
             for k, v in net.state_dict().items()}
    fresh = gs.nn.MLP([2, 4, 3], rng=1)
    with pytest.raises(gs.GraphscopeError, match=r"'fc1.W': state\['fc1.weight'\].T, 'fc1.b': state\['fc1.bias'\]") \
            as caught:
        fresh.load_state_dict(state)
    fresh.load_state_dict(_suggested_state(str(caught.value), state))
    for (name, a), (_, b) in zip(net.state_dict().items(), fresh.state_dict().items()):
        np.testing.assert_array_equal(a, b, err_msg=name)


def test_a_transposed_w_says_to_load_its_transpose():
    net = gs.nn.MLP([64, 128, 10], rng=0)
    state = net.state_dict()
    state["fc1.W"] = state["fc1.W"].T.copy()
    with pytest.raises(gs.GraphscopeError, match=r"fc1.W has shape \(128, 64\), the module's has \(64, 128\): it is "
                                                 r"the transpose .*; load state\['fc1.W'\].T"):
        net.load_state_dict(state)
    state["fc2.b"] = np.zeros(11)
    state["fc1.W"] = state["fc1.W"].T
    with pytest.raises(gs.GraphscopeError, match=r"fc2.b has shape \(11,\), the module's has \(10,\)$"):
        net.load_state_dict(state)
