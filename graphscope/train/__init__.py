"""Training the recorded graph: gs.Trainer, its history, checkpoints, sanity checks, search,
data sets and per-layer statistics."""
from . import data
from .checkpoint import CheckpointError
from .data import digits, load_cifar10, load_mnist, moons, spiral, standardize, train_val_split, zero_center
from .datafiles import DataError
from .events import BatchEnd, EpochEnd, Stopped
from .history import History
from .monitor import LayerStats, layer_stats, snapshot_params
from .prediction import predict
from .sanity import SanityReport, sanity_check
from .schedule_rate import ScheduleRateWarning
from .search import SearchInterrupted, SearchResult, Trial, load_search, search
from .search_result import SearchFileError
from .search_verdict import SearchVerdict, judge as judge_search
from .trainer import Trainer, TrainingDiverged, TrainingInterrupted
