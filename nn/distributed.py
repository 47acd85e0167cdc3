"""``nn.DistributedGradReducer`` and the parameter broadcast of data-parallel training.

Every rank computes the gradients of its shard of the batch; the reducer makes them the gradients of the
whole batch, inside the compiled step. MindSpore's algorithm, per gradient g_r of rank r (R ranks)::

    g = cast(sum_r cast(g_r, float32), dtype(g_r))          mean=False
    g = cast(sum_r cast(g_r, float32) * (1 / degree), dtype(g_r))   mean=True (degree = R by default)

so with a loss that is a mean over the batch and R equal shards, mean=True gives exactly the gradient of
the full batch's loss. The sums are ``AllReduce`` host launches (ops/collective.py) on fused buckets: the
gradients are packed into buckets (``plan_buckets``: by the context's ``comm_fusion``/
``all_reduce_fusion_config``), each bucket packed in parameter-name order, so every rank sends the same
bytes in the same order whatever order its graph computed them in; one MPI message per bucket. Each bucket's
message is non-blocking (``AllReduceStart``/``AllReduceWait``, ops/collective_async.py), started as soon as
its last gradient exists and waited on before the optimizer reads it (graph/passes/overlap.py).

A row-sparse gradient (``RowTensor``: ``nn.Embedding`` with LazyAdam, FTRL, ProximalAdagrad)
is gathered instead of summed (``gather_row_sparse``): the rows of every rank, concatenated.
"""

import numpy as np

from .. import ops
from ..graph import dtype as mstype
from ..graph.cell import Cell
from ..graph.session import SESSION
from ..graph.tensor import Tensor
from ..ops.collective import GROUP_WORLD
from ..ops.row_tensor import RowTensor

MB = 1 << 20
DATA_PARALLEL = "data_parallel"


def parallel_setting(key, default):
    """A value of the auto-parallel context (runtime.communication fills ``SESSION.parallel``)."""
    return SESSION.parallel.get(key, default)


def group_size():
    world = SESSION.communicator
    return 1 if world is None else world.size


def plan_buckets(names, nbytes, fusion, fusion_type=1):
    """The gradient buckets: a list of lists of parameter indices, each list in name order.

    ``fusion`` is the context's ``comm_fusion['allreduce']``: mode 'index' splits the parameters (in their
    order) at the indices of ``config``; 'auto'/'size' walk the parameters in name order and start a new
    bucket before one would exceed ``config`` MB (0 MB: one gradient per bucket). ``fusion_type=0``: no
    fusion, one gradient per bucket."""
    if len(set(names)) != len(names):
        dup = sorted({n for n in names if names.count(n) > 1})
        raise ValueError(f"For 'DistributedGradReducer', the parameter names must be unique (the gradient buckets "
                         f"are ordered by name on every rank), but {dup} repeat")
    by_name = sorted(range(len(names)), key=lambda i: names[i])
    if fusion_type == 0:
        return [[i] for i in by_name]
    if fusion["mode"] == "index":
        bounds = [0] + [i for i in fusion["config"] if 0 < i < len(names)] + [len(names)]
        groups = [set(range(a, b)) for a, b in zip(bounds, bounds[1:]) if b > a]
        return [[i for i in by_name if i in g] for g in groups]
    limit = float(fusion["config"]) * MB
    buckets, size = [], 0
    for i in by_name:
        if not buckets or size + nbytes[i] > limit:
            buckets.append([])
            size = 0
        buckets[-1].append(i)
        size += nbytes[i]
    return buckets


class DistributedGradReducer(Cell):
    """``nn.DistributedGradReducer(parameters, mean=None, degree=None, fusion_type=1, group=WORLD_COMM_GROUP)``.

    ``reducer(grads) -> grads`` all-reduces the gradients of ``parameters`` (in their order) across the ranks
    (see the module docstring). ``mean=None`` reads ``gradients_mean`` from the auto-parallel context;
    ``degree=None`` is the context's ``device_num`` when set, else the group size. ``fusion_type=1`` fuses
    the gradients into the context's buckets, ``0`` reduces each on its own."""

    def __init__(self, parameters, mean=None, degree=None, fusion_type=1, group=GROUP_WORLD):
        super().__init__(auto_prefix=False)
        if mean is None:
            mean = parallel_setting("gradients_mean", False)
        if not isinstance(mean, bool):
            raise TypeError(f"For 'DistributedGradReducer', the 'mean' must be bool, but got {type(mean).__name__}")
        if degree is not None and (isinstance(degree, bool) or not isinstance(degree, int) or degree <= 0):
            raise ValueError(f"For 'DistributedGradReducer', degree must be a positive integer, but got {degree}")
        if fusion_type not in (0, 1) or isinstance(fusion_type, bool):
            raise ValueError(f"For 'DistributedGradReducer', fusion_type must be 1 (fused buckets) or 0 (one "
                             f"all-reduce per gradient), but got {fusion_type!r}")
        if group != GROUP_WORLD:
            raise ValueError(f"For 'DistributedGradReducer', minispore has one communication group, "
                             f"{GROUP_WORLD!r}, but got {group!r}")
        params = list(parameters)
        self.mean, self.fusion_type = mean, fusion_type
        object.__setattr__(self, "_degree", degree)
        object.__setattr__(self, "_names", [p.name for p in params])
        object.__setattr__(self, "_shapes", [tuple(p.shape) for p in params])
        nbytes = [int(np.prod(s, dtype=np.int64)) * 4 for s in self._shapes]  # float32 on the wire
        fusion = parallel_setting("comm_fusion", {"allreduce": {"mode": "auto", "config": 64}})["allreduce"]
        object.__setattr__(self, "buckets", plan_buckets(self._names, nbytes, fusion, fusion_type))

    @property
    def degree(self):
        """The divisor of ``mean``: the one given, else the context's ``device_num`` when set, else the group
        size, read when the step is traced (so a reducer built before ``init()`` still divides by the world)."""
        if self._degree is not None:
            return self._degree
        return parallel_setting("device_num", 1) if parallel_setting("device_num_is_set", False) else group_size()

    def construct(self, grads):
        grads = tuple(grads)
        if len(grads) != len(self._names):
            raise ValueError(f"For 'DistributedGradReducer', expected {len(self._names)} gradients (one per "
                             f"parameter), but got {len(grads)}")
        out = [None] * len(grads)
        scale = Tensor(np.float32(1.0 / self.degree)) if self.mean else None
        for i, g in enumerate(grads):
            if isinstance(g, RowTensor):
                out[i] = gather_row_sparse(g, scale)
        # one non-blocking all-reduce per bucket of dense gradients: started here, and moved by the
        # overlap_collectives pass to just after the bucket's last gradient; waited on before the optimizer
        pending = []
        for bucket in self.buckets:
            dense = [i for i in bucket if out[i] is None]
            if dense:
                token = ops.all_reduce_start([ops.cast(grads[i], mstype.float32) for i in dense])
                pending.append((dense, token))
        for dense, token in pending:
            sizes = [int(np.prod(self._shapes[i], dtype=np.int64)) for i in dense]
            summed = ops.all_reduce_wait(token, (sum(sizes),) if len(dense) > 1 else self._shapes[dense[0]],
                                         np.float32)
            offset = 0
            for i, size in zip(dense, sizes):
                g = summed if len(dense) == 1 else ops.reshape(ops.slice(summed, [offset], [size]), self._shapes[i])
                offset += size
                if scale is not None:
                    g = g * scale
                out[i] = ops.cast(g, grads[i].dtype)
        return tuple(out)

    def reduce_flag(self, flag):
        """A bool flag true on any rank, on every rank (the loss-scale overflow: all ranks skip together):
        sum_r cast(flag_r, float32) > 0."""
        total = ops.all_reduce(ops.cast(flag, mstype.float32))
        return ops.greater(total, Tensor(np.float32(0)))


def gather_row_sparse(grad, scale=None):
    """A row-sparse gradient of the whole batch (MindSpore's RowTensor all-gather): the indices and the values
    of every rank concatenated in rank order, ``indices = concat_r(indices_r)``, ``values = concat_r(values_r)``
    (times ``scale`` = 1/degree for the mean). Its dense value is ``sum_r dense(grad_r)`` (scaled): repeated
    rows add up in the optimizer's sparse rule as they do within one rank."""
    values = ops.all_gather(ops.cast(grad.values, mstype.float32))
    if scale is not None:
        values = values * scale
    return RowTensor(ops.all_gather(grad.indices), ops.cast(values, grad.values.dtype), grad.dense_shape)


def broadcast_parameters(params, root=0):
    """Overwrite every Parameter in ``params`` with rank ``root``'s value (one message: their bytes packed in
    name order). Run on the host before the first step; nothing happens in a world of one."""
    world = SESSION.communicator
    if world is None or world.size == 1:
        return
    params = sorted(params, key=lambda p: p.name)
    arrays = [np.ascontiguousarray(p.asnumpy()) for p in params]
    packed = np.concatenate([a.reshape(-1).view(np.uint8) for a in arrays]) if arrays else np.zeros(0, np.uint8)
    world.broadcast(packed, root)
    offset = 0
    for p, a in zip(params, arrays):
        value = packed[offset:offset + a.nbytes].view(a.dtype).reshape(a.shape)
        offset += a.nbytes
        p.set_data(value.copy())


__all__ = ["DistributedGradReducer"]
