"""Op test cases for ops/float_status.py (the overflow check's verdict, the float-status clear marker and
saturation mode's clamp)."""

import numpy as np

INF, NAN = np.inf, np.nan

CASES = {
    # the verdict on an overflow sentinel: 0 (or -0) when every checked element was finite, NaN otherwise
    "AllFinite": [dict(inputs=[np.array(0.0, np.float32)]), dict(inputs=[np.array(-0.0, np.float32)]),
                  dict(inputs=[np.array(NAN, np.float32)]), dict(inputs=[np.array(INF, np.float16)])],
    "ClearFloatStatus": [dict(inputs=[np.arange(6, dtype=np.float32).reshape(2, 3), np.array(1.5, np.float32)])],
    "Saturate": [dict(inputs=[np.array([65504, INF, -INF, NAN, 1.5, -3.0, 0.0], np.float16)],
                      attrs=dict(limit=65504.0)),
                 dict(inputs=[np.array([[1e5, -1e30], [NAN, 2.5]], np.float32)], attrs=dict(limit=65504.0))],
}
