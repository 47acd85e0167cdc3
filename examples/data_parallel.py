"""Data-parallel training over MPI: LeNet-5 on MNIST-format data, each rank on its shard, as in MindSpore's
distributed tutorial with ``mindspore`` -> ``minispore``.

    pip install 'minispore[distributed]'            # mpi4py and the mpich wheel (which brings mpiexec)
    mpiexec -n 2 python examples/data_parallel.py [--data DIR] [--epochs 1] [--global-batch 64]
    python examples/data_parallel.py               # the same script alone: a world of one

Every rank reads 1/N of each epoch (``num_shards``/``shard_id``) in batches of global_batch / N; the
gradients are summed over the ranks in fused buckets and divided by N (``gradients_mean=True``), so N ranks
take the same steps as one process on the global batch. Only rank 0 prints the loss and the accuracy.
Without --data every rank writes the same synthetic data (same seed) to its own temporary folder.
"""

import argparse
import tempfile

from lenet import LeNet5, create_dataset, synthetic_mnist

import minispore as ms
from minispore import nn
from minispore.communication import get_group_size, get_rank, init
from minispore.train import LossMonitor, Model


def main():
    ap = argparse.ArgumentParser(description="Data-parallel LeNet-5 with minispore over MPI")
    ap.add_argument("--data", help="folder with MNIST IDX files (default: synthetic data)")
    ap.add_argument("--epochs", type=int, default=1)
    ap.add_argument("--global-batch", type=int, default=64, help="rows per step over all ranks")
    args = ap.parse_args()

    init()
    rank, size = get_rank(), get_group_size()
    if args.global_batch % size:
        raise SystemExit(f"--global-batch {args.global_batch} is not divisible by the {size} ranks")
    ms.set_auto_parallel_context(parallel_mode=ms.ParallelMode.DATA_PARALLEL, gradients_mean=True)
    ms.set_seed(1)  # the same shuffle on every rank (the weights come from rank 0 anyway)
    data_dir = args.data or synthetic_mnist(tempfile.mkdtemp(prefix=f"mnist_rank{rank}_"))

    net = LeNet5()
    opt = nn.Momentum(net.trainable_params(), learning_rate=0.02, momentum=0.9)  # lenet.py's 0.01 at twice its batch
    model = Model(net, nn.SoftmaxCrossEntropyWithLogits(sparse=True, reduction="mean"), opt, metrics={"accuracy"})
    # this rank's shard (MindSpore's DistributedSampler over the shuffled epoch: one seed on every rank, so the
    # shards are disjoint and cover it)
    train = create_dataset(data_dir, "train", args.global_batch // size, num_shards=size, shard_id=rank)
    model.train(args.epochs, train, callbacks=[LossMonitor(per_print_times=20)])
    metrics = model.eval(create_dataset(data_dir, "test", batch_size=256))  # every rank has the same weights
    if rank == 0:
        print(f"{size} rank(s), global batch {args.global_batch}: {metrics}", flush=True)


if __name__ == "__main__":
    main()
