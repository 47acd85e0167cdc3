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


def test_train_paths():
    from minispore.train.callback import Callback, CheckpointConfig, LossMonitor, ModelCheckpoint
    from minispore.train.loss_scale_manager import FixedLossScaleManager
    from minispore.train.metrics import Accuracy
    from minispore.train.model import Model
    from minispore.train.serialization import load_checkpoint, load_param_into_net, save_checkpoint
    assert LossMonitor is ms.LossMonitor and Callback is ms.Callback and CheckpointConfig is ms.CheckpointConfig
    assert ModelCheckpoint is ms.ModelCheckpoint and Model is ms.Model and Accuracy is ms.Accuracy
    assert FixedLossScaleManager is ms.FixedLossScaleManager
    assert load_checkpoint is ms.load_checkpoint and load_param_into_net is ms.load_param_into_net
    assert save_checkpoint is ms.save_checkpoint
    assert importlib.import_module("minispore.train.callback") is ms.train.callback
    assert importlib.import_module("minispore.train.metrics") is ms.train.metrics


def test_nn_paths():
    from minispore import nn
    from minispore.nn import Accuracy, Loss, Metric
    from minispore.nn.cell import Cell
    from minispore.nn.dynamic_lr import cosine_decay_lr
    from minispore.nn.layer import Dense
    from minispore.nn.learning_rate_schedule import CosineDecayLR
    from minispore.nn.loss import SoftmaxCrossEntropyWithLogits
    from minispore.nn.metrics import Accuracy as A2
    from minispore.nn.optim import Momentum
    from minispore.nn.optim.momentum import Momentum as M2
    from minispore.nn.optim.optimizer import Optimizer
    from minispore.nn.wrap.cell_wrapper import WithLossCell
    assert Accuracy is A2 is ms.Accuracy and Loss is ms.Loss and Metric is ms.Metric
    assert Cell is nn.Cell and Dense is nn.Dense and WithLossCell is nn.WithLossCell
    assert CosineDecayLR is nn.CosineDecayLR and cosine_decay_lr is nn.cosine_decay_lr
    assert SoftmaxCrossEntropyWithLogits is nn.SoftmaxCrossEntropyWithLogits
    assert Momentum is M2 is nn.Momentum and Optimizer is nn.Optimizer
    # one module under both names: no second copy of a module (whose classes would fail isinstance checks)
    imp = importlib.import_module
    assert imp("minispore.nn.optim.optimizer") is imp("minispore.optim.optimizer")
    assert imp("minispore.nn.layer.basic") is imp("minispore.nn.layers.basic")
    assert importlib.import_module("minispore.nn.metrics") is ms.train.metrics


def test_dataset_engine_path():
    from minispore.dataset.engine import GeneratorDataset
    from minispore.dataset.engine.datasets import NumpySlicesDataset
    assert GeneratorDataset is ms.dataset.GeneratorDataset and NumpySlicesDataset is ms.dataset.NumpySlicesDataset
