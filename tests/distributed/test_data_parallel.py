"""Data parallel over MPI, end to end: ``mpiexec -n 2`` runs dp_worker.py, whose two ranks train on half
batches and must reproduce one process's losses and parameters on the full batches (rtol 1e-5; Momentum
and Adam, without loss scaling, with a fixed and with a dynamic scale; TrainOneStepCell and Model.train),
with bitwise-identical parameters on both ranks; and a fault in one rank ends the whole job, naming the rank.
Skipped, saying why, only where mpiexec cannot start."""

import os
import re
import shutil
import subprocess
import sys
import time
from pathlib import Path

import pytest

HERE = Path(__file__).resolve().parent
CHECKOUT_PARENT = HERE.parents[2]  # the folder holding the package folder ``minispore``
TIMEOUT_S = 300
STEPS = 3  # dp_worker.STEPS


def _mpiexec():
    """mpiexec next to this Python (the mpich wheel installs it there), else on PATH."""
    local = Path(sys.executable).with_name("mpiexec")
    return str(local) if local.exists() else shutil.which("mpiexec")


def _env():
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join([str(CHECKOUT_PARENT), env.get("PYTHONPATH", "")]).rstrip(os.pathsep)
    return env


def _can_start(mpiexec):
    """None when ``mpiexec -n 2`` starts two ranks of this Python with mpi4py, else why not."""
    if mpiexec is None:
        return "mpiexec not found (pip install 'minispore[distributed]' brings it with the mpich wheel)"
    # a collective, so both ranks must be up; only rank 0 prints (two ranks' output may interleave)
    probe = "from mpi4py import MPI; c = MPI.COMM_WORLD; n = c.allreduce(1); c.Get_rank() or print(n)"
    try:
        out = subprocess.run([mpiexec, "-n", "2", sys.executable, "-c", probe], capture_output=True, text=True,
                             timeout=60, env=_env())
    except (OSError, subprocess.TimeoutExpired) as err:
        return f"mpiexec -n 2 could not start: {err}"
    if out.returncode != 0 or out.stdout.split() != ["2"]:
        return f"mpiexec -n 2 could not start two mpi4py ranks (rc {out.returncode}): {out.stderr.strip()[-500:]}"
    return None


def test_two_ranks_on_half_batches_match_one_process_on_full_batches():
    mpiexec = _mpiexec()
    why = _can_start(mpiexec)
    if why is not None:
        pytest.skip(why)
    out = subprocess.run([mpiexec, "-n", "2", sys.executable, str(HERE / "dp_worker.py")], capture_output=True,
                         text=True, timeout=TIMEOUT_S, env=_env())
    log = (out.stdout + out.stderr)[-6000:]
    assert out.returncode == 0, f"the 2-rank job failed (rc {out.returncode}):\n{log}"
    assert "DP-OK" in out.stdout, f"rank 0 did not finish its checks:\n{log}"
    # Model.train's LossMonitor ran on rank 0 only: one line per step, not one per step and rank
    assert out.stdout.count("loss is") == STEPS, f"expected {STEPS} LossMonitor lines (rank 0 only):\n{log}"


def test_a_fault_in_one_rank_ends_the_job_naming_the_rank():
    mpiexec = _mpiexec()
    why = _can_start(mpiexec)
    if why is not None:
        pytest.skip(why)
    out = subprocess.run([mpiexec, "-n", "2", sys.executable, str(HERE / "fault_worker.py")], capture_output=True,
                         text=True, timeout=120, env=_env())
    log = (out.stdout + out.stderr)[-4000:]
    assert out.returncode != 0, f"the job did not fail:\n{log}"
    assert "rank 1: ValueError: a fault on purpose" in out.stderr, log
    assert "passed the barrier" not in out.stdout, log


def _run_or_skip(args, timeout):
    mpiexec = _mpiexec()
    why = _can_start(mpiexec)
    if why is not None:
        pytest.skip(why)
    return subprocess.run([mpiexec, "-n", "2", sys.executable, *args], capture_output=True, text=True,
                          timeout=timeout, env=_env())


def test_row_sparse_gradients_step_counts_and_per_rank_folders(tmp_path):
    out = _run_or_skip([str(HERE / "extra_worker.py"), str(tmp_path)], TIMEOUT_S)
    log = (out.stdout + out.stderr)[-6000:]
    assert out.returncode == 0 and "EXTRA-OK" in out.stdout, f"the 2-rank job failed (rc {out.returncode}):\n{log}"
    assert "[rank 1] a line from the worker" in out.stderr, log  # log lines carry the rank
    assert sorted(p.name for p in tmp_path.iterdir()) == ["rank_0", "rank_1", "shared"]


KILL_TIMEOUT_S = 60


def test_a_rank_killed_by_a_signal_ends_the_job_naming_it_and_leaves_no_process():
    t = time.monotonic()
    out = _run_or_skip([str(HERE / "kill_worker.py")], KILL_TIMEOUT_S)  # TimeoutExpired fails the test
    elapsed = time.monotonic() - t
    log = (out.stdout + out.stderr)[-4000:]
    assert out.returncode != 0 and "finished 1000 steps" not in out.stdout, log
    pids = dict(re.findall(r"PID rank (\d) (\d+)", out.stdout))
    # mpiexec names the dead process by PID; rank 0's table at init() names the rank of that PID
    assert f"rank 1 = PID {pids['1']} on" in out.stderr, log
    assert re.search(rf"BAD TERMINATION.*\n.*PID {pids['1']} RUNNING", out.stdout + out.stderr), log
    assert "signal 9" in log or "EXIT CODE: 9" in log, log
    assert elapsed < KILL_TIMEOUT_S
    for pid in pids.values():  # mpiexec killed and reaped every rank
        assert not Path(f"/proc/{pid}").exists() or "Z" in Path(f"/proc/{pid}/stat").read_text().split()[2], pid
