"""Dropout and its random mask.

``DropoutMask(counter; shape, keep_prob, seed, scale, dtype)`` draws u ~ U[0, 1) per element from an
MT19937 generator seeded with mix(seed, counter) and writes ``scale`` where u < keep_prob, else 0.
numba's ``np.random`` is the same MT19937 as numpy's legacy ``RandomState`` (same seeding, same
doubles), so the kernel and the numpy reference draw identical masks.

``counter`` is a 0-d int64 state Parameter, one per op seed (all restarted by ``set_seed``),
incremented by the graph after each draw: every step gets a fresh mask, and a run is reproducible
after ``set_seed`` (op seeds derive from the global seed and the order in which dropout ops are
created, like MindSpore's graph seeds). The counter is graph state, not a Cell parameter, so it is
not listed by ``get_parameters()`` and not saved in checkpoints.
"""

import numpy as np

from ..graph.session import SESSION
from ..graph.tensor import Parameter
from .primitives import Primitive
from .registry import OpDef, apply, as_tensor, register
from .state import assign

_SEED_MUL = 2654435761
_COUNTER_MUL = 40503


def _mix(seed, counter):
    # Same integer arithmetic as the kernel (all values stay below 2**63).
    return (seed * _SEED_MUL + counter * _COUNTER_MUL + 1) % 4294967296


def _mask_infer(specs, shape, keep_prob, seed, scale, dtype):
    c = specs[0]
    if c.shape != () or c.dtype != np.int64:
        raise TypeError(f"the counter must be a 0-d int64 Tensor, but got {list(c.shape)} {c.dtype}")
    if not 0.0 < keep_prob <= 1.0:
        raise ValueError(f"keep_prob must be in (0, 1], but got {keep_prob}")
    if not 0 <= seed < 2**31:
        raise ValueError(f"seed must be in [0, 2**31), but got {seed}")
    return tuple(shape), np.dtype(dtype)


def _mask_ref(counter, shape, keep_prob, seed, scale, dtype):
    u = np.random.RandomState(_mix(seed, int(counter))).random_sample(int(np.prod(shape, dtype=np.int64)))
    return np.where(u < keep_prob, scale, 0.0).astype(dtype).reshape(shape)


def dropout_mask_kernel(counter, out, keep_prob, seed, scale):
    c = counter.reshape(counter.size)[0]
    np.random.seed((seed * 2654435761 + c * 40503 + 1) % 4294967296)
    of = out.reshape(out.size)
    for i in range(of.size):
        if np.random.random() < keep_prob:
            of[i] = scale
        else:
            of[i] = 0


register(OpDef("DropoutMask", infer=_mask_infer, reference=_mask_ref, nondiff=True, impure=True,
               cpu=dropout_mask_kernel,
               kernel_args=lambda n: (float(n.attrs["keep_prob"]), int(n.attrs["seed"]), float(n.attrs["scale"]))))


# ---- seeds and counters --------------------------------------------------------------------

_STATE = {"rng": None, "counters": {}}


def _sync():
    """Restart the counters when ``set_seed`` has replaced the global generator,
    so a run after ``set_seed(s)`` repeats the masks of any other run after ``set_seed(s)``."""
    rng = SESSION.rng
    if _STATE["rng"] is not rng:
        _STATE.update(rng=rng, counters={})
    return rng


def op_seed(seed=None):
    """An op seed in [0, 2**31): ``seed`` itself when given, else derived from the global seed
    (``minispore.set_seed``) and a count of the ops seeded since it was set."""
    if seed is not None:
        if isinstance(seed, bool) or not isinstance(seed, (int, np.integer)) or seed < 0:
            raise ValueError(f"For 'dropout', seed must be a non-negative int or None, but got {seed!r}")
        return int(seed) % 2**31
    rng = _sync()
    SESSION.op_seed_count += 1
    seq = np.random.SeedSequence(rng.bit_generator.seed_seq.entropy, spawn_key=(SESSION.op_seed_count,))
    return int(seq.generate_state(1, np.uint32)[0]) & 0x7FFFFFFF


def _counter(seed):
    _sync()
    counters = _STATE["counters"]
    if seed not in counters:
        counters[seed] = Parameter(np.zeros((), np.int64), name=f"dropout_counter_{seed}", requires_grad=False)
    return counters[seed]


def _masks(x, keep_prob, seed, scales):
    """One mask per scale, all drawn from the same counter value; then advance the counter."""
    counter = _counter(seed)
    value = counter
    masks = [apply("DropoutMask", value, shape=tuple(x.shape), keep_prob=float(keep_prob), seed=seed,
                   scale=float(s), dtype=x.dtype.np) for s in scales]
    assign(counter, value + 1)
    return masks


def _check_input(x, name):
    x = as_tensor(x)
    if x.dtype.np.kind != "f":
        raise TypeError(f"For '{name}', the input must be a floating-point Tensor, but got {x.dtype}")
    return x


def dropout(input, p=0.5, training=True, seed=None):  # noqa: A002
    """Randomly zero elements with probability ``p`` and scale the rest by 1 / (1 - p):
    y = x * mask / (1 - p), mask ~ Bernoulli(1 - p). Identity when ``training`` is False or p == 0.
    The gradient is dy * mask / (1 - p), through the same mask."""
    if isinstance(p, bool) or not isinstance(p, (int, float)):
        raise TypeError(f"For 'dropout', 'p' must be a float, but got {type(p).__name__}")
    if not 0 <= p < 1:
        raise ValueError(f"For 'dropout', the 'p' must be a number in range [0, 1), but got {p}")
    x = _check_input(input, "dropout")
    if not training or p == 0:
        return x
    keep = 1.0 - p
    (mask,) = _masks(x, keep, op_seed(seed), [1.0 / keep])
    return x * mask


class Dropout(Primitive):
    """``Dropout(keep_prob=0.5, Seed0=0, Seed1=0)(x)`` -> (output, mask): mask is 0/1 with
    P(1) = keep_prob and output = x * mask / keep_prob. Seed0 = Seed1 = 0 derives the seed from the
    global one."""

    def __init__(self, keep_prob=0.5, Seed0=0, Seed1=0):  # noqa: N803  (MindSpore's names)
        super().__init__()
        if isinstance(keep_prob, bool) or not isinstance(keep_prob, (int, float)) or not 0 < keep_prob <= 1:
            raise ValueError(f"For 'Dropout', the 'keep_prob' must be a number in range (0, 1], but got {keep_prob}")
        self.keep_prob = float(keep_prob)
        self.seed = op_seed(None if Seed0 == 0 and Seed1 == 0 else (int(Seed0) * 1000003 + int(Seed1)))

    def __call__(self, x):
        x = _check_input(x, "Dropout")
        mask, scaled = _masks(x, self.keep_prob, self.seed, [1.0, 1.0 / self.keep_prob])
        return x * scaled, mask


__all__ = ["dropout"]
__primitives__ = [Dropout]
