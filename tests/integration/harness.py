"""Helpers the integration tests share: ports, processes and their logs, the data
folder's index key and bytes (for erasure scans), and the npm peers several tests start
(the SMTP server of smtp_peer.js, the push service of push_service.mjs).

Python 3 standard library only. A process started here writes stdout and stderr to a
temporary file (so a full pipe never blocks it), which read_log() returns and
stop_process() removes after printing its tail when the process ended badly.
"""
import email
import email.policy
import glob
import hashlib
import hmac
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request


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


HERE = os.path.dirname(os.path.abspath(__file__))
NODE_PATH = os.path.join(HERE, "..", "node_modules")


def index_key(key_path):
    """keys->index of keyfile.c: HKDF-SHA256 (no salt) of the master key, "banditore index v1"."""
    with open(key_path, encoding="ascii") as f:
        master = bytes.fromhex(f.read().split()[1])
    prk = hmac.new(b"\0" * 32, master, hashlib.sha256).digest()
    return hmac.new(prk, b"banditore index v1\x01", hashlib.sha256).digest()


def db_bytes(db):
    """The database file and its WAL, for scans after an erasure."""
    blobs = b""
    for suffix in ("", "-wal"):
        try:
            with open(db + suffix, "rb") as f:
                blobs += f.read()
        except FileNotFoundError:
            pass
    return blobs


class SmtpPeer:
    """npm smtp-server (smtp_peer.js) on loopback: each message received is a JSON file
    {from, to, raw, checks}; addresses in `reject` get a 5xx at RCPT."""

    def __init__(self, reject=(), sender="avvisi@comune.example.org"):
        self.port = free_port()
        self.out = os.path.join(os.environ.get("TMPDIR", "/tmp"), "banditore-smtp-%d" % self.port)
        os.makedirs(self.out, exist_ok=True)
        args = ["node", os.path.join(HERE, "smtp_peer.js"), "--port", str(self.port), "--out", self.out,
                "--from", sender]
        if reject:
            args += ["--reject", ",".join(reject)]
        self.proc = start_process(args, env={"NODE_PATH": NODE_PATH})
        wait_port("127.0.0.1", self.port, 20, self.proc)
        self.url = "smtp://127.0.0.1:%d" % self.port

    def messages(self):
        out = []
        for path in sorted(glob.glob(os.path.join(self.out, "*.json"))):
            with open(path, encoding="utf-8") as f:
                doc = json.load(f)
            doc["msg"] = email.message_from_string(doc["raw"], policy=email.policy.default)
            out.append(doc)
        return out

    def wait(self, n, timeout=15):
        deadline = time.time() + timeout
        while time.time() < deadline:
            m = self.messages()
            if len(m) >= n:
                return m
            time.sleep(0.05)
        raise AssertionError("expected %d messages, got %d" % (n, len(self.messages())))

    def clear(self):
        for path in glob.glob(os.path.join(self.out, "*.json")):
            os.unlink(path)

    def stop(self):
        stop_process(self.proc)
        shutil.rmtree(self.out, ignore_errors=True)


class PushService:
    """A push service (push_service.mjs) that decrypts what it receives with the
    reference http_ece and answers 201, or what the test asks of it."""

    def __init__(self):
        self.port = free_port()
        self.proc = start_process(["node", os.path.join(HERE, "push_service.mjs"), str(self.port)],
                                  env={"NODE_PATH": NODE_PATH})
        wait_port("127.0.0.1", self.port, 20, self.proc)
        self.base = "http://127.0.0.1:%d" % self.port

    def call(self, method, path, body=None):
        req = urllib.request.Request(self.base + path, method=method,
                                     data=json.dumps(body).encode() if body is not None else None,
                                     headers={"Content-Type": "application/json"})
        try:
            with urllib.request.urlopen(req, timeout=10) as r:
                status, data = r.status, r.read()
        except urllib.error.HTTPError as e:
            status, data = e.code, e.read()
        assert status == 200, (status, data)
        return json.loads(data)

    def subscriber(self):
        return self.call("POST", "/control/subscribers", {})

    def answer(self, sid, status, retry_after=None):
        body = {"id": sid, "status": status}
        if retry_after is not None:
            body["retryAfter"] = retry_after
        self.call("POST", "/control/answer", body)

    def received(self):
        return self.call("GET", "/control/received")

    def stop(self):
        stop_process(self.proc)
