"""``nn.Dropout``: in training mode y = x * mask / (1 - p), mask ~ Bernoulli(1 - p); identity in eval."""

import logging

from ...graph import dtype as mstype
from ...graph.cell import Cell
from ...ops.random_ops import dropout_with_state, new_counter, op_seed

logger = logging.getLogger("minispore")


class Dropout(Cell):
    """``Dropout(keep_prob=None, p=None, dtype=mstype.float32)``: zero each element with probability
    ``p`` (default 0.5) during training and scale the kept ones by 1 / (1 - p). ``keep_prob`` (the
    probability of keeping, deprecated in MindSpore 2.x) takes precedence when given.

    The layer's random seed is fixed when it is created, from the global seed (``set_seed``) and
    the number of dropout layers created since; each training step draws a new mask, numbered by the
    layer's step counter ``dropout_counter`` (a 0-d int64 Parameter with requires_grad=False, listed by
    ``parameters_and_names()`` so checkpoints save it, and not by ``trainable_params()``)."""

    def __init__(self, keep_prob=None, p=None, dtype=mstype.float32):
        super().__init__()
        if keep_prob is not None:
            logger.warning("For Dropout, this parameter `keep_prob` will be deprecated, please use `p` instead.")
            if isinstance(keep_prob, bool) or not isinstance(keep_prob, float):
                raise TypeError(f"For 'Dropout', the 'keep_prob' must be a float, but got "
                                f"{type(keep_prob).__name__}")
            if keep_prob <= 0 or keep_prob > 1:
                raise ValueError(f"For 'Dropout', the 'keep_prob' must be a number in range (0, 1], "
                                 f"but got {keep_prob}.")
            p = 1.0 - keep_prob
        elif p is not None:
            if isinstance(p, bool) or not isinstance(p, (int, float)):
                raise TypeError(f"For 'Dropout', the 'p' must be a float or an int, but got {type(p).__name__}")
            if p < 0 or p >= 1:
                raise ValueError(f"For 'Dropout', the 'p' must be a number in range [0, 1), but got {p}.")
        else:
            p = 0.5
        if mstype.to_np(dtype).kind != "f":
            raise TypeError(f"For 'Dropout', the 'dtype' must be a floating-point type, but got {dtype}")
        self.p = float(p)
        self.keep_prob = 1.0 - self.p
        self.dtype = dtype
        self.seed = op_seed()
        self.dropout_counter = new_counter()

    def construct(self, x):
        if not self.training or self.p == 0:
            return x
        return dropout_with_state(x, self.p, self.seed, self.dropout_counter)

    def extend_repr(self):
        return f"p={self.p}"


__all__ = ["Dropout"]
