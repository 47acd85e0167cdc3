"""Run by test_checkpoint_resume.py in a fresh process:
``resume_worker.py NET MODE STEPS CKPT OUT``: MODE is ``save`` (train STEPS steps from the seeded
initial values, then save CKPT) or ``resume`` (load CKPT into a fresh cell, then train STEPS steps from
where the save left off) or ``straight`` (train STEPS steps); OUT (.npz) gets the losses and every
Parameter of the training cell."""

import os
import sys

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

import minispore as ms  # noqa: E402
from minispore import Tensor, nn  # noqa: E402

from golden.networks import LeNet5  # noqa: E402


class DropoutMLP(nn.Cell):
    def __init__(self):
        super().__init__()
        self.fc1 = nn.Dense(32, 64)
        self.drop = nn.Dropout(p=0.3)
        self.fc2 = nn.Dense(64, 10)
        self.relu = nn.ReLU()

    def construct(self, x):
        return self.fc2(self.drop(self.relu(self.fc1(x))))


def build(kind):
    ms.set_seed(7)
    net = LeNet5() if kind == "lenet" else DropoutMLP()
    opt = nn.Adam(net.trainable_params(), learning_rate=0.01)
    train = nn.TrainOneStepCell(nn.WithLossCell(net, nn.SoftmaxCrossEntropyWithLogits(sparse=True,
                                                                                       reduction="mean")), opt)
    train.set_train()
    return train


def batch(kind, step):
    rng = np.random.default_rng(1000 + step)
    shape = (4, 1, 32, 32) if kind == "lenet" else (8, 32)
    x = rng.standard_normal(shape).astype(np.float32)
    y = rng.integers(0, 10, shape[0]).astype(np.int32)
    return Tensor(x), Tensor(y)


def main(kind, mode, steps, ckpt, out):
    train = build(kind)
    start = 0
    if mode == "resume":
        params = ms.load_checkpoint(ckpt)
        not_loaded, unused = ms.load_param_into_net(train, params)
        assert not_loaded == [] and unused == [], (not_loaded, unused)
        start = int(params["global_step"].asnumpy()[0])
    losses = [float(train(*batch(kind, start + i)).asnumpy()) for i in range(steps)]
    if mode == "save":
        ms.save_checkpoint(train, ckpt)
    np.savez(out, losses=np.array(losses, np.float32),
             **{"p:" + p.name: p.asnumpy() for p in train.get_parameters()})


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2], int(sys.argv[3]), sys.argv[4], sys.argv[5])
