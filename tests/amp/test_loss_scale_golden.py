"""Loss scaling against MindSpore 2.10's recorded values (tests/data/golden/loss_scale/*.json): the scale
sequences of DynamicLossScaleManager, DynamicLossScaleUpdateCell and amp.DynamicLossScaler, loss-scaled
training with injected overflow (losses, skipped steps, scales, parameters) and Model with
FixedLossScaleManager(drop_overflow_update=False)."""

import os

import numpy as np
import pytest

import minispore as ms
from minispore import amp, nn
from minispore.dataset import NumpySlicesDataset
from minispore.train import Callback

from amp.loss_scale_cases import assert_params, batches, network, optimizer, params_of, update_cell
from golden.helpers import GOLDEN, array, case_files, load


def _case(name):
    return load(os.path.join(GOLDEN, "loss_scale", name + ".json"))


def test_every_case_file_is_found():
    assert len(case_files("loss_scale")) == 7


def test_dynamic_manager_update_sequence():
    case = _case("dynamic_manager_update_sequence")
    manager = amp.DynamicLossScaleManager(**case["kwargs"])
    scales = []
    for overflow in case["inputs"]["overflow"]:
        manager.update_loss_scale(overflow)
        scales.append(manager.get_loss_scale())
    assert scales == case["expected"]["loss_scale_after_update"]


def test_dynamic_update_cell_sequence():
    """The cell called as cell(loss_scale_parameter, overflow) updates the Parameter in place."""
    case = _case("dynamic_update_cell_sequence")
    cell = nn.DynamicLossScaleUpdateCell(**case["kwargs"])
    scale = ms.Parameter(ms.Tensor(cell.get_loss_scale(), ms.float32), name="loss_scale")
    scales = []
    for overflow in case["inputs"]["overflow"]:
        out = cell(scale, ms.Tensor(overflow))
        assert bool(out.asnumpy()) == overflow
        scales.append(float(scale.asnumpy()))
    assert scales == case["expected"]["loss_scale_after_update"]
    assert int(cell.cur_iter.asnumpy()) == len(scales) + 1
    assert [p.name for p in cell.get_parameters()] == ["current_iterator_step", "last_overflow_iterator_step"]


def test_amp_dynamic_loss_scaler_adjust():
    case = _case("amp_dynamic_loss_scaler_adjust")
    scaler = amp.DynamicLossScaler(**case["kwargs"])
    scales, counters = [], []
    for overflow in case["inputs"]["overflow"]:
        assert scaler.adjust(ms.Tensor(not overflow)) is True
        scales.append(float(scaler.scale_value.asnumpy()))
        counters.append(int(scaler.counter.asnumpy()))
    assert scales == case["expected"]["scale_value_after_adjust"]
    assert counters == case["expected"]["counter_after_adjust"]


TRAIN_CASES = ["train_dynamic_momentum_inf_overflow", "train_fixed_update_cell_drop_overflow"]


@pytest.mark.parametrize("name", TRAIN_CASES)
def test_train_one_step_with_loss_scale_cell(name):
    """Per step: the unscaled loss, the overflow flag, the scale used and the scale after, whether the update
    was skipped (parameters unchanged), the parameters; overflowing steps do not advance global_step."""
    case = _case(name)
    net = network(case)
    opt = optimizer(case["kwargs"]["optimizer"], net.trainable_params())
    cell = nn.TrainOneStepWithLossScaleCell(nn.WithLossCell(net, nn.MSELoss()), opt,
                                            scale_sense=update_cell(case["kwargs"]["scale_sense"]))
    for (x, y), step in zip(batches(case), case["expected"]["steps"]):
        before = params_of(net)
        loss, overflow, scale = cell(x, y)
        i = step["step"]
        np.testing.assert_allclose(loss.asnumpy(), array(step["loss"]), rtol=1e-5, err_msg=f"loss at step {i}")
        assert overflow.dtype == ms.bool_ and overflow.shape == ()
        assert bool(overflow.asnumpy()) == step["overflow"], i
        assert float(scale.asnumpy()) == step["loss_scale_before"], i
        assert float(cell.scale_sense.asnumpy()) == step["loss_scale_after"], i
        after = params_of(net)
        updated = any(not np.array_equal(before[k], after[k]) for k in after)
        assert updated == step["params_updated"], i
        assert_params(after, step["params"], i)
    skipped = sum(s["overflow"] for s in case["expected"]["steps"])
    assert int(opt.global_step.asnumpy()[0]) == len(case["expected"]["steps"]) - skipped
    assert len(cell._compile_cache.entries) == 1  # overflow and a new scale never recompile


class _Record(Callback):
    """Per step, the loss the train network returned and the parameters after the step."""

    def __init__(self, net):
        self.net, self.losses, self.params = net, [], []

    def on_train_step_end(self, run_context):
        self.losses.append(run_context.original_args().net_outputs.asnumpy())
        self.params.append(params_of(self.net))


MODEL_CASES = ["model_fixed_no_drop", "model_fixed_no_drop_overflow_not_skipped"]


@pytest.mark.parametrize("name", MODEL_CASES)
def test_model_fixed_manager_without_drop(name):
    """FixedLossScaleManager(drop_overflow_update=False): TrainOneStepCell(sens=scale), the optimizer's own
    loss_scale divides the gradients back, no overflow check (non-finite gradients are applied)."""
    case = _case(name)
    kw = case["kwargs"]
    net = network(case)
    opt = optimizer(kw["optimizer"], net.trainable_params())
    spec = dict(kw["loss_scale_manager"])
    manager = amp.FixedLossScaleManager(spec["loss_scale"], spec["drop_overflow_update"])
    model = ms.Model(net, nn.MSELoss(), opt, loss_scale_manager=manager)
    assert type(model.train_network) is nn.TrainOneStepCell and model.train_network.sens == spec["loss_scale"]
    xs, ys = zip(*[(x.asnumpy(), y.asnumpy()) for x, y in batches(case)])
    data = NumpySlicesDataset((np.concatenate(xs), np.concatenate(ys)), shuffle=False).batch(len(xs[0]))
    record = _Record(net)
    model.train(1, data, dataset_sink_mode=False, callbacks=record)
    steps = case["expected"]["steps"]
    assert len(record.losses) == len(steps)
    for loss, params, step in zip(record.losses, record.params, steps):
        np.testing.assert_allclose(loss, array(step["loss"]), rtol=1e-5, err_msg=f"loss at step {step['step']}")
        assert_params(params, step["params"], step["step"])
