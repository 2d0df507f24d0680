"""An ONNX export refuses the picture options it would ignore, names the file in every refusal, and a user typing a
likely command name (onnx, draw, fit, ...) is told what to type instead."""
import os

import pytest

from graphscope.cli import main

from cli_run import in_process

pytest.importorskip("onnx")
SAMPLES = os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "samples")
CHAIN = os.path.join(SAMPLES, "chain_rule.py")


def test_picture_options_with_an_onnx_model_are_refused_unless_frames_use_them(capsys, tmp_path):
    out = tmp_path / "m.onnx"
    code, _, err = in_process(main, capsys, "export", CHAIN, "-o", out, "--fit", "800x600")
    assert code == 2 and err == (f"graphscope export: --fit shapes a picture; -o {out} writes the model, which is not "
                                 f"drawn: leave it out (or add --frames DIR, the pictures beside the model)\n")
    code, _, err = in_process(main, capsys, "export", CHAIN, "-o", out, "--rankdir", "TB")
    assert code == 2 and "--rankdir shapes a picture" in err and not out.exists()
    code, stdout, err = in_process(main, capsys, "export", CHAIN, "-o", out, "--fit", "800x600", "--frames",
                                   tmp_path / "frames")
    assert code == 0, err
    assert out.exists() and len(os.listdir(tmp_path / "frames")) == 10


def test_every_onnx_refusal_names_the_file(capsys, tmp_path):
    code, _, err = in_process(main, capsys, "export", CHAIN, "-o", tmp_path / "m.onnx", "--dynamic-batch")
    assert code == 2 and err.startswith(f"graphscope export: {CHAIN}: cannot export to ONNX: dynamic batch")


@pytest.mark.parametrize("typed, told", [
    (["onnx", "samples/x.py"], "for onnx, type `graphscope export samples/x.py -o x.onnx`"),
    (["fit"], "for fit, type `graphscope train FILE`"),
    (["exprt", "x.py"], "did you mean 'export'?"),
])
def test_a_likely_command_name_says_what_to_type(capsys, typed, told):
    with pytest.raises(SystemExit) as stop:
        main(typed)
    assert stop.value.code == 2 and told in capsys.readouterr().err
