"""Dropout and its random mask, drawn with the counter-based Philox-4x32-10 generator.

``DropoutMask(counter; shape, keep_prob, seed, scale, dtype)`` writes ``scale`` where u < keep_prob and
0 elsewhere, u ~ U[0, 1) per element. The uniforms come from Philox-4x32-10 (Salmon et al., SC'11; cuRAND's
``Philox4_32_10``, TensorFlow's stateless random ops; numpy's ``Philox`` is its 4x64 sibling), a keyed
bijection of a 128-bit counter: element i of a mask takes word i % 4 of the block

    philox4x32_10(counter=(b & 0xffffffff, b >> 32, step & 0xffffffff, step >> 32), key=(seed & 0xffffffff, seed >> 32))

with b = i // 4 and ``step`` the value of the op's counter input. No element depends on another, so a
kernel may compute them in any order, on any number of threads or on any target, and draws the same mask
bit for bit. The word's top 24 bits give u = m * 2**-24: exact in float32, so a float32-only GPU kernel
computes the same u (or the same test as the integer m < ceil(keep_prob * 2**24)) without the float64
arithmetic that a 53-bit uniform from two words would need; 2**-24 is ample resolution for keep_prob
(PyTorch's float32 uniforms take the same 24 bits). ``philox4x32_10`` and ``philox_uniform`` are
plain functions on uint64 values below 2**32: numba compiles them as the CPU kernel's helpers
(``backends/cpu/kernels/random.py``) and numpy runs them vectorised over all blocks in the reference.

The key is the op's seed (``op_seed``): given by the user, or derived from the global seed
(``minispore.set_seed``) and the number of random ops seeded since, so a run is reproducible after
``set_seed`` (like MindSpore's graph seeds). ``step`` is a 0-d int64 Parameter (requires_grad=False)
that the graph increments after each draw, so each training step gets a fresh mask. It belongs to the
Cell that made the dropout, so ``parameters_and_names()`` lists it (checkpoints save it) and
``trainable_params()`` does not:
  * ``nn.Dropout``: its own Parameter ``dropout_counter`` (``<path>.dropout_counter``);
  * ``ops.Dropout``: made with the primitive and listed by the Cell it is assigned to as
    ``<attribute>.dropout_counter``;
  * ``ops.dropout`` (and an ``ops.Dropout`` no Cell holds) inside a Cell's construct: the k-th such
    call in that construct takes the cell's ``dropout_counter_<k>``, made (with its seed) on the first
    trace and reused by every later trace. Outside any Cell each call gets a new counter at 0 (with
    ``seed=None`` a new seed too).
"""

import numpy as np

from ..graph.cell import calling_cell
from ..graph.parameter import Parameter
from ..graph.session import SESSION
from .primitives import Primitive
from .registry import OpDef, apply, as_tensor, fail_type, register
from .state import assign

# ---- Philox-4x32-10 (shared by the numpy reference and the CPU kernel) -----------------------


def philox4x32_10(c0, c1, c2, c3, k0, k1):
    """The Philox-4x32-10 block of counter (c0, c1, c2, c3) under key (k0, k1), as four words.

    Every argument is a uint64 holding a 32-bit value (numba scalars, or numpy arrays that broadcast):
    the 32x32 -> 64-bit products then fit exactly."""
    m32 = np.uint64(0xFFFFFFFF)
    s32 = np.uint64(32)
    for _ in range(10):
        p0 = np.uint64(0xD2511F53) * c0
        p1 = np.uint64(0xCD9E8D57) * c2
        c0, c1, c2, c3 = (p1 >> s32) ^ c1 ^ k0, p1 & m32, (p0 >> s32) ^ c3 ^ k1, p0 & m32
        k0 = (k0 + np.uint64(0x9E3779B9)) & m32
        k1 = (k1 + np.uint64(0xBB67AE85)) & m32
    return c0, c1, c2, c3


def philox_uniform(word):
    """A 32-bit word's top 24 bits as a uniform in [0, 1): m * 2**-24, exact in float32 and float64."""
    return (word >> np.uint64(8)) * 5.9604644775390625e-08


def split_key(seed):
    """The Philox key (low word, high word) of a seed in [0, 2**64)."""
    return seed & 0xFFFFFFFF, seed >> 32


def dropout_mask_args(node):
    """The run-time args of every target's DropoutMask kernel: (keep_prob, key low word, key high word, scale)."""
    return (float(node.attrs["keep_prob"]), *split_key(int(node.attrs["seed"])), float(node.attrs["scale"]))


# ---- the mask op -----------------------------------------------------------------------------


def _mask_infer(specs, shape, keep_prob, seed, scale, dtype):
    c = specs[0]
    if c.shape != () or c.dtype != np.int64:
        raise TypeError(f"the counter must be a 0-d int64 Tensor, but got {list(c.shape)} {c.dtype}")
    if not 0.0 < keep_prob <= 1.0:
        raise ValueError(f"keep_prob must be in (0, 1], but got {keep_prob}")
    if not 0 <= seed < 2**64:
        raise ValueError(f"seed must be in [0, 2**64), but got {seed}")
    return tuple(shape), np.dtype(dtype)


def _mask_ref(counter, shape, keep_prob, seed, scale, dtype):
    n = int(np.prod(shape, dtype=np.int64))
    step = np.asarray(counter, np.int64).reshape(()).astype(np.uint64)
    m32, s32 = np.uint64(0xFFFFFFFF), np.uint64(32)
    k0, k1 = (np.uint64(k) for k in split_key(seed))
    b = np.arange((n + 3) // 4, dtype=np.uint64)
    words = philox4x32_10(b & m32, b >> s32, step & m32, step >> s32, k0, k1)
    u = philox_uniform(np.stack(np.broadcast_arrays(*words), axis=1).reshape(-1)[:n])
    return np.where(u < keep_prob, scale, 0.0).astype(dtype).reshape(shape)


register(OpDef("DropoutMask", infer=_mask_infer, reference=_mask_ref, nondiff=True, impure=True))


# ---- seeds and counters --------------------------------------------------------------------

def op_seed(seed=None):
    """An op seed (the Philox key) in [0, 2**64): ``seed`` itself when given, else derived from the
    global seed (``minispore.set_seed``) and a count of the ops seeded since it was set."""
    if seed is not None:
        if isinstance(seed, bool) or not isinstance(seed, (int, np.integer)) or seed < 0:
            raise ValueError(f"For 'dropout', seed must be a non-negative int or None, but got {seed!r}")
        return int(seed) % 2**64
    SESSION.op_seed_count += 1
    seq = np.random.SeedSequence(SESSION.rng.bit_generator.seed_seq.entropy, spawn_key=(SESSION.op_seed_count,))
    k0, k1 = (int(w) for w in seq.generate_state(2, np.uint32))
    return k0 | k1 << 32


def new_counter():
    """A dropout's step counter: a 0-d int64 Parameter at 0, unnamed until a Cell lists it."""
    return Parameter(np.zeros((), np.int64), requires_grad=False)


def cell_state(seed_fn, counter=None):
    """(seed, counter) of a random op that no Cell holds the state of: the k-th such op in the traced
    construct of a Cell takes that cell's ``dropout_counter_<k>`` and the seed stored with it (made
    from ``seed_fn()`` and ``counter`` or a new counter on the first trace). Outside any Cell: a new
    counter (or ``counter``) and ``seed_fn()``."""
    call = calling_cell()
    if call is None:
        return seed_fn(), counter if counter is not None else new_counter()
    cell, k = call
    call[1] += 1
    slots = cell.__dict__.setdefault("_random_state", {})
    if k not in slots:
        counter = counter if counter is not None else new_counter()
        cell.insert_param_to_cell(f"dropout_counter_{k}", counter)
        slots[k] = (seed_fn(), counter)
    return slots[k]


def _masks(x, keep_prob, seed, counter, scales):
    """One mask per scale, all drawn from the same counter value; then advance the counter."""
    value = counter
    masks = [apply("DropoutMask", value, shape=tuple(x.shape), keep_prob=float(keep_prob), seed=seed,
                   scale=float(s), dtype=x.dtype.np) for s in scales]
    assign(counter, value + 1)
    return masks


def _check_input(x, name):
    x = as_tensor(x)
    if x.dtype.np.kind != "f":
        fail_type(name, f"the input must be a floating-point Tensor, but got {x.dtype}")
    return x


def _check_p(p):
    if isinstance(p, bool) or not isinstance(p, (int, float)):
        raise TypeError(f"For 'dropout', 'p' must be a float, but got {type(p).__name__}")
    if not 0 <= p < 1:
        raise ValueError(f"For 'dropout', the 'p' must be a number in range [0, 1), but got {p}")


def dropout_with_state(x, p, seed, counter):
    """``dropout`` with a given seed and counter (``nn.Dropout`` passes its own)."""
    _check_p(p)
    x = _check_input(x, "dropout")
    if p == 0:
        return x
    keep = 1.0 - p
    (mask,) = _masks(x, keep, seed, counter, [1.0 / keep])
    return x * mask


def dropout(input, p=0.5, training=True, seed=None):  # noqa: A002
    """Randomly zero elements with probability ``p`` and scale the rest by 1 / (1 - p):
    y = x * mask / (1 - p), mask ~ Bernoulli(1 - p). Identity when ``training`` is False or p == 0.
    The gradient is dy * mask / (1 - p), through the same mask."""
    _check_p(p)
    x = _check_input(input, "dropout")
    if not training or p == 0:
        return x
    if seed is not None:
        op_seed(seed)  # validate now, not on the first trace only
    key, counter = cell_state(lambda: op_seed(seed))
    return dropout_with_state(x, p, key, counter)


class Dropout(Primitive):
    """``Dropout(keep_prob=0.5, Seed0=0, Seed1=0)(x)`` -> (output, mask): mask is 0/1 with
    P(1) = keep_prob and output = x * mask / keep_prob. Seed0 = Seed1 = 0 derives the seed from the
    global one; otherwise the Philox key is (Seed0, Seed1). The primitive holds its step counter; the
    Cell it is assigned to lists it as ``<attribute>.dropout_counter``."""

    def __init__(self, keep_prob=0.5, Seed0=0, Seed1=0):  # noqa: N803  (MindSpore's names)
        super().__init__()
        if isinstance(keep_prob, bool) or not isinstance(keep_prob, (int, float)) or not 0 < keep_prob <= 1:
            raise ValueError(f"For 'Dropout', the 'keep_prob' must be a number in range (0, 1], but got {keep_prob}")
        for name, s in (("Seed0", Seed0), ("Seed1", Seed1)):
            if isinstance(s, bool) or not isinstance(s, (int, np.integer)) or not 0 <= s < 2**32:
                raise ValueError(f"For 'Dropout', '{name}' must be an int in [0, 2**32), but got {s!r}")
        self.keep_prob = float(keep_prob)
        self.seed = op_seed(None if Seed0 == 0 and Seed1 == 0 else int(Seed0) | int(Seed1) << 32)
        self.counter = new_counter()
        self._held = False

    def _state_parameters(self):
        """The state that a Cell this primitive is assigned to lists as its own (graph/cell.py asks)."""
        self._held = True
        return {"dropout_counter": self.counter}

    def __call__(self, x):
        x = _check_input(x, "Dropout")
        seed, counter = self.seed, self.counter
        if not self._held:  # no Cell holds this primitive: the calling cell keeps its state
            seed, counter = cell_state(lambda: self.seed, self.counter)
        mask, scaled = _masks(x, self.keep_prob, seed, counter, [1.0, 1.0 / self.keep_prob])
        return x * scaled, mask

    def __repr__(self):
        return f"Prim[Dropout](keep_prob={self.keep_prob!r}, seed={self.seed!r})"


__all__ = ["dropout"]
__primitives__ = [Dropout]
