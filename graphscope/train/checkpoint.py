"""Checkpoints: a folder holding ``checkpoint.json`` (settings, history, RNG state, optimizer hyperparameters)
and ``arrays-<hash>.npz`` (parameters and optimizer state), read with ``allow_pickle=False`` and validated.

Atomic: the arrays file is named by its content hash and written first (atomically); then
``checkpoint.json``, which names it, replaces the old one in one rename; only then are arrays files
that no checkpoint names removed. A crash at any point leaves the previous checkpoint whole.
Resuming from one gives exactly the run that was not interrupted: parameters, optimizer state,
history, epoch count, the shuffling RNG's state and the attributes of dropout and batch-norm nodes
(mask draw count, running averages) are all restored.
"""
import hashlib
import io
import json
import math
import os
import time
import zipfile

import numpy as np

from ..engine.errors import GraphscopeError
from ..engine.formatting import pretty_as_str
from ..engine.graph import require_graph
from ..engine.words import plural
from ..interop import safeio
from ..nn.module import bias_before_batchnorm_hint
from ..util.atomic import TEMP_SUFFIX, FileWriteError, atomic_write, require_path
from ..util.interrupts import interrupts_held
from .history import PER_EPOCH, History, _finite_or_null
from .node_state import OWNED_ARRAYS, array_text, merge_node_attrs, node_label, stateful_nodes
from ..engine.staleness import changed

FORMAT = "graphscope-checkpoint"
VERSION = 1
META = "checkpoint.json"
#: checkpoint.json holds settings and per-epoch history: far less than this even for long runs.
MAX_META_BYTES = 64 * 1024 * 1024
#: The longest integer a checkpoint holds: the shuffling RNG's 128-bit state (39 digits).
MAX_INT_DIGITS = 40


class CheckpointError(GraphscopeError):
    """A checkpoint folder is missing, damaged, or does not fit the graph and optimizer it is loaded into."""


def save_checkpoint(trainer, folder, durable=True):
    """Write `trainer`'s state into `folder` (made if missing); returns the folder.

    A Ctrl-C during the write is held until it is done (the checkpoint is then whole and new); any other
    failure leaves the previous checkpoint and removes what this write had added. Arrays files no checkpoint
    names and temporary files a killed write left are removed. `durable`: flush to the disk (fsync), see
    graphscope.util.atomic; the trainer's per-epoch writes do that at most every SYNC_EVERY seconds.
    """
    try:
        with interrupts_held():  # a few milliseconds: cut short, the checkpoint would lag what the run reports
            return _save(trainer, folder, durable)
    except FileWriteError as exc:  # a full disk, a folder gone read-only: say what the folder still holds
        raise CheckpointWriteError(f"{exc}; {kept_text(folder, trainer.epoch)}", held_epoch(folder)) from None


class CheckpointWriteError(CheckpointError, FileWriteError):
    """A checkpoint could not be written; ``held`` is the epoch the folder's checkpoint still holds (None: none)."""

    def __init__(self, message, held):
        super().__init__(message)
        self.held = held


def held_epoch(folder):
    """The epoch of the whole checkpoint in `folder`, or None when it holds none that can be read."""
    try:
        return read_checkpoint(folder)[0]["epoch"]
    except (CheckpointError, OSError):
        return None


def kept_text(folder, epoch):
    """What `folder` holds after the checkpoint of `epoch` failed to be written, and what resuming it does."""
    held = held_epoch(folder)
    if held is None:
        return f"no checkpoint is in {folder}: epoch {epoch} is not saved"
    if held == epoch:
        return f"the checkpoint in {folder} holds epoch {epoch}"
    return (f"the checkpoint in {folder} still holds epoch {held}, not {epoch}: resuming it trains epoch "
            f"{held + 1} again")


def _save(trainer, folder, durable):
    folder = require_path(folder, "checkpoint folder")
    if os.path.exists(folder) and not os.path.isdir(folder):
        raise CheckpointError(f"checkpoint {folder}: is a file, not a folder")
    try:
        os.makedirs(folder, exist_ok=True)
    except OSError as exc:
        raise CheckpointError(f"checkpoint {folder}: cannot make the folder: {exc.strerror or exc}") from None
    arrays = {f"param/{i}": np.asarray(p.value) for i, p in enumerate(trainer.params)}
    opt = trainer.optimizer.state_dict()
    opt_meta = {k: v for k, v in opt.items() if k != "state"}
    state = [s or {} for s in opt.get("state") or []]
    opt_meta["state_names"] = [sorted(s) for s in state]
    for i, s in enumerate(state):
        for name, value in s.items():
            arrays[f"optimizer/{i}/{name}"] = np.asarray(value)
    nodes = _save_node_state(trainer, arrays)
    history = _save_history(trainer.history, arrays)
    buf = io.BytesIO()
    np.savez(buf, **arrays)
    data = buf.getvalue()
    digest = hashlib.sha256(data).hexdigest()
    arrays_name = f"arrays-{digest[:16]}.npz"
    meta = {
        "format": FORMAT, "version": VERSION, "arrays": arrays_name, "sha256": digest,
        "epoch": trainer.epoch,
        "file": getattr(trainer, "file", None),
        "params": [{"name": p.name, "shape": list(np.shape(p.value)), "dtype": str(np.asarray(p.value).dtype)}
                   for p in trainer.params],
        "optimizer": _jsonable(opt_meta),
        "nodes": nodes,
        "rng": trainer.rng.bit_generator.state,
        "settings": trainer.settings(trainer.history.settings.get("n_train")),
        "schedule": schedule_state(trainer.schedule),
        "history": history,
    }
    text = json.dumps(_finite_or_null(meta), separators=(",", ":"))
    _replace(folder, arrays_name, data, text.encode(), durable)
    return folder


#: The trainer's per-epoch checkpoint writes flush to the disk (fsync) at most this often, and at the last epoch:
#: a flush takes milliseconds, as long as a small model's whole epoch. A killed process never loses a checkpoint
#: either way (the files are replaced by renames); only an OS crash or power cut could take back the last seconds.
SYNC_EVERY = 10.0
_synced = {}  # folder -> time.monotonic() of its last flushed write


def save_epoch_checkpoint(trainer, folder):
    """The write after each epoch: save_checkpoint, flushed to the disk at the last epoch and every SYNC_EVERY s."""
    key = os.path.abspath(folder)
    now = time.monotonic()
    durable = trainer.epoch >= trainer.epochs or now - _synced.get(key, -math.inf) >= SYNC_EVERY
    save_checkpoint(trainer, folder, durable=durable)
    if durable:
        _synced[key] = now
    return folder


def _replace(folder, arrays_name, data, meta, durable):
    """Write the arrays file, then checkpoint.json naming it; then remove what no checkpoint names. On any failure
    the new arrays file goes again (unless the old checkpoint names it too) and the old checkpoint stays."""
    new = os.path.join(folder, arrays_name)
    existed = os.path.exists(new)
    try:
        with atomic_write(new, "checkpoint arrays", durable=durable) as f:
            f.write(data)
        with atomic_write(os.path.join(folder, META), "checkpoint", durable=durable) as f:
            f.write(meta)
    except BaseException:
        if not existed:
            _remove(new)
        raise
    for old in os.listdir(folder):
        if old != arrays_name and is_leftover(old):
            _remove(os.path.join(folder, old))


def is_leftover(name):
    """True for a file of checkpoint writes that checkpoint.json need not name: an arrays file (the one it names
    excepted by the caller) or a temporary file of a write that was killed."""
    return (name.startswith("arrays-") and name.endswith(".npz")) or \
        (name.startswith((f".{META}.", ".arrays-")) and name.endswith(TEMP_SUFFIX))


def _remove(path):
    try:
        os.remove(path)
    except OSError:
        pass


#: The History lists a checkpoint keeps in its arrays file (not in checkpoint.json: a long run's thousands of
#: losses would make every epoch's write re-encode them all as text).
HISTORY_SERIES = ("loss",) + PER_EPOCH


def _save_history(history, arrays):
    """The history's settings and ending as JSON; its number lists go into `arrays` (None as NaN)."""
    out = history.to_dict()
    out.pop("layers", None)  # per-epoch layer records: in the arrays, as JSON text encoded once each
    for key in HISTORY_SERIES:
        arrays[f"history/{key}"] = np.array([math.nan if v is None else v for v in out.pop(key)], dtype=np.float64)
    if history.layers:
        arrays[LAYERS] = np.frombuffer(_layers_json(history), dtype=np.uint8)
    out["series"] = "arrays"
    return out


#: The arrays entry holding the history's per-epoch layer records (a JSON list as UTF-8 bytes).
LAYERS = "history/layers"


def _layers_json(history):
    """The history's layer records as one JSON list (bytes). Each record is encoded once and kept on the history
    (records are only ever appended): a long run's thousands of records are not re-encoded at every epoch's write."""
    done = history.__dict__.get("_encoded_layers")
    if done is None or len(done) > len(history.layers) or (done and done[-1][0] is not history.layers[len(done) - 1]):
        done = history.__dict__["_encoded_layers"] = []
    for record in history.layers[len(done):]:
        done.append((record, json.dumps(_finite_or_null(record), separators=(",", ":"))))
    return ("[" + ",".join(text for _, text in done) + "]").encode()


def _read_layers(arrays, where):
    """The layer records a checkpoint's arrays hold ([] when none were kept)."""
    a = arrays.get(LAYERS)
    if a is None:
        return []
    if a.ndim != 1 or a.dtype != np.uint8:
        raise CheckpointError(f"{where}: history layers is not JSON text")
    try:
        layers = safeio.parse_json(a.tobytes(), "its history layers", max_int_digits=MAX_INT_DIGITS, kind="checkpoints")
    except safeio.UnsafeFile as exc:
        raise CheckpointError(f"{where}: {exc}") from None
    if not isinstance(layers, list) or not all(isinstance(r, dict) for r in layers):
        raise CheckpointError(f"{where}: history layers is not a list of objects (one per epoch)")
    return layers


def _read_history(saved, arrays, where):
    """The History a checkpoint holds (its lists from the arrays file, or, in older checkpoints, the JSON)."""
    if saved.get("series") == "arrays":
        saved = dict(saved)
        for key in HISTORY_SERIES:
            a = arrays.get(f"history/{key}")
            if a is None or a.ndim != 1 or a.dtype.kind != "f":
                raise CheckpointError(f"{where}: history {key} is missing from the arrays or is not a list of numbers")
            saved[key] = [None if math.isnan(v) else v for v in a.tolist()]
        saved["layers"] = _read_layers(arrays, where)
    return History.from_dict(saved, f"{where}: history")


def new_run_problem(folder, replace=False, resume="trainer.load_checkpoint(folder)",
                    overwrite="Trainer(..., overwrite_checkpoint=True)", label=None, run="a new run"):
    """Why a new run must not write its checkpoints into `folder`, or None (it is missing, empty, or holds only what
    a checkpoint write that was cut short left). A checkpoint in it would be replaced (fine when `replace`): the
    line names what it holds and the ways on (`resume`, another folder, `overwrite`: as the caller spells them). A
    folder holding other files and no checkpoint is refused always: checkpoints are not written among a user's
    files. `label`: how the line names the folder (default 'checkpoint folder FOLDER'); `resume` None: continuing
    it is not offered (it holds another file's run); `run`: what would write there ('a new run', 'a resumed run')."""
    folder = require_path(folder, "checkpoint folder")
    label = label or f"checkpoint folder {folder}"
    if not os.path.isdir(folder):
        return None
    try:
        names = sorted(os.listdir(folder))
    except OSError as exc:
        return f"{label}: cannot list it: {exc.strerror or exc}"
    if META in names:
        if replace:
            return None
        try:
            held = checkpoint_summary(folder)
        except CheckpointError as exc:
            held = f"a checkpoint that cannot be read ({str(exc).split(': ', 1)[-1]})"
        ways = ([f"use {resume} to continue it"] if resume else []) + ["give another folder",
                                                                        f"{overwrite} to replace it"]
        return f"{label} holds {held}; {run} would replace it: " + ", ".join(ways[:-1]) + f", or {ways[-1]}"
    others = [n for n in names if not is_leftover(n)]
    if not others:
        return None
    shown = ", ".join(others[:3]) + (f" and {len(others) - 3} more" if len(others) > 3 else "")
    return (f"{label} is not empty and holds no checkpoint ({shown}); give a new or empty folder "
            f"(a checkpoint is never written among other files)")


def checkpoint_summary(folder):
    """'epoch 12 of samples/train_spiral.py with Adam (lr 0.01)': what the checkpoint in `folder` holds."""
    meta = _checked_meta(require_path(folder, "checkpoint folder"))
    settings = meta.get("settings") if isinstance(meta.get("settings"), dict) else {}
    made = f" of {meta['file']}" if isinstance(meta.get("file"), str) else ""
    opt = meta["optimizer"].get("type") or settings.get("optimizer") or "an unknown optimizer"
    lr = settings.get("lr")
    return f"epoch {meta['epoch']}{made} with {opt}" + (f" (lr {lr:g})" if isinstance(lr, float) else "")


def saved_file(folder):
    """The training file (as it was given) whose run the checkpoint in `folder` holds, or None when not recorded."""
    meta = _checked_meta(require_path(folder, "checkpoint folder"))
    return meta.get("file") if isinstance(meta.get("file"), str) else None


def schedule_state(schedule):
    """A gs.optim schedule as JSON, exactly (``{"type": "Exponential", "lr0": 0.5, "k": 0.1}``); None for none;
    ``{"repr": ...}`` for any other callable (which cannot be rebuilt or compared)."""
    if schedule is None:
        return None
    try:
        from ..optim import schedules
    except ImportError:
        schedules = None
    kind = type(schedule).__name__
    if schedules is not None and isinstance(schedule, schedules.Schedule) and getattr(schedules, kind, None) \
            is type(schedule):
        return {"type": kind, **{k: v for k, v in vars(schedule).items()}}
    return {"repr": repr(schedule)}


def read_settings(folder):
    """How the run saved in `folder` was trained: its settings (optimizer, lr, batch_size, reg, seed, shuffle,
    dtype, epochs (the total it was asked for), ...) plus ``"done"`` (the epochs finished) and ``"schedule"``
    (schedule_state's form). Reads checkpoint.json only (checked as read_checkpoint checks it)."""
    meta = _checked_meta(require_path(folder, "checkpoint folder"))
    settings = meta.get("settings")
    if not isinstance(settings, dict):
        raise CheckpointError(f"checkpoint {os.fspath(folder)}: 'settings' is missing or not an object")
    if "schedule" in meta:
        schedule = meta["schedule"]
    else:  # written before schedules were kept exactly: their repr only
        schedule = None if settings.get("schedule") is None else {"repr": settings["schedule"]}
    return {**settings, "done": meta["epoch"], "schedule": schedule}


#: The settings a resumed run must share with the run it continues, and how to read each off a trainer.
RESUMED_SETTINGS = {"batch_size": lambda t: t.batch_size, "reg": lambda t: t.reg, "seed": lambda t: t.seed,
                    "shuffle": lambda t: t.shuffle, "dtype": lambda t: t.dtype.name, "lr": lambda t: t.lr0,
                    "drop_last": lambda t: t.drop_last}


def same_setting(saved, given):
    """Equal settings; floats compare to 1e-12 (they went through JSON)."""
    if isinstance(saved, float) or isinstance(given, float):
        try:
            return math.isclose(float(saved), float(given), rel_tol=1e-12, abs_tol=0.0)
        except (TypeError, ValueError):
            return False
    return saved == given


def settings_differences(settings, trainer):
    """'batch_size 32 (this trainer: 64)' for each setting where `trainer` differs from the saved run."""
    out = []
    for key, read in RESUMED_SETTINGS.items():
        if key in settings and not same_setting(settings[key], read(trainer)):
            out.append(f"{key} {settings[key]!r} (this trainer: {read(trainer)!r})")
    saved, mine = settings.get("schedule", "unknown"), schedule_state(trainer.schedule)
    if saved != "unknown" and ((saved is None) != (mine is None) or (
            saved and mine and "repr" not in saved and "repr" not in mine and not _same_schedule(saved, mine))):
        out.append(f"schedule {schedule_text(saved)} (this trainer: {schedule_text(mine)})")
    return out


def schedule_text(state):
    """schedule_state's form, readable: 'exponential(lr0=0.5, k=0.1)', 'none'."""
    if state is None:
        return "none"
    if "repr" in state:
        return str(state["repr"])
    args = ", ".join(f"{k}={v!r}" for k, v in state.items() if k != "type")
    return f"{state.get('type', '?')}({args})"


def _same_schedule(a, b):
    return a.keys() == b.keys() and all(same_setting(a[k], b[k]) for k in a)


def _checked_meta(folder):
    """checkpoint.json of `folder`, parsed and checked for form."""
    path = os.path.join(folder, META)
    if os.path.exists(folder) and not os.path.isdir(folder):
        raise CheckpointError(f"checkpoint {folder}: is a file, not a checkpoint folder (a folder that "
                              f"--checkpoint DIR or Trainer(..., checkpoint=DIR) wrote)")
    if not os.path.isdir(folder):
        raise CheckpointError(f"checkpoint {folder}: no such folder")
    if not os.path.isfile(path):
        raise CheckpointError(f"checkpoint {folder}: no {META} in it (not a checkpoint folder, or none was "
                              f"written yet)")
    meta = _read_meta(path)
    if not isinstance(meta, dict) or meta.get("format") != FORMAT:
        raise CheckpointError(f"checkpoint {path}: not a graphscope checkpoint")
    if meta.get("version") != VERSION:
        raise CheckpointError(f"checkpoint {path}: format version {meta.get('version')!r}; this graphscope "
                              f"reads version {VERSION}")
    for key, kind, words in (("arrays", str, "a file name"), ("sha256", str, "a checksum text"),
                             ("epoch", int, "a whole number"), ("params", list, "a list"),
                             ("optimizer", dict, "a mapping"), ("rng", dict, "a mapping"),
                             ("history", dict, "a mapping")):
        if not isinstance(meta.get(key), kind) or isinstance(meta.get(key), bool):
            raise CheckpointError(f"checkpoint {path}: '{key}' is missing or not {words}")
    if meta["epoch"] < 0:
        raise CheckpointError(f"checkpoint {path}: 'epoch' is {meta['epoch']}; it counts finished epochs (0 or more)")
    for i, p in enumerate(meta["params"]):
        if not isinstance(p, dict):
            raise CheckpointError(f"checkpoint {path}: 'params'[{i}] is not an object")
    if not isinstance(meta.get("nodes", []), list):
        raise CheckpointError(f"checkpoint {path}: 'nodes' is not a list")
    if not isinstance(meta.get("schedule"), (dict, type(None))):
        raise CheckpointError(f"checkpoint {path}: 'schedule' is not an object")
    return meta


def read_checkpoint(folder):
    """(meta dict, arrays dict) of a checkpoint folder, checked for form and integrity."""
    folder = require_path(folder, "checkpoint folder")
    meta = _checked_meta(folder)
    path = os.path.join(folder, META)
    name = meta["arrays"]
    if os.path.basename(name) != name or not name.endswith(".npz"):
        raise CheckpointError(f"checkpoint {path}: bad arrays file name {name!r}")
    try:
        with open(os.path.join(folder, name), "rb") as f:
            data = f.read()
    except OSError as exc:
        raise CheckpointError(f"checkpoint {folder}: cannot read {name}: {exc.strerror or exc}") from None
    if hashlib.sha256(data).hexdigest() != meta["sha256"]:
        raise CheckpointError(f"checkpoint {folder}: {name} does not match {META} (damaged or replaced)")
    arrays = _read_arrays(data, f"checkpoint {folder}: {name}")
    _check_epoch_count(meta, arrays, path)
    return meta, arrays


def _check_epoch_count(meta, arrays, path):
    """'epoch' must be the number of epochs the history holds (an edited one would resume from nowhere)."""
    lr = arrays.get("history/lr") if meta["history"].get("series") == "arrays" else meta["history"].get("lr")
    if lr is None:
        return   # said by the history's own reader
    if len(lr) != meta["epoch"]:
        raise CheckpointError(f"checkpoint {path}: 'epoch' is {meta['epoch']} but its history holds "
                              f"{plural(len(lr), 'epoch')} (edited or damaged); it cannot be resumed")


def _read_meta(path):
    """checkpoint.json, parsed within bounds (size, nesting, digits)."""
    try:
        size = os.path.getsize(path)
        if size > MAX_META_BYTES:
            raise CheckpointError(f"checkpoint {path}: {size} bytes, more than a checkpoint's settings and "
                                  f"history ever take ({MAX_META_BYTES} bytes)")
        with open(path, "rb") as f:
            raw = f.read()
    except OSError as exc:
        raise CheckpointError(f"checkpoint {path}: cannot read it: {exc.strerror or exc}") from None
    try:
        return safeio.parse_json(raw, "it", max_int_digits=MAX_INT_DIGITS, kind="checkpoints")
    except safeio.UnsafeFile as exc:
        raise CheckpointError(f"checkpoint {path}: {exc}") from None


def model_fingerprint(params):
    """[(name, shape)] of the parameters an optimizer updates, in order: what a checkpoint must match."""
    out = []
    for p in params:
        if isinstance(p, dict):  # a checkpoint's 'params' entry
            out.append((p.get("name"), tuple(p.get("shape") or ()) if isinstance(p.get("shape"), list) else None))
        else:
            out.append((p.name, tuple(np.shape(p.value))))
    return out


def model_problem(saved, params, graph=None):
    """Why the parameters `saved` in a checkpoint do not fit the model's `params` (names, shapes, order), or None.

    The batch-norm-bias hint is given only when that is the whole difference: the checkpoint has exactly
    some X.b the model lacks, and each such X.W feeds a batch norm in `graph`.
    """
    saved, mine = model_fingerprint(saved), model_fingerprint(params)
    if saved == mine:
        return None
    names_saved, names_mine = [n for n, _ in saved], [n for n, _ in mine]
    extra = [str(n) for n in names_saved if n not in names_mine]
    lacking = [n for n in names_mine if n not in names_saved]
    if not extra and not lacking and len(saved) == len(mine):
        if sorted(map(str, names_saved)) == sorted(names_mine) and names_saved != names_mine:
            return (f"it was saved from another model: the same parameters in another order "
                    f"({', '.join(map(str, names_saved))}; this model: {', '.join(names_mine)})")
        shapes = [f"{n} {_shape(a)} (this model: {_shape(b)})" for (n, a), (_, b) in zip(saved, mine) if a != b]
        return "it was saved from another model: shapes differ: " + "; ".join(shapes)
    text = (f"it was saved from another model: it holds {len(saved)} parameters, this model has {len(mine)}"
            if len(saved) != len(mine) else "it was saved from another model")
    if extra:
        text += f" (only the checkpoint has {', '.join(extra)}" + (f"; only this model has {', '.join(lacking)})"
                                                                   if lacking else ")")
    elif lacking:
        text += f" (only this model has {', '.join(lacking)})"
    if not lacking and extra and graph is not None and all(_bias_before_batchnorm(graph, n) for n in extra):
        text += f". {bias_before_batchnorm_hint(extra, names_mine)} It cannot be resumed: start a new run."
    return text


def _shape(shape):
    return "?" if shape is None else str(shape)


def _bias_before_batchnorm(graph, name):
    """True when `name` is 'X.b' and the model's X.W (with no X.b) goes through a matmul into a batch norm."""
    if not name.endswith(".b"):
        return False
    weights = [p for p in graph.params if p.name == name[:-2] + ".W"]
    if len(weights) != 1:
        return False
    return any(user.op == "batch_norm" for op in graph.consumers(weights[0]) for user in graph.consumers(op))


def hyper_differences(saved, mine):
    """'alpha 0.99 (this optimizer: 0.9)' for each hyperparameter the saved optimizer had another value of."""
    if not isinstance(saved, dict) or not isinstance(mine, dict):
        return []
    out = []
    for key in sorted(set(saved) | set(mine)):
        a, b = saved.get(key), mine.get(key)
        if isinstance(a, (list, tuple)) and isinstance(b, (list, tuple)):
            same = len(a) == len(b) and all(same_setting(x, y) for x, y in zip(a, b))
        else:
            same = same_setting(a, b)
        if not same:
            out.append(f"{key} {_hyper_text(a)} (this optimizer: {_hyper_text(b)})")
    return out


def _hyper_text(v):
    if isinstance(v, (list, tuple)):
        return "(" + ", ".join(_hyper_text(x) for x in v) + ")"
    return "none" if v is None else f"{v:g}" if isinstance(v, float) else str(v)


def _read_arrays(data, where):
    """The arrays of an .npz held in `data`: every member's declared shape is checked before numpy allocates."""
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as z:
            names = z.namelist()
            for member in names:
                if not member.endswith(".npy"):
                    raise safeio.UnsafeFile(f"{member} is not an .npy array")
                safeio.check_npy(z, member, len(data))
        with np.load(io.BytesIO(data), allow_pickle=False) as npz:
            return {k: npz[k] for k in npz.files}
    except safeio.UnsafeFile as exc:
        raise CheckpointError(f"{where}: {exc}") from None
    except Exception as exc:  # a damaged zip: zipfile and numpy raise many kinds
        raise CheckpointError(f"{where}: not a readable .npz archive ({safeio.describe(exc)})") from None


def load_checkpoint(trainer, folder):
    """Restore `trainer` from `folder`: parameters, optimizer state, history, epoch, RNG state."""
    meta, arrays = read_checkpoint(folder)
    where = f"checkpoint {os.fspath(folder)}"
    values = _read_params(meta, arrays, trainer.params, trainer.graph, where)
    opt = dict(meta["optimizer"])
    names = opt.pop("state_names", [])
    if opt.get("type") not in (None, type(trainer.optimizer).__name__,
                               trainer.optimizer.state_dict().get("type")):
        raise CheckpointError(f"{where}: saved with optimizer {opt.get('type')}, loaded into "
                              f"{type(trainer.optimizer).__name__}")
    live = trainer.optimizer.state_dict()
    if set(opt) != set(live) - {"state"} or type(opt.get("hyper")) is not type(live.get("hyper")):
        raise CheckpointError(f"{where}: its optimizer entry holds {', '.join(sorted(opt)) or 'nothing'}; "
                              f"{type(trainer.optimizer).__name__} keeps {', '.join(sorted(set(live) - {'state'}))}")
    differ = hyper_differences(opt.get("hyper"), live.get("hyper"))
    if differ:
        raise CheckpointError(f"{where}: saved by {opt.get('type')} with " + "; ".join(differ) + ". Resuming goes on "
                              f"with the saved run's optimizer: make it with the saved values (or start a new run)")
    state = []
    for i, keys in enumerate(names):
        entry = {}
        for k in keys:
            a = arrays.get(f"optimizer/{i}/{k}")
            if a is None:
                raise CheckpointError(f"{where}: optimizer state {k} of parameter {i} is missing from the arrays")
            entry[k] = a
        state.append(entry)
    opt["state"] = state
    opt = _shaped_like(opt, trainer.optimizer.state_dict())
    try:
        rng = np.random.default_rng()
        rng.bit_generator.state = meta["rng"]
    except (TypeError, ValueError, KeyError) as exc:
        raise CheckpointError(f"{where}: bad RNG state ({exc})") from None
    history = _read_history(meta["history"], arrays, where)
    node_attrs = _read_node_state(trainer.graph, meta.get("nodes", []), arrays, where)
    if isinstance(meta.get("settings"), dict):
        differ = settings_differences({**meta["settings"], "schedule": meta.get("schedule", "unknown")}, trainer)
        if differ:
            raise CheckpointError(f"{where}: saved by a run with other settings: " + "; ".join(differ) +
                                  ". Resuming goes on with the saved run's settings (only epochs, the total, may "
                                  "grow): make the Trainer with those (gs.train.checkpoint.read_settings(folder))")
    # everything checked: now change the trainer
    trainer.optimizer.load_state_dict(opt)
    _put_weights(trainer.params, values, node_attrs)
    trainer.rng = rng
    trainer.history = history
    trainer.epoch = int(meta["epoch"])
    return meta


class LoadedWeights(dict):
    """What load_weights put into a graph: the checkpoint's meta ('epoch', 'file', 'settings', 'params', ...) as
    a dict, shown in one line (``<weights of ck/ after epoch 6 (digits.py): 8 parameters ...>``)."""

    def __init__(self, meta, folder, params, nodes):
        super().__init__(meta)
        self.folder, self.params, self.nodes = os.fspath(folder), params, nodes

    def __repr__(self):
        of = f" ({self['file']})" if isinstance(self.get("file"), str) else ""
        names = ", ".join(self.params[:4]) + (", ..." if len(self.params) > 4 else "")
        state = f" and the state of {plural(self.nodes, 'batch-norm or dropout node')}" if self.nodes else ""
        return (f"<weights of {self.folder} after epoch {self.get('epoch')}{of}: {plural(len(self.params), 'parameter')}"
                f" ({names}){state} loaded; predictions: gs.train.predict(loss, x)>")

    __str__ = __repr__
    _repr_pretty_ = pretty_as_str


def load_weights(graph, folder):
    """Put the trained parameters and the state of the batch-norm and dropout nodes (running averages, masks drawn)
    that the checkpoint in `folder` holds into `graph` (or the graph of the loss tensor), the graph its training
    file builds; returns a LoadedWeights: the checkpoint's meta ('epoch', 'file', ...) as a dict, shown in one line.
    What a trained model is exported from: no optimizer, settings or history is read. The model is checked as
    load_checkpoint checks it (parameter names and shapes, layer settings); the arrays are matched to the graph's
    parameters in order (the checkpoint keys them param/0, param/1, ... and lists their names in meta['params']).
    Then ``gs.train.predict(graph, x)`` gives the class scores of new examples."""
    graph = require_graph(graph)
    meta, arrays = read_checkpoint(folder)
    where = f"checkpoint {os.fspath(folder)}"
    values = _read_params(meta, arrays, graph.params, graph, where)
    node_attrs = _read_node_state(graph, meta.get("nodes", []), arrays, where)
    dtype = (meta.get("settings") or {}).get("dtype")
    if dtype in ("float32", "float64"):
        _cast_leaves(graph, np.dtype(dtype))
    _put_weights(graph.params, values, node_attrs)
    return LoadedWeights(meta, folder, [p.name for p in graph.params], len(node_attrs))


def _cast_leaves(graph, dtype):
    """Bring every array leaf (parameters, inputs, constants) to the `dtype` the model was trained in, as the
    trainer does before training (batch-norm averages and masks keep theirs, as in training)."""
    for leaf in graph.leaves:
        v = leaf.value
        if isinstance(v, np.ndarray) and v.dtype.kind == "f" and v.dtype != dtype:
            leaf._value = v.astype(dtype)  # a new dtype: the value setter keeps the old one
            leaf.grad = None


def _read_params(meta, arrays, params, graph, where):
    """The checkpoint's parameter arrays, in the order of `params` (the model's), each checked against its own."""
    saved = meta["params"]
    problem = model_problem(saved, params, graph)
    if problem:
        raise CheckpointError(f"{where}: {problem}")
    values = []
    for i, (p, s) in enumerate(zip(params, saved)):
        a = arrays.get(f"param/{i}")
        if a is None:
            raise CheckpointError(f"{where}: parameter {i} ({s.get('name')}) is missing from the arrays")
        if tuple(a.shape) != tuple(np.shape(p.value)):
            raise CheckpointError(f"{where}: parameter {s.get('name')} has shape {tuple(a.shape)} but {p.name} "
                                  f"has shape {tuple(np.shape(p.value))}")
        if a.dtype.kind != "f":
            raise CheckpointError(f"{where}: parameter {s.get('name')} holds {a.dtype}, not floats")
        values.append(a)
    return values


def _put_weights(params, values, node_attrs):
    """Write checked parameter `values` into `params` (in place) and lay the saved node attributes over the live."""
    for p, a in zip(params, values):
        if isinstance(p.value, np.ndarray):
            np.copyto(p.value, a, casting="unsafe")  # in place: whoever holds the array sees the restored one
            changed((p,))  # values computed from the old one are stale (engine.staleness)
        else:
            p.value = float(a)
    for node, attrs in node_attrs:
        merge_node_attrs(node, attrs)  # the file holds the attributes it can write: the others stay as they are


def _save_node_state(trainer, arrays):
    """The attributes of the stateful nodes: numbers in the JSON, arrays in `arrays`."""
    out = []
    for i, node in enumerate(stateful_nodes(trainer.graph)):
        plain, kept = {}, []
        for k, v in node.attrs.items():
            if isinstance(v, np.ndarray):
                arrays[f"node/{i}/{k}"] = v
                kept.append(k)
            elif v is None or isinstance(v, (bool, int, float, str, np.number, np.bool_)):
                plain[k] = _jsonable(v)
        out.append({"op": node.op, "name": node.name, "attrs": plain, "arrays": kept})
    return out


def _read_node_state(graph, saved, arrays, where):
    """[(node, saved attrs)] for the stateful nodes, checked against the graph (laid over the live attributes by
    merge_node_attrs)."""
    nodes = stateful_nodes(graph)
    if not isinstance(saved, list) or len(saved) != len(nodes):
        raise CheckpointError(f"{where}: holds the state of {len(saved) if isinstance(saved, list) else '?'} "
                              f"dropout/batch-norm nodes but the graph has {len(nodes)}")
    out, differ = [], []
    for i, (node, s) in enumerate(zip(nodes, saved)):
        if not isinstance(s, dict) or s.get("op") != node.op:
            raise CheckpointError(f"{where}: stateful node {i} was op {s.get('op') if isinstance(s, dict) else '?'}, "
                                  f"the graph's is {node.name} (op {node.op})")
        attrs = dict(s.get("attrs") or {})
        differ += _layer_setting_differences(node, attrs)
        for k in s.get("arrays") or []:
            a = arrays.get(f"node/{i}/{k}")
            if a is None:
                raise CheckpointError(f"{where}: {k} of {node.name} is missing from the arrays")
            now = node.attrs.get(k)
            if k in OWNED_ARRAYS.get(node.op, ()) and (not isinstance(now, np.ndarray) or a.shape != now.shape
                                                       or a.dtype.kind != "f"):
                raise CheckpointError(f"{where}: {k} of {node_label(node)} holds {a.dtype} of shape {a.shape}; the model's "
                                      f"is {array_text(now)}")
            attrs[k] = a
        out.append((node, attrs))
    if differ:
        raise CheckpointError(f"{where}: it was saved from another model: " + "; ".join(differ) + ". A checkpoint "
                              f"brings back the state of its layers (running averages, the dropout masks drawn), "
                              f"never their settings: build the model with the checkpoint's, or start a new run")
    return out


#: The settings of stateful layers a checkpoint records but must not change: a model built with others is another.
LAYER_SETTINGS = {"dropout": ("p",), "batch_norm": ("eps", "momentum")}
_LAYER_WORDS = {"dropout": "dropout", "batch_norm": "batch norm"}


def _layer_setting_differences(node, saved):
    """'dropout p 0.2 in the checkpoint, 0.5 here (drop1's dropout_10)' for each setting of `node` that differs
    from the `saved` attributes (a checkpoint that lacks one says nothing of it)."""
    out = []
    for key in LAYER_SETTINGS.get(node.op, ()):
        if key in saved and key in node.attrs and not same_setting(saved[key], node.attrs[key]):
            out.append(f"{_LAYER_WORDS[node.op]} {key} {_hyper_text(saved[key])} in the checkpoint, "
                       f"{_hyper_text(node.attrs[key])} here ({node_label(node)})")
    return out


def _shaped_like(saved, live):
    """JSON turns tuples (Adam's betas) into lists: give them back the live optimizer's form."""
    if isinstance(saved, dict) and isinstance(live, dict):
        return {k: _shaped_like(v, live[k]) if k in live else v for k, v in saved.items()}
    if isinstance(saved, list) and isinstance(live, tuple):
        return tuple(saved)
    return saved


def _jsonable(d):
    """Numbers, strings, lists and dicts of them; numpy scalars and small arrays become plain values."""
    if isinstance(d, dict):
        return {str(k): _jsonable(v) for k, v in d.items()}
    if isinstance(d, (list, tuple)):
        return [_jsonable(v) for v in d]
    if isinstance(d, np.ndarray):
        return d.tolist()
    if isinstance(d, np.generic):
        return d.item()
    if d is None or isinstance(d, (bool, int, float, str)):
        return d
    return repr(d)
