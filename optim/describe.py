"""``optimizer.describe()``: a readable table of what an optimizer will do to each parameter.

One row per parameter, in the optimizer's order (``order_params`` respected):
  parameter name, shape, group index,
  learning rate at the current ``global_step``: the fixed value, ``list[n] at step k -> value`` for a
    dynamic list, or ``<Schedule> at step k -> value`` for a LearningRateSchedule (evaluated now),
  weight decay and whether it is applied to that parameter (its ``ParamSpec``'s ``decay``:
    ungrouped, MindSpore skips names containing 'beta' or 'gamma'; grouped, every parameter of a
    group with weight_decay > 0),
  gradient centralization (applied only to parameters with ndim > 1 and shape[1] % 16 == 0),
  state slots: the optimizer-state Parameters of that parameter, found generically as the entries
    of every ParameterTuple attribute named '<prefix><param name>' (MindSpore's ``clone(prefix)``
    gives 'moments.fc.weight'; a few optimizers use 'mu_fc.weight').
The header names the class, ``global_step`` and ``loss_scale``; a second line lists the
optimizer-wide Parameters (learning rates, step counters, beta powers...).

What differs between optimizers comes from hooks on the optimizer, so this module knows no
optimizer class: ``_lr_text(text, step)`` (AdaFactor's relative step), ``_describe_decay(spec)``
(AdaFactor's own decay, LARS's filter), ``_inner_optimizers()`` (LARS's wrapped optimizer) and the
``grad_transforms`` list (centralization or the loss-scale division left out of it).

The result is a ``str`` (print it) whose ``rows`` attribute holds the same facts as dicts.
"""

import numpy as np

from ..graph.parameter import Parameter, ParameterTuple
from ..graph.tensor import Tensor
from .transforms import CENTRALIZE, UNSCALE


class OptimizerDescription(str):
    """The table as a ``str``; ``header`` (str) and ``rows`` (list of dicts) give the facts.

    Row keys: name, shape, group, lr (the learning-rate text), weight_decay (the configured value),
    decay_applied (bool), grad_centralization (bool: applied to this parameter), state (tuple of names).
    """

    def __new__(cls, text, header, rows):
        obj = super().__new__(cls, text)
        obj.header = header
        obj.rows = rows
        return obj


def format_float(value):
    """A float32 value as MindSpore prints it (shortest float32 repr: 0.1, not 0.10000000149)."""
    return str(np.float32(value))


def _step_of(opt):
    return int(np.asarray(opt.global_step.asnumpy()).reshape(-1)[0])


def _lr_text(lr, step):
    """The learning rate one group uses at ``step`` (a ``GroupLR``, optim/param_groups.py)."""
    if lr.kind == "fixed":
        value = np.float32(lr.param.asnumpy())
        if not lr.as_cell:
            return format_float(value)
        # Among dynamic group rates MindSpore computes a fixed rate as lr + 1.0 - 1.0 in float32.
        used = (value + np.float32(1.0)) - np.float32(1.0)
        return format_float(value) if used == value else f"{format_float(value)} (used: {format_float(used)})"
    if lr.kind == "list":
        values = lr.param.asnumpy()
        at = format_float(values[step]) if step < values.shape[0] else "out of range (the step fails)"
        return f"list[{values.shape[0]}] at step {step} -> {at}"
    value = lr.schedule(Tensor(np.array([step], np.int32))).asnumpy()
    return f"{type(lr.schedule).__name__} at step {step} -> {format_float(np.reshape(value, -1)[0])}"


def _state_slots(opt, params):
    """{param index: [state names]} from every ParameterTuple attribute named '<prefix><param name>'."""
    slots = [[] for _ in params]

    def scan(obj):
        for value in vars(obj).values():
            if isinstance(value, ParameterTuple) and value is not obj.parameters:
                _match(value)
        for inner in obj._inner_optimizers():
            scan(inner)  # LARS keeps the state in the optimizer it wraps

    def _match(tup):
        if len(tup) != len(params) or not params:
            return
        first, name0 = tup[0].name, params[0].name
        prefix = first[:-len(name0)] if first.endswith(name0) else ""
        if not prefix or prefix[-1] not in "._":
            return
        if all(s.name == prefix + p.name for s, p in zip(tup, params)):
            for i, s in enumerate(tup):
                slots[i].append(s.name)

    scan(opt)
    return slots


def _shared_state(opt):
    """Names of the optimizer-wide Parameters (not per-parameter), a wrapped optimizer's included."""
    names, seen = [], set()
    for _, cell in opt.cells_and_names():
        for p in cell._params.values():
            if isinstance(p, Parameter) and id(p) not in seen:
                seen.add(id(p))
                names.append(p.name)
    return names


def _gc_row(opt, spec):
    """(applied?, reason when requested but not applied) of one parameter."""
    if not spec.grad_centralization:
        return False, ""
    if CENTRALIZE not in opt.grad_transforms:
        return False, f"ignored by {type(opt).__name__}"  # it skips the shared gradient pipeline
    if len(spec.param.shape) <= 1:
        return False, "1-D"
    if spec.param.shape[1] % 16:
        return False, "shape[1]%16!=0"
    return True, ""


def _header(opt, step):
    name = type(opt).__name__
    inner = opt._inner_optimizers()
    if inner:
        name += "(" + ", ".join(type(o).__name__ for o in inner) + ")"
    scale = f"loss_scale={opt.loss_scale}"
    if UNSCALE not in opt.grad_transforms and opt.loss_scale != 1.0:
        scale += " (accepted; gradients are not divided by it)"
    groups = f", {len(opt.groups)} groups" if opt.is_group else ""
    return f"{name}: global_step={step}, {scale}, {len(opt.parameters)} parameters{groups}"


def _table(columns, lines):
    widths = [max(len(c), *(len(row[k]) for row in lines)) for k, c in enumerate(columns)]
    fmt = "  ".join(f"{{:<{w}}}" for w in widths)
    out = [fmt.format(*columns).rstrip(), fmt.format(*("-" * w for w in widths))]
    out += [fmt.format(*row).rstrip() for row in lines]
    return out


def describe(opt):
    """The per-parameter table of ``opt`` (an ``OptimizerDescription``, a str)."""
    step = _step_of(opt)
    params = list(opt.parameters)
    lr_texts = [_lr_text(lr, step) for lr in opt._lrs]
    slots = _state_slots(opt, params)
    rows, lines = [], []
    for i, (p, spec) in enumerate(zip(params, opt.specs)):
        lr_text = opt._lr_text(lr_texts[spec.group], step)
        wd, applied, wd_reason = opt._describe_decay(spec)
        gc, gc_reason = _gc_row(opt, spec)
        rows.append({"name": p.name, "shape": tuple(p.shape), "group": spec.group, "lr": lr_text,
                     "weight_decay": wd, "decay_applied": applied, "grad_centralization": gc,
                     "state": tuple(slots[i])})
        lines.append((p.name, str(tuple(p.shape)), str(spec.group), lr_text, repr(wd),
                      "yes" if applied else (f"no ({wd_reason})" if wd_reason else "no"),
                      "yes" if gc else (f"no ({gc_reason})" if gc_reason else "no"),
                      ", ".join(slots[i]) or "-"))
    header = _header(opt, step)
    shared = _shared_state(opt)
    text = [header, "optimizer-wide Parameters: " + (", ".join(shared) or "-")]
    text += _table(("parameter", "shape", "group", "learning rate", "weight decay", "decay applied",
                    "grad centralization", "state"), lines)
    return OptimizerDescription("\n".join(text), header, rows)
