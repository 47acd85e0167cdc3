"""Ascend's operator precision modes (``set_context(ascend_config={"precision_mode": ...})``), as a graph pass.

On an Ascend 910 the Cube unit multiplies float16 (16x16x16 MACs per cycle) and accumulates in float32 (L0C);
what an fp32 graph's matrix ops compute in is chosen by the precision mode (CANN's ``precision_mode``; the
910's default in MindSpore is ``allow_fp32_to_fp16``):

  ``allow_fp32_to_fp16``   cube ops (MatMul, BatchMatMul, Conv2D and its gradients) run in float16; vector ops
                           keep the graph's dtype
  ``force_fp16``           every op that supports both runs in float16 (vector ops too)
  ``allow_mix_precision``  automatic mixed precision: the AMP white list (cube ops, ReLU) runs in float16
  ``must_keep_origin_dtype`` / ``force_fp32``  every op keeps its dtype; float16 cube ops compute and
                           write float32 under ``force_fp32`` (``cube_fp16in_fp32out`` is its newer name)

The pass is MindSpore's ``InsertCast`` (``AscendMixPrecision``): an op chosen to run in another dtype reads
its floating inputs through ``Cast`` nodes and its result is cast back to the dtype the graph had, so the
rest of the graph is unchanged. On this simulator the float16 op then runs on the CPU's float16 path
(``backends/cpu/passes.py``: float16 in, float32 accumulation, float16 out), which is the Cube's arithmetic.
"""

import numpy as np

from ...graph.opdef import OPS, OpKind, Spec, output_alias, written_inputs
from ..cpu.passes import _Rewriter

FLOAT16 = np.dtype(np.float16)
FLOAT32 = np.dtype(np.float32)

CUBE_OPS = frozenset({"MatMul", "BatchMatMul", "Conv2D", "Conv2DBackpropInput", "Conv2DBackpropFilter"})
MIX_PRECISION_OPS = CUBE_OPS | {"ReLU", "ReluGrad", "PReLU"}  # MindSpore's AMP white list, with gradients

PRECISION_MODES = {
    # mode: (ops that change dtype (None: every op that can), from dtype, to dtype)
    "allow_fp32_to_fp16": (CUBE_OPS, FLOAT32, FLOAT16),
    "force_fp16": (None, FLOAT32, FLOAT16),
    "allow_mix_precision": (MIX_PRECISION_OPS, FLOAT32, FLOAT16),
    "allow_mix_precision_fp16": (MIX_PRECISION_OPS, FLOAT32, FLOAT16),
    "must_keep_origin_dtype": (frozenset(), FLOAT32, FLOAT32),
    "force_fp32": (CUBE_OPS, FLOAT16, FLOAT32),
    "cube_fp16in_fp32out": (CUBE_OPS, FLOAT16, FLOAT32),
}
DEFAULT_PRECISION_MODE = "allow_fp32_to_fp16"  # Atlas training series (910)

# ops that never change dtype: data movement and ops whose dtype is their meaning
_KEEP = frozenset({"Cast", "Assign", "Reshape", "BroadcastTo", "Transpose", "Concat", "Gather", "SparseGatherV2",
                   "StridedSlice", "OneHot", "DropoutMask", "Print", "TransData"})


def _converts(node, ops, src):
    if node.is_leaf or node.op in _KEEP or (ops is not None and node.op not in ops):
        return False
    op = OPS[node.op]
    if op.kind in (OpKind.VIEW, OpKind.HOST, OpKind.FUSED, OpKind.MULTI_TENSOR):
        return False
    if written_inputs(node) or output_alias(node) is not None:  # in-place updates keep the state's dtype
        return False
    floats = [i for i in node.inputs if np.issubdtype(i.dtype, np.floating)]
    return bool(floats) and all(i.dtype == src for i in floats) and node.dtype in (src, np.dtype(bool))


def precision_pass(mode):
    """The ``hwopt_d_insert_cast`` pass of ``mode``: (name, Graph -> Graph)."""
    ops, src, dst = PRECISION_MODES[mode]

    def rewrite(rw, node):
        if src == dst or not _converts(node, ops, src):
            return node
        inputs = [rw.cast(i, dst, node) if i.dtype == src else i for i in node.inputs]
        attrs = {k: (dst if isinstance(v, np.dtype) and v == src else v) for k, v in node.attrs.items()}
        shape, dtype = OPS[node.op].infer([Spec(i.shape, i.dtype) for i in inputs], **attrs)
        new = rw.add(node.op, inputs, attrs, shape, dtype, node)
        return new if np.dtype(dtype) == node.dtype else rw.cast(new, node.dtype, node)

    def insert_cast(graph):
        return _Rewriter(graph).run(rewrite)

    return "hwopt_d_insert_cast", insert_cast
