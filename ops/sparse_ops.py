"""Row-sparse ops: the embedding lookup whose gradient is a RowTensor (``SparseGatherV2``), and the
sparse optimizer updates that touch only the rows of such a gradient (MindSpore's CPU primitives
``FusedSparseLazyAdam``, ``SparseApplyFtrl``, ``SparseApplyProximalAdagrad``).

The updates are side effects, like Assign: the kernel writes the parameter and its state buffers in
place (``writes`` lists every input it overwrites, ``alias`` the one the node's
value is: the parameter), and the node is recorded as a graph effect. Learning rates and
hyper-parameters are (0-d) Tensor inputs, so changing them never recompiles.

The update kernels (backends/<target>/kernels/sparse.py) first check every index (anything outside
[-rows, rows) raises a ValueError before memory is touched), then sum the rows of repeated indices
(MindSpore's unique-and-sum), then update each distinct row once. Rows absent from the gradient keep
their values and their state.
"""

import numpy as np

from ..graph import trace
from ..graph.parameter import Parameter
from . import row_tensor
from .gather_ops import _wrap_indices, gather
from .primitive_base import Primitive
from .registry import OpDef, apply, as_tensor, register, type_name
from .shape_base import reshape


def _prod(shape):
    return int(np.prod(shape, dtype=np.int64))


def _check_indices(spec):
    if spec.dtype.kind not in "iu":
        raise TypeError(f"the indices must be an int32 or int64 Tensor, but got {type_name(spec.dtype)}")


# ---- SparseGatherV2: rows of a table, gradient kept row-sparse -----------------------------------

def _gather_infer(specs):
    p, i = specs
    _check_indices(i)
    if p.ndim == 0:
        raise ValueError("input_params must have at least one dimension")
    return tuple(i.shape) + tuple(p.shape[1:]), p.dtype


def _gather_ref(p, i):
    return np.take(p, _wrap_indices(i, p.shape[0], "SparseGatherV2"), axis=0)


def _gather_grad(ctx, ins, out, d):
    if not ctx.needs[0]:
        return [None, None]
    params, indices = ins
    n = indices.size
    rows = row_tensor.RowTensor(reshape(indices, (n,)), reshape(d, (n,) + tuple(params.shape[1:])),
                            tuple(params.shape))
    return [rows, None]


register(OpDef("SparseGatherV2", infer=_gather_infer, reference=_gather_ref, grad=_gather_grad))


def sparse_gather_args(node):
    """The run-time args of every target's SparseGatherV2 kernel: (rows n, row width) of the params."""
    shape = node.inputs[0].shape
    return shape[0], _prod(shape[1:])


def sparse_gather_v2(input_params, input_indices):
    """out = input_params[input_indices] (rows of axis 0): out.shape = indices.shape + params.shape[1:].

    Indices lie in [-n, n) for n = params.shape[0] (negative ones count from the end); anything else
    raises a ValueError when the step runs. The gradient w.r.t. params is a RowTensor (MindSpore's
    RowTensor): indices flattened, values = the output gradient as rows."""
    p, i = as_tensor(input_params), as_tensor(input_indices)
    return apply("SparseGatherV2", p, i)


# ---- shared pieces of the sparse updates ---------------------------------------------------------

def _check_update(specs, var_at, state_at, grad_at, index_at, scalar_at):
    var = specs[var_at]
    if var.dtype not in (np.dtype(np.float32), np.dtype(np.float64)):
        raise TypeError(f"var must be a float32 or float64 Tensor, but got {var.dtype}")
    if var.ndim == 0:
        raise ValueError("var must have at least one dimension")
    for k in state_at:
        s = specs[k]
        if s.shape != var.shape or s.dtype != var.dtype:
            raise ValueError(f"every state buffer must match var ({list(var.shape)} {var.dtype}), but got "
                             f"{list(s.shape)} {s.dtype}")
    for k in scalar_at:
        s = specs[k]
        if s.dtype.kind != "f" or _prod(s.shape) != 1:
            raise TypeError(f"the hyper-parameters must be float Tensors with one element, but got "
                            f"{list(s.shape)} {s.dtype}")
    grad, indices = specs[grad_at], specs[index_at]
    _check_indices(indices)
    if indices.ndim != 1:
        raise ValueError(f"indices must be 1-D, but got shape {list(indices.shape)}")
    if grad.dtype != var.dtype:
        raise TypeError(f"grad must have var's dtype {var.dtype}, but got {grad.dtype}")
    if grad.shape != (indices.shape[0],) + var.shape[1:]:
        raise ValueError(f"grad of shape {list(grad.shape)} must have shape [len(indices)] + var.shape[1:] = "
                         f"{[indices.shape[0]] + list(var.shape[1:])}")
    return var.shape, var.dtype


def _unique_rows_ref(var, grad, indices, name):
    w = _wrap_indices(indices, var.shape[0], name)
    rows, inverse = np.unique(w, return_inverse=True)
    sums = np.zeros((rows.size,) + var.shape[1:], np.float64)
    np.add.at(sums, inverse.reshape(-1), grad.astype(np.float64))
    return rows, sums


def _value(x):
    return float(np.asarray(x).reshape(-1)[0])


def _buffer(x, what, name):
    if not isinstance(x, Parameter):
        raise TypeError(f"For '{name}', '{what}' must be a Parameter (it is updated in place), but got "
                        f"{type(x).__name__}")
    return x


def _record(out):
    tracer = trace.current()
    if tracer is not None:
        tracer.graph.effects.append(out._node)
    return out


def _hyper(x, name, what):
    t = as_tensor(x, np.float32)
    if not t.dtype.is_floating or t.size != 1:
        raise TypeError(f"For '{name}', '{what}' must be a float or a float Tensor with one element, but got "
                        f"{t.dtype} of shape {list(t.shape)}")
    return t


# ---- FusedSparseLazyAdam ---------------------------------------------------------------------

def _lazy_adam_ref(var, m, v, beta1_power, beta2_power, lr, beta1, beta2, epsilon, grad, indices, use_nesterov):
    rows, g = _unique_rows_ref(var, grad, indices, "FusedSparseLazyAdam")
    b1, b2, eps = _value(beta1), _value(beta2), _value(epsilon)
    lr_t = _value(lr) * np.sqrt(1.0 - _value(beta2_power)) / (1.0 - _value(beta1_power))
    mm = b1 * m[rows].astype(np.float64) + (1.0 - b1) * g
    vv = b2 * v[rows].astype(np.float64) + (1.0 - b2) * g * g
    numer = mm * b1 + (1.0 - b1) * g if use_nesterov else mm
    var[rows] = var[rows] - lr_t * numer / (np.sqrt(vv) + eps)
    m[rows], v[rows] = mm, vv
    return var


def lazy_adam_args(node):
    """The run-time args of every target's FusedSparseLazyAdam kernel: (use_nesterov,)."""
    return (bool(node.attrs["use_nesterov"]),)


register(OpDef("FusedSparseLazyAdam", reference=_lazy_adam_ref, nondiff=True, impure=True,
               infer=lambda specs, use_nesterov: _check_update(specs, 0, (1, 2), 9, 10, range(3, 9)),
               writes=(0, 1, 2), alias=0))


def fused_sparse_lazy_adam(var, m, v, beta1_power, beta2_power, lr, beta1, beta2, epsilon, grad, indices,
                           use_nesterov=False):
    r"""Lazy Adam on the rows of a sparse gradient (MindSpore's FusedSparseLazyAdam). Repeated
    indices are summed first; then for each distinct row r, with g its summed gradient:

    .. math::
        m_r = \beta_1 m_r + (1 - \beta_1) g,\quad v_r = \beta_2 v_r + (1 - \beta_2) g^2,\quad
        w_r = w_r - lr \frac{\sqrt{1 - \beta_2^t}}{1 - \beta_1^t} \frac{m_r}{\sqrt{v_r} + \epsilon}

    (``use_nesterov``: numerator :math:`\beta_1 m_r + (1 - \beta_1) g`). Other rows of var, m and v
    are untouched. var, m and v are updated in place; returns the new var."""
    name = "FusedSparseLazyAdam"
    ins = [_buffer(var, "var", name), _buffer(m, "m", name), _buffer(v, "v", name)]
    ins += [_hyper(x, name, w) for x, w in ((beta1_power, "beta1_power"), (beta2_power, "beta2_power"), (lr, "lr"),
                                             (beta1, "beta1"), (beta2, "beta2"), (epsilon, "epsilon"))]
    ins += [as_tensor(grad), as_tensor(indices)]
    return _record(apply(name, *ins, use_nesterov=bool(use_nesterov)))


# ---- SparseApplyFtrl -------------------------------------------------------------------------

def _ftrl_ref(var, accum, linear, grad, indices, lr, l1, l2, lr_power):
    rows, g = _unique_rows_ref(var, grad, indices, "SparseApplyFtrl")
    alpha, reg1, reg2, p = _value(lr), _value(l1), _value(l2), _value(lr_power)
    old = accum[rows].astype(np.float64)
    new = old + g * g
    u = linear[rows] + g - (new ** -p - old ** -p) / alpha * var[rows]
    var[rows] = np.where(np.abs(u) > reg1, (np.sign(u) * reg1 - u) / (new ** -p / alpha + 2.0 * reg2), 0.0)
    linear[rows], accum[rows] = u, new
    return var


register(OpDef("SparseApplyFtrl", reference=_ftrl_ref, nondiff=True, impure=True,
               infer=lambda specs: _check_update(specs, 0, (1, 2), 3, 4, range(5, 9)),
               writes=(0, 1, 2), alias=0))


def sparse_apply_ftrl(var, accum, linear, grad, indices, lr, l1, l2, lr_power):
    r"""FTRL-Proximal on the rows of a sparse gradient (MindSpore's SparseApplyFtrl). Repeated indices
    are summed first; then for each distinct row, with g its summed gradient and p = ``lr_power``:

    .. math::
        a' = a + g^2;\quad u = u + g - \frac{a'^{-p} - a^{-p}}{lr} w;\quad
        w = \frac{\mathrm{sign}(u) l_1 - u}{a'^{-p}/lr + 2 l_2} \text{ if } |u| > l_1 \text{ else } 0;\quad a = a'

    Other rows are untouched. var, accum and linear are updated in place; returns the new var."""
    name = "SparseApplyFtrl"
    ins = [_buffer(var, "var", name), _buffer(accum, "accum", name), _buffer(linear, "linear", name),
           as_tensor(grad), as_tensor(indices)]
    ins += [_hyper(x, name, w) for x, w in ((lr, "lr"), (l1, "l1"), (l2, "l2"), (lr_power, "lr_power"))]
    return _record(apply(name, *ins))


# ---- SparseApplyProximalAdagrad --------------------------------------------------------------

def _proximal_adagrad_ref(var, accum, lr, l1, l2, grad, indices):
    rows, g = _unique_rows_ref(var, grad, indices, "SparseApplyProximalAdagrad")
    a = accum[rows] + g * g
    lr_t = _value(lr) / np.sqrt(a)
    prox = var[rows] - lr_t * g
    var[rows] = np.sign(prox) / (1.0 + lr_t * _value(l2)) * np.maximum(np.abs(prox) - lr_t * _value(l1), 0.0)
    accum[rows] = a
    return var


register(OpDef("SparseApplyProximalAdagrad", reference=_proximal_adagrad_ref, nondiff=True, impure=True,
               infer=lambda specs: _check_update(specs, 0, (1,), 5, 6, (2, 3, 4)),
               writes=(0, 1), alias=0))


def sparse_apply_proximal_adagrad(var, accum, lr, l1, l2, grad, indices):
    r"""Proximal Adagrad on the rows of a sparse gradient (MindSpore's SparseApplyProximalAdagrad).
    Repeated indices are summed first; then for each distinct row, with g its summed gradient:

    .. math::
        a = a + g^2;\quad lr_t = \frac{lr}{\sqrt{a}};\quad v = w - lr_t g;\quad
        w = \frac{\mathrm{sign}(v)}{1 + lr_t l_2} \max(|v| - lr_t l_1, 0)

    Other rows are untouched. var and accum are updated in place; returns the new var."""
    name = "SparseApplyProximalAdagrad"
    ins = [_buffer(var, "var", name), _buffer(accum, "accum", name)]
    ins += [_hyper(x, name, w) for x, w in ((lr, "lr"), (l1, "l1"), (l2, "l2"))]
    ins += [as_tensor(grad), as_tensor(indices)]
    return _record(apply(name, *ins))


# ---- primitives (MindSpore's call signatures; each returns the updated var) ----------------------

class SparseGatherV2(Primitive):
    """``SparseGatherV2()(input_params, input_indices, axis)``: Gather whose gradient w.r.t. the
    params is row-sparse. Only ``axis=0`` has rows; another axis is an ordinary (dense) Gather."""

    def __call__(self, input_params, input_indices, axis):
        if axis != 0:
            return gather(input_params, input_indices, axis)
        return sparse_gather_v2(input_params, input_indices)


class FusedSparseLazyAdam(Primitive):
    """``FusedSparseLazyAdam(use_locking=False, use_nesterov=False)(var, m, v, beta1_power, beta2_power,
    lr, beta1, beta2, epsilon, grad, indices)``; see ``fused_sparse_lazy_adam``."""

    def __init__(self, use_locking=False, use_nesterov=False):
        super().__init__()
        self.use_locking, self.use_nesterov = bool(use_locking), bool(use_nesterov)

    def __call__(self, var, m, v, beta1_power, beta2_power, lr, beta1, beta2, epsilon, grad, indices):
        return fused_sparse_lazy_adam(var, m, v, beta1_power, beta2_power, lr, beta1, beta2, epsilon, grad,
                                      indices, self.use_nesterov)


class SparseApplyFtrl(Primitive):
    """``SparseApplyFtrl(lr, l1, l2, lr_power, use_locking=False)(var, accum, linear, grad, indices)``;
    see ``sparse_apply_ftrl``."""

    def __init__(self, lr, l1, l2, lr_power, use_locking=False):
        super().__init__()
        self.lr, self.l1, self.l2, self.lr_power = float(lr), float(l1), float(l2), float(lr_power)
        self.use_locking = bool(use_locking)

    def __call__(self, var, accum, linear, grad, indices):
        return sparse_apply_ftrl(var, accum, linear, grad, indices, self.lr, self.l1, self.l2, self.lr_power)


class SparseApplyProximalAdagrad(Primitive):
    """``SparseApplyProximalAdagrad(use_locking=False)(var, accum, lr, l1, l2, grad, indices)``;
    see ``sparse_apply_proximal_adagrad``."""

    def __init__(self, use_locking=False):
        super().__init__()
        self.use_locking = bool(use_locking)

    def __call__(self, var, accum, lr, l1, l2, grad, indices):
        return sparse_apply_proximal_adagrad(var, accum, lr, l1, l2, grad, indices)


__all__ = ["sparse_gather_v2", "fused_sparse_lazy_adam", "sparse_apply_ftrl", "sparse_apply_proximal_adagrad"]
__primitives__ = [SparseGatherV2, FusedSparseLazyAdam, SparseApplyFtrl, SparseApplyProximalAdagrad]
