"""A search file that does not fit the search resuming it is refused before anything runs or is written; a search
file's settings are checked for form and bounds; a file that is not an ordinary one, or is huge, is never read."""
import json
import os
import sys

import pytest

import graphscope as gs
from graphscope.cli import main
from graphscope.train import SearchFileError, load_search, search

from cli_run import in_process
from train_helpers import SGD, spiral, two_layer

SMALL = dict(trials=3, fine_trials=2, epochs=1, fine_epochs=1, batch_size=100, lr=(1e-2, 3.0), reg=(1e-5, 1e-2))
SEARCH = sys.modules["graphscope.train.search"]
ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
SPIRAL = os.path.join(ROOT, "samples", "train_spiral.py")


@pytest.fixture(scope="module")
def finished(tmp_path_factory):
    """(data, the text of a finished search file of 3 coarse and 2 fine trials)."""
    x, y = spiral(n_per_class=30)
    path = tmp_path_factory.mktemp("search") / "s.json"
    search(two_layer(x, y, hidden=10), SGD, x, y, x, y, save=path, **SMALL)
    return (x, y), path.read_text()


def worst_coarse(d):
    """The coarse trial of the file whose validation accuracy is lowest (made the best, it moves the fine round)."""
    return min((t for t in d["trials"] if t["stage"] == "coarse"), key=lambda t: t["val_acc_per_epoch"][-1])


def edited(tmp_path, text, edit):
    d = json.loads(text)
    edit(d)
    path = tmp_path / "s.json"
    path.write_text(json.dumps(d))
    return path


@pytest.mark.parametrize("edit, settings, message", [
    (lambda d: d["settings"].update(seed=1), dict(seed=1), "its coarse trial 1 tried lr"),
    (lambda d: d["settings"].update(epochs=2), dict(epochs=2), "its coarse trial 1 tried lr"),
    (lambda d: d["settings"].update(lr_range=[0.02, 3.0]), dict(lr=(0.02, 3.0)), "its coarse trial 1 tried lr"),
    (lambda d: worst_coarse(d).update(val_acc_per_epoch=[1.0]), {}, "its fine trial 1 tried lr"),
    (lambda d: d["settings"].update(trials=5), dict(trials=5), "fine trials but only 3 of the 5 coarse trials"),
    (lambda d: d["trials"].append(dict(d["trials"][-1])), {}, "holds 3 fine trials, where the search has 2"),
])
def test_a_search_file_of_another_search_is_refused_and_left_as_it_was(finished, tmp_path, monkeypatch, edit,
                                                                         settings, message):
    (x, y), text = finished
    path = edited(tmp_path, text, edit)
    before = path.read_bytes()
    ran = []
    monkeypatch.setattr(SEARCH, "_trial", lambda *a, **k: ran.append(a) or 1 / 0)
    told = []
    with pytest.raises(gs.GraphscopeError, match=message):
        search(two_layer(x, y, hidden=10), SGD, x, y, x, y, save=path, resume=load_search(path), out=told.append,
               **{**SMALL, **settings})
    assert path.read_bytes() == before and ran == [] and told == []  # nothing run, written, or said before it


def test_a_finished_search_resumed_writes_nothing_and_another_file_gets_a_copy(finished, tmp_path, monkeypatch):
    (x, y), text = finished
    path = tmp_path / "s.json"
    path.write_text(text)
    os.utime(path, (1, 1))
    told = []
    result = search(two_layer(x, y, hidden=10), SGD, x, y, x, y, save=path, resume=load_search(path),
                    out=told.append, **SMALL)
    assert told == [f"every trial of the search in {path} had finished (5 of 5): nothing to run"]
    assert os.stat(path).st_mtime == 1 and len(result.trials) == 5
    search(two_layer(x, y, hidden=10), SGD, x, y, x, y, save=tmp_path / "copy.json", resume=load_search(path),
           **SMALL)
    assert len(load_search(tmp_path / "copy.json").trials) == 5


def test_ctrl_c_in_a_new_searchs_first_trial_writes_no_file(finished, tmp_path, monkeypatch):
    (x, y), _ = finished

    def interrupted(*args, **kw):
        raise KeyboardInterrupt
    monkeypatch.setattr(SEARCH, "_trial", interrupted)
    with pytest.raises(gs.train.SearchInterrupted) as caught:
        search(two_layer(x, y, hidden=10), SGD, x, y, x, y, save=tmp_path / "new.json", **SMALL)
    assert caught.value.saved is None and not (tmp_path / "new.json").exists()


@pytest.mark.parametrize("key, value, form", [
    ("epochs", "two", "settings.epochs must be a whole number from 1 to 100,000, got 'two'"),
    ("trials", 10 ** 9, "settings.trials must be a whole number from 1 to 1,000"),
    ("trials", 1e9, "settings.trials must be a whole number"),
    ("lr_range", [0.1], "settings.lr_range must be a [low, high] pair"),
    ("reg_range", [-1, 1], "settings.reg_range must be a [low, high] pair"),
    ("method", "bayes", "settings.method must be one of 'random', 'grid'"),
    ("dtype", 32, "settings.dtype must be one of 'float32', 'float64'"),
    ("batch_size", True, "settings.batch_size must be a whole number >= 1"),
])
def test_each_setting_of_a_search_file_is_checked_for_form(finished, tmp_path, key, value, form):
    path = edited(tmp_path, finished[1], lambda d: d["settings"].update({key: value}))
    with pytest.raises(SearchFileError, match="^" + str(path) + ": " + form.replace("[", r"\[").replace("(", r"\(")):
        load_search(path)


def test_search_refuses_bounds_it_would_run_for_days():
    x, y = spiral(n_per_class=5)
    with pytest.raises(gs.GraphscopeError, match="trials must be a whole number from 1 to 1,000, got 1000000"):
        search(two_layer(x, y, hidden=4), SGD, x, y, trials=10 ** 6)


def test_the_command_refuses_a_device_a_huge_file_and_huge_counts_in_one_line(capsys, tmp_path):
    huge = tmp_path / "huge.json"
    with open(huge, "wb") as f:
        f.truncate(65 * 2 ** 20)  # sparse: no disk used
    for target, said in (("/dev/zero", "is not an ordinary file (a device, a pipe or a socket), so not a search "
                                       "file"),
                         (huge, "is 65 MB, more than a search file can be (64 MB at most)")):
        code, out, err = in_process(main, capsys, "search", SPIRAL, "--resume", target)
        assert (code, err) == (2, f"graphscope search: --resume {target}: {said}\n")
    code, _, err = in_process(main, capsys, "search", SPIRAL, "--trials", "1000000", "--fine-epochs", "0")
    assert code == 2 and err.splitlines() == [
        "graphscope search: --trials must be a whole number from 1 to 1,000, got 1000000",
        "graphscope search: --fine-epochs must be a whole number from 1 to 100,000, got 0"]


def test_ctrl_c_before_a_resumed_searchs_next_trial_ends_leaves_its_file_and_says_so(finished, tmp_path,
                                                                                    monkeypatch):
    (x, y), text = finished
    path = edited(tmp_path, text, lambda d: d.update(trials=d["trials"][:3], status="interrupted"))
    before = path.read_bytes()

    def interrupted(*args, **kw):
        raise KeyboardInterrupt
    monkeypatch.setattr(SEARCH, "_trial", interrupted)
    with pytest.raises(gs.train.SearchInterrupted, match=f"3 trials had finished, kept in {path}$") as caught:
        search(two_layer(x, y, hidden=10), SGD, x, y, x, y, save=path, resume=load_search(path), **SMALL)
    assert caught.value.saved == path and path.read_bytes() == before
