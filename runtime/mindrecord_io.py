"""Writing and reading one MindRecord shard file and its SQLite index (``<file>.db``), in the layout of
``mindrecord_format`` (which also encodes the rows)."""

import json
import os
import sqlite3
import struct

import numpy as np

from .mindrecord_format import NP_TYPES, SQL_TYPES, decode_blob, encode_blob, pack, unpack

_INDEX_COLUMNS = ("ROW_ID               INT  NOT NULL, PAGE_ID_RAW          INT  NOT NULL, PAGE_OFFSET_RAW      INT  "
                  "NOT NULL, PAGE_OFFSET_RAW_END  INT  NOT NULL, ROW_GROUP_ID         INT  NOT NULL, PAGE_ID_BLOB   "
                  "      INT  NOT NULL, PAGE_OFFSET_BLOB     INT  NOT NULL, PAGE_OFFSET_BLOB_END INT  NOT NULL")


def _paginate(records, page_size):
    """Records (bytes) into pages: [(page bytes, [(row index, start, end)])]."""
    pages, cur, spans = [], bytearray(), []
    for k, rec in enumerate(records):
        if cur and len(cur) + len(rec) > page_size:
            pages.append((bytes(cur), spans))
            cur, spans = bytearray(), []
        spans.append((k, len(cur), len(cur) + len(rec)))
        cur += rec
    pages.append((bytes(cur), spans))
    return pages


def encode_rows(rows, schema, blob_fields):
    """(blob records, raw records, bytes saved by compression) of a shard's rows."""
    raw_fields = [f for f in sorted(schema) if f not in blob_fields]
    blobs, raws, saved = [], [], 0
    for row in rows:
        blob, s = encode_blob(row, blob_fields, schema)
        saved += s
        raw = pack({f: row[f] for f in raw_fields} if raw_fields else {"id": 0})  # MindSpore: the schema id
        blobs.append(struct.pack("<Q", len(blob)) + blob)
        raws.append(struct.pack("<Q", len(raw)) + raw)
    return blobs, raws, saved


def write_shard(path, shard_id, addresses, rows, blobs, raws, header_fields, index_fields, schema):
    """Write the shard file at ``path`` and its ``.db``; ``header_fields``: header_size, page_size,
    compression_size, the schema entry."""
    hs, ps = header_fields["header_size"], header_fields["page_size"]
    blob_pages, raw_pages = _paginate(blobs, ps), _paginate(raws, ps)
    pages, where = [], {}
    for type_id, (data, spans) in enumerate(blob_pages):
        pages.append({"end_row_id": spans[-1][0] + 1 if spans else 0, "page_id": len(pages), "page_size": len(data),
                      "page_type": "BLOB_DATA", "page_type_id": type_id, "row_group_ids": [{"id": 0, "offset": 0}],
                      "shard_id": shard_id, "start_row_id": spans[0][0] if spans else 0})
        for k, a, b in spans:
            where[k] = [None, None, None, type_id, len(pages) - 1, a, b]
    for type_id, (data, spans) in enumerate(raw_pages):
        groups = {}  # row group (the blob page of the rows) -> where its first row starts in this raw page
        for k, a, _ in spans:
            groups.setdefault(where[k][3], a)
        groups = groups or {0: 0}
        pages.append({"end_row_id": 0, "page_id": len(pages), "page_size": len(data), "page_type": "RAW_DATA",
                      "page_type_id": type_id, "row_group_ids": [{"id": g, "offset": a} for g, a in groups.items()],
                      "shard_id": shard_id, "start_row_id": 0})
        for k, a, b in spans:
            where[k][:3] = [len(pages) - 1, a, b]
    header = {"header_size": hs, "index_fields": [{"index_field": f, "schema_id": 0} for f in index_fields] or None,
              "page": pages, "page_size": ps, "compression_size": header_fields["compression_size"],
              "schema": [header_fields["schema"]], "shard_addresses": addresses, "shard_id": shard_id,
              "statistics": None, "version": "3.0"}
    text = json.dumps(header, separators=(",", ":"), ensure_ascii=False).encode()
    if 8 + len(text) > hs:
        raise RuntimeError(f"Invalid data, the MindRecord header ({len(text) + 8} bytes) exceeds header_size {hs}: "
                           f"raise it with FileWriter.set_header_size")
    with open(path, "wb") as f:
        f.write(struct.pack("<Q", len(text)) + text)
        for page, (data, _) in zip(pages, blob_pages + raw_pages):
            f.seek(hs + page["page_id"] * ps)  # the gaps stay zeros (holes in the file)
            f.write(data)
    _write_index(path + ".db", os.path.basename(path), rows, where, index_fields, schema)
    for p in (path, path + ".db"):
        os.chmod(p, 0o600)  # as MindSpore leaves them: readable by their owner only


def _write_index(db_path, name, rows, where, index_fields, schema):
    if os.path.exists(db_path):
        os.remove(db_path)
    cols = "".join(f",INC_{i} INT, {f}_0 {SQL_TYPES[schema[f]['type']]}" for i, f in enumerate(index_fields))
    key = ",".join(["ROW_ID"] + [f"INC_{i}" for i in range(len(index_fields))])
    con = sqlite3.connect(db_path)
    try:
        con.execute(f"CREATE TABLE INDEXES(  {_INDEX_COLUMNS}{cols}, PRIMARY KEY({key}))")
        con.execute("CREATE TABLE SHARD_NAME(NAME TEXT NOT NULL)")
        con.execute("INSERT INTO SHARD_NAME VALUES (?)", (name,))
        marks = ",".join("?" * (8 + 2 * len(index_fields)))
        con.executemany(f"INSERT INTO INDEXES VALUES ({marks})", [
            (k, *where[k][:3], where[k][3], *where[k][4:], *[v for f in index_fields for v in (0, _sql(rows[k][f]))])
            for k in range(len(rows))])
        con.commit()
    finally:
        con.close()


def _sql(v):
    return v.item() if isinstance(v, np.generic) else v


def read_header(path):
    try:
        with open(path, "rb") as f:
            head = f.read(8)
            n = struct.unpack("<Q", head)[0] if len(head) == 8 else -1
            text = f.read(n) if 0 < n < 1 << 30 else b""
        header = json.loads(text)
        assert isinstance(header, dict) and "schema" in header and "page" in header
    except OSError as err:
        raise RuntimeError(f"Invalid file, failed to open MindRecord file {path}: {err.strerror or err}") from err
    except (ValueError, AssertionError, UnicodeDecodeError, struct.error):
        raise RuntimeError(f"Invalid file, {path} is not a MindRecord file (its header is not a MindRecord header)")\
            from None
    return header


def read_shard(path, header):
    """The rows of one shard file, in row order, as dicts of numpy values."""
    db = path + ".db"
    if not os.path.isfile(db):
        raise RuntimeError(f"Invalid file, the MindRecord index file {db} does not exist: a MindRecord file needs "
                           f"the .db file written beside it")
    con = sqlite3.connect(f"file:{db}?mode=ro", uri=True)
    try:
        index = con.execute("SELECT PAGE_ID_RAW, PAGE_OFFSET_RAW, PAGE_OFFSET_RAW_END, PAGE_ID_BLOB, PAGE_OFFSET_BLOB,"
                            " PAGE_OFFSET_BLOB_END FROM INDEXES ORDER BY ROW_ID").fetchall()
    finally:
        con.close()
    entry = header["schema"][0]
    schema, blob_fields = entry["schema"], entry["blob_fields"]
    hs, ps = header["header_size"], header["page_size"]
    with open(path, "rb") as f:
        buf = f.read()
    rows = []
    for raw_page, raw_a, raw_b, blob_page, blob_a, blob_b in index:
        raw_at, blob_at = hs + raw_page * ps, hs + blob_page * ps
        raw_rec, blob_rec = buf[raw_at + raw_a:raw_at + raw_b], buf[blob_at + blob_a:blob_at + blob_b]
        if len(raw_rec) != raw_b - raw_a or len(blob_rec) != blob_b - blob_a:
            raise RuntimeError(f"Invalid file, MindRecord file {path} is truncated: its index points past its end")
        row = {}
        if any(f not in blob_fields for f in schema):
            raw = unpack(raw_rec, 8)[0]
            for f, v in raw.items():
                if f in schema:
                    t = schema[f]["type"]
                    row[f] = np.array(v) if t == "string" else np.array(v, NP_TYPES[t])
        if blob_fields:
            row.update(decode_blob(blob_rec[8:], blob_fields, schema))
        rows.append(row)
    return rows
