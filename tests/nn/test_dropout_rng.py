"""Dropout's counter-based generator (Philox-4x32-10) and its Cell-owned step counters.

The generator is checked against the standard algorithm (numpy's Philox and Random123's known
answers); masks are identical on the compiled CPU target (serial and parallel) and the reference
executor; the counters are listed by ``parameters_and_names()`` (not by ``trainable_params()``), so a
run resumed from saved values repeats the uninterrupted run bit for bit."""

import numpy as np
import pytest

import minispore as ms
from minispore import Tensor, nn, ops
from minispore.backends.cpu import kernel_library
from minispore.backends.cpu.kernel_library import PARALLEL_MIN
from minispore.ops.random_ops import philox4x32_10, philox_uniform
from minispore.ops.registry import OPS
from minispore.runtime.cache import ModuleCache

# ---- the generator is standard Philox ----------------------------------------------------------

# (multipliers, Weyl key increments) of Random123's Philox-4xW
_PHILOX = {32: ((0xD2511F53, 0xCD9E8D57), (0x9E3779B9, 0xBB67AE85)),
           64: ((0xD2E7470EE14C6C93, 0xCA5A826395121157), (0x9E3779B97F4A7C15, 0xBB67AE8584CAA73B))}


def _philox_int(ctr, key, width, rounds=10):
    """Philox-4x<width> on Python ints, written from the published algorithm independently of ours."""
    (m0, m1), (w0, w1) = _PHILOX[width]
    mask = (1 << width) - 1
    c, k = list(ctr), list(key)
    for r in range(rounds):
        if r:
            k = [(k[0] + w0) & mask, (k[1] + w1) & mask]
        p0, p1 = m0 * c[0], m1 * c[2]
        c = [(p1 >> width) ^ c[1] ^ k[0], p1 & mask, (p0 >> width) ^ c[3] ^ k[1], p0 & mask]
    return c


def test_reference_philox_is_numpys_philox_algorithm():
    # numpy's Philox is Philox-4x64-10: its first block is the one of counter + 1 (it increments the
    # 256-bit counter, word 0 lowest, before each block) under its 2-word key.
    for counter, key in (([5, 6, 7, 8], [11, 12]), ([2**64 - 1, 2**63, 0, 1], [2**64 - 1, 3])):
        raw = np.random.Philox(counter=np.array(counter, np.uint64), key=np.array(key, np.uint64)).random_raw(8)
        n = counter[0] + (counter[1] << 64) + (counter[2] << 128) + (counter[3] << 192)
        want = []
        for j in (1, 2):
            c = (n + j) % 2**256
            want += _philox_int([(c >> (64 * w)) & (2**64 - 1) for w in range(4)], key, 64)
        assert [int(v) for v in raw] == want


# Random123's tests/kat_vectors, the "philox4x32 10" lines: counter, key -> block
_KAT = [((0, 0, 0, 0), (0, 0), (0x6627E8D5, 0xE169C58D, 0xBC57AC4C, 0x9B00DBD8)),
        ((0xFFFFFFFF,) * 4, (0xFFFFFFFF,) * 2, (0x408F276D, 0x41C83B0E, 0xA20BC7C6, 0x6D5451FD)),
        ((0x243F6A88, 0x85A308D3, 0x13198A2E, 0x03707344), (0xA4093822, 0x299F31D0),
         (0xD16CFE09, 0x94FDCCEB, 0x5001E420, 0x24126EA1))]


@pytest.mark.parametrize("ctr,key,want", _KAT)
def test_philox4x32_10_known_answers(ctr, key, want):
    assert tuple(_philox_int(ctr, key, 32)) == want
    got = philox4x32_10(*(np.uint64(v) for v in ctr + key))
    assert tuple(int(v) for v in got) == want


def test_vectorised_philox_matches_the_algorithm():
    rng = np.random.default_rng(0)
    ctr = rng.integers(0, 2**32, (4, 50), dtype=np.uint64)
    key = rng.integers(0, 2**32, 2, dtype=np.uint64)
    got = np.stack(philox4x32_10(*ctr, *key))
    for j in range(ctr.shape[1]):
        assert [int(v) for v in got[:, j]] == _philox_int([int(v) for v in ctr[:, j]], [int(v) for v in key], 32)
    u = philox_uniform(got)
    assert u.dtype == np.float64 and u.min() >= 0 and u.max() < 1
    np.testing.assert_array_equal(u.astype(np.float32).astype(np.float64), u)  # exact in float32


def test_reference_mask_layout():
    # element i is word i % 4 of the block of counter (i // 4, 0, step low, step high) under (seed low, seed high)
    seed, step, keep = 0x1234_5678_9ABC_DEF0, 2**32 + 7, 0.6
    mask = OPS["DropoutMask"].reference(np.array(step, np.int64), shape=(3, 3), keep_prob=keep, seed=seed,
                                        scale=2.0, dtype=np.float64)
    words = [w for b in range(3) for w in _philox_int([b, 0, step & 0xFFFFFFFF, step >> 32],
                                                      [seed & 0xFFFFFFFF, seed >> 32], 32)]
    want = [2.0 if (w >> 8) / 2**24 < keep else 0.0 for w in words[:9]]
    np.testing.assert_array_equal(mask.reshape(-1), want)


# ---- the same masks everywhere ---------------------------------------------------------------

class _Mask(nn.Cell):
    """One step of ``DropoutMask`` with the given counter value, on the device target."""

    def __init__(self, shape, keep, seed, step):
        super().__init__()
        self.counter = ms.Parameter(Tensor(np.array(step, np.int64)), requires_grad=False)
        self.attrs = dict(shape=shape, keep_prob=keep, seed=seed, scale=1.0 / keep, dtype=np.float32)

    def construct(self, x):
        return x * ops.registry.apply("DropoutMask", self.counter, **self.attrs)


@pytest.mark.parametrize("shape,seed,step", [((1,), 0, 0), ((7, 3), 2**64 - 1, 5), ((33, 1001), 99, 2**40 + 3),
                                             ((PARALLEL_MIN + 5,), 12345, 1)])
def test_cpu_kernel_matches_reference_bit_for_bit(shape, seed, step):
    x = Tensor(np.ones(shape, np.float32))
    got = _Mask(shape, 0.7, seed, step)(x).asnumpy()
    want = OPS["DropoutMask"].reference(np.array(step, np.int64), shape=shape, keep_prob=0.7, seed=seed,
                                        scale=1 / 0.7, dtype=np.float32)
    np.testing.assert_array_equal(got, want)


class _Net(nn.Cell):
    def __init__(self, width=16):
        super().__init__()
        self.fc1 = nn.Dense(8, width, activation="relu")
        self.drop = nn.Dropout(p=0.3)
        self.fc2 = nn.Dense(width, 3)

    def construct(self, x):
        return self.fc2(self.drop(self.fc1(x)))


def _masks(**context):
    """Three steps of a dropout over 256 x 256 (above PARALLEL_MIN) under ``context``."""
    ms.set_context(**context)
    try:
        ms.set_seed(11)
        drop = nn.Dropout(p=0.4).set_train()
        x = Tensor(np.ones((256, 256), np.float32))
        return [drop(x).asnumpy() for _ in range(3)]
    finally:
        ms.set_context(cpu_parallel=False, cpu_threads=None, executor="compiled")


def test_same_masks_on_one_and_two_threads_and_the_reference_executor():
    assert 256 * 256 >= PARALLEL_MIN
    serial = _masks()
    parallel = _masks(cpu_parallel=True, cpu_threads=2)
    reference = _masks(executor="reference")
    lib = kernel_library.load(OPS, ModuleCache(), parallel=True)
    assert lib.dropout_mask_kernel.targetoptions.get("parallel"), "the parallel library's mask kernel runs prange"
    for s, p, r in zip(serial, parallel, reference):
        np.testing.assert_array_equal(s, p)
        np.testing.assert_array_equal(s, r)
    assert not np.array_equal(serial[0], serial[1])


def test_masks_change_every_step_and_keep_one_minus_p():
    ms.set_seed(5)
    drop = nn.Dropout(p=0.25).set_train()
    x = Tensor(np.ones((300, 400), np.float32))
    masks = [drop(x).asnumpy() != 0 for _ in range(4)]
    for a, b in zip(masks, masks[1:]):
        assert (a != b).mean() > 0.3  # independent Bernoulli(0.75) masks differ in 37.5% of places
    for m in masks:
        assert abs(m.mean() - 0.75) < 0.01  # the standard deviation is 0.0008
    assert int(drop.dropout_counter.asnumpy()) == 4


# ---- counters are Cell state ---------------------------------------------------------------

def _train_cell(seed):
    ms.set_seed(seed)
    net = _Net()
    loss = nn.SoftmaxCrossEntropyWithLogits(sparse=True, reduction="mean")
    train = nn.TrainOneStepCell(nn.WithLossCell(net, loss), nn.Momentum(net.trainable_params(), 0.1, 0.9))
    return train.set_train(), net


def test_counter_is_listed_but_not_trainable():
    train, net = _train_cell(0)
    names = dict(train.parameters_and_names())
    counter = net.drop.dropout_counter
    assert names["network._backbone.drop.dropout_counter"] is counter
    assert counter.name == "drop.dropout_counter" and counter.requires_grad is False
    assert counter.shape == () and counter.dtype == ms.int64
    assert all(p is not counter for p in train.trainable_params())
    assert [p.name for p in net.trainable_params()] == ["fc1.weight", "fc1.bias", "fc2.weight", "fc2.bias"]
    assert [p.name for p in net.get_parameters()] == ["fc1.weight", "fc1.bias", "drop.dropout_counter",
                                                      "fc2.weight", "fc2.bias"]


def _state(train):
    """Every value a resume needs, by name: ``parameters_and_names()`` (weights, the dropout counter,
    global_step, lr) and Momentum's ``moments``, which are a ParameterTuple attribute that Cell does
    not list yet (MindSpore's graph-mode Cell does; left to the checkpoint work)."""
    state = dict(train.parameters_and_names())
    state.update((p.name, p) for p in train.optimizer.moments)
    return state


def test_resume_from_saved_values_repeats_the_run_exactly():
    rng = np.random.default_rng(3)
    batches = [(Tensor(rng.standard_normal((32, 8)).astype(np.float32)),
                Tensor(rng.integers(0, 3, 32).astype(np.int32))) for _ in range(6)]

    train, _ = _train_cell(21)
    straight = [train(*b).asnumpy() for b in batches]
    final = {n: p.asnumpy().copy() for n, p in _state(train).items()}

    train, _ = _train_cell(21)
    first = [train(*b).asnumpy() for b in batches[:3]]
    saved = {n: p.asnumpy().copy() for n, p in _state(train).items()}
    assert int(saved["network._backbone.drop.dropout_counter"]) == 3

    train, _ = _train_cell(21)
    for n, p in _state(train).items():
        p.set_data(Tensor(saved[n]))
    rest = [train(*b).asnumpy() for b in batches[3:]]
    for a, b in zip(straight, first + rest):
        np.testing.assert_array_equal(a, b)
    resumed = _state(train)
    assert list(resumed) == list(final)
    for n, v in final.items():
        np.testing.assert_array_equal(resumed[n].asnumpy(), v, err_msg=n)


def test_resume_without_the_counter_draws_other_masks():
    rng = np.random.default_rng(4)
    x = Tensor(rng.standard_normal((32, 8)).astype(np.float32))
    y = Tensor(rng.integers(0, 3, 32).astype(np.int32))
    train, _ = _train_cell(2)
    train(x, y)
    saved = {n: p.asnumpy().copy() for n, p in _state(train).items()}
    want = train(x, y).asnumpy()
    again, _ = _train_cell(2)
    for n, p in _state(again).items():
        if not n.endswith("dropout_counter"):
            p.set_data(Tensor(saved[n]))
    assert not np.array_equal(again(x, y).asnumpy(), want)  # the counter is part of the state


class _Functional(nn.Cell):
    """Two functional dropouts in one construct."""

    def __init__(self):
        super().__init__()
        self.fc = nn.Dense(6, 6)

    def construct(self, x):
        h = ops.dropout(self.fc(x), p=0.5)
        return ops.dropout(h, p=0.2)


class _Outer(nn.Cell):
    def __init__(self):
        super().__init__()
        self.body = _Functional()

    def construct(self, x):
        return self.body(x)


def test_functional_dropout_counters_belong_to_the_traced_cell():
    ms.set_seed(8)
    outer = _Outer().set_train()
    assert [n for n, _ in outer.parameters_and_names()] == ["body.fc.weight", "body.fc.bias"]
    a = outer(Tensor(np.ones((4, 6), np.float32))).asnumpy()
    listed = dict(outer.parameters_and_names())
    # the cell's own Parameters come before its children's, as always
    assert list(listed) == ["body.dropout_counter_0", "body.dropout_counter_1", "body.fc.weight", "body.fc.bias"]
    c0, c1 = listed["body.dropout_counter_0"], listed["body.dropout_counter_1"]
    assert (c0.name, c1.name) == ("body.dropout_counter_0", "body.dropout_counter_1")
    assert not c0.requires_grad and outer.trainable_params() == [outer.body.fc.weight, outer.body.fc.bias]
    b = outer(Tensor(np.ones((4, 6), np.float32))).asnumpy()
    outer(Tensor(np.ones((5, 6), np.float32)))  # a new input shape: a new trace reuses both counters
    assert [n for n, _ in outer.parameters_and_names()] == list(listed)
    assert int(c0.asnumpy()) == int(c1.asnumpy()) == 3
    assert not np.array_equal(a, b)


def test_functional_dropout_state_restores_once_traced():
    # A functional dropout's seed and counter are made on the cell's first trace (the seed from
    # set_seed and the order of creation, as for nn.Dropout): trace a rebuilt cell once, then restore.
    x = Tensor(np.ones((8, 6), np.float32))
    ms.set_seed(9)
    net = _Functional().set_train()
    straight = [net(x).asnumpy() for _ in range(2)]
    saved = {n: p.asnumpy().copy() for n, p in net.parameters_and_names()}
    ms.set_seed(9)
    again = _Functional().set_train()
    again(x)
    for n, p in again.parameters_and_names():
        p.set_data(Tensor(saved[n]))
    straight.append(net(x).asnumpy())
    np.testing.assert_array_equal(again(x).asnumpy(), straight[2])
    assert not np.array_equal(straight[1], straight[2])


class _WithPrimitive(nn.Cell):
    def __init__(self):
        super().__init__()
        self.dense = nn.Dense(5, 5)
        self.dropout = ops.Dropout(keep_prob=0.5)
        self.extra = [ops.Dropout(keep_prob=0.9)]  # held by no Cell attribute

    def construct(self, x):
        out, mask = self.dropout(self.dense(x))
        out, _ = self.extra[0](out)
        return out, mask


def test_dropout_primitive_counter_is_listed_by_its_cell():
    ms.set_seed(4)
    net = _WithPrimitive().set_train()
    assert [n for n, _ in net.parameters_and_names()] == ["dropout.dropout_counter", "dense.weight", "dense.bias"]
    assert net.dropout.counter.name == "dropout.dropout_counter"
    x = Tensor(np.ones((40, 5), np.float32))
    m1 = net(x)[1].asnumpy()
    m2 = net(x)[1].asnumpy()
    assert not np.array_equal(m1, m2)
    listed = dict(net.parameters_and_names())
    assert list(listed) == ["dropout.dropout_counter", "dropout_counter_0", "dense.weight", "dense.bias"]
    assert listed["dropout_counter_0"] is net.extra[0].counter
    assert int(listed["dropout.dropout_counter"].asnumpy()) == int(listed["dropout_counter_0"].asnumpy()) == 2
    assert [p.name for p in net.trainable_params()] == ["dense.weight", "dense.bias"]


def test_eager_primitive_advances_its_counter():
    ms.set_seed(6)
    drop = ops.Dropout(keep_prob=0.5)
    x = Tensor(np.ones((20, 20), np.float32))
    m1, m2 = drop(x)[1].asnumpy(), drop(x)[1].asnumpy()
    assert int(drop.counter.asnumpy()) == 2 and not np.array_equal(m1, m2)
    key = ops.Dropout(keep_prob=0.5, Seed0=3, Seed1=4).seed
    assert key == 3 | 4 << 32
