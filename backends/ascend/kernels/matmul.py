"""MatMul on FRACTAL_NZ operands, as the Cube computes it: fractal by fractal.

A matrix (H, W) in FRACTAL_NZ is W1 column panels of H1*16 rows x 16 columns (``ops/layout.py``), so element
(h, w) sits at ``((w // 16) * H1 * 16 + h) * 16 + w % 16``. The result's 16x16 fractal (m1, n1) is

    C[m1, n1] = sum over k1 of op(A)[m1, k1] @ op(B)[k1, n1]

each product a 16x16x16 block multiply (the Cube's unit of work), accumulated in float32 (its L0C buffer).
A transposed operand is read fractal-transposed, as the Cube's loads do; padding lanes are zero, so they add
nothing, and the result's padding lanes come out zero.
"""

import numpy as np

from ...base import kernel


def nz_at(flat, rows1, h, w):
    """The element (h, w) of a FRACTAL_NZ matrix with ``rows1`` row blocks (H1), from its flat buffer."""
    return flat[((w // 16) * rows1 * 16 + h) * 16 + w % 16]


def matmul_nz_args(node):
    a = node.attrs
    (ah, aw), (bh, bw) = a["a_shape"], a["b_shape"]
    m, k = (aw, ah) if a.get("transpose_a") else (ah, aw)
    n = bh if a.get("transpose_b") else bw
    return ((m + 15) // 16, (k + 15) // 16, (n + 15) // 16, (ah + 15) // 16, (bh + 15) // 16,
            bool(a.get("transpose_a")), bool(a.get("transpose_b")))


@kernel("MatMul", "Ascend", helpers=(nz_at,), args=matmul_nz_args)
def matmul_nz_kernel(a, b, out, m1s, k1s, n1s, a_rows1, b_rows1, ta, tb):
    fa = a.reshape(a.size)
    fb = b.reshape(b.size)
    fo = out.reshape(out.size)
    acc = np.zeros((16, 16), np.float32)
    for n1 in range(n1s):
        for m1 in range(m1s):
            acc[:, :] = 0
            for k1 in range(k1s):
                for i in range(16):
                    for kk in range(16):
                        mi, ki = m1 * 16 + i, k1 * 16 + kk
                        av = nz_at(fa, a_rows1, ki, mi) if ta else nz_at(fa, a_rows1, mi, ki)
                        if av == 0:
                            continue
                        for j in range(16):
                            nj = n1 * 16 + j
                            bv = nz_at(fb, b_rows1, nj, ki) if tb else nz_at(fb, b_rows1, ki, nj)
                            acc[i, j] += av * bv
            base = (n1 * m1s * 16 + m1 * 16) * 16
            for i in range(16):
                for j in range(16):
                    fo[base + i * 16 + j] = acc[i, j]
