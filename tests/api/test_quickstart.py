"""MindSpore's quick-start train/test loop (function + has_aux + optimizer) on a synthetic dataset, and the
lines scripts rely on: LossMonitor's full-precision loss, Model.eval's dict, TimeMonitor's epoch line."""

import re

import numpy as np

import minispore
from minispore import nn
from minispore.dataset import NumpySlicesDataset
from minispore.train import LossMonitor, Model, TimeMonitor


def _dataset(n=96, batch=32, seed=0):
    rng = np.random.default_rng(seed)
    images = rng.random((n, 1, 28, 28), dtype=np.float32)
    labels = (images.reshape(n, -1)[:, :10].argmax(1)).astype(np.int32)
    return NumpySlicesDataset((images, labels), column_names=["image", "label"], shuffle=False).batch(batch)


class Network(nn.Cell):
    def __init__(self):
        super().__init__()
        self.flatten = nn.Flatten()
        self.dense_relu_sequential = nn.SequentialCell(
            nn.Dense(28 * 28, 64), nn.ReLU(), nn.Dense(64, 64), nn.ReLU(), nn.Dense(64, 10))

    def construct(self, x):
        x = self.flatten(x)
        return self.dense_relu_sequential(x)


def test_quickstart_loop(capsys):
    minispore.set_seed(0)
    model = Network()
    loss_fn = nn.CrossEntropyLoss()
    optimizer = nn.SGD(model.trainable_params(), 1e-2)

    def forward_fn(data, label):
        logits = model(data)
        loss = loss_fn(logits, label)
        return loss, logits

    grad_fn = minispore.value_and_grad(forward_fn, None, optimizer.parameters, has_aux=True)

    def train_step(data, label):
        (loss, _), grads = grad_fn(data, label)
        optimizer(grads)
        return loss

    def train(model, dataset):
        size = dataset.get_dataset_size()
        model.set_train()
        for batch, (data, label) in enumerate(dataset.create_tuple_iterator()):
            loss = train_step(data, label)
            if batch % 100 == 0:
                loss, current = loss.asnumpy(), batch
                print(f"loss: {loss:>7f}  [{current:>3d}/{size:>3d}]")

    def test(model, dataset, loss_fn):
        num_batches = dataset.get_dataset_size()
        model.set_train(False)
        total, test_loss, correct = 0, 0, 0
        for data, label in dataset.create_tuple_iterator():
            pred = model(data)
            total += len(data)
            test_loss += loss_fn(pred, label).asnumpy()
            correct += (pred.argmax(1) == label).asnumpy().sum()
        test_loss /= num_batches
        correct /= total
        print(f"Test: \n Accuracy: {(100*correct):>0.1f}%, Avg loss: {test_loss:>8f} \n")
        return test_loss

    before = test(model, _dataset(seed=1), loss_fn)
    for t in range(3):
        print(f"Epoch {t+1}\n-------------------------------")
        train(model, _dataset())
    after = test(model, _dataset(seed=1), loss_fn)
    out = capsys.readouterr().out
    assert re.search(r"loss: \d\.\d{6}  \[  0/  3\]", out)
    assert re.search(r"Test: \n Accuracy: \d+\.\d%, Avg loss: \d\.\d{6} \n", out)
    assert after < before


def test_printed_lines_match_mindspore(capsys):
    minispore.set_seed(0)
    net = Network()
    model = Model(net, nn.CrossEntropyLoss(), nn.Momentum(net.trainable_params(), 0.01, 0.9), metrics={"accuracy"})
    model.train(1, _dataset(), callbacks=[LossMonitor(1), TimeMonitor()])
    result = model.eval(_dataset(seed=1))
    print(result)
    lines = capsys.readouterr().out.splitlines()
    # MindSpore: print("epoch: %s step: %s, loss is %s" % (epoch, step, float(np.mean(loss))))
    losses = [ln for ln in lines if ln.startswith("epoch: ")]
    assert len(losses) == 3
    for step, ln in enumerate(losses, 1):
        m = re.fullmatch(rf"epoch: 1 step: {step}, loss is (\S+)", ln)
        assert m and float(m.group(1)) > 0 and len(m.group(1)) > 9  # repr of a Python float: full precision
    assert any(re.fullmatch(r"Train epoch time: \d+\.\d{3} ms, per step time: \d+\.\d{3} ms", ln) for ln in lines)
    assert re.fullmatch(r"\{'accuracy': \d\.\d+\}", lines[-1])
