"""Stopping a child started in its own session (``start_new_session=True``).

Such a child leads a process group, so a signal to the group reaches what it
started too (the emulator's JVM, the monitor's Beam workers).
"""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess


def stop_process_group(process: subprocess.Popen, first: signal.Signals, timeout: float) -> None:
    """Sends ``first`` to the process's group, then SIGKILL if it has not exited in ``timeout`` s.

    A process that has already exited is left alone; waits at most ``timeout``
    + 10 s.
    """
    if process.poll() is not None:
        return
    with contextlib.suppress(ProcessLookupError):
        os.killpg(process.pid, first)
    try:
        process.wait(timeout=timeout)
    except subprocess.TimeoutExpired:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(process.pid, signal.SIGKILL)
        process.wait(timeout=10)
