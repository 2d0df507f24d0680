"""A PyTorch habit that does not fit graphscope gets one line naming graphscope's spelling (a hint, not an alias)."""
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
