"""Training the recorded graph: data sets, per-layer statistics (and the trainer)."""
from . import data
from .data import digits, load_cifar10, load_mnist, moons, spiral, standardize, train_val_split, zero_center
from .datafiles import DataError
from .monitor import LayerStats, layer_stats, snapshot_params
