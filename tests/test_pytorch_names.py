"""Names a PyTorch user guesses work, and a misspelt one gets a suggestion instead of a bare error."""
import numpy as np
import pytest

import graphscope as gs
from graphscope.cli.trainfile import file_settings
from graphscope.userfile import UserFileError


@pytest.fixture
def params():
    return [gs.param(np.array([1.0, -2.0]), name="w")]


def test_pytorch_spellings_of_the_rules_are_the_same_classes(params):
    assert gs.optim.RMSprop is gs.optim.RMSProp and gs.optim.Adagrad is gs.optim.AdaGrad
    assert {"RMSprop", "Adagrad"} <= set(gs.optim.__all__)
    for name, cls in (("RMSprop", gs.optim.RMSProp), ("rmsprop", gs.optim.RMSProp), ("Adagrad", gs.optim.AdaGrad),
                      ("adagrad", gs.optim.AdaGrad)):
        assert type(gs.optim.make(name, params, 0.1)) is cls


@pytest.mark.parametrize("keywords, rule", [
    ({"momentum": 0.9}, "gs.optim.Momentum(params, lr, momentum=0.9)"),
    ({"momentum": 0.5, "nesterov": True}, "gs.optim.Nesterov(params, lr, momentum=0.5)"),
])
def test_sgd_with_momentum_names_the_lectures_rule_in_one_line(params, keywords, rule):
    with pytest.raises(TypeError) as caught:
        gs.optim.SGD(params, lr=0.1, **keywords)
    assert isinstance(caught.value, gs.GraphscopeError)
    message = str(caught.value)
    assert rule in message and "\n" not in message


def test_sgd_takes_momentum_and_nesterov_when_they_are_off(params):
    opt = gs.optim.SGD(params, lr=0.1, momentum=0, nesterov=False)
    params[0].grad = np.array([1.0, 1.0])
    opt.step()
    np.testing.assert_array_equal(params[0].value, [0.9, -2.1])
    assert opt.state_dict()["hyper"] == {}


@pytest.mark.parametrize("make, words", [
    (lambda p: gs.optim.Adam(p, lr=0.1, beta=(0.9, 0.99)), "Adam() takes no keyword 'beta'; did you mean 'betas'?"),
    (lambda p: gs.optim.SGD(p, lr=0.1, weight_decay=1e-4), "gs.Trainer(..., reg=weight_decay / 2)"),
    (lambda p: gs.optim.RMSprop(p, lr=0.1, momentum=0.9), "gs.optim.Momentum and gs.optim.Nesterov"),
])
def test_an_unknown_keyword_says_what_to_write(params, make, words):
    with pytest.raises(TypeError, match="takes no keyword") as caught:
        make(params)
    assert words in str(caught.value)


@pytest.mark.parametrize("owner, name, meant", [
    (gs.nn, "Dropot", "Dropout"), (gs.data, "load_mnst", "load_mnist"), (gs, "layerstats", "layer_stats"),
    (gs.optim, "Adamm", "Adam"), (gs, "Traner", "Trainer"),
])
def test_a_misspelt_module_attribute_suggests_the_name(owner, name, meant):
    with pytest.raises(AttributeError, match=f"has no attribute '{name}'; did you mean '{meant}'"):
        getattr(owner, name)


def test_probes_and_imports_still_see_plain_missing_names():
    assert not hasattr(gs, "__wrapped__") and not hasattr(gs.nn, "_private")
    with pytest.raises(ImportError):
        from graphscope.nn import Linaer  # noqa: F401
    with pytest.raises(AttributeError) as caught:
        gs.data.np_missing
    assert "did you mean 'np'" not in str(caught.value)  # numpy, imported by the module, is not suggested


def test_a_misspelt_optimizer_attribute_suggests_the_name(params):
    opt = gs.optim.Momentum(params, lr=0.1)
    with pytest.raises(AttributeError, match="did you mean 'state_of'"):
        opt.state_off
    with pytest.raises(AttributeError, match="did you mean 'momentum'"):
        opt.momentun


@pytest.mark.parametrize("name, meant", [("kaiming", "he"), ("He", "he"), ("KAIMING_normal", "he"),
                                         ("lecun", "xavier"), ("Glorot", "glorot"), ("xavier_normal", "glorot")])
def test_init_names_in_any_case_and_common_synonyms(name, meant):
    assert gs.nn.init.get(name) is gs.nn.init.INITIALIZERS[meant]
    net = gs.nn.MLP([6, 5, 2], init=name, rng=3)
    same = gs.nn.MLP([6, 5, 2], init=meant, rng=3)
    for a, b in zip(net.parameters(), same.parameters()):
        np.testing.assert_array_equal(a.value, b.value)


def test_an_unknown_init_name_gets_a_suggestion():
    with pytest.raises(gs.GraphscopeError, match="did you mean 'he'"):
        gs.nn.MLP([2, 3, 2], init="hee")
    with pytest.raises(gs.GraphscopeError, match="did you mean 'relu'"):
        gs.nn.MLP([2, 3, 2], activation="rellu")
    assert gs.nn.MLP([2, 3, 2], activation="ReLU").activation == "relu"


class Module:
    def __init__(self, settings):
        self.settings = lambda: settings


def test_every_bad_setting_is_reported_at_once_with_suggestions():
    with pytest.raises(UserFileError) as caught:
        file_settings(Module({"learning_rate": 0.1, "batchsize": 8, "epochs": 0, "optimizer": "adam"}), "net.py")
    message = str(caught.value)
    assert "3 bad settings" in message
    assert "unknown setting 'learning_rate'; did you mean 'lr'?" in message
    assert "unknown setting 'batchsize'; did you mean 'batch_size'?" in message
    assert "epochs 0; it must be a whole number from 1 to 100,000" in message
    assert "known settings: optimizer, lr" in message
