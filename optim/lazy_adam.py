"""LazyAdam (MindSpore's ``nn.LazyAdam``, deprecated since 2.0 in favour of ``Adam(use_lazy=True)``)."""

from .adam import _AdamBase, logger


class LazyAdam(_AdamBase):
    r"""Adam that, for a sparse gradient (rows of an embedding table), updates ``m``, ``v`` and the
    parameter only on the rows present in the gradient; the other rows keep their moments.

    A sparse gradient is a RowTensor (``nn.Embedding``'s table gradient); repeated rows are summed
    first (MindSpore's FusedSparseLazyAdam). With a dense gradient every row is present and the rule
    is exactly :class:`Adam`'s:

    .. math::
        m = \beta_1 m + (1 - \beta_1) g,\quad v = \beta_2 v + (1 - \beta_2) g^2,\quad
        w = w - \alpha \frac{\sqrt{1 - \beta_2^t}}{1 - \beta_1^t} \frac{m}{\sqrt{v} + \epsilon}

    (``use_nesterov``: numerator :math:`\beta_1 m + (1 - \beta_1) g`). State: ``beta1_power``,
    ``beta2_power`` (shape [1]), ``moment1.<name>``, ``moment2.<name>``.
    """

    def __init__(self, params, learning_rate=1e-3, beta1=0.9, beta2=0.999, eps=1e-8, use_locking=False,
                 use_nesterov=False, weight_decay=0.0, loss_scale=1.0):
        logger.warning("'LazyAdam' is deprecated from version 2.0 and will be removed in a future version, "
                       "use 'Adam' with use_lazy=True instead.")
        super().__init__(learning_rate, params, weight_decay, loss_scale)
        self._init_adam(beta1, beta2, eps, use_locking, use_nesterov)
        self._lazy = True
