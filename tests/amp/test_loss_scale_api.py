"""The loss-scale managers and the functional scalers of minispore.amp: MindSpore's names, exports,
algorithms and argument errors, and a hand-written loss-scaled training loop with the functional API."""

import numpy as np
import pytest

import minispore as ms
from minispore import amp, nn

from amp.loss_scale_cases import DenseNet


def test_exports():
    for name in ("LossScaleManager", "FixedLossScaleManager", "DynamicLossScaleManager"):
        assert getattr(ms, name) is getattr(amp, name) is getattr(ms.train, name)
    for name in ("DynamicLossScaleUpdateCell", "FixedLossScaleUpdateCell", "TrainOneStepWithLossScaleCell"):
        assert issubclass(getattr(nn, name), nn.Cell)
    assert issubclass(amp.StaticLossScaler, amp.LossScaler) and issubclass(amp.DynamicLossScaler, amp.LossScaler)
    assert not issubclass(amp.DynamicLossScaler, amp.StaticLossScaler)
    assert callable(amp.all_finite)


def test_fixed_manager():
    manager = amp.FixedLossScaleManager()
    assert manager.get_loss_scale() == 128.0 and manager.get_drop_overflow_update() is True
    cell = manager.get_update_cell()
    assert isinstance(cell, nn.FixedLossScaleUpdateCell) and cell.get_loss_scale() == 128.0
    manager.update_loss_scale(True)
    assert manager.get_loss_scale() == 128.0
    no_drop = amp.FixedLossScaleManager(1024.0, drop_overflow_update=False)
    assert no_drop.get_update_cell() is None and no_drop.get_drop_overflow_update() is False
    with pytest.raises(ValueError, match="The argument 'loss_scale' must be >= 1, but got 0.5"):
        amp.FixedLossScaleManager(0.5)
    assert isinstance(manager, amp.LossScaleManager)


def test_dynamic_manager_defaults_and_update_cell():
    manager = amp.DynamicLossScaleManager()
    assert manager.get_loss_scale() == 2 ** 24 and manager.get_drop_overflow_update() is True
    assert (manager.scale_factor, manager.scale_window) == (2, 2000)
    manager.update_loss_scale(True)
    cell = manager.get_update_cell()  # made from the current scale
    assert isinstance(cell, nn.DynamicLossScaleUpdateCell) and cell.get_loss_scale() == 2 ** 23
    assert int(cell.scale_window.asnumpy()) == 2000 and float(cell.scale_factor.asnumpy()) == 2.0
    assert int(cell.cur_iter.asnumpy()) == 1 and int(cell.last_overflow_iter.asnumpy()) == 0


def test_dynamic_manager_floor_and_first_increase():
    manager = amp.DynamicLossScaleManager(init_loss_scale=4, scale_factor=2, scale_window=3)
    for _ in range(5):
        manager.update_loss_scale(True)
    assert manager.get_loss_scale() == 1  # floor of 1
    for _ in range(2):
        manager.update_loss_scale(False)
    assert manager.get_loss_scale() == 1
    manager.update_loss_scale(False)  # third clean step after the last overflow
    assert manager.get_loss_scale() == 2


def test_dynamic_manager_raises_after_too_many_overflows():
    manager = amp.DynamicLossScaleManager()
    for _ in range(1000):
        manager.update_loss_scale(True)
    with pytest.raises(RuntimeError) as err:
        manager.update_loss_scale(True)
    assert err.value.args == ("Dynamic loss scale Continuous overflow ", 1001, " times, has exceeded maximum "
                                                                              "threshold.")
    manager.bad_step = 0
    manager.update_loss_scale(False)  # a clean step resets the count
    assert manager.bad_step == 0


def test_dynamic_manager_errors():
    with pytest.raises(ValueError, match="The argument 'init_loss_scale' must be > 1, but got 0.5"):
        amp.DynamicLossScaleManager(0.5)
    with pytest.raises(ValueError, match="`scale_window` in `DynamicLossScaleManager` should be int and must > 0, "
                                         "but got `0` with type `int`"):
        amp.DynamicLossScaleManager(scale_window=0)
    with pytest.raises(TypeError, match="`scale_window` in `DynamicLossScaleManager` must be int, but got `float`"):
        amp.DynamicLossScaleManager(scale_window=2.0)
    with pytest.raises(ValueError, match="The argument 'scale_factor' must be > 0, but got 0"):
        amp.DynamicLossScaleManager(scale_factor=0)


def test_static_loss_scaler():
    scaler = amp.StaticLossScaler(scale_value=2 ** 10)
    np.testing.assert_array_equal(scaler.scale(ms.Tensor([1.0])).asnumpy(), [1024.0])
    grads = (ms.Tensor(np.array([1.5, 1.0], np.float16)), ms.Tensor(np.array([1.2], np.float16)))
    out = scaler.unscale(grads)
    assert isinstance(out, tuple) and out[0].dtype == ms.float16
    np.testing.assert_array_equal(out[0].asnumpy(), np.array([1.5, 1.0], np.float16) * np.float16(1 / 1024))
    assert scaler.adjust(ms.Tensor(True)) is False
    assert scaler.scale_value.name == "scale_value" and scaler.scale_value.dtype == ms.float32
    with pytest.raises(ValueError, match="The argument 'scale_value' must be > 1, but got 0.5"):
        amp.StaticLossScaler(0.5)
    with pytest.raises(TypeError, match="The type of `scale_value` should be one of"):
        amp.StaticLossScaler("1024")


def test_dynamic_loss_scaler_docstring_example():
    """MindSpore's example: a NaN gradient halves the scale."""
    scaler = amp.DynamicLossScaler(scale_value=2 ** 10, scale_factor=2, scale_window=1)
    grads = (ms.Tensor(np.array([np.nan, 1.0], np.float16)), ms.Tensor(np.array([0.2], np.float16)))
    with np.errstate(invalid="ignore"):
        unscaled = scaler.unscale(grads)
    finite = amp.all_finite(unscaled)
    assert not finite.asnumpy()
    assert scaler.adjust(finite) is True
    assert float(scaler.scale_value.asnumpy()) == 512.0
    assert scaler.adjust(True) is True  # a Python bool works too; window 1: doubles at once
    assert float(scaler.scale_value.asnumpy()) == 1024.0 and int(scaler.counter.asnumpy()) == 0


def test_dynamic_loss_scaler_keeps_the_scale_finite_and_checks_arguments():
    scaler = amp.DynamicLossScaler(scale_value=3.0e38, scale_factor=2, scale_window=1)
    scaler.adjust(ms.Tensor(True))  # 6e38 overflows float32: the scale stays
    assert float(scaler.scale_value.asnumpy()) == np.float32(3.0e38)
    with pytest.raises(TypeError):
        amp.DynamicLossScaler(1024.0)  # no defaults, as in MindSpore
    with pytest.raises(ValueError, match="`scale_window` should be int and must > 0"):
        amp.DynamicLossScaler(1024.0, 2, 0)
    with pytest.raises(TypeError, match="`scale_factor` must be int"):
        amp.DynamicLossScaler(1024.0, 2.0, 10)
    with pytest.raises(ValueError, match="The argument 'scale_value' must be > 1"):
        amp.DynamicLossScaler(0.5, 2, 10)


def test_functional_loss_scaled_training_loop():
    """MindSpore's functional recipe (scale the loss, unscale the gradients, step only if all finite,
    adjust the scale), written as a PyNative-style loop: each piece runs compiled."""
    net = DenseNet()
    loss_fn = nn.MSELoss()
    opt = nn.SGD(net.trainable_params(), 0.05)
    scaler = amp.DynamicLossScaler(scale_value=2 ** 10, scale_factor=2, scale_window=2)

    def forward(x, y):
        return scaler.scale(loss_fn(net(x), y))

    grad_fn = ms.value_and_grad(forward, None, opt.parameters)
    rng = np.random.default_rng(0)
    scales = []
    for step in range(5):
        x = rng.standard_normal((4, 3)).astype(np.float32)
        if step == 1:
            x[0, 0] = np.inf
        before = [p.asnumpy() for p in net.trainable_params()]
        loss, grads = grad_fn(ms.Tensor(x), ms.Tensor(np.zeros((4, 2), np.float32)))
        loss, grads = scaler.unscale(loss), scaler.unscale(grads)
        finite = amp.all_finite(grads)
        if finite:
            opt(grads)
        scaler.adjust(finite)
        scales.append(float(scaler.scale_value.asnumpy()))
        changed = any(not np.array_equal(b, p.asnumpy()) for b, p in zip(before, net.trainable_params()))
        assert changed == (step != 1)
    assert scales == [1024.0, 512.0, 512.0, 1024.0, 1024.0]
