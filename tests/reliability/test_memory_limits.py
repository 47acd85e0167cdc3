"""Shapes whose buffers could never be allocated are refused before anything is allocated, with an error that
names the largest buffers (op, shape, dtype, bytes, the user's line), the total and the limit: never numpy's
bare MemoryError, never minutes of swapping, never the kernel's OOM killer.

The compiled graph's check is ``backends.lower.check_memory`` (one for every backend: a device target calls it
again with its own budget); trace-time constants and eager results are checked by ``ops.memory.check_alloc``.
Every shape here is far beyond any machine (terabytes), so the tests hold wherever they run.
"""

import os
import time

import numpy as np
import pytest

from minispore import Parameter, Tensor, nn, ops
from minispore.backends import base
from minispore.backends.cpu import backend as cpu
from minispore.backends.lower import check_memory, schedule
from minispore.graph.opdef import OutOfMemoryError
from minispore.ops.memory import host_memory_bytes

HERE = os.path.basename(__file__)
BIG = 10**6  # (BIG, BIG) float32: 4 TB


class Outer(nn.Cell):
    def construct(self, a, b):
        return a + b  # the broadcast line


def test_a_broadcast_to_terabytes_is_refused_before_allocating():
    t0 = time.perf_counter()
    with pytest.raises(OutOfMemoryError) as err:
        Outer()(Tensor(np.ones((BIG, 1), np.float32)), Tensor(np.ones((1, BIG), np.float32)))
    assert time.perf_counter() - t0 < 120  # refused while compiling: nothing was allocated or touched
    e = err.value
    assert isinstance(e, MemoryError) and isinstance(e, RuntimeError)  # numpy's type, MindSpore's/PyTorch's
    msg = str(e)
    assert msg.startswith("Out of memory")
    assert "'Add' [1000000, 1000000] float32" in msg and "4000000000000 bytes" in msg
    assert f"{HERE}:" in msg and "return a + b  # the broadcast line" in msg
    assert f"{host_memory_bytes()} bytes" in msg  # the limit it was compared with


class OuterProduct(nn.Cell):
    def __init__(self):
        super().__init__()
        self.w = Parameter(Tensor(np.full((1, BIG), 0.5, np.float32)), name="w")

    def construct(self, x):
        return (x * self.w).sum(axis=1).mean()  # forward and gradient buffers of (BIG, BIG)


def test_a_training_step_with_terabyte_gradients_is_refused():
    net = OuterProduct()
    train = nn.TrainOneStepCell(net, nn.SGD(net.trainable_params(), 0.1))
    before = net.w.asnumpy().copy()
    with pytest.raises(OutOfMemoryError, match=r"\[1000000, 1000000\] float32") as err:
        train(Tensor(np.ones((BIG, 1), np.float32)))  # the train line
    msg = str(err.value)
    assert "compiled graph 'TrainOneStepCell'" in msg, msg
    assert "'Mul' [1000000, 1000000] float32" in msg and "# forward and gradient buffers" in msg
    np.testing.assert_array_equal(net.w.asnumpy(), before)  # nothing ran


class Zeros(nn.Cell):
    def construct(self, x):
        return ops.zeros((BIG, BIG)) + x  # the zeros line


def test_a_terabyte_constant_is_refused_while_tracing():
    with pytest.raises(OutOfMemoryError) as err:
        Zeros()(Tensor(np.ones((1,), np.float32)))
    msg = str(err.value)
    assert "For 'Fill'" in msg and "[1000000, 1000000] float32" in msg
    assert "return ops.zeros((BIG, BIG)) + x  # the zeros line" in msg


def test_eager_ops_are_refused_before_numpy_allocates():
    with pytest.raises(OutOfMemoryError, match="For 'Fill'"):
        ops.zeros((BIG, BIG))
    with pytest.raises(OutOfMemoryError, match=r"(?s)For 'Add'.*\[1000000, 1000000\]") as err:
        Tensor(np.ones((BIG, 1), np.float32)) + Tensor(np.ones((1, BIG), np.float32))
    assert HERE in str(err.value)


class Huge(nn.Cell):
    def construct(self, x):
        return ops.broadcast_to(x, (10**10, 10**10))  # 10**20 elements: past int64's product


def test_sizes_past_int64_are_refused_not_wrapped():
    with pytest.raises(OutOfMemoryError, match=r"'BroadcastTo' \[10000000000, 10000000000\] float32"):
        Huge()(Tensor(np.ones((1, 1), np.float32)))


class Small(nn.Cell):
    def construct(self, x):
        a = ops.matmul(x, x)
        b = ops.matmul(a, x)  # a and b are live together: the arena holds at least two buffers
        return a + b


def test_check_memory_takes_any_budget():
    net = Small()
    x = Tensor(np.ones((256, 256), np.float32))  # 256 KiB per buffer
    net(x)
    graph = net.compiled_graph()
    sched = schedule(graph)
    assert sched.memory.arena_bytes > 0
    assert check_memory(sched, sched.memory.arena_bytes) == sched.memory.arena_bytes  # at the budget: fine
    with pytest.raises(OutOfMemoryError) as err:
        check_memory(sched, 1000, limit_name="device memory (max_device_memory)")  # a device target's own limit
    msg = str(err.value)
    assert "more than the 1000 bytes of device memory (max_device_memory)" in msg
    assert "[256, 256] float32: 256.00 KiB (262144 bytes)" in msg
    with pytest.raises(OutOfMemoryError):
        schedule(graph, memory_budget=1000)
    largest = max(n.size * n.dtype.itemsize for n in sched.buffers)
    assert sched.memory.arena_bytes >= 2 * largest
    with pytest.raises(OutOfMemoryError, match="memory-planned arena"):  # each buffer fits, all of them do not
        schedule(graph, memory_budget=largest)


def test_the_host_limit_can_be_lowered(monkeypatch):
    monkeypatch.setenv("MINISPORE_HOST_MEMORY_LIMIT", str(64 * 1024))
    with pytest.raises(OutOfMemoryError, match=r"of host memory \(the most this process can ever get\)"):
        Small()(Tensor(np.ones((256, 256), np.float32)))  # 256 KiB buffers over a 64 KiB limit
    monkeypatch.setenv("MINISPORE_HOST_MEMORY_LIMIT", "lots")
    with pytest.raises(ValueError, match="MINISPORE_HOST_MEMORY_LIMIT"):
        host_memory_bytes()
    monkeypatch.delenv("MINISPORE_HOST_MEMORY_LIMIT")
    assert host_memory_bytes() > 64 * 1024


def test_a_refused_allocation_under_the_ceiling_names_the_buffers(monkeypatch):
    # The graph fits the host's ceiling but not what is free now: numpy's MemoryError becomes the same clear
    # error, compared with the memory available now.
    def refuse(self, shape, dtype):
        raise MemoryError("Unable to allocate")

    monkeypatch.setattr(base.HostStorage, "alloc", refuse)
    monkeypatch.setattr(cpu, "available_memory_bytes", lambda: 1000)
    with pytest.raises(OutOfMemoryError, match=r"(?s)host memory available now.*'MatMul' \[64, 64\] float32"):
        Small()(Tensor(np.ones((64, 64), np.float32)))
