"""What the training loop does differently on each rank: which callbacks run, the rank in log lines, and the
checks before the first step (the same parameters and the same number of steps on every rank).

* Callbacks that report or save what every rank has (the loss of its shard, the same parameters) run on rank 0
  only, so N ranks do not print N progress lines or write N checkpoints into one folder. MindSpore's per-rank
  folders are the option: a ``ModelCheckpoint`` whose directory names this rank (a path component
  ``rank_{id}``, ``rank{id}`` or ending in ``_{id}``, as MindSpore's tutorials write
  ``"./ckpt_" + str(get_rank())``) saves on every rank, each into its own folder.
* Log lines of the ``minispore`` logger carry ``[rank R]`` in a job of several ranks (MindSpore's logs are
  per rank too: ``rank_{id}`` log folders), so interleaved output says who wrote what.
"""

import logging
import os
import re

from ...graph.session import SESSION

# callbacks that run on rank 0 only unless they ask for per-rank output (``per_rank``)
RANK_ZERO_CALLBACKS = ("LossMonitor", "ModelCheckpoint", "ProgressBar", "TimeMonitor", "SummaryCollector")
_LOGGER = logging.getLogger("minispore")


def _rank_and_size():
    world = SESSION.communicator
    return (0, 1) if world is None else (world.rank, world.size)


def names_rank(directory, rank=None):
    """Whether a path component of ``directory`` names ``rank`` (this process's by default): ``rank_{id}``,
    ``rank{id}``, or a name ending in ``_{id}`` / ``-{id}`` (``ckpt_1``)."""
    rank = _rank_and_size()[0] if rank is None else rank
    pattern = re.compile(rf"(?:rank_?|.*[_-]){rank}")
    return any(pattern.fullmatch(part) for part in os.path.normpath(directory).split(os.sep) if part)


def callbacks_of_this_rank(callbacks):
    """The user's callbacks that this rank runs: all on rank 0; elsewhere those not in RANK_ZERO_CALLBACKS,
    and those that save per rank (``per_rank`` true: a ModelCheckpoint into a folder naming the rank)."""
    rank, _ = _rank_and_size()
    if rank == 0 or callbacks is None:
        return callbacks
    if not isinstance(callbacks, (list, tuple)):
        callbacks = [callbacks]
    return [c for c in callbacks if type(c).__name__ not in RANK_ZERO_CALLBACKS or getattr(c, "per_rank", False)]


def check_same_steps(steps, where="Model.train"):
    """Raise ValueError on every rank unless every rank runs ``steps`` steps per epoch: a rank with fewer
    batches would stop sending its gradients and the others would wait in the next all-reduce forever. One
    small all-gather of the counts, before the first step."""
    world = SESSION.communicator
    if world is None or world.size == 1:
        return
    counts = world.comm.allgather(int(steps))
    if len(set(counts)) > 1:
        lo, hi = counts.index(min(counts)), counts.index(max(counts))
        raise ValueError(f"For '{where}', every rank must run the same number of steps per epoch, but rank {lo} "
                         f"has {counts[lo]} and rank {hi} has {counts[hi]} (all ranks: {counts}): shard the "
                         "dataset with num_shards/shard_id so the shards are equal (drop_remainder=True in batch)")


def prepare_ranks(train_network, steps, where="Model.train"):
    """Before the first step of data-parallel training: the same step count everywhere, then rank 0's
    parameters (and optimizer state) on every rank."""
    if getattr(train_network, "grad_reducer", None) is not None:
        check_same_steps(steps, where)
    if hasattr(train_network, "sync_parameters"):
        train_network.sync_parameters()


class RankFilter(logging.Filter):
    """Prefixes ``[rank R] `` to every record of the ``minispore`` logger."""

    def __init__(self, rank):
        super().__init__()
        self.rank = rank

    def filter(self, record):
        if not getattr(record, "_rank_prefixed", False):
            record.msg = f"[rank {self.rank}] {record.msg}"
            record._rank_prefixed = True
        return True


def install_rank_logging(rank):
    remove_rank_logging()
    _LOGGER.addFilter(RankFilter(rank))


def remove_rank_logging():
    for f in [f for f in _LOGGER.filters if isinstance(f, RankFilter)]:
        _LOGGER.removeFilter(f)
