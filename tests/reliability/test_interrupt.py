"""Ctrl-C in the middle of a step leaves parameters and optimizer state as before or after that step, never
half-updated, and still raises KeyboardInterrupt. The worker interrupts a step at every line of the generated
step function (between any two kernels), deterministically, in its own process."""

import os
import subprocess
import sys

import pytest

WORKER = os.path.join(os.path.dirname(__file__), "interrupt_worker.py")


@pytest.mark.parametrize("optimizer", ["Adam", "Momentum", "ASGD"])
def test_ctrl_c_at_any_line_of_a_step_never_half_updates(optimizer):
    run = subprocess.run([sys.executable, WORKER, optimizer], capture_output=True, text=True, timeout=600)
    assert run.returncode == 0, run.stderr
    outcomes = run.stdout.strip()
    assert len(outcomes) > 10, run.stdout + run.stderr  # every line of the step was tried
    assert set(outcomes) <= {"A", "B"}, outcomes  # P: half-updated, !: the interrupt was lost
    assert "finishing the current step" in run.stderr
