"""Records MindSpore's outputs for tests/dataset/test_vision_reference.py into tests/data/vision_reference.npz.

Run with MindSpore installed in a separate environment (never a test dependency):
    python -m venv /tmp/msapi && /tmp/msapi/bin/pip install mindspore
    /tmp/msapi/bin/python tests/data/record_vision_reference.py
Recorded with MindSpore 2.10.0 (CPU), numpy inputs.
"""

import os

import mindspore as ms
import mindspore.dataset.transforms as T
import mindspore.dataset.vision as V
import numpy as np

rng = np.random.default_rng(0)
out = {"version": np.array(ms.__version__)}
img = rng.integers(0, 256, (13, 17, 3), dtype=np.uint8)
gray = rng.integers(0, 256, (13, 17), dtype=np.uint8)
smooth = (np.add.outer(np.arange(13) * 9, np.arange(17) * 7) % 256).astype(np.uint8)[..., None].repeat(3, 2)
fimg = rng.random((13, 17, 3), dtype=np.float32) * 255
out.update(img=img, gray=gray, smooth=smooth, fimg=fimg)
MODES = {"nearest": V.Inter.NEAREST, "linear": V.Inter.LINEAR, "cubic": V.Inter.CUBIC, "area": V.Inter.AREA,
         "pilcubic": V.Inter.PILCUBIC}
SIZES = {"down": (7, 9), "up": (29, 31), "half": (6, 8), "double": (26, 34), "mixed": (5, 40), "short": 10,
         "odd": (11, 16)}
for src in ("img", "smooth", "gray", "fimg"):
    for mname, mode in MODES.items():
        for sname, size in SIZES.items():
            if src in ("fimg", "gray") and mname == "pilcubic":
                continue
            out[f"resize/{src}/{mname}/{sname}"] = V.Resize(size, mode)(out[src])
for shape in [(2, 5), (5, 2), (3, 7), (7, 3), (6, 6)]:
    out[f"resize_shape/{shape[0]}x{shape[1]}"] = np.array(V.Resize(3)(np.zeros(shape + (1,), np.uint8)).shape)
for name, size in {"small": (6, 7), "pad": (16, 20), "mix": (20, 9), "square": 5, "odd": (12, 16)}.items():
    out[f"centercrop/{name}"] = V.CenterCrop(size)(img)
for name, (padding, mode) in {"const": ((1, 2, 3, 4), V.Border.CONSTANT), "two": ((1, 3), V.Border.CONSTANT),
                             "edge": (2, V.Border.EDGE), "reflect": ((2, 1, 3, 1), V.Border.REFLECT),
                             "symmetric": ((2, 1, 3, 1), V.Border.SYMMETRIC)}.items():
    out[f"pad/{name}"] = V.Pad(padding, fill_value=(10, 20, 30), padding_mode=mode)(img)
out["pad/gray"] = V.Pad(2, fill_value=7)(gray)
out["normalize/hwc"] = V.Normalize([121.0, 115.0, 100.0], [70.0, 68.0, 71.0])(img)
out["normalize/chw"] = V.Normalize([121.0, 115.0, 100.0], [70.0, 68.0, 71.0], is_hwc=False)(img.transpose(2, 0, 1))
out["normalize/gray"] = V.Normalize([100.0], [50.0])(gray)
out["rescale"] = V.Rescale(1.0 / 255.0, -0.5)(img)
out["hwc2chw/img"] = V.HWC2CHW()(img)
out["hwc2chw/gray"] = V.HWC2CHW()(gray)
out["totensor/img"] = V.ToTensor()(img)
out["totensor/gray"] = V.ToTensor()(gray)
out["totensor/f16"] = V.ToTensor(np.float16)(img)
out["onehot/vec"] = T.OneHot(5)(np.array([1, 0, 4], np.int32))
out["onehot/scalar"] = T.OneHot(4)(np.array(2, np.int64))
out["onehot/smooth"] = T.OneHot(5, 0.1)(np.array([1, 3], np.int32))
out["typecast/int32"] = T.TypeCast(ms.int32)(np.array(7, np.uint32))
out["typecast/np"] = T.TypeCast(np.float16)(np.array([1.5, 2.25]))
path = os.path.join(os.path.dirname(os.path.abspath(__file__)), "vision_reference.npz")
np.savez_compressed(path, **out)
print("wrote", path, len(out), "arrays")
