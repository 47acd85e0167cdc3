"""Errors at trace time name the op, the shapes and the user's own line."""

import numpy as np
import pytest

import minispore as ms
from minispore import Tensor, nn, ops
from minispore.backends import available_targets


class MismatchedNet(nn.Cell):
    def __init__(self):
        super().__init__()
        self.fc = nn.Dense(10, 5)

    def construct(self, x):
        x = self.fc(x)  # the user's line
        return x


def test_dense_size_mismatch_points_at_construct_line():
    net = MismatchedNet()
    with pytest.raises(ValueError) as err:
        net(Tensor(np.ones((2, 8), np.float32)))
    msg = str(err.value)
    assert "MatMul" in msg
    assert "8" in msg and "10" in msg
    assert "test_errors.py" in msg and "x = self.fc(x)  # the user's line" in msg


def test_broadcast_error_names_both_shapes():
    class Net(nn.Cell):
        def construct(self, a, b):
            return a + b

    with pytest.raises(ValueError, match=r"\[2, 3\].*\[4\]"):
        Net()(Tensor(np.ones((2, 3), np.float32)), Tensor(np.ones(4, np.float32)))


def test_asnumpy_inside_construct_is_a_clear_error():
    class Net(nn.Cell):
        def construct(self, x):
            return Tensor(x.asnumpy() * 2)

    with pytest.raises(RuntimeError, match="asnumpy"):
        Net()(Tensor(np.ones(3, np.float32)))


def test_branching_on_tensor_value_is_a_clear_error():
    class Net(nn.Cell):
        def construct(self, x):
            if x.sum() > 0:
                return x
            return -x

    with pytest.raises(RuntimeError, match="truth value"):
        Net()(Tensor(np.ones(3, np.float32)))


def test_bad_arguments():
    with pytest.raises(ValueError, match="in_channels"):
        nn.Dense(0, 3)
    with pytest.raises(TypeError, match="keep_dims"):
        ops.ReduceSum(keep_dims=1)
    with pytest.raises(ValueError, match="axis"):
        ops.reduce_sum(Tensor(np.ones((2, 3), np.float32)), 5)
    with pytest.raises(ValueError, match="device_target"):
        ms.set_context(device_target="TPU")
    with pytest.raises(TypeError, match="dtype"):
        Tensor(np.ones(2, np.float32), dtype="complex")


def test_every_known_target_is_available():
    """GPU is selectable everywhere: without a CUDA device its backend's creation is the clear error
    (tests/backends/cuda/test_gpu_target.py), so selecting it changes nothing until a graph compiles."""
    assert available_targets() == ["Ascend", "CPU", "GPU"]
    ms.set_context(device_target="GPU")
    assert ms.get_context("device_target") == "GPU"
    ms.set_context(device_target="CPU")


def test_kernel_index_error_points_at_the_users_line():
    class Lookup(nn.Cell):
        def __init__(self):
            super().__init__()
            self.table = ms.Parameter(Tensor(np.arange(12, dtype=np.float32).reshape(4, 3)), name="table")

        def construct(self, ids):
            return ops.gather(self.table, ids, 0)  # the lookup line

    net = Lookup()
    np.testing.assert_array_equal(net(Tensor(np.array([3], np.int32))).asnumpy(), [[9.0, 10.0, 11.0]])
    with pytest.raises(ValueError) as err:
        net(Tensor(np.array([7], np.int32)))  # out of range: a clean error, no memory access
    msg = str(err.value)
    assert "out of range" in msg and "while running the compiled graph of Lookup" in msg
    assert "return ops.gather(self.table, ids, 0)  # the lookup line" in msg
