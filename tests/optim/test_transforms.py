"""The gradient transforms (optim/transforms.py) and the ParamSpec records (optim/param_groups.py),
through the public API.

Transforms: an optimizer with groups that mix weight decay and gradient centralization, a loss scale,
and an ``nn.Embedding`` table whose gradient is a RowTensor. The row-sparse path (ProximalAdagrad's
sparse rule) and the dense path (the same gradient densified) give, on the rows present, the
documented update: g = (g + wd * loss_scale * w - centralization) / loss_scale, with weight decay
added once per occurrence of a row. ParamSpecs: resolved from groups as MindSpore resolves them
(the 'beta'/'gamma' decay filter without groups, every parameter of a group with groups,
order_params, a weight-decay Cell, and the wrappers that change them)."""

import numpy as np
import pytest

import minispore as ms
from minispore import Parameter, RowTensor, Tensor, nn
from minispore.optim.transforms import OPTIMIZER_TRANSFORMS, rowwise

V, E, OUT = 6, 16, 3  # table rows, row width (a multiple of 16: MindSpore centralizes only then), outputs
LOSS_SCALE = 4.0
ACCUM = 0.1
LR = {"emb.embedding_table": 0.1, "fc.weight": 0.1, "fc.bias": 0.05}
WD = {"emb.embedding_table": 0.1, "fc.weight": 0.1, "fc.bias": 0.2}
GC = {"emb.embedding_table": True, "fc.weight": True, "fc.bias": True}  # 1-D bias: not centralized


def _values(seed=0):
    rng = np.random.default_rng(seed)
    return {"emb.embedding_table": rng.normal(size=(V, E)).astype(np.float32),
            "fc.weight": rng.normal(size=(OUT, E)).astype(np.float32),
            "fc.bias": rng.normal(size=(OUT,)).astype(np.float32)}


class EmbNet(nn.Cell):
    def __init__(self, values):
        super().__init__()
        self.emb = nn.Embedding(V, E, embedding_table=Tensor(values["emb.embedding_table"]))
        self.fc = nn.Dense(E, OUT, weight_init=Tensor(values["fc.weight"]), bias_init=Tensor(values["fc.bias"]))

    def construct(self, ids):
        return self.fc(self.emb(ids).sum(1))


def _groups(net):
    table, weight, bias = net.trainable_params()
    return [{"params": [table, weight], "weight_decay": 0.1, "grad_centralization": True},
            {"params": [bias], "weight_decay": 0.2, "lr": 0.05, "grad_centralization": True}]


def _optimizer(params, cls=nn.ProximalAdagrad):
    return cls(params, accum=ACCUM, learning_rate=0.1, loss_scale=LOSS_SCALE)


def _scaled_grads(net, ids, label):
    """The gradients of LOSS_SCALE * mse (the table's is a RowTensor)."""
    def loss(x, y):
        d = net(x) - y
        return (d * d).mean() * LOSS_SCALE

    _, grads = ms.value_and_grad(loss, None, net.trainable_params())(Tensor(ids), Tensor(label))
    return grads


# ---- numpy: the documented formula ---------------------------------------------------------------

def _prepared(g, w, wd, gc, ls=LOSS_SCALE):
    """MindSpore's pipeline on a gradient (or on rows with their weights): decay, centralize, unscale."""
    g = g + wd * ls * w
    if gc and g.ndim > 1 and g.shape[1] % 16 == 0:
        g = g - g.mean(axis=tuple(range(1, g.ndim)), keepdims=True)
    return g / ls


def _proximal_adagrad(w, g, lr, accum=ACCUM):
    """ProximalAdagrad with l1 = l2 = 0: w - lr * g / sqrt(accum + g^2)."""
    return w - lr * g / np.sqrt(accum + g * g)


def _rows_reference(w, indices, values, wd, gc, lr, accum=None):
    """The row-sparse update: each row prepared with its weights (decay once per occurrence), repeated
    rows summed, then the rule on the rows present; the other rows keep their values (and accum).
    Returns the new w, and the new accum when one is given."""
    rows = _prepared(values, w[indices], wd, gc)
    g = np.zeros_like(w)
    np.add.at(g, indices, rows)
    out, present = w.copy(), np.unique(indices)
    a = np.full(w.shape, ACCUM) if accum is None else accum.copy()
    out[present] = w[present] - lr * g[present] / np.sqrt(a[present] + g[present] ** 2)
    a[present] += g[present] ** 2
    return out if accum is None else (out, a)


def _f64(a):
    return np.asarray(a, np.float64)


# ---- the transform list ------------------------------------------------------------------------

def test_transform_lists_follow_mindspore():
    names = [t.name for t in OPTIMIZER_TRANSFORMS]
    assert names == ["weight_decay", "grad_centralization", "unscale"]
    ps = [Parameter(Tensor(np.ones((2, 2), np.float32)), name="w")]
    for opt in (nn.Momentum(ps, 0.1, 0.9), nn.Adam(ps), nn.FTRL(ps), nn.ProximalAdagrad(ps), nn.RMSProp(ps)):
        assert [t.name for t in opt.grad_transforms] == names
    assert [t.name for t in nn.Lamb(ps, 0.1).grad_transforms] == ["grad_centralization"]
    assert nn.AdamWeightDecay(ps).grad_transforms == () and nn.AdaFactor(ps).grad_transforms == ()


def test_embedding_gradient_dense_and_row_sparse_paths_agree_with_the_formula():
    values = _values()
    sparse_net, dense_net = EmbNet(values), EmbNet(values)
    ids = np.array([[4, 1], [0, 4], [1, 1]], np.int32)  # rows 2, 3, 5 absent; 1 and 4 repeated
    label = np.random.default_rng(1).normal(size=(3, OUT)).astype(np.float32)
    grads = _scaled_grads(sparse_net, ids, label)
    assert isinstance(grads[0], RowTensor)
    sparse_opt, dense_opt = _optimizer(_groups(sparse_net)), _optimizer(_groups(dense_net))
    dense_grads = tuple(g.to_dense() if isinstance(g, RowTensor) else g for g in grads)
    # The rows summed first: one occurrence per row, so decay counts once per row on both paths.
    table_grad = grads[0].to_dense().asnumpy()
    present = np.unique(ids)
    merged = RowTensor(Tensor(present.astype(np.int32)), Tensor(table_grad[present]), (V, E))
    sparse_opt((merged,) + tuple(grads[1:]))
    dense_opt(dense_grads)

    table = _f64(values["emb.embedding_table"])
    want_rows = _rows_reference(table, present, _f64(table_grad[present]), 0.1, True, 0.1)
    got_sparse = sparse_net.emb.embedding_table.asnumpy()
    got_dense = dense_net.emb.embedding_table.asnumpy()
    np.testing.assert_allclose(got_sparse[present], want_rows[present], rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(got_dense[present], got_sparse[present], rtol=1e-5, atol=1e-6)
    absent = np.setdiff1d(np.arange(V), present)
    np.testing.assert_array_equal(got_sparse[absent], values["emb.embedding_table"][absent])
    # The dense path decays (and centralizes) the absent rows too: their gradient is 0 + wd * loss_scale * w.
    want_absent = _proximal_adagrad(table[absent], _prepared(0.0, table[absent], 0.1, True), 0.1)
    np.testing.assert_allclose(got_dense[absent], want_absent, rtol=1e-5, atol=1e-6)
    # The dense parameters follow the same formula on both optimizers.
    for net in (sparse_net, dense_net):
        for p, g in zip(net.trainable_params()[1:], grads[1:]):
            name = p.name
            w = _f64(values[name])
            want = _proximal_adagrad(w, _prepared(_f64(g.asnumpy()), w, WD[name], GC[name]), LR[name])
            np.testing.assert_allclose(p.asnumpy(), want, rtol=1e-5, atol=1e-6, err_msg=name)


def test_repeated_rows_take_weight_decay_once_per_occurrence():
    values = _values(2)
    net = EmbNet(values)
    ids = np.array([[4, 1], [0, 4], [1, 1]], np.int32)
    label = np.random.default_rng(3).normal(size=(3, OUT)).astype(np.float32)
    grads = _scaled_grads(net, ids, label)
    indices, rows = grads[0].indices.asnumpy(), grads[0].values.asnumpy()
    assert len(indices) > len(np.unique(indices))
    _optimizer(_groups(net))(grads)
    want = _rows_reference(_f64(values["emb.embedding_table"]), indices, _f64(rows), 0.1, True, 0.1)
    np.testing.assert_allclose(net.emb.embedding_table.asnumpy(), want, rtol=1e-5, atol=1e-6)


class HalvingDecay(nn.Cell):
    """A weight-decay Cell: 0.1 * 0.5 ** global_step."""

    def construct(self, global_step):
        return 0.1 * ms.ops.pow(0.5, ms.ops.cast(global_step, ms.float32))


def test_a_weight_decay_cell_scales_the_rows_of_default_groups_only():
    table = _values()["emb.embedding_table"]
    w = _values(4)["fc.weight"]
    ps = [Parameter(Tensor(table.copy()), name="table"), Parameter(Tensor(w.copy()), name="w")]
    groups = [{"params": [ps[0]]}, {"params": [ps[1]], "weight_decay": 0.3}]
    opt = nn.ProximalAdagrad(groups, accum=ACCUM, learning_rate=0.1, weight_decay=HalvingDecay(),
                             loss_scale=LOSS_SCALE)
    assert [s.decay_schedule for s in opt.specs] == [True, False]
    indices = np.array([5, 2, 5], np.int32)
    rows = np.random.default_rng(5).normal(size=(3, E)).astype(np.float32)
    gw = np.random.default_rng(6).normal(size=w.shape).astype(np.float32)
    want, accum = _f64(table), np.full(table.shape, ACCUM)
    for step in range(2):
        opt((RowTensor(Tensor(indices), Tensor(rows), (V, E)), Tensor(gw)))
        wd = 0.1 * 0.5 ** step  # the table's decay: the Cell's value at this step (times its 1.0)
        want, accum = _rows_reference(want, indices, _f64(rows), wd, False, 0.1, accum)
        np.testing.assert_allclose(ps[0].asnumpy(), want, rtol=1e-5, atol=1e-6, err_msg=f"step {step}")
        if step == 0:  # the group's own 0.3 is not scaled by the Cell
            want_w = _proximal_adagrad(_f64(w), _prepared(_f64(gw), _f64(w), 0.3, False), 0.1)
            np.testing.assert_allclose(ps[1].asnumpy(), want_w, rtol=1e-5, atol=1e-6)
    untouched = np.setdiff1d(np.arange(V), indices)
    np.testing.assert_array_equal(ps[0].asnumpy()[untouched], table[untouched])


def test_one_more_transform_is_one_more_entry():
    """How AMP's unscale or data parallel's all-reduce will be added: an entry before weight decay."""
    halve = rowwise("halve", lambda g, weights, spec, opt: g * 0.5)

    class HalvingProximalAdagrad(nn.ProximalAdagrad):
        grad_transforms = (halve,) + OPTIMIZER_TRANSFORMS

    values = _values(7)
    net = EmbNet(values)
    ids = np.array([[3, 0], [2, 2], [5, 3]], np.int32)
    label = np.random.default_rng(8).normal(size=(3, OUT)).astype(np.float32)
    grads = _scaled_grads(net, ids, label)
    indices, rows = grads[0].indices.asnumpy(), grads[0].values.asnumpy()
    _optimizer(_groups(net), HalvingProximalAdagrad)(grads)
    want = _rows_reference(_f64(values["emb.embedding_table"]), indices, _f64(rows) * 0.5, 0.1, True, 0.1)
    np.testing.assert_allclose(net.emb.embedding_table.asnumpy(), want, rtol=1e-5, atol=1e-6)
    name = "fc.weight"
    w = _f64(values[name])
    want = _proximal_adagrad(w, _prepared(_f64(grads[1].asnumpy()) * 0.5, w, WD[name], GC[name]), LR[name])
    np.testing.assert_allclose(net.fc.weight.asnumpy(), want, rtol=1e-5, atol=1e-6)


# ---- ParamSpec records -----------------------------------------------------------------------------

def _bn_params():
    shapes = {"conv.weight": (2, 1, 3, 3), "bn.gamma": (2,), "bn.beta": (2,), "fc.bias": (3,)}
    return [Parameter(Tensor(np.ones(s, np.float32)), name=n) for n, s in shapes.items()]


def _facts(opt):
    return [(s.param.name, s.index, s.group, s.weight_decay, s.decay, s.grad_centralization) for s in opt.specs]


def test_specs_without_groups_skip_beta_and_gamma():
    ps = _bn_params()
    opt = nn.Momentum(ps, learning_rate=0.1, momentum=0.9, weight_decay=0.1)
    assert _facts(opt) == [("conv.weight", 0, 0, 0.1, True, False), ("bn.gamma", 1, 0, 0.1, False, False),
                           ("bn.beta", 2, 0, 0.1, False, False), ("fc.bias", 3, 0, 0.1, True, False)]
    assert all(s.param is p for s, p in zip(opt.specs, opt.parameters))
    assert all(s.lr is opt.specs[0].lr and s.lr.source is opt.learning_rate for s in opt.specs)
    assert opt.decay == [0.1, 0.0, 0.0, 0.1] and opt.group_of == [0, 0, 0, 0]
    assert not any(s.decay_schedule for s in opt.specs)
    # FTRL has no name filter: every parameter decays
    assert [s.decay for s in nn.FTRL(ps, weight_decay=0.1).specs] == [True] * 4
    # no weight decay at all: nothing applies
    assert not any(s.decay for s in nn.SGD(ps).specs)


def test_specs_with_groups_decay_every_parameter_of_a_group():
    conv, gamma, beta, bias = ps = _bn_params()
    groups = [{"params": [gamma, beta], "weight_decay": 0.5},
              {"params": [conv, bias], "lr": 0.05, "grad_centralization": True},
              {"order_params": ps}]
    opt = nn.Momentum(groups, learning_rate=0.1, momentum=0.9, weight_decay=0.0)
    assert _facts(opt) == [("conv.weight", 0, 1, 0.0, False, True), ("bn.gamma", 1, 0, 0.5, True, False),
                           ("bn.beta", 2, 0, 0.5, True, False), ("fc.bias", 3, 1, 0.0, False, True)]
    assert opt.group_of == [1, 0, 0, 1] and opt.grad_centralization == [True, False, False, True]
    assert opt.is_group and opt.is_group_lr
    assert opt.specs[0].lr.source is opt.learning_rate_group_1 is opt.get_lr_parameter(conv)
    assert opt.specs[1].lr.source is opt.learning_rate_group_0 is opt.get_lr_parameter(gamma)
    np.testing.assert_allclose([float(opt.specs[i].lr.param.asnumpy()) for i in (0, 1)], [0.05, 0.1])


def test_specs_with_a_weight_decay_cell():
    conv, gamma, beta, bias = _bn_params()
    opt = nn.Momentum([{"params": [conv, gamma]}, {"params": [beta, bias], "weight_decay": 0.2}],
                      learning_rate=0.1, momentum=0.9, weight_decay=HalvingDecay())
    # the default weight decay is the Cell (a multiplier of 1.0); a group's own value is a float
    assert [(s.weight_decay, s.decay, s.decay_schedule) for s in opt.specs] == [
        (1.0, True, True), (1.0, True, True), (0.2, True, False), (0.2, True, False)]
    with pytest.raises(TypeError, match="weight-decay Cell is not supported by FTRL"):
        nn.FTRL([conv], weight_decay=HalvingDecay())


def test_wrappers_change_the_specs():
    ps = _bn_params()
    inner = nn.Momentum([{"params": ps, "weight_decay": 0.1, "grad_centralization": True}], 0.1, 0.9,
                        loss_scale=2.0)
    lars = nn.LARS(inner)
    assert [s.decay for s in lars.specs] == [True] * 4 and [s.decay for s in inner.specs] == [False] * 4
    assert lars.decay == [0.1] * 4 and inner.decay == [0.0] * 4
    assert lars.grad_centralization == inner.grad_centralization == [True] * 4
    assert [r["decay_applied"] for r in lars.describe().rows] == [True, True, True, False]  # lars_filter: bias
    offload = nn.Adam([{"params": ps, "grad_centralization": True}], use_offload=True)
    assert offload.grad_centralization == [False] * 4


def test_group_errors_keep_mindspore_messages():
    conv, gamma, beta, bias = _bn_params()
    with pytest.raises(ValueError, match="'weight_decay' must be >= 0.0, but got -0.1"):
        nn.Momentum([{"params": [conv], "weight_decay": -0.1}], 0.1, 0.9)
    with pytest.raises(ValueError, match="appears in more than one group"):
        nn.Momentum([{"params": [conv]}, {"params": [conv, bias]}], 0.1, 0.9)
    with pytest.raises(ValueError, match="unknown key"):
        nn.Momentum([{"params": [conv], "momentum": 0.5}], 0.1, 0.9)
    with pytest.raises(TypeError, match="learning_rate must be a float"):
        nn.Momentum([{"params": [conv], "lr": "0.1"}, {"params": [bias]}], 0.1, 0.9)
