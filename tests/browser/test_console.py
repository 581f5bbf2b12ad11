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
import shutil
import tempfile
import unittest

import console_harness as ch

ROOT = ch.ROOT
ARTIFACTS = os.path.join(ROOT, "tests", "artifacts", "console")
PASSWORD = "console-di-prova-1"
PHONES = ["393330000101", "393330000102", "393330000103"]
ACCOUNTS = {"proponente": "anna.proponente", "delegato": "dario.delegato",
            "gestore": "giulia.gestore", "revocato": "elena.delegata", "bloccato": "luca.bloccato"}


class Console(unittest.TestCase):
    def test_console_journey(self):
        ch.require_npm()
        d = ch.deployment()
        tmp = tempfile.mkdtemp(prefix="banditore-console-")
        try:
            d.start()
            ch.create_staff(self, d, [(name, {"revocato": "delegato", "bloccato": "proponente"}.get(role, role))
                                      for role, name in ACCOUNTS.items()], PASSWORD)
            for phone in PHONES:
                d.say(phone, "ATTIVA ISCRIZIONE")
            for phone in PHONES:
                d.wait_received(phone, 1)
            ch.run_check(self, "check_console.mjs", {"base": d.base, "sim_base": d.sim_base, "password": PASSWORD,
                                                     "phones": PHONES, "accounts": ACCOUNTS}, tmp, ARTIFACTS)
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
            ch.assert_screenshots(self, ARTIFACTS, (
                "accesso", "cruscotto", "scrivi", "messaggi", "approvazioni", "iscritti", "staff",
                "registro", "negato-403", "accesso-bloccato"))
        finally:
            d.cleanup()
            shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    unittest.main()
