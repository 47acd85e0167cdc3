"""Assign: write a value into a Parameter (optimizer updates, BatchNorm moving statistics).

Assign is a side effect: the compiled step writes in place into the Parameter's buffer, and the
node is kept even though nothing consumes it. Its output is the new value, and so is every later
read of the Parameter in the same graph (as in MindSpore).

Inside ``trace.assign_condition(cond)`` scopes (a loss-scaled step skipping its update on overflow) the
value written is ``select(cond, value, current value)``: where a condition is False the Parameter keeps
its value, with no host control flow and no recompilation. Within the scope the value then stands for
that selected value (the same numbers where the condition holds: see ``trace.assign_condition``)."""

import numpy as np

from ..graph import trace
from ..graph.parameter import Parameter
from ..graph.tensor import Tensor
from .arithmetic import cast
from .primitive_base import Primitive
from .registry import OpDef, OpKind, apply, as_tensor, register
from .shape_base import reshape


def _infer(specs):
    p, v = specs
    if p.shape != v.shape:
        raise ValueError(f"the value shape {list(v.shape)} must equal the Parameter shape {list(p.shape)}")
    return p.shape, p.dtype


def _reference(p, v):
    np.copyto(p, v, casting="unsafe")
    return p


# The kernel writes into input 0 (the Parameter's buffer) and the node's value aliases it.
register(OpDef("Assign", infer=_infer, reference=_reference, nondiff=True, impure=True, writes=(0,), alias=0))


def assign(variable, value):
    """variable = value, for a Parameter ``variable``; returns the new value."""
    if not isinstance(variable, Parameter):
        raise TypeError(f"For 'Assign', the variable must be a Parameter, but got {type(variable).__name__}")
    value = as_tensor(value, variable.dtype.np)
    if value.dtype != variable.dtype:
        value = cast(value, variable.dtype)
    tracer = trace.current()
    if tracer is not None and tracer.assign_conditions:
        kept = _conditional(tracer, variable, value)
        tracer.conditional_store(value, kept)  # in the scope, the value stands for what the Parameter holds
        value = kept
    out = apply("Assign", variable, value)
    if tracer is not None:
        tracer.graph.effects.append(out._node)
        tracer.assigned[id(variable)] = value._graph_node()  # later reads of the Parameter see the new value
    return out


def _conditional(tracer, variable, value):
    """``value`` where every enclosing assign condition holds, else the Parameter's current value."""
    conds = tracer.assign_conditions
    cond = conds[0]
    for c in conds[1:]:
        cond = apply("LogicalAnd", cond, c)
    if cond.shape != ():
        cond = reshape(cond, ())
    # the current value as a plain tracer Tensor: no Parameter cast applies to the value kept
    current = Tensor._from_node(tracer.param_value(variable))
    return apply("Select", cond, value, current)


def depend(value, expr):
    """Return ``value``; in MindSpore this orders ``expr`` first. Effects here always run in
    program order, so nothing more is needed."""
    return value


# StopGradient: out = x, d out / d x = 0. A view of its input (no kernel runs); autodiff stops at it.
register(OpDef("StopGradient", infer=lambda specs: (specs[0].shape, specs[0].dtype), reference=lambda x: x.copy(),
               nondiff=True, kind=OpKind.VIEW))


def stop_gradient(value):
    """``ops.stop_gradient(value)``: the same values, through which no gradient flows
    (d stop_gradient(x) / d x = 0). Tuples and lists are handled element by element."""
    if isinstance(value, (tuple, list)):
        return type(value)(stop_gradient(v) for v in value)
    if not isinstance(value, Tensor):
        return value
    return apply("StopGradient", value)


__all__ = ["assign", "depend", "stop_gradient"]


class ApplyMomentum(Primitive):
    """``ApplyMomentum(use_locking=False, use_nesterov=False, gradient_scale=1.0)(variable, accumulation,
    learning_rate, gradient, momentum)``: accumulation = accumulation * momentum + gradient, then
    variable -= learning_rate * accumulation (use_nesterov: variable -= learning_rate * (gradient +
    momentum * accumulation)); both Parameters are written in place. Returns the new variable."""

    def __init__(self, use_locking=False, use_nesterov=False, gradient_scale=1.0):
        super().__init__()
        if not isinstance(use_nesterov, bool):
            raise TypeError(f"For 'ApplyMomentum', use_nesterov must be a bool, but got {type(use_nesterov).__name__}")
        self.use_nesterov = use_nesterov
        self.gradient_scale = float(gradient_scale)

    def __call__(self, variable, accumulation, learning_rate, gradient, momentum):
        for name, p in (("variable", variable), ("accumulation", accumulation)):
            if not isinstance(p, Parameter):
                raise TypeError(f"For 'ApplyMomentum', {name} must be a Parameter, but got {type(p).__name__}")
        if self.gradient_scale != 1.0:
            gradient = gradient * self.gradient_scale
        accum = accumulation * momentum + gradient
        assign(accumulation, accum)
        step = gradient + accum * momentum if self.use_nesterov else accum
        return assign(variable, variable - step * learning_rate)


__primitives__ = [ApplyMomentum]
