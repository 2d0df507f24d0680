"""Folding repeated groups of sibling scopes: gs.nn.MLP's fc, bn, relu layers as one 'Linear+BatchNorm+ReLU x N'."""
import json
import os
import re

import numpy as np

import graphscope as gs
from graphscope import viz
from graphscope.stepper import Stepper
from graphscope.tui.session import Session
from graphscope.tui.widgets.graphview import label
from graphscope.userfile import build_output
from graphscope.viz.view import FOLD, View

SAMPLES = os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "samples")


def mlp_loss(sizes, **options):
    net = gs.nn.MLP(sizes, rng=0, **options)
    rng = np.random.default_rng(0)
    x = gs.tensor(rng.normal(size=(5, sizes[0])), name="x")
    return gs.softmax_cross_entropy(net(x), rng.integers(0, sizes[-1], size=5))


def folds(view):
    return [it for it in view.items if it.kind == FOLD]


def fold_line(dot):
    lines = [ln for ln in dot.splitlines() if re.match(r"\s*f_\w+ \[", ln)]
    assert len(lines) == 1, "expected one folded box"
    return lines[0]


def test_an_mlp_with_batchnorm_folds_its_layers_into_one_box_of_groups():
    out = mlp_loss([6, 6, 6, 6, 3], batchnorm=True)           # three hidden layers: fc1, bn1, relu1 .. relu3
    (fold,) = folds(View(out.graph()))
    assert fold.scopes == ("fc1", "bn1", "relu1", "fc2", "bn2", "relu2", "fc3", "bn3", "relu3")
    assert fold.period == 3 and fold.blocks == 3 and fold.block_scopes(1) == ("fc2", "bn2", "relu2")
    line = fold_line(viz.to_dot(out))
    assert "Linear+BatchNorm+ReLU \u00d7 3" in line and "fc1 \u2026 relu3" in line
    assert "fc1.W 6x6, bn1.gamma 6, bn1.beta 6<" in line   # the parameters of one block (no bias before bn)
    assert label(fold) == "Linear+BatchNorm+ReLU x 3"


def test_a_first_layer_of_another_width_stays_outside_the_groups_it_does_not_match():
    out = mlp_loss([2, 8, 8, 8, 8, 8, 8, 3], batchnorm=True)  # as samples/batchnorm.py: fc1 is 2 -> 8
    (fold,) = folds(View(out.graph()))
    assert fold.scopes[0] == "fc2" and fold.scopes[-1] == "relu6" and fold.blocks == 5  # whole layers, not bn1..fc6
    assert "Linear+BatchNorm+ReLU \u00d7 5" in fold_line(viz.to_dot(out))


def test_a_plain_mlp_folds_pairs_and_one_with_dropout_folds_fours():
    (pairs,) = folds(View(mlp_loss([4, 4, 4, 4, 4, 2]).graph()))
    assert pairs.period == 2 and pairs.blocks == 4 and pairs.scopes[:2] == ("fc1", "relu1")
    (fours,) = folds(View(mlp_loss([4, 4, 4, 4, 2], batchnorm=True, dropout=0.5).graph()))
    assert fours.period == 4 and fours.blocks == 3 and fours.block_scopes(2) == ("fc3", "bn3", "relu3", "drop3")


def test_an_mlp_of_two_hidden_layers_does_not_fold():
    for options in ({}, {"batchnorm": True}, {"batchnorm": True, "dropout": 0.5}):
        out = mlp_loss([4, 4, 4, 2], **options)
        assert folds(View(out.graph())) == [] and "f_" not in viz.to_dot(out)


def test_runs_of_single_scopes_fold_as_before():
    out = build_output(os.path.join(SAMPLES, "deep_mlp.py"))
    (fold,) = folds(View(out.graph()))
    assert fold.key == "f_block1_x8" and fold.period == 1 and fold.blocks == 8
    assert fold.scopes == tuple(f"block{i}" for i in range(1, 9))
    assert label(fold) == "Linear+ReLU x 8"


def chain(kinds):
    """x through one scope per entry of `kinds` ('t': tanh, 'r': relu), named s1, s2, ... in order."""
    h = gs.tensor(np.ones(3), name="x")
    for i, kind in enumerate(kinds, 1):
        with gs.scope(f"s{i}"):
            h = gs.tanh(h) if kind == "t" else gs.relu(h)
    return gs.sum(h)


def test_the_fold_hiding_the_most_nodes_wins_where_runs_overlap():
    # t t t r t r t r: three tanh in a row (3 nodes) or (t r) x 3 from s3 (6 nodes); they share s3
    (fold,) = folds(View(chain("tttrtrtr").graph()))
    assert fold.scopes == ("s3", "s4", "s5", "s6", "s7", "s8") and fold.period == 2
    (fold,) = folds(View(chain("tttttt").graph()))          # a run of one scope repeated: never a group of two
    assert fold.period == 1 and fold.blocks == 6


def test_the_player_and_the_status_line_say_which_block_of_a_group_the_step_is_in(tmp_path):
    out = mlp_loss([6, 6, 6, 6, 3], batchnorm=True)
    st = Stepper(out)
    bn2 = next(n for n in st.graph if n.op == "batch_norm" and n.scope == "bn2")
    path = tmp_path / "p.html"
    viz.export(st, str(path), node=bn2.name, phase="forward")
    data = json.loads(re.search(r'<script id="steps-data" type="application/json">(.*?)</script>',
                                path.read_text(), re.S).group(1))
    assert data["steps"][data["start"]]["details"]["block"] == "block 2 of 3 (fc2, bn2, relu2)"
    session = Session(out.graph())
    session.goto_node(bn2)
    assert " · bn2 · block 2 of 3" in session.status_text()


def test_unfolding_a_group_fold_in_the_terminal_draws_every_layer():
    session = Session(mlp_loss([6, 6, 6, 6, 3], batchnorm=True).graph())
    relu3 = next(n for n in session.graph.nodes if n.scope == "relu3")
    assert session.toggle_scope(relu3) == "fc1 .. relu3 unfolded"
    assert folds(session.view) == [] and session.view.item_of[relu3].kind == "node"
