"""Ascend's data formats (ops/layout.py) against independent transcriptions of MindSpore's trans.cc loops, the
TransData and blocked convolution kernels (backends/ascend/kernels/) against the numpy references, and the
layout passes (backends/ascend/layout.py) on small graphs."""

import numpy as np
import pytest

import minispore as ms
from minispore import Tensor, nn
from minispore.graph.opdef import Spec
from minispore.ops import layout
from minispore.ops.registry import OPS, apply

R = np.random.default_rng(11)


def f(*shape):
    return R.standard_normal(shape).astype(np.float32)


@pytest.fixture(autouse=True)
def _restore_context():
    yield
    ms.set_context(device_target="CPU", ascend_config=None)


# ---- CANN's rules, transcribed loop by loop from mindspore/ccsrc/common/trans.cc ---------------------------

def cann_nchw_to_nc1hwc0(x):
    """NchwToNc1hwc0."""
    n, c, h, w = x.shape
    c1 = (c + 15) // 16
    dst = np.empty(n * c1 * h * w * 16, x.dtype)
    src = x.reshape(-1)
    for n_idx in range(n):
        for c1_idx in range(c1):
            for h_idx in range(h):
                for w_idx in range(w):
                    for c0_idx in range(16):
                        c_idx = c0_idx + c1_idx * 16
                        dst_idx = (((n_idx * c1 + c1_idx) * h + h_idx) * w + w_idx) * 16 + c0_idx
                        src_idx = n_idx * c * h * w + c_idx * h * w + h_idx * w + w_idx
                        dst[dst_idx] = 0 if c_idx >= c else src[src_idx]
    return dst.reshape(n, c1, h, w, 16)


def cann_nchw_to_frac_z(x):
    """NchwToFracZ (group 1): fractal matrices of (C0 rows x 16 N columns), vertical index c1*hw."""
    n, c, h, w = x.shape
    src, hw, chw = x.reshape(-1), h * w, c * h * w
    c1, hf_cnt = (c + 15) // 16, (n + 15) // 16
    vf_cnt = c1 * hw
    dst = np.empty(hf_cnt * vf_cnt * 256, x.dtype)
    for vfi in range(vf_cnt):
        for hfi in range(hf_cnt):
            gfi = vfi * hf_cnt + hfi
            src_f_offset = hfi * chw * 16 + vfi % hw + vfi // hw * hw * 16
            for row in range(16):
                src_ci = vfi // hw * 16 + row
                for col in range(16):
                    src_ni = hfi * 16 + col
                    src_idx = src_f_offset + row * hw + chw * col
                    pad = src_ni >= n or src_idx >= n * chw or src_ci >= c
                    dst[gfi * 256 + col * 16 + row] = 0 if pad else src[src_idx]
    return dst.reshape(vf_cnt, hf_cnt, 16, 16)


def cann_frac_z_groups(x, groups):
    """NchwFracZTransWithGroups (to device) and FracZDeviceShapeWithGroups."""
    n, c, h, w = x.shape
    cin, cout = c, n // groups
    lcm = np.lcm
    e_mult = min(lcm(lcm(cin, 16) // cin, lcm(cout, 16) // cout), groups)
    cin_opt = -(-e_mult * cin // 16) * 16
    cout_opt = -(-e_mult * cout // 16) * 16
    c1 = cin_opt // 16
    shape = (-(-groups // e_mult) * c1 * h * w, -(-cout * e_mult // 16), 16, 16)
    dst = np.zeros(int(np.prod(shape)), x.dtype)
    src = x.reshape(-1)
    for g in range(groups):
        for ci in range(c):
            for hi in range(h):
                for wi in range(w):
                    for co in range(cout):
                        e = g % e_mult
                        dst_ci, dst_co = e * cin + ci, e * cout + co
                        dev = ((g // e_mult) * c1 * h * w * cout_opt * 16 + (dst_ci // 16) * h * w * cout_opt * 16
                               + hi * w * cout_opt * 16 + wi * cout_opt * 16 + dst_co * 16 + dst_ci % 16)
                        dst[dev] = src[(g * cout + co) * c * h * w + ci * h * w + hi * w + wi]
    return dst.reshape(shape)


def cann_nd_to_frac_nz(x):
    """NchwToFracNz with FracNZDeviceShape (..., W1, H1, H0, W0)."""
    h, w = x.shape[-2:]
    times = int(np.prod(x.shape[:-2]))
    w1, h1 = (w + 15) // 16, (h + 15) // 16
    dst = np.zeros(times * w1 * h1 * 256, x.dtype)
    src = x.reshape(-1)
    for t in range(times):
        for hh in range(h):
            for ww in range(w):
                dst[t * w1 * h1 * 256 + hh * 16 + (ww // 16) * h1 * 256 + ww % 16] = src[t * h * w + hh * w + ww]
    return dst.reshape(x.shape[:-2] + (w1, h1, 16, 16))


# ---- the layout functions -----------------------------------------------------------------------------

@pytest.mark.parametrize("shape", [(2, 5, 3, 4), (1, 17, 2, 3), (1, 16, 1, 1)])
def test_nc1hwc0_is_canns_rule_and_round_trips(shape):
    x = f(*shape)
    y = layout.to_nc1hwc0(x)
    assert y.shape == layout.nc1hwc0_shape(shape) == (shape[0], -(-shape[1] // 16), shape[2], shape[3], 16)
    np.testing.assert_array_equal(y, cann_nchw_to_nc1hwc0(x))
    assert not y.transpose(0, 1, 4, 2, 3).reshape(shape[0], -1, *shape[2:])[:, shape[1]:].any()  # zero padding
    np.testing.assert_array_equal(layout.from_nc1hwc0(y, shape), x)


@pytest.mark.parametrize("shape", [(6, 1, 5, 5), (18, 20, 3, 2), (16, 16, 1, 1)])
def test_fractal_z_is_canns_rule_and_round_trips(shape):
    w = f(*shape)
    y = layout.to_fractal_z(w)
    cout, cin, kh, kw = shape
    assert y.shape == layout.fractal_z_shape(shape) == (-(-cin // 16) * kh * kw, -(-cout // 16), 16, 16)
    np.testing.assert_array_equal(y, cann_nchw_to_frac_z(w))
    np.testing.assert_array_equal(layout.from_fractal_z(y, shape), w)


@pytest.mark.parametrize("shape, groups, device", [((32, 4, 3, 3), 8, (18, 1, 16, 16)),
                                                   ((16, 1, 3, 3), 16, (9, 1, 16, 16)),  # depthwise
                                                   ((12, 5, 2, 1), 3, (2, 1, 16, 16)),
                                                   ((40, 10, 1, 1), 2, (2, 3, 16, 16))])
def test_grouped_fractal_z_shape_and_content(shape, groups, device):
    assert layout.fractal_z_shape(shape, groups) == device
    w = f(*shape)
    y = layout.to_fractal_z(w, groups)
    expected = cann_frac_z_groups(w, groups)
    assert expected.shape == device
    np.testing.assert_array_equal(y, expected)
    np.testing.assert_array_equal(layout.from_fractal_z(y, shape, groups), w)


def test_grouped_rule_with_one_group_is_the_plain_rule():
    w = f(18, 20, 3, 2)
    np.testing.assert_array_equal(cann_frac_z_groups(w, 1), layout.to_fractal_z(w))


def test_fractal_nz_follows_mindspore_and_matches_atbs_example():
    # MindSpore's FracNZDeviceShape keeps H1 and H0 apart: (..., W1, H1, H0, W0). CANN's ATB TransdataOperation
    # page writes [b, n1, m1m0, n0] for the same bytes: ND (8, 100, 30) -> NZ (8, 2, 112, 16).
    x = f(8, 100, 30)
    y = layout.to_fractal_nz(x)
    assert y.shape == layout.fractal_nz_shape(x.shape) == (8, 2, 7, 16, 16)
    assert y.reshape(8, 2, 7 * 16, 16).shape == (8, 2, 112, 16)
    np.testing.assert_array_equal(y, cann_nd_to_frac_nz(x))
    np.testing.assert_array_equal(layout.from_fractal_nz(y, x.shape), x)
    assert layout.fractal_nz_shape((32,)) == (32,) and layout.fractal_nz_shape((1,)) == (1,)
    with pytest.raises(ValueError, match="FRACTAL_NZ"):
        layout.fractal_nz_shape((20,))


def test_trans_data_refuses_a_wrong_pair_or_shape():
    with pytest.raises(ValueError, match="cannot convert NC1HWC0 to FRACTAL_Z"):
        OPS["TransData"].infer([Spec((1, 1, 2, 2, 16), np.float32)], src_format="NC1HWC0", dst_format="FRACTAL_Z",
                               shape=(1, 3, 2, 2))
    with pytest.raises(ValueError, match="is not the NCHW shape"):
        OPS["TransData"].infer([Spec((1, 3, 2, 3), np.float32)], src_format="NCHW", dst_format="NC1HWC0",
                               shape=(1, 3, 2, 2))


# ---- kernels on the Ascend target -------------------------------------------------------------------------

class _Apply(nn.Cell):
    """Applies ops by name: [(op, input positions, attrs)] -> a tuple of the results."""

    def __init__(self, calls):
        super().__init__()
        self.calls = calls

    def construct(self, *xs):
        return tuple(apply(op, *[xs[k] for k in ins], **attrs) for op, ins, attrs in self.calls)


def _exact_ascend():
    ms.set_context(device_target="Ascend", ascend_config={"precision_mode": "must_keep_origin_dtype"})


@pytest.mark.parametrize("dtype", [np.float32, np.float16])
def test_trans_data_kernels_match_the_reference(dtype):
    _exact_ascend()
    conversions = [("NCHW", "NC1HWC0", (2, 20, 3, 2), 1), ("NCHW", "FRACTAL_Z", (18, 20, 3, 2), 1),
                   ("NCHW", "FRACTAL_Z", (32, 4, 3, 3), 8), ("ND", "FRACTAL_NZ", (3, 20, 17), 1)]
    xs = [f(*shape).astype(dtype) for _, _, shape, _ in conversions]
    calls = []
    for k, (src, dst, shape, groups) in enumerate(conversions):
        there = dict(src_format=src, dst_format=dst, shape=shape, groups=groups)
        back = dict(there, src_format=dst, dst_format=src)
        calls += [("TransData", (k,), there), ("TransData", (k + len(xs),), back)]
    devices = [OPS["TransData"].reference(x, **calls[2 * k][2]) for k, x in enumerate(xs)]
    got = _Apply(calls)(*[Tensor(x) for x in xs + devices])
    for k, x in enumerate(xs):
        assert got[2 * k].asnumpy().dtype == dtype
        np.testing.assert_array_equal(got[2 * k].asnumpy(), devices[k])
        np.testing.assert_array_equal(got[2 * k + 1].asnumpy(), x)


_GEOMETRIES = [  # (x shape, w shape, stride, dilation, pad)
    ((2, 3, 7, 6), (5, 3, 3, 2), (2, 1), (1, 2), (1, 0, 2, 1)),
    ((3, 20, 6, 6), (18, 20, 3, 3), (1, 1), (1, 1), (1, 1, 1, 1)),  # two C1 and two N1 blocks
    ((2, 1, 12, 12), (6, 1, 5, 5), (1, 1), (1, 1), (0, 0, 0, 0)),  # LeNet's first layer
    ((9, 2, 20, 20), (4, 2, 3, 3), (2, 2), (1, 1), (2, 2, 2, 2)),  # several pixel chunks
]


@pytest.mark.parametrize("xs, ws, stride, dilation, pad", _GEOMETRIES)
def test_blocked_convolution_kernels_match_the_nchw_reference(xs, ws, stride, dilation, pad):
    _exact_ascend()
    attrs = dict(stride=stride, dilation=dilation, pad=pad, group=1)
    x, w = f(*xs), f(*ws)
    out = OPS["Conv2D"].reference(x, w, **attrs)
    d = f(*out.shape)
    dx = OPS["Conv2DBackpropInput"].reference(d, w, x_shape=xs, **attrs)
    dw = OPS["Conv2DBackpropFilter"].reference(d, x, w_shape=ws, **attrs)
    x5, d5 = layout.to_nc1hwc0(x), layout.to_nc1hwc0(d)
    # Padding lanes holding finite values (an elementwise op moved onto NC1HWC0 leaves f(0) there) are not read.
    for t, c in ((x5, xs[1]), (d5, ws[0])):
        t.transpose(0, 1, 4, 2, 3).reshape(t.shape[0], -1, *t.shape[2:4])[:, c:] = 0.5
    blocked = dict(attrs, data_format="NC1HWC0", x_shape=xs, w_shape=ws)
    got = _Apply([("Conv2D", (0, 1), blocked), ("Conv2DBackpropInput", (2, 1), blocked),
                  ("Conv2DBackpropFilter", (2, 0), blocked)])(Tensor(x5), Tensor(layout.to_fractal_z(w)), Tensor(d5))
    for g, want, to in zip(got, (out, dx, dw), (layout.to_nc1hwc0, layout.to_nc1hwc0, layout.to_fractal_z)):
        np.testing.assert_allclose(g.asnumpy(), to(want), rtol=1e-4, atol=1e-4)  # padding lanes exactly 0 too


def test_blocked_ops_are_partial_adjoints_so_the_gradient_rules_hold():
    xs, ws = (2, 3, 6, 5), (5, 3, 3, 2)
    attrs = dict(stride=(1, 2), dilation=(1, 1), pad=(1, 0, 0, 1), group=1, data_format="NC1HWC0", x_shape=xs,
                 w_shape=ws)
    x5, w5 = layout.to_nc1hwc0(f(*xs).astype(np.float64)), layout.to_fractal_z(f(*ws).astype(np.float64))
    out = OPS["Conv2D"].reference(x5, w5, **attrs)
    d5 = R.standard_normal(out.shape)  # (its padding lanes too: the references ignore them)
    dx = OPS["Conv2DBackpropInput"].reference(d5, w5, **attrs)
    dw = OPS["Conv2DBackpropFilter"].reference(d5, x5, **attrs)
    np.testing.assert_allclose((out * d5).sum(), (x5 * dx).sum())
    np.testing.assert_allclose((out * d5).sum(), (w5 * dw).sum())


def test_blocked_convolution_refuses_groups_and_wrong_shapes():
    attrs = dict(stride=(1, 1), dilation=(1, 1), pad=(0, 0, 0, 0), data_format="NC1HWC0", x_shape=(1, 4, 5, 5),
                 w_shape=(4, 2, 3, 3))
    specs = [Spec((1, 1, 5, 5, 16), np.float32), Spec((9, 1, 16, 16), np.float32)]
    with pytest.raises(ValueError, match="group 1 only"):
        OPS["Conv2D"].infer(specs, group=2, **attrs)
    with pytest.raises(ValueError, match="FRACTAL_Z shape"):
        OPS["Conv2D"].infer(specs, group=1, **dict(attrs, x_shape=(1, 2, 5, 5), w_shape=(4, 2, 3, 2)))


# ---- the passes ----------------------------------------------------------------------------------------

class ConvReluConv(nn.Cell):
    def __init__(self, log=False):
        super().__init__()
        self.conv1 = nn.Conv2d(3, 8, 3, pad_mode="same")
        self.conv2 = nn.Conv2d(8, 4, 3, pad_mode="valid")
        self.relu = nn.ReLU()
        self.log = log

    def construct(self, x):
        y = self.conv2(self.relu(self.conv1(x)))
        return ms.ops.log(y * y + 1.0) if self.log else y


def _cpu_then_ascend(net, x):
    """(CPU's result, Ascend's result, Ascend's compiled graph's nodes) of ``net(x)``."""
    want = net(x).asnumpy()
    _exact_ascend()
    got = net(x).asnumpy()
    np.testing.assert_allclose(got, want, rtol=1e-4, atol=1e-5)
    return net.compiled_graph().nodes


def test_a_relu_between_convs_stays_blocked_and_its_trans_data_pair_cancels():
    nodes = _cpu_then_ascend(ConvReluConv(), Tensor(f(2, 3, 8, 8)))
    convs = [n for n in nodes if n.op == "Conv2D"]
    assert len(convs) == 2 and all(n.attrs["data_format"] == "NC1HWC0" for n in convs)
    trans = [(n.attrs["src_format"], n.attrs["dst_format"]) for n in nodes if n.op == "TransData"]
    # x and two weights in, the result out: the feature map between the convs never leaves NC1HWC0
    assert sorted(trans) == [("NC1HWC0", "NCHW"), ("NCHW", "FRACTAL_Z"), ("NCHW", "FRACTAL_Z"), ("NCHW", "NC1HWC0")]
    assert convs[1].inputs[0].op != "TransData" and len(convs[1].inputs[0].shape) == 5


def _ops(node):
    return node.attrs["ops"].split("+") if node.op == "FusedElementwise" else [node.op]


def test_an_op_not_finite_at_zero_is_not_moved_onto_padding_lanes():
    # log(y * y + 1): Mul (0 at zero) and Add (1 at zero) move onto NC1HWC0; Log would read log(0) = -inf on
    # the padding lanes (the check evaluates zeros, whatever the lanes hold), so it stays on NCHW.
    nodes = _cpu_then_ascend(ConvReluConv(log=True), Tensor(f(2, 3, 8, 8)))
    blocked = {op for n in nodes if len(n.shape) == 5 and n.op not in ("TransData", "Conv2D") for op in _ops(n)}
    host = {op for n in nodes if len(n.shape) == 4 and n.op != "TransData" for op in _ops(n)}
    assert {"ReLU", "Mul", "Add"} <= blocked and "Log" not in blocked and "Log" in host


def test_flops_count_a_blocked_convolution_on_its_logical_shapes():
    from minispore.graph.flops import node_flops
    from minispore.graph.ir import Node

    xs, ws = (2, 3, 7, 6), (5, 3, 3, 2)
    attrs = dict(stride=(2, 1), dilation=(1, 2), pad=(1, 0, 2, 1), group=1)
    x, w = Node(0, "input", [], {}, xs, np.float32), Node(1, "input", [], {}, ws, np.float32)
    nchw = Node(2, "Conv2D", [x, w], attrs, (2, 5, 3, 7), np.float32)  # OH = (7+1-2-1)//2+1, OW = (6+3-2-1)+1
    x5 = Node(3, "TransData", [x], dict(src_format="NCHW", dst_format="NC1HWC0", shape=xs), (2, 1, 7, 6, 16),
              np.float32)
    w5 = Node(4, "input", [], {}, layout.fractal_z_shape(ws), np.float32)
    blocked = Node(5, "Conv2D", [x5, w5], dict(attrs, data_format="NC1HWC0", x_shape=xs, w_shape=ws),
                   (2, 1, 3, 7, 16), np.float32)
    assert node_flops(blocked) == node_flops(nchw) == 2 * (2 * 5 * 3 * 7) * (3 * 3 * 2)
    assert node_flops(x5) == 0


@pytest.mark.parametrize("a_shape, b_shape, ta, tb", [
    ((5, 20), (20, 7), False, False),
    ((5, 20), (7, 20), False, True),     # Dense: x @ W^T
    ((20, 5), (20, 33), True, False),    # Dense's weight gradient: dout^T @ x
    ((40, 17), (33, 40), True, True),    # several blocks each way, nothing a multiple of 16
])
def test_fractal_nz_matmul_kernel_matches_the_nd_reference(a_shape, b_shape, ta, tb):
    _exact_ascend()
    a, b = f(*a_shape), f(*b_shape)
    want = OPS["MatMul"].reference(a, b, transpose_a=ta, transpose_b=tb)
    attrs = dict(transpose_a=ta, transpose_b=tb, data_format="FRACTAL_NZ", a_shape=a_shape, b_shape=b_shape)
    (got,) = _Apply([("MatMul", (0, 1), attrs)])(Tensor(layout.to_fractal_nz(a)), Tensor(layout.to_fractal_nz(b)))
    assert got.shape == layout.fractal_nz_shape(want.shape)
    np.testing.assert_allclose(got.asnumpy(), layout.to_fractal_nz(want), rtol=1e-5, atol=1e-5)  # padding 0 too


def test_dense_layers_run_their_matmuls_in_fractal_nz(tmp_path):
    x, y = Tensor(f(4, 20)), Tensor(f(4, 3))

    def losses(initial=None):
        net = nn.SequentialCell([nn.Dense(20, 17), nn.ReLU(), nn.Dense(17, 3)])
        if initial is not None:
            for p, value in zip(net.trainable_params(), initial):
                p.set_data(Tensor(value))
        start = [p.asnumpy().copy() for p in net.trainable_params()]
        train = nn.TrainOneStepCell(nn.WithLossCell(net, nn.MSELoss()), nn.SGD(net.trainable_params(), 0.1))
        return [float(train(x, y).asnumpy()) for _ in range(3)], start

    cpu, start = losses()
    _exact_ascend()
    ms.set_context(save_graphs=True, save_graphs_path=str(tmp_path))
    ascend, _ = losses(start)
    ms.set_context(save_graphs=False)
    np.testing.assert_allclose(ascend, cpu, rtol=1e-5)
    [final] = tmp_path.glob("*TrainOneStepCell_*multi_tensor.ir")
    matmuls = [line for line in final.read_text().splitlines() if "MatMul(" in line]
    assert len(matmuls) == 5 and all("FRACTAL_NZ" in line for line in matmuls)  # 2 forward, 3 gradients
