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
import os
import shutil
import tempfile
import unittest

import console_harness as ch

ROOT = ch.ROOT
ARTIFACTS = os.path.join(ROOT, "tests", "artifacts", "desk")
PASSWORD = "sportello-di-prova-1"
DESK_PHONE = "393330006301"
QUEUED = ["393330006311", "393330006312"]


class Desk(unittest.TestCase):
    def test_desk_pages(self):
        ch.require_npm()
        d = ch.deployment(extra=[("channel", "moderate_joins", "yes")])
        tmp = tempfile.mkdtemp(prefix="banditore-desk-")
        try:
            d.start()
            ch.create_staff(self, d, [("giulia.gestore", "gestore"), ("dario.delegato", "delegato")], PASSWORD)
            for phone in QUEUED:
                d.say(phone, "ATTIVA ISCRIZIONE")
            for phone in QUEUED:
                d.wait_received(phone, 1)
            self.assertEqual(d.query("SELECT count(*) FROM pending_joins WHERE state = 1")[0][0], 2)
            ch.run_check(self, "check_desk.mjs", {"base": d.base, "sim_base": d.sim_base, "password": PASSWORD,
                                                  "gestore": "giulia.gestore", "delegato": "dario.delegato",
                                                  "desk_phone": DESK_PHONE, "queued": QUEUED}, tmp, ARTIFACTS)
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
            ch.assert_screenshots(self, ARTIFACTS, (
                "sportello", "sportello-errore", "modulo", "richieste", "richieste-delegato"))
        finally:
            d.cleanup()
            shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    unittest.main()
