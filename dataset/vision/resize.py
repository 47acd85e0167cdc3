"""Resizing numpy images as MindSpore does: its ``Resize`` on numpy arrays is OpenCV's ``cv::resize`` (NEAREST,
LINEAR, CUBIC, AREA) and, for ``Inter.PILCUBIC``, a transcription of Pillow's bicubic resampling. Each mode is
written here as one weight matrix per axis (output pixel x input pixel) built by OpenCV's or Pillow's coefficient
rules, applied along the height then the width; uint8 images follow OpenCV's fixed-point arithmetic (11-bit
coefficients, rounded at the end), which keeps the result within 1 grey level of OpenCV's vectorised code."""

import math

import numpy as np

from .utils import Inter

_COEF_SCALE = 2048  # OpenCV's INTER_RESIZE_COEF_SCALE (11 bits)
_CUBIC_A = -0.75  # OpenCV's bicubic coefficient; Pillow's is -0.5


def _linear(n_out, n_in):
    scale, w = n_in / n_out, np.zeros((n_out, n_in))
    for d in range(n_out):
        f = np.float32((d + 0.5) * scale - 0.5)  # OpenCV computes the position in float
        s = math.floor(f)
        fx = float(f - s)
        if s < 0:
            s, fx = 0, 0.0
        if s >= n_in - 1:
            s, fx = n_in - 1, 0.0
        w[d, s] += 1 - fx
        w[d, min(s + 1, n_in - 1)] += fx
    return w


def _cubic_coeffs(x, a):
    c0 = ((a * (x + 1) - 5 * a) * (x + 1) + 8 * a) * (x + 1) - 4 * a
    c1 = ((a + 2) * x - (a + 3)) * x * x + 1
    c2 = ((a + 2) * (1 - x) - (a + 3)) * (1 - x) * (1 - x) + 1
    return c0, c1, c2, 1 - c0 - c1 - c2


def _cubic(n_out, n_in):
    scale, w = n_in / n_out, np.zeros((n_out, n_in))
    for d in range(n_out):
        f = np.float32((d + 0.5) * scale - 0.5)
        s = math.floor(f)
        for k, c in enumerate(_cubic_coeffs(float(f - s), _CUBIC_A)):
            w[d, min(max(s - 1 + k, 0), n_in - 1)] += c  # taps outside the image repeat the edge pixel
    return w


def _nearest(n_out, n_in):
    ifx, w = 1.0 / (n_out / n_in), np.zeros((n_out, n_in))
    for d in range(n_out):
        w[d, min(math.floor(d * ifx), n_in - 1)] = 1.0
    return w


def _area_down(n_out, n_in):
    """OpenCV's computeResizeAreaTab: each output pixel averages the input cells it covers, by covered area."""
    scale, w = n_in / n_out, np.zeros((n_out, n_in))
    for d in range(n_out):
        fsx1 = d * scale
        fsx2 = fsx1 + scale
        cell = min(scale, n_in - fsx1)
        sx1, sx2 = math.ceil(fsx1), math.floor(fsx2)
        sx2 = min(sx2, n_in - 1)
        sx1 = min(sx1, sx2)
        if sx1 - fsx1 > 1e-3:
            w[d, sx1 - 1] += (sx1 - fsx1) / cell
        for s in range(sx1, sx2):
            w[d, s] += 1.0 / cell
        if fsx2 - sx2 > 1e-3:
            w[d, sx2] += min(min(fsx2 - sx2, 1.0), cell) / cell
    return w


def _area_up(n_out, n_in):
    """OpenCV's INTER_AREA when enlarging: linear interpolation with the pixel-overlap coefficients."""
    scale, inv, w = n_in / n_out, n_out / n_in, np.zeros((n_out, n_in))
    for d in range(n_out):
        s = math.floor(d * scale)
        fx = (d + 1) - (s + 1) * inv
        fx = 0.0 if fx <= 0 else fx - math.floor(fx)
        if s < 0:
            s, fx = 0, 0.0
        if s >= n_in - 1:
            s, fx = n_in - 1, 0.0
        w[d, s] += 1 - fx
        w[d, min(s + 1, n_in - 1)] += fx
    return w


def _pil_bicubic(n_out, n_in):
    """Pillow's ImagingResample coefficients for BICUBIC (a = -0.5), widened by the scale when shrinking."""
    def filt(x):
        x = abs(x)
        if x < 1:
            return ((-0.5 + 2) * x - (-0.5 + 3)) * x * x + 1
        return (((x - 5) * x + 8) * x - 4) * -0.5 if x < 2 else 0.0
    scale, w = n_in / n_out, np.zeros((n_out, n_in))
    fscale = max(scale, 1.0)
    support = 2.0 * fscale
    for d in range(n_out):
        center = (d + 0.5) * scale
        lo = max(int(center - support + 0.5), 0)
        hi = min(int(center + support + 0.5), n_in)
        k = np.array([filt((x - center + 0.5) / fscale) for x in range(lo, hi)])
        total = k.sum()
        w[d, lo:hi] = k / total if total else k
    return w


def _opencv_weights(mode, out_h, out_w, in_h, in_w):
    if mode == Inter.AREA:
        if in_h >= out_h and in_w >= out_w:  # OpenCV averages areas only when neither axis grows
            return _area_down(out_h, in_h), _area_down(out_w, in_w)
        return _area_up(out_h, in_h), _area_up(out_w, in_w)
    build = {Inter.NEAREST: _nearest, Inter.LINEAR: _linear, Inter.CUBIC: _cubic}[mode]
    return build(out_h, in_h), build(out_w, in_w)


def _apply(img, wy, wx):
    """Rows then columns: out[y, x, c] = sum wy[y, i] * wx[x, j] * img[i, j, c]."""
    return np.einsum("yi,ijc,xj->yxc", wy, img, wx, optimize=True)


def _to_dtype(out, dtype):
    if np.issubdtype(dtype, np.integer):
        info = np.iinfo(dtype)
        return np.clip(np.rint(out), info.min, info.max).astype(dtype)
    return out.astype(dtype)


def resize(img, out_h, out_w, mode):
    """``img`` (H, W) or (H, W, C) resized to (out_h, out_w[, C]) with ``mode`` (an ``Inter``), dtype kept."""
    in_h, in_w = img.shape[:2]
    if (in_h, in_w) == (out_h, out_w):
        return img.copy()
    squeeze = img.ndim == 2
    x = img[..., None] if squeeze else img
    if mode == Inter.PILCUBIC:
        out = x.astype(np.float64)
        if in_w != out_w:  # Pillow resamples the width first and stores the intermediate image in the image's type
            out = _to_dtype(_apply(out, np.eye(in_h), _pil_bicubic(out_w, in_w)), img.dtype).astype(np.float64)
        if in_h != out_h:
            out = _apply(out, _pil_bicubic(out_h, in_h), np.eye(out_w))
        out = _to_dtype(out, img.dtype)
    else:
        wy, wx = _opencv_weights(mode, out_h, out_w, in_h, in_w)
        if img.dtype == np.uint8 and mode in (Inter.LINEAR, Inter.CUBIC):
            # OpenCV's fixed point: coefficients rounded to 1/2048, sums in integers, rounded once at the end
            iy, ix = np.rint(wy * _COEF_SCALE).astype(np.int64), np.rint(wx * _COEF_SCALE).astype(np.int64)
            acc = np.einsum("yi,ijc,xj->yxc", iy, x.astype(np.int64), ix, optimize=True)
            out = np.clip((acc + (1 << 21)) >> 22, 0, 255).astype(np.uint8)
        else:
            out = _to_dtype(_apply(x.astype(np.float64), wy, wx), img.dtype)
    return out[..., 0] if squeeze else out
