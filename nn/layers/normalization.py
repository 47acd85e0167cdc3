"""Batch normalization layers: ``nn.BatchNorm1d`` and ``nn.BatchNorm2d``.

y = (x - mean) / sqrt(var + eps) * gamma + beta over axis 1. In training mode (``set_train()``)
mean/var are the batch statistics and the moving statistics are updated as MindSpore does:
moving = momentum * moving + (1 - momentum) * batch (``momentum=0.9`` keeps 90% of the old value;
the batch variance folded into ``moving_variance`` is the unbiased one, M / (M - 1) times the biased
variance the batch is normalised with, M = N * H * W, as MindSpore's CPU kernel). In eval mode the moving
statistics are used. ``use_batch_statistics`` True/False forces one behaviour.
"""

from ...graph import dtype as mstype
from ...graph.cell import Cell
from ...graph.parameter import Parameter
from ...ops import functional as F
from ...ops.registry import fail
from ..initializer import initializer


class _BatchNorm(Cell):
    """Shared implementation; subclasses set the accepted input ranks."""

    _ranks = ()

    def __init__(self, num_features, eps=1e-5, momentum=0.9, affine=True, gamma_init="ones", beta_init="zeros",
                 moving_mean_init="zeros", moving_var_init="ones", use_batch_statistics=None, data_format="NCHW",
                 dtype=mstype.float32):
        super().__init__()
        name = type(self).__name__
        if isinstance(num_features, bool) or not isinstance(num_features, int):
            raise TypeError(f"For '{name}', the 'num_features' must be an int, but got "
                            f"{type(num_features).__name__}")
        if num_features < 1:
            raise ValueError(f"For '{name}', the 'num_features' must be at least 1, but got {num_features}.")
        if isinstance(momentum, bool) or not isinstance(momentum, (int, float)) or not 0 <= momentum <= 1:
            raise ValueError(f"For '{name}', the 'momentum' must be a number in range [0, 1], but got {momentum}.")
        if isinstance(eps, bool) or not isinstance(eps, (int, float)) or eps <= 0:
            raise ValueError(f"For '{name}', the 'eps' must be a positive float, but got {eps}.")
        if use_batch_statistics is not None and not isinstance(use_batch_statistics, bool):
            raise TypeError(f"For '{name}', the 'use_batch_statistics' must be a bool or None, but got "
                            f"{type(use_batch_statistics).__name__}")
        if data_format != "NCHW":
            raise ValueError(f"For '{name}', only data_format 'NCHW' is supported, but got {data_format!r}")
        self.num_features = num_features
        self.eps = float(eps)
        self.momentum = float(momentum)
        self.affine = bool(affine)
        self.use_batch_statistics = use_batch_statistics
        self.data_format = data_format
        # Created in MindSpore's order: moving statistics first, then gamma and beta.
        self.moving_mean = Parameter(initializer(moving_mean_init, num_features, dtype), requires_grad=False)
        self.moving_variance = Parameter(initializer(moving_var_init, num_features, dtype), requires_grad=False)
        self.gamma = Parameter(initializer(gamma_init, num_features, dtype), requires_grad=self.affine)
        self.beta = Parameter(initializer(beta_init, num_features, dtype), requires_grad=self.affine)

    def construct(self, x):
        if x.ndim not in self._ranks:
            dims = " or ".join(str(r) for r in self._ranks)
            fail(type(self).__name__, f"the input must have {dims} dimensions, but got shape {list(x.shape)}")
        use_batch = self.training if self.use_batch_statistics is None else self.use_batch_statistics
        # MindSpore's BatchNorm primitive takes the weight of the NEW value: 1 - momentum.
        return F.batch_norm(x, self.moving_mean, self.moving_variance, self.gamma, self.beta,
                            training=use_batch, momentum=1.0 - self.momentum, eps=self.eps)

    def extend_repr(self):
        return (f"num_features={self.num_features}, eps={self.eps}, momentum={self.momentum}, "
                f"gamma={self.gamma}, beta={self.beta}, moving_mean={self.moving_mean}, "
                f"moving_variance={self.moving_variance}")


class BatchNorm1d(_BatchNorm):
    """Batch normalization of (N, C) or (N, C, L) inputs over the channel axis C."""

    _ranks = (2, 3)


class BatchNorm2d(_BatchNorm):
    """Batch normalization of (N, C, H, W) inputs over the channel axis C."""

    _ranks = (4,)


__all__ = ["BatchNorm1d", "BatchNorm2d"]
