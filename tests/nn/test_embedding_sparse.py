"""nn.Embedding and row-sparse gradients: the lookup against numpy, its RowTensor (RowTensor)
gradient, and LazyAdam / Adam(use_lazy=True) / FTRL / ProximalAdagrad updating only the rows of a
batch, against numpy transcriptions of MindSpore's documented sparse rules (repeated rows summed
first). Optimizers without a sparse rule densify and match dense (one-hot) training."""

import logging

import numpy as np
import pytest

import minispore as ms
from minispore import Parameter, RowTensor, Tensor, nn, ops
from minispore.nn.initializer import set_seed

R = np.random.default_rng(5)
V, E, B, L = 7, 3, 3, 2  # vocab, embedding size, batch, ids per sample
# Three batches: rows 0 and 6 never appear; repeated ids within a batch must be summed.
IDS = [np.array([[1, 3], [3, 3], [5, 1]], np.int32), np.array([[2, 2], [4, 1], [2, 5]], np.int32),
       np.array([[3, 4], [4, 4], [1, 2]], np.int32)]
LABELS = [R.standard_normal(B).astype(np.float32) for _ in IDS]


@pytest.fixture(autouse=True)
def _quiet_deprecation():
    # LazyAdam logs its deprecation warning on every construction
    logging.getLogger("minispore").setLevel(logging.ERROR)
    yield
    logging.getLogger("minispore").setLevel(logging.NOTSET)


# ---- the layer -----------------------------------------------------------------------------------

def test_embedding_forward_matches_numpy_and_mindspore_layout():
    set_seed(1)
    emb = nn.Embedding(V, E)
    table = emb.embedding_table.asnumpy()
    assert emb.embedding_table.name == "embedding_table" and table.shape == (V, E) and table.dtype == np.float32
    assert 0.002 < table.std() < 0.03  # 'normal': N(0, 0.01^2)
    ids = np.array([[[1, -1], [0, 6]]], np.int64)
    out = emb(Tensor(ids)).asnumpy()
    assert out.shape == (1, 2, 2, E)
    np.testing.assert_array_equal(out, table[ids % V])
    one_hot = nn.Embedding(V, E, use_one_hot=True, embedding_table=Tensor(table))
    np.testing.assert_allclose(one_hot(Tensor(ids % V)).asnumpy(), out, rtol=1e-6)
    padded = nn.Embedding(V, E, embedding_table="ones", padding_idx=2)
    np.testing.assert_array_equal(padded.embedding_table.asnumpy()[2], 0)
    assert "vocab_size=7, embedding_size=3" in repr(padded)


def test_embedding_argument_and_index_errors():
    with pytest.raises(TypeError, match="vocab_size"):
        nn.Embedding(7.0, 3)
    with pytest.raises(ValueError, match="embedding_size"):
        nn.Embedding(7, 0)
    with pytest.raises(ValueError, match="padding_idx"):
        nn.Embedding(7, 3, padding_idx=7)
    with pytest.raises(TypeError, match="dtype"):
        nn.Embedding(7, 3, dtype=ms.float32)
    emb = nn.Embedding(V, E)
    with pytest.raises(ValueError, match="out of range"):
        emb(Tensor(np.array([0, V], np.int32)))
    with pytest.raises(TypeError, match="int32 or int64"):
        emb(Tensor(np.array([0.0, 1.0], np.float32)))


# ---- the row-sparse gradient -----------------------------------------------------------------------

def _scatter_add(ids, rows, shape):
    dense = np.zeros(shape, np.float64)
    np.add.at(dense, ids.reshape(-1) % shape[0], rows.reshape(-1, shape[1]))
    return dense


def test_grad_of_the_table_is_a_row_tensor_with_repeats():
    emb = nn.Embedding(V, E)
    ids = np.array([[4, 1, 4], [-3, 0, 1]], np.int32)  # -3 is row 4 again
    w = R.standard_normal((2, 3, E)).astype(np.float32)

    def loss(x):
        return (emb(x) * Tensor(w)).sum()

    value, (g,) = ms.value_and_grad(loss, None, emb.trainable_params())(Tensor(ids))
    assert isinstance(g, RowTensor) and g.dense_shape == (V, E) and g.shape == (V, E)
    np.testing.assert_array_equal(g.indices.asnumpy(), ids.reshape(-1))
    np.testing.assert_allclose(g.values.asnumpy(), w.reshape(-1, E))
    np.testing.assert_allclose(g.to_dense().asnumpy(), _scatter_add(ids, w, (V, E)), rtol=1e-6)
    np.testing.assert_allclose(g.asnumpy(), _scatter_add(ids, w, (V, E)), rtol=1e-6)
    np.testing.assert_allclose(value.asnumpy(), (emb.embedding_table.asnumpy()[ids] * w).sum(), rtol=1e-5)
    (g2,) = ops.GradOperation(get_by_list=True)(loss, emb.trainable_params())(Tensor(ids))
    np.testing.assert_allclose(g2.to_dense().asnumpy(), g.to_dense().asnumpy())


def test_two_lookups_concatenate_and_a_dense_use_densifies():
    emb = nn.Embedding(V, E)
    a, b = np.array([1, 2], np.int32), np.array([2, 6, 6], np.int32)

    def two_lookups(x, y):
        return emb(x).sum() + (emb(y) * 2.0).sum()

    (g,) = ms.grad(two_lookups, None, emb.trainable_params())(Tensor(a), Tensor(b))
    assert isinstance(g, RowTensor)
    np.testing.assert_array_equal(np.sort(g.indices.asnumpy()), [1, 2, 2, 6, 6])  # both lookups, concatenated
    want = _scatter_add(a, np.ones((2, E)), (V, E)) + _scatter_add(b, 2 * np.ones((3, E)), (V, E))
    np.testing.assert_allclose(g.to_dense().asnumpy(), want)

    def tied(x):  # the table is also an output projection: its gradient must be dense
        h = emb(x)
        return ops.matmul(h, emb.embedding_table, False, True).sum()

    (d,) = ms.grad(tied, None, emb.trainable_params())(Tensor(a))
    assert isinstance(d, Tensor)
    table = emb.embedding_table.asnumpy().astype(np.float64)
    want = _scatter_add(a, np.tile(table.sum(0), (2, 1)), (V, E)) + np.tile(table[a].sum(0), (V, 1))
    np.testing.assert_allclose(d.asnumpy(), want, rtol=1e-5)


def test_row_tensor_arithmetic_and_validation():
    idx = Tensor(np.array([0, 2], np.int32))
    vals = Tensor(np.array([[1.0, 2.0], [3.0, 4.0]], np.float32))
    rt = RowTensor(idx, vals, (3, 2))
    both = rt + RowTensor(Tensor(np.array([2], np.int64)), Tensor(np.ones((1, 2), np.float32)), (3, 2))
    assert isinstance(both, RowTensor)
    np.testing.assert_array_equal(both.to_dense().asnumpy(), [[1, 2], [0, 0], [4, 5]])
    dense = rt + Tensor(np.ones((3, 2), np.float32))
    np.testing.assert_array_equal(dense.asnumpy(), [[2, 3], [1, 1], [4, 5]])
    np.testing.assert_array_equal((rt * 2.0).values.asnumpy(), [[2, 4], [6, 8]])
    np.testing.assert_array_equal(RowTensor(row_tensor=rt).dense_shape, (3, 2))
    with pytest.raises(ValueError, match="values"):
        RowTensor(idx, vals, (3, 3))
    with pytest.raises(ValueError, match="1-D int"):
        RowTensor(Tensor(np.zeros((2, 1), np.int32)), vals, (3, 2))


# ---- training: numpy transcriptions ----------------------------------------------------------------

class Net(nn.Cell):
    """pred[b] = sum_l (table[ids[b, l]] . w + bias); loss = mean((pred - label)^2)."""

    def __init__(self, table, w, bias, use_one_hot=False):
        super().__init__()
        self.emb = nn.Embedding(V, E, use_one_hot=use_one_hot, embedding_table=Tensor(table))
        self.fc = nn.Dense(E, 1, weight_init=Tensor(w), bias_init=Tensor(bias))

    def construct(self, ids):
        return ops.reshape(self.fc(self.emb(ids)), (B, L)).sum(axis=1)


def _init():
    rng = np.random.default_rng(3)
    return (rng.standard_normal((V, E)).astype(np.float32), rng.standard_normal((1, E)).astype(np.float32),
            rng.standard_normal(1).astype(np.float32))


def _numpy_grads(table, w, bias, ids, label):
    """(rows, values) of the table's sparse gradient, and the dense gradients of w and bias."""
    pred = (table[ids] @ w[0]).sum(1) + L * bias[0]
    dpred = 2.0 * (pred - label) / B
    values = np.repeat(dpred, L)[:, None] * w  # one row per looked-up id
    dw = (dpred[:, None, None] * table[ids]).sum((0, 1))[None, :]
    return ids.reshape(-1), values, dw, np.array([dpred.sum() * L])


def _unique_sum(rows, values):
    uniq, inv = np.unique(rows, return_inverse=True)
    sums = np.zeros((uniq.size,) + values.shape[1:])
    np.add.at(sums, inv, values)
    return uniq, sums


class NumpyAdam:
    """MindSpore's Adam (dense) and FusedSparseLazyAdam (rows of the summed sparse gradient)."""

    def __init__(self, params, lr, b1=0.9, b2=0.999, eps=1e-8):
        self.lr, self.b1, self.b2, self.eps, self.t = lr, b1, b2, eps, 0
        self.m = [np.zeros(p.shape) for p in params]
        self.v = [np.zeros(p.shape) for p in params]

    def begin(self):
        self.t += 1
        return self.lr * np.sqrt(1 - self.b2 ** self.t) / (1 - self.b1 ** self.t)

    def rows(self, k, p, rows, g, lr_t):
        m, v = self.m[k], self.v[k]
        m[rows] = self.b1 * m[rows] + (1 - self.b1) * g
        v[rows] = self.b2 * v[rows] + (1 - self.b2) * g * g
        p[rows] -= lr_t * m[rows] / (np.sqrt(v[rows]) + self.eps)


class NumpyFtrl:
    def __init__(self, params, lr, l1, l2, lr_power=-0.5, init=0.1):
        self.lr, self.l1, self.l2, self.p = lr, l1, l2, lr_power
        self.m = [np.full(p.shape, init) for p in params]
        self.v = [np.zeros(p.shape) for p in params]  # linear

    def begin(self):
        return self.lr

    def rows(self, k, w, rows, g, lr):
        a, u = self.m[k], self.v[k]
        new = a[rows] + g * g
        u[rows] += g - (new ** -self.p - a[rows] ** -self.p) / lr * w[rows]
        quad = new ** -self.p / lr + 2 * self.l2
        w[rows] = np.where(np.abs(u[rows]) > self.l1, (np.sign(u[rows]) * self.l1 - u[rows]) / quad, 0.0)
        a[rows] = new


class NumpyProximalAdagrad:
    def __init__(self, params, lr, l1, l2, init=0.1):
        self.lr, self.l1, self.l2 = lr, l1, l2
        self.m = [np.full(p.shape, init) for p in params]
        self.v = None

    def begin(self):
        return self.lr

    def rows(self, k, w, rows, g, lr):
        a = self.m[k]
        a[rows] += g * g
        lr_t = lr / np.sqrt(a[rows])
        prox = w[rows] - lr_t * g
        w[rows] = np.sign(prox) / (1 + lr_t * self.l2) * np.maximum(np.abs(prox) - lr_t * self.l1, 0.0)


def _numpy_training(opt, wd=0.0):
    """Three steps: the table by the sparse rule on the batch's rows, w and bias by the dense rule."""
    params = [p.astype(np.float64) for p in _init()]
    table, w, bias = params
    for ids, label in zip(IDS, LABELS):
        rows, values, dw, db = _numpy_grads(table, w, bias, ids, label)
        if wd:  # MindSpore: wd * w[indices] added to every row of the sparse gradient (repeats too)
            values = values + wd * table[rows]
            dw, db = dw + wd * w, db + wd * bias
        lr = opt.begin()
        opt.rows(0, table, *_unique_sum(rows, values), lr)
        opt.rows(1, w, np.array([0]), dw, lr)
        opt.rows(2, bias, np.array([0]), db, lr)
    return params


def _train(make_opt, use_one_hot=False, sens=1.0):
    net = Net(*_init(), use_one_hot=use_one_hot)
    opt = make_opt(net.trainable_params())
    step = nn.TrainOneStepCell(nn.WithLossCell(net, nn.MSELoss()), opt, sens=sens)
    seen = set()
    for ids, label in zip(IDS, LABELS):
        before = net.emb.embedding_table.asnumpy()
        step(Tensor(ids), Tensor(label))
        changed = np.flatnonzero((net.emb.embedding_table.asnumpy() != before).any(1))
        if not use_one_hot and opt._has_sparse_rule():
            assert set(changed) <= set(ids.reshape(-1)), "a row outside the batch changed"
        seen |= set(ids.reshape(-1))
    return net, opt, step


SPARSE = {
    "lazy_adam": (lambda ps: nn.LazyAdam(ps, learning_rate=0.05), lambda: NumpyAdam(_init(), 0.05)),
    "adam_use_lazy": (lambda ps: nn.Adam(ps, learning_rate=0.05, use_lazy=True), lambda: NumpyAdam(_init(), 0.05)),
    "ftrl": (lambda ps: nn.FTRL(ps, learning_rate=0.1, l1=0.01, l2=0.05), lambda: NumpyFtrl(_init(), 0.1, 0.01, 0.05)),
    "ftrl_lr_power": (lambda ps: nn.FTRL(ps, learning_rate=0.1, lr_power=-0.7),
                      lambda: NumpyFtrl(_init(), 0.1, 0.0, 0.0, lr_power=-0.7)),
    "proximal_adagrad": (lambda ps: nn.ProximalAdagrad(ps, learning_rate=0.2, l1=0.01, l2=0.1),
                         lambda: NumpyProximalAdagrad(_init(), 0.2, 0.01, 0.1)),
}


def _state(opt):
    if isinstance(opt, (nn.LazyAdam, nn.Adam)):
        return opt.moment1, opt.moment2
    if isinstance(opt, nn.FTRL):
        return opt.moments, opt.linear
    return opt.accum, None


@pytest.mark.parametrize("name", sorted(SPARSE))
def test_sparse_training_matches_numpy_and_touches_only_batch_rows(name):
    make, make_numpy = SPARSE[name]
    net, opt, step = _train(make)
    counts = step.compiled_graph().op_counts()
    assert "GatherGrad" not in counts, "the sparse gradient was densified"
    assert counts.get("FusedSparseLazyAdam", 0) + counts.get("SparseApplyFtrl", 0) + \
        counts.get("SparseApplyProximalAdagrad", 0) == 1
    ref = make_numpy()
    want = _numpy_training(ref)
    got = [net.emb.embedding_table, net.fc.weight, net.fc.bias]
    for g, w_ in zip(got, want):
        np.testing.assert_allclose(g.asnumpy(), w_, rtol=2e-5, atol=1e-6, err_msg=g.name)
    first, second = _state(opt)
    np.testing.assert_allclose(first[0].asnumpy(), ref.m[0], rtol=2e-5, atol=1e-6)
    if second is not None:
        np.testing.assert_allclose(second[0].asnumpy(), ref.v[0], rtol=2e-5, atol=1e-6)
    # rows 0 and 6 never appeared: value and every state slot untouched
    untouched = [0, 6]
    np.testing.assert_array_equal(net.emb.embedding_table.asnumpy()[untouched], _init()[0][untouched])
    init_state = {"lazy_adam": (0.0, 0.0), "adam_use_lazy": (0.0, 0.0), "proximal_adagrad": (0.1, None)}
    s1, s2 = init_state.get(name, (0.1, 0.0))
    np.testing.assert_array_equal(first[0].asnumpy()[untouched], np.float32(s1))
    if second is not None:
        np.testing.assert_array_equal(second[0].asnumpy()[untouched], np.float32(s2))


def test_lazy_adam_weight_decay_and_loss_scale_on_rows():
    # sens = loss_scale: the rows are scaled by 4, get wd * 4 * w[indices] each, then are divided by 4
    net, _, _ = _train(lambda ps: nn.LazyAdam(ps, learning_rate=0.05, weight_decay=0.01, loss_scale=4.0), sens=4.0)
    want = _numpy_training(NumpyAdam(_init(), 0.05), wd=0.01)
    for g, w_ in zip([net.emb.embedding_table, net.fc.weight, net.fc.bias], want):
        np.testing.assert_allclose(g.asnumpy(), w_, rtol=2e-5, atol=1e-6, err_msg=g.name)


@pytest.mark.parametrize("make", [
    lambda ps: nn.Momentum(ps, learning_rate=0.1, momentum=0.9, weight_decay=0.01),
    lambda ps: nn.Adam(ps, learning_rate=0.05),
    lambda ps: nn.SGD(ps, learning_rate=0.1),
], ids=["momentum", "adam", "sgd"])
def test_optimizer_without_sparse_rule_densifies_and_matches_dense_training(make):
    sparse_net, _, step = _train(make)
    assert "GatherGrad" in step.compiled_graph().op_counts()
    dense_net, _, _ = _train(make, use_one_hot=True)
    for a, b in zip(sparse_net.trainable_params(), dense_net.trainable_params()):
        np.testing.assert_allclose(a.asnumpy(), b.asnumpy(), rtol=1e-5, atol=1e-6, err_msg=a.name)


def test_dense_gradients_keep_the_dense_rule():
    # With a one-hot embedding the gradient is dense: FTRL's dense rule rewrites every row (rows never
    # looked up have u = 0 and become 0), while its sparse rule leaves them alone.
    dense_net, _, _ = _train(lambda ps: nn.FTRL(ps, learning_rate=0.1), use_one_hot=True)
    np.testing.assert_array_equal(dense_net.emb.embedding_table.asnumpy()[[0, 6]], 0)
    sparse_net, _, _ = _train(lambda ps: nn.FTRL(ps, learning_rate=0.1))
    np.testing.assert_array_equal(sparse_net.emb.embedding_table.asnumpy()[[0, 6]], _init()[0][[0, 6]])


# ---- optimizers driven with RowTensor gradients directly ---------------------------------------------

def test_optimizer_called_with_row_tensors():
    table = R.standard_normal((5, 2)).astype(np.float32)
    p = Parameter(Tensor(table.copy()), name="table")
    opt = nn.ProximalAdagrad([p], learning_rate=0.3, l1=0.02)
    idx = np.array([4, -1, 0], np.int32)  # -1 is row 4 again
    vals = R.standard_normal((3, 2)).astype(np.float32)
    opt((RowTensor(Tensor(idx), Tensor(vals), (5, 2)),))
    ref = NumpyProximalAdagrad([table], 0.3, 0.02, 0.0)
    want = table.astype(np.float64)
    ref.rows(0, want, *_unique_sum(idx % 5, vals.astype(np.float64)), 0.3)
    np.testing.assert_allclose(p.asnumpy(), want, rtol=1e-5)
    np.testing.assert_array_equal(p.asnumpy()[1:4], table[1:4])
    before = p.asnumpy()
    with pytest.raises(ValueError, match="out of range"):
        opt((RowTensor(Tensor(np.array([5], np.int32)), Tensor(vals[:1]), (5, 2)),))
    np.testing.assert_array_equal(p.asnumpy(), before)
    momentum = nn.Momentum([p], learning_rate=0.1, momentum=0.9)
    momentum((RowTensor(Tensor(idx), Tensor(vals), (5, 2)),))  # densified: a plain dense step
    np.testing.assert_allclose(p.asnumpy(), before - 0.1 * _scatter_add(idx, vals, (5, 2)), rtol=1e-6)


def test_grad_centralization_and_intermediate_tables():
    # Centralization is per row, so centralizing the value rows (repeats included) equals centralizing
    # the dense gradient; ProximalAdagrad with l1 = l2 = 0 leaves zero-gradient rows as they are, so
    # its sparse and dense rules then agree on every row.
    table = R.standard_normal((5, 3)).astype(np.float32)
    idx = np.array([1, 3, 1], np.int32)
    vals = R.standard_normal((3, 3)).astype(np.float32)

    def run(grad):
        p = Parameter(Tensor(table.copy()), name="table")
        nn.ProximalAdagrad([{"params": [p], "grad_centralization": True}], learning_rate=0.3)((grad,))
        return p.asnumpy()

    sparse = run(RowTensor(Tensor(idx), Tensor(vals), (5, 3)))
    dense = run(Tensor(_scatter_add(idx, vals, (5, 3)).astype(np.float32)))
    np.testing.assert_allclose(sparse, dense, rtol=1e-5, atol=1e-7)
    assert not np.allclose(sparse[1], table[1])
    # A lookup of a computed table: the RowTensor adjoint is densified before the Mul's rule.
    emb = nn.Embedding(5, 3)
    (g,) = ms.grad(lambda x: ops.sparse_gather_v2(emb.embedding_table * 2.0, x).sum(), None,
                   emb.trainable_params())(Tensor(idx))
    assert isinstance(g, Tensor)
    np.testing.assert_allclose(g.asnumpy(), _scatter_add(idx, 2 * np.ones((3, 3)), (5, 3)))
