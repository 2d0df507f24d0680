"""A hyperparameter search is kept on disk as its trials finish, can be resumed to the result of the search never
stopped, ranks within each round, and says when it learned nothing (and what to try)."""
import json
import sys

import numpy as np
import pytest

import graphscope as gs
from graphscope.train import SearchFileError, SearchInterrupted, judge_search, load_search, search

from train_helpers import SGD, spiral, two_layer

SEARCH = sys.modules["graphscope.train.search"]
SMALL = dict(trials=3, fine_trials=2, epochs=1, fine_epochs=2, batch_size=100, lr=(1e-2, 3.0), reg=(1e-5, 1e-2))


@pytest.fixture(scope="module")
def data():
    return spiral()


def dropout_net(x, y, seed=0):
    """A 2-layer ReLU net with dropout: its masks are node state a trial changes as it trains."""
    rng = np.random.default_rng(seed)
    W1 = gs.param(rng.normal(size=(2, 50)), name="W1")
    W2 = gs.param(rng.normal(size=(50, 3)) * 0.1, name="W2")
    h = gs.nn.Dropout(0.3, rng=0)(gs.relu(gs.tensor(x, name="x") @ W1))
    scores = h @ W2
    scores.name = "scores"
    return gs.softmax_cross_entropy(scores, y)


def interrupt_at(monkeypatch, n):
    """Ctrl-C as the n-th trial starts; returns the list of trials begun."""
    real, begun = SEARCH._trial, []

    def trial(*args, **kw):
        begun.append(args[:3])
        if len(begun) == n:
            raise KeyboardInterrupt
        return real(*args, **kw)
    monkeypatch.setattr(SEARCH, "_trial", trial)
    return begun


def without_seconds(d):
    return [{k: v for k, v in t.items() if k != "seconds"} for t in d["trials"]]


def test_every_finished_trial_is_in_the_file_with_its_epochs_and_ctrl_c_keeps_them(data, tmp_path, monkeypatch):
    x, y = data
    path = tmp_path / "search.json"
    interrupt_at(monkeypatch, 3)
    with pytest.raises(SearchInterrupted, match=f"interrupted during trial 3 of 5; 2 trials had finished, kept in "
                                                f"{path}"):
        search(two_layer(x, y), SGD, x, y, x, y, save=path, **{**SMALL, "epochs": 2})
    saved = json.loads(path.read_text())
    assert saved["graphscope"] == "search" and saved["status"] == "interrupted"
    assert saved["settings"]["trials"] == 3 and saved["settings"]["lr_range"] == [1e-2, 3.0]
    assert len(saved["trials"]) == 2
    for t in saved["trials"]:
        assert t["stage"] == "coarse" and t["epochs"] == 2
        assert len(t["loss_per_epoch"]) == len(t["train_acc_per_epoch"]) == len(t["val_acc_per_epoch"]) == 2
        assert t["loss"] == t["loss_per_epoch"][-1] and t["val_acc"] == t["val_acc_per_epoch"][-1]
    assert saved["chance"] == pytest.approx(1 / 3) and saved["classes"] == 3


def test_a_trial_that_fails_leaves_the_file_interrupted_with_the_trials_before_it(data, tmp_path, monkeypatch):
    x, y = data
    path = tmp_path / "search.json"
    real = SEARCH._trial

    def trial(*args, **kw):
        if len(trial.begun) == 2:
            raise MemoryError("out of memory in trial 3")
        trial.begun.append(args)
        return real(*args, **kw)
    trial.begun = []
    monkeypatch.setattr(SEARCH, "_trial", trial)
    with pytest.raises(MemoryError, match="trial 3"):
        search(two_layer(x, y), SGD, x, y, x, y, save=path, **SMALL)
    kept = load_search(path)
    assert kept.status == "interrupted" and len(kept.trials) == 2


def test_a_ctrl_c_while_the_file_is_written_still_leaves_every_finished_trial(data, tmp_path, monkeypatch):
    x, y = data
    path = tmp_path / "search.json"
    real, writes = SEARCH.SearchResult.save, []

    def save(self, where):
        writes.append(len(self.trials))
        if len(writes) == 2:  # the write after the second trial: the file still holds one
            raise KeyboardInterrupt
        return real(self, where)
    monkeypatch.setattr(SEARCH.SearchResult, "save", save)
    with pytest.raises(SearchInterrupted, match="2 trials had finished"):
        search(two_layer(x, y), SGD, x, y, x, y, save=path, **SMALL)
    assert len(load_search(path).trials) == 2


def test_a_resumed_search_runs_only_the_trials_left_and_ends_as_the_search_never_stopped(data, tmp_path,
                                                                                          monkeypatch):
    x, y = data
    loss = dropout_net(x, y)
    whole = search(loss, SGD, x, y, x, y, save=tmp_path / "whole.json", **SMALL)
    begun = interrupt_at(monkeypatch, 4)  # the first fine trial
    with pytest.raises(SearchInterrupted):
        search(loss, SGD, x, y, x, y, save=tmp_path / "cut.json", **SMALL)
    begun.clear()
    told = []
    resumed = search(loss, SGD, x, y, x, y, save=tmp_path / "cut.json", resume=load_search(tmp_path / "cut.json"),
                     out=told.append, **SMALL)
    assert len(begun) == 2 and [b[0] for b in begun] == ["fine", "fine"]
    assert told[0] == f"resuming the search in {tmp_path / 'cut.json'}: 3 of 5 trials had finished, 2 to run"
    assert without_seconds(json.loads((tmp_path / "cut.json").read_text())) == \
        without_seconds(json.loads((tmp_path / "whole.json").read_text()))
    assert json.loads((tmp_path / "cut.json").read_text())["status"] == "finished"
    assert (resumed.best.lr, resumed.best.val_acc) == (whole.best.lr, whole.best.val_acc)


def test_a_resumed_search_must_be_the_same_search(data, tmp_path):
    x, y = data
    search(two_layer(x, y), SGD, x, y, x, y, save=tmp_path / "s.json", **{**SMALL, "fine_trials": 0})
    saved = load_search(tmp_path / "s.json")
    with pytest.raises(gs.GraphscopeError, match=r"was run with trials=3; this one with trials=4: "):
        search(two_layer(x, y), SGD, x, y, x, y, resume=saved, **{**SMALL, "fine_trials": 0, "trials": 4})
    with pytest.raises(gs.GraphscopeError, match="run on other data or other initial weights"):
        search(two_layer(x, y, seed=1), SGD, x, y, x, y, resume=saved, **{**SMALL, "fine_trials": 0})


@pytest.mark.parametrize("text, message", [
    ("not json", "is not a search file (not JSON"),
    ('{"graphscope": "history"}', "is not a search file (written by `graphscope search -o`"),
    ('{"graphscope": "search", "version": 7}', "is a search file of version 7"),
    ('{"graphscope": "search", "version": 1, "status": "finished", "settings": {}, "trials": [{"stage": "medium"}]}',
     "trial 1: 'stage' must be one of coarse, fine, got 'medium'"),
    ('{"graphscope": "search", "version": 1, "status": "finished", "settings": {}, "trials": [{"stage": "fine", '
     '"lr": 0.1, "reg": 0, "epochs": 2, "val_acc_per_epoch": ["high"]}]}',
     "trial 1: 'val_acc_per_epoch' must be a list of numbers"),
])
def test_a_bad_search_file_is_one_message_naming_what_is_wrong(tmp_path, text, message):
    path = tmp_path / "s.json"
    path.write_text(text)
    with pytest.raises(SearchFileError) as caught:
        load_search(path)
    assert str(caught.value).startswith(f"{path}: ") and message in str(caught.value)


def test_the_table_ranks_within_each_round_and_marks_the_best(data):
    x, y = data
    result = search(two_layer(x, y), SGD, x, y, x, y, **SMALL)
    lines = result.table().splitlines()
    end = next(k for k, line in enumerate(lines) if line.startswith("ranked by"))
    rows = [line.split() for line in lines[1:end]]
    assert [r[:2] for r in rows] == [["1", "fine"], ["2", "fine"], ["1", "coarse"], ["2", "coarse"], ["3", "coarse"]]
    for stage in ("fine", "coarse"):
        accs = [float(r[6].rstrip("%")) for r in rows if r[1] == stage]
        assert accs == sorted(accs, reverse=True)
    marked = [r for r in rows if r[-1] == "best"]
    assert len(marked) == 1 and marked[0][2] == f"{result.best.lr:.3g}"
    note = " ".join(lines[end:])
    assert note == ("ranked by validation accuracy, then training accuracy, then validation loss, within each round "
                    "(fine trials train 2 epochs, coarse trials train 1 epoch); loss: the last epoch's, with the reg "
                    "term (reg * sum ||W||^2); val loss: without it")
    assert lines[0].split()[-2:] == ["val", "loss"] and all(len(r) == 8 for r in rows if r[-1] != "best")
    assert max(map(len, lines)) <= 80


def test_a_tie_is_broken_by_the_validation_loss_not_the_loss_that_holds_the_reg_term():
    """Two trials of one accuracy: the one with the larger reg has the larger training loss (its reg term) but the
    smaller validation loss (the data loss alone); the validation loss decides."""
    small_reg = gs.train.Trial("coarse", 0.1, 1e-6, 2, [1.0, 0.50], [0.9, 0.9], [0.8, 0.8], val_loss_per_epoch=[0.9, 0.7])
    large_reg = gs.train.Trial("coarse", 0.1, 1e-2, 2, [1.0, 0.60], [0.9, 0.9], [0.8, 0.8], val_loss_per_epoch=[0.9, 0.6])
    result = gs.train.SearchResult([small_reg, large_reg])
    assert result.best is large_reg
    assert gs.train.Trial.from_dict(large_reg.to_dict(), "t").val_loss == 0.6  # kept in the search file
    note = " ".join(result.table().splitlines()[3:])
    assert note.endswith("loss: the last epoch's, with the reg term (reg * sum ||W||^2); val loss: without it")


def test_a_tie_goes_to_the_fine_round():
    coarse = gs.train.Trial("coarse", 0.1, 0.0, 2, [1.0, 0.5], [0.9, 0.9], [0.8, 0.8])
    fine = gs.train.Trial("fine", 0.2, 0.0, 4, [1.0, 0.9], [0.8, 0.8], [0.8, 0.8])
    assert gs.train.SearchResult([coarse, fine]).best is fine


def test_the_bar_counts_epochs_and_its_note_has_the_trial_lines_digits(data, monkeypatch):
    from rich.console import Console
    from rich.progress import Progress
    monkeypatch.setattr(sys.modules["graphscope.train.progress"], "REDRAW", 0.0)
    monkeypatch.setattr(sys.modules["graphscope.train.progress"], "bar_drawable", lambda: True)   # as in a terminal
    notes, shown = [], []
    real_update, real_stop = Progress.update, Progress.stop

    def update(self, task, **kw):
        notes.append(kw.get("note"))
        return real_update(self, task, **kw)

    def stop(self):
        console = Console(width=200, record=True, file=open("/dev/null", "w"))
        console.print(self.make_tasks_table(self.tasks))
        shown.append(console.export_text())
        return real_stop(self)
    monkeypatch.setattr(Progress, "update", update)
    monkeypatch.setattr(Progress, "stop", stop)
    x, y = data
    result = search(two_layer(x, y), SGD, x, y, x, y, progress=True, **{**SMALL, "lr": (0.0123, 0.0456)})
    assert "7/7 epochs" in shown[0]  # 3 coarse trials of 1 epoch, 2 fine of 2
    best = result.best
    assert notes[-1] == (f"trial 5/5  best lr {best.lr:.3g} reg {best.reg:.3g} "
                         f"({100 * best.val_acc:.1f}%, {best.stage})")
    assert f"{best.lr:.3g}" != f"{best.lr:.2g}"  # the note would differ with 2 digits


def test_a_search_at_chance_learned_nothing_and_says_whether_the_rates_or_the_model_are_to_blame(data):
    x, y = data
    shuffled = np.random.default_rng(0).permutation(y)  # labels that have nothing to do with the points
    at_chance = search(two_layer(x, shuffled), SGD, x, shuffled, x, y,
                       **{**SMALL, "lr": (0.5, 2.0), "epochs": 3, "fine_epochs": 6})
    verdict = judge_search(at_chance)
    assert not verdict.learned and verdict.reason == "near chance" and verdict.lr_change == ""
    assert at_chance.best.val_acc < verdict.threshold == pytest.approx(1 / 3 + 0.2 * 2 / 3)

    too_large = search(two_layer(x, y), SGD, x, y, x, y, **{**SMALL, "lr": (1e3, 1e5)})
    verdict = judge_search(too_large)
    assert not verdict.learned and verdict.lr_change == "smaller" and verdict.lr_range == (1.0, 1e3)

    too_small = search(two_layer(x, y), SGD, x, y, x, y, **{**SMALL, "lr": (1e-9, 1e-8)})
    verdict = judge_search(too_small)
    assert not verdict.learned and verdict.lr_change == "larger" and verdict.lr_range == (1e-8, 1e-5)
    assert verdict.stalled == 5

    good = search(two_layer(x, y), SGD, x, y, x, y, **{**SMALL, "lr": (0.3, 3.0), "epochs": 5, "fine_epochs": 10})
    assert judge_search(good).learned and good.best.val_acc > 0.6


def test_a_loss_that_was_not_finite_survives_the_file_and_ranks_last(tmp_path):
    overflowed = gs.train.Trial("coarse", 3.0, 0.0, 2, [1.0, float("inf")])  # JSON has no inf: written as null
    fine = gs.train.Trial("coarse", 0.1, 0.0, 2, [1.0, 0.5])
    path = tmp_path / "search.json"
    gs.train.SearchResult([overflowed, fine]).save(path)
    assert json.loads(path.read_text())["trials"][0]["loss_per_epoch"] == [1.0, None]
    loaded = load_search(path)
    back = loaded.trials[0]
    assert back.loss_per_epoch[0] == 1.0 and np.isnan(back.loss) and loaded.best.lr == 0.1
    rows = loaded.table().splitlines()
    assert "nan" in next(r for r in rows if " 3 " in r) and "best" in next(r for r in rows if "0.1" in r)
