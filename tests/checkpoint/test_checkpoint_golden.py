"""The golden checkpoint case (tests/data/golden/checkpoint, written by MindSpore 2.10): load MindSpore's
.ckpt through the public API, resume a fresh TrainOneStepCell(LeNet-5, Momentum) from it, and check the
losses and final parameters; a file saved here is byte-identical to MindSpore's."""

import os

import numpy as np
import pytest

import minispore as ms
from minispore import Tensor, nn

from golden.helpers import GOLDEN, array, case_files, load
from golden.networks import LeNet5

FILES = case_files("checkpoint")


def _ckpt(case):
    return os.path.join(GOLDEN, "checkpoint", case["inputs"]["ckpt_file"])


def _train_cell(case):
    net = LeNet5()
    kw = dict(case["kwargs"]["optimizer"])
    assert kw.pop("api") == "nn.Momentum"
    opt = nn.Momentum(net.trainable_params(), **kw)
    loss = nn.SoftmaxCrossEntropyWithLogits(sparse=True, reduction="mean")
    return net, nn.TrainOneStepCell(nn.WithLossCell(net, loss), opt)


def _batch(b):
    return (Tensor(array(b["x"]).reshape(b["x_shape"])), Tensor(np.array(b["labels"], dtype=b["labels_dtype"])))


@pytest.mark.parametrize("path", FILES, ids=[os.path.basename(f)[:-5] for f in FILES])
def test_load_entries(path):
    case = load(path)
    params = ms.load_checkpoint(_ckpt(case))
    got = [{"name": k, "shape": list(v.shape), "dtype": str(v.dtype)} for k, v in params.items()]
    assert got == case["expected"]["ckpt_entries"]
    for name, p in params.items():
        assert isinstance(p, ms.Parameter) and p.name == name


@pytest.mark.parametrize("path", FILES, ids=[os.path.basename(f)[:-5] for f in FILES])
def test_train_cell_saves_mindspore_entries(path, tmp_path):
    """A fresh training cell saves the same names, shapes and dtypes, in the same order, as MindSpore's."""
    case = load(path)
    _, train = _train_cell(case)
    out = str(tmp_path / "mine.ckpt")
    ms.save_checkpoint(train, out)
    got = [{"name": k, "shape": list(v.shape), "dtype": str(v.dtype)} for k, v in ms.load_checkpoint(out).items()]
    assert got == case["expected"]["ckpt_entries"]


@pytest.mark.parametrize("path", FILES, ids=[os.path.basename(f)[:-5] for f in FILES])
def test_resume_from_mindspore_checkpoint(path):
    case = load(path)
    net, train = _train_cell(case)  # fresh values, other than the checkpoint's
    train.set_train()
    param_not_load, ckpt_not_load = ms.load_param_into_net(train, ms.load_checkpoint(_ckpt(case)))
    assert param_not_load == [] and ckpt_not_load == []
    batches = case["inputs"]["batches"][case["inputs"]["steps_before_save"]:]
    losses = [float(train(*_batch(b)).asnumpy()) for b in batches]
    np.testing.assert_allclose(losses, case["expected"]["loss_after_resume"], rtol=1e-5)
    for name, value in case["expected"]["final_params"].items():
        p = {q.name: q for q in net.trainable_params()}[name]
        np.testing.assert_allclose(p.asnumpy(), array(value), rtol=1e-5, atol=1e-6, err_msg=name)


@pytest.mark.parametrize("path", FILES, ids=[os.path.basename(f)[:-5] for f in FILES])
def test_resave_is_byte_identical(path, tmp_path):
    case = load(path)
    out = str(tmp_path / "again.ckpt")
    ms.save_checkpoint(ms.load_checkpoint(_ckpt(case)), out)
    with open(out, "rb") as f, open(_ckpt(case), "rb") as g:
        assert f.read() == g.read()
