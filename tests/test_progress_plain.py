"""progress=True where no bar can be drawn (standard error is a pipe or a log): a plain line per epoch."""
import graphscope as gs


def _trainer(progress):
    x, y = gs.train.spiral()
    net = gs.nn.MLP([2, 8, 3], rng=0)
    loss = gs.softmax_cross_entropy(net(gs.tensor(x[:32], name="x")), y[:32])
    return gs.Trainer(loss, gs.optim.SGD(loss.graph().params, lr=0.1), epochs=3, progress=progress), x, y


def test_an_explicit_progress_request_outside_a_terminal_writes_a_line_per_epoch(capsys):
    trainer, x, y = _trainer(True)
    trainer.fit(x, y)
    lines = capsys.readouterr().err.splitlines()
    assert len(lines) == 3 and all(line.startswith("training ") for line in lines)
    assert [line.split("  ")[1] for line in lines] == ["epoch 1/3", "epoch 2/3", "epoch 3/3"]
    assert lines[-1].startswith("training 15/15 ") and "loss " in lines[-1]


def test_the_default_and_false_stay_quiet_outside_a_terminal(capsys):
    for progress in (None, False):
        trainer, x, y = _trainer(progress)
        trainer.fit(x, y)
        assert capsys.readouterr().err == ""
