"""The module paths MindSpore scripts import resolve to minispore's objects (aliases, not copies)."""

import importlib

import numpy as np

import minispore as ms


def test_common_paths():
    import minispore.common.dtype as mstype
    from minispore.common import Parameter, ParameterTuple, Tensor, dtype, initializer, set_seed
    from minispore.common.initializer import Normal, XavierUniform
    from minispore.common.initializer import initializer as init_fn
    from minispore.common.parameter import Parameter as P2
    from minispore.common.tensor import Tensor as T2
    assert mstype is ms.dtype and dtype is ms.dtype and mstype.float32 is ms.float32
    assert Parameter is ms.Parameter is P2 and Tensor is ms.Tensor is T2 and ParameterTuple is ms.ParameterTuple
    assert set_seed is ms.set_seed
    assert initializer.Normal is Normal is ms.nn.initializer.Normal
    set_seed(1)
    w = init_fn(XavierUniform(), (4, 3), mstype.float32)
    bound = np.sqrt(6.0 / (4 + 3))
    assert w.shape == (4, 3) and np.all(np.abs(w.asnumpy()) <= bound)
    assert importlib.import_module("minispore.common.initializer") is ms.nn.initializer


def test_context_module():
    from minispore import context
    assert context.GRAPH_MODE == 0 and context.PYNATIVE_MODE == 1
    try:
        context.set_context(mode=context.PYNATIVE_MODE)
        assert context.get_context("mode") == ms.PYNATIVE_MODE
        x = ms.Tensor(np.array([1.0, -2.0], np.float32))
        np.testing.assert_array_equal(ms.ops.relu(x).asnumpy(), [1.0, 0.0])  # eager op in PyNative mode
    finally:
        context.set_context(mode=context.GRAPH_MODE)


def test_ops_module_aliases():
    from minispore import ops
    from minispore.ops import composite as C
    from minispore.ops import functional as F
    from minispore.ops import operations as P
    assert P.MatMul is ops.MatMul and P.ReduceSum is ops.ReduceSum and P.Add is ops.Add
    assert "Softmax" in P.__all__ and all(hasattr(P, n) for n in P.__all__)
    assert F.relu is ops.relu and F.matmul is ops.matmul and F.stop_gradient is ops.stop_gradient
    assert C.GradOperation is ops.GradOperation and C.matmul is ops.matmul
    x = ms.Tensor(np.eye(2, dtype=np.float32))
    np.testing.assert_array_equal(P.MatMul()(x, x).asnumpy(), np.eye(2))
