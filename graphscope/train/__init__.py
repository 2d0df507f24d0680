"""Training the recorded graph: gs.Trainer, its history, checkpoints, sanity checks and search."""
from .checkpoint import CheckpointError
from .events import BatchEnd, EpochEnd, Stopped
from .history import History
from .trainer import Trainer, TrainingDiverged
from .sanity import SanityReport, sanity_check
from .search import SearchResult, Trial, search
