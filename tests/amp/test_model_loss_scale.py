"""Model with loss-scale managers: the training cell each manager gives, every step's (loss, overflow,
scale) reaching the callbacks (net_outputs, History, LossMonitor), the host-side manager kept in step
with the scale inside the compiled step, and MindSpore's argument errors."""

import logging

import numpy as np
import pytest

import minispore as ms
from minispore import amp, nn
from minispore.dataset import NumpySlicesDataset
from minispore.train import Callback, History, LossMonitor

from amp.loss_scale_cases import DenseNet


def _dataset(steps=8, bad_steps=(), batch=4, seed=0):
    rng = np.random.default_rng(seed)
    x = rng.standard_normal((steps * batch, 3)).astype(np.float32)
    y = rng.standard_normal((steps * batch, 2)).astype(np.float32)
    for s in bad_steps:
        x[s * batch, 0] = np.inf
    return NumpySlicesDataset((x, y), shuffle=False).batch(batch)


class _Outputs(Callback):
    def __init__(self):
        self.outputs = []

    def on_train_step_end(self, run_context):
        self.outputs.append(tuple(t.asnumpy() for t in run_context.original_args().net_outputs))


def test_model_with_dynamic_manager():
    """Overflow at steps 2 and 3 (0-based): those steps are skipped and the scale halves each time; every
    scale_window=2 clean steps double it; callbacks see (loss, overflow, the step's scale) every step."""
    net = DenseNet()
    opt = nn.Momentum(net.trainable_params(), 0.01, 0.9)
    manager = amp.DynamicLossScaleManager(init_loss_scale=2.0 ** 10, scale_factor=2, scale_window=2)
    model = ms.Model(net, nn.MSELoss(), opt, loss_scale_manager=manager)
    assert isinstance(model.train_network, nn.TrainOneStepWithLossScaleCell)
    outputs, history = _Outputs(), History()
    model.train(1, _dataset(8, bad_steps=(2, 3)), callbacks=[outputs, history], dataset_sink_mode=False)
    overflow = [bool(o[1]) for o in outputs.outputs]
    scales = [float(o[2]) for o in outputs.outputs]
    assert overflow == [False, False, True, True, False, False, False, False]
    assert scales == [1024.0, 1024.0, 2048.0, 1024.0, 512.0, 512.0, 1024.0, 1024.0]
    assert all(np.isfinite(o[0]) for i, o in enumerate(outputs.outputs) if not overflow[i])
    assert all(np.isinf(o[0]) for i, o in enumerate(outputs.outputs) if overflow[i])
    assert history.steps["overflow"] == overflow and history.steps["loss_scale"] == scales
    np.testing.assert_array_equal(history.steps["loss"], [float(o[0]) for o in outputs.outputs])
    # the host-side manager ran the same algorithm: both agree on the scale after the last step
    assert manager.get_loss_scale() == float(model.train_network.scale_sense.asnumpy()) == 2048.0
    assert int(opt.global_step.asnumpy()[0]) == 6
    assert all(np.isfinite(p.asnumpy()).all() for p in net.trainable_params())


def test_fixed_manager_dropping_overflow():
    net = DenseNet()
    opt = nn.SGD(net.trainable_params(), 0.01)
    model = ms.Model(net, nn.MSELoss(), opt, loss_scale_manager=amp.FixedLossScaleManager(64.0))
    cell = model.train_network
    assert isinstance(cell, nn.TrainOneStepWithLossScaleCell)
    assert isinstance(cell.loss_scaling_manager, nn.FixedLossScaleUpdateCell)
    outputs = _Outputs()
    model.train(1, _dataset(4, bad_steps=(1,)), callbacks=outputs)
    assert [bool(o[1]) for o in outputs.outputs] == [False, True, False, False]
    assert [float(o[2]) for o in outputs.outputs] == [64.0] * 4
    assert int(opt.global_step.asnumpy()[0]) == 3


def test_loss_monitor_prints_the_loss_only(capsys):
    net = DenseNet()
    model = ms.Model(net, nn.MSELoss(), nn.SGD(net.trainable_params(), 0.01),
                     loss_scale_manager=amp.DynamicLossScaleManager(2.0 ** 8, 2, 100))
    outputs = _Outputs()
    model.train(1, _dataset(3), callbacks=[outputs, LossMonitor()])
    lines = capsys.readouterr().out.splitlines()
    assert lines == [f"epoch: 1 step: {i + 1}, loss is {np.mean(o[0])!s}" for i, o in enumerate(outputs.outputs)]


def test_plain_model_keeps_plain_loss_outputs():
    net = DenseNet()
    model = ms.Model(net, nn.MSELoss(), nn.SGD(net.trainable_params(), 0.01))
    history = History()
    model.train(1, _dataset(2), callbacks=history)
    assert type(model.train_network) is nn.TrainOneStepCell
    assert history.steps["loss_scale"] == [None, None] and history.steps["overflow"] == [None, None]


def test_fixed_manager_without_drop_warns_on_a_different_optimizer_scale(caplog):
    net = DenseNet()
    opt = nn.Momentum(net.trainable_params(), 0.1, 0.9)  # loss_scale=1.0
    with caplog.at_level(logging.WARNING, logger="minispore"):
        model = ms.Model(net, nn.MSELoss(), opt, loss_scale_manager=amp.FixedLossScaleManager(128.0, False))
    assert type(model.train_network) is nn.TrainOneStepCell and model.train_network.sens == 128.0
    assert "128.0" in caplog.text and "loss_scale is 1.0" in caplog.text
    caplog.clear()
    opt = nn.Momentum(net.trainable_params(), 0.1, 0.9, loss_scale=128.0)
    with caplog.at_level(logging.WARNING, logger="minispore"):
        ms.Model(net, nn.MSELoss(), opt, loss_scale_manager=amp.FixedLossScaleManager(128.0, False))
    assert caplog.text == ""


def test_model_arguments():
    net = DenseNet()
    opt = nn.SGD(net.trainable_params(), 0.01)
    with pytest.raises(ValueError, match="The argument in 'kwargs' should be 'loss_scale_manager' or "
                                         "'keep_batchnorm_fp32' or 'boost_config_dict' or 'acc_level', but got 'amp'"):
        ms.Model(net, nn.MSELoss(), opt, amp=1)
    with pytest.raises(ValueError, match=r"Auto mixed precision will not work because 'optimizer' is None\.Please "
                                         r"set amp_level='O0' to disable auto mixed precision"):
        ms.Model(net, nn.MSELoss(), amp_level="O2")
    with pytest.raises(ValueError, match="The argument 'optimizer' can not be None when set 'loss_scale_manager'."):
        ms.Model(net, nn.MSELoss(), loss_scale_manager=amp.DynamicLossScaleManager())
    with pytest.raises(TypeError, match="loss_scale_manager"):
        ms.Model(net, nn.MSELoss(), opt, loss_scale_manager=object())
    with pytest.raises(TypeError, match="keep_batchnorm_fp32"):
        ms.Model(net, nn.MSELoss(), opt, keep_batchnorm_fp32=1)
    with pytest.raises(ValueError, match=r"The 'level' should be in : \['O0', 'O1', 'O2', 'O3', 'auto'\], but got O4"):
        ms.Model(net, nn.MSELoss(), opt, amp_level="O4")
    with pytest.raises(TypeError, match="The argument `level` must be a string"):
        ms.Model(net, nn.MSELoss(), opt, amp_level=0)
    model = ms.Model(net, nn.MSELoss(), opt, keep_batchnorm_fp32=False, boost_config_dict={}, loss_scale_manager=None)
    assert type(model.train_network) is nn.TrainOneStepCell
