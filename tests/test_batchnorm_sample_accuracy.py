"""samples/batchnorm.py prints the training loss and accuracy its curves draw (the last epoch's, over the batches in
training mode, as `graphscope train`'s table says under it), with the same words on the figures."""
import sys

from sample_modules import load_sample


def test_the_printed_accuracy_is_the_last_point_of_the_drawn_curve(monkeypatch, capsys, tmp_path):
    sample = load_sample("batchnorm")
    monkeypatch.setattr(sample, "step_seconds", lambda fast=True: {"plain": 1e-3, "batchnorm": 1.3e-3})  # not timed
    drawn = {}

    def record(series, path, title, **kw):
        drawn[title] = series
        path = str(path)
        open(path, "wb").close()
        return path
    import graphscope.viz.figures as figures
    monkeypatch.setattr(figures, "save_curves", record)
    sys.path.insert(0, sample.__file__.rsplit("/", 1)[0])
    try:
        m = sample.main(["--fast", "--plot", str(tmp_path), "--no-terminal-plot"])
    finally:
        sys.path.pop(0)
    out = capsys.readouterr().out
    accuracy = next(t for t in drawn if "training accuracy" in t)
    assert sample.OVER_BATCHES in accuracy and sample.OVER_BATCHES in " ".join(out.split())
    for name in ("plain", "batchnorm"):
        last = drawn[accuracy][name][-1]
        assert m[name]["train_acc"] == last and f"training accuracy {100 * last:.1f}%" in out
