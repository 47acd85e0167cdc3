"""A process saving over the same checkpoint again and again is SIGKILLed at several moments: the file
always loads whole, with the values of one save (old or new); at most a stale ``<name>.tmp`` of the killed
save remains, and the next save removes it."""

import os
import signal
import subprocess
import sys
import time

import numpy as np
import pytest

import minispore as ms

WORKER = os.path.join(os.path.dirname(os.path.abspath(__file__)), "kill_worker.py")


@pytest.mark.skipif(not hasattr(signal, "SIGKILL"), reason="needs SIGKILL")
def test_sigkill_during_saves_never_leaves_a_broken_file(tmp_path):
    path = str(tmp_path / "ckpt.ckpt")
    for delay in (0.0, 0.013, 0.031, 0.057, 0.089):
        proc = subprocess.Popen([sys.executable, WORKER, path], stdout=subprocess.PIPE, text=True)
        try:
            assert proc.stdout.readline().strip() != ""  # at least one save is done
            time.sleep(delay)
            proc.send_signal(signal.SIGKILL)
        finally:
            proc.kill()
            proc.wait()
        left = sorted(os.listdir(tmp_path))
        assert left in (["ckpt.ckpt"], ["ckpt.ckpt", "ckpt.ckpt.tmp"]), left
        got = ms.load_checkpoint(path)
        k = int(got["iteration"].asnumpy())
        assert k >= 1
        for i in range(8):
            assert np.all(got[f"w{i}"].asnumpy() == k), (delay, i)
    ms.save_checkpoint(got, path)  # the next save removes a stale temporary file
    assert os.listdir(tmp_path) == ["ckpt.ckpt"]
