"""The TransData kernel: every conversion between the host layout and an Ascend device format
(``ops/layout.py`` defines the formats and gives each rule as numpy; these are the same index maps,
transcribed from MindSpore's ``common/trans.cc`` loops: ``NchwToNc1hwc0``, ``Nc1hwc0ToNchw``,
``NchwFracZTransWithGroups``, ``NchwToFracNz``, ``FracNzToNchw``).

Pure data movement: it runs on any dtype, 16-bit floats as their uint16 patterns (``backends/cpu/passes.py``
lists TransData in ``DATA_MOVEMENT``), and padding lanes are written as 0 (+0.0). Both arrays are walked
flat with explicit index arithmetic, so one jitted function serves every conversion (the arrays' ranks
differ per conversion, and numba types each branch with the same arrays).

Registered for the CPU target too: TransData is target-neutral, and so the CPU runs every op (the op
sweep checks this kernel against the reference there).
"""

from ....ops import layout
from ...base import kernel

# conversion codes (the kernel's ``mode``)
_MODES = {("ND", "FRACTAL_NZ", True): 0, ("FRACTAL_NZ", "ND", True): 0,  # a shape FRACTAL_NZ keeps as it is
          ("NCHW", "NC1HWC0"): 1, ("NC1HWC0", "NCHW"): 2, ("NCHW", "FRACTAL_Z"): 3, ("FRACTAL_Z", "NCHW"): 4,
          ("ND", "FRACTAL_NZ"): 5, ("FRACTAL_NZ", "ND"): 6}


def transdata_args(node):
    """(mode, n, c, h, w, groups, e_mult, C1, N1*16): the logical dims are (N, C, H, W) for NCHW,
    (Cout, Cin/groups, kh, kw) for a weight, (1, batch, H, W) for a matrix (..., H, W) (batch = the product
    of the leading dims); FRACTAL_Z's block parameters come from ``ops/layout.fractal_z_params``."""
    a = node.attrs
    src, dst, shape, groups = a["src_format"], a["dst_format"], tuple(a["shape"]), a.get("groups", 1)
    device = layout.check_pair(src, dst)
    if device == "FRACTAL_NZ":
        if layout.fractal_nz_shape(shape) == shape:
            return (0, 1, 1, 1, int(node.size), 1, 1, 1, 1)
        batch = 1
        for s in shape[:-2]:
            batch *= s
        return (_MODES[src, dst], 1, batch, shape[-2], shape[-1], 1, 1, 1, 1)
    e_mult, c1, n1 = 1, 1, 1
    if device == "FRACTAL_Z":
        e_mult, c1, n1, _ = layout.fractal_z_params(shape, groups)
    return (_MODES[src, dst], *shape, groups, e_mult, c1, n1 * 16)


def transdata_nc1hwc0(src, dst, n, c, h, w, to_device):
    """device[n, c1, h, w, c0] = host[n, c1*16 + c0, h, w] (0 for channels past C); ``to_device``: whether
    ``src`` is the host array (else the device one)."""
    c1, hw = (c + 15) // 16, h * w
    for ni in range(n):
        for k in range(c1):
            for p in range(hw):
                base = ((ni * c1 + k) * hw + p) * 16
                for c0 in range(16):
                    ci = k * 16 + c0
                    if ci < c:
                        if to_device:
                            dst[base + c0] = src[(ni * c + ci) * hw + p]
                        else:
                            dst[(ni * c + ci) * hw + p] = src[base + c0]
                    elif to_device:
                        dst[base + c0] = 0


def transdata_fractal_z(src, dst, n, c, h, w, groups, e_mult, c1, cout_opt, to_device):
    """NchwFracZTransWithGroups: weight (n = Cout, c = Cin/groups, h = kh, w = kw) <-> FRACTAL_Z; group g's
    input channel ci and output channel co sit at ci + (g % e)*c, co + (g % e)*(Cout/groups) of block-group
    g // e (groups = 1: [C1*kh*kw, N1, 16, 16], device[(c1, i, j), n1, n0, c0] = host[n1*16 + n0, c1*16 + c0, i, j])."""
    if to_device:
        for t in range(dst.size):
            dst[t] = 0
    cout_g = n // groups
    for g in range(groups):
        e = g % e_mult
        for ci in range(c):
            dci = e * c + ci
            for i in range(h):
                for j in range(w):
                    row = ((((g // e_mult) * c1 + dci // 16) * h + i) * w + j) * cout_opt
                    for co in range(cout_g):
                        dev = (row + e * cout_g + co) * 16 + dci % 16
                        host = (((g * cout_g + co) * c + ci) * h + i) * w + j
                        if to_device:
                            dst[dev] = src[host]
                        else:
                            dst[host] = src[dev]


def transdata_fractal_nz(src, dst, b, h, w, to_device):
    """device[t, w1, h, w0] = host[t, h, w1*16 + w0] for each of the b matrices (H, W); padding 0."""
    h1, w1 = (h + 15) // 16, (w + 15) // 16
    if to_device:
        for t in range(dst.size):
            dst[t] = 0
    for t in range(b):
        for hi in range(h):
            for wi in range(w):
                dev = ((t * w1 + wi // 16) * h1 * 16 + hi) * 16 + wi % 16
                if to_device:
                    dst[dev] = src[(t * h + hi) * w + wi]
                else:
                    dst[(t * h + hi) * w + wi] = src[dev]


@kernel("TransData", "CPU", helpers=(transdata_nc1hwc0, transdata_fractal_z, transdata_fractal_nz),
        args=transdata_args)
@kernel("TransData", "Ascend", helpers=(transdata_nc1hwc0, transdata_fractal_z, transdata_fractal_nz),
        args=transdata_args)
def transdata_kernel(src, out, mode, n, c, h, w, groups, e_mult, c1, cout_opt):
    s = src.reshape(src.size)
    o = out.reshape(out.size)
    if mode == 0:
        for t in range(o.size):
            o[t] = s[t]
    elif mode <= 2:
        transdata_nc1hwc0(s, o, n, c, h, w, mode == 1)
    elif mode <= 4:
        transdata_fractal_z(s, o, n, c, h, w, groups, e_mult, c1, cout_opt, mode == 3)
    else:
        transdata_fractal_nz(s, o, c, h, w, mode == 5)
