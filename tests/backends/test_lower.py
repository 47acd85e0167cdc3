"""The target-neutral schedule (backends/lower.py): launch kinds, buffers, aliases and the arena."""

import numpy as np
import pytest

import minispore as ms
from minispore import Parameter, Tensor, nn, ops
from minispore.backends.lower import LaunchKind, alias_of, needs_buffer, schedule
from minispore.ops.geometry import broadcast_strides

from golden.networks import LeNet5


@pytest.fixture
def unfused():
    ms.set_context(disabled_passes=("fuse_elementwise", "multi_tensor"))
    yield
    ms.set_context(disabled_passes=())


class WriteBack(nn.Cell):
    """reshape (a view) -> relu (map) -> + b broadcast (map 'b') -> Assign (in place) ; y * 2 (map 'fs')."""

    def __init__(self):
        super().__init__()
        self.p = Parameter(Tensor(np.zeros((2, 3), np.float32)), name="p")

    def construct(self, x, b):
        y = ops.relu(ops.reshape(x, (2, 3)))
        ops.assign(self.p, y + b)
        return y * 2.0


def _compiled_writeback():
    net = WriteBack()
    out = net(Tensor(np.arange(6, dtype=np.float32) - 3), Tensor(np.ones((3,), np.float32)))
    return net, out


def test_launch_kinds_buffers_and_aliases(unfused):
    net, out = _compiled_writeback()
    np.testing.assert_array_equal(out.asnumpy(), [[0, 0, 0], [0, 2, 4]])
    np.testing.assert_array_equal(net.p.asnumpy(), [[1, 1, 1], [1, 2, 3]])
    sched = schedule(net.compiled_graph())
    kinds = [(launch.kind, launch.node.op) for launch in sched.launches]
    assert kinds == [(LaunchKind.INPUT, "input"), (LaunchKind.INPUT, "input"), (LaunchKind.VIEW, "Reshape"),
                     (LaunchKind.MAP, "ReLU"), (LaunchKind.MAP, "Add"), (LaunchKind.PARAM, "param"),
                     (LaunchKind.IN_PLACE, "Assign"), (LaunchKind.CONST, "const"), (LaunchKind.MAP, "Mul")]
    by_op = {launch.node.op: launch for launch in sched.launches}
    # fresh buffers: ReLU, Add, Mul, in launch order; the view and the in-place write get none
    assert [n.op for n in sched.buffers] == ["ReLU", "Add", "Mul"]
    assert [by_op[k].buffer for k in ("ReLU", "Add", "Mul")] == [0, 1, 2]
    assert by_op["Reshape"].buffer is None and by_op["Reshape"].alias == 0
    assert by_op["Assign"].buffer is None and by_op["Assign"].alias == 0  # its value IS the Parameter
    # read modes: ReLU full, Add broadcasts b over the rows, Mul reads a single-element constant
    assert by_op["ReLU"].modes == "f" and by_op["Mul"].modes == "fs" and by_op["Add"].modes == "b"
    np.testing.assert_array_equal(by_op["Add"].strides[0], [3, 1])
    np.testing.assert_array_equal(by_op["Add"].strides[1], [0, 1])
    assert sched.counts() == {"INPUT": 2, "VIEW": 1, "MAP": 3, "PARAM": 1, "IN_PLACE": 1, "CONST": 1}


def test_alias_rules_follow_the_op_table(unfused):
    net, _ = _compiled_writeback()
    graph = net.compiled_graph()
    for n in graph.nodes:
        if n.op == "Reshape":
            assert alias_of(n) is n.inputs[0] and not needs_buffer(n)
        elif n.op == "Assign":
            assert alias_of(n) is n.inputs[0] and n.inputs[0].op == "param" and not needs_buffer(n)
        elif n.is_leaf:
            assert alias_of(n) is None and not needs_buffer(n)
        else:
            assert alias_of(n) is None and needs_buffer(n)


def test_broadcast_strides():
    np.testing.assert_array_equal(broadcast_strides((3,), (2, 3)), [0, 1])
    np.testing.assert_array_equal(broadcast_strides((2, 1), (2, 3)), [1, 0])
    np.testing.assert_array_equal(broadcast_strides((4, 1, 5), (4, 3, 5)), [5, 0, 1])


def _lenet_step():
    net = LeNet5()
    loss = nn.SoftmaxCrossEntropyWithLogits(sparse=True, reduction="mean")
    opt = nn.Momentum(net.trainable_params(), learning_rate=0.01, momentum=0.9)
    train = nn.TrainOneStepCell(nn.WithLossCell(net, loss), opt)
    rng = np.random.default_rng(0)
    train(Tensor(rng.standard_normal((8, 1, 32, 32)).astype(np.float32)),
          Tensor(rng.integers(0, 10, 8).astype(np.int32)))
    return train


def test_lenet_training_step_schedule():
    train = _lenet_step()
    graph = train.compiled_graph()
    sched = schedule(graph)
    counts = sched.counts()
    # one Momentum update for all ten LeNet-5 parameters (multi-tensor fusion), params bound once each
    assert counts["MULTI_TENSOR"] == 1
    assert counts["PARAM"] == len(graph.params)
    assert counts["KERNEL"] >= 10  # conv, pooling, matmul and their gradients
    # every launch that writes a fresh buffer has one, in order; aliases point at inputs
    fresh = [launch for launch in sched.launches if launch.buffer is not None]
    assert [launch.buffer for launch in fresh] == list(range(len(sched.buffers)))
    for launch in sched.launches:
        if launch.alias is not None:
            assert 0 <= launch.alias < len(launch.inputs)
    # the plan the CPU backend runs allocated exactly the scheduled arena
    plan = train._compile_cache.last.plan
    assert plan.memory.arena_bytes == sched.memory.arena_bytes
    assert plan.stats()["arena_bytes"] == sched.memory.arena_bytes < plan.stats()["buffer_bytes"]


def test_unplanned_schedule_has_no_arena():
    train = _lenet_step()
    sched = schedule(train.compiled_graph(), plan_memory_on=False)
    assert sched.memory is None and sched.buffers
