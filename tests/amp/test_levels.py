"""Precision levels (minispore.amp): which nodes compute in float16 at O0-O3, custom lists, to_float."""

import numpy as np
import pytest

import minispore as ms
from minispore import Tensor, nn, ops
from minispore.runtime.amp.mixed_precision import (
    auto_mixed_precision,
    custom_mixed_precision,
    get_black_list,
    get_white_list,
)


class ConvBNNet(nn.Cell):
    def __init__(self):
        super().__init__()
        self.conv = nn.Conv2d(1, 4, 3)
        self.bn = nn.BatchNorm2d(4)
        self.relu = nn.ReLU()
        self.flat = nn.Flatten()
        self.fc = nn.Dense(4 * 6 * 6, 3)

    def construct(self, x):
        return self.fc(self.flat(self.relu(self.bn(self.conv(x)))))


@pytest.fixture(autouse=True)
def unfused():
    ms.set_context(disabled_passes=("fuse_elementwise", "multi_tensor"))
    yield
    ms.set_context(disabled_passes=())


def _x():
    return Tensor(np.random.default_rng(0).standard_normal((2, 1, 6, 6)).astype(np.float32))


def _dtypes(net, ops_of_interest):
    net.set_train()
    out = net(_x())
    graph = net.compiled_graph()
    return out, {op: {n.dtype.name for n in graph.nodes if n.op == op} for op in ops_of_interest}


@pytest.mark.parametrize("level,expected", [
    ("O0", {"Conv2D": {"float32"}, "MatMul": {"float32"}, "BatchNormStats": {"float32"}, "ReLU": {"float32"}}),
    ("O1", {"Conv2D": {"float16"}, "MatMul": {"float16"}, "BatchNormStats": {"float32"}, "ReLU": {"float16"}}),
    ("O2", {"Conv2D": {"float16"}, "MatMul": {"float16"}, "BatchNormStats": {"float32"}, "ReLU": {"float16"}}),
    ("O3", {"Conv2D": {"float16"}, "MatMul": {"float16"}, "BatchNormStats": {"float16"}, "ReLU": {"float16"}}),
])
def test_levels_put_float16_where_mindspore_does(level, expected):
    ms.set_context(executor="reference")
    try:
        net = auto_mixed_precision(ConvBNNet(), level)
        out, dtypes = _dtypes(net, expected)
    finally:
        ms.set_context(executor="compiled")
    assert dtypes == expected
    assert out.dtype == ms.float32  # the network's output is cast back to float32


def test_parameters_stay_float32_with_their_names():
    net = ConvBNNet()
    names = [p.name for p in net.get_parameters()]
    converted = auto_mixed_precision(net, "O2")
    assert [p.name for p in converted.get_parameters()] == names
    assert {p.dtype for p in converted.get_parameters() if p.dtype.np.kind == "f"} == {ms.float32}


def test_to_float_casts_inputs_and_parameters_reads():
    ms.set_context(executor="reference")
    try:
        net = nn.Dense(4, 3).to_float(ms.float16)
        out = net(Tensor(np.ones((2, 4), np.float32)))
        graph = net.compiled_graph()
    finally:
        ms.set_context(executor="compiled")
    assert out.dtype == ms.float16
    casts = [n for n in graph.nodes if n.op == "Cast"]
    assert len(casts) == 3 and all(n.dtype == np.float16 for n in casts)  # x, weight, bias
    w = net.weight.asnumpy().astype(np.float16).astype(np.float32)
    b = net.bias.asnumpy().astype(np.float16).astype(np.float32)
    product = (np.ones((2, 4), np.float32) @ w.T).astype(np.float16)  # float32 accumulate, float16 result
    want = (product.astype(np.float32) + b).astype(np.float16)  # the bias add rounds again
    np.testing.assert_array_equal(out.asnumpy(), want)


def test_lists_are_copies_with_mindspore_members():
    white, black = get_white_list(), get_black_list()
    assert nn.Dense in white and nn.Conv2d in white and ops.MatMul in white and ops.ReLU in white
    assert black == [nn.BatchNorm1d, nn.BatchNorm2d]
    white.clear()
    assert get_white_list()


def test_custom_lists():
    ms.set_context(executor="reference")
    try:
        net = custom_mixed_precision(ConvBNNet(), white_list=[nn.Dense])
        _, dtypes = _dtypes(net, ["Conv2D", "MatMul"])
        assert dtypes == {"Conv2D": {"float32"}, "MatMul": {"float16"}}
        net = custom_mixed_precision(ConvBNNet(), black_list=[nn.BatchNorm2d, nn.BatchNorm1d])
        _, dtypes = _dtypes(net, ["Conv2D", "BatchNormStats"])
        assert dtypes == {"Conv2D": {"float16"}, "BatchNormStats": {"float32"}}
    finally:
        ms.set_context(executor="compiled")


def test_bad_arguments():
    with pytest.raises(ValueError, match="amp_level"):
        auto_mixed_precision(ConvBNNet(), "O4")
    with pytest.raises(ValueError, match="'dtype' must be float16 or bfloat16"):
        auto_mixed_precision(ConvBNNet(), "O2", ms.float32)
    with pytest.raises(TypeError, match="must be a Cell"):
        auto_mixed_precision(lambda x: x, "O2")
    with pytest.raises(ValueError, match="one of 'white_list' and 'black_list'"):
        custom_mixed_precision(ConvBNNet())
    with pytest.raises(ValueError, match="dst_type"):
        nn.Dense(2, 2).to_float(ms.int32)


def test_bfloat16_levels():
    ml_dtypes = pytest.importorskip("ml_dtypes")
    net = auto_mixed_precision(nn.Dense(4, 3), "O3", ms.dtype.bfloat16)
    out = net(Tensor(np.ones((2, 4), np.float32)))
    assert out.dtype == ms.float32  # the network's output is cast back
    assert any(n.dtype == np.dtype(ml_dtypes.bfloat16) for n in net.compiled_graph().nodes)
    assert nn.Dense(2, 2).to_float(ms.dtype.bfloat16)._mixed_precision_type == ms.dtype.bfloat16
