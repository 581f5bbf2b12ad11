#!/usr/bin/env python3
"""run_prism.py - the WhatsApp contract test: our requests against Meta's own description.

Starts Prism (npm @stoplight/prism-cli, installed in tests/node_modules by
scripts/install-deps) as a validating mock of ../shared/contracts/
whatsapp-business-messaging-api_v23.0.yaml on a free loopback port, with --errors so that
any request the description does not allow is answered 422 with the reasons. Then:

  1. runs contract_whatsapp (the C program given as argument, which sends through our
     connector) against it: every request must be accepted;
  2. sends requests that are deliberately invalid, and requires Prism to refuse each:
     if it accepted them, step 1 would prove nothing.

Exits 0 only if both hold. Missing Node, Prism or the description is a failure with a
message saying what to install, never a silent skip.

Usage: run_prism.py CONTRACT_EXE
Environment: BANDITORE_SHARED overrides the shared/ folder (default: <repo>/../shared).
"""
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

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.dirname(os.path.dirname(HERE))
SPEC_NAME = "whatsapp-business-messaging-api_v23.0.yaml"
START_TIMEOUT = 120  # seconds; Prism needs 15-20 s to read the 1 MB description
TOKEN = "EAAContractTestToken.0123456789"
PHONE_NUMBER_ID = "106540352242922"
VERSION = "v23.0"


def fail(msg):
    print("contract-whatsapp: FAIL: " + msg, file=sys.stderr)
    sys.exit(1)


def free_port():
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def listening(port):
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=0.5):
            return True
    except OSError:
        return False


def post(base, body, token=TOKEN):
    """POSTs `body` (a dict) as our connector would; returns (status, parsed answer)."""
    headers = {"Content-Type": "application/json", "User-Agent": "banditore/0.1.0"}
    if token is not None:
        headers["Authorization"] = "Bearer " + token
    req = urllib.request.Request(
        "%s/%s/%s/messages" % (base, VERSION, PHONE_NUMBER_ID),
        data=json.dumps(body).encode("utf-8"), headers=headers, method="POST")
    opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))
    try:
        with opener.open(req, timeout=30) as r:
            status, raw = r.status, r.read()
    except urllib.error.HTTPError as e:
        status, raw = e.code, e.read()
    try:
        return status, json.loads(raw.decode("utf-8"))
    except ValueError:
        return status, raw[:500]


def reasons(answer):
    if isinstance(answer, dict) and isinstance(answer.get("validation"), list):
        # One reason per oneOf branch: the nested ones name the real fault, put them first.
        seen = []
        for v in sorted(answer["validation"],
                        key=lambda v: -len([p for p in v.get("location", []) if p != "type"])):
            line = "%s: %s" % (".".join(map(str, v.get("location", []))), v.get("message"))
            if line not in seen:
                seen.append(line)
        return seen
    return [str(answer)[:300]]


BASE_TEXT = {"messaging_product": "whatsapp", "recipient_type": "individual",
             "to": "393330000001", "type": "text", "text": {"body": "Avviso"}}

# Each must be refused by the description. The first is exactly the mistake the connector
# must not make (callback data on a text message); the others break required fields.
INVALID = [
    ("text with biz_opaque_callback_data", 422,
     dict(BASE_TEXT, biz_opaque_callback_data="b=1")),
    ("text without recipient_type", 422,
     {k: v for k, v in BASE_TEXT.items() if k != "recipient_type"}),
    ("text with preview_url as a string", 422,
     dict(BASE_TEXT, text={"body": "Avviso", "preview_url": "yes"})),
    ("template language without policy", 422,
     {"messaging_product": "whatsapp", "recipient_type": "individual", "to": "393330000001",
      "type": "template", "template": {"name": "avviso_comune", "language": {"code": "it"}}}),
]


def main():
    if len(sys.argv) != 2:
        print(__doc__, file=sys.stderr)
        return 2
    exe = sys.argv[1]
    if not os.access(exe, os.X_OK):
        fail("contract program %s is missing or not executable" % exe)

    shared = os.environ.get("BANDITORE_SHARED") or os.path.join(os.path.dirname(REPO), "shared")
    spec = os.path.join(shared, "contracts", SPEC_NAME)
    if not os.path.isfile(spec):
        fail("the WhatsApp description is missing: %s (shared/ must sit beside the clone, "
             "or set BANDITORE_SHARED)" % spec)
    if not shutil.which("node"):
        fail("Node.js is not installed: run scripts/install-deps (it installs nodejs and npm)")
    prism = os.path.join(REPO, "tests", "node_modules", ".bin", "prism")
    if not os.access(prism, os.X_OK):
        fail("Prism is not installed (%s is missing): run scripts/install-deps, or "
             "`npm install` in tests/" % prism)

    port = free_port()
    base = "http://127.0.0.1:%d" % port
    log = tempfile.NamedTemporaryFile(prefix="banditore-prism-", suffix=".log", delete=False)
    cmd = [prism, "mock", "-h", "127.0.0.1", "-p", str(port), "--errors", spec]
    print("contract-whatsapp: starting " + " ".join(cmd), flush=True)
    # A session of its own, so that stopping it stops whatever node starts beneath it.
    proc = subprocess.Popen(cmd, stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
                            start_new_session=True, cwd=os.path.join(REPO, "tests"))
    ok = False
    try:
        t0 = time.monotonic()
        while not listening(port):
            if proc.poll() is not None:
                fail("Prism exited with status %d before listening:\n%s"
                     % (proc.returncode, tail(log.name)))
            if time.monotonic() - t0 > START_TIMEOUT:
                fail("Prism did not listen on port %d within %d s:\n%s"
                     % (port, START_TIMEOUT, tail(log.name)))
            time.sleep(0.25)
        print("contract-whatsapp: Prism listening after %.1f s" % (time.monotonic() - t0),
              flush=True)

        # 1. Our connector's requests must all be accepted.
        r = subprocess.run([exe, "--base", base, "--version", VERSION,
                            "--phone-number-id", PHONE_NUMBER_ID, "--token", TOKEN],
                           timeout=180)
        accepted = r.returncode == 0
        if not accepted:
            print("contract-whatsapp: the connector sent requests the description refuses "
                  "(exit status %d)" % r.returncode, file=sys.stderr)

        # 2. The mock must refuse what is invalid, or the check above means nothing.
        refused_all = True
        for name, want, body in INVALID:
            status, answer = post(base, body)
            if status == want:
                print("ok   invalid request refused: %-38s HTTP %d (%s)"
                      % (name, status, reasons(answer)[0]))
            else:
                refused_all = False
                print("FAIL invalid request not refused: %s: HTTP %d, want %d"
                      % (name, status, want), file=sys.stderr)
        status, answer = post(base, BASE_TEXT, token=None)
        if status == 401:
            print("ok   request without a bearer token refused: HTTP 401")
        else:
            refused_all = False
            print("FAIL request without a bearer token: HTTP %d, want 401" % status,
                  file=sys.stderr)
        # And the valid counterpart of the invalid ones passes, so the refusals above are
        # about the faults we put in, not about something else.
        status, answer = post(base, BASE_TEXT)
        if 200 <= status <= 299:
            print("ok   valid control request accepted: HTTP %d" % status)
        else:
            refused_all = False
            print("FAIL valid control request: HTTP %d: %s" % (status, reasons(answer)),
                  file=sys.stderr)

        ok = accepted and refused_all
        if not ok:
            print("contract-whatsapp: Prism's log:\n" + tail(log.name), file=sys.stderr)
    finally:
        stop(proc)
        log.close()
        os.unlink(log.name)
    print("contract-whatsapp: %s" % ("PASS" if ok else "FAIL"))
    return 0 if ok else 1


def tail(path, lines=60):
    try:
        with open(path, encoding="utf-8", errors="replace") as f:
            return "".join(f.readlines()[-lines:])
    except OSError:
        return "(no log)"


def stop(proc):
    """Stops Prism's process group (ours: started above in its own session)."""
    if proc.poll() is not None:
        return
    try:
        os.killpg(proc.pid, signal.SIGTERM)
        proc.wait(timeout=10)
    except (ProcessLookupError, subprocess.TimeoutExpired):
        try:
            os.killpg(proc.pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
        proc.wait()


if __name__ == "__main__":
    sys.exit(main())
