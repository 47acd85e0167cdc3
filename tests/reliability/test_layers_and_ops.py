"""Bad input to every nn layer, every loss and the ops is a clear error, never a crash, a hang or a silent
wrong number (issue 11's corpus).

Each layer and loss gets a wrong rank, a wrong channel/feature size and a wrong dtype (where MindSpore has
one: an activation takes any rank, ReLU takes ints; those are in LEGAL). The error must be a ValueError or a
TypeError (as MindSpore raises them) naming the op or the layer; one raised while tracing a Cell must quote
the user's line, here a line of this file. A kernel's IndexError, a numba TypingError or an AssertionError
is a defect. Cases checked while the step runs (class labels, ids) read indices in kernels: they run in a
child process, so a regression that reads out of bounds fails one test instead of killing the run.
"""

import json
import os
import subprocess
import sys
from dataclasses import dataclass, field

import numpy as np
import pytest

import minispore as ms
from minispore import Tensor, nn, ops

HERE = os.path.basename(__file__)


def t(shape, dtype=np.float32):
    return Tensor(np.ones(shape, dtype))


def v(values, dtype=np.int32):
    return Tensor(np.array(values, dtype))


class Call(nn.Cell):
    """Traces ``fn`` in its construct, so an op's bad input is met inside a Cell, as in a network."""

    def __init__(self, fn):
        super().__init__()
        self.fn = fn

    def construct(self, *xs):
        return self.fn(*xs)


@dataclass
class Case:
    id: str            # "<Layer or op>-<what is wrong>"
    make: object       # () -> the Cell (or a function of Tensors, wrapped in Call)
    inputs: object     # () -> [Tensor or other argument]
    exc: type = ValueError
    words: list = field(default_factory=list)  # each must appear in the message
    train: bool = False


def _C(id, make, inputs, exc=ValueError, *words, train=False):
    return Case(id, make, inputs, exc, list(words), train)


def _act(name, op=None):
    """An activation's wrong dtype: MindSpore's TypeError for an integer input."""
    return _C(f"{name}-dtype", getattr(nn, name), lambda: [t((2, 3), np.int32)], TypeError, op or name, "Int32")


LAYERS = [
    _C("Dense-rank", lambda: nn.Dense(3, 2), lambda: [t((3,))], ValueError, "Dense", "not be less than 2"),
    _C("Dense-rank0", lambda: nn.Dense(3, 2), lambda: [t(())], ValueError, "Dense", "but got 0"),
    _C("Dense-size", lambda: nn.Dense(3, 2), lambda: [t((4, 5))], ValueError, "MatMul", "[4, 5]", "[2, 3]"),
    _C("Dense-size-3d", lambda: nn.Dense(3, 2), lambda: [t((2, 4, 5))], ValueError, "MatMul", "k=5"),
    _C("Dense-dtype", lambda: nn.Dense(3, 2), lambda: [t((4, 3), np.float64)], TypeError, "MatMul", "Float64",
       "Float32"),
    _C("Dense-dtype-int", lambda: nn.Dense(3, 2), lambda: [t((4, 3), np.int32)], TypeError, "MatMul", "Int32"),
    _C("Flatten-rank", lambda: nn.Flatten(start_dim=2), lambda: [t((2, 3))], ValueError, "flatten", "start_dim"),
    _C("Flatten-size", lambda: nn.Flatten(1, 0), lambda: [t((2, 3, 4))], ValueError, "flatten", "end_dim"),
    _act("LeakyReLU"), _act("Sigmoid"), _act("Tanh"), _act("GELU", "GeLU"), _act("ELU", "Elu"),
    _act("Softplus"), _act("SiLU", "Sigmoid"), _act("Softmax"), _act("LogSoftmax"),
    _C("Softmax-rank", nn.Softmax, lambda: [t(())], ValueError, "Softmax", "0-D"),
    _C("Softmax-size", lambda: nn.Softmax(axis=2), lambda: [t((2, 3))], ValueError, "Softmax", "axis", "2"),
    _C("LogSoftmax-rank", nn.LogSoftmax, lambda: [t(())], ValueError, "LogSoftmax", "0-D"),
    _C("LogSoftmax-size", lambda: nn.LogSoftmax(axis=-3), lambda: [t((2, 3))], ValueError, "LogSoftmax", "axis"),
    _C("Conv2d-rank", lambda: nn.Conv2d(3, 4, 3), lambda: [t((3, 8, 8))], ValueError, "Conv2D", "4-D", "[3, 8, 8]"),
    _C("Conv2d-rank5", lambda: nn.Conv2d(3, 4, 3), lambda: [t((1, 3, 8, 8, 1))], ValueError, "Conv2D", "4-D"),
    _C("Conv2d-size", lambda: nn.Conv2d(3, 4, 3), lambda: [t((1, 5, 8, 8))], ValueError, "Conv2D", "5 channels"),
    _C("Conv2d-kernel", lambda: nn.Conv2d(3, 4, 5, pad_mode="valid"), lambda: [t((1, 3, 2, 2))], ValueError,
       "Conv2D", "larger than the padded input"),
    _C("Conv2d-dtype", lambda: nn.Conv2d(3, 4, 3, has_bias=True), lambda: [t((1, 3, 8, 8), np.float64)], TypeError,
       "Conv2D", "Float64", "Float32"),
    _C("MaxPool2d-rank", lambda: nn.MaxPool2d(2, 2), lambda: [t((8, 8))], ValueError, "MaxPool2d", "[8, 8]"),
    _C("MaxPool2d-rank-same", lambda: nn.MaxPool2d(2, 2, pad_mode="same"), lambda: [t((8,))], ValueError,
       "MaxPool2d", "[8]"),
    _C("MaxPool2d-size", lambda: nn.MaxPool2d(9, 1), lambda: [t((1, 1, 8, 8))], ValueError, "MaxPool", "larger"),
    _C("MaxPool2d-dtype", lambda: nn.MaxPool2d(2, 2), lambda: [t((1, 1, 8, 8), np.int32)], TypeError, "MaxPool"),
    _C("AvgPool2d-rank", lambda: nn.AvgPool2d(2, 2), lambda: [t((2, 1, 1, 8, 8))], ValueError, "AvgPool2d"),
    _C("AvgPool2d-size", lambda: nn.AvgPool2d(3, 1), lambda: [t((1, 1, 2, 8))], ValueError, "AvgPool", "larger"),
    _C("AvgPool2d-dtype", lambda: nn.AvgPool2d(2, 2), lambda: [t((1, 1, 8, 8), np.int32)], TypeError, "AvgPool"),
    _C("BatchNorm1d-rank", lambda: nn.BatchNorm1d(3), lambda: [t((2, 3, 4, 4))], ValueError, "BatchNorm1d"),
    _C("BatchNorm1d-size", lambda: nn.BatchNorm1d(3), lambda: [t((2, 5))], ValueError, "BatchNorm", "[5]"),
    _C("BatchNorm1d-dtype", lambda: nn.BatchNorm1d(3), lambda: [t((2, 3), np.int32)], TypeError, "BatchNorm",
       "Int32"),
    _C("BatchNorm2d-rank", lambda: nn.BatchNorm2d(3), lambda: [t((2, 3, 4))], ValueError, "BatchNorm2d"),
    _C("BatchNorm2d-size", lambda: nn.BatchNorm2d(3), lambda: [t((2, 4, 5, 5))], ValueError, "BatchNorm", "[4]"),
    _C("BatchNorm2d-dtype", lambda: nn.BatchNorm2d(3), lambda: [t((2, 3, 4, 4), np.float64)], TypeError,
       "BatchNorm", "Float64", "Float32"),
    _C("BatchNorm2d-dtype-train", lambda: nn.BatchNorm2d(3), lambda: [t((2, 3, 4, 4), np.float64)], TypeError,
       "BatchNorm", "Float64", train=True),
    _C("Dropout-dtype", lambda: nn.Dropout(p=0.5), lambda: [t((2, 3), np.int32)], TypeError, "dropout", "Int32",
       train=True),
    _C("Embedding-dtype", lambda: nn.Embedding(10, 3), lambda: [t((4,))], TypeError, "SparseGatherV2", "Float32"),
    _C("Embedding-dtype-one-hot", lambda: nn.Embedding(10, 3, use_one_hot=True), lambda: [t((4,))], TypeError,
       "OneHot", "Float32"),
]

LOSSES = []
for _name in ("MSELoss", "L1Loss", "MAELoss"):
    LOSSES += [
        _C(f"{_name}-rank", getattr(nn, _name), lambda: [t((2, 3)), t((2, 3, 1))], ValueError, _name, "[2, 3, 1]"),
        _C(f"{_name}-size", getattr(nn, _name), lambda: [t((2, 3)), t((4, 3))], ValueError, _name, "[4, 3]"),
        _C(f"{_name}-dtype", getattr(nn, _name), lambda: [t((2, 3)), 2.0], TypeError, _name, "Tensor"),
    ]
_SCE = nn.SoftmaxCrossEntropyWithLogits
LOSSES += [
    _C("SmoothL1Loss-rank", nn.SmoothL1Loss, lambda: [t((2, 3)), t((2, 3, 1))], ValueError, "SmoothL1Loss"),
    _C("SmoothL1Loss-size", nn.SmoothL1Loss, lambda: [t((2, 3)), t((2, 4))], ValueError, "SmoothL1Loss", "[2, 4]"),
    _C("SmoothL1Loss-dtype", nn.SmoothL1Loss, lambda: [t((2, 3), np.int32), t((2, 3), np.int32)], TypeError,
       "SmoothL1Loss", "Int32"),
    _C("SmoothL1Loss-dtype-mixed", nn.SmoothL1Loss, lambda: [t((2, 3)), t((2, 3), np.float64)], TypeError,
       "SmoothL1Loss", "Float64"),
    _C("SoftmaxCrossEntropyWithLogits-rank", lambda: _SCE(sparse=True), lambda: [t((2, 3)), t((2, 1), np.int32)],
       ValueError, "SoftmaxCrossEntropyWithLogits", "[2, 1]"),
    _C("SoftmaxCrossEntropyWithLogits-size", _SCE, lambda: [t((2, 3)), t((2, 4))], ValueError,
       "SoftmaxCrossEntropyWithLogits", "[2, 4]"),
    _C("SoftmaxCrossEntropyWithLogits-dtype", lambda: _SCE(sparse=True), lambda: [t((2, 3)), t((2,))], TypeError,
       "SoftmaxCrossEntropyWithLogits", "Float32"),
    _C("SoftmaxCrossEntropyWithLogits-dtype-logits", _SCE, lambda: [t((2, 3), np.int32), t((2, 3))], TypeError,
       "SoftmaxCrossEntropyWithLogits", "Int32"),
    _C("BCEWithLogitsLoss-rank", nn.BCEWithLogitsLoss, lambda: [t((2, 3)), t((2, 3, 1))], ValueError,
       "BCEWithLogitsLoss", "[2, 3, 1]"),
    _C("BCEWithLogitsLoss-size", nn.BCEWithLogitsLoss, lambda: [t((2, 3)), t((4, 3))], ValueError,
       "BCEWithLogitsLoss", "[4, 3]"),
    _C("BCEWithLogitsLoss-dtype", nn.BCEWithLogitsLoss, lambda: [t((2, 3), np.int32), t((2, 3))], TypeError,
       "BCEWithLogitsLoss", "Int32"),
]
for _name in ("NLLLoss", "CrossEntropyLoss"):
    _cls = getattr(nn, _name)
    LOSSES += [
        _C(f"{_name}-rank", _cls, lambda: [t((2, 3)), t((2, 1), np.int32)], ValueError, _name, "[2, 1]"),
        _C(f"{_name}-rank0", _cls, lambda: [t(()), t((), np.int32)], ValueError, _name, "0-D"),
        _C(f"{_name}-size", _cls, lambda: [t((2, 3)), t((4,), np.int32)], ValueError, _name, "[4]"),
        _C(f"{_name}-size-weight", lambda c=_cls: c(weight=t((5,))), lambda: [t((2, 3)), t((2,), np.int32)],
           ValueError, _name, "weight", "[5]"),
        _C(f"{_name}-dtype", _cls, lambda: [t((2, 3), np.int32), t((2,), np.int32)], TypeError, _name, "Int32"),
    ]
LOSSES += [
    _C("NLLLoss-dtype-labels", nn.NLLLoss, lambda: [t((2, 3)), t((2,))], TypeError, "NLLLoss", "Float32"),
    _C("CrossEntropyLoss-size-probabilities", nn.CrossEntropyLoss, lambda: [t((2, 3)), t((2, 4))], ValueError,
       "CrossEntropyLoss", "[2, 4]"),
]


def _op(id, fn, inputs, exc=ValueError, *words):
    return _C(id, lambda: Call(fn), inputs, exc, *words)


OPS = [
    _op("MatMul-dtype", ops.matmul, lambda: [t((2, 3), np.float64), t((3, 2))], TypeError, "MatMul", "Float64"),
    _op("MatMul-int", ops.matmul, lambda: [t((2, 2), np.int32), t((2, 2), np.int32)], TypeError, "MatMul", "Int32"),
    _op("MatMul-size", ops.matmul, lambda: [t((2, 3)), t((4, 2))], ValueError, "MatMul", "[4, 2]"),
    _op("BatchMatMul-rank", ops.batch_matmul, lambda: [t((2, 3)), t((3, 2))], ValueError, "BatchMatMul", "3-D"),
    _op("BatchMatMul-int", ops.batch_matmul, lambda: [t((1, 2, 2), np.int64), t((1, 2, 2), np.int64)], TypeError,
        "BatchMatMul", "Int64"),
    _op("BiasAdd-size", ops.bias_add, lambda: [t((2, 3)), t((4,))], ValueError, "BiasAdd", "[4]"),
    _op("BiasAdd-dtype", ops.bias_add, lambda: [t((2, 3), np.float64), t((3,))], TypeError, "BiasAdd", "Float64"),
    _op("conv2d-stride", lambda a, w: ops.conv2d(a, w, stride=0), lambda: [t((1, 3, 8, 8)), t((4, 3, 3, 3))],
        ValueError, "conv2d", "stride"),
    _op("conv2d-pad", lambda a, w: ops.conv2d(a, w, pad_mode="pad", padding=-1),
        lambda: [t((1, 3, 8, 8)), t((4, 3, 3, 3))], ValueError, "conv2d", "padding"),
    _op("conv2d-dtype", ops.conv2d, lambda: [t((1, 3, 8, 8)), t((4, 3, 3, 3), np.float64)], TypeError, "Conv2D"),
    _op("max_pool2d-kernel", lambda a: ops.max_pool2d(a, 0), lambda: [t((1, 3, 8, 8))], ValueError, "kernel_size"),
    _op("avg_pool2d-pad", lambda a: ops.avg_pool2d(a, 2, padding=3), lambda: [t((1, 3, 8, 8))], ValueError,
        "avg_pool2d", "half of the kernel"),
    _op("Concat-axis", lambda a, b: ops.concat((a, b), 3), lambda: [t((2, 3)), t((2, 3))], ValueError, "Concat"),
    _op("Concat-rank", lambda a, b: ops.concat((a, b)), lambda: [t((2, 3)), t((3,))], ValueError, "Concat", "rank"),
    _op("Concat-dtype", lambda a, b: ops.concat((a, b)), lambda: [t((2, 3)), t((2, 3), np.int32)], TypeError,
        "Concat"),
    _op("Stack-size", lambda a, b: ops.stack((a, b)), lambda: [t((2, 3)), t((3, 2))], ValueError, "Stack"),
    _op("Squeeze-axis", lambda a: ops.squeeze(a, 5), lambda: [t((2, 1))], ValueError, "Squeeze", "axis"),
    _op("Squeeze-size", lambda a: ops.squeeze(a, 0), lambda: [t((2, 1))], ValueError, "Squeeze", "must be 1"),
    _op("ExpandDims-axis", lambda a: ops.expand_dims(a, 7), lambda: [t((2, 3))], ValueError, "ExpandDims"),
    _op("Transpose-perm", lambda a: ops.transpose(a, (0, 0)), lambda: [t((2, 1))], ValueError, "Transpose"),
    _op("Transpose-axis", lambda a: ops.transpose(a, (0, 5)), lambda: [t((2, 1))], ValueError, "Transpose"),
    _op("Reshape-two-unknown", lambda a: ops.reshape(a, (-1, -1)), lambda: [t((2, 3))], ValueError, "Reshape"),
    _op("Reshape-size", lambda a: ops.reshape(a, (4, 2)), lambda: [t((2, 3))], ValueError, "Reshape", "[4, 2]"),
    _op("Reshape-negative", lambda a: ops.reshape(a, (-2, -3)), lambda: [t((2, 3))], ValueError, "Reshape"),
    _op("ReduceSum-axis", lambda a: ops.reduce_sum(a, 4), lambda: [t((2, 3))], ValueError, "ReduceSum", "axis"),
    _op("ReduceMax-axis", lambda a: ops.reduce_max(a, (0, -3)), lambda: [t((2, 3))], ValueError, "ReduceMax"),
    _op("Argmax-axis", lambda a: ops.argmax(a, 7), lambda: [t((2, 3))], ValueError, "Argmax"),
    _op("Gather-axis", lambda a, i: ops.gather(a, i, 3), lambda: [t((2, 3)), t((2,), np.int32)], ValueError,
        "Gather"),
    _op("Gather-dtype", lambda a, i: ops.gather(a, i, 0), lambda: [t((2, 3)), t((2,))], TypeError, "Gather"),
    _op("OneHot-depth", lambda i: ops.one_hot(i, -1), lambda: [t((2,), np.int32)], ValueError, "OneHot", "depth"),
    _op("Softmax-axis", lambda a: ops.softmax(a, 5), lambda: [t((2, 3))], ValueError, "Softmax"),
    _op("split-size", lambda a: ops.split(a, 0), lambda: [t((4, 3))], ValueError, "split"),
    _op("Slice-range", lambda a: ops.slice(a, (0, 0), (3, 3)), lambda: [t((2, 3))], ValueError, "Slice"),
    _op("Tile-dims", lambda a: ops.tile(a, (-1, 1)), lambda: [t((2, 3))], ValueError, "Tile"),
    _op("BroadcastTo-shape", lambda a: ops.broadcast_to(a, (4, 5)), lambda: [t((2, 3))], ValueError, "BroadcastTo"),
    _op("Add-shape", lambda a, b: a + b, lambda: [t((2, 3)), t((4,))], ValueError, "Add", "[2, 3]", "[4]"),
    _op("Fill-shape", lambda a: ops.zeros((-1, 2)) + a, lambda: [t((2,))], ValueError, "Fill", "-1"),
    _op("flatten-dims", lambda a: ops.flatten(a, 5), lambda: [t((2, 3))], ValueError, "flatten"),
    _op("Select-dtype", lambda c, a: ops.select(c, a, a), lambda: [t((2,)), t((2,))], TypeError, "Select"),
    _op("getitem-index", lambda a: a[5], lambda: [t((2, 3))], IndexError, "out of bounds"),
    _op("dropout-dtype", lambda a: ops.dropout(a, 0.5), lambda: [t((2, 3), np.int32)], TypeError, "dropout"),
]

TRACE_CASES = LAYERS + LOSSES + OPS


def run_case(case):
    cell = case.make()
    if case.train:
        cell.set_train()
    return cell(*case.inputs())  # the user's line of every error raised while tracing


@pytest.mark.parametrize("case", TRACE_CASES, ids=[c.id for c in TRACE_CASES])
def test_bad_input_is_a_clear_error_at_the_users_line(case):
    with pytest.raises(case.exc) as err:
        run_case(case)
    msg = str(err.value)
    for word in case.words:
        assert word in msg, f"{word!r} not in: {msg}"
    assert HERE in msg, msg  # the user's own line: run_case's call, or an op's lambda above
    if case in LAYERS + LOSSES:
        assert "return cell(*case.inputs())" in msg, msg
    assert "numba" not in type(err.value).__module__


def test_every_layer_and_loss_is_in_the_corpus():
    covered = {c.id.split("-")[0] for c in TRACE_CASES + RUNTIME} | set(LEGAL_LAYERS)
    names = set(nn.layers.__all__) | (set(nn.loss.__all__) - {"LossBase"})
    cells = {n for n in names if isinstance(getattr(nn, n), type) and issubclass(getattr(nn, n), nn.Cell)}
    assert not cells - covered, f"no bad-input cases for {sorted(cells - covered)}"


# ---- legal inputs stay legal (the checks above must not refuse what MindSpore accepts) -----------------------

LEGAL_LAYERS = {"Identity": lambda: nn.Identity(), "ReLU": nn.ReLU, "ReLU6": nn.ReLU6}


@pytest.mark.parametrize("name", sorted(LEGAL_LAYERS))
def test_any_rank_and_integer_dtype_are_legal_for(name):
    x = np.array([[-3, 0, 7]], np.int32)
    out = LEGAL_LAYERS[name]()(Tensor(x)).asnumpy()
    assert out.dtype == np.int32
    np.testing.assert_array_equal(out, {"Identity": x, "ReLU": np.maximum(x, 0), "ReLU6": np.clip(x, 0, 6)}[name])


def test_elementwise_ops_keep_mindspores_implicit_promotion():
    out = Call(lambda a, b: a + b)(t((2,)), Tensor(np.array([0.5, 1.5], np.float64)))
    assert out.dtype.np == np.float64
    np.testing.assert_array_equal(out.asnumpy(), [1.5, 2.5])


def test_a_float16_dense_with_matching_dtypes_runs():
    net = nn.Dense(3, 2, weight_init="ones", bias_init="zeros").to_float(ms.float16)
    out = net(t((4, 3)))  # to_float casts the input and reads the weight in float16: dtypes match
    np.testing.assert_array_equal(out.asnumpy(), np.full((4, 2), 3.0))


# ---- checks made while the step runs: in a child process --------------------------------------------------

RUNTIME = [
    _C("NLLLoss-label-high", nn.NLLLoss, lambda: [t((2, 3)), v([0, 3])], ValueError,
       "label is out of range [0, num_classes)"),
    _C("NLLLoss-label-negative", nn.NLLLoss, lambda: [t((2, 3, 2)), v([[0, 1], [-1, 2]])], ValueError,
       "label is out of range [0, num_classes)"),
    _C("CrossEntropyLoss-label-negative", nn.CrossEntropyLoss, lambda: [t((2, 3)), v([0, -1])], ValueError,
       "label is out of range [0, num_classes)"),
    _C("CrossEntropyLoss-label-high-weighted", lambda: nn.CrossEntropyLoss(weight=t((3,))),
       lambda: [t((2, 3)), v([7, 0], np.int64)], ValueError, "label is out of range [0, num_classes)"),
    _C("SoftmaxCrossEntropyWithLogits-label", lambda: _SCE(sparse=True), lambda: [t((2, 3)), v([0, 3])],
       ValueError, "label is out of range [0, num_classes)"),
    _C("Embedding-id", lambda: nn.Embedding(10, 3), lambda: [v([1, 10])], ValueError, "out of range"),
    _C("Gather-index", lambda: Call(lambda a, i: ops.gather(a, i, 0)), lambda: [t((2, 3)), v([0, 2])],
       ValueError, "out of range"),
    # ignore_index: a label equal to it is allowed wherever it is, and its sample leaves the mean
    _C("NLLLoss-ignore-index", lambda: nn.NLLLoss(ignore_index=-1),
       lambda: [Tensor(np.log(np.array([[0.2, 0.8], [0.5, 0.5]], np.float32))), v([1, -1])], None),
    _C("CrossEntropyLoss-ignore-index-high", lambda: nn.CrossEntropyLoss(ignore_index=5, reduction="sum"),
       lambda: [Tensor(np.zeros((3, 2), np.float32)), v([5, 0, 5])], None),
]
_EXPECTED_VALUES = {"NLLLoss-ignore-index": -np.log(0.8), "CrossEntropyLoss-ignore-index-high": np.log(2.0)}


def outcome(case):
    """What ``case`` did, as JSON: the error's type and message, or the value."""
    try:
        out = run_case(case)
    except Exception as e:  # noqa: BLE001  (every kind is reported and judged by the parent)
        return {"id": case.id, "type": type(e).__name__, "module": type(e).__module__,
                "value_error": isinstance(e, ValueError), "message": str(e)}
    return {"id": case.id, "value": np.asarray(out.asnumpy(), np.float64).tolist()}


_CHILD = (
    "import importlib.util, json, sys\n"
    "spec = importlib.util.spec_from_file_location('corpus', sys.argv[1])\n"
    "mod = importlib.util.module_from_spec(spec)\n"
    "spec.loader.exec_module(mod)\n"
    "for case in mod.RUNTIME:\n"
    "    print('START ' + case.id, flush=True)\n"
    "    print('RESULT ' + json.dumps(mod.outcome(case)), flush=True)\n"
)


@pytest.fixture(scope="module")
def runtime_results():
    proc = subprocess.run([sys.executable, "-c", _CHILD, os.path.abspath(__file__)], capture_output=True, text=True,
                          timeout=900, env={**os.environ, "PYTHONWARNINGS": "ignore"})
    started = [line[6:] for line in proc.stdout.splitlines() if line.startswith("START ")]
    results = {}
    for line in proc.stdout.splitlines():
        if line.startswith("RESULT "):
            r = json.loads(line[7:])
            results[r["id"]] = r
    # a crash (e.g. a segfault: returncode -11) names the case that was running
    assert proc.returncode == 0, f"the child died in {started[-1:]} (rc {proc.returncode}): {proc.stderr[-3000:]}"
    return results


@pytest.mark.parametrize("case", RUNTIME, ids=[c.id for c in RUNTIME])
def test_bad_values_are_caught_while_the_step_runs(case, runtime_results):
    r = runtime_results[case.id]
    if case.exc is None:  # legal input: the right number, no error
        assert "value" in r, r
        if case.id in _EXPECTED_VALUES:
            np.testing.assert_allclose(r["value"], _EXPECTED_VALUES[case.id], rtol=1e-6)
        return
    assert r.get("value_error"), r
    for word in case.words:
        assert word in r["message"], r["message"]
    assert "while running the compiled graph" in r["message"] and HERE in r["message"], r["message"]
