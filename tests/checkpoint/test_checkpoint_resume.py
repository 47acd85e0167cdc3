"""Resume exactness: N steps, save, load into a fresh cell in a fresh process, M more steps == N+M
straight steps, bit for bit (losses and every Parameter: weights, Adam state, global_step, dropout
counters)."""

import os
import subprocess
import sys

import numpy as np
import pytest

WORKER = os.path.join(os.path.dirname(os.path.abspath(__file__)), "resume_worker.py")


def _run(*args):
    subprocess.run([sys.executable, WORKER, *map(str, args)], check=True, timeout=600)


@pytest.mark.parametrize("kind", ["lenet", "dropout_mlp"])
def test_resume_in_fresh_process_is_bit_exact(kind, tmp_path):
    n, m = 3, 2
    ckpt = tmp_path / "mid.ckpt"
    _run(kind, "save", n, ckpt, tmp_path / "a.npz")
    _run(kind, "resume", m, ckpt, tmp_path / "b.npz")
    _run(kind, "straight", n + m, ckpt, tmp_path / "c.npz")
    a, b, c = (np.load(tmp_path / f"{x}.npz") for x in "abc")
    assert np.array_equal(np.concatenate([a["losses"], b["losses"]]), c["losses"])
    names = sorted(k for k in c.files if k.startswith("p:"))
    assert sorted(k for k in b.files if k.startswith("p:")) == names
    if kind == "dropout_mlp":
        assert any("dropout" in k or "counter" in k for k in names), names
    for k in names:
        assert b[k].dtype == c[k].dtype and np.array_equal(b[k], c[k]), k
