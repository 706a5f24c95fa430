"""Stopping a bot process the way an operator would: SIGINT, then SIGKILL if it hangs."""

from __future__ import annotations

import signal
import subprocess


def stop(process: subprocess.Popen, timeout: float = 20) -> None:
    """Ask a still-running process to stop (PTB shuts down cleanly on SIGINT); kill it
    if it has not within ``timeout`` seconds."""
    if process.poll() is not None:
        return
    process.send_signal(signal.SIGINT)
    try:
        process.wait(timeout=timeout)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()
