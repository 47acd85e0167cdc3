"""The MindRecord files of tests/dataset/test_mindrecord.py, written the same way by MindSpore's FileWriter (when
recording, tests/data/record_mindrecord_reference.py) and by minispore's."""

import numpy as np


def _rows_basic():
    return [{"file_name": f"f{i}.jpg", "label": i, "data": bytes([i]) * (3 + i),
             "arr": np.arange(i + 1, dtype=np.float32), "score": i / 2} for i in range(4)]


def _rows_scalars():
    return [{"a": 1, "b": 1.5, "c": 0.1, "s": "x", "d": 2**40}, {"a": -300, "b": 2.0, "c": 3.0, "s": "yy", "d": 7}]


def _rows_arrays():
    return [{"m": np.arange(6).reshape(2, 3) + i, "v": np.ones(i + 1) * i, "label": i} for i in range(5)] + \
        [{"m": np.array([[2**33, -2**33, 40000], [-40000, 200, -128]]), "v": np.zeros(1), "label": -7}]


def _rows_pages():
    rng = np.random.default_rng(0)
    return [{"img": rng.integers(0, 256, 5000, dtype=np.uint8).tobytes(), "label": i, "name": f"n{i}",
             "f": np.full(3, i / 3, np.float32)} for i in range(16)]


CASES = {
    "basic": {"schema": {"file_name": {"type": "string"}, "label": {"type": "int32"}, "data": {"type": "bytes"},
                         "arr": {"type": "float32", "shape": [-1]}, "score": {"type": "float64"}},
              "desc": "test_schema", "index": ["file_name", "label"], "rows": _rows_basic},
    "image": {"schema": {"image": {"type": "bytes"}, "label": {"type": "int64"}}, "desc": "img",
              "rows": lambda: [{"image": b"\x01\x02\x03", "label": 5}, {"image": b"\x09" * 5, "label": -2}]},
    "scalars": {"schema": {"a": {"type": "int32"}, "b": {"type": "float32"}, "c": {"type": "float64"},
                           "s": {"type": "string"}, "d": {"type": "int64"}}, "rows": _rows_scalars},
    "arrays": {"schema": {"m": {"type": "int64", "shape": [2, 3]}, "v": {"type": "float64", "shape": [-1]},
                          "label": {"type": "int32"}}, "shards": 2, "rows": _rows_arrays},
    "intblob": {"schema": {"x": {"type": "int32", "shape": [-1]}},
                "rows": lambda: [{"x": np.array([300, -5, 1, 70000], np.int32)}, {"x": np.array([0], np.int32)}]},
    "pages": {"schema": {"img": {"type": "bytes"}, "label": {"type": "int64"}, "name": {"type": "string"},
                         "f": {"type": "float32", "shape": [3]}}, "desc": "big", "shards": 2, "page_size": 1 << 15,
              "rows": _rows_pages},
}


def write(file_writer, path, case):
    w = file_writer(path, shard_num=case.get("shards", 1), overwrite=True)
    if "page_size" in case:
        w.set_page_size(case["page_size"])
    w.add_schema(case["schema"], case.get("desc"))
    if "index" in case:
        w.add_index(case["index"])
    w.write_raw_data(case["rows"]())
    w.commit()
