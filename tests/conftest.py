"""Shared fixtures: a seeded random generator and PyTorch as the gradient oracle."""
import numpy as np
import pytest


@pytest.fixture
def rng():
    """A numpy Generator with a fixed seed: tests draw random values, runs stay reproducible."""
    return np.random.default_rng(20261125)


@pytest.fixture(scope="session")
def torch():
    """PyTorch (compare in float64), or a clean skip where it is not installed."""
    return pytest.importorskip("torch")
