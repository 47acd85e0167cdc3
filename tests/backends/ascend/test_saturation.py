"""Saturation mode on the Ascend target (backends/ascend/saturation.py): float16 results clamp to +-65504 and NaN
becomes 0, a float-status register records the overflow, and the loss-scale cell and amp.all_finite read it; the
CPU keeps IEEE inf/NaN. The loss_scale golden cases (recorded from MindSpore 2.10 on CPU) run on Ascend too,
within float16 tolerance (the cube ops compute in float16 under the 910's allow_fp32_to_fp16)."""

import importlib.util
import os

import numpy as np
import pytest

import minispore as ms
from minispore import Tensor, amp, nn, ops
from minispore.train import Callback

from golden.helpers import GOLDEN, array, load


def _load_loss_scale_cases():
    """tests/amp/loss_scale_cases.py, loaded by path: the name ``amp`` is the repository's amp.py here."""
    path = os.path.join(os.path.dirname(os.path.dirname(os.path.dirname(__file__))), "amp", "loss_scale_cases.py")
    spec = importlib.util.spec_from_file_location("ascend_loss_scale_cases", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


cases = _load_loss_scale_cases()
batches, network, optimizer, params_of, update_cell = (cases.batches, cases.network, cases.optimizer,
                                                       cases.params_of, cases.update_cell)
F16_MAX = 65504.0


@pytest.fixture(autouse=True)
def _restore_context():
    yield
    ms.set_context(device_target="CPU")


class Half(nn.Cell):
    """``fn`` of its input in float16, and amp.all_finite of the result (checked in the same graph)."""

    def __init__(self, fn):
        super().__init__()
        self.fn = fn

    def construct(self, x):
        y = self.fn(x)
        return y, amp.all_finite(y)


def _run(target, fn, x):
    ms.set_context(device_target=target)
    y, finite = Half(fn)(Tensor(x))
    return y.asnumpy(), bool(finite.asnumpy())


def test_a_cast_to_float16_saturates_on_ascend_and_overflows_on_cpu():
    x = np.array([1e5, -1e5, 1e30, 1.5], np.float32)
    y, finite = _run("Ascend", lambda t: ops.cast(t, ms.float16), x)
    assert y.dtype == np.float16
    np.testing.assert_array_equal(y, [F16_MAX, -F16_MAX, F16_MAX, 1.5])
    assert not finite  # every value is finite: only the float-status register saw the overflow
    y, finite = _run("CPU", lambda t: ops.cast(t, ms.float16), x)
    with np.errstate(over="ignore"):
        np.testing.assert_array_equal(y, x.astype(np.float16))  # numpy's inf
    assert np.isinf(y[:3]).all() and not finite


def test_float16_arithmetic_saturates_and_nan_becomes_zero():
    x = np.array([60000.0, -60000.0, -1.0, 0.0, 2.0], np.float16)

    def fn(t):
        return ops.concat([t * 2, ops.sqrt(t), ops.log(t)])  # 2x overflows; sqrt(-1) is NaN; log(0) is -inf

    y, finite = _run("Ascend", fn, x)
    with np.errstate(all="ignore"):
        ieee = np.concatenate([x * 2, np.sqrt(x), np.log(x)])
    want = np.clip(np.nan_to_num(ieee, nan=0.0, posinf=F16_MAX, neginf=-F16_MAX), -F16_MAX, F16_MAX)
    np.testing.assert_array_equal(y, want)
    assert np.isfinite(y).all() and not finite
    assert y[6] == 0.0 and y[13] == -F16_MAX  # sqrt(-1): NaN -> 0; log(0): -inf -> -65504
    y, finite = _run("CPU", fn, x)
    np.testing.assert_array_equal(y, ieee)
    assert not finite


def test_finite_float16_results_are_unchanged_and_raise_nothing():
    x = np.array([1.0, -2.5, 65504.0, 0.0], np.float16)
    ascend, finite = _run("Ascend", lambda t: ops.relu(t) * 0.5 - 1, x)
    cpu, cpu_finite = _run("CPU", lambda t: ops.relu(t) * 0.5 - 1, x)
    np.testing.assert_array_equal(ascend, cpu)
    assert finite and cpu_finite


def _dense(weight, bias):
    net = nn.Dense(4, 2)
    net.weight.set_data(Tensor(np.array(weight, np.float32)))
    net.bias.set_data(Tensor(np.array(bias, np.float32)))
    return net


W = [[0.2, -0.1, 0.3, 0.05], [0.4, -0.25, 0.1, 0.2]]
B = [0.01, -0.02]


def _loss_scaled_step(target, x, y, net=None):
    ms.set_context(device_target=target)
    net = net or _dense(W, B)
    opt = nn.Momentum(net.trainable_params(), 0.1, 0.9)
    cell = nn.TrainOneStepWithLossScaleCell(nn.WithLossCell(net, nn.MSELoss()), opt,
                                            scale_sense=nn.DynamicLossScaleUpdateCell(2.0 ** 10, 2, 1000))
    before = params_of(net)
    loss, overflow, scale = cell(Tensor(x), Tensor(y))
    after = params_of(net)
    unchanged = all(np.array_equal(before[k], after[k]) for k in before)
    return float(loss.asnumpy()), bool(overflow.asnumpy()), float(scale.asnumpy()), float(cell.scale_sense.asnumpy()), \
        unchanged, int(opt.global_step.asnumpy()[0])


@pytest.mark.parametrize("target", ["Ascend", "CPU"])
def test_an_input_of_1e30_raises_the_overflow_flag_skips_the_update_and_halves_the_scale(target):
    x = np.full((3, 4), 1e30, np.float32)
    y = np.ones((3, 2), np.float32)
    loss, overflow, scale, scale_after, unchanged, global_step = _loss_scaled_step(target, x, y)
    assert overflow and unchanged and global_step == 0
    assert (scale, scale_after) == (1024.0, 512.0)
    # On Ascend the cube op's float16 input saturated to 65504 (the loss is finite, and so are the
    # gradients): the flag alone skipped the step. On the CPU inf reached the loss and the gradients.
    assert np.isfinite(loss) if target == "Ascend" else np.isinf(loss)


def test_an_ordinary_step_is_applied_on_ascend():
    x = np.random.default_rng(0).normal(size=(3, 4)).astype(np.float32)
    y = np.ones((3, 2), np.float32)
    loss, overflow, scale, scale_after, unchanged, global_step = _loss_scaled_step("Ascend", x, y)
    cpu_loss = _loss_scaled_step("CPU", x, y)[0]
    assert not overflow and not unchanged and global_step == 1 and scale_after == 1024.0
    np.testing.assert_allclose(loss, cpu_loss, rtol=2e-3)


class ForwardOverflow(nn.Cell):
    """A Dense layer plus a forward-only branch that overflows float16 and has no gradient."""

    def __init__(self):
        super().__init__()
        self.fc = _dense(W, B)

    def construct(self, x):
        wasted = ops.reduce_sum(ops.cast(ops.cast(x * 1e6, ms.float16), ms.float32))
        return self.fc(x) + wasted * 0


def test_the_cell_clears_the_status_after_the_forward_loss():
    """As MindSpore's start_overflow_check: an overflow of the forward pass alone does not skip the step
    (lowering the scale cannot cure it); amp.all_finite traced in the forward would have seen it."""
    x = np.random.default_rng(1).normal(size=(3, 4)).astype(np.float32)
    loss, overflow, _, scale_after, unchanged, global_step = _loss_scaled_step(
        "Ascend", x, np.ones((3, 2), np.float32), net=ForwardOverflow())
    assert np.isfinite(loss) and not overflow and not unchanged and global_step == 1 and scale_after == 1024.0
    y, finite = _run("Ascend", lambda t: ops.cast(t * 1e6, ms.float16), x)
    assert np.isfinite(y).all() and not finite


# ---- the loss_scale golden cases on Ascend ---------------------------------------------------------------

def _case(name):
    return load(os.path.join(GOLDEN, "loss_scale", name + ".json"))


def test_golden_scale_sequences_on_ascend():
    """The update cell's and amp.DynamicLossScaler's compiled scale updates (float32 only: as on the CPU)."""
    ms.set_context(device_target="Ascend")
    case = _case("dynamic_update_cell_sequence")
    cell = nn.DynamicLossScaleUpdateCell(**case["kwargs"])
    scale = ms.Parameter(Tensor(cell.get_loss_scale(), ms.float32), name="loss_scale")
    scales = []
    for overflow in case["inputs"]["overflow"]:
        assert bool(cell(scale, Tensor(overflow)).asnumpy()) == overflow
        scales.append(float(scale.asnumpy()))
    assert scales == case["expected"]["loss_scale_after_update"]
    case = _case("amp_dynamic_loss_scaler_adjust")
    scaler = amp.DynamicLossScaler(**case["kwargs"])
    scales = []
    for overflow in case["inputs"]["overflow"]:
        scaler.adjust(Tensor(not overflow))
        scales.append(float(scaler.scale_value.asnumpy()))
    assert scales == case["expected"]["scale_value_after_adjust"]


def _assert_params(actual, expected, step):
    for name, value in expected.items():  # float16 tolerance: the Dense layer's MatMul runs in float16
        np.testing.assert_allclose(actual[name], array(value), rtol=2e-3, atol=1e-3, err_msg=f"{name} at step {step}")


@pytest.mark.parametrize("name", ["train_dynamic_momentum_inf_overflow", "train_fixed_update_cell_drop_overflow"])
def test_golden_train_one_step_with_loss_scale_cell_on_ascend(name):
    """The overflow flags, scales, skipped steps and parameters of the golden run. The inputs holding inf or
    NaN saturate on Ascend, so an overflowing step's loss is finite here (inf or NaN on MindSpore's CPU):
    the float-status register, not the values, reports the overflow."""
    ms.set_context(device_target="Ascend")
    case = _case(name)
    net = network(case)
    opt = optimizer(case["kwargs"]["optimizer"], net.trainable_params())
    cell = nn.TrainOneStepWithLossScaleCell(nn.WithLossCell(net, nn.MSELoss()), opt,
                                            scale_sense=update_cell(case["kwargs"]["scale_sense"]))
    for (x, y), step in zip(batches(case), case["expected"]["steps"]):
        before = params_of(net)
        loss, overflow, scale = cell(x, y)
        i = step["step"]
        assert bool(overflow.asnumpy()) == step["overflow"], i
        if step["overflow"]:
            assert np.isfinite(loss.asnumpy()), i
        else:
            np.testing.assert_allclose(loss.asnumpy(), array(step["loss"]), rtol=2e-3, err_msg=f"loss at step {i}")
        assert float(scale.asnumpy()) == step["loss_scale_before"], i
        assert float(cell.scale_sense.asnumpy()) == step["loss_scale_after"], i
        after = params_of(net)
        assert any(not np.array_equal(before[k], after[k]) for k in after) == step["params_updated"], i
        _assert_params(after, step["params"], i)
    skipped = sum(s["overflow"] for s in case["expected"]["steps"])
    assert int(opt.global_step.asnumpy()[0]) == len(case["expected"]["steps"]) - skipped
    assert len(cell._compile_cache.entries) == 1


class _Record(Callback):
    """Per step, the loss the train network returned and the parameters after the step."""

    def __init__(self, net):
        self.net, self.losses, self.params = net, [], []

    def on_train_step_end(self, run_context):
        self.losses.append(run_context.original_args().net_outputs.asnumpy())
        self.params.append(params_of(self.net))


@pytest.mark.parametrize("name", ["model_fixed_no_drop", "model_fixed_no_drop_overflow_not_skipped"])
def test_golden_model_fixed_manager_without_drop_on_ascend(name):
    """FixedLossScaleManager(drop_overflow_update=False) checks nothing. Up to the first input holding inf the
    golden losses hold within float16 tolerance; from there MindSpore's CPU applies inf and NaN gradients,
    while on Ascend the input saturates and training goes on with finite numbers."""
    ms.set_context(device_target="Ascend")
    case = _case(name)
    kw = case["kwargs"]
    net = network(case)
    opt = optimizer(kw["optimizer"], net.trainable_params())
    spec = dict(kw["loss_scale_manager"])
    model = ms.Model(net, nn.MSELoss(), opt,
                     loss_scale_manager=amp.FixedLossScaleManager(spec["loss_scale"], spec["drop_overflow_update"]))
    record = _Record(net)
    xs, ys = zip(*[(x.asnumpy(), y.asnumpy()) for x, y in batches(case)])
    data = ms.dataset.NumpySlicesDataset((np.concatenate(xs), np.concatenate(ys)), shuffle=False).batch(len(xs[0]))
    model.train(1, data, dataset_sink_mode=False, callbacks=record)
    steps = case["expected"]["steps"]
    assert len(record.losses) == len(steps)
    overflowed = False
    for loss, params, step, x in zip(record.losses, record.params, steps, xs):
        overflowed = overflowed or not np.isfinite(x).all()
        if overflowed:
            assert np.isfinite(loss) and all(np.isfinite(p).all() for p in params.values()), step["step"]
        else:
            np.testing.assert_allclose(loss, array(step["loss"]), rtol=2e-3, err_msg=f"loss at step {step['step']}")
            _assert_params(params, step["params"], step["step"])
    assert overflowed == any(not np.isfinite(array(s["loss"])) for s in steps)
