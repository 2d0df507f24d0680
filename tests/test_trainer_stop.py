"""trainer.stop(): asked at an epoch's end it trains nothing more; asked mid-epoch it ends after that batch."""
import numpy as np

import graphscope as gs
from graphscope.train import BatchEnd, EpochEnd, Stopped

from train_helpers import spiral, two_layer

X, Y = spiral(n_per_class=40)


def trainer(epochs, callbacks=(), **kw):
    loss = two_layer(X, Y, hidden=16)
    optimizer = gs.optim.Adam(loss.graph().params, lr=0.01)  # state that a stray step would change
    return gs.Trainer(loss, optimizer, batch_size=32, epochs=epochs, progress=False, callbacks=callbacks,
                      schedule=lambda m: 0.01 / (1 + m), **kw)


def params(t):
    return [p.value.copy() for p in t.params]


def test_stop_in_an_epoch_end_callback_trains_no_batch_of_the_next_epoch():
    events = []

    def early_stop(event):
        events.append(event)
        if isinstance(event, EpochEnd) and event.epoch == 1:
            t.stop()

    t = trainer(5, [early_stop])
    history = t.fit(X, Y)
    last_epoch_end = max(i for i, e in enumerate(events) if isinstance(e, EpochEnd))
    after = events[last_epoch_end + 1:]
    assert [type(e) for e in after] == [Stopped]
    assert after[0].message == "stopped after epoch 2" and after[0].reason == "stopped"
    assert history.stopped == "stopped" and history.epochs == 2 and t.epoch == 2
    assert len(history.loss) == 2 * 4 and t.optimizer.t == 2 * 4

    straight = trainer(2)
    straight.fit(X, Y)
    for mine, theirs in zip(params(t), params(straight)):
        np.testing.assert_array_equal(mine, theirs)
    # nothing of epoch 3 was drawn either: going on gives the run of 3 epochs in one go
    t.epochs = 3
    t.fit(X, Y)
    straight.epochs = 3
    straight.fit(X, Y)
    for mine, theirs in zip(params(t), params(straight)):
        np.testing.assert_array_equal(mine, theirs)


def test_stop_during_an_epoch_ends_after_that_batch_and_does_not_count_the_epoch():
    events = []

    def stop_at_batch_2(event):
        events.append(event)
        if isinstance(event, BatchEnd) and event.epoch == 1 and event.batch == 2:
            t.stop()

    t = trainer(5, [stop_at_batch_2])
    history = t.fit(X, Y)
    assert isinstance(events[-1], Stopped) and events[-1].message == "stopped after batch 2 of epoch 2"
    assert isinstance(events[-2], BatchEnd) and events[-2].batch == 2
    assert history.epochs == 1 and t.epoch == 1 and len(history.loss) == 4 + 2


def test_stop_during_the_last_batch_lets_the_epoch_count():
    events = []

    def stop_at_last_batch(event):
        events.append(event)
        if isinstance(event, BatchEnd) and event.epoch == 0 and event.batch == event.batches:
            t.stop()

    t = trainer(5, [stop_at_last_batch])
    history = t.fit(X, Y, X[:20], Y[:20])
    assert [type(e) for e in events[-2:]] == [EpochEnd, Stopped]
    assert events[-1].message == "stopped after epoch 1" and history.epochs == 1 and len(history.loss) == 4
    assert history.val_acc[0] is not None


def test_the_tuis_stop_while_paused_at_an_epochs_end_keeps_that_epoch_and_trains_no_more():
    import os
    import threading

    from graphscope.tui import TrainingOptions
    from graphscope.tui.training import TrainingRun, load_data
    from graphscope.userfile import load_graph_file
    path = os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "samples", "train_spiral.py")
    events = []

    def report(event):  # the screen: the user pauses at the first epoch's end, then presses s
        events.append(event)
        if isinstance(event, EpochEnd) and event.epoch == 0:
            run.pause()
            threading.Timer(0.1, run.stop).start()

    graph = load_graph_file(path)
    run = TrainingRun(graph, load_data(path), TrainingOptions(lr=0.1, epochs=4, batch_size=32), report)
    history = run.fit()
    assert isinstance(events[-2], EpochEnd) and events[-1].message == "stopped after epoch 1"
    assert run.trainer.epoch == 1 and len(history.loss) == run.iterations_per_epoch
