"""Records MindSpore's MindRecord files for tests/dataset/test_mindrecord.py into tests/data/mindrecord_reference.npz:
per case and shard, the header (length + JSON), every page's used bytes, the .db's tables, and what MindSpore's
MindDataset reads back. (A shard file itself is 16 MiB of header space and 32 MiB pages, mostly zeros: only the
used bytes are kept.) Run with MindSpore in a separate environment (never a test dependency):
    /tmp/msapi/bin/python tests/data/record_mindrecord_reference.py
Recorded with MindSpore 2.10.0 (CPU).
"""

import json
import os
import sqlite3
import struct
import sys
import tempfile

import numpy as np

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "dataset"))
import mindrecord_cases  # noqa: E402
import mindspore.dataset as ds  # noqa: E402
from mindspore.mindrecord import FileWriter  # noqa: E402

out = {}
with tempfile.TemporaryDirectory() as tmp:
    for name, case in mindrecord_cases.CASES.items():
        path = os.path.join(tmp, name + ".mindrecord")
        mindrecord_cases.write(FileWriter, path, case)
        files = [path] if case.get("shards", 1) == 1 else [f"{path}{i}" for i in range(case["shards"])]
        for i, f in enumerate(files):
            b = open(f, "rb").read()
            n = struct.unpack("<Q", b[:8])[0]
            header = json.loads(b[8:8 + n])
            out[f"{name}/{i}/header"] = np.frombuffer(b[:8 + n], np.uint8)
            for p in header["page"]:
                at = header["header_size"] + p["page_id"] * header["page_size"]
                out[f"{name}/{i}/page{p['page_id']}"] = np.frombuffer(b[at:at + p["page_size"]], np.uint8)
            out[f"{name}/{i}/size"] = np.array(len(b))
            con = sqlite3.connect(f + ".db")
            tables = {t: [list(r) for r in con.execute(f"SELECT * FROM {t}")] for t in ("INDEXES", "SHARD_NAME")}
            sql = [r[0] for r in con.execute("SELECT sql FROM sqlite_master WHERE sql IS NOT NULL")]
            out[f"{name}/{i}/db"] = np.array(json.dumps({"tables": tables, "sql": sql}))
        rows = [{k: v for k, v in r.items()} for r in
                ds.MindDataset(files[0], shuffle=False).create_dict_iterator(output_numpy=True, num_epochs=1)]
        for k, r in enumerate(rows):
            for col, v in r.items():
                out[f"{name}/read/{k}/{col}"] = v
        out[f"{name}/read/count"] = np.array(len(rows))
path = os.path.join(os.path.dirname(os.path.abspath(__file__)), "mindrecord_reference.npz")
np.savez_compressed(path, **out)
print("wrote", path, len(out), "arrays")
