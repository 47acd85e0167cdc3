"""The checks ``Model`` makes on the datasets it is given, kept out of ``model.py``'s loops: the column
count against the cell the batches are fed to (before anything compiles), empty datasets and epochs,
and the one warning at the first non-finite training loss (saying whether that step's batch had NaN/Inf).
"""

import inspect
import logging

import numpy as np

logger = logging.getLogger("minispore")

_POSITIONAL = (inspect.Parameter.POSITIONAL_ONLY, inspect.Parameter.POSITIONAL_OR_KEYWORD)


def _construct_inputs(cell):
    """(min, max, parameter names) of ``cell.construct``'s positional inputs (max None: ``*args``), or None
    when the signature cannot be read. ``cell`` is an instance or a Cell class (then ``self`` is dropped)."""
    try:
        params = list(inspect.signature(cell.construct).parameters.values())
    except (TypeError, ValueError):
        return None
    if isinstance(cell, type):
        params = params[1:]
    positional = [p for p in params if p.kind in _POSITIONAL]
    required = sum(1 for p in positional if p.default is inspect.Parameter.empty)
    varargs = any(p.kind is inspect.Parameter.VAR_POSITIONAL for p in params)
    names = [p.name for p in positional] + [f"*{p.name}" for p in params if p.kind is inspect.Parameter.VAR_POSITIONAL]
    return required, None if varargs else len(positional), names


def check_columns(dataset, cell, where, arg, hint=""):
    """Raise a ValueError before the first step when ``dataset``'s columns cannot be ``cell``'s inputs
    (each batch is fed as ``cell(*columns)``); a mismatch would otherwise surface as a TypeError from the
    Python call deep inside tracing. A construct taking ``*args`` accepts any count and is not checked."""
    get_names = getattr(dataset, "get_col_names", None)
    inputs = _construct_inputs(cell)
    if get_names is None or inputs is None:
        return
    names = list(get_names())
    lo, hi, params = inputs
    if lo <= len(names) and (hi is None or len(names) <= hi):
        return
    cls = cell.__name__ if isinstance(cell, type) else type(cell).__name__
    count = str(lo) if lo == hi else (f"at least {lo}" if hi is None else f"{lo} to {hi}")
    cols = "column" if len(names) == 1 else "columns"
    noun = "input" if count == "1" else "inputs"
    raise ValueError(f"For '{where}', the dataset '{arg}' gives {len(names)} {cols} {names} but {cls}.construct "
                     f"takes {count} {noun} ({', '.join(params)}){hint}. Select or reorder the columns with "
                     f"dataset.project([...]), or change the network's construct.")


def check_size(dataset, where, arg):
    """A dataset of 0 rows/batches (empty source, ``batch(drop_remainder=True)`` dropping every row) is an
    error: training or evaluating it would silently do nothing (MindSpore's message for Model.train)."""
    size = dataset.get_dataset_size()
    if size == 0:
        raise ValueError(f"For '{where}', there is no valid data in the dataset '{arg}' (its get_dataset_size() is "
                         f"0), please check dataset file firstly: an empty source, or batch(drop_remainder=True) "
                         f"with batch_size larger than the number of rows, gives no batch.")
    return size


def empty_epoch_error(where, arg, epoch, size):
    """The dataset said it has ``size`` batches, yet this epoch produced none (a source whose __len__ is wrong,
    or a one-pass iterator already used up): stop instead of silently running epochs of zero steps."""
    return ValueError(f"For '{where}', the dataset '{arg}' produced no batch in epoch {epoch}, although its "
                      f"get_dataset_size() is {size}: check the source (its __len__, or an iterator that can only be "
                      f"read once).")


def _non_finite_columns(batch, names):
    bad = []
    for i, value in enumerate(batch):
        arr = np.asarray(value.asnumpy() if hasattr(value, "asnumpy") else value)
        if np.issubdtype(arr.dtype, np.inexact) and not np.isfinite(arr).all():
            bad.append(names[i] if i < len(names) else f"column {i}")
    return bad


def warn_non_finite_loss(outputs, batch, cb, step_in_epoch):
    """Log one WARNING when a training step's loss is NaN/Inf (MindSpore trains on; LossMonitor raises), and
    return True when it did. Only then is the step's batch checked, so finite steps cost one scalar test.
    A loss-scale step that reported overflow skipped its update by design, so it is not reported."""
    loss = outputs
    if isinstance(outputs, (tuple, list)):
        if len(outputs) > 1 and hasattr(outputs[1], "asnumpy") and bool(np.asarray(outputs[1].asnumpy()).any()):
            return False
        loss = outputs[0]
    if not hasattr(loss, "asnumpy"):
        return False
    value = np.asarray(loss.asnumpy())
    if not np.issubdtype(value.dtype, np.inexact) or np.isfinite(value).all():
        return False
    dataset = cb.get("train_dataset")
    names = dataset.get_col_names() if hasattr(dataset, "get_col_names") else []
    bad = _non_finite_columns(batch, names)
    cause = (f"the input batch of that step contains NaN/Inf in column(s) {bad}: clean the data" if bad else
             "the input batch of that step is finite, so the training diverged (e.g. a learning rate too high, "
             "a log or division of 0)")
    logger.warning("Model.train: the loss is %s at epoch %d, step %d (global step %d); %s. Training goes on and the "
                   "parameters are likely non-finite from here: attach LossMonitor to stop at a NaN/Inf loss. "
                   "(This is reported once per run.)", value.reshape(-1)[0] if value.size else value,
                   cb.get("cur_epoch_num", 0), step_in_epoch, cb.get("cur_step_num", 0), cause)
    return True
