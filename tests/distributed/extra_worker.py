"""One rank of the second data-parallel check (``mpiexec -n 2 python extra_worker.py OUT_DIR``), run by
test_data_parallel.py:

* row-sparse gradients: an ``nn.Embedding`` net (its gradient is a RowTensor) with LazyAdam, 2 ranks on half
  batches, gives the losses and parameters of 1 process on the full batches (rtol 1e-5): the RowTensor is all-gathered;
* ``Model.train`` refuses ranks with different steps per epoch, naming both counts, on every rank;
* per-rank folders: a ModelCheckpoint into ``OUT_DIR/rank_{id}`` saves on every rank, one into ``OUT_DIR/shared``
  on rank 0 only; log lines carry ``[rank R]``.
Rank 0 prints EXTRA-OK at the end.
"""

import logging
import os
import sys

import numpy as np
from mpi4py import MPI

import minispore as ms
from minispore import nn, ops
from minispore.communication import get_group_size, get_rank, init

RTOL = 1e-5
V, E, L, BATCH, STEPS = 11, 4, 3, 8, 3


class EmbeddingNet(nn.Cell):
    """pred[b] = sum_l table[ids[b, l]] . w + bias (the table's gradient is a RowTensor)."""

    def __init__(self):
        super().__init__()
        self.emb = nn.Embedding(V, E)
        self.fc = nn.Dense(E, 1)

    def construct(self, ids):
        return ops.reshape(self.fc(self.emb(ids)), (-1, L)).sum(axis=1)


def sparse_data():
    rng = np.random.default_rng(3)
    ids = rng.integers(0, V, (BATCH * STEPS, L)).astype(np.int32)
    ids[:, 0] = 2  # a row every sample reads: repeated indices within and across the ranks
    return ids, rng.standard_normal(BATCH * STEPS).astype(np.float32)


def run_sparse(dataset, seed):
    ms.set_seed(seed)
    net = EmbeddingNet()
    step = nn.TrainOneStepCell(nn.WithLossCell(net, nn.MSELoss()), nn.LazyAdam(net.trainable_params(), 0.05))
    losses = [float(step(i, y).asnumpy()) for i, y in dataset.create_tuple_iterator(num_epochs=1)]
    return np.array(losses), {p.name: p.asnumpy() for p in net.trainable_params()}, step


def check_row_sparse(comm):
    rank, size = get_rank(), get_group_size()
    ids, y = sparse_data()
    ms.reset_auto_parallel_context()
    ref_losses, ref, _ = run_sparse(ms.dataset.NumpySlicesDataset((ids, y), shuffle=False).batch(BATCH), 5)
    ms.set_auto_parallel_context(parallel_mode="data_parallel", gradients_mean=True)
    shard = ms.dataset.NumpySlicesDataset((ids, y), shuffle=False, num_shards=size, shard_id=rank)
    losses, mine, step = run_sparse(shard.batch(BATCH // size), 5 + rank)
    assert "AllGather" in str(step.compiled_graph()), "the RowTensor gradient was not gathered"
    assert "FusedSparseLazyAdam" in str(step.compiled_graph()), "the gathered gradient is not row-sparse"
    np.testing.assert_allclose(comm.allreduce(losses) / size, ref_losses, rtol=RTOL, err_msg="sparse losses")
    for name, value in mine.items():
        np.testing.assert_allclose(value, ref[name], rtol=RTOL, atol=1e-7, err_msg=f"{name} (LazyAdam, sparse)")
        assert all(np.array_equal(value, o) for o in comm.allgather(value)), f"{name} differs between ranks"
    ms.reset_auto_parallel_context()


def check_step_counts():
    """Rank 1 has one batch fewer: Model.train refuses on every rank before the first step."""
    rank = get_rank()
    ms.set_auto_parallel_context(parallel_mode="data_parallel", gradients_mean=True)
    net = nn.Dense(3, 1)
    rows = 8 if rank == 0 else 6
    data = ms.dataset.NumpySlicesDataset((np.ones((rows, 3), np.float32), np.ones((rows, 1), np.float32)),
                                         shuffle=False).batch(2)
    try:
        ms.Model(net, nn.MSELoss(), nn.Momentum(net.trainable_params(), 0.1, 0.9)).train(1, data)
    except ValueError as err:
        assert "rank 1 has 3" in str(err) and "rank 0 has 4" in str(err), str(err)
    else:
        raise AssertionError("Model.train ran with different step counts per rank")
    ms.reset_auto_parallel_context()


def check_per_rank_folders(out):
    rank = get_rank()
    ms.set_auto_parallel_context(parallel_mode="data_parallel", gradients_mean=True)
    net = nn.Dense(3, 1)
    data = ms.dataset.NumpySlicesDataset((np.ones((4, 3), np.float32), np.ones((4, 1), np.float32)),
                                         shuffle=False).batch(2)
    per_rank = ms.train.ModelCheckpoint("net", os.path.join(out, f"rank_{rank}"))
    shared = ms.train.ModelCheckpoint("net", os.path.join(out, "shared"))
    assert per_rank.per_rank and not shared.per_rank
    ms.Model(net, nn.MSELoss(), nn.Momentum(net.trainable_params(), 0.1, 0.9)).train(
        1, data, callbacks=[per_rank, shared])
    MPI.COMM_WORLD.Barrier()
    assert any(f.endswith(".ckpt") for f in os.listdir(os.path.join(out, f"rank_{rank}"))), f"rank {rank} saved none"
    if rank == 0:  # rank 1 wrote nothing there (else its files would be 'net_1-...' beside rank 0's)
        assert sorted(os.listdir(os.path.join(out, "shared"))) == sorted(os.listdir(os.path.join(out, "rank_0")))
    logging.getLogger("minispore").warning("a line from the worker")  # the test finds "[rank 1] a line ..."
    ms.reset_auto_parallel_context()


def main():
    init()
    comm = MPI.COMM_WORLD
    logging.getLogger("minispore").setLevel(logging.WARNING)
    check_row_sparse(comm)
    check_step_counts()
    check_per_rank_folders(sys.argv[1])
    comm.Barrier()
    if get_rank() == 0:
        print("EXTRA-OK", flush=True)


if __name__ == "__main__":
    main()
