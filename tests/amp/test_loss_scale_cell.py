"""nn.TrainOneStepWithLossScaleCell and the mechanism under it (trace.assign_condition): the skip on
overflow is a select inside the one compiled step, fused into each parameter group's update; fused and
unfused graphs agree bit for bit; a new scale never recompiles; an overflow never touches a parameter or
any optimizer state."""

import os

import numpy as np
import pytest

import minispore as ms
from minispore import amp, nn, ops
from minispore.graph import trace

from amp.loss_scale_cases import DenseNet, batches, network, update_cell
from golden.helpers import GOLDEN, load

DYNAMIC = os.path.join(GOLDEN, "loss_scale", "train_dynamic_momentum_inf_overflow.json")


def _dynamic_run():
    """Every step's outputs and the final state of the golden dynamic case (overflow at steps 2, 7, 8)."""
    case = load(DYNAMIC)
    net = network(case)
    opt = nn.Momentum(net.trainable_params(), 0.1, 0.9)
    cell = nn.TrainOneStepWithLossScaleCell(nn.WithLossCell(net, nn.MSELoss()), opt,
                                            update_cell(case["kwargs"]["scale_sense"]))
    outs = [tuple(t.asnumpy() for t in cell(x, y)) for x, y in batches(case)]
    return outs, {name: p.asnumpy() for name, p in cell.parameters_and_names()}, cell


def test_fused_and_unfused_steps_are_bit_identical():
    fused, fused_state, _ = _dynamic_run()
    ms.set_context(disabled_passes=("fuse_elementwise", "multi_tensor"))
    try:
        plain, plain_state, cell = _dynamic_run()
        assert not any(n.op in ("FusedElementwise", "MultiTensorFused") for n in cell.compiled_graph().nodes)
    finally:
        ms.set_context(disabled_passes=())
    for a, b in zip(fused, plain):
        for x, y in zip(a, b):
            np.testing.assert_array_equal(x, y)
    assert fused_state.keys() == plain_state.keys()
    for name in fused_state:
        np.testing.assert_array_equal(fused_state[name], plain_state[name], err_msg=name)


def test_one_fused_update_per_parameter_group():
    """The selects of the skip join each update kernel: Momentum's group (weight and bias, each with its
    accumulation) is ONE multi-tensor kernel storing both, as without loss scaling."""
    _, _, cell = _dynamic_run()
    graph = cell.compiled_graph()
    updates = [n for n in graph.nodes if n.op == "MultiTensorFused"]
    assert len(updates) == 1, str(graph)
    update = updates[0]
    assert update.attrs["tensors"] == 2 and len(update.attrs["stores"]) == 2
    assert update.attrs["ops"].count("Select") == 2
    stored = {n.param.name for n in update.inputs if n.op == "param" and n.param.name.endswith(("weight", "bias"))}
    assert stored == {"fc.weight", "fc.bias", "moments.fc.weight", "moments.fc.bias"}
    assert not [n for n in graph.nodes if n.op == "Assign"]  # every write is inside a fused kernel


def _tensor_scale_cell(scale):
    net = DenseNet()
    opt = nn.Momentum(net.trainable_params(), 0.1, 0.9)
    return net, opt, nn.TrainOneStepWithLossScaleCell(nn.WithLossCell(net, nn.MSELoss()), opt, scale_sense=scale)


def _data(seed=0):
    rng = np.random.default_rng(seed)
    return ms.Tensor(rng.standard_normal((4, 3)).astype(np.float32)), ms.Tensor(rng.standard_normal((4, 2))
                                                                                   .astype(np.float32))


@pytest.mark.parametrize("shape", [(), (1,)])
def test_set_sense_scale_changes_the_scale_without_recompiling(shape):
    ms.set_seed(1)
    net, _, cell = _tensor_scale_cell(ms.Tensor(np.full(shape, 1024.0, np.float32)))
    ms.set_seed(1)
    ref_net, _, ref = _tensor_scale_cell(ms.Tensor(np.full(shape, 8.0, np.float32)))
    x, y = _data()
    for scale in (1024.0, 64.0, 2.0 ** 20):
        cell.set_sense_scale(ms.Tensor(np.full(shape, scale, np.float32)))
        loss, overflow, used = cell(x, y)
        ref_loss, _, _ = ref(x, y)
        assert used.shape == shape and used.asnumpy().item() == scale and not overflow.asnumpy()
        np.testing.assert_array_equal(loss.asnumpy(), ref_loss.asnumpy())  # power-of-2 scales: exact
    for p, q in zip(net.trainable_params(), ref_net.trainable_params()):
        np.testing.assert_array_equal(p.asnumpy(), q.asnumpy())
    assert len(cell._compile_cache.entries) == 1
    with pytest.raises(TypeError, match="the type of 'sens' must be Tensor"):
        cell.set_sense_scale(2.0)


def test_scale_sense_arguments():
    net = DenseNet()
    opt = nn.Momentum(net.trainable_params(), 0.1, 0.9)
    loss_net = nn.WithLossCell(net, nn.MSELoss())
    with pytest.raises(ValueError, match=r"the shape of 'scale_sense' must be \(1,\) or \(\), but got \(2,\)"):
        nn.TrainOneStepWithLossScaleCell(loss_net, opt, ms.Tensor(np.ones(2, np.float32)))
    with pytest.raises(TypeError, match="the 'scale_sense' must be Cell or Tensor"):
        nn.TrainOneStepWithLossScaleCell(loss_net, opt, 1024.0)
    cell = nn.TrainOneStepWithLossScaleCell(loss_net, opt, nn.DynamicLossScaleUpdateCell(2.0 ** 12, 2, 1000))
    assert cell.scale_sense.name == "scale_sense" and cell.scale_sense.dtype == ms.float32
    assert float(cell.scale_sense.asnumpy()) == 4096.0
    names = list(cell.parameters_dict())
    assert {"scale_sense", "current_iterator_step", "last_overflow_iterator_step", "global_step"} <= set(names)


@pytest.mark.parametrize("bad", [np.nan, np.inf])
def test_adam_overflow_leaves_parameters_and_state_unchanged(bad):
    """A non-finite gradient: the weights, both moments, the beta powers and global_step keep their values
    (and stay finite); the next finite step updates them all."""
    net = DenseNet()
    opt = nn.Adam(net.trainable_params(), learning_rate=0.01)
    cell = nn.TrainOneStepWithLossScaleCell(nn.WithLossCell(net, nn.MSELoss()), opt,
                                            amp.DynamicLossScaleManager(2.0 ** 10, 2, 5).get_update_cell())
    x, y = _data()
    cell(x, y)  # one finite step: the state is non-trivial
    state_params = [opt.global_step, opt.beta1_power, opt.beta2_power, *opt.moment1, *opt.moment2]
    state = {p.name: p.asnumpy() for p in state_params}
    weights = {p.name: p.asnumpy() for p in net.trainable_params()}
    x_bad = x.asnumpy()
    x_bad[0, 0] = bad
    loss, overflow, scale = cell(ms.Tensor(x_bad), y)
    assert bool(overflow.asnumpy()) and float(scale.asnumpy()) == 1024.0
    assert float(cell.scale_sense.asnumpy()) == 512.0
    for p in state_params:
        np.testing.assert_array_equal(p.asnumpy(), state[p.name], err_msg=p.name)
        assert np.isfinite(p.asnumpy()).all(), p.name
    for p in net.trainable_params():
        np.testing.assert_array_equal(p.asnumpy(), weights[p.name])
    assert int(opt.global_step.asnumpy()[0]) == 1
    cell(x, y)
    assert int(opt.global_step.asnumpy()[0]) == 2
    changed = [p.name for p in state_params if not np.array_equal(p.asnumpy(), state[p.name])]
    assert len(changed) == len(state_params), changed


def test_returned_loss_is_unscaled_and_equals_train_one_step_cell():
    ms.set_seed(3)
    net_a = DenseNet()
    ms.set_seed(3)
    net_b = DenseNet()
    scaled = nn.TrainOneStepWithLossScaleCell(nn.WithLossCell(net_a, nn.MSELoss()),
                                              nn.SGD(net_a.trainable_params(), 0.1),
                                              amp.FixedLossScaleManager(256.0).get_update_cell())
    plain = nn.TrainOneStepCell(nn.WithLossCell(net_b, nn.MSELoss()), nn.SGD(net_b.trainable_params(), 0.1))
    for seed in range(3):
        x, y = _data(seed)
        loss, overflow, scale = scaled(x, y)
        np.testing.assert_array_equal(loss.asnumpy(), plain(x, y).asnumpy())
        assert not overflow.asnumpy() and float(scale.asnumpy()) == 256.0
    for p, q in zip(net_a.trainable_params(), net_b.trainable_params()):
        np.testing.assert_array_equal(p.asnumpy(), q.asnumpy())


def test_all_finite():
    assert bool(amp.all_finite((ms.Tensor(np.array([1.0, 2.0], np.float32)), ms.Tensor([3.0]))).asnumpy())
    for bad in (np.nan, np.inf, -np.inf):
        out = amp.all_finite([ms.Tensor(np.array([1.0, bad], np.float32)), ms.Tensor([1.0])])
        assert out.dtype == ms.bool_ and out.shape == () and not out.asnumpy()
    assert bool(amp.all_finite(ms.Tensor(np.array([1, 2], np.int32))).asnumpy())
    assert bool(amp.all_finite(ms.Tensor(np.float32(3.0e38))).asnumpy())  # huge is still finite
    assert bool(amp.all_finite((ms.Tensor(np.ones(3, np.float16)),), status=None).asnumpy())


class _Conditional(nn.Cell):
    """p = p + 1 where cond (and, nested, where cond2); returns p's value after the step."""

    def __init__(self):
        super().__init__()
        self.p = ms.Parameter(ms.Tensor(np.zeros(3, np.float32)), name="p")
        self.q = ms.Parameter(ms.Tensor(np.zeros(3, np.float32)), name="q")

    def construct(self, cond, cond2):
        with trace.assign_condition(cond):
            ops.assign(self.p, self.p + 1)
            with trace.assign_condition(cond2):
                ops.assign(self.q, self.q + 1)
        return self.p * 1


def test_assign_condition_selects_inside_the_graph():
    cell = _Conditional()
    for c1, c2 in [(True, True), (False, True), (True, False), (False, False)]:
        cell(ms.Tensor(c1), ms.Tensor(c2))
    np.testing.assert_array_equal(cell.p.asnumpy(), [2, 2, 2])
    np.testing.assert_array_equal(cell.q.asnumpy(), [1, 1, 1])
    assert len(cell._compile_cache.entries) == 1


def test_assign_condition_errors():
    with pytest.raises(RuntimeError, match="only meaningful while a graph is traced"):
        with trace.assign_condition(ms.Tensor(True)):
            pass

    class Bad(nn.Cell):
        def __init__(self):
            super().__init__()
            self.p = ms.Parameter(ms.Tensor(np.zeros(3, np.float32)), name="p")

        def construct(self, cond):
            with trace.assign_condition(cond):
                ops.assign(self.p, self.p + 1)
            return self.p * 1

    with pytest.raises(TypeError, match="bool Tensor with one element"):
        Bad()(ms.Tensor(np.ones(3, np.float32)))


def test_sparse_in_place_update_cannot_be_skipped():
    """LazyAdam's row-sparse kernel writes in place: under loss scaling it is refused with its name."""

    class EmbedNet(nn.Cell):
        def __init__(self):
            super().__init__()
            self.embed = nn.Embedding(10, 3)

        def construct(self, ids):
            return self.embed(ids).sum()

    net = EmbedNet()
    cell = nn.TrainOneStepWithLossScaleCell(net, nn.LazyAdam(net.trainable_params(), 0.01),
                                            ms.Tensor(np.float32(128.0)))
    with pytest.raises(TypeError, match="FusedSparseLazyAdam"):
        cell(ms.Tensor(np.array([1, 2], np.int32)))


def test_fixed_update_cell_returns_overflow():
    cell = nn.FixedLossScaleUpdateCell(128.0)
    scale = ms.Parameter(ms.Tensor(np.float32(128.0)), name="s")
    assert cell.get_loss_scale() == 128.0
    assert bool(cell(scale, ms.Tensor(True)).asnumpy())
    assert not cell(scale, ms.Tensor(False)).asnumpy()
    assert float(scale.asnumpy()) == 128.0
