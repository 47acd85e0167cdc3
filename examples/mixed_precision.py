"""Mixed precision: LeNet-5 at ``amp_level="O2"`` (float16 network, BatchNorm kept float32) with a dynamic
loss scale, as in MindSpore's optimizer guide, with ``mindspore`` -> ``minispore``.

    python examples/mixed_precision.py [--data DIR] [--epochs 2] [--level O2]

Without --data it trains on the synthetic MNIST-format data of examples/lenet.py. Each step prints the
loss, the loss scale and whether the step overflowed (and so was skipped).
"""

import argparse
import tempfile

from lenet import create_dataset, synthetic_mnist

import minispore as ms
from minispore import nn
from minispore.train import Accuracy, Callback, DynamicLossScaleManager, Model


class LeNet5BN(nn.Cell):
    """LeNet-5 with BatchNorm after each convolution (the black-listed layer O2 keeps in float32)."""

    def __init__(self, num_class=10):
        super().__init__()
        self.conv1 = nn.Conv2d(1, 6, 5, pad_mode="valid")
        self.bn1 = nn.BatchNorm2d(6)
        self.conv2 = nn.Conv2d(6, 16, 5, pad_mode="valid")
        self.bn2 = nn.BatchNorm2d(16)
        self.fc1 = nn.Dense(16 * 5 * 5, 120)
        self.fc2 = nn.Dense(120, 84)
        self.fc3 = nn.Dense(84, num_class)
        self.relu = nn.ReLU()
        self.max_pool2d = nn.MaxPool2d(kernel_size=2, stride=2)
        self.flatten = nn.Flatten()

    def construct(self, x):
        x = self.max_pool2d(self.relu(self.bn1(self.conv1(x))))
        x = self.max_pool2d(self.relu(self.bn2(self.conv2(x))))
        x = self.flatten(x)
        x = self.relu(self.fc1(x))
        x = self.relu(self.fc2(x))
        return self.fc3(x)


class ScaleMonitor(Callback):
    """Prints loss, loss scale and overflow every ``every`` steps (``net_outputs`` is (loss, overflow, scale))."""

    def __init__(self, every):
        self.every = every

    def step_end(self, run_context):
        args = run_context.original_args()
        if args.cur_step_num % self.every == 0:
            loss, overflow, scale = args.net_outputs
            print(f"step {args.cur_step_num}: loss {float(loss.asnumpy()):.4f}, loss scale {float(scale.asnumpy()):g}, "
                  f"overflow {bool(overflow.asnumpy())}")


def main():
    ap = argparse.ArgumentParser(description="LeNet-5 with mixed precision and dynamic loss scaling")
    ap.add_argument("--data", help="folder with MNIST IDX files (default: synthetic data)")
    ap.add_argument("--epochs", type=int, default=2)
    ap.add_argument("--level", default="O2", choices=["O0", "O1", "O2", "O3"])
    args = ap.parse_args()

    ms.set_seed(1)
    data_dir = args.data or synthetic_mnist(tempfile.mkdtemp(prefix="minispore-mnist-"))
    train_ds, test_ds = create_dataset(data_dir, "train"), create_dataset(data_dir, "test")
    net = LeNet5BN()
    loss = nn.SoftmaxCrossEntropyWithLogits(sparse=True, reduction="mean")
    opt = nn.Momentum(net.trainable_params(), learning_rate=0.01, momentum=0.9)
    manager = DynamicLossScaleManager(init_loss_scale=2**16, scale_factor=2, scale_window=50)
    model = Model(net, loss, opt, metrics={"accuracy": Accuracy()}, amp_level=args.level,
                  loss_scale_manager=manager)
    model.train(args.epochs, train_ds, callbacks=[ScaleMonitor(max(1, train_ds.get_dataset_size() // 4))])
    print("eval:", model.eval(test_ds))


if __name__ == "__main__":
    main()
