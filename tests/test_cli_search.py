"""graphscope search -o / --resume, and what it says when the best trial learned nothing."""
import json
import os
import shlex
import sys

from graphscope.cli import main

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
SPIRAL = os.path.join(ROOT, "samples", "train_spiral.py")
QUICK = ["--trials", "3", "--fine-trials", "2", "--epochs", "1", "--batch-size", "100", "--no-progress"]


def run(capsys, *args):
    code = main([str(a) for a in args])
    out, err = capsys.readouterr()
    return code, out, err


def interrupt_at(monkeypatch, n):
    """Ctrl-C as the n-th trial starts."""
    search_module = sys.modules["graphscope.train.search"]
    real, begun = search_module._trial, []

    def trial(*args, **kw):
        begun.append(args[0])
        if len(begun) == n:
            raise KeyboardInterrupt
        return real(*args, **kw)
    monkeypatch.setattr(search_module, "_trial", trial)
    return begun


def trials_of(path):
    return [{k: v for k, v in t.items() if k != "seconds"} for t in json.loads(path.read_text())["trials"]]


def test_ctrl_c_keeps_the_finished_trials_and_resume_ends_the_search_as_if_never_stopped(capsys, tmp_path,
                                                                                        monkeypatch):
    whole, cut = tmp_path / "whole.json", tmp_path / "cut.json"
    code, out, err = run(capsys, "search", SPIRAL, *QUICK, "-o", whole)
    assert code == 0, err
    assert out.rstrip().endswith(f"the search (5 trials) is kept in {whole}")
    interrupt_at(monkeypatch, 3)
    code, out, err = run(capsys, "search", SPIRAL, *QUICK, "-o", cut)
    assert code == 130
    assert err == (f"graphscope search: interrupted during trial 3 of 5; 2 trials had finished, kept in {cut}; "
                   f"`graphscope search {shlex.quote(os.path.relpath(SPIRAL))} --resume {cut}` goes on\n")
    assert json.loads(cut.read_text())["status"] == "interrupted" and len(trials_of(cut)) == 2
    begun = interrupt_at(monkeypatch, 0)
    code, out, err = run(capsys, "search", SPIRAL, "--resume", cut)  # every setting from the file
    assert code == 0, err
    assert out.splitlines()[1] == f"resuming the search in {cut}: 2 of 5 trials had finished, 3 to run"
    assert begun == ["coarse", "fine", "fine"]
    assert trials_of(cut) == trials_of(whole) and json.loads(cut.read_text())["status"] == "finished"


def test_resume_refuses_what_would_make_another_search(capsys, tmp_path):
    kept = tmp_path / "s.json"
    assert run(capsys, "search", SPIRAL, *QUICK, "-o", kept)[0] == 0
    code, out, err = run(capsys, "search", SPIRAL, "--resume", kept, "--trials", "4", "--lr-range", "1e-3", "1")
    assert code == 2 and out == ""
    assert err.splitlines() == [
        f"graphscope search: --trials 4: the search in {kept} was run with --trials 3 (a resumed search keeps its "
        f"settings; -o OTHER.json starts a new one)",
        f"graphscope search: --lr-range 0.001 1: the search in {kept} was run with --lr-range 0.0001 1 (a resumed "
        f"search keeps its settings; -o OTHER.json starts a new one)"]
    other = tmp_path / "other.py"
    other.write_text(open(SPIRAL).read())
    code, _, err = run(capsys, "search", other, "--resume", kept)
    assert code == 2 and err == (f"graphscope search: --resume {kept}: it holds a search of "
                                 f"{os.path.relpath(SPIRAL)}, not of {other}\n")
    (tmp_path / "bad.json").write_text("{")
    code, _, err = run(capsys, "search", SPIRAL, "--resume", tmp_path / "bad.json")
    assert code == 2 and err.startswith(f"graphscope search: --resume {tmp_path / 'bad.json'}: is not a search file")


def test_o_refuses_to_replace_a_kept_search_unless_told(capsys, tmp_path):
    kept = tmp_path / "s.json"
    assert run(capsys, "search", SPIRAL, *QUICK, "-o", kept)[0] == 0
    before = kept.read_text()
    code, out, err = run(capsys, "search", SPIRAL, *QUICK, "-o", kept)
    assert code == 2 and out == "" and kept.read_text() == before
    assert err == (f"graphscope search: -o {kept} holds 5 finished trials of a search of {os.path.relpath(SPIRAL)}; "
                   f"a new search would replace it: --resume {kept} goes on with it, or give another file, or "
                   f"--overwrite to replace it\n")
    code, _, err = run(capsys, "search", SPIRAL, *QUICK, "--fine-trials", "0", "-o", kept, "--overwrite")
    assert code == 0, err
    assert len(trials_of(kept)) == 3
    code, _, err = run(capsys, "search", SPIRAL, "-o", tmp_path / "missing" / "s.json")
    assert code == 2 and "the folder" in err and "does not exist" in err


def test_a_search_that_learned_nothing_says_so_and_what_to_try_instead_of_a_command(capsys):
    code, out, err = run(capsys, "search", SPIRAL, *QUICK, "--lr-range", "1e30", "1e31")
    assert code == 1, err
    assert out.rstrip().splitlines()[-3:-1] == ["nothing learned: every trial diverged (lr 1e+30 to 1e+31)",
                                                "  the learning rates are too large: the loss grew or diverged in 3 "
                                                "of 3 trials; try --lr-range 1e+27 1e+30"]
    assert ("every coarse trial diverged (lr 1e+30 to 1e+31): the fine round is skipped (it would search the same "
            "rates)") in out.splitlines()
    assert not [line for line in out.splitlines() if line.startswith("fine ")]  # no fine trial: no budget wasted
    code, out, err = run(capsys, "search", SPIRAL, *QUICK, "--lr-range", "1e10", "1e12")
    assert code == 1, err
    lines = out.rstrip().splitlines()
    assert not any(line.startswith("best:") for line in lines)
    assert lines[-3].startswith("nothing learned: the best validation accuracy, 33.3% (lr ")
    assert lines[-2] == ("  the learning rates are too large: the loss grew or diverged in 5 of 5 trials; "
                         "try --lr-range 1e+07 1e+10")
    assert lines[-1].startswith(f"  the model: `graphscope train {os.path.relpath(SPIRAL)} --sanity` checks")


def test_a_best_trial_near_chance_is_nothing_learned(capsys, tmp_path):
    path = tmp_path / "noise.py"
    path.write_text(open(SPIRAL).read() + "\n\ndef data():\n    x, y = spiral(seed=0)\n"
                    "    return x, np.random.default_rng(0).permutation(y), x, y\n")
    code, out, err = run(capsys, "search", path, *QUICK, "--lr-range", "0.5", "2", "--epochs", "3")
    assert code == 1, err
    verdict = out[out.index("\nnothing learned"):].strip().splitlines()
    assert "validation accuracy" in verdict[0] and "is near chance (33.3%: always answering the most common of " \
                                                   "the 3 classes)" in verdict[0]
    assert verdict[1].startswith("  the learning rates ")
    assert verdict[2].startswith(f"  the model: `graphscope train {path} --sanity`")
