"""dataset.vision and dataset.transforms against numpy transcriptions of MindSpore's definitions, their
arguments and errors, the random transforms' seeding, and the import paths scripts use."""

import math

import numpy as np
import pytest

import minispore as ms
import minispore.dataset as ds
from minispore.dataset import transforms, vision

RNG = np.random.default_rng(3)
IMG = RNG.integers(0, 256, (10, 14, 3), dtype=np.uint8)


@pytest.fixture(autouse=True)
def _restore_seed():
    seed = ds.config.get_seed()
    yield
    ds.config.set_seed(seed)


def test_pointwise_definitions():
    np.testing.assert_allclose(vision.Rescale(0.5, 1.0)(IMG), IMG * 0.5 + 1.0)
    assert vision.Rescale(1 / 255, 0)(IMG).dtype == np.float32
    mean, std = [10.0, 20.0, 30.0], [2.0, 4.0, 8.0]
    np.testing.assert_allclose(vision.Normalize(mean, std)(IMG), (IMG - np.array(mean)) / np.array(std), rtol=1e-6)
    chw = IMG.transpose(2, 0, 1)
    np.testing.assert_allclose(vision.Normalize(mean, std, is_hwc=False)(chw),
                               (chw - np.array(mean)[:, None, None]) / np.array(std)[:, None, None], rtol=1e-6)
    np.testing.assert_array_equal(vision.HWC2CHW()(IMG), chw)
    np.testing.assert_allclose(vision.ToTensor()(IMG), chw / 255.0, rtol=1e-6)
    assert vision.ToTensor()(IMG[..., 0]).shape == (1, 10, 14)


def _bilinear(img, out_h, out_w):
    """OpenCV's INTER_LINEAR, written out: half-pixel centres, edge pixels repeated, rounded to the nearest."""
    h, w = img.shape[:2]
    out = np.zeros((out_h, out_w) + img.shape[2:])
    for y in range(out_h):
        fy = max((y + 0.5) * h / out_h - 0.5, 0.0)
        y0 = min(math.floor(fy), h - 1)
        y1, dy = min(y0 + 1, h - 1), fy - y0 if y0 < h - 1 else 0.0
        for x in range(out_w):
            fx = max((x + 0.5) * w / out_w - 0.5, 0.0)
            x0 = min(math.floor(fx), w - 1)
            x1, dx = min(x0 + 1, w - 1), fx - x0 if x0 < w - 1 else 0.0
            top = img[y0, x0] * (1 - dx) + img[y0, x1] * dx
            bottom = img[y1, x0] * (1 - dx) + img[y1, x1] * dx
            out[y, x] = top * (1 - dy) + bottom * dy
    return out


@pytest.mark.parametrize("size", [(5, 7), (23, 31), (10, 14), (4, 40)])
def test_resize_bilinear_is_the_half_pixel_definition_within_one_grey_level(size):
    got = vision.Resize(size)(IMG)
    assert got.dtype == np.uint8 and got.shape == size + (3,)
    assert np.abs(got - np.rint(_bilinear(IMG.astype(np.float64), *size))).max() <= 1
    fimg = IMG.astype(np.float32)
    np.testing.assert_allclose(vision.Resize(size)(fimg), _bilinear(fimg.astype(np.float64), *size), atol=1e-3)


def test_resize_nearest_and_area_definitions():
    h, w = IMG.shape[:2]
    rows, cols = np.floor(np.arange(7) * h / 7).astype(int), np.floor(np.arange(20) * w / 20).astype(int)
    np.testing.assert_array_equal(vision.Resize((7, 20), vision.Inter.NEAREST)(IMG), IMG[rows][:, cols])
    # an integer shrink factor: each output pixel is the mean of its 2x2 block
    block = IMG.astype(np.float64).reshape(5, 2, 7, 2, 3).mean((1, 3))
    assert np.abs(vision.Resize((5, 7), vision.Inter.AREA)(IMG) - np.rint(block)).max() <= 1
    assert vision.Resize(5)(IMG).shape == (5, 7, 3)  # int size: the shorter side, aspect ratio kept
    assert vision.Resize(5)(IMG[..., 0]).shape == (5, 7)


def test_pad_and_crops():
    padded = vision.Pad((1, 2, 3, 4), fill_value=9)(IMG)
    assert padded.shape == (16, 18, 3) and (padded[:2] == 9).all() and (padded[:, -3:] == 9).all()
    np.testing.assert_array_equal(padded[2:12, 1:15], IMG)
    np.testing.assert_array_equal(vision.CenterCrop((4, 6))(IMG), IMG[3:7, 4:10])
    np.testing.assert_array_equal(vision.CenterCrop(3)(IMG), IMG[3:6, 5:8])
    ds.config.set_seed(7)
    crop = vision.RandomCrop((6, 8))
    outs = [crop(IMG) for _ in range(20)]
    assert all(o.shape == (6, 8, 3) for o in outs)
    windows = {(y, x) for o in outs for y in range(5) for x in range(7) if np.array_equal(IMG[y:y + 6, x:x + 8], o)}
    assert len(windows) > 1  # the window moves
    assert vision.RandomCrop(12, padding=4)(IMG).shape == (12, 12, 3)
    assert vision.RandomCrop((12, 16), pad_if_needed=True)(IMG).shape == (12, 16, 3)
    with pytest.raises(RuntimeError, match="crop size is bigger than the image"):
        vision.RandomCrop((12, 16))(IMG)


def test_random_resized_crop():
    whole = vision.RandomResizedCrop((5, 7), scale=(1.0, 1.0), ratio=(1.4, 1.4))  # the window is the image
    np.testing.assert_array_equal(whole(IMG), vision.Resize((5, 7))(IMG))
    outs = [vision.RandomResizedCrop(6, interpolation=vision.Inter.NEAREST)(IMG) for _ in range(10)]
    assert all(o.shape == (6, 6, 3) and o.dtype == np.uint8 for o in outs)
    assert len({o.tobytes() for o in outs}) > 1
    # no window fits: the central window with the ratio clipped into `ratio` (here the whole height, width 10)
    fallback = vision.RandomResizedCrop((10, 10), scale=(5.0, 6.0), ratio=(1.0, 1.0), interpolation=vision.Inter.AREA)
    np.testing.assert_array_equal(fallback(IMG), IMG[:, 2:12])
    with pytest.raises(ValueError, match="scale should be in \\(min, max\\) format"):
        vision.RandomResizedCrop(4, scale=(0.9, 0.1))


def test_flips_follow_prob_and_the_seed():
    np.testing.assert_array_equal(vision.RandomHorizontalFlip(1.0)(IMG), IMG[:, ::-1])
    np.testing.assert_array_equal(vision.RandomHorizontalFlip(0.0)(IMG), IMG)
    np.testing.assert_array_equal(vision.RandomVerticalFlip(1.0)(IMG), IMG[::-1])
    flips = [np.array_equal(vision.RandomHorizontalFlip()(IMG), IMG) for _ in range(40)]
    assert 5 < sum(flips) < 35

    def draws():
        flip, crop = vision.RandomHorizontalFlip(), vision.RandomCrop(4)
        return [(np.array_equal(flip(IMG), IMG), crop(IMG).tobytes()) for _ in range(16)]

    ds.config.set_seed(11)
    first = draws()
    ds.config.set_seed(11)
    assert draws() == first  # the same pipeline after the same set_seed draws the same
    assert draws() != first  # transforms created later draw other numbers


def test_argument_checks_in_mindspores_words():
    with pytest.raises(ValueError, match=r"Input std\[0\] is not within the required interval of \(0.0, 255.0\]"):
        vision.Normalize([0.5], [0.0])
    with pytest.raises(RuntimeError, match="number of channels does not match"):
        vision.Normalize([0.5], [0.5])(IMG)
    with pytest.raises(TypeError, match="is not of type \\[<enum 'Inter'>\\]"):
        vision.Resize(4, "bilinear")
    with pytest.raises(ValueError, match="Input size is not within the required interval"):
        vision.Resize(0)
    with pytest.raises(ValueError, match="Input prob is not within the required interval"):
        vision.RandomHorizontalFlip(1.5)
    with pytest.raises(RuntimeError, match="shape of input should be"):
        vision.HWC2CHW()(np.zeros((1, 2, 3, 4)))
    with pytest.raises(RuntimeError, match="PILCUBIC only supports image with 3 channels, but got: <10,14>"):
        vision.Resize(4, vision.Inter.PILCUBIC)(IMG[..., 0])
    with pytest.raises(RuntimeError, match="index values should not bigger than num classes"):
        transforms.OneHot(3)(np.array([3]))


def test_enums_and_general_transforms():
    assert vision.Inter.LINEAR is vision.Inter.BILINEAR and int(vision.Inter.PILCUBIC) == 5
    assert vision.Border.REFLECT == "reflect"
    assert transforms.OneHot(4)(np.array([2])).shape == (4,)  # as MindSpore: a 1-label vector gives one row
    np.testing.assert_array_equal(transforms.OneHot(3)(np.array([0, 2], np.int32)), [[1, 0, 0], [0, 0, 1]])
    assert transforms.TypeCast(ms.float16)(np.arange(3)).dtype == np.float16
    assert transforms.TypeCast(np.int32)(np.arange(3.0)).dtype == np.int32
    op = transforms.Compose([vision.Rescale(2.0, 0.0), transforms.Compose([vision.HWC2CHW()])])
    assert len(op.transforms) == 2
    np.testing.assert_array_equal(op(IMG), IMG.transpose(2, 0, 1) * 2.0)
    np.testing.assert_array_equal(transforms.RandomApply([vision.HWC2CHW()], prob=0.0)(IMG), IMG)
    assert transforms.RandomChoice([vision.HWC2CHW()])(IMG).shape == (3, 10, 14)
    a, b = transforms.Duplicate()(np.arange(3))
    np.testing.assert_array_equal(a, b)
    with pytest.raises(TypeError, match="non-empty list of callables"):
        transforms.Compose([])


def test_one_x_import_paths():
    import minispore.dataset.transforms.c_transforms as C
    import minispore.dataset.vision.c_transforms as CV
    from minispore.dataset.vision import Inter
    assert CV.Resize is vision.Resize and C.TypeCast is transforms.TypeCast and CV.Inter is Inter
