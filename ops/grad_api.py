"""Gradient APIs: ``minispore.grad``, ``minispore.value_and_grad`` and ``ops.GradOperation``.

Inside a trace they differentiate the nodes the function appends (so a TrainOneStepCell's
gradients are part of its one graph); called outside a trace they compile the whole
value-and-gradient computation for the device target, cached per input signature.
"""

from ..graph import autodiff, executor_hook, trace
from ..graph.parameter import Parameter
from ..graph.session import SESSION
from ..graph.tensor import Tensor
from . import row_tensor
from .arithmetic import ones_like, zeros_like


def _as_tuple(x):
    return tuple(x) if isinstance(x, (tuple, list)) else (x,)


def _traced_value_and_grad(fn, args, positions, weights, has_aux, sens=None):
    tracer = trace.current()
    first_id = tracer.graph._next_id
    for p in positions:
        if p >= len(args) or not isinstance(args[p], Tensor):
            raise TypeError(f"For 'grad', grad_position {p} must name a Tensor argument, but the function got "
                            f"{len(args)} arguments" + trace.format_location(trace.user_source()))
    arg_nodes = [args[p]._graph_node() for p in positions]
    out = fn(*args)
    if has_aux:
        if not isinstance(out, tuple) or len(out) < 2:
            raise ValueError("When has_aux is True, origin fn requires more than one outputs (a tuple "
                             "(loss, aux...))" + trace.format_location(trace.user_source()))
        diff_outs = (out[0],)
    else:
        diff_outs = _as_tuple(out)
    for o in diff_outs:
        if not isinstance(o, Tensor):
            raise TypeError(f"For 'grad', the function must return Tensors, but got {type(o).__name__}")
    if sens is None:
        seeds = [(o, ones_like(o)) for o in diff_outs]
    else:
        sens = _as_tuple(sens)
        if len(sens) != len(diff_outs):
            raise ValueError(f"For 'grad', got {len(sens)} sensitivities for {len(diff_outs)} outputs")
        seeds = list(zip(diff_outs, sens))
    weight_nodes = [tracer.param_node(w) for w in weights]
    grads = autodiff.backward(seeds, arg_nodes + weight_nodes, first_id)
    wrt = [args[p] for p in positions] + list(weights)
    grads = [g if g is not None else zeros_like(t) for g, t in zip(grads, wrt)]
    # Weights looked up by rows (nn.Embedding) keep a RowTensor gradient for the optimizer's sparse
    # rule; gradients w.r.t. the function's arguments are always dense Tensors.
    pos_grads = [row_tensor.densify(g) for g in grads[:len(positions)]]
    return out, pos_grads, tuple(grads[len(positions):])


def _nest(grad_position, pos_grads, weight_grads, has_weights):
    """MindSpore's nesting of the gradients: one position (an int, or a tuple of one) gives a Tensor,
    several (or GradOperation's get_all) a tuple; weights give a tuple; both give (positions, weights)."""
    if grad_position is None:
        return weight_grads
    several = grad_position == "all" or (isinstance(grad_position, tuple) and len(grad_position) > 1)
    pg = tuple(pos_grads) if several else pos_grads[0]
    return (pg, weight_grads) if has_weights else pg


class _GradFunction:
    """The callable returned by grad/value_and_grad/GradOperation for one function."""

    def __init__(self, fn, grad_position, weights, has_aux, return_value, sens_param=False, cache=None):
        if weights is not None:
            weights = tuple(weights) if isinstance(weights, (tuple, list)) else (weights,)
            for w in weights:
                if not isinstance(w, Parameter):
                    raise TypeError(f"For 'grad', weights must be Parameters, but got {type(w).__name__}")
        self.fn = fn
        self.grad_position = grad_position
        self.weights = weights
        self.has_aux = has_aux
        self.return_value = return_value
        self.sens_param = sens_param
        self._cache = cache if cache is not None else executor_hook.CompileCache()

    def _compute(self, *args):
        sens = None
        if self.sens_param:
            args, sens = args[:-1], args[-1]
        gp = self.grad_position
        positions = () if gp is None else tuple(range(len(args))) if gp == "all" else _as_tuple(gp)
        out, pos_grads, weight_grads = _traced_value_and_grad(self.fn, args, positions, self.weights or (),
                                                              self.has_aux, sens)
        grads = _nest(gp, pos_grads, weight_grads, self.weights is not None)
        if self.return_value:
            return out, grads
        return (grads, tuple(out[1:])) if self.has_aux else grads

    def __call__(self, *args):
        if trace.current() is not None:
            return self._compute(*args)
        name = getattr(self.fn, "__name__", type(self.fn).__name__)
        mode = getattr(self.fn, "training", None)
        # compiled outputs are Tensors only: RowTensor gradients travel packed
        out = executor_hook.run_compiled(self._cache, self._compute_packed, args, f"grad_{name}", mode)
        return row_tensor.unpack(out)

    def _compute_packed(self, *args):
        return row_tensor.pack(self._compute(*args))


def _cached(fn, *config):
    """A gradient function of ``fn`` sharing its compiled graphs with earlier ``grad(fn)`` calls of the
    same configuration (so ``grad(fn)(x)`` in a loop compiles once). The session holds those graphs
    weakly by ``fn``: when the function is garbage-collected, its compiled graphs go too."""
    key = tuple(tuple(map(id, c)) if isinstance(c, (tuple, list)) else c for c in config)
    try:
        per_fn = SESSION.grad_functions.setdefault(fn, {})
    except TypeError:  # not weak-referenceable: graphs live as long as the gradient function
        return _GradFunction(fn, *config)
    cache = per_fn.get(key)
    if cache is None:
        cache = per_fn[key] = executor_hook.CompileCache()
    return _GradFunction(fn, *config, cache=cache)


def _check_position(grad_position):
    if grad_position is None:
        return None
    for p in _as_tuple(grad_position):
        if not isinstance(p, int) or p < 0:
            raise TypeError(f"For 'grad', grad_position must be a non-negative int or a tuple of them, "
                            f"but got {grad_position!r}")
    return grad_position


def grad(fn, grad_position=0, weights=None, has_aux=False, return_ids=False):
    """Gradient function of ``fn``: d fn(*args)[0] / d args[grad_position] (and / d weights), as
    ``mindspore.grad``. For out = fn(*args), the gradient w.r.t. an input a is
    g_a = sum_i sens_i * d out_i / d a with sens_i = 1 (every output, or only the first with ``has_aux``).

    Returns the grads of the positions (a Tensor for an int or a one-element tuple, a tuple for
    several), only the weights' grads (a tuple) when ``grad_position`` is None, or
    ``(position_grads, weight_grads)`` with both. With ``has_aux=True`` fn returns ``(loss, aux...)``:
    only ``loss`` is differentiated and the result is ``(grads, (aux...))``.
    ``return_ids`` (pairing each gradient with its position or Parameter name) is not supported.
    """
    if grad_position is None and weights is None:
        raise ValueError("For 'grad', grad_position and weights cannot both be None")
    _check_return_ids(return_ids)
    return _cached(fn, _check_position(grad_position), weights, has_aux, False)


def value_and_grad(fn, grad_position=0, weights=None, has_aux=False, return_ids=False):
    """Like ``grad``, but returns ``(fn(*args), grads)``: with ``has_aux=True`` that is
    ``((loss, aux...), grads)``, the whole output of fn first (as ``mindspore.value_and_grad``)."""
    if grad_position is None and weights is None:
        raise ValueError("For 'value_and_grad', grad_position and weights cannot both be None")
    _check_return_ids(return_ids)
    return _cached(fn, _check_position(grad_position), weights, has_aux, True)


def _check_return_ids(return_ids):
    if return_ids:
        raise NotImplementedError("For 'grad', return_ids=True is not supported by minispore yet")


class GradOperation:
    """MindSpore's ``ops.GradOperation(get_all=False, get_by_list=False, sens_param=False)``.

    ``GradOperation()(net)(*inputs)`` is the gradient w.r.t. the first input; ``get_all`` gives
    all inputs; ``get_by_list`` with ``(net, weights)`` gives the weights' gradients (both flags:
    ``(input_grads, weight_grads)``); ``sens_param`` takes the output sensitivity as the last input.
    """

    def __init__(self, get_all=False, get_by_list=False, sens_param=False):
        self.get_all = bool(get_all)
        self.get_by_list = bool(get_by_list)
        self.sens_param = bool(sens_param)

    def __call__(self, fn, weights=None):
        if self.get_by_list and weights is None:
            raise TypeError("For 'GradOperation', get_by_list=True needs the weights: grad_op(net, weights)")
        position = "all" if self.get_all else (None if self.get_by_list else 0)
        return _cached(fn, position, tuple(weights) if self.get_by_list else None, False, False, self.sens_param)


__all__ = ["grad", "value_and_grad", "GradOperation"]
