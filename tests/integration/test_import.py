"""Integration tests of issue 8 item 6: importing an existing broadcast list.

`banditore subscribers import --platform whatsapp FILE.csv` against a real data folder:
a good file gives one subscriber per number with its consent receipt (method "import",
the original method, date and policy version), one audit entry with the counts, and one
notice per number that reaches the WhatsApp simulator as a template once the daemon
runs; a file with broken lines stores nothing and lists every problem with its line;
--dry-run stores nothing; numbers already subscribed are reported and skipped.

Environment: BANDITORE, BANDITORE_SIM. Numbers are fictitious (+39 333 000 xxxx).
"""
import calendar
import json
import os
import sys
import time
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from test_whatsapp_inbound import Deployment  # noqa: E402

GOOD = ("number,consent_date,consent_method,policy_version\n"
        "+39 333 000 0501,2023-04-12,lista broadcast,policy 2023\n"
        "0039 333 000 0502,2022-11-30,\"modulo cartaceo\",\"v1, 2022\"\n"
        "+393330000503,2024-01-15,lista broadcast,policy 2023\n")

BROKEN = ("\ufeffnumber;consent_date;consent_method;policy_version\r\n"      # 1 BOM, CRLF, ';'
          "+39 333 000 0601;2023-04-12;lista broadcast;policy 2023\r\n"     # 2 fine
          "333 000 0602;2023-04-12;lista broadcast;policy 2023\r\n"         # 3 no +39
          "+39 333 000 0603;12/04/2023;lista broadcast;policy 2023\r\n"     # 4 bad date
          "+39 333 000 0604;2023-02-30;lista broadcast;policy 2023\r\n"     # 5 no such day
          "+39 333 000 0605;2023-04-12;lista broadcast;\r\n"                # 6 no policy version
          "+39 333 000 0606;2023-04-12;;policy 2023\r\n"                    # 7 no method
          "+39 333 000 0601;2023-05-01;lista broadcast;policy 2023\r\n"     # 8 duplicate of 2
          "+39 333 000 0608;2023-04-12;lista broadcast\r\n"                 # 9 3 columns
          "+39 333 000 0609;2023-04-12;lista;policy;extra\r\n"              # 10 5 columns
          "\r\n"                                                            # 11 blank: fine
          "+39 333 000 0612;2023-04-12;\"unclosed;policy 2023\r\n")         # 12 quote


class Import(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.d = Deployment("concorezzo")
        r = cls.d.cli("init")
        assert r.returncode == 0, r.stderr

    @classmethod
    def tearDownClass(cls):
        cls.d.cleanup()

    def write(self, name, text):
        path = os.path.join(self.d.dir, name)
        with open(path, "w", encoding="utf-8", newline="") as f:
            f.write(text)
        return path

    def importing(self, path, *extra):
        return self.d.cli("subscribers", "import", "--platform", "whatsapp", path, *extra)

    def state(self):
        return (self.d.query("SELECT count(*) FROM subscribers")[0][0],
                self.d.query("SELECT count(*) FROM outbox")[0][0],
                self.d.query("SELECT count(*) FROM audit_log WHERE action = 'subscribers.import'")[0][0])

    def test_1_broken_file_nothing_stored(self):
        before = self.state()
        r = self.importing(self.write("broken.csv", BROKEN))
        self.assertEqual(r.returncode, 1, r.stdout + r.stderr)
        lines = [l for l in r.stderr.splitlines() if l.startswith(os.path.join(self.d.dir, "broken.csv") + ":")]
        numbers = [int(l.split(":")[1]) for l in lines]
        self.assertEqual(numbers, [3, 4, 5, 6, 7, 8, 9, 10, 12], r.stderr)
        text = "\n".join(lines)
        self.assertRegex(text, r":8: .*(riga|line) 2")           # the duplicate names the first
        self.assertRegex(text, r":9: 3 (colonne|columns)")
        self.assertRegex(text, r":10: 5 (colonne|columns)")
        self.assertIn("policy_version", lines[3])
        self.assertNotIn("0601", r.stderr + r.stdout, "errors never repeat the numbers")
        self.assertEqual(self.state(), before, "nothing half-imported")
        # A file without the required columns is refused at its header.
        r = self.importing(self.write("nohead.csv", "number,consent_date\n+393330000699,2023-01-01\n"))
        self.assertEqual(r.returncode, 1)
        self.assertRegex(r.stderr, r"nohead\.csv:1: ")
        r = self.importing(self.write("empty.csv", ""))
        self.assertEqual(r.returncode, 1)
        self.assertEqual(self.state(), before)

    def test_2_dry_run_stores_nothing(self):
        before = self.state()
        r = self.importing(self.write("good.csv", GOOD), "--dry-run")
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertRegex(r.stdout, r"\b3\b")
        self.assertEqual(self.state(), before)

    def test_3_good_file_then_notices_as_templates(self):
        before = self.state()
        r = self.importing(self.write("good.csv", GOOD))
        self.assertEqual(r.returncode, 0, r.stderr)
        subs, outbox, audits = self.state()
        self.assertEqual((subs, outbox, audits), (before[0] + 3, before[1] + 3, before[2] + 1))
        rows = self.d.query("SELECT method, consent_detail, policy_version, joined_at, last_inbound_at"
                            " FROM subscribers ORDER BY id")
        noon = lambda day: calendar.timegm(time.strptime(day + " 12", "%Y-%m-%d %H"))  # noqa: E731
        self.assertEqual(rows[-3:], [("import", "lista broadcast", "policy 2023", noon("2023-04-12"), 0),
                                     ("import", "modulo cartaceo", "v1, 2022", noon("2022-11-30"), 0),
                                     ("import", "lista broadcast", "policy 2023", noon("2024-01-15"), 0)])
        shown = self.d.cli("subscribers", "show", "+393330000502")
        self.assertIn("import:modulo cartaceo", shown.stdout)
        details = self.d.query("SELECT details FROM audit_log WHERE action = 'subscribers.import'"
                               " ORDER BY seq DESC LIMIT 1")[0][0]
        self.assertEqual(json.loads(details), {"imported": 3, "skipped": 0, "platform": "whatsapp"})
        for number in ("393330000501", "393330000502"):
            for blob in self.d.query("SELECT sealed FROM subscribers") + self.d.query("SELECT sealed FROM outbox"):
                self.assertNotIn(number.encode(), blob[0])

        # Importing again: every number already subscribed is reported and skipped.
        r = self.importing(self.write("good.csv", GOOD))
        self.assertEqual(r.returncode, 0, r.stderr)
        for line in (2, 3, 4):
            self.assertRegex(r.stdout, r"(riga|line) %d: " % line)
        self.assertEqual(self.state()[:2], (subs, outbox), "no second notice")

        # The daemon sends the notices: templates, one per number.
        self.d.start()
        for number in ("393330000501", "393330000502", "393330000503"):
            msgs = self.d.wait_received(number, 1)
            self.assertEqual(len(msgs), 1)
            m = msgs[0]
            self.assertEqual(m["type"], "template", m)
            self.assertEqual(m["template"]["name"], "avviso_comune")
            self.assertEqual(m["template"]["language"], "it")
            self.assertEqual(len(m["template"]["params"]), 1)
            self.assertIn("lista broadcast", m["template"]["params"][0])
            self.assertIn("DISATTIVA ISCRIZIONE", m["template"]["params"][0])
        self.d.wait_outbox_empty()
        # An imported number leaves like anyone else.
        self.d.say("393330000501", "DISATTIVA ISCRIZIONE")
        self.d.wait_received("393330000501", 2)
        self.assertEqual(self.d.query("SELECT count(*) FROM subscribers")[0][0], subs - 1)


if __name__ == "__main__":
    unittest.main(verbosity=2)
