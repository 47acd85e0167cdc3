"""One rank of the data-parallel check, run as ``mpiexec -n 2 python dp_worker.py`` by test_data_parallel.py.

Every rank trains a small MLP on its shard of each batch (NumpySlicesDataset with num_shards/shard_id) and
compares, step by step, the mean of the ranks' losses and the final parameters with one process training on
the full batches (run in this same process in stand-alone mode: no reducer in its graph), rtol 1e-5. Each
rank starts from different initial weights (seeded by rank), so only the broadcast from rank 0 makes the
runs agree. The parameters must then be bitwise identical on every rank. Any failure raises, and the
communication module's fault hook aborts the whole job with the rank's name; rank 0 prints DP-OK at the end.
"""

import numpy as np
from mpi4py import MPI

import minispore as ms
from minispore import nn
from minispore.communication import get_group_size, get_rank, init

RTOL = 1e-5
STEPS = 3
BATCH = 8  # the full batch; every rank trains on BATCH / size rows of it


class MLP(nn.Cell):
    def __init__(self):
        super().__init__()
        self.fc1 = nn.Dense(5, 7)
        self.fc2 = nn.Dense(7, 3)
        self.relu = nn.ReLU()

    def construct(self, x):
        return self.fc2(self.relu(self.fc1(x)))


def data():
    rng = np.random.default_rng(7)
    x = rng.standard_normal((BATCH * STEPS, 5)).astype(np.float32)
    y = rng.standard_normal((BATCH * STEPS, 3)).astype(np.float32)
    return x, y


def make_step(optimizer, loss_scale, seed):
    ms.set_seed(seed)
    net = MLP()
    opt = {"momentum": lambda p: nn.Momentum(p, 0.05, 0.9), "adam": lambda p: nn.Adam(p, 0.01)}[optimizer](
        net.trainable_params())
    with_loss = nn.WithLossCell(net, nn.MSELoss())
    if loss_scale is None:
        return net, nn.TrainOneStepCell(with_loss, opt)
    update = nn.FixedLossScaleUpdateCell(1024.0) if loss_scale == "fixed" else \
        nn.DynamicLossScaleUpdateCell(2.0 ** 12, 2.0, 2)
    return net, nn.TrainOneStepWithLossScaleCell(with_loss, opt, update)


def train(step, dataset):
    losses = []
    for x, y in dataset.create_tuple_iterator(num_epochs=1):
        out = step(x, y)
        losses.append(float((out[0] if isinstance(out, tuple) else out).asnumpy()))
    return np.array(losses)


def params_of(net):
    return {p.name: p.asnumpy() for p in net.trainable_params()}


def check_case(optimizer, loss_scale, comm):
    rank, size = get_rank(), get_group_size()
    x, y = data()
    ms.reset_auto_parallel_context()  # the single-process reference: no reducer
    ref_net, ref_step = make_step(optimizer, loss_scale, seed=100)  # rank 0's weights
    ref_losses = train(ref_step, ms.dataset.NumpySlicesDataset((x, y), shuffle=False).batch(BATCH))
    ms.set_auto_parallel_context(parallel_mode=ms.ParallelMode.DATA_PARALLEL, gradients_mean=True)
    net, step = make_step(optimizer, loss_scale, seed=100 + rank)  # different weights until the broadcast
    assert step.grad_reducer is not None
    shard = ms.dataset.NumpySlicesDataset((x, y), shuffle=False, num_shards=size, shard_id=rank)
    losses = train(step, shard.batch(BATCH // size))
    mean_losses = comm.allreduce(losses, op=MPI.SUM) / size  # each rank's loss is the mean over its half
    what = f"{optimizer}, loss scale {loss_scale}"
    np.testing.assert_allclose(mean_losses, ref_losses, rtol=RTOL, err_msg=f"losses ({what})")
    mine, ref = params_of(net), params_of(ref_net)
    for name, value in mine.items():
        np.testing.assert_allclose(value, ref[name], rtol=RTOL, atol=1e-7, err_msg=f"{name} ({what})")
        others = comm.allgather(value)
        assert all(np.array_equal(value, o) for o in others), f"{name} differs between ranks ({what})"
    ms.reset_auto_parallel_context()


def check_model_train(comm):
    """Model.train inserts the reducer too (through TrainOneStepCell), broadcasts before the first step, and runs
    LossMonitor on rank 0 only."""
    rank, size = get_rank(), get_group_size()
    x, y = data()
    ms.reset_auto_parallel_context()
    ms.set_seed(100)  # rank 0's weights
    ref_net = MLP()
    ms.Model(ref_net, nn.MSELoss(), nn.Momentum(ref_net.trainable_params(), 0.05, 0.9)).train(
        1, ms.dataset.NumpySlicesDataset((x, y), shuffle=False).batch(BATCH))
    ms.set_auto_parallel_context(parallel_mode="data_parallel", gradients_mean=True)
    ms.set_seed(100 + rank)
    net = MLP()
    ms.Model(net, nn.MSELoss(), nn.Momentum(net.trainable_params(), 0.05, 0.9)).train(
        1, ms.dataset.NumpySlicesDataset((x, y), shuffle=False, num_shards=size, shard_id=rank).batch(BATCH // size),
        callbacks=[ms.train.LossMonitor()])  # rank 0 only: the test counts STEPS loss lines
    ref = params_of(ref_net)
    for name, value in params_of(net).items():
        np.testing.assert_allclose(value, ref[name], rtol=RTOL, atol=1e-7, err_msg=f"{name} (Model.train)")
        assert all(np.array_equal(value, o) for o in comm.allgather(value)), f"{name} differs between ranks"
    ms.reset_auto_parallel_context()


def check_overflow_on_one_rank(optimizer, comm):
    """One huge sample in step 2's batch overflows the gradients of the rank holding it only: the reduced overflow
    flag makes every rank skip that step (and halve the dynamic scale) together, as one process on the full batch
    does, so the parameters and the scale still match it and agree across the ranks."""
    rank, size = get_rank(), get_group_size()
    x, y = data()
    x[BATCH + 1] = 1e30  # in step 2 (rows BATCH .. 2 BATCH - 1)
    ms.reset_auto_parallel_context()
    ref_net, ref_step = make_step(optimizer, "dynamic", seed=100)
    ref_losses = train(ref_step, ms.dataset.NumpySlicesDataset((x, y), shuffle=False).batch(BATCH))
    ms.set_auto_parallel_context(parallel_mode=ms.ParallelMode.DATA_PARALLEL, gradients_mean=True)
    net, step = make_step(optimizer, "dynamic", seed=100 + rank)
    shard = ms.dataset.NumpySlicesDataset((x, y), shuffle=False, num_shards=size, shard_id=rank).batch(BATCH // size)
    mine = any((b[0].asnumpy() > 1e29).any() for b in shard.create_tuple_iterator(num_epochs=1))
    assert comm.allreduce(int(mine)) == 1, "the huge sample must reach one rank only"
    losses = train(step, shard)
    assert not np.isfinite(ref_losses[1]) and np.isfinite(np.delete(ref_losses, 1)).all()
    assert comm.allreduce(int(np.isfinite(losses[1]))) == size - 1  # only that rank's own loss overflowed
    scale = float(step.scale_sense.asnumpy().reshape(-1)[0])
    assert scale == float(ref_step.scale_sense.asnumpy().reshape(-1)[0]) == 2.0 ** 11, scale  # halved once
    assert comm.allgather(scale) == [scale] * size
    ref = params_of(ref_net)
    for name, value in params_of(net).items():
        np.testing.assert_allclose(value, ref[name], rtol=RTOL, atol=1e-7, err_msg=f"{name} (overflow, {optimizer})")
        assert all(np.array_equal(value, o) for o in comm.allgather(value)), f"{name} differs between ranks"
    ms.reset_auto_parallel_context()


class FlagCell(nn.Cell):
    def __init__(self, reducer):
        super().__init__()
        self.reducer = reducer

    def construct(self, flag):
        return self.reducer.reduce_flag(flag)


def check_overflow_flag():
    """One rank's overflow is every rank's: all skip the step together."""
    reducer = nn.DistributedGradReducer([ms.Parameter(np.zeros(2, np.float32), name="w")])
    flag = ms.Tensor(np.array(get_rank() == 1))
    assert bool(FlagCell(reducer)(flag).asnumpy()), "the overflow flag of rank 1 did not reach every rank"
    assert not bool(FlagCell(reducer)(ms.Tensor(np.array(False))).asnumpy())


def main():
    init()
    comm = MPI.COMM_WORLD
    assert get_group_size() == comm.Get_size() == 2 and get_rank() == comm.Get_rank()
    for optimizer in ("momentum", "adam"):
        for loss_scale in (None, "fixed", "dynamic"):
            check_case(optimizer, loss_scale, comm)
        check_overflow_on_one_rank(optimizer, comm)
    check_model_train(comm)
    check_overflow_flag()
    comm.Barrier()
    if get_rank() == 0:
        print("DP-OK", flush=True)


if __name__ == "__main__":
    main()
