"""test_desk.py - the console pages of the front desk and the join queue in Debian's
chromium (issue 8, items 3 and 5).

Runs the simulator and the daemon (Concorezzo's example, which enables the front desk,
with [channel] moderate_joins = yes added), makes a gestore and a delegato, puts two
requests in the queue through the simulator, and runs check_desk.mjs: the enrollment
form with an error and then a request, the printable consent form (one A4 page), the
queue with numbers in full or masked, approve and refuse; axe-core on every page,
screenshots into tests/artifacts/desk/. Then checks the database: the request waits
with method "assisted", the approved number is a subscriber, the refused one is gone,
nothing was stored for the form posted without its token.

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
import time
import unittest

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(os.path.dirname(HERE), "integration"))
import test_whatsapp_inbound as wa  # noqa: E402

ROOT = wa.ROOT
ARTIFACTS = os.path.join(ROOT, "tests", "artifacts", "desk")
PASSWORD = "sportello-di-prova-1"
DESK_PHONE = "393330006301"
QUEUED = ["393330006311", "393330006312"]


class Desk(unittest.TestCase):
    def test_desk_pages(self):
        if not os.path.isdir(os.path.join(ROOT, "tests", "node_modules", "playwright-core")):
            raise unittest.SkipTest("npm packages missing: run scripts/install-deps")
        d = wa.Deployment(extra=[("channel", "moderate_joins", "yes")])
        with open(d.config, encoding="utf-8") as f:
            text = f.read()
        text = re.sub(r"(?m)^public_url\s*=.*$", "public_url = " + d.base, text)
        with open(d.config, "w", encoding="utf-8") as f:
            f.write(text)
        tmp = tempfile.mkdtemp(prefix="banditore-desk-")
        try:
            d.start()
            for name, role, extra in (("giulia.gestore", "gestore", []),
                                      ("dario.delegato", "delegato",
                                       ["--decree", "7/2026", "--from", "2026-01-01", "--to", "2030-12-31"])):
                r = subprocess.run([wa.BANDITORE, "staff", "create", name, "--role", role, *extra,
                                    "--config", d.config, "--data-dir", d.data],
                                   input=PASSWORD + "\n", capture_output=True, text=True, timeout=60)
                self.assertEqual(r.returncode, 0, r.stderr)
            for phone in QUEUED:
                d.say(phone, "ATTIVA ISCRIZIONE")
            for phone in QUEUED:
                d.wait_received(phone, 1)
            self.assertEqual(d.query("SELECT count(*) FROM pending_joins WHERE state = 1")[0][0], 2)
            setup = os.path.join(tmp, "setup.json")
            with open(setup, "w", encoding="utf-8") as f:
                json.dump({"base": d.base, "sim_base": d.sim_base, "password": PASSWORD,
                           "gestore": "giulia.gestore", "delegato": "dario.delegato",
                           "desk_phone": DESK_PHONE, "queued": QUEUED}, f)
            node = subprocess.run(["node", os.path.join(HERE, "check_desk.mjs"), setup, ARTIFACTS],
                                  capture_output=True, text=True, timeout=600)
            print(node.stdout, node.stderr)
            if node.returncode == 77:
                raise unittest.SkipTest(node.stdout.strip().splitlines()[-1])
            self.assertEqual(node.returncode, 0, node.stdout[-4000:] + node.stderr[-2000:])
            # the desk's request waits for the citizen, with the paper form's reference
            rows = d.query("SELECT state, method, consent_detail FROM pending_joins")
            self.assertEqual(len(rows), 1, rows)
            self.assertEqual(rows[0][:2], (0, "assisted"))
            self.assertTrue(rows[0][2].startswith("modulo n. URP-2026-041 del "), rows)
            # approved: a subscriber; refused: gone; nothing from the tokenless form
            shown = d.cli("subscribers", "show", "+" + QUEUED[0])
            self.assertIn("keyword", shown.stdout)
            shown = d.cli("subscribers", "show", "+" + QUEUED[1])
            self.assertRegex(shown.stdout, r"Nessun dato conservato|No data held")
            self.assertEqual(d.received("393330006999"), [])
            actions = [a for (a,) in d.query("SELECT action FROM audit_log")]
            for a in ("subscriber.enroll", "join.approve", "join.refuse"):
                self.assertIn(a, actions)
            r = d.cli("audit", "verify")
            self.assertEqual(r.returncode, 0, r.stdout + r.stderr)
            for name in ("sportello", "sportello-errore", "modulo", "richieste", "richieste-delegato"):
                self.assertTrue(os.path.getsize(os.path.join(ARTIFACTS, name + ".png")) > 10000, name)
        finally:
            d.cleanup()
            shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    unittest.main()
