"""Op test cases for the core ops (arithmetic, matmul, shape, reduce, broadcast, indexing).

Each entry: op name -> list of cases; a case is dict(inputs=[numpy arrays], attrs={...}),
optionally ``grad=[indices]`` (inputs to check by finite differences; default every float input)
and ``fd=False`` to skip the finite-difference check (e.g. kinks at the sampled points).
"""

import numpy as np

R = np.random.default_rng(1)


def f(*shape):
    return R.standard_normal(shape).astype(np.float32)


def pos(*shape):
    return (R.random(shape) + 0.5).astype(np.float32)


CASES = {
    "Add": [dict(inputs=[f(3, 4), f(3, 4)]), dict(inputs=[f(2, 3, 4), f(4)]), dict(inputs=[f(3, 1), f(1, 4)])],
    "Sub": [dict(inputs=[f(3, 4), f(3, 4)]), dict(inputs=[f(3, 4), f(1)])],
    "Mul": [dict(inputs=[f(3, 4), f(3, 4)]), dict(inputs=[f(2, 3), f(2, 1)])],
    "RealDiv": [dict(inputs=[f(3, 4), pos(3, 4)]), dict(inputs=[f(3, 4), pos(4)])],
    "Neg": [dict(inputs=[f(5)])],
    "Maximum": [dict(inputs=[f(3, 4), f(3, 4)])],
    "Minimum": [dict(inputs=[f(3, 4), f(4)])],
    "Greater": [dict(inputs=[f(3, 4), f(3, 4)])],
    "GreaterEqual": [dict(inputs=[f(3, 4), f(4)])],
    "Less": [dict(inputs=[f(3, 4), f(3, 4)])],
    "LessEqual": [dict(inputs=[f(3, 4), f(3, 4)])],
    "Equal": [dict(inputs=[np.array([1, 2, 3], np.int32), np.array([1, 0, 3], np.int32)])],
    "NotEqual": [dict(inputs=[np.array([1, 2, 3], np.int32), np.array([1, 0, 3], np.int32)])],
    "LogicalAnd": [dict(inputs=[np.array([True, False, True]), np.array([True, True, False])])],
    "LogicalOr": [dict(inputs=[np.array([True, False, False]), np.array([True, True, False])])],
    "LogicalNot": [dict(inputs=[np.array([True, False])])],
    "Cast": [dict(inputs=[f(3, 4)], attrs=dict(dtype=np.dtype(np.float64))),
             dict(inputs=[np.array([1.7, -2.2, 3.0], np.float32)], attrs=dict(dtype=np.dtype(np.int32)))],
    "Select": [dict(inputs=[R.random((3, 4)) > 0.5, f(3, 4), f(3, 4)])],
    "MatMul": [dict(inputs=[f(3, 4), f(4, 5)]),
               dict(inputs=[f(4, 3), f(4, 5)], attrs=dict(transpose_a=True)),
               dict(inputs=[f(3, 4), f(5, 4)], attrs=dict(transpose_b=True)),
               dict(inputs=[f(4, 3), f(5, 4)], attrs=dict(transpose_a=True, transpose_b=True))],
    "BatchMatMul": [dict(inputs=[f(2, 3, 4), f(2, 4, 5)]),
                    dict(inputs=[f(2, 4, 3), f(2, 5, 4)], attrs=dict(transpose_a=True, transpose_b=True))],
    "Reshape": [dict(inputs=[f(3, 4)], attrs=dict(shape=(2, 6)))],
    "Transpose": [dict(inputs=[f(2, 3, 4)], attrs=dict(perm=(2, 0, 1)))],
    "ReduceSum": [dict(inputs=[f(2, 3, 4)], attrs=dict(axis=(1,), keep_dims=False)),
                  dict(inputs=[f(2, 3, 4)], attrs=dict(axis=(0, 1, 2), keep_dims=True))],
    "ReduceMax": [dict(inputs=[f(2, 3, 4)], attrs=dict(axis=(2,), keep_dims=False)),
                  dict(inputs=[np.array([[1, np.nan, 3], [np.nan, 2, 0]], np.float32)], attrs=dict(axis=(1,),
                       keep_dims=False), fd=False)],  # a NaN anywhere in the row is the result (numpy's rule)
    "ReduceMin": [dict(inputs=[f(2, 3, 4)], attrs=dict(axis=(0, 1), keep_dims=True)),
                  dict(inputs=[np.array([[1, np.nan, -3], [0, 2, np.nan]], np.float32)], attrs=dict(axis=(1,),
                       keep_dims=False), fd=False)],
    "BroadcastTo": [dict(inputs=[f(3, 1)], attrs=dict(shape=(2, 3, 4)))],
    "StridedSlice": [dict(inputs=[f(4, 5)], attrs=dict(begin=(1, 0), end=(3, 5), strides=(1, 2))),
                     dict(inputs=[f(6)], attrs=dict(begin=(5,), end=(-1,), strides=(-2,)))],
    "StridedSliceGrad": [dict(inputs=[f(2, 3)], attrs=dict(shape=(4, 5), begin=(1, 0), end=(3, 5), strides=(1, 2)))],
    "Assign": [],  # side effect; covered by tests/graph/test_passes.py
    "StopGradient": [dict(inputs=[f(3, 4)])],  # nondiff: the value only (tests/api/test_jit_and_losses.py)
    # (x * y + x) with y broadcast as a single element, then a bool compare and a select: the generated
    # fused kernel against the composed references.
    "FusedElementwise": [dict(
        inputs=[f(3, 4), np.array([2.5], np.float32)],
        attrs=dict(program=(("Mul", (("i", 0), ("i", 1)), (), "<f4"), ("Add", (("t", 0), ("i", 0)), (), "<f4"),
                            ("Greater", (("t", 1), ("i", 1)), (), "|b1"),
                            ("Select", (("t", 2), ("t", 1), ("i", 0)), (), "<f4")),
                   stores=(), result=3, shape=(3, 4), dtype="<f4", ops="Mul+Add+Greater+Select"))],
    # p -= lr * g stored in place, for two tensors of different ranks (p, g, lr per tensor).
    "MultiTensorFused": [dict(
        inputs=[f(2, 3), f(2, 3), np.array(0.5, np.float32), f(4), f(4), np.array(0.25, np.float32)],
        attrs=dict(program=(("Mul", (("i", 1), ("i", 2)), (), "<f4"), ("Sub", (("i", 0), ("t", 0)), (), "<f4")),
                   stores=((1, 0),), arity=3, tensors=2, full=(True, True, False), ops="Mul+Sub"))],
}
