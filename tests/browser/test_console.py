"""test_console.py - the staff console in Debian's chromium (issue 5, items 6 and 7).

Runs the simulator and the daemon (the integration tests' Deployment, Concorezzo's
example without its policy sections so the message goes out whatever the hour), makes
the accounts with `banditore staff create`, subscribes three fictitious phones through
the simulator, and runs check_console.mjs: the journey from proposal to the phones,
403 pages, CSRF, lockout, a revoked delegate thrown out, axe-core on every page,
screenshots into tests/artifacts/console/. Then checks the database: the form posted
without its token stored nothing, and `banditore audit verify` finds the log intact.

Exit 77 (skipped) when chromium or the npm packages are missing.
Environment: BANDITORE, BANDITORE_SIM.
"""
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import unittest

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(os.path.dirname(HERE), "integration"))
import test_whatsapp_inbound as wa  # noqa: E402

ROOT = wa.ROOT
ARTIFACTS = os.path.join(ROOT, "tests", "artifacts", "console")
PASSWORD = "console-di-prova-1"
PHONES = ["393330000101", "393330000102", "393330000103"]
ACCOUNTS = {"proponente": "anna.proponente", "delegato": "dario.delegato",
            "gestore": "giulia.gestore", "revocato": "elena.delegata", "bloccato": "luca.bloccato"}


class Console(unittest.TestCase):
    def test_console_journey(self):
        if not os.path.isdir(os.path.join(ROOT, "tests", "node_modules", "playwright-core")):
            raise unittest.SkipTest("npm packages missing: run scripts/install-deps")
        d = wa.Deployment()
        # the cookie is Secure behind https: here the daemon is plain http on loopback
        with open(d.config, encoding="utf-8") as f:
            text = f.read()
        text = re.sub(r"(?m)^public_url\s*=.*$", "public_url = " + d.base, text)
        with open(d.config, "w", encoding="utf-8") as f:
            f.write(text)
        tmp = tempfile.mkdtemp(prefix="banditore-console-")
        try:
            d.start()
            decree = ["--decree", "7/2026", "--from", "2026-01-01", "--to", "2030-12-31"]
            for role, name in ACCOUNTS.items():
                real = {"revocato": "delegato", "bloccato": "proponente"}.get(role, role)
                r = subprocess.run([wa.BANDITORE, "staff", "create", name, "--role", real,
                                    *(decree if real == "delegato" else []),
                                    "--config", d.config, "--data-dir", d.data],
                                   input=PASSWORD + "\n", capture_output=True, text=True, timeout=60)
                self.assertEqual(r.returncode, 0, r.stderr)
            for phone in PHONES:
                d.say(phone, "ATTIVA ISCRIZIONE")
            for phone in PHONES:
                d.wait_received(phone, 1)
            setup = os.path.join(tmp, "setup.json")
            with open(setup, "w", encoding="utf-8") as f:
                json.dump({"base": d.base, "sim_base": d.sim_base, "password": PASSWORD,
                           "phones": PHONES, "accounts": ACCOUNTS}, f)
            node = subprocess.run(["node", os.path.join(HERE, "check_console.mjs"), setup, ARTIFACTS],
                                  capture_output=True, text=True, timeout=600)
            print(node.stdout, node.stderr)
            if node.returncode == 77:
                raise unittest.SkipTest(node.stdout.strip().splitlines()[-1])
            self.assertEqual(node.returncode, 0, node.stdout[-4000:] + node.stderr[-2000:])
            # the form without its token stored nothing; the one proposed is there
            titles = [t for (t,) in d.query("SELECT title FROM messages")]
            self.assertIn("Chiusura di via Roma", titles)
            self.assertNotIn("SENZA TOKEN", titles)
            self.assertEqual(d.query("SELECT count(*) FROM messages")[0][0], 2)
            # the update proposed from the form names the sent message it replaces
            self.assertEqual(d.query("SELECT u.replaces = o.id FROM messages u, messages o"
                                     " WHERE u.title = 'Via Roma riaperta'"
                                     " AND o.title = 'Chiusura di via Roma'"), [(1,)])
            # every phone got the broadcast, each as its own one-to-one message
            for phone in PHONES:
                msgs = d.received(phone)
                self.assertTrue(any("via Roma" in json.dumps(m, ensure_ascii=False) for m in msgs), msgs)
            r = d.cli("audit", "verify")
            self.assertEqual(r.returncode, 0, r.stdout + r.stderr)
            for name in ("accesso", "cruscotto", "scrivi", "messaggi", "approvazioni", "iscritti",
                         "staff", "registro", "negato-403", "accesso-bloccato"):
                self.assertTrue(os.path.getsize(os.path.join(ARTIFACTS, name + ".png")) > 10000, name)
        finally:
            d.cleanup()
            shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    unittest.main()
