"""MindSpore's ``params`` argument, resolved ONCE into one ``ParamSpec`` per parameter.

``params`` is a list of Parameters, or a list of group dicts with ``params``, ``lr``,
``weight_decay``, ``grad_centralization`` and an optional ``order_params`` group. ``resolve`` checks
it (MindSpore's errors and messages), builds each group's learning rate (a ``GroupLR``: a fixed
value, a dynamic list or a LearningRateSchedule) and applies MindSpore's decay rules:

* without groups, weight decay skips parameters whose name contains 'beta' or 'gamma' (unless the
  optimizer has no such filter, as FTRL);
* with groups, a group's weight decay applies to every parameter of the group;
* a weight-decay Cell scales the parameters that take the optimizer's default weight decay (not a
  group's own value).

Everything the optimizer pipeline, ``get_lr`` and ``describe()`` need about a parameter is then
read from its ``ParamSpec``.
"""

import numbers
from collections.abc import Iterable
from dataclasses import dataclass

import numpy as np

from .. import ops
from ..graph import dtype as mstype
from ..graph.parameter import Parameter
from ..graph.tensor import Tensor
from .learning_rate_schedule import LearningRateSchedule
from .validate import check_bool, check_float

GROUP_KEYS = {"params", "lr", "weight_decay", "grad_centralization"}


def _plain_lr(lr, cls_name):
    """A learning_rate that is not a schedule, as a Python number or a list of numbers.

    As MindSpore: an int or float; a Tensor (0-d: fixed, 1-D: one value per step); any other iterable
    of numbers (list, tuple, numpy array, range) is a dynamic rate. Bools (a number only by accident
    of Python), strings, None and non-numeric elements are refused with a TypeError naming them."""
    if isinstance(lr, Tensor) and not isinstance(lr, Parameter):
        lr = lr.asnumpy()
    if isinstance(lr, np.ndarray):
        lr = lr.item() if lr.ndim == 0 else lr.tolist()
    if isinstance(lr, numbers.Real) and not isinstance(lr, bool):
        return lr
    if isinstance(lr, Iterable) and not isinstance(lr, (str, bytes, dict, Parameter)):
        lr = list(lr)
        for i, v in enumerate(lr):
            if isinstance(v, (list, tuple, np.ndarray, Tensor)):  # MindSpore: a rate Tensor must be 0-D or 1-D
                raise ValueError(f"For '{cls_name}', a dynamic learning_rate must be 1-D, but element {i} is a "
                                 f"{type(v).__name__}")
            if isinstance(v, bool) or not isinstance(v, numbers.Real):
                raise TypeError(f"For '{cls_name}', every element of a dynamic learning_rate must be a number, "
                                f"but got {type(v).__name__} at index {i}")
        return lr
    raise TypeError(f"For '{cls_name}', learning_rate must be a float, a list of floats, a 1-D Tensor "
                    f"or a LearningRateSchedule, but got {type(lr).__name__}")


class GroupLR:
    """One group's learning rate: ``kind`` 'fixed' (scalar Parameter), 'list' (1-D Parameter gathered
    at global_step) or 'schedule' (a LearningRateSchedule cell)."""

    def __init__(self, lr, name, cls_name):
        self.schedule = None
        self.as_cell = False  # a fixed group lr among dynamic ones (MindSpore's _ConvertToCell)
        if isinstance(lr, LearningRateSchedule):
            self.kind, self.schedule, self.param = "schedule", lr, None
            return
        if isinstance(lr, Parameter) and lr.shape == () and lr.dtype == mstype.float32:
            # a 0-d float32 Parameter is the rate itself (experimental optimizers' group 'lr', which
            # their LR schedulers change between steps: the compiled step reads it, never recompiles)
            self.kind, self.param = "fixed", lr
            return
        lr = _plain_lr(lr, cls_name)
        if isinstance(lr, numbers.Real):
            if not lr >= 0 or lr == float("inf"):  # (also NaN: every comparison with it is False)
                raise ValueError(f"For '{cls_name}', learning_rate must be a finite number >= 0, but got {lr}")
            self.kind = "fixed"
            self.param = Parameter(Tensor(np.float32(lr)), name=name)
        else:
            values = np.asarray(lr, dtype=np.float64)
            if values.size == 0:
                raise ValueError(f"For '{cls_name}', a dynamic learning_rate must be a non-empty 1-D list")
            if not np.isfinite(values).all() or (values < 0).any():
                raise ValueError(f"For '{cls_name}', every value of a dynamic learning_rate must be a finite "
                                 f"number >= 0, but got "
                                 f"{values[~(np.isfinite(values) & (values >= 0))][:3].tolist()}")
            self.kind = "list"
            self.param = Parameter(Tensor(values.astype(np.float32)), name=name)

    @property
    def source(self):
        """What the user reads back (``get_lr_parameter``): the Parameter, or the schedule cell."""
        return self.param if self.param is not None else self.schedule

    @property
    def length(self):
        return self.param.shape[0] if self.kind == "list" else None

    def at(self, step):
        """The learning rate Tensor at ``step`` (int32 Tensor of shape (1,))."""
        if self.kind == "fixed":
            # MindSpore wraps such an lr in a cell returning lr + 1.0 - 1.0 (float32 rounding kept)
            return self.param + 1.0 - 1.0 if self.as_cell else self.param
        if self.kind == "list":
            return ops.gather(self.param, ops.reshape(step, ()), 0)
        return ops.reshape(self.schedule(step), ())


class ParamGroup:
    """One parsed group (without groups: one implicit group holding every parameter)."""

    def __init__(self, index, params, lr, weight_decay, grad_centralization, explicit, own_weight_decay=False):
        self.index = index
        self.own_weight_decay = own_weight_decay  # the group set weight_decay itself
        self.params = params
        self.lr = lr
        self.weight_decay = weight_decay
        self.grad_centralization = grad_centralization
        self.explicit = explicit  # True when the user passed groups (no beta/gamma decay filter)


@dataclass(frozen=True, eq=False)
class ParamSpec:
    """What the optimizer does to one parameter, resolved once from the groups."""

    param: Parameter
    index: int  # position in ``optimizer.parameters``
    group: int  # index of its group (0 without groups)
    lr: GroupLR  # its group's learning rate
    weight_decay: float  # the configured value (its group's, else the optimizer's)
    decay: bool  # weight decay applies: weight_decay > 0 and not skipped by the beta/gamma filter
    decay_schedule: bool  # the weight-decay Cell's value scales it (the group did not set its own)
    grad_centralization: bool  # requested by its group (applied when ndim > 1, shape[1] % 16 == 0)

    @property
    def applied_decay(self):
        """The weight decay used for this parameter as a float (0.0 where it does not apply)."""
        return self.weight_decay if self.decay else 0.0


@dataclass(frozen=True)
class Resolved:
    """``resolve``'s answer: the ordered params, the groups, each group's GroupLR and one spec each."""

    params: list
    groups: list
    lrs: list
    is_group_lr: bool
    specs: tuple


def _check_params(params, where):
    params = list(params)
    for p in params:
        if not isinstance(p, Parameter):
            raise TypeError(f"For 'Optimizer', {where} must contain only Parameters, but got {type(p).__name__}")
    return params


def _parse_group(g, index, learning_rate, weight_decay, cls_name, allowed_keys):
    unknown = set(g) - set(allowed_keys)
    if unknown:
        raise ValueError(f"For '{cls_name}', unknown key(s) {sorted(unknown)} in a parameter group; "
                         f"allowed keys: {sorted(allowed_keys)}")
    if "params" not in g:
        raise ValueError(f"For '{cls_name}', every parameter group needs a 'params' key")
    params = _check_params(g["params"], "a group's 'params'")
    if not params:
        raise ValueError(f"For '{cls_name}', a parameter group's 'params' can not be empty")
    return ParamGroup(index, params, g.get("lr", learning_rate), g.get("weight_decay", weight_decay),
                      check_bool(cls_name, "grad_centralization", g.get("grad_centralization", False)), explicit=True,
                      own_weight_decay="weight_decay" in g)


def _ordered(groups, order, cls_name):
    """(params in the optimizer's order, group index per param): the groups' order or order_params."""
    seen = {}
    for grp in groups:
        for p in grp.params:
            if id(p) in seen:
                raise ValueError(f"For '{cls_name}', Parameter '{p.name}' appears in more than one group")
            seen[id(p)] = grp.index
    if order is None:
        params = [p for grp in groups for p in grp.params]
    else:
        missing = [p.name for p in order if id(p) not in seen]
        if missing:
            raise ValueError(f"For '{cls_name}', 'order_params' names parameters not in any group: {missing}")
        if len(order) != len(seen):
            raise ValueError(f"For '{cls_name}', 'order_params' must list every grouped parameter once "
                             f"({len(order)} given, {len(seen)} grouped)")
        params = order
    return params, [seen[id(p)] for p in params]


def parse_groups(parameters, learning_rate, weight_decay, cls_name, allowed_keys=GROUP_KEYS):
    """Return (ordered params, list of ParamGroup, group index per param)."""
    if parameters is None:
        raise ValueError(f"For '{cls_name}', the argument 'params' can not be None")
    if not isinstance(parameters, Iterable) or isinstance(parameters, (str, Tensor, dict)):
        raise TypeError(f"For '{cls_name}', the argument 'params' must be a list of Parameters or of group dicts, "
                        f"but got {type(parameters).__name__}")
    parameters = list(parameters)
    if not parameters:
        raise ValueError(f"For '{cls_name}', the argument 'params' can not be empty")
    if not isinstance(parameters[0], dict):
        params = _check_params(parameters, "'params'")
        return params, [ParamGroup(0, params, learning_rate, weight_decay, False, explicit=False)], [0] * len(params)
    groups, order = [], None
    for g in parameters:
        if not isinstance(g, dict):
            raise TypeError(f"For '{cls_name}', when 'params' holds groups every element must be a dict, "
                            f"but got {type(g).__name__}")
        if "order_params" in g:
            if set(g) != {"order_params"}:
                raise ValueError(f"For '{cls_name}', the 'order_params' group must hold only 'order_params'")
            order = _check_params(g["order_params"], "'order_params'")
            continue
        groups.append(_parse_group(g, len(groups), learning_rate, weight_decay, cls_name, allowed_keys))
    params, group_of = _ordered(groups, order, cls_name)
    return params, groups, group_of


def group_lrs(groups, cls_name):
    """(one GroupLR per group, is_group_lr). Without group rates every group shares one GroupLR named
    'learning_rate'; with them each is 'learning_rate_group_<i>', and among dynamic ones a fixed rate
    is computed as MindSpore's cell computes it (``as_cell``)."""
    values = [g.lr for g in groups]
    is_group_lr = groups[0].explicit and any(lr is not values[0] for lr in values[1:])
    if not is_group_lr:
        return [GroupLR(values[0], "learning_rate", cls_name)] * len(groups), False
    lrs = [GroupLR(lr, f"learning_rate_group_{i}", cls_name) for i, lr in enumerate(values)]
    lengths = {lr.length for lr in lrs if lr.kind == "list"}
    if len(lengths) > 1:  # every group's step i must exist: MindSpore refuses lists of different sizes
        raise ValueError(f"For '{cls_name}', the dynamic learning_rate lists of the groups must all have the "
                         f"same size, but got sizes {sorted(lengths)}")
    if any(lr.kind != "fixed" for lr in lrs):
        for lr in lrs:
            lr.as_cell = lr.kind == "fixed"
    return lrs, True


def resolve(parameters, learning_rate, weight_decay, cls_name, allowed_keys=GROUP_KEYS, name_filter=True,
            decay_schedule=False):
    """Groups -> one ParamSpec per parameter (a ``Resolved``). ``name_filter``: the optimizer skips
    'beta'/'gamma' parameters without groups; ``decay_schedule``: weight decay is a Cell's value."""
    params, groups, group_of = parse_groups(parameters, learning_rate, weight_decay, cls_name, allowed_keys)
    lrs, is_group_lr = group_lrs(groups, cls_name)
    for g in groups:
        check_float(cls_name, "weight_decay", g.weight_decay, lo=0.0, ints=True, relational=True)
    specs = []
    for i, (p, gi) in enumerate(zip(params, group_of)):
        g = groups[gi]
        wd = float(g.weight_decay)
        filtered = name_filter and not g.explicit and ("beta" in p.name or "gamma" in p.name)
        specs.append(ParamSpec(p, i, gi, lrs[gi], wd, wd > 0.0 and not filtered,
                               decay_schedule and not g.own_weight_decay, g.grad_centralization))
    return Resolved(params, groups, lrs, is_group_lr, tuple(specs))
