"""``Optimizer``: the base of MindSpore's PyTorch-style optimizers (``mindspore.experimental.optim``).

It is the same in-graph pipeline as ``minispore.nn`` optimizers (optim/optimizer.py), with PyTorch's
way of holding options: ``param_groups`` is a list of dicts, each with its ``params`` and every key of
``defaults`` (a group may set its own), and ``add_param_group`` appends one.

Each group's ``lr`` is a 0-d float32 Parameter (``learning_rate_group_<i>``, also in ``self.lrs``):
the compiled step reads it as graph state, so an LR scheduler (``lr_scheduler``) changes it between
steps without recompiling. The other options (betas, eps, momentum, ...) are constants of the compiled
step; changing one in ``param_groups`` recompiles on the next call (detected, not silently ignored).

Per step, inside the graph: the gradient transforms (``maximize``: g = -g, then L2 weight decay
g = g + wd * w for Adam and SGD; AdamW decays the weights itself), then the subclass's rule per
parameter with its group's options (``self.group_of_param(i)``).
"""

from collections import defaultdict
from collections.abc import Iterable

import numpy as np

from ... import optim as _optim
from ...graph.parameter import Parameter, ParameterTuple
from ...graph.tensor import Tensor
from ...optim import transforms

_RUNTIME_KEYS = {"params", "lr", "initial_lr"}  # group keys the compiled step does not bake in


def _check_params(parameters, what):
    if parameters is None:
        raise ValueError(f"For 'Optimizer', the argument {what} can not be None.")
    if not isinstance(parameters, Iterable) or isinstance(parameters, (str, Tensor)):
        raise TypeError(f"For 'Optimizer', the argument {what} must be Iterable type, but got {type(parameters)}.")
    parameters = list(parameters)
    if not parameters:
        raise ValueError(f"For 'Optimizer', the argument {what} must not be empty.")
    return parameters


def _group_lr(lr, name):
    """A group's learning rate as a 0-d float32 Parameter (MindSpore's ``_build_single_lr``)."""
    if isinstance(lr, Parameter) and lr.shape == () and lr.dtype.np == np.float32:
        return lr  # already a group's rate (add_param_group after a rebuild)
    if isinstance(lr, bool) or not isinstance(lr, (int, float, Tensor)):
        raise TypeError("For 'Optimizer', the argument 'learning_rate' must be int, float or Tensor, "
                        f"but got {type(lr)}.")
    if isinstance(lr, Tensor):
        if lr.ndim != 0:
            raise ValueError("For 'Optimizer', if 'learning_rate' is a Tensor, then it should be scalar Tensor")
        lr = float(lr.asnumpy())
    if not lr >= 0.0 or lr == float("inf"):
        raise ValueError(f"For 'Optimizer', the 'learning rate' must be a finite float >= 0, but got {lr}.")
    return Parameter(Tensor(np.float32(lr)), name=name, requires_grad=False)


def _weight_decay(value):
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise TypeError(f"For 'Optimizer', the argument 'Weight_decay' must be int or float.but got {type(value)}")
    if not value >= 0.0:
        raise ValueError(f"For 'Optimizer', the 'weight_decay' must be >= 0, but got {value}.")
    return float(value)


class Optimizer(_optim.Optimizer):
    """``Optimizer(params, defaults)``: ``params`` a list of Parameters or of group dicts; ``defaults`` the
    options a group takes when it does not set them. Subclasses implement ``_apply(i, param, grad, lr)``
    and name their per-parameter state in ``_state_slots`` ({attribute: (prefix, init)})."""

    grad_transforms = (transforms.MAXIMIZE, transforms.WEIGHT_DECAY)
    _beta_gamma_filter = False  # PyTorch decays every parameter of a group
    _state_slots = {}

    def __init__(self, params, defaults):
        groups = _check_params(params, "params")
        if not isinstance(groups[0], dict):
            groups = [{"params": groups}]
        self.__dict__["_pending"] = (dict(defaults), [])  # Cell attributes exist only after Cell.__init__
        for g in groups:
            self._prepare_group(g)
        defaults, groups = self.__dict__.pop("_pending")
        super().__init__(groups[0]["lr"], self._base_groups(groups))
        self.defaults = defaults
        self.param_groups = groups
        self.lrs = [g["lr"] for g in groups]
        self.state = defaultdict(dict)
        self._hyper_key = None
        self._sync_groups()

    # ---- groups --------------------------------------------------------------------------
    def _groups(self):
        pending = self.__dict__.get("_pending")
        return pending if pending is not None else (self.defaults, self.param_groups)

    def _prepare_group(self, group):
        """Check ``group`` and fill it in (defaults, lr Parameter, weight decay) as MindSpore does."""
        defaults, groups = self._groups()
        if not isinstance(group, dict):
            raise TypeError("Param group must be a dict.")
        params = group["params"]
        if isinstance(params, Parameter):
            params = [params]
        elif isinstance(params, set):
            raise TypeError("Optimizer parameters need to be organized in ordered collections, but the ordering "
                            "of tensors in sets will change between runs. Please use a list instead.")
        group["params"] = list(params)
        for p in group["params"]:
            if not isinstance(p, Parameter):
                raise TypeError(f"Optimizer can only optimize Parameters, but one of the params is {type(p)}")
        seen = {id(p) for g in groups for p in g["params"]}
        if any(id(p) in seen for p in group["params"]):
            raise ValueError("some parameters appear in more than one parameter group.")
        for name, default in defaults.items():
            group.setdefault(name, default)
        group["lr"] = _group_lr(group.get("lr"), f"learning_rate_group_{len(groups)}")
        group["weight_decay"] = _weight_decay(group.get("weight_decay", 0.0))
        groups.append(group)

    @staticmethod
    def _base_groups(groups):
        """The groups in the form the shared pipeline resolves (optim/param_groups.py)."""
        return [{"params": g["params"], "lr": g["lr"], "weight_decay": g["weight_decay"]} for g in groups]

    def add_param_group(self, param_group):
        """Append a group (its missing options from ``defaults``); its parameters get fresh state and
        the next step compiles for the new parameter list."""
        self._prepare_group(param_group)
        old = len(self.parameters)
        self._set_params(self._base_groups(self.param_groups), self.param_groups[0]["lr"], 0.0)
        self.lrs.append(param_group["lr"])
        self._extend_state(self.parameters[old:])
        self._sync_groups()

    def _sync_groups(self):
        # where each group's parameters start in ``parameters`` (MindSpore's group_start_id)
        starts = [0]
        for g in self.param_groups:
            starts.append(starts[-1] + len(g["params"]))
        self.group_start_id = starts

    def _extend_state(self, new_params):
        for attr, (prefix, init) in self._state_slots.items():
            fresh = ParameterTuple(new_params).clone(prefix=prefix, init=init)
            setattr(self, attr, ParameterTuple(tuple(getattr(self, attr)) + tuple(fresh)))

    def _make_state(self):
        for attr, (prefix, init) in self._state_slots.items():
            setattr(self, attr, self._state(prefix, init))

    def group_of_param(self, index):
        """The ``param_groups`` dict of parameter ``index``."""
        return self.param_groups[self.specs[index].group]

    def hyper(self, spec, key, default):
        return self.param_groups[spec.group].get(key, default)

    # ---- running -------------------------------------------------------------------------
    def _options_key(self):
        return tuple(tuple(sorted((k, repr(v)) for k, v in g.items() if k not in _RUNTIME_KEYS))
                     for g in self.param_groups)

    def __call__(self, gradients):
        key = self._options_key()
        if key != self._hyper_key:  # options are constants of the compiled step: a change recompiles
            if self._hyper_key is not None:
                self._compile_cache.entries.clear()
            self._hyper_key = key
        return super().__call__(gradients)

    def __repr__(self):
        text = type(self).__name__ + " ("
        for i, group in enumerate(self.param_groups):
            text += f"\nParameter Group {i}\n"
            for key in sorted(group):
                if key != "params":
                    value = group[key].asnumpy() if key == "lr" else group[key]
                    text += f"    {key}: {value}\n"
        return text + ")"
