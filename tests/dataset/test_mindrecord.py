"""MindRecord against MindSpore 2.10 (tests/data/mindrecord_reference.npz, recorded by
tests/data/record_mindrecord_reference.py): minispore's FileWriter writes MindSpore's bytes (header, every page,
the .db's tables), and MindDataset reads MindSpore's files (rebuilt here from the recorded bytes) to MindSpore's
values, dtypes and shapes."""

import json
import os
import sqlite3
import sys

import numpy as np
import pytest

import minispore.dataset as ds
from minispore.mindrecord import FileWriter

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import mindrecord_cases  # noqa: E402

REF = dict(np.load(os.path.join(os.path.dirname(__file__), "..", "data", "mindrecord_reference.npz")))


def _files(path, case):
    return [path] if case.get("shards", 1) == 1 else [f"{path}{i}" for i in range(case["shards"])]


def _db(path):
    con = sqlite3.connect(path)
    try:
        tables = {t: [list(r) for r in con.execute(f"SELECT * FROM {t}")] for t in ("INDEXES", "SHARD_NAME")}
        return {"tables": tables, "sql": [r[0] for r in con.execute("SELECT sql FROM sqlite_master WHERE sql IS NOT "
                                                                     "NULL")]}
    finally:
        con.close()


@pytest.mark.parametrize("name", sorted(mindrecord_cases.CASES))
def test_file_writer_writes_mindspores_bytes(tmp_path, name):
    case = mindrecord_cases.CASES[name]
    path = str(tmp_path / f"{name}.mindrecord")
    mindrecord_cases.write(FileWriter, path, case)
    for i, f in enumerate(_files(path, case)):
        b = open(f, "rb").read()
        header = REF[f"{name}/{i}/header"].tobytes()
        assert b[:len(header)] == header
        meta = json.loads(header[8:])
        assert len(b) == int(REF[f"{name}/{i}/size"])
        for p in meta["page"]:
            at = meta["header_size"] + p["page_id"] * meta["page_size"]
            assert b[at:at + p["page_size"]] == REF[f"{name}/{i}/page{p['page_id']}"].tobytes(), f"page {p['page_id']}"
        assert _db(f + ".db") == json.loads(str(REF[f"{name}/{i}/db"]))
        assert oct(os.stat(f).st_mode & 0o777) == "0o600"


def _rebuild(folder, name, case):
    """MindSpore's files from the recorded header, pages and index tables."""
    path = str(folder / f"{name}.mindrecord")
    for i, f in enumerate(_files(path, case)):
        header = REF[f"{name}/{i}/header"].tobytes()
        meta = json.loads(header[8:])
        with open(f, "wb") as out:
            out.write(header)
            for p in meta["page"]:
                out.seek(meta["header_size"] + p["page_id"] * meta["page_size"])
                out.write(REF[f"{name}/{i}/page{p['page_id']}"].tobytes())
        db = json.loads(str(REF[f"{name}/{i}/db"]))
        con = sqlite3.connect(f + ".db")
        for sql in db["sql"]:
            con.execute(sql)
        for table, rows in db["tables"].items():
            if rows:
                con.executemany(f"INSERT INTO {table} VALUES ({','.join('?' * len(rows[0]))})", rows)
        con.commit()
        con.close()
    return _files(path, case)[0]


@pytest.mark.parametrize("name", sorted(mindrecord_cases.CASES))
def test_mind_dataset_reads_mindspores_files(tmp_path, name):
    case = mindrecord_cases.CASES[name]
    path = _rebuild(tmp_path, name, case)
    rows = list(ds.MindDataset(path, shuffle=False).create_dict_iterator(output_numpy=True, num_epochs=1))
    assert len(rows) == int(REF[f"{name}/read/count"])
    for k, row in enumerate(rows):
        for col, v in row.items():
            want = REF[f"{name}/read/{k}/{col}"]
            assert v.dtype == want.dtype and v.shape == want.shape, (k, col)
            np.testing.assert_array_equal(v, want)


def test_mind_dataset_pipeline_and_options(tmp_path):
    path = str(tmp_path / "data.mindrecord")
    w = FileWriter(path, shard_num=2)
    w.add_schema({"image": {"type": "int32", "shape": [4, 4, 1]}, "label": {"type": "int64"}}, "toy")
    w.write_raw_data([{"image": np.full((4, 4, 1), i, np.int32), "label": i} for i in range(10)])
    w.commit()
    with pytest.raises(RuntimeError, match="mindrecord files already exist"):
        FileWriter(path, shard_num=2)
    data = ds.MindDataset(path + "0", columns_list=["label", "image"], shuffle=False)
    assert data.get_col_names() == ["label", "image"] and data.get_dataset_size() == 10
    assert ds.MindDataset([path + "1"], shuffle=False).get_dataset_size() == 5
    assert ds.MindDataset(path + "0", num_shards=2, shard_id=1, shuffle=False).get_dataset_size() == 5
    labels = [int(r["label"]) for r in ds.MindDataset(path + "0").create_dict_iterator(output_numpy=True)]
    assert sorted(labels) == list(range(10)) and labels != list(range(10))  # shuffled by default
    batch = next(data.map(lambda x: x.astype(np.float32) / 10, "image").batch(4).create_dict_iterator())
    assert batch["image"].shape == (4, 4, 4, 1) and batch["label"].asnumpy().tolist() == [0, 1, 2, 3]


def test_mindrecord_errors(tmp_path):
    (tmp_path / "junk.mindrecord").write_bytes(b"not a mindrecord file")
    with pytest.raises(RuntimeError, match="is not a MindRecord file"):
        ds.MindDataset(str(tmp_path / "junk.mindrecord"))
    path = str(tmp_path / "a.mindrecord")
    w = FileWriter(path)
    w.add_schema({"label": {"type": "int32"}})
    w.write_raw_data([{"label": 1}])
    w.commit()
    os.remove(path + ".db")
    with pytest.raises(RuntimeError, match=r"index file .*a.mindrecord.db does not exist"):
        ds.MindDataset(path)
    w = FileWriter(str(tmp_path / "b.mindrecord"))
    with pytest.raises(ValueError, match="Invalid schema"):
        w.add_schema({"x": {"type": "uint8"}})
    w.add_schema({"x": {"type": "int32"}, "y": {"type": "bytes"}})
    with pytest.raises(ValueError, match="an index field should be a scalar field"):
        w.add_index(["y"])
    with pytest.raises(ValueError, match="has no field 'y'"):
        w.write_raw_data([{"x": 1}])
