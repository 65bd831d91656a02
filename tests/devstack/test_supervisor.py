"""The run command's process supervisor: it restarts a process that dies and stops
every process it started, however many stop signals arrive."""

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

from prm.devstack.__main__ import Supervisor

ROOT = Path(__file__).resolve().parents[2]

# Stops one second after its SIGTERM, as gunicorn and Celery do while they finish work.
SLOW_TO_STOP = """
import signal, sys, time
signal.signal(signal.SIGTERM, lambda *_: (time.sleep(1), sys.exit(0)))
print("ready", flush=True)
while True:
    time.sleep(0.1)
"""

# The run command's shape: stop_on_signals, a supervised child, stop() in finally.
RUNNER = f"""
import sys, time
from prm.devstack.__main__ import Supervisor, stop_on_signals
stop_on_signals()
supervisor = Supervisor()
try:
    supervisor.start("slow", [sys.executable, "-c", {SLOW_TO_STOP!r}], dict())
    print(supervisor.processes[0][1].pid, flush=True)
    while True:
        time.sleep(0.1)
except KeyboardInterrupt:
    pass
finally:
    supervisor.stop()
print("stopped", flush=True)
"""


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    # A zombie no one has reaped yet has stopped too.
    status = Path(f"/proc/{pid}/status")
    return status.exists() and "State:\tZ" not in status.read_text()


def test_a_second_sigterm_does_not_cut_the_shutdown_short():
    runner = subprocess.Popen(
        [sys.executable, "-c", RUNNER], cwd=ROOT, stdout=subprocess.PIPE, text=True
    )
    assert runner.stdout is not None
    child = int(runner.stdout.readline())
    assert runner.stdout.readline().strip() == "ready"  # its handler is installed
    runner.send_signal(signal.SIGTERM)
    # make forwards the SIGTERM its process group already got: a second one arrives
    # while the supervisor waits for its children.
    time.sleep(0.3)
    runner.send_signal(signal.SIGTERM)
    assert runner.wait(timeout=30) == 0
    assert runner.stdout.read().strip() == "stopped"
    assert not _alive(child)


def test_a_process_that_dies_is_restarted_and_one_that_keeps_dying_gives_up():
    supervisor = Supervisor()
    supervisor.RESTARTS = 2
    try:
        supervisor.start("sleeper", [sys.executable, "-c", "import time; time.sleep(60)"], {})
        first = supervisor.processes[0][1]
        first.kill()
        first.wait()
        assert supervisor.keep_alive() is None
        second = supervisor.processes[0][1]
        assert second.pid != first.pid
        assert second.poll() is None

        second.kill()
        second.wait()
        assert supervisor.keep_alive() is None
        third = supervisor.processes[0][1]
        third.kill()
        third.wait()
        # Two restarts within the window were allowed; the third death ends the run.
        assert supervisor.keep_alive() == ("sleeper", -signal.SIGKILL)
    finally:
        supervisor.stop()
    assert all(process.poll() is not None for _name, process in supervisor.processes)
