"""The ``Optimizer`` base: the one pipeline every optimizer shares.

Per step, inside the training graph:
  1. weight decay: g = g + weight_decay * loss_scale * w  (ungrouped: only parameters whose name
     has neither 'beta' nor 'gamma'; grouped: every parameter of a group with weight_decay > 0),
  2. gradient centralization (groups with grad_centralization, parameters with ndim > 1):
     g = g - mean(g over all axes but 0),
  3. loss-scale division: g = g / loss_scale,
  4. learning rate at ``global_step`` (fixed value, dynamic list gathered at the step, or a
     LearningRateSchedule traced into the graph), then ``global_step += 1``,
  5. the subclass's per-parameter rule ``_apply(i, param, grad, lr)``, which emits Assigns.
The learning rate and the step counter are Parameters (graph state), so changing them never
recompiles.

Row-sparse gradients (``RowTensor``, from ``nn.Embedding``) go to the subclass's
``_apply_sparse(i, param, grad, lr)`` after steps 1-3 are applied to their rows only (as MindSpore:
weight decay adds ``wd * loss_scale * w[indices]`` to each row, once per occurrence of an index).
An optimizer without a sparse rule densifies them on entry and follows its dense rule.
"""

import numbers

import numpy as np

from .. import ops
from ..graph import dtype as mstype
from ..graph import executor_hook, trace
from ..graph.cell import Cell
from ..graph.tensor import Parameter, ParameterTuple, Tensor
from ..ops import row_tensor
from .param_groups import GROUP_KEYS, parse_groups


def _is_schedule(lr):
    from .learning_rate_schedule import LearningRateSchedule

    return isinstance(lr, LearningRateSchedule)


class _LearningRate:
    """One group's learning rate: 'fixed' (scalar Parameter), 'list' (1-D Parameter gathered at
    global_step) or 'schedule' (a LearningRateSchedule cell)."""

    def __init__(self, lr, name, cls_name):
        self.schedule = None
        self.as_cell = False  # a fixed group lr among dynamic ones (MindSpore's _ConvertToCell)
        if _is_schedule(lr):
            self.kind, self.schedule, self.param = "schedule", lr, None
            return
        if isinstance(lr, Tensor) and not isinstance(lr, Parameter):
            lr = lr.asnumpy()
            lr = lr.item() if lr.ndim == 0 else lr.tolist()
        if isinstance(lr, bool) or not isinstance(lr, (numbers.Real, list, tuple)):
            raise TypeError(f"For '{cls_name}', learning_rate must be a float, a list of floats, a 1-D Tensor "
                            f"or a LearningRateSchedule, but got {type(lr).__name__}")
        if isinstance(lr, numbers.Real):
            if lr < 0:
                raise ValueError(f"For '{cls_name}', learning_rate must be >= 0, but got {lr}")
            self.kind = "fixed"
            self.param = Parameter(Tensor(np.float32(lr)), name=name)
        else:
            values = np.asarray(lr, dtype=np.float64)
            if values.ndim != 1 or values.size == 0:
                raise ValueError(f"For '{cls_name}', a dynamic learning_rate must be a non-empty 1-D list")
            if (values < 0).any():
                raise ValueError(f"For '{cls_name}', learning rates must be >= 0")
            self.kind = "list"
            self.param = Parameter(Tensor(values.astype(np.float32)), name=name)

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


class Optimizer(Cell):
    """Base class of optimizers: ``Optimizer(learning_rate, parameters, weight_decay=0.0, loss_scale=1.0)``.

    Calling an optimizer on a tuple of gradients (in the order of ``self.parameters``) applies one
    step. Subclasses implement ``_apply(index, param, grad, lr)``.
    """

    _group_keys = GROUP_KEYS
    _has_loss_scale = True
    # Whether ``weight_decay`` may be a Cell computing it from global_step (optimizers whose decay is
    # applied through ``decay_at``); the others take only a float.
    _dynamic_weight_decay = True

    def __init__(self, learning_rate, parameters, weight_decay=0.0, loss_scale=1.0):
        super().__init__(auto_prefix=False)
        cls = type(self).__name__
        self.weight_decay_schedule = None
        if isinstance(weight_decay, Cell):
            if not self._dynamic_weight_decay:
                raise TypeError(f"For '{cls}', weight_decay must be a float; a weight-decay Cell is not "
                                f"supported by {cls}")
            self.weight_decay_schedule = weight_decay
            weight_decay = 1.0  # a multiplier of the schedule's value, per parameter below
        self._check_number(weight_decay, "weight_decay", lo=0.0)
        self._check_number(loss_scale, "loss_scale", lo=0.0, strict=True)
        params, groups, group_of = parse_groups(parameters, learning_rate, weight_decay, cls, self._group_keys)
        self.parameters = ParameterTuple(params)
        self.groups = groups
        self.group_of = group_of
        self.loss_scale = float(loss_scale)
        self.is_group = groups[0].explicit
        self.global_step = Parameter(Tensor(np.zeros(1, np.int32)), name="global_step", requires_grad=False)
        group_lrs = [g.lr for g in groups]
        self.is_group_lr = self.is_group and any(lr is not group_lrs[0] for lr in group_lrs[1:])
        if self.is_group_lr:
            self._lrs = [_LearningRate(lr, f"learning_rate_group_{i}", cls) for i, lr in enumerate(group_lrs)]
            for i, lr in enumerate(self._lrs):
                if lr.param is not None:
                    setattr(self, f"learning_rate_group_{i}", lr.param)
                else:
                    setattr(self, f"learning_rate_schedule_{i}", lr.schedule)
        else:
            self._lrs = [_LearningRate(group_lrs[0], "learning_rate", cls)] * len(groups)
        single = self._lrs[0]
        self.dynamic_lr = any(lr.kind != "fixed" for lr in self._lrs)
        if self.is_group_lr and self.dynamic_lr:
            for lr in self._lrs:
                lr.as_cell = lr.kind == "fixed"
        if not self.is_group_lr:
            if single.param is not None:
                self.learning_rate = single.param
            else:
                self.learning_rate = single.schedule
        for g in groups:
            self._check_number(g.weight_decay, "weight_decay", lo=0.0)
        self.decay = []
        for p, gi in zip(params, group_of):
            wd = float(groups[gi].weight_decay)
            if not groups[gi].explicit and ("beta" in p.name or "gamma" in p.name):
                wd = 0.0
            self.decay.append(wd)
        self.grad_centralization = [groups[gi].grad_centralization for gi in group_of]
        # Which parameters take the schedule's decay (the default weight_decay, not a group's own value).
        self._decay_dynamic = [self.weight_decay_schedule is not None and not groups[gi].own_weight_decay
                               for gi in group_of]
        self._wd_now = None

    # ---- validation helpers ---------------------------------------------------------------
    def _check_number(self, value, name, lo=None, hi=None, strict=False, hi_strict=False):
        cls = type(self).__name__
        if isinstance(value, bool) or not isinstance(value, numbers.Real):
            raise TypeError(f"For '{cls}', the type of '{name}' must be float, but got {type(value).__name__}")
        if lo is not None and (value < lo or (strict and value == lo)):
            raise ValueError(f"For '{cls}', '{name}' must be {'>' if strict else '>='} {lo}, but got {value}")
        if hi is not None and (value > hi or (hi_strict and value == hi)):
            raise ValueError(f"For '{cls}', '{name}' must be {'<' if hi_strict else '<='} {hi}, but got {value}")
        return float(value)

    def _state(self, prefix, init="zeros"):
        """One state Parameter per parameter, named '<prefix>.<param name>' (MindSpore's clone)."""
        return self.parameters.clone(prefix=prefix, init=init)

    @staticmethod
    def _scalar(value, name, dtype=mstype.float32):
        return Parameter(Tensor(np.asarray(value, dtype=mstype.to_np(dtype))), name=name, requires_grad=False)

    # ---- the shared pipeline --------------------------------------------------------------
    def decay_at(self, i):
        """Weight decay of parameter i for this step: a float, a Tensor (from a weight-decay Cell at
        global_step, computed once per step), or 0.0 when it does not apply."""
        wd = self.decay[i]
        if wd > 0 and self._decay_dynamic[i]:
            if self._wd_now is None:
                self._wd_now = ops.reshape(self.weight_decay_schedule(self.global_step), ())
            return self._wd_now * wd
        return wd

    def prepare_gradients(self, gradients):
        out = []
        for i, (p, g, gc) in enumerate(zip(self.parameters, gradients, self.grad_centralization)):
            wd = self.decay_at(i)
            if isinstance(g, row_tensor.RowTensor):
                out.append(self._prepare_sparse(p, g, wd, gc))
                continue
            if not (isinstance(wd, float) and wd == 0.0):
                g = g + p * (wd * self.loss_scale)
            if gc and len(p.shape) > 1:
                g = g - ops.reduce_mean(g, tuple(range(1, len(p.shape))), True)
            if self.loss_scale != 1.0:
                g = g / self.loss_scale
            out.append(g)
        return out

    def _prepare_sparse(self, p, g, wd, gc):
        # The dense steps on the rows present. Centralization is per row, so centralizing each value
        # row and then summing repeated rows equals centralizing the dense gradient.
        values = g.values
        if not (isinstance(wd, float) and wd == 0.0):
            values = values + ops.gather(p, g.indices, 0) * (wd * self.loss_scale)
        if gc and len(p.shape) > 1:
            values = values - ops.reduce_mean(values, tuple(range(1, len(p.shape))), True)
        if self.loss_scale != 1.0:
            values = values / self.loss_scale
        return g.with_values(values)

    def _lrs_at_step(self):
        step = self.global_step
        return [lr.at(step) for lr in self._lrs]

    def get_lr(self):
        """The learning rate at the current global step: a Tensor, or a tuple per parameter when
        groups have their own learning rates. Inside a graph it also increments global_step."""
        if trace.current() is None:
            return self._eager_lr()
        lrs = self._lrs_at_step()
        ops.assign(self.global_step, self.global_step + 1)
        if self.is_group_lr:
            return tuple(lrs[gi] for gi in self.group_of)
        return lrs[0]

    def _eager_lr(self):
        from ..graph import executor_hook

        cache = self.__dict__.setdefault("_lr_cache", executor_hook.CompileCache())

        def read():
            lrs = self._lrs_at_step()
            return tuple(lrs[gi] for gi in self.group_of) if self.is_group_lr else lrs[0]

        return executor_hook.run_compiled(cache, read, (), f"{type(self).__name__}_get_lr")

    def get_lr_parameter(self, param):
        """The learning-rate Parameter (or schedule) of ``param`` (a list for a list of params)."""
        if isinstance(param, (list, tuple)):
            return [self.get_lr_parameter(p) for p in param]
        for p, gi in zip(self.parameters, self.group_of):
            if p is param:
                lr = self._lrs[gi]
                return lr.param if lr.param is not None else lr.schedule
        raise ValueError(f"For 'get_lr_parameter', Parameter '{getattr(param, 'name', param)}' is not optimized "
                         f"by this {type(self).__name__}")

    def describe(self):
        """A printable table (a str) of each parameter's group, learning rate, weight decay, grad
        centralization and state slots (optim/describe.py)."""
        from .describe import describe

        return describe(self)

    def _has_sparse_rule(self):
        """Whether this optimizer updates only the rows of a RowTensor gradient (else it densifies)."""
        return type(self)._apply_sparse is not Optimizer._apply_sparse

    def __call__(self, gradients):
        if row_tensor.contains(gradients):
            if not self._has_sparse_rule():
                gradients = tuple(row_tensor.densify(g) for g in gradients)
            elif trace.current() is None:
                # compiled-call arguments are Tensors only: RowTensor gradients travel packed
                return executor_hook.run_compiled(self._compile_cache, self._construct_packed,
                                                  (row_tensor.pack(tuple(gradients)),), type(self).__name__,
                                                  self.training)
        return super().__call__(gradients)

    def _construct_packed(self, gradients):
        return self.construct(row_tensor.unpack(gradients))

    def construct(self, gradients):
        gradients = tuple(gradients)
        if len(gradients) != len(self.parameters):
            raise ValueError(f"For '{type(self).__name__}', got {len(gradients)} gradients for "
                             f"{len(self.parameters)} parameters" + trace.format_location(trace.user_source()))
        for p, g in zip(self.parameters, gradients):
            if tuple(g.shape) != tuple(p.shape):
                raise ValueError(f"For '{type(self).__name__}', the gradient of '{p.name}' has shape "
                                 f"{list(g.shape)} but the parameter has shape {list(p.shape)}")
        self._wd_now = None  # the weight-decay Cell's value is traced once per step
        grads = self.prepare_gradients(gradients)
        lr = self.get_lr()
        lrs = lr if self.is_group_lr else (lr,) * len(grads)
        for i, (p, g) in enumerate(zip(self.parameters, grads)):
            if isinstance(g, row_tensor.RowTensor):
                self._apply_sparse(i, p, g, lrs[i])
            else:
                self._apply(i, p, g, lrs[i])
        return None

    def _apply(self, index, param, grad, lr):
        raise NotImplementedError(f"{type(self).__name__} must define _apply(index, param, grad, lr)")

    def _apply_sparse(self, index, param, grad, lr):
        """The rule for a RowTensor ``grad`` (rows ``grad.indices``, values ``grad.values``); by default
        the dense rule on the densified gradient."""
        self._apply(index, param, grad.to_dense(), lr)
