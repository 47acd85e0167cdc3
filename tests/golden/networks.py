"""The networks the golden cases were recorded with, written as a MindSpore user would."""

import os
import sys

import numpy as np

from minispore import Parameter, Tensor, nn, ops

# LeNet-5 is the example's network (examples/lenet.py, MindSpore's tutorial), as the golden case recorded.
sys.path.insert(0, os.path.join(os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__)))),
                                "examples"))
from lenet import LeNet5  # noqa: E402


class SeedNet(nn.Cell):
    def __init__(self):
        super().__init__()
        self.matmul = ops.MatMul()
        self.conv = nn.Conv2d(1, 6, 5, pad_mode="valid")
        self.param = Parameter(Tensor(np.array([1.0], np.float32)))

    def construct(self, x):
        return self.conv(x)


class BatchNormNet(nn.Cell):
    def __init__(self):
        super().__init__()
        self.conv = nn.Conv2d(1, 4, 3, pad_mode="valid", has_bias=True)
        self.bn = nn.BatchNorm2d(4)
        self.relu = nn.ReLU()
        self.flatten = nn.Flatten()
        self.fc = nn.Dense(4 * 6 * 6, 3)

    def construct(self, x):
        return self.fc(self.flatten(self.relu(self.bn(self.conv(x)))))


class TinyMLP(nn.Cell):
    """Dense(8,16) -> ReLU -> Dense(16,4): the smallest MLP (the GPU simulator's tests)."""

    def __init__(self):
        super().__init__()
        self.fc1 = nn.Dense(8, 16)
        self.fc2 = nn.Dense(16, 4)
        self.relu = nn.ReLU()

    def construct(self, x):
        return self.fc2(self.relu(self.fc1(x)))


class MLP(nn.Cell):
    """The case's notes: Dense(32,64) -> ReLU -> Dense(64,32) -> ReLU -> Dense(32,10)."""

    def __init__(self):
        super().__init__()
        self.fc1 = nn.Dense(32, 64)
        self.fc2 = nn.Dense(64, 32)
        self.fc3 = nn.Dense(32, 10)
        self.relu = nn.ReLU()

    def construct(self, x):
        x = self.relu(self.fc1(x))
        x = self.relu(self.fc2(x))
        return self.fc3(x)


NETWORKS = {"lenet5": LeNet5, "seed_net": SeedNet, "batchnorm2d_net": BatchNormNet,
            "lenet5_momentum_graph": LeNet5, "mlp_adam_wd_cosine_decay": MLP}
