"""The Ascend 910 cost model (backends/ascend/cost_model.py): its numbers on nodes checked by hand, the cost
section of a LeNet-5 step's dump summary on the Ascend target, and an estimate that grows with the batch."""

import glob

import numpy as np
import pytest

import minispore as ms
from minispore import Tensor, nn
from minispore.backends.ascend import cost_model as cm
from minispore.backends.cpu.passes import compute_in_float32
from minispore.graph.ir import Graph, Node
from minispore.graph.passes.fuse_elementwise import fuse_elementwise

from golden.networks import LeNet5  # the example's LeNet-5 (examples/lenet.py)

# The published figures the constants come from (docs/ascend.md), written out so the arithmetic below is checkable.
FP16_FLOPS = 256e12              # 32 cores x 4096 MAC x 2 at 0.977 GHz
HBM = 4 * 1024 / 8 * 2.4e9       # four HBM2 stacks: 1228.8 GB/s
LAUNCH = 5e-6
FP32_LANES_PER_S = 64 * 32 * 256e12 / (2 * 4096 * 32)   # 64 float32 lanes x 32 cores x clock


@pytest.fixture(autouse=True)
def _restore_context():
    yield
    ms.set_context(device_target="CPU", ascend_config=None, save_graphs=False)


def _graph(*specs):
    """A graph with one input per (shape, dtype)."""
    g = Graph("g")
    for shape, dtype in specs:
        g.inputs.append(g.add(Node(g.new_id(), "input", [], {}, shape, dtype)))
    return g


def _node(g, op, inputs, shape, out_dtype, **attrs):
    return g.add(Node(g.new_id(), op, inputs, attrs, shape, out_dtype))


def test_constants_are_the_910s():
    assert cm.CUBE_FLOPS == pytest.approx(FP16_FLOPS)
    assert cm.CLOCK_HZ == pytest.approx(0.9765625e9)
    assert cm.HBM_BYTES_PER_S == pytest.approx(1.2288e12)
    assert cm.VECTOR_BYTES_PER_CYCLE // 2 == 128 and cm.VECTOR_BYTES_PER_CYCLE // 4 == 64


def test_float16_matmul_1024_is_cube_bound():
    g = _graph(((1024, 1024), np.float16), ((1024, 1024), np.float16))
    mm = _node(g, "MatMul", g.inputs, (1024, 1024), np.float16, transpose_a=False, transpose_b=False)
    compute = 2 * 1024 ** 3 / FP16_FLOPS                 # 8.39 us
    memory = 3 * 1024 * 1024 * 2 / HBM                   # 5.12 us: A, B read, C written once
    seconds, bound = cm.node_cost(mm)
    assert compute > memory and bound == "cube"
    assert seconds == pytest.approx(compute + LAUNCH)


def test_float32_matmul_runs_on_the_cube_in_float16_unless_the_mode_keeps_float32():
    g = _graph(((1024, 1024), np.float32), ((1024, 1024), np.float32))
    mm = _node(g, "MatMul", g.inputs, (1024, 1024), np.float32, transpose_a=False, transpose_b=False)
    fp16 = cm.node_cost(mm, cm.DeviceView(precision_mode="allow_fp32_to_fp16"))
    assert fp16 == (pytest.approx(2 * 1024 ** 3 / FP16_FLOPS + LAUNCH), "cube")
    kept = cm.node_cost(mm, cm.DeviceView(precision_mode="must_keep_origin_dtype"))
    assert kept == (pytest.approx(4 * 2 * 1024 ** 3 / FP16_FLOPS + LAUNCH), "cube")  # a quarter of the rate


def test_cube_dimensions_pad_to_16():
    g = _graph(((17, 17), np.float16), ((17, 17), np.float16))
    mm = _node(g, "MatMul", g.inputs, (17, 17), np.float16)
    assert cm.cube_flops(mm) == 2 * 32 ** 3
    x = _graph(((8, 3, 32, 32), np.float16), ((6, 3, 5, 5), np.float16))
    conv = _node(x, "Conv2D", x.inputs, (8, 6, 28, 28), np.float16, group=1)
    assert cm.cube_flops(conv) == 2 * 8 * 784 * 16 * 16 * 25  # 784 pixels (49 x 16), Cin 3 -> 16, Cout 6 -> 16
    # the same convolution on the blocked layouts reads its logical shapes from its attrs
    b = _graph(((8, 1, 32, 32, 16), np.float16), ((25, 1, 16, 16), np.float16))
    blocked = _node(b, "Conv2D", b.inputs, (8, 1, 28, 28, 16), np.float16, group=1, data_format="NC1HWC0",
                    x_shape=(8, 3, 32, 32), w_shape=(6, 3, 5, 5), stride=(1, 1), dilation=(1, 1), pad=(0, 0, 0, 0))
    assert cm.cube_flops(blocked) == cm.cube_flops(conv)


def test_transdata_is_memory_traffic():
    g = _graph(((32, 64, 56, 56), np.float16))
    t = _node(g, "TransData", g.inputs, (32, 4, 56, 56, 16), np.float16, src_format="NCHW", dst_format="NC1HWC0")
    seconds, bound = cm.node_cost(t)
    assert bound == "memory" and cm.category(t) == "TransData"
    assert seconds == pytest.approx(2 * 32 * 64 * 56 * 56 * 2 / HBM + LAUNCH)
    # a channel count that is not a multiple of 16 is padded: the write is the padded tensor's
    g = _graph(((32, 3, 224, 224), np.float16))
    t = _node(g, "TransData", g.inputs, (32, 1, 224, 224, 16), np.float16)
    assert cm.node_cost(t)[0] == pytest.approx((3 + 16) * 32 * 224 * 224 * 2 / HBM + LAUNCH)


def test_elementwise_add_is_memory_bound_and_a_tiny_one_launch_bound():
    n = 1 << 20
    g = _graph(((n,), np.float32), ((n,), np.float32))
    add = _node(g, "Add", g.inputs, (n,), np.float32)
    memory, compute = 3 * 4 * n / HBM, n / FP32_LANES_PER_S   # 10.2 us vs 0.52 us
    assert cm.node_cost(add) == (pytest.approx(max(memory, compute) + LAUNCH), "memory")
    g = _graph(((16,), np.float32), ((16,), np.float32))
    assert cm.node_cost(_node(g, "Add", g.inputs, (16,), np.float32))[1] == "launch"


def test_fused_program_sums_its_ops_and_moves_each_tensor_once():
    n = 1 << 22
    g = _graph(((n,), np.float16))
    x = g.inputs[0]
    e = _node(g, "Exp", [x], (n,), np.float16)
    g.outputs = [_node(g, "Add", [e, x], (n,), np.float16)]
    fused = fuse_elementwise(g).nodes[-1]
    assert fused.op == "FusedElementwise" and fused.attrs["ops"] == "Exp+Add"
    compute = n * (cm.TRANSCENDENTAL + 1) / (2 * FP32_LANES_PER_S)   # 128 float16 lanes
    memory = 2 * n * 2 / HBM                                            # x read once, the result written once
    seconds, bound = cm.node_cost(fused)
    assert seconds == pytest.approx(max(compute, memory) + LAUNCH) and bound == "memory"


def test_the_cpus_float32_casts_around_a_float16_kernel_cost_nothing():
    g = _graph(((1024, 1024), np.float16))
    s = _node(g, "ReduceSum", g.inputs, (1024,), np.float16, axis=(1,), keep_dims=False)
    g.outputs = [s]
    g = compute_in_float32(g)
    assert [n.op for n in g.nodes if not n.is_leaf] == ["Cast", "ReduceSum", "Cast"]
    (cost,) = cm.estimate(g)  # one kernel, reading and writing float16 as an Ascend's would
    assert cost.node.op == "ReduceSum"
    assert cost.seconds == pytest.approx((1024 * 1024 + 1024) * 2 / HBM + LAUNCH)


def test_saturation_and_the_overflow_sentinels_cost_nothing():
    """A 910 saturates in its ALU and keeps the float status in a register: the simulator's Saturate and the
    sentinel sum(x - x) computed only for the check run nothing; the check is one (register read) kernel."""
    n = 1 << 20
    g = _graph(((n,), np.float16))
    x = _node(g, "Add", [g.inputs[0], g.inputs[0]], (n,), np.float16)
    out = _node(g, "Saturate", [x], (n,), np.float16, limit=65504.0)
    diff = _node(g, "Sub", [x, x], (n,), np.float16)
    wide = _node(g, "Cast", [diff], (n,), np.float32, dtype=np.dtype(np.float32))
    total = _node(g, "ReduceSum", [wide], (), np.float32, axis=(0,), keep_dims=False)
    ok = _node(g, "AllFinite", [total], (), np.bool_)
    g.outputs = [out, ok]
    assert [c.node.op for c in cm.estimate(g)] == ["Add", "AllFinite"]


def _train_step():
    net = LeNet5()
    loss = nn.SoftmaxCrossEntropyWithLogits(sparse=True, reduction="mean")
    return nn.TrainOneStepCell(nn.WithLossCell(net, loss), nn.Momentum(net.trainable_params(), 0.01, 0.9))


def _batch(batch):
    rng = np.random.default_rng(0)
    return (Tensor(rng.random((batch, 1, 32, 32), np.float32)),
            Tensor(rng.integers(0, 10, batch).astype(np.int32)))


def test_lenet_summary_on_ascend_has_the_cost_table(tmp_path):
    ms.set_context(device_target="Ascend", save_graphs=True, save_graphs_path=str(tmp_path / "ascend"))
    _train_step()(*_batch(32))
    (summary,) = glob.glob(str(tmp_path / "ascend" / "*_summary.txt"))
    text = open(summary).read()
    assert "Ascend 910 cost estimate (allow_fp32_to_fp16)" in text
    assert "Conv2D" in text and "float16" in text            # the convolutions run on the Cube in float16
    for kind in ("cube", "vector", "TransData", "other"):
        assert f"\n  {kind:<10}" in text
    step = [ln for ln in text.splitlines() if ln.startswith("step total: ")]
    assert len(step) == 1 and float(step[0].split()[2]) > 0
    assert "what dominates: " in text
    ms.set_context(device_target="CPU", save_graphs_path=str(tmp_path / "cpu"))
    _train_step()(*_batch(32))
    (cpu,) = glob.glob(str(tmp_path / "cpu" / "*_summary.txt"))
    assert "cost estimate" not in open(cpu).read()


def test_estimate_grows_with_the_batch():
    ms.set_context(device_target="Ascend")
    train = _train_step()
    steps = []
    for batch in (8, 32, 128, 512):
        train(*_batch(batch))
        steps.append(cm.step_seconds(train.compiled_graph()))
    assert steps == sorted(steps) and len(set(steps)) == len(steps)
