"""CPU kernels of the batch-normalization ops (their definitions are in ops/nn_ops.py).

Each kernel sees x as (n, c, r): batch, channels and the product of the remaining axes
(``ops.nn_ops.ncr_args``). Per-channel sums accumulate in float64; the row helpers use
several independent accumulators so the additions vectorise. For (N, C) inputs (r == 1) the channel
loop is innermost.
"""

import numpy as np

from ....ops.nn_ops import ncr_args
from ...base import kernel

# ---- BatchNormStats --------------------------------------------------------------------------

def bn_row_sum(row, mu):
    # sum(row - mu) in float64 with four independent accumulators (one serial chain of float
    # additions cannot be vectorised and runs several times slower).
    r = row.size
    s0 = s1 = s2 = s3 = 0.0
    k = 0
    while k + 4 <= r:
        s0 += row[k] - mu
        s1 += row[k + 1] - mu
        s2 += row[k + 2] - mu
        s3 += row[k + 3] - mu
        k += 4
    while k < r:
        s0 += row[k] - mu
        k += 1
    return (s0 + s1) + (s2 + s3)


def bn_row_sq_sum(row, mu):
    # sum((row - mu)^2) in float64, four accumulators.
    r = row.size
    s0 = s1 = s2 = s3 = 0.0
    k = 0
    while k + 4 <= r:
        t0 = row[k] - mu
        t1 = row[k + 1] - mu
        t2 = row[k + 2] - mu
        t3 = row[k + 3] - mu
        s0 += t0 * t0
        s1 += t1 * t1
        s2 += t2 * t2
        s3 += t3 * t3
        k += 4
    while k < r:
        t0 = row[k] - mu
        s0 += t0 * t0
        k += 1
    return (s0 + s1) + (s2 + s3)


@kernel("BatchNormStats", "CPU", helpers=(bn_row_sum, bn_row_sq_sum), args=ncr_args(0))
def batch_norm_stats_kernel(x, out, n, c, r):
    # Two passes (mean, then the mean of squared deviations) with float64 accumulators. For (N, C)
    # inputs (r == 1) the channel loop is innermost so it vectorises across channels.
    x3 = x.reshape((n, c, r))
    x2 = x.reshape((n, c * r))
    o2 = out.reshape((2, c))
    m = n * r
    s = np.zeros(c)
    q = np.zeros(c)
    if r == 1:
        for a in range(n):
            for ch in range(c):
                s[ch] += x2[a, ch]
        for ch in range(c):
            s[ch] /= m
        for a in range(n):
            for ch in range(c):
                t = x2[a, ch] - s[ch]
                q[ch] += t * t
    else:
        for a in range(n):
            for ch in range(c):
                s[ch] += bn_row_sum(x3[a, ch], 0.0)
        for ch in range(c):
            s[ch] /= m
        for a in range(n):
            for ch in range(c):
                q[ch] += bn_row_sq_sum(x3[a, ch], s[ch])
    for ch in range(c):
        o2[0, ch] = s[ch]
        o2[1, ch] = q[ch] / m



# ---- BatchNormScaleShift ---------------------------------------------------------------------

@kernel("BatchNormScaleShift", "CPU", args=ncr_args(0))
def batch_norm_scale_shift_kernel(x, center, scale, shift, out, n, c, r):
    x3 = x.reshape((n, c, r))
    o3 = out.reshape((n, c, r))
    if r == 1:  # (N, C): channels innermost
        x2 = x.reshape((n, c))
        o2 = out.reshape((n, c))
        for a in range(n):
            for ch in range(c):
                o2[a, ch] = (x2[a, ch] - center[ch]) * scale[ch] + shift[ch]
        return
    for a in range(n):
        for ch in range(c):
            mu = center[ch]
            s = scale[ch]
            b = shift[ch]
            for k in range(r):
                o3[a, ch, k] = (x3[a, ch, k] - mu) * s + b



# ---- BatchNormReduceGrad ---------------------------------------------------------------------

def bn_row_dot(d, row, mu):
    # (sum(d * (row - mu)), sum(d)) in float64 in one pass, two accumulators for each.
    r = row.size
    p0 = p1 = q0 = q1 = 0.0
    k = 0
    while k + 2 <= r:
        g0 = np.float64(d[k])
        g1 = np.float64(d[k + 1])
        p0 += g0 * (row[k] - mu)
        p1 += g1 * (row[k + 1] - mu)
        q0 += g0
        q1 += g1
        k += 2
    if k < r:
        g0 = np.float64(d[k])
        p0 += g0 * (row[k] - mu)
        q0 += g0
    return p0 + p1, q0 + q1


@kernel("BatchNormReduceGrad", "CPU", helpers=(bn_row_dot,), args=ncr_args(1))
def batch_norm_reduce_grad_kernel(dy, x, center, out, n, c, r):
    d3 = dy.reshape((n, c, r))
    x3 = x.reshape((n, c, r))
    o2 = out.reshape((2, c))
    s0 = np.zeros(c)
    s1 = np.zeros(c)
    if r == 1:  # (N, C): channels innermost
        d2 = dy.reshape((n, c))
        x2 = x.reshape((n, c))
        for a in range(n):
            for ch in range(c):
                g = np.float64(d2[a, ch])
                s0[ch] += g * (x2[a, ch] - np.float64(center[ch]))
                s1[ch] += g
    else:
        for a in range(n):
            for ch in range(c):
                dot, total = bn_row_dot(d3[a, ch], x3[a, ch], np.float64(center[ch]))
                s0[ch] += dot
                s1[ch] += total
    for ch in range(c):
        o2[0, ch] = s0[ch]
        o2[1, ch] = s1[ch]
