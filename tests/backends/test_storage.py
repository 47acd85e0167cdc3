"""Device-resident state: Parameters bound once per compiled graph, host access through the storage.

A test backend whose storage copies (as a GPU's would) checks the seam for real: the step computes on
the storage's handles only, the host sees the values through ``to_host``, and a step never moves
parameters.
"""

import gc
import weakref

import numpy as np

import minispore as ms
from minispore import Tensor, nn
from minispore.backends.base import HostStorage
from minispore.backends.cpu import CpuBackend
from minispore.graph.session import SESSION
from minispore.runtime import compiler


def test_host_storage_round_trip_without_copies():
    storage = HostStorage()
    a = np.arange(6, dtype=np.float32).reshape(2, 3)
    handle = storage.to_device(a)
    assert handle is a and storage.to_host(handle) is a  # zero copies on the host targets
    storage.copy_in(handle, np.ones((2, 3), np.float32))
    np.testing.assert_array_equal(a, 1.0)
    scalar = np.zeros((), np.int64)
    assert storage.to_device(scalar).shape == ()  # 0-d state (step counters) stays 0-d
    strided = np.arange(12, dtype=np.float32).reshape(3, 4)[:, ::2]
    dense = storage.to_device(strided)
    assert dense.flags.c_contiguous and np.array_equal(dense, strided)
    assert storage.alloc((4,), np.int32).dtype == np.int32


class CopyingStorage(HostStorage):
    """A 'device' in host memory: every transfer copies and is counted."""

    def __init__(self):
        self.to_device_calls = self.to_host_calls = 0

    def to_device(self, array):
        self.to_device_calls += 1
        return np.array(array, order="C", copy=True)

    def to_host(self, handle):
        self.to_host_calls += 1
        return handle.copy()


class CopyingBackend(CpuBackend):
    target = "CopyingCPU"

    def __init__(self, context, cache):
        super().__init__(context, cache)
        self._storage = CopyingStorage()


def _use_copying_backend(monkeypatch):
    backend = CopyingBackend(SESSION.context, compiler.ModuleCache(SESSION.context["compile_cache_dir"]))
    monkeypatch.setattr(compiler, "current_backend", lambda: backend)
    return backend.storage()


def _train_cell():
    net = nn.Dense(3, 2, weight_init="ones", bias_init="zeros")
    opt = nn.Momentum(net.trainable_params(), learning_rate=0.1, momentum=0.9)
    return net, nn.TrainOneStepCell(nn.WithLossCell(net, nn.MSELoss()), opt)


def _step(train, k):
    x = np.arange(12, dtype=np.float32).reshape(4, 3) / (k + 1)
    return train(Tensor(x), Tensor(np.ones((4, 2), np.float32))).asnumpy()


def test_parameters_move_once_and_the_host_reads_the_device(monkeypatch):
    ref_net, ref_train = _train_cell()  # the same run on the CPU target's host storage
    ref_losses = [_step(ref_train, k) for k in range(4)]
    storage = _use_copying_backend(monkeypatch)
    net, train = _train_cell()
    losses = [_step(train, 0)]
    n_state = len(train._compile_cache.last.params)
    assert storage.to_device_calls == n_state  # weights, bias, moments, lr and step counter: once each
    losses += [_step(train, k) for k in range(1, 4)]
    assert storage.to_device_calls == n_state  # no step moves parameters
    assert net.weight._storage is storage and net.weight._host is None
    np.testing.assert_array_equal(losses, ref_losses)
    reads = storage.to_host_calls
    np.testing.assert_array_equal(net.weight.asnumpy(), ref_net.weight.asnumpy())  # read through the storage
    assert storage.to_host_calls == reads + 1


def test_set_data_writes_the_resident_value(monkeypatch):
    storage = _use_copying_backend(monkeypatch)
    net, train = _train_cell()
    _step(train, 0)
    moved = storage.to_device_calls
    net.weight.set_data(Tensor(np.full((2, 3), 0.5, np.float32)))  # same shape: copied into the handle
    assert storage.to_device_calls == moved
    np.testing.assert_array_equal(net.weight.asnumpy(), 0.5)
    ref_net, ref_train = _train_cell()
    monkeypatch.undo()
    _step(ref_train, 0)
    ref_net.weight.set_data(Tensor(np.full((2, 3), 0.5, np.float32)))
    np.testing.assert_array_equal(_step(ref_train, 1), _step(train, 1))  # the next step read the new value
    np.testing.assert_array_equal(net.weight.asnumpy(), ref_net.weight.asnumpy())


def test_new_shape_recompiles_and_moves_the_parameter():
    net, train = _train_cell()
    _step(train, 0)
    before = len(train._compile_cache.entries)
    net.weight.set_data(Tensor(np.ones((2, 3), np.float64)))  # new dtype: a new value on the host
    assert net.weight._storage is None and net.weight.asnumpy().dtype == np.float64
    net.weight.set_data(Tensor(np.ones((2, 3), np.float32)))
    _step(train, 1)
    assert len(train._compile_cache.entries) == before + 1
    assert net.weight._storage is not None


def test_collected_gradient_function_frees_its_graphs():
    def square(x):
        return x * x

    g = ms.grad(square)
    np.testing.assert_array_equal(g(Tensor(np.float32([3.0]))).asnumpy(), [6.0])
    cache = SESSION.grad_functions[square]
    compiled = weakref.ref(next(iter(next(iter(cache.values())).entries.values())))
    np.testing.assert_array_equal(ms.grad(square)(Tensor(np.float32([2.0]))).asnumpy(), [4.0])
    assert len(next(iter(cache.values())).entries) == 1  # grad(square) again reused the compiled graph
    del g, square, cache
    gc.collect()
    assert compiled() is None
