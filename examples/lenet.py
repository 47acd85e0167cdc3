"""Train LeNet-5 on MNIST-format data: MindSpore's LeNet tutorial with ``mindspore`` -> ``minispore``.

    python examples/lenet.py [--data DIR] [--epochs 2] [--device CPU|Ascend] [--sink-size N] [--ckpt-dir DIR]
                             [--resume FILE]

DIR holds the MNIST IDX files (train-images-idx3-ubyte, train-labels-idx1-ubyte, t10k-...). Without
--data the script writes a small synthetic MNIST-format dataset (ten noisy stroke patterns, one per
digit) to a temporary folder, so it runs on a machine with no network.

--ckpt-dir saves a checkpoint at the end of every epoch (``lenet-<epoch>_<step>.ckpt``, the last three
kept): parameters, momentum, global_step and learning rate. --resume FILE loads one into the training
network and continues with the epoch after the one it was saved in (the dataset's shuffle order is not
in the checkpoint, so the batches of a resumed epoch differ from an uninterrupted run's).
"""

import argparse
import os
import tempfile

import numpy as np

import minispore as ms
import minispore.dataset as ds
from minispore import nn
from minispore.train import Accuracy, CheckpointConfig, LossMonitor, Model, ModelCheckpoint, TimeMonitor


class LeNet5(nn.Cell):
    """LeNet-5 as in MindSpore's tutorial (Conv2d has no bias by default)."""

    def __init__(self, num_class=10, num_channel=1):
        super().__init__()
        self.conv1 = nn.Conv2d(num_channel, 6, 5, pad_mode="valid")
        self.conv2 = nn.Conv2d(6, 16, 5, pad_mode="valid")
        self.fc1 = nn.Dense(16 * 5 * 5, 120)
        self.fc2 = nn.Dense(120, 84)
        self.fc3 = nn.Dense(84, num_class)
        self.relu = nn.ReLU()
        self.max_pool2d = nn.MaxPool2d(kernel_size=2, stride=2)
        self.flatten = nn.Flatten()

    def construct(self, x):
        x = self.max_pool2d(self.relu(self.conv1(x)))
        x = self.max_pool2d(self.relu(self.conv2(x)))
        x = self.flatten(x)
        x = self.relu(self.fc1(x))
        x = self.relu(self.fc2(x))
        return self.fc3(x)


def write_idx(path, array):
    """Write ``array`` (uint8) in MNIST's IDX format."""
    header = bytes([0, 0, 0x08, array.ndim]) + b"".join(int(d).to_bytes(4, "big") for d in array.shape)
    with open(path, "wb") as f:
        f.write(header + array.astype(np.uint8).tobytes())


def synthetic_mnist(folder, train=6144, test=1024, seed=0):
    """Ten fixed random stroke patterns (one per class) plus noise and jitter, as 28x28 uint8 images."""
    rng = np.random.default_rng(seed)
    patterns = (rng.random((10, 28, 28)) > 0.8).astype(np.float32)
    for name, n in (("train", train), ("t10k", test)):
        labels = rng.integers(0, 10, n)
        shifts = rng.integers(-2, 3, (n, 2))
        images = np.stack([np.roll(patterns[c], tuple(s), axis=(0, 1)) for c, s in zip(labels, shifts)])
        images = np.clip(images * 255 + rng.normal(0, 30, images.shape), 0, 255)
        write_idx(os.path.join(folder, f"{name}-images-idx3-ubyte"), images)
        write_idx(os.path.join(folder, f"{name}-labels-idx1-ubyte"), labels)
    return folder


def create_dataset(data_dir, usage, batch_size=32, num_shards=None, shard_id=None):
    """MNIST rows -> float32 (1, 32, 32) in [0, 1] (padded from 28x28) and int32 labels, batched; with
    ``num_shards``/``shard_id`` one rank's shard (examples/data_parallel.py)."""
    data = ds.MnistDataset(data_dir, usage=usage, shuffle=usage == "train", num_shards=num_shards, shard_id=shard_id)
    data = data.map(lambda img: np.pad(img[:, :, 0].astype(np.float32) / 255.0, 2)[None], input_columns="image")
    data = data.map(lambda label: label.astype(np.int32), input_columns="label")
    return data.batch(batch_size, drop_remainder=True)


def main():
    ap = argparse.ArgumentParser(description="Train LeNet-5 with minispore")
    ap.add_argument("--data", help="folder with MNIST IDX files (default: synthetic data)")
    ap.add_argument("--epochs", type=int, default=2)
    ap.add_argument("--device", "--target", dest="device", default="CPU", choices=["CPU", "GPU", "Ascend"],
                    help="device target: CPU, or Ascend (Ascend 910 simulated on the CPU)")
    ap.add_argument("--sink-size", type=int, default=-1,
                    help="with a device target that has a dataset sink (Ascend): steps per sink")
    ap.add_argument("--ckpt-dir", help="save a checkpoint here at the end of every epoch")
    ap.add_argument("--resume", help="a checkpoint to resume from (written by --ckpt-dir)")
    args = ap.parse_args()

    ms.set_context(mode=ms.GRAPH_MODE, device_target=args.device)
    ms.set_seed(1)
    data_dir = args.data or synthetic_mnist(tempfile.mkdtemp(prefix="minispore-mnist-"))
    train_ds = create_dataset(data_dir, "train")
    test_ds = create_dataset(data_dir, "test")

    net = LeNet5()
    loss = nn.SoftmaxCrossEntropyWithLogits(sparse=True, reduction="mean")
    opt = nn.Momentum(net.trainable_params(), learning_rate=0.01, momentum=0.9)
    model = Model(net, loss, opt, metrics={"accuracy": Accuracy()})
    steps = train_ds.get_dataset_size()
    callbacks = [LossMonitor(max(1, steps // 4)), TimeMonitor()]
    if args.ckpt_dir:
        config = CheckpointConfig(save_checkpoint_steps=steps, keep_checkpoint_max=3, append_info=["epoch_num"])
        callbacks.append(ModelCheckpoint(prefix="lenet", directory=args.ckpt_dir, config=config))
    initial_epoch = 0
    if args.resume:
        saved = ms.load_checkpoint(args.resume)
        initial_epoch = int(saved.pop("epoch_num").asnumpy())
        ms.load_param_into_net(model.train_network, saved)
        print(f"resumed from {args.resume} after epoch {initial_epoch}")
    model.train(args.epochs, train_ds, callbacks=callbacks, initial_epoch=initial_epoch,
                dataset_sink_mode=args.device != "CPU", sink_size=args.sink_size)
    print("eval:", model.eval(test_ds))


if __name__ == "__main__":
    main()
