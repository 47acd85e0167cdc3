"""``mindspore.dataset.vision``'s transforms on numpy images (<H, W> or <H, W, C>, channels last), with MindSpore's
names, arguments, output types and argument checks. Each is a callable object: used eagerly (``op(image)``) or
in ``dataset.map``. Resizing follows OpenCV's arithmetic (``resize.py``); the random transforms draw from their
own generator, seeded by ``dataset.config.set_seed`` and their creation order."""

import numbers

import numpy as np

from . import resize as _resize
from ._image import as_image, check_number, check_prob, check_size, crop_size, new_rng
from .utils import NP_PAD_MODE, Border, Inter


class ImageTensorOperation:
    """Base of the vision transforms: ``__call__`` takes one image (numpy array or Tensor)."""

    def __call__(self, img):
        return self._apply(as_image(img, type(self).__name__, self._ranks))

    _ranks = (2, 3)


class Rescale(ImageTensorOperation):
    """``image * rescale + shift``, as float32."""

    def __init__(self, rescale, shift):
        self.rescale = float(check_number(rescale, "rescale", "Rescale"))
        self.shift = float(check_number(shift, "shift", "Rescale"))

    def __call__(self, img):
        img = as_image(img, "Rescale", range(0, 33))
        return (img.astype(np.float32) * np.float32(self.rescale) + np.float32(self.shift)).astype(np.float32)


def _channel_values(values, name, op, lo, hi, lo_open=False):
    if not isinstance(values, (list, tuple)) or not values:
        raise TypeError(f"{op}: {name} should be a list or tuple of numbers, but got {values!r}")
    return [float(check_number(v, f"{name}[{i}]", op, lo, hi, lo_open)) for i, v in enumerate(values)]


class Normalize(ImageTensorOperation):
    """``(image - mean) / std`` per channel, as float32; ``is_hwc=False`` for <C, H, W> images."""

    def __init__(self, mean, std, is_hwc=True):
        self.mean = _channel_values(mean, "mean", "Normalize", 0.0, 255.0)
        self.std = _channel_values(std, "std", "Normalize", 0.0, 255.0, lo_open=True)
        if len(self.mean) != len(self.std):
            raise ValueError("Normalize: mean and std should be of the same length.")
        if not isinstance(is_hwc, bool):
            raise TypeError(f"Argument is_hwc with value {is_hwc!r} is not of type [<class 'bool'>].")
        self.is_hwc = is_hwc

    def _apply(self, img):
        channels = 1 if img.ndim == 2 else img.shape[2 if self.is_hwc else 0]
        if channels != len(self.mean):
            raise RuntimeError(f"Normalize: number of channels does not match the size of mean and std vectors, got "
                               f"channels: {channels}, size of mean: {len(self.mean)}")
        shape = (-1,) if self.is_hwc or img.ndim == 2 else (-1, 1, 1)
        mean = np.array(self.mean, np.float32).reshape(shape)
        std = np.array(self.std, np.float32).reshape(shape)
        return ((img.astype(np.float32) - mean) / std).astype(np.float32)


class HWC2CHW(ImageTensorOperation):
    """<H, W, C> to <C, H, W>; an <H, W> image is returned unchanged."""

    def _apply(self, img):
        return img if img.ndim == 2 else np.ascontiguousarray(img.transpose(2, 0, 1))


class ToTensor(ImageTensorOperation):
    """<H, W, C> (or <H, W>) to <C, H, W> divided by 255, as ``output_type`` (default float32)."""

    def __init__(self, output_type=np.float32):
        self.output_type = np.dtype(getattr(output_type, "np_type", output_type))

    def _apply(self, img):
        img = img[..., None] if img.ndim == 2 else img
        return np.ascontiguousarray((img.astype(np.float32) / 255.0).transpose(2, 0, 1)).astype(self.output_type)


def _check_inter(mode, op):
    if not isinstance(mode, Inter):
        raise TypeError(f"Argument interpolation with value {mode!r} is not of type [<enum 'Inter'>].")
    if mode == Inter.ANTIALIAS:
        raise ValueError(f"{op}: Inter.ANTIALIAS applies to PIL images only (as in MindSpore); use Inter.PILCUBIC or "
                         "Inter.AREA on numpy images")
    return mode


class Resize(ImageTensorOperation):
    """Resize to ``size``: (height, width), or an int for the shorter side (the other keeps the aspect ratio)."""

    def __init__(self, size, interpolation=Inter.LINEAR):
        self.size = check_size(size, "Resize")
        self.interpolation = _check_inter(interpolation, "Resize")

    def _apply(self, img):
        h, w = img.shape[:2]
        if len(self.size) == 2:
            out_h, out_w = self.size
        elif h < w:  # MindSpore's ResizeOp: the longer side scaled by size / shorter, truncated
            out_h, out_w = self.size[0], int(np.float32(w) / np.float32(h) * np.float32(self.size[0]))
        else:
            out_w, out_h = self.size[0], int(np.float32(h) / np.float32(w) * np.float32(self.size[0]))
        if self.interpolation == Inter.PILCUBIC and (img.ndim != 3 or img.shape[2] != 3):
            raise RuntimeError(f"Resize: Interpolation mode PILCUBIC only supports image with 3 channels, but got: "
                               f"<{','.join(map(str, img.shape))}>")
        return _resize.resize(img, out_h, out_w, self.interpolation)


def _check_fill(fill_value, op):
    if isinstance(fill_value, numbers.Integral) and not isinstance(fill_value, bool):
        fill_value = (fill_value,) * 3
    if not isinstance(fill_value, (list, tuple)) or len(fill_value) != 3:
        raise TypeError(f"{op}: fill_value should be a single integer or a 3-tuple, but got {fill_value!r}")
    for v in fill_value:
        check_number(v, "fill_value", op, 0, 255)
    return tuple(int(v) for v in fill_value)


def _parse_padding(padding, op):
    """MindSpore's parse_padding: (left, top, right, bottom) from 1, 2 (left/right, top/bottom) or 4 values."""
    if isinstance(padding, numbers.Integral) and not isinstance(padding, bool):
        padding = (padding,) * 4
    if not isinstance(padding, (list, tuple)) or len(padding) not in (2, 4):
        raise TypeError(f"{op}: padding should be a single integer or a sequence of 2 or 4 integers, but got "
                        f"{padding!r}")
    for v in padding:
        check_number(v, "padding", op, 0, 2**31 - 1)
    if len(padding) == 2:
        padding = (padding[0], padding[1], padding[0], padding[1])
    return tuple(int(v) for v in padding)


def _check_border(mode, op):
    if not isinstance(mode, Border):
        raise TypeError(f"Argument padding_mode with value {mode!r} is not of type [<enum 'Border'>].")
    return mode


def _pad(img, left, top, right, bottom, fill, mode):
    widths = [(top, bottom), (left, right)] + [(0, 0)] * (img.ndim - 2)
    if mode != Border.CONSTANT:
        return np.pad(img, widths, NP_PAD_MODE[mode])
    if img.ndim == 2 or img.shape[2] != 3:
        return np.pad(img, widths, "constant", constant_values=fill[0])
    return np.stack([np.pad(img[..., c], widths[:2], "constant", constant_values=fill[c]) for c in range(3)], -1)


class Pad(ImageTensorOperation):
    """Pad the borders: ``padding`` (left, top, right, bottom), with ``fill_value`` or by ``padding_mode``."""

    def __init__(self, padding, fill_value=0, padding_mode=Border.CONSTANT):
        self.padding = _parse_padding(padding, "Pad")
        self.fill_value = _check_fill(fill_value, "Pad")
        self.padding_mode = _check_border(padding_mode, "Pad")

    def _apply(self, img):
        return _pad(img, *self.padding, self.fill_value, self.padding_mode)


class CenterCrop(ImageTensorOperation):
    """The central (height, width) window (an int: a square); a smaller image is padded with zeros first."""

    def __init__(self, size):
        self.size = crop_size(size, "CenterCrop")

    def _apply(self, img):
        ch, cw = self.size
        h, w = img.shape[:2]
        pad_h, pad_w = max(ch - h, 0), max(cw - w, 0)
        if pad_h or pad_w:  # MindSpore pads the odd pixel at the top/left
            img = _pad(img, pad_w - pad_w // 2, pad_h - pad_h // 2, pad_w // 2, pad_h // 2, (0, 0, 0),
                       Border.CONSTANT)
            h, w = img.shape[:2]
        top, left = (h - ch) // 2, (w - cw) // 2
        return img[top:top + ch, left:left + cw].copy()


class RandomCrop(ImageTensorOperation):
    """A (height, width) window at a random place, after optional ``padding``; ``pad_if_needed`` pads an image
    smaller than the window on both sides by the difference."""

    def __init__(self, size, padding=None, pad_if_needed=False, fill_value=0, padding_mode=Border.CONSTANT):
        self.size = crop_size(size, "RandomCrop")
        self.padding = (0, 0, 0, 0) if padding is None else _parse_padding(padding, "RandomCrop")
        if not isinstance(pad_if_needed, bool):
            raise TypeError(f"Argument pad_if_needed with value {pad_if_needed!r} is not of type [<class 'bool'>].")
        self.pad_if_needed = pad_if_needed
        self.fill_value = _check_fill(fill_value, "RandomCrop")
        self.padding_mode = _check_border(padding_mode, "RandomCrop")
        self._rng = new_rng()

    def _apply(self, img):
        if any(self.padding):
            img = _pad(img, *self.padding, self.fill_value, self.padding_mode)
        ch, cw = self.size
        h, w = img.shape[:2]
        if self.pad_if_needed and (h < ch or w < cw):
            dh, dw = max(ch - h, 0), max(cw - w, 0)
            img = _pad(img, dw, dh, dw, dh, self.fill_value, self.padding_mode)
            h, w = img.shape[:2]
        if h < ch or w < cw:
            raise RuntimeError(f"RandomCrop: invalid crop size, crop size is bigger than the image dimensions, got "
                               f"crop height: {ch}, crop width: {cw}, image height: {h}, image width: {w}")
        x = int(self._rng.integers(0, w - cw + 1))
        y = int(self._rng.integers(0, h - ch + 1))
        return img[y:y + ch, x:x + cw].copy()


class HorizontalFlip(ImageTensorOperation):
    def _apply(self, img):
        return img[:, ::-1].copy()


class VerticalFlip(ImageTensorOperation):
    def _apply(self, img):
        return img[::-1].copy()


class RandomHorizontalFlip(ImageTensorOperation):
    """Mirror left-right with probability ``prob``."""

    def __init__(self, prob=0.5):
        self.prob = check_prob(prob, "RandomHorizontalFlip")
        self._rng = new_rng()

    def _apply(self, img):
        return img[:, ::-1].copy() if self._rng.random() < self.prob else img


class RandomVerticalFlip(ImageTensorOperation):
    """Mirror top-bottom with probability ``prob``."""

    def __init__(self, prob=0.5):
        self.prob = check_prob(prob, "RandomVerticalFlip")
        self._rng = new_rng()

    def _apply(self, img):
        return img[::-1].copy() if self._rng.random() < self.prob else img


def _check_range(values, name, op, lo_open):
    if not isinstance(values, (list, tuple)) or len(values) != 2:
        raise TypeError(f"{op}: {name} should be a list or tuple of length 2, but got {values!r}")
    lo, hi = (float(check_number(v, name, op, 0.0, None, lo_open)) for v in values)
    if lo > hi:
        raise ValueError(f"{op}: {name} should be in (min, max) format, but got {values!r}")
    return lo, hi


class RandomResizedCrop(ImageTensorOperation):
    """A random window of ``scale`` times the image's area and aspect ratio in ``ratio`` (log-uniform), resized to
    ``size``; after ``max_attempts`` windows that do not fit, the central window with the ratio clipped into
    ``ratio`` (MindSpore's RandomCropAndResizeOp)."""

    def __init__(self, size, scale=(0.08, 1.0), ratio=(3. / 4., 4. / 3.), interpolation=Inter.BILINEAR,
                 max_attempts=10):
        self.size = crop_size(size, "RandomResizedCrop")
        self.scale = _check_range(scale, "scale", "RandomResizedCrop", lo_open=False)
        self.ratio = _check_range(ratio, "ratio", "RandomResizedCrop", lo_open=True)
        self.interpolation = _check_inter(interpolation, "RandomResizedCrop")
        self.max_attempts = int(check_number(max_attempts, "max_attempts", "RandomResizedCrop", 1, 2**31 - 1))
        self._rng = new_rng()

    def _window(self, h, w):
        log_lo, log_hi = np.log(self.ratio[0]), np.log(self.ratio[1])
        for _ in range(self.max_attempts):
            area = self._rng.uniform(*self.scale)
            aspect = np.exp(self._rng.uniform(log_lo, log_hi))
            cw = max(int(round(np.sqrt(h * w * area * aspect))), 1)
            ch = max(int(round(cw / aspect)), 1)
            if cw <= w and ch <= h:
                return int(self._rng.integers(0, h - ch + 1)), int(self._rng.integers(0, w - cw + 1)), ch, cw
        img_aspect = w / h
        if img_aspect < self.ratio[0]:
            cw, ch = w, int(round(w / self.ratio[0]))
        elif img_aspect > self.ratio[1]:
            ch, cw = h, int(round(h * self.ratio[1]))
        else:
            ch, cw = h, w
        ch, cw = max(ch, 1), max(cw, 1)
        return int(round((h - ch) / 2.0)), int(round((w - cw) / 2.0)), ch, cw

    def _apply(self, img):
        y, x, ch, cw = self._window(*img.shape[:2])
        return _resize.resize(img[y:y + ch, x:x + cw], *self.size, self.interpolation)
