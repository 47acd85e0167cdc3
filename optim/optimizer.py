"""The ``Optimizer`` base: the one pipeline every optimizer shares.

Per step, inside the training graph:
  1. the gradient transforms of ``grad_transforms`` (optim/transforms.py), in order; MindSpore's are
     weight decay g = g + weight_decay * loss_scale * w (ungrouped: only parameters whose name has
     neither 'beta' nor 'gamma'; grouped: every parameter of a group with weight_decay > 0),
     gradient centralization g = g - mean(g over all axes but 0) (groups with grad_centralization,
     parameters with ndim > 1 and shape[1] % 16 == 0), and the loss-scale division g = g / loss_scale,
  2. the learning rate at ``global_step`` (fixed value, dynamic list gathered at the step, or a
     LearningRateSchedule traced into the graph), then ``global_step += 1``,
  3. the subclass's per-parameter rule ``_apply(i, param, grad, lr)``, which emits Assigns.
The learning rate and the step counter are Parameters (graph state), so changing them never
recompiles. What applies to each parameter (its group, learning rate, weight decay, centralization)
is resolved once, at construction, into ``self.specs`` (one ``ParamSpec`` per parameter,
optim/param_groups.py).

Row-sparse gradients (``RowTensor``, from ``nn.Embedding``) go to the subclass's
``_apply_sparse(i, param, grad, lr)`` after the transforms' row forms are applied to their rows only
(as MindSpore: weight decay adds ``wd * loss_scale * w[indices]`` to each row, once per occurrence
of an index). An optimizer without a sparse rule densifies them on entry and follows its dense rule.
"""

import dataclasses

import numpy as np

from .. import ops
from ..graph import dtype as mstype
from ..graph import executor_hook, trace
from ..graph.cell import Cell
from ..graph.parameter import Parameter, ParameterTuple
from ..graph.tensor import Tensor
from ..ops import row_tensor
from . import transforms
from .describe import describe
from .param_groups import GROUP_KEYS, resolve
from .validate import check_float


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
    # Whether, without groups, weight decay skips parameters named '...beta...'/'...gamma...'.
    _beta_gamma_filter = True
    # The gradient pipeline, in order (optim/transforms.py).
    grad_transforms = transforms.OPTIMIZER_TRANSFORMS

    def __init__(self, learning_rate, parameters, weight_decay=0.0, loss_scale=1.0):
        super().__init__(auto_prefix=False)
        cls = type(self).__name__
        self.weight_decay_schedule = None
        if isinstance(weight_decay, Cell):
            if not self._dynamic_weight_decay:
                raise TypeError(f"For '{cls}', weight_decay must be a float; a weight-decay Cell is not "
                                f"supported by {cls}")
            self.weight_decay_schedule = weight_decay
            weight_decay = 1.0  # each parameter's decay multiplies the schedule's value
        # MindSpore: ints are converted; both must be finite (a NaN/Inf loss scale or decay poisons every step)
        self._check_number(weight_decay, "weight_decay", lo=0.0)
        self._check_number(loss_scale, "loss_scale", lo=0.0, lo_open=True)
        self.loss_scale = float(loss_scale)
        # global_step before the learning rates: the order parameters_and_names() (and checkpoints) list them
        self.global_step = Parameter(Tensor(np.zeros(1, np.int32)), name="global_step", requires_grad=False)
        self._set_params(parameters, learning_rate, weight_decay)
        self._wd_now = None

    def _set_params(self, parameters, learning_rate, weight_decay):
        """Resolve ``parameters`` (a list or groups) into ``self.parameters``, ``self.specs``, the groups and
        their learning rates (also called again by experimental optimizers' ``add_param_group``)."""
        resolved = resolve(parameters, learning_rate, weight_decay, type(self).__name__, self._group_keys,
                           self._beta_gamma_filter, decay_schedule=self.weight_decay_schedule is not None)
        self.parameters = ParameterTuple(resolved.params)
        self.groups = resolved.groups
        self.specs = resolved.specs
        self.is_group = resolved.groups[0].explicit
        self._lrs = resolved.lrs
        self.is_group_lr = resolved.is_group_lr
        self.dynamic_lr = any(lr.kind != "fixed" for lr in self._lrs)
        self._register_lrs()

    def _register_lrs(self):
        """The learning-rate Parameters (or schedule cells) as attributes, under MindSpore's names."""
        if not self.is_group_lr:
            self.learning_rate = self._lrs[0].source
            return
        for i, lr in enumerate(self._lrs):
            name = f"learning_rate_group_{i}" if lr.param is not None else f"learning_rate_schedule_{i}"
            setattr(self, name, lr.source)

    def hyper(self, spec, key, default):
        """A per-group hyper-parameter of ``spec``'s parameter (experimental optimizers keep them in
        ``param_groups``); the nn optimizers have none, so ``default``."""
        return default

    # ---- per-parameter views of ``specs`` ----------------------------------------------------
    @property
    def decay(self):
        """Weight decay per parameter (0.0 where it does not apply; a weight-decay Cell's multiplier)."""
        return [s.applied_decay for s in self.specs]

    @property
    def grad_centralization(self):
        return [s.grad_centralization for s in self.specs]

    @property
    def group_of(self):
        return [s.group for s in self.specs]

    def _respec(self, **changes):
        """Change fields of every ParamSpec (Adam(use_offload) drops centralization; LARS takes the
        decay over)."""
        self.specs = tuple(dataclasses.replace(s, **changes) for s in self.specs)

    # ---- validation helpers ---------------------------------------------------------------
    def _check_number(self, value, name, lo=None, hi=None, lo_open=False, hi_open=False):
        """A finite int or float (MindSpore converts ints for these) within [lo, hi]; returns a float."""
        return check_float(type(self).__name__, name, value, lo, hi, lo_open, hi_open, ints=True, relational=True)

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
        spec = self.specs[i]
        if spec.decay and spec.decay_schedule:
            if self._wd_now is None:
                self._wd_now = ops.reshape(self.weight_decay_schedule(self.global_step), ())
            return self._wd_now * spec.weight_decay
        return spec.applied_decay

    def prepare_gradients(self, gradients):
        """Each gradient (a Tensor or a RowTensor) after ``grad_transforms``, in order."""
        return [transforms.apply(self.grad_transforms, g, spec, self) for g, spec in zip(gradients, self.specs)]

    def _lrs_at_step(self):
        step = self.global_step
        return [lr.at(step) for lr in self._lrs]

    def _lr_per_param(self, lrs):
        return tuple(lrs[s.group] for s in self.specs) if self.is_group_lr else lrs[0]

    def get_lr(self):
        """The learning rate at the current global step: a Tensor, or a tuple per parameter when
        groups have their own learning rates. Inside a graph it also increments global_step."""
        if trace.current() is None:
            return self._eager_lr()
        lrs = self._lrs_at_step()
        ops.assign(self.global_step, self.global_step + 1)
        return self._lr_per_param(lrs)

    def _eager_lr(self):
        cache = self.__dict__.setdefault("_lr_cache", executor_hook.CompileCache())

        def read():
            return self._lr_per_param(self._lrs_at_step())

        return executor_hook.run_compiled(cache, read, (), f"{type(self).__name__}_get_lr")

    def get_lr_parameter(self, param):
        """The learning-rate Parameter (or schedule) of ``param`` (a list for a list of params)."""
        if isinstance(param, (list, tuple)):
            return [self.get_lr_parameter(p) for p in param]
        for spec in self.specs:
            if spec.param is param:
                return spec.lr.source
        raise ValueError(f"For 'get_lr_parameter', Parameter '{getattr(param, 'name', param)}' is not optimized "
                         f"by this {type(self).__name__}")

    # ---- describe() and its hooks ----------------------------------------------------------
    def describe(self):
        """A printable table (a str) of each parameter's group, learning rate, weight decay, grad
        centralization and state slots (optim/describe.py)."""
        return describe(self)

    def _lr_text(self, text, step):
        """describe(): the learning-rate text of a parameter, given its group's (``text``)."""
        return text

    def _describe_decay(self, spec):
        """describe(): (configured weight decay, applied?, reason when skipped) of one parameter."""
        if spec.decay or spec.weight_decay <= 0.0:
            return spec.weight_decay, spec.decay, ""
        return spec.weight_decay, False, "not applied" if self.is_group else "'beta'/'gamma' in name"

    def _inner_optimizers(self):
        """describe(): optimizers this one wraps (their state slots are this one's)."""
        return ()

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
