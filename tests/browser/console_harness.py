"""console_harness.py - what the console's browser tests share (test_console.py,
test_console_more.py, test_desk.py): the skip when the npm packages are missing, a
Deployment whose public_url is its own loopback address, staff accounts made with
`banditore staff create`, running a check_*.mjs script on a setup file (exit 77:
skipped; anything else but 0: failed), and its screenshots checked.

The Deployment and the simulator are the integration tests' (test_whatsapp_inbound.py).
"""
import json
import os
import re
import subprocess
import sys
import unittest

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(os.path.dirname(HERE), "integration"))
import test_whatsapp_inbound as wa  # noqa: E402

ROOT = wa.ROOT
DECREE = ["--decree", "7/2026", "--from", "2026-01-01", "--to", "2030-12-31"]


def require_npm():
    if not os.path.isdir(os.path.join(ROOT, "tests", "node_modules", "playwright-core")):
        raise unittest.SkipTest("npm packages missing: run scripts/install-deps")


def deployment(*args, **kwargs):
    """A Deployment (not started) whose public_url is its own address: the session cookie
    is Secure behind https, and here the daemon is plain http on loopback."""
    d = wa.Deployment(*args, **kwargs)
    with open(d.config, encoding="utf-8") as f:
        text = f.read()
    text = re.sub(r"(?m)^public_url\s*=.*$", "public_url = " + d.base, text)
    with open(d.config, "w", encoding="utf-8") as f:
        f.write(text)
    return d


def create_staff(test, d, accounts, password, decree=DECREE):
    """Makes each (name, role) of `accounts` with `password`; a delegato gets `decree`."""
    for name, role in accounts:
        r = subprocess.run([wa.BANDITORE, "staff", "create", name, "--role", role,
                            *(decree if role == "delegato" else []),
                            "--config", d.config, "--data-dir", d.data],
                           input=password + "\n", capture_output=True, text=True, timeout=60)
        test.assertEqual(r.returncode, 0, r.stderr)


def run_check(test, script, setup, tmp, artifacts):
    """Runs node on tests/browser/`script` with `setup` (written as JSON into `tmp`) and
    `artifacts`; skips the test when chromium cannot start. Returns the finished process."""
    path = os.path.join(tmp, "setup.json")
    with open(path, "w", encoding="utf-8") as f:
        json.dump(setup, f)
    node = subprocess.run(["node", os.path.join(HERE, script), path, artifacts],
                          capture_output=True, text=True, timeout=600)
    print(node.stdout, node.stderr)
    if node.returncode == 77:
        raise unittest.SkipTest(node.stdout.strip().splitlines()[-1])
    test.assertEqual(node.returncode, 0, node.stdout[-4000:] + node.stderr[-2000:])
    return node


def assert_screenshots(test, artifacts, names):
    """Each NAME.png of `names` is in `artifacts` and more than an empty page (10 kB)."""
    for name in names:
        test.assertTrue(os.path.getsize(os.path.join(artifacts, name + ".png")) > 10000, name)
