"""The --plot picture: tick labels that never run into each other on a long run, the learning rate of each epoch
(its schedule) and the epoch a resumed run went on from."""
import pytest

from graphscope.train.history import History
from graphscope.viz.curves import save_training_plot, training_figure
from graphscope.viz.figures import count_label

pytest.importorskip("matplotlib")


def history(epochs, per, lr=lambda e: 0.1 * 0.99 ** e):
    h = History()
    h.loss = [2.0 / (1 + i / 100) for i in range(epochs * per)]
    h.lr = [lr(e) for e in range(epochs)]
    h.train_acc = [0.1 + 0.8 * e / epochs for e in range(epochs)]
    h.val_acc = [0.1 + 0.7 * e / epochs for e in range(epochs)]
    h.val_loss, h.seconds = [None] * epochs, [0.01] * epochs
    h.settings["iterations_per_epoch"] = per
    return h


def overlaps(ax, renderer):
    """Pairs of neighbouring x tick labels of `ax` whose drawn boxes overlap (or touch)."""
    boxes = sorted((label.get_window_extent(renderer) for label in ax.get_xticklabels()
                    if label.get_visible() and label.get_text()), key=lambda b: b.x0)
    return [(a, b) for a, b in zip(boxes, boxes[1:]) if a.x1 >= b.x0]


@pytest.mark.parametrize("epochs, per", [(1500, 23), (40, 3)])
def test_the_iteration_labels_of_a_long_run_never_run_into_each_other(epochs, per):
    h = history(epochs, per)
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    fig = training_figure(h)
    canvas = FigureCanvasAgg(fig)
    canvas.draw()
    for ax in fig.axes:
        assert not overlaps(ax, canvas.get_renderer()), [t.get_text() for t in ax.get_xticklabels()]
        assert len([t for t in ax.get_xticklabels() if t.get_text()]) >= 3


def test_counts_are_labelled_short_from_ten_thousand_on():
    assert [count_label(v, 9500) for v in (0, 2000, 9500)] == ["0", "2000", "9500"]
    assert [count_label(v, 34500) for v in (0, 5000, 12000, 34500)] == ["0", "5k", "12k", "34.5k"]
    assert count_label(1_500_000, 2_000_000) == "1.5M"


def test_the_learning_rate_panel_draws_the_schedule_and_the_resumed_epoch_is_marked(tmp_path):
    h = history(30, 5, lr=lambda e: 0.5 * 0.5 ** (e // 10))  # step:0.5:10
    fig = training_figure(h, resumed_after=12)
    loss, accuracy, rate = fig.axes
    assert rate.get_title() == "learning rate (its schedule)"
    (steps,) = [line for line in rate.get_lines() if line.get_linestyle() != "--"]
    assert list(steps.get_ydata()) == h.lr and rate.get_yscale() == "linear"  # falls 4x: a linear axis
    for ax, x in ((loss, 12 * 5 + 0.5), (accuracy, 12.5), (rate, 12.5)):
        (mark,) = [line for line in ax.get_lines() if line.get_linestyle() == "--"]
        assert list(mark.get_xdata()) == [x, x]
    assert "resumed after epoch 12" in [t.get_text() for t in accuracy.get_legend().get_texts()]
    constant = training_figure(history(5, 2, lr=lambda e: 0.03)).axes[2]
    assert constant.get_title() == "learning rate (constant: 0.03)"
    assert training_figure(history(300, 2, lr=lambda e: 0.98 ** e)).axes[2].get_yscale() == "log"  # falls 400x
    path = save_training_plot(h, tmp_path / "curves.png", resumed_after=12)
    assert (tmp_path / "curves.png").read_bytes()[:4] == b"\x89PNG" and path == tmp_path / "curves.png"
