"""Integration tests of issue #8, items 3 and 5: the front desk and the moderation of joins.

The real daemon runs against the simulator (banditore-sim) on a real SQLite file.

Front desk (Concorezzo's example: [channel] assisted_enrollment = yes): staff enter a
citizen's number and the reference of the signed paper form through the API; nothing is
subscribed, the citizen receives a question as a TEMPLATE (they never wrote to the
comune, so free-form text is not allowed) and only their "Sì" subscribes them, with a
receipt of method "assisted" and the form's reference. An answer that is neither yes
nor no gets help, "No" and an expired request leave nothing: the database and its WAL
are scanned for the number and for the sealed bytes the request held. Every bad input
is refused in Italian and stores nothing (database snapshot before and after).

Moderation (Sesto Calende's example: [channel] moderate_joins = yes): the keyword's
join waits in the queue; staff list it (the number in full for a gestore, masked for a
delegato), approve it (receipt, welcome) or refuse it (erased, the citizen told); an
expired request is gone; a decision days later goes out as a template.

Environment: BANDITORE, BANDITORE_SIM. Numbers are fictitious (+39 333 000 6xxx).
"""
import json
import os
import sqlite3
import subprocess
import sys
import time
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import harness  # noqa: E402
from test_whatsapp_inbound import BANDITORE, Deployment, text_of  # noqa: E402
from test_permissions import PASSWORD, Client  # noqa: E402


def today(offset=0):
    return time.strftime("%Y-%m-%d", time.localtime(time.time() + offset * 86400))


def staff(d, name, role, *extra):
    r = subprocess.run([BANDITORE, "staff", "create", name, "--role", role, *extra,
                        "--config", d.config, "--data-dir", d.data],
                       input=PASSWORD + "\n", capture_output=True, text=True, timeout=60)
    assert r.returncode == 0, (r.stdout, r.stderr)


def login(d, name, source):
    c = Client(d.base, source)
    status, data = c.login(name)
    assert status == 201, (status, data)
    return c


def age(d, seconds, where="1 = 1"):
    con = sqlite3.connect(d.db, timeout=10)
    con.execute("UPDATE pending_joins SET created_at = created_at - ? WHERE " + where, (seconds,))
    con.commit()
    con.close()


def file_bytes(d):
    blobs = b""
    for suffix in ("", "-wal"):
        try:
            with open(d.db + suffix, "rb") as f:
                blobs += f.read()
        except FileNotFoundError:
            pass
    return blobs


class Common:
    """Helpers both classes share (a mixin over unittest.TestCase)."""

    def pending(self):
        return self.d.query("SELECT sealed, state, method, consent_detail, ref FROM pending_joins "
                            "WHERE platform = 1")

    def subscriber(self, number):
        r = self.d.cli("subscribers", "show", "+" + number)
        self.assertEqual(r.returncode, 0, r.stderr)
        return r.stdout

    def assert_not_subscribed(self, number):
        self.assertRegex(self.subscriber(number), r"Nessun dato conservato|No data held")

    def assert_erased(self, number, sealed):
        """Neither the number (in any form) nor the request's sealed bytes are left in
        the database file or its WAL once the replies went."""
        d = self.d
        d.wait_outbox_empty()
        deadline = time.time() + 5
        while True:
            blobs = file_bytes(d)
            leaks = [n for n in (number.encode(), ("+" + number).encode(), number[2:].encode())
                     if n in blobs]
            leaks += ["sealed request"] if any(s in blobs for s in sealed) else []
            if not leaks or time.time() > deadline:
                break
            time.sleep(0.1)
        self.assertEqual(leaks, [], "still in the files: %r" % leaks)

    def snapshot(self):
        q = self.d.query
        return (q("SELECT count(*) FROM subscribers")[0][0],
                q("SELECT count(*) FROM pending_joins")[0][0],
                q("SELECT count(*) FROM outbox")[0][0],
                q("SELECT count(*) FROM audit_log")[0][0])

    def audit_has_no_number(self, number):
        """Neither the audit log nor the daemon's log names the number."""
        details = json.dumps(self.d.query("SELECT actor, action, object, details FROM audit_log"))
        log = harness.read_log(self.d.server)
        self.assertIn("join-", log)  # the log does speak of the joins
        for form in (number, number[2:], number[-7:]):
            self.assertNotIn(form, details)
            self.assertNotIn(form, log)


class FrontDesk(Common, unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.d = Deployment(example="concorezzo").start()
        staff(cls.d, "sportello", "gestore")
        staff(cls.d, "assessore", "proponente")
        cls.desk = login(cls.d, "sportello", "192.0.2.60")
        cls.proposer = login(cls.d, "assessore", "192.0.2.61")

    @classmethod
    def tearDownClass(cls):
        cls.d.cleanup()

    def enroll(self, number, form="A-17", date=None, client=None):
        body = {"number": "+" + number, "form_number": form, "form_date": date or today()}
        status, data, _ = (client or self.desk).request("POST", "/api/v1/subscribers/enroll", body)
        return status, data

    def enrolled(self, number, form="A-17"):
        """Enrolls `number`; checks that only the request is stored and the question is a
        template. Returns the sealed bytes the request holds."""
        before_subs = self.d.query("SELECT count(*) FROM subscribers")[0][0]
        n = len(self.d.received(number))
        status, data = self.enroll(number, form)
        self.assertEqual(status, 202, data)
        self.assertTrue(data["queued"])
        self.assertEqual(data["method"], "assisted")
        self.assertEqual(self.d.query("SELECT count(*) FROM subscribers")[0][0], before_subs,
                         "nobody is subscribed by staff")
        msg = self.d.wait_received(number, n + 1)[-1]
        self.assertEqual(msg["type"], "template", msg)
        self.assertEqual(msg["template"]["name"], "avviso_comune")
        text = " ".join(msg["template"]["params"])
        self.assertIn("sportello", text)
        self.assertIn("SÌ", text)
        self.assertNotIn("\n", text)
        rows = [r for r in self.pending() if r[3] == "modulo n. %s del %s" % (form, today())]
        self.assertEqual(len(rows), 1, self.pending())
        self.assertEqual((rows[0][1], rows[0][2]), (0, "assisted"))
        self.assertNotIn(number.encode(), rows[0][0], "only sealed")
        return [rows[0][0]]

    def test_yes_subscribes_with_assisted_receipt(self):
        d = self.d
        number = "393330006001"
        audit_before = d.query("SELECT coalesce(max(seq), 0) FROM audit_log")[0][0]
        self.enrolled(number, "A-17")
        d.say(number, "Sì")
        msgs = d.wait_received(number, 2)
        self.assertIn("WhatsConcorezzo", text_of(msgs[1]))
        shown = self.subscriber(number)
        self.assertIn("assisted", shown)
        self.assertIn("modulo n. A-17 del %s" % today(), shown)
        row = d.query("SELECT method, consent_detail FROM subscribers WHERE method = 'assisted'")
        self.assertIn(("assisted", "modulo n. A-17 del %s" % today()), row)
        self.assertEqual([r for r in self.pending() if "A-17" in r[3]], [])
        # the audit: the enrollment with the paper form, never the number
        entries = d.query("SELECT action, object, details FROM audit_log WHERE seq > ?", (audit_before,))
        enroll = [e for e in entries if e[0] == "subscriber.enroll"]
        self.assertEqual(len(enroll), 1, entries)
        self.assertEqual(json.loads(enroll[0][2])["form_number"], "A-17")
        self.audit_has_no_number(number)
        # leaving afterwards erases everything, as for any subscriber
        sealed = [r[0] for r in d.query("SELECT sealed FROM subscribers WHERE consent_detail LIKE "
                                          "'modulo n. A-17 %'")]
        self.assertEqual(len(sealed), 1)
        d.say(number, "DISATTIVA ISCRIZIONE")
        d.wait_received(number, 3)
        self.assert_not_subscribed(number)
        self.assert_erased(number, sealed)

    def test_bad_inputs_refused_in_italian_and_nothing_stored(self):
        d = self.d
        member = "393330006010"
        d.say(member, "ATTIVA ISCRIZIONE")
        d.wait_received(member, 1)
        expelled = "393330006011"
        d.say(expelled, "ATTIVA ISCRIZIONE")
        d.wait_received(expelled, 1)
        status, data, _ = self.desk.request("POST", "/api/v1/subscribers/expel",
                                            {"number": "+" + expelled, "reason": "Offese ripetute."})
        self.assertEqual(status, 200, data)
        d.wait_outbox_empty()
        before = self.snapshot()
        cases = [
            ({"number": "12345", "form_number": "A-1", "form_date": today()}, 422, "number", "numero non è valido"),
            ({"number": "", "form_number": "A-1", "form_date": today()}, 422, "number", "numero"),
            ({"number": "+393330006012", "form_number": "", "form_date": today()}, 422, "form_number", "Manca il numero del modulo"),
            ({"number": "+393330006012", "form_date": today()}, 422, "form_number", "Manca il numero del modulo"),
            ({"number": "+393330006012", "form_number": "x" * 41, "form_date": today()}, 422, "form_number", "troppo lungo"),
            ({"number": "+393330006012", "form_number": "A\u0007", "form_date": today()}, 422, "form_number", "non ammessi"),
            ({"number": "+393330006012", "form_number": "A-1"}, 422, "form_date", "Manca la data"),
            ({"number": "+393330006012", "form_number": "A-1", "form_date": "2026-02-30"}, 422, "form_date", "non è una data valida"),
            ({"number": "+393330006012", "form_number": "A-1", "form_date": "29/11/2026"}, 422, "form_date", "non è una data valida"),
            ({"number": "+393330006012", "form_number": "A-1", "form_date": today(2)}, 422, "form_date", "nel futuro"),
            ({"number": "+" + member, "form_number": "A-1", "form_date": today()}, 409, "number", "già iscritto"),
            ({"number": "+" + expelled, "form_number": "A-1", "form_date": today()}, 409, "number", "estromesso"),
        ]
        for body, status_want, field, words in cases:
            with self.subTest(body=body):
                status, data, _ = self.desk.request("POST", "/api/v1/subscribers/enroll", body)
                self.assertEqual(status, status_want, data)
                self.assertEqual(data.get("field"), field, data)
                self.assertIn(words, data["message"])
                self.assertTrue(data["message_en"])
                self.assertEqual(self.snapshot(), before, "nothing stored")
        status, data, _ = self.desk.request("POST", "/api/v1/subscribers/enroll", b"non json")
        self.assertEqual(status, 400)
        self.assertEqual(self.snapshot(), before)
        # a proponente may not enroll (permission matrix)
        status, data = self.enroll("393330006013", client=self.proposer)
        self.assertEqual(status, 403, data)
        self.assertEqual(self.snapshot(), before)
        self.assertEqual(d.received("393330006012"), [])
        self.assertEqual(d.received("393330006013"), [])

    def test_other_answer_then_no_leaves_nothing(self):
        d = self.d
        number = "393330006020"
        sealed = self.enrolled(number, "B-2")
        d.say(number, "forse domani")
        msgs = d.wait_received(number, 2)
        self.assertIn("Rispondi SÌ", text_of(msgs[1]))
        self.assert_not_subscribed(number)
        d.say(number, "No")
        msgs = d.wait_received(number, 3)
        self.assertRegex(text_of(msgs[2]), r"annullata")
        self.assertEqual([r for r in self.pending() if r[3] == "modulo n. B-2 del %s" % today()], [])
        self.assert_not_subscribed(number)
        self.assert_erased(number, sealed)

    def test_expired_request_leaves_nothing(self):
        d = self.d
        number = "393330006030"
        sealed = self.enrolled(number, "C-3")
        age(d, 49 * 3600, "consent_detail LIKE 'modulo n. C-3 %'")  # confirm_within_hours = 48
        d.say(number, "Sì")
        msgs = d.wait_received(number, 2)
        # no request is waiting any more: "Sì" is an ordinary message (the auto-reply)
        self.assertNotIn("benvenuto", text_of(msgs[1]).lower())
        self.assert_not_subscribed(number)
        self.assertEqual([r for r in self.pending() if "C-3" in r[3]], [])
        self.assert_erased(number, sealed)

    def test_enrolling_again_replaces_the_question(self):
        d = self.d
        number = "393330006040"
        self.enrolled(number, "D-4")
        # the same form posted twice does not send a second (paid) question
        status, data = self.enroll(number, "D-4")
        self.assertEqual(status, 409, data)
        self.assertEqual(data["error"], "asked_recently")
        self.assertIn("pochi minuti", data["message"])
        self.assertEqual(len(self.d.received(number)), 1)
        # ten minutes later, a new form replaces the question
        age(self.d, 11 * 60, "consent_detail LIKE 'modulo n. D-4 %'")
        self.enrolled(number, "D-5")
        rows = [r for r in self.pending() if "D-" in r[3]]
        self.assertEqual(len(rows), 1, "one request per number")
        self.assertIn("D-5", rows[0][3])
        d.say(number, "si")
        d.wait_received(number, 3)
        self.assertIn("modulo n. D-5", self.subscriber(number))


class Moderation(Common, unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.d = Deployment(example="sesto-calende").start()
        staff(cls.d, "ufficio", "gestore")
        staff(cls.d, "delegata", "delegato", "--decree", "3/2026", "--from", today(-10), "--to", today(300))
        staff(cls.d, "proponente", "proponente")
        cls.manager = login(cls.d, "ufficio", "192.0.2.70")
        cls.delegate = login(cls.d, "delegata", "192.0.2.71")
        cls.proposer = login(cls.d, "proponente", "192.0.2.72")

    @classmethod
    def tearDownClass(cls):
        cls.d.cleanup()

    def queued(self, number):
        """The keyword: the request waits, the citizen is told; returns its queue id."""
        d = self.d
        n = len(d.received(number))
        d.say(number, "ATTIVA ISCRIZIONE")
        msg = d.wait_received(number, n + 1)[-1]
        self.assertIn("l'ufficio la verifica", text_of(msg))
        self.assert_not_subscribed(number)
        status, data, _ = self.manager.request("GET", "/api/v1/joins")
        self.assertEqual(status, 200, data)
        self.assertTrue(data["enabled"])
        mine = [q for q in data["requests"] if q["number"] == "+" + number]
        self.assertEqual(len(mine), 1, data)
        self.assertFalse(mine[0]["masked"])
        self.assertEqual(mine[0]["method"], "keyword")
        return mine[0]["id"]

    def test_approve_subscribes_and_welcomes(self):
        d = self.d
        number = "393330006101"
        ref = self.queued(number)
        # the same keyword again: still one request, the citizen told it waits
        d.say(number, "ATTIVA ISCRIZIONE")
        self.assertIn("l'ufficio la verifica", text_of(d.wait_received(number, 2)[-1]))
        self.assertEqual(len([r for r in self.pending() if r[4] == ref]), 1)
        # a delegato sees the number masked, a proponente not at all
        status, data, _ = self.delegate.request("GET", "/api/v1/joins")
        self.assertEqual(status, 200)
        masked = [q for q in data["requests"] if q["id"] == ref][0]
        self.assertTrue(masked["masked"])
        self.assertNotIn(number[5:-2], masked["number"])
        self.assertTrue(masked["number"].endswith(number[-2:]))
        self.assertEqual(self.proposer.request("GET", "/api/v1/joins")[0], 403)
        before = self.snapshot()
        self.assertEqual(self.proposer.request("POST", "/api/v1/joins/%s/approve" % ref)[0], 403)
        self.assertEqual(self.snapshot(), before)
        status, data, _ = self.manager.request("POST", "/api/v1/joins/%s/approve" % ref)
        self.assertEqual(status, 200, data)
        self.assertTrue(data["joined"])
        msg = d.wait_received(number, 3)[-1]
        self.assertEqual(msg["type"], "text")
        self.assertIn("Ti diamo il benvenuto", text_of(msg))
        self.assertIn("keyword", self.subscriber(number))
        self.assertEqual([r for r in self.pending() if r[4] == ref], [])
        # decided: a second decision finds nothing
        status, data, _ = self.manager.request("POST", "/api/v1/joins/%s/refuse" % ref)
        self.assertEqual(status, 404, data)
        self.assertIn("non c'è più", data["message"])
        actions = [a for (a,) in d.query("SELECT action FROM audit_log")]
        self.assertIn("join.approve", actions)
        self.audit_has_no_number(number)

    def test_refuse_tells_and_erases(self):
        d = self.d
        number = "393330006102"
        ref = self.queued(number)
        sealed = [r[0] for r in self.pending() if r[4] == ref]
        status, data, _ = self.manager.request("POST", "/api/v1/joins/%s/refuse" % ref)
        self.assertEqual(status, 200, data)
        msg = d.wait_received(number, 2)[-1]
        self.assertIn("non è stata accolta", text_of(msg))
        self.assert_not_subscribed(number)
        self.assertEqual([r for r in self.pending() if r[4] == ref], [])
        self.assertIn("join.refuse", [a for (a,) in d.query("SELECT action FROM audit_log")])
        self.assert_erased(number, sealed)
        self.audit_has_no_number(number)

    def test_leaving_while_waiting_and_after_approval_erases(self):
        d = self.d
        number = "393330006103"
        ref = self.queued(number)
        sealed = [r[0] for r in self.pending() if r[4] == ref]
        d.say(number, "DISATTIVA ISCRIZIONE")
        d.wait_received(number, 2)
        self.assertEqual([r for r in self.pending() if r[4] == ref], [])
        self.assertEqual(self.manager.request("POST", "/api/v1/joins/%s/approve" % ref)[0], 404)
        self.assert_erased(number, sealed)
        # joined through the queue, then left: nothing either
        ref = self.queued(number)
        self.assertEqual(self.manager.request("POST", "/api/v1/joins/%s/approve" % ref)[0], 200)
        d.wait_received(number, 4)
        sealed = [r[0] for r in d.query("SELECT sealed FROM subscribers ORDER BY id DESC LIMIT 1")]
        d.say(number, "DISATTIVA ISCRIZIONE")
        d.wait_received(number, 5)
        self.assert_not_subscribed(number)
        self.assert_erased(number, sealed)

    def test_expired_and_unknown_requests(self):
        d = self.d
        number = "393330006104"
        ref = self.queued(number)
        sealed = [r[0] for r in self.pending() if r[4] == ref]
        age(d, 15 * 86400, "ref = '%s'" % ref)  # moderate_within_days = 14
        status, data, _ = self.manager.request("POST", "/api/v1/joins/%s/approve" % ref)
        self.assertEqual(status, 410, data)
        self.assertIn("scaduta", data["message"])
        self.assert_not_subscribed(number)
        self.assertEqual([r for r in self.pending() if r[4] == ref], [])
        self.assert_erased(number, sealed)
        for bad in ("0123456789abcdef", "NOT-HEX", "x" * 40):
            status, data, _ = self.manager.request("POST", "/api/v1/joins/%s/approve" % bad)
            self.assertEqual(status, 404, (bad, data))

    def test_decision_after_the_window_is_a_template(self):
        d = self.d
        number = "393330006105"
        ref = self.queued(number)
        age(d, 25 * 3600, "ref = '%s'" % ref)
        status, data, _ = self.manager.request("POST", "/api/v1/joins/%s/approve" % ref)
        self.assertEqual(status, 200, data)
        msg = d.wait_received(number, 2)[-1]
        self.assertEqual(msg["type"], "template", msg)
        self.assertEqual(msg["template"]["name"], "avviso_imprese")
        self.assertIn("benvenuto", " ".join(msg["template"]["params"]))
        # the 24-hour window of the new subscriber counts from their own message
        last = d.query("SELECT last_inbound_at, joined_at FROM subscribers ORDER BY id DESC LIMIT 1")[0]
        self.assertLess(last[0], last[1] - 24 * 3600)


class ModerationAfterConfirmation(Common, unittest.TestCase):
    """Two steps and moderation together: the "Sì" puts the request in the queue."""

    @classmethod
    def setUpClass(cls):
        cls.d = Deployment(example="sesto-calende", extra=[("keywords", "confirm_join", "yes")]).start()
        staff(cls.d, "ufficio", "gestore")
        cls.manager = login(cls.d, "ufficio", "192.0.2.80")

    @classmethod
    def tearDownClass(cls):
        cls.d.cleanup()

    def test_yes_then_approval(self):
        d = self.d
        number = "393330006201"
        d.say(number, "ATTIVA ISCRIZIONE")
        self.assertEqual(d.wait_received(number, 1)[0]["type"], "interactive")
        self.assertEqual([r[1] for r in self.pending()], [0])
        d.say(number, "Sì")
        self.assertIn("l'ufficio la verifica", text_of(d.wait_received(number, 2)[-1]))
        self.assertEqual([r[1] for r in self.pending()], [1])
        self.assert_not_subscribed(number)
        data = self.manager.request("GET", "/api/v1/joins")[1]
        self.assertEqual([q["method"] for q in data["requests"]], ["keyword-confirm"])
        ref = data["requests"][0]["id"]
        self.assertEqual(self.manager.request("POST", "/api/v1/joins/%s/approve" % ref)[0], 200)
        d.wait_received(number, 3)
        self.assertIn("keyword-confirm", self.subscriber(number))

    def test_no_withdraws_a_queued_request(self):
        d = self.d
        number = "393330006202"
        d.say(number, "ATTIVA ISCRIZIONE")
        d.wait_received(number, 1)
        d.say(number, "si")
        d.wait_received(number, 2)
        sealed = [r[0] for r in self.pending()]
        d.say(number, "No")
        self.assertRegex(text_of(d.wait_received(number, 3)[-1]), r"annullata")
        self.assertEqual(self.pending(), [])
        self.assert_erased(number, sealed)


if __name__ == "__main__":
    unittest.main(verbosity=2)
