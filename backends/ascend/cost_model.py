"""An Ascend 910 cost model for the dump summary: each kernel's estimated time and the step's total.

Every kernel is a roofline, ``time = max(compute, memory) + LAUNCH_S``, run one after another (one stream):

  cube ops (MatMul, BatchMatMul, Conv2D and its gradients)
      compute = 2 * M16 * N16 * K16 / CUBE_FLOPS          (X16 = X padded up to a multiple of 16: the Cube
                                                           multiplies 16x16 fractals; float32 runs
                                                           FP32_CUBE_SLOWDOWN times slower)
      convolutions as their img2col GEMM: M = batch * (Ho*Wo)16, N = (Cout/g)16, K = (Cin/g)16 * kh * kw, x g
  vector ops (elementwise, fused programs, reductions, softmax, batch norm, pooling, ...)
      compute = sum over the op's steps of elements * VECTOR_COST[op] / (lanes(dtype) * AI_CORES) / CLOCK_HZ
      lanes(dtype) = VECTOR_BYTES_PER_CYCLE / itemsize (128 float16, 64 float32)
  every kernel
      memory = (bytes read + bytes written) / HBM_BYTES_PER_S, each input and output once
  TransData and other data movement: memory only.   Host ops: HOST_OP_S each, no launch.

``bound`` names the larger term (``cube``/``vector``/``memory``), or ``launch`` when the fixed overhead is larger
than both. Sources for each constant are next to it and in docs/ascend.md.

The model reads the final graph, after the simulator's own CPU passes, and looks through them (``DeviceView``):
a cube op computes in float16 under the precision modes that cast cube ops (or when a float16 Cast feeds it),
Casts between 16-bit floats and float32 next to kernels run nothing (the CPU's float32 compute, or MindSpore's
``MergeCastToOp`` on an Ascend), a fused chain of Casts that goes through a 16-bit float and back is one
device Cast (read the wide dtype, write the narrow one), and saturation and the overflow sentinels of the
float-status simulation cost nothing (the 910 does both in hardware).
"""

from typing import NamedTuple

import numpy as np

from ...graph.flops import node_flops
from ...graph.opdef import OPS, OpKind, output_alias
from ...ops.geometry import conv_out_size
from .precision import CUBE_OPS, DEFAULT_PRECISION_MODE, FLOAT16, PRECISION_MODES

# ---------------------------------------------------------------------------------------------- constants
AI_CORES = 32                     # Da Vinci cores of an Ascend 910 (Huawei; Hot Chips 31, 2019)
CUBE_MACS_PER_CYCLE = 16 * 16 * 16  # a 16x16x16 float16 MAC cube per core per cycle (Hot Chips 31: 4096 MACs)
PEAK_FP16_FLOPS = 256e12          # Huawei's figure for the 910: 256 TFLOPS float16
# The clock that makes the three consistent: 256e12 / (2 * 4096 * 32) = 0.977 GHz (no published clock found).
CLOCK_HZ = PEAK_FP16_FLOPS / (2 * CUBE_MACS_PER_CYCLE * AI_CORES)
CUBE_FLOPS = 2 * CUBE_MACS_PER_CYCLE * AI_CORES * CLOCK_HZ  # = PEAK_FP16_FLOPS
CUBE_TILE = 16                    # M, N and K are padded up to 16 (fractal 16x16 tiles)
# The 910's Cube has no float32 mode (float16 and int8 only). A float32 cube op kept by must_keep_origin_dtype is
# assumed to run at a quarter of the float16 rate: measured float32 vs bfloat16 GEMM on the 910B is 87 vs 328
# TFLOPS (github.com/gameofdimension/limulidae), a ratio of 3.8. An assumption, not a 910 measurement.
FP32_CUBE_SLOWDOWN = 4
VECTOR_BYTES_PER_CYCLE = 256      # the Vector unit is 2048 bits wide: 128 float16 or 64 float32 lanes (Hot Chips 31)
# Four HBM2 stacks (Linley Group, "Huawei Delivers Powerful AI Training", 2019), each 1024 bits wide at HBM2's
# 2.4 Gb/s per pin: 4 * 1024 / 8 * 2.4e9 = 1228.8 GB/s, the 1.2 TB/s usually quoted for the 910.
HBM_BYTES_PER_S = 4 * 1024 / 8 * 2.4e9
# Fixed cost of one AI Core task: start-up of its cores, TLB misses, parameter loading ("header overhead",
# CANN's Ascend C best practices). An assumed round figure of a few microseconds; no published 910 number.
LAUNCH_S = 5e-6
# A host op (Print, ...) stops the sink: the device synchronises, copies to the host and resumes (assumed).
HOST_OP_S = 50e-6

# Vector issue cost per element, relative to an add (assumed: transcendental and divide/sqrt sequences take
# several vector instructions; the 910's per-instruction throughputs are not published).
SIMPLE, DIVIDE, TRANSCENDENTAL, COMPOSITE = 1, 4, 4, 8
VECTOR_COST = {
    **dict.fromkeys(("RealDiv", "Reciprocal", "Sqrt", "Rsqrt", "BatchNormInvStd"), DIVIDE),
    **dict.fromkeys(("Exp", "Log", "Log1p"), TRANSCENDENTAL),
    **dict.fromkeys(("Tanh", "Sigmoid", "Softplus", "Elu", "Pow", "Sin", "Cos"), COMPOSITE),
    "GeLU": 10, "GeLUGrad": 12, "SigmoidGrad": 3, "TanhGrad": 3,
    # kernels, per element of their largest tensor
    "Softmax": 3 + TRANSCENDENTAL + DIVIDE,            # max, subtract, exp, sum, divide
    "LogSoftmax": 4 + 2 * TRANSCENDENTAL,              # max, subtract, exp, sum, log, subtract
    "SoftmaxGrad": 4, "LogSoftmaxGrad": 3 + TRANSCENDENTAL,
    "BatchNormStats": 2, "BatchNormReduceGrad": 3, "BatchNormScaleShift": 2,
    "DropoutMask": 4,                                  # Philox: 10 rounds per 4 outputs, a few ops each
    "Saturate": 0,     # saturation mode: the 910's float16 arithmetic clamps as it computes (saturation.py)
}
DATA_MOVEMENT = frozenset({"TransData", "Transpose", "BroadcastTo", "StridedSlice", "StridedSliceGrad", "Concat",
                           "Gather", "GatherGrad", "SparseGatherV2", "OneHot", "Assign"})
POOLS = frozenset({"MaxPool", "MaxPoolGrad", "MaxPoolGradGrad", "MaxPoolArgmax", "AvgPool", "AvgPoolGrad"})
_FP32_OUT_MODES = frozenset({"force_fp32", "cube_fp16in_fp32out"})  # cube float16 in, float32 out
# modes whose hwopt_d_insert_cast runs every cube op in float16 (allow_fp32_to_fp16, force_fp16, allow_mix_...)
_FP16_CUBE_MODES = frozenset(m for m, (ops, _, dst) in PRECISION_MODES.items()
                             if dst == FLOAT16 and (ops is None or CUBE_OPS <= ops))


class NodeCost(NamedTuple):
    node: object
    seconds: float
    bound: str   # "cube" | "vector" | "memory" | "launch"


def _itemsize(dtype_name):
    try:
        return np.dtype(dtype_name).itemsize
    except TypeError:  # bfloat16 without ml_dtypes imported
        return 2


def _pad(x):
    return -(-int(x) // CUBE_TILE) * CUBE_TILE


def _is_float(dtype_name):
    return dtype_name.startswith("float") or dtype_name == "bfloat16"


def _cast_chain(v):
    """The dtype names a pure-Cast node passes through (source first), or None for any other node."""
    if v.is_leaf or len(v.inputs) != 1:
        return None
    if v.op == "Cast":
        return [v.inputs[0].dtype.name, v.dtype.name]
    if v.op == "FusedElementwise" and all(step[0] == "Cast" for step in v.attrs["program"]):
        return [v.inputs[0].dtype.name] + [step[3] for step in v.attrs["program"]]
    return None


def _trailing_casts(v):
    """The dtype names along the Casts that end at ``v``'s value (its own dtype first)."""
    if v.op == "Cast":
        return [v.dtype.name, v.inputs[0].dtype.name]
    if v.op != "FusedElementwise" or v.attrs["result"] is None:
        return [v.dtype.name]
    steps, r = v.attrs["program"], v.attrs["result"]
    names = [steps[r][3]]
    while steps[r][0] == "Cast":
        kind, k = steps[r][1][0]
        if kind != "t":
            names.append(v.inputs[k].dtype.name)
            break
        r = k
        names.append(steps[r][3])
    return names


def _is_check(n):
    """An overflow check: ``AllFinite``, or a fused program computing one."""
    return n.op == "AllFinite" or (n.op == "FusedElementwise" and any(s[0] == "AllFinite" for s in n.attrs["program"]))


def _kernel_like(n):
    """A kernel that is not elementwise or data movement: one an Ascend would merge a neighbouring Cast into."""
    op = OPS.get(n.op)
    return not n.is_leaf and op is not None and op.kind is OpKind.KERNEL and n.op not in DATA_MOVEMENT


class DeviceView:
    """The simulator's final graph as an Ascend would run it.

    The CPU computes 16-bit kernels in float32 between Casts (``cpu_float32_compute``), and an Ascend merges a
    Cast next to a kernel that takes the other dtype into that kernel (MindSpore's ``MergeCastToOp``), so a
    Cast between a 16-bit float and float32 that only feeds such kernels, or only drains one, runs nothing
    (``merged``) and the kernel reads or writes the 16-bit tensor. A cube op's dtype is the narrowest float on
    the Casts ending at its inputs (the float16 of ``hwopt_d_insert_cast``, widened again by the CPU), or
    float16 under a mode that casts cube ops. Saturation and the overflow sentinels are the 910's hardware.
    """

    def __init__(self, graph=None, precision_mode=DEFAULT_PRECISION_MODE):
        self.precision_mode = precision_mode
        self.merged = set()
        self.sizes = {}  # node id -> bytes per element in HBM, where not the node's dtype's
        if graph is not None:
            self._merge_casts(graph)
            self._merge_float_status(graph)

    def _merge_float_status(self, graph):
        """Saturation is the float16 ALU's own behaviour and the float-status register is hardware: a
        ``Saturate`` node, and everything computed only for an ``AllFinite`` check (the simulator's overflow
        sentinels, ``saturation.py``), runs nothing on a 910; the check itself is one register read."""
        users = graph.users()
        kept = {n.id for n in graph.outputs} | {n.id for n in graph.effects}
        check_only = set()
        for n in reversed(graph.nodes):
            if n.id not in kept and not n.is_leaf and users[n.id] and all(
                    _is_check(u) or u.id in check_only for u in users[n.id]):
                check_only.add(n.id)
        self.merged |= check_only | {n.id for n in graph.nodes if n.op == "Saturate"}

    def _merge_casts(self, graph):
        """A Cast chain through a 16-bit float is merged when both its ends can be 16-bit: its source is
        16-bit or a kernel it alone reads (which then writes 16-bit), and its result is 16-bit or read only by
        kernels (which then read 16-bit)."""
        users = graph.users()
        for c in graph.nodes:
            chain = _cast_chain(c)
            if chain is None or not all(_is_float(d) for d in chain) or min(map(_itemsize, chain)) != 2:
                continue
            producer = c.inputs[0]
            from_kernel = _kernel_like(producer) and len(users[producer.id]) == 1
            into_kernels = bool(users[c.id]) and all(_kernel_like(u) for u in users[c.id])
            if (_itemsize(chain[0]) == 2 or from_kernel) and (_itemsize(chain[-1]) == 2 or into_kernels):
                self.merged.add(c.id)
                self.sizes[c.id] = 2
                if from_kernel:
                    self.sizes[producer.id] = 2

    def itemsize(self, v):
        """Bytes per element of ``v`` in HBM."""
        if v.id in self.sizes:
            return self.sizes[v.id]
        if v.op in CUBE_OPS:
            return self.cube_itemsizes(v)[1]
        return v.dtype.itemsize

    def narrowest(self, v):
        if v.is_leaf:
            return v.dtype.itemsize
        floats = [_itemsize(d) for d in _trailing_casts(v) if _is_float(d)]
        return min(floats + [self.itemsize(v)])

    def cube_itemsizes(self, n):
        """(bytes per element the Cube multiplies in, bytes per element of its output)."""
        floats = [self.narrowest(i) for i in n.inputs if _is_float(i.dtype.name)]
        size_in = min(floats, default=n.dtype.itemsize)
        if self.precision_mode in _FP16_CUBE_MODES:
            size_in = min(size_in, 2)
        return size_in, 4 if self.precision_mode in _FP32_OUT_MODES else size_in

    def bytes(self, v):
        return v.size * self.itemsize(v)


# ---------------------------------------------------------------------------------------------- cube ops
def _conv_gemm(n):
    """(groups, batch, output pixels, Cout/g, Cin/g, kh*kw) of a convolution: all three convolution ops are the
    forward's GEMM (the gradients' output pixels are dout's). Read from the NCHW shapes, or from the logical
    shapes a blocked one (data_format="NC1HWC0", ``ops/conv_blocked.py``) carries as attrs; None otherwise."""
    a = n.attrs
    if "data_format" in a:
        (batch, _, h, wd), w = a["x_shape"], a["w_shape"]
        (sh, sw), (dh, dw), (top, bottom, left, right) = a["stride"], a["dilation"], a["pad"]
        pixels = conv_out_size(h, w[2], sh, dh, top, bottom) * conv_out_size(wd, w[3], sw, dw, left, right)
    else:
        out = n.shape if n.op == "Conv2D" else n.inputs[0].shape
        w = n.shape if n.op == "Conv2DBackpropFilter" else n.inputs[1].shape
        if len(out) != 4 or len(w) != 4:
            return None
        batch, pixels = out[0], out[2] * out[3]
    g = a.get("group", 1)
    return g, batch, pixels, w[0] // g, w[1], w[2] * w[3]


def cube_flops(n):
    """Padded floating-point operations of a cube op: 2 * M16 * N16 * K16 per GEMM."""
    if n.op == "MatMul" and n.attrs.get("data_format") == "FRACTAL_NZ":  # the logical shapes: M, K, N
        (ah, aw), (bh, bw) = n.attrs["a_shape"], n.attrs["b_shape"]
        m, k = (aw, ah) if n.attrs.get("transpose_a") else (ah, aw)
        return 2 * _pad(m) * _pad(bh if n.attrs.get("transpose_b") else bw) * _pad(k)
    if n.op in ("MatMul", "BatchMatMul"):
        a = n.inputs[0].shape
        m, cols = n.shape[-2], n.shape[-1]
        k = a[-2] if n.attrs.get("transpose_a") else a[-1]
        return 2 * (n.size // (m * cols)) * _pad(m) * _pad(cols) * _pad(k)
    gemm = _conv_gemm(n)
    if gemm is None:  # a layout this model does not read: graph/flops.py's count, unpadded
        return node_flops(n)
    g, batch, pixels, cout, cin, taps = gemm
    return 2 * g * batch * _pad(pixels) * _pad(cout) * _pad(cin) * taps


def _cube(n, view):
    size_in, size_out = view.cube_itemsizes(n)
    compute = cube_flops(n) / CUBE_FLOPS * (FP32_CUBE_SLOWDOWN if size_in >= 4 else 1)
    # the Cube reads its operands in the dtype it multiplies (any Cast to it is a kernel of its own)
    memory = sum(i.size * (size_in if _is_float(i.dtype.name) else i.dtype.itemsize) for i in n.inputs)
    memory += n.size * size_out
    return compute, "cube", memory / HBM_BYTES_PER_S


# ---------------------------------------------------------------------------------------------- vector ops
def _vector_seconds(elements, op, dtype_name):
    lanes = VECTOR_BYTES_PER_CYCLE // _itemsize(dtype_name)
    return elements * VECTOR_COST.get(op, SIMPLE) / (lanes * AI_CORES) / CLOCK_HZ


def _program(steps, elements):
    return sum(_vector_seconds(elements, op, dtype) for op, _, _, dtype in steps)


def _fused(n, view):
    """One loop over the program: every step's vector cost; each input read and each output written once."""
    chain = _cast_chain(n)
    if chain is not None and chain[0] == chain[-1] and len(chain) > 2:  # a round trip: one device Cast
        memory = n.size * (_itemsize(chain[0]) + min(_itemsize(d) for d in chain))
        return _program(n.attrs["program"][:1], n.size), "vector", memory / HBM_BYTES_PER_S
    written = view.bytes(n) if n.attrs["result"] is not None else 0
    written += sum(view.bytes(n.inputs[k]) for _, k in n.attrs["stores"])
    memory = sum(view.bytes(i) for i in n.inputs) + written
    return _program(n.attrs["program"], n.size), "vector", memory / HBM_BYTES_PER_S


def _multi_tensor(n, view):
    """One launch over ``tensors`` members, each ``arity`` inputs (the full ones have the member's size)."""
    arity, compute, memory = n.attrs["arity"], 0.0, 0
    for j in range(n.attrs["tensors"]):
        ins = n.inputs[j * arity:(j + 1) * arity]
        compute += _program(n.attrs["program"], max(i.size for i in ins))
        memory += sum(view.bytes(i) for i in ins) + sum(view.bytes(ins[k]) for _, k in n.attrs["stores"])
    return compute, "vector", memory / HBM_BYTES_PER_S


def _kernel(n, view):
    """A vector kernel: VECTOR_COST per element of its largest tensor (pools: per window tap); data movement
    only moves bytes."""
    elements = max([n.size] + [i.size for i in n.inputs])
    if n.op in POOLS:
        kh, kw = n.attrs.get("kernel_size", (1, 1))
        sh, sw = n.attrs.get("strides", (kh, kw))
        elements = elements * max(1.0, kh * kw / (sh * sw))
    compute = 0.0 if n.op in DATA_MOVEMENT else _vector_seconds(elements, n.op, n.dtype.name)
    op = OPS.get(n.op)
    in_place = op is not None and output_alias(n) is not None  # the write is the aliased input's
    memory = sum(view.bytes(i) for i in {i.id: i for i in n.inputs}.values()) + (0 if in_place else view.bytes(n))
    return compute, "vector", memory / HBM_BYTES_PER_S


# ---------------------------------------------------------------------------------------------- the model
def _is_host(n):
    op = OPS.get(n.op)
    return op is not None and op.kind is OpKind.HOST


def category(n):
    """The op kind a node's time is totalled under: cube, vector, TransData or other."""
    if n.op in CUBE_OPS:
        return "cube"
    if n.op == "TransData":
        return "TransData"
    if n.op in DATA_MOVEMENT or _is_host(n):
        return "other"
    return "vector"


def node_cost(n, view=None):
    """(seconds, bound) of one kernel, or None for nodes that launch nothing (leaves, views, merged Casts)."""
    view = DeviceView() if view is None else view
    op = OPS.get(n.op)
    kind = op.kind if op is not None else OpKind.KERNEL  # an op this model does not know: a vector kernel
    if n.is_leaf or kind is OpKind.VIEW or n.id in view.merged:
        return None
    if kind is OpKind.HOST:
        return HOST_OP_S, "launch"
    if n.op in CUBE_OPS:
        compute, unit, memory = _cube(n, view)
    elif kind is OpKind.FUSED:
        compute, unit, memory = _fused(n, view)
    elif kind is OpKind.MULTI_TENSOR:
        compute, unit, memory = _multi_tensor(n, view)
    elif kind is OpKind.ELEMENTWISE:
        memory = (sum(view.bytes(i) for i in n.inputs) + view.bytes(n)) / HBM_BYTES_PER_S
        compute, unit = _vector_seconds(n.size, n.op, n.dtype.name), "vector"
    else:
        compute, unit, memory = _kernel(n, view)
    roof = max(compute, memory)
    bound = "launch" if LAUNCH_S > roof else (unit if compute >= memory else "memory")
    return roof + LAUNCH_S, bound


def estimate(graph, precision_mode=DEFAULT_PRECISION_MODE):
    """[NodeCost(node, seconds, bound)] for every kernel of ``graph`` an Ascend 910 would run, in graph order."""
    return _estimate(graph, DeviceView(graph, precision_mode))


def _estimate(graph, view):
    costs = []
    for n in graph.nodes:
        c = node_cost(n, view)
        if c is not None:
            costs.append(NodeCost(n, *c))
    return costs


def step_seconds(graph, precision_mode=DEFAULT_PRECISION_MODE):
    """The estimated time of one step of ``graph`` on an Ascend 910 (its kernels one after another)."""
    return sum(c.seconds for c in estimate(graph, precision_mode))
