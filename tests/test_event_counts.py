"""Events say which counts start at 0 (epoch) and which at 1 (batch, iteration), and the trainer keeps to it."""
import numpy as np

import graphscope as gs
from graphscope.train import BatchEnd, EpochEnd

from train_helpers import spiral, two_layer


def test_epochs_count_from_0_batches_and_iterations_from_1_as_documented():
    assert "``epoch`` is 0-based" in BatchEnd.__doc__ and "``batch`` is 1-based" in BatchEnd.__doc__
    assert "``iteration`` is the 1-based" in BatchEnd.__doc__ and "``epoch`` is 0-based" in EpochEnd.__doc__
    x, y = spiral(n_per_class=40)   # 120 examples, batches of 32: 4 a epoch
    loss = two_layer(x, y, hidden=8)
    events = []
    gs.Trainer(loss, gs.optim.SGD(loss.graph().params, lr=0.1), batch_size=32, epochs=2, progress=False,
               callbacks=[events.append]).fit(x, y)
    batches = [e for e in events if isinstance(e, BatchEnd)]
    epochs = [e for e in events if isinstance(e, EpochEnd)]
    assert [(e.epoch, e.batch, e.iteration) for e in batches] == [(m, b, 4 * m + b) for m in (0, 1)
                                                                  for b in (1, 2, 3, 4)]
    assert all(e.batches == 4 for e in batches)
    assert [e.epoch for e in epochs] == [0, 1] and epochs[-1].epoch == epochs[-1].epochs - 1
    assert np.isfinite(batches[-1].loss)
