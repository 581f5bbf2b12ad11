"""Helpers the integration tests share: ports, processes and their logs.

Python 3 standard library only. A process started here writes stdout and stderr to a
temporary file (so a full pipe never blocks it), which read_log() returns and
stop_process() removes after printing its tail when the process ended badly.
"""
import os
import signal
import socket
import subprocess
import sys
import tempfile
import time


def free_port(host="127.0.0.1"):
    """A TCP port that is free on `host` right now."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind((host, 0))
        return s.getsockname()[1]


def wait_port(host, port, timeout=20.0, process=None):
    """Waits until something accepts connections on host:port; raises TimeoutError.

    When `process` (a Popen) is given and exits first, raises RuntimeError with its log.
    """
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process is not None and process.poll() is not None:
            raise RuntimeError("process exited with %s before listening:\n%s"
                               % (process.returncode, read_log(process)))
        try:
            with socket.create_connection((host, port), timeout=0.5):
                return
        except OSError:
            time.sleep(0.05)
    raise TimeoutError("nothing listens on %s:%d after %.0f s" % (host, port, timeout))


def start_process(args, env=None):
    """Starts `args` with `env` added to the environment; output goes to a temp file.

    Returns the Popen, with .log_path set to that file.
    """
    full_env = dict(os.environ)
    if env:
        full_env.update(env)
    fd, path = tempfile.mkstemp(prefix="banditore-it-", suffix=".log")
    with os.fdopen(fd, "wb") as log:
        p = subprocess.Popen(args, stdin=subprocess.DEVNULL, stdout=log, stderr=subprocess.STDOUT,
                             env=full_env)
    p.log_path = path
    p.log_args = list(args)
    return p


def read_log(p):
    """Everything the process wrote so far, as text."""
    try:
        with open(p.log_path, "rb") as f:
            return f.read().decode("utf-8", "replace")
    except (AttributeError, FileNotFoundError):
        return ""


def stop_process(p, timeout=15.0, keep_log=False):
    """Stops the process with SIGTERM (SIGKILL after `timeout` s) and removes its log.

    Returns the exit status. A process that had already died, or that needed SIGKILL,
    gets the tail of its log printed on stderr to help whoever reads the failure.
    """
    if p is None:
        return None
    died_early = p.poll() is not None and p.returncode not in (0, -signal.SIGTERM)
    killed = False
    if p.poll() is None:
        p.send_signal(signal.SIGTERM)
        try:
            p.wait(timeout)
        except subprocess.TimeoutExpired:
            p.kill()
            p.wait()
            killed = True
    if died_early or killed:
        tail = read_log(p)[-4000:]
        sys.stderr.write("--- %s (%s, status %s) ---\n%s\n" % (
            os.path.basename(str(p.log_args[0])) if getattr(p, "log_args", None) else "process",
            "killed" if killed else "exited", p.returncode, tail))
    if not keep_log and getattr(p, "log_path", None):
        try:
            os.unlink(p.log_path)
        except FileNotFoundError:
            pass
    return p.returncode
