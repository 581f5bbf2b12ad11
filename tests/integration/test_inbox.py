"""The inbox of keep-until-answered mode (issue 5, item 6; Seveso art. 5: private messages
deleted promptly after the reply), over the JSON API the console uses.

The real daemon runs Seveso's configuration against the simulator. A citizen writes; a
gestore lists the kept message opened (number, text, expiry), replies: the phone gets
the reply, the kept row is gone, the audit says who answered which kept message without
the number or either text, and neither text is left in the database or its WAL; a reply
WhatsApp refuses for now waits in the outbox sealed, and goes out whole later. Then:
delete without reply, a reply after WhatsApp's 24-hour window (409, the message stays),
an empty reply (422, nothing changes), an unknown id (404), a proponente (403, nothing
changes), a token without the scope inbox:manage (403) and one with it (200).

Environment: BANDITORE, BANDITORE_SIM. Numbers are fictitious (+39 333 000 8xxx).
"""
import json
import os
import sqlite3
import sys
import time
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from test_permissions import Client, PASSWORD  # noqa: E402
from test_whatsapp_inbound import BANDITORE, Deployment, http  # noqa: E402
import subprocess  # noqa: E402


def faults(d, settings):
    """Sets the simulator's faults (the WhatsApp Cloud API's answers)."""
    status, raw = http("POST", d.sim_base + "/sim/faults", json.dumps(settings).encode(),
                       {"Content-Type": "application/json"})
    assert status == 200, raw


class Inbox(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        # only WhatsApp: the example may list platforms whose secrets this test does not make
        cls.d = Deployment(example="seveso", extra=[("channel", "platforms", "whatsapp")]).start()
        for name, role in (("stampa", "gestore"), ("assessore", "proponente")):
            r = subprocess.run([BANDITORE, "staff", "create", name, "--role", role,
                                "--config", cls.d.config, "--data-dir", cls.d.data],
                               input=PASSWORD + "\n", capture_output=True, text=True, timeout=60)
            assert r.returncode == 0, r.stderr
        cls.gestore = Client(cls.d.base, "192.0.2.40")
        assert cls.gestore.login("stampa")[0] == 201
        cls.proponente = Client(cls.d.base, "192.0.2.41")
        assert cls.proponente.login("assessore")[0] == 201

    @classmethod
    def tearDownClass(cls):
        cls.d.cleanup()

    def kept_from(self, number, text, already=1):
        """The citizen joins (unless told it has) and writes `text`; returns the kept id."""
        if not already:
            self.d.say(number, "ATTIVA ISCRIZIONE")
            self.d.wait_received(number, 1)
        before = len(self.d.received(number))
        self.d.say(number, text)
        self.d.wait_received(number, before + 1)  # the acknowledgement
        deadline = time.time() + 10
        while time.time() < deadline:
            status, data, _ = self.gestore.request("GET", "/api/v1/inbox")
            self.assertEqual(status, 200, data)
            mine = [m for m in data["messages"] if m["text"] == text]
            if mine:
                return mine[0]
            time.sleep(0.05)
        raise AssertionError("not kept: " + text)

    def kept_count(self):
        return self.d.query("SELECT count(*) FROM kept_messages")[0][0]

    def audit_since(self, seq):
        return self.d.query("SELECT action, object, details FROM audit_log WHERE seq > ? ORDER BY seq",
                            (seq,))

    def audit_head(self):
        return self.d.query("SELECT coalesce(max(seq), 0) FROM audit_log")[0][0]

    def test_reply_then_deleted_and_nothing_left(self):
        number, text = "393330008001", "Segnalo un lampione spento in via Garibaldi 12"
        kept = self.kept_from(number, text, already=0)
        self.assertEqual(kept["number"].lstrip("+"), number)
        self.assertEqual(kept["platform"], "whatsapp")
        self.assertTrue(kept["can_reply"])
        # the expiry is Seveso's keep_days (7) after the message
        received = time.mktime(time.strptime(kept["received_at"], "%Y-%m-%dT%H:%M:%SZ"))
        expires = time.mktime(time.strptime(kept["expires_at"], "%Y-%m-%dT%H:%M:%SZ"))
        self.assertEqual(expires - received, 7 * 86400)
        head = self.audit_head()
        got = len(self.d.received(number))
        answer = "Grazie, abbiamo avvisato l'ufficio tecnico: interverrà entro venerdì."
        status, data, _ = self.gestore.request("POST", "/api/v1/inbox/%d/reply" % kept["id"], {"text": answer})
        self.assertEqual(status, 202, data)
        msgs = self.d.wait_received(number, got + 1)
        self.assertIn("ufficio tecnico", json.dumps(msgs[-1], ensure_ascii=False))
        self.assertEqual(self.d.query("SELECT count(*) FROM kept_messages WHERE id = ?", (kept["id"],))[0][0], 0)
        status, data, _ = self.gestore.request("GET", "/api/v1/inbox")
        self.assertNotIn(kept["id"], [m["id"] for m in data["messages"]])
        entries = self.audit_since(head)
        self.assertEqual([(a, o) for (a, o, _) in entries], [("inbox.reply", "inbox")])
        self.assertEqual(json.loads(entries[0][2]), {"kept_id": kept["id"]})
        blob = json.dumps(self.d.query("SELECT * FROM audit_log"), default=repr)
        for secret in (number, text, answer, "lampione", "ufficio tecnico"):
            self.assertNotIn(secret, blob)
        # a second reply to the same message: gone
        status, data, _ = self.gestore.request("POST", "/api/v1/inbox/%d/reply" % kept["id"], {"text": "ancora"})
        self.assertEqual(status, 404, data)
        # neither text is left in the database file or its write-ahead log
        self.d.wait_outbox_empty()
        deadline = time.time() + 10
        while True:
            raw = b""
            for suffix in ("", "-wal"):
                path = self.d.db + suffix
                if os.path.exists(path):
                    with open(path, "rb") as f:
                        raw += f.read()
            left = [s for s in (text, answer, "lampione", "ufficio tecnico") if s.encode() in raw]
            if not left or time.time() > deadline:
                break
            time.sleep(0.2)
        self.assertEqual(left, [])

    def test_reply_waiting_to_be_sent_is_sealed(self):
        # WhatsApp answers 500 to every send: the reply waits in the outbox, retried later
        number = "393330008005"
        kept = self.kept_from(number, "Vorrei sapere l'esito della mia pratica", already=0)
        answer = "La sua pratica 4471-QUERCIA per il passo carraio e' stata approvata ieri."
        got = len(self.d.received(number))
        faults(self.d, {"error-500": 1})
        try:
            status, data, _ = self.gestore.request("POST", "/api/v1/inbox/%d/reply" % kept["id"],
                                                   {"text": answer})
            self.assertEqual(status, 202, data)
            deadline = time.time() + 15
            while not self.d.query("SELECT count(*) FROM outbox WHERE kind = 'reply' AND attempts > 0")[0][0]:
                self.assertLess(time.time(), deadline, "the reply was never tried")
                time.sleep(0.05)
            # queued, tried, not sent: nowhere in the database file or its log in clear
            raw = b""
            for suffix in ("", "-wal"):
                if os.path.exists(self.d.db + suffix):
                    with open(self.d.db + suffix, "rb") as f:
                        raw += f.read()
            for secret in (answer, "4471-QUERCIA", "passo carraio"):
                self.assertNotIn(secret.encode(), raw)
            self.assertEqual(self.d.query("SELECT body, body_sealed IS NOT NULL FROM outbox"
                                          " WHERE kind = 'reply'"), [("", 1)])
            # the dashboard says a reply waits, and how long the queue takes (issue 8.8)
            page = self.dashboard()
            self.assertRegex(page, r'<strong class="backlog-count">1</strong>')
            self.assertIn("tempo stimato per inviarle tutte: 1 min", page)
        finally:
            faults(self.d, {"error-500": 0})
        # and it goes out whole once WhatsApp answers again
        msgs = self.d.wait_received(number, got + 1, timeout=40)
        self.assertIn("4471-QUERCIA", json.dumps(msgs[-1], ensure_ascii=False))
        deadline = time.time() + 10
        while "backlog-count" in self.dashboard():  # removed from the outbox after the send
            self.assertLess(time.time(), deadline, "the dashboard still shows a backlog")
            time.sleep(0.1)

    def dashboard(self):
        status, page = http("GET", self.d.base + "/console", None,
                            {"Cookie": "banditore_session=" + self.gestore.cookie,
                             "X-Forwarded-For": self.gestore.source})
        self.assertEqual(status, 200)
        return page.decode()

    def test_delete_without_reply(self):
        number = "393330008002"
        kept = self.kept_from(number, "Quando riapre la biblioteca?", already=0)
        head, got = self.audit_head(), len(self.d.received(number))
        status, data, _ = self.gestore.request("POST", "/api/v1/inbox/%d/delete" % kept["id"])
        self.assertEqual(status, 200, data)
        self.assertEqual(data, {"id": kept["id"], "replied": False, "deleted": True})
        self.assertEqual(self.d.query("SELECT count(*) FROM kept_messages WHERE id = ?", (kept["id"],))[0][0], 0)
        self.assertEqual([(a, o) for (a, o, _) in self.audit_since(head)], [("inbox.delete", "inbox")])
        time.sleep(0.5)
        self.assertEqual(len(self.d.received(number)), got)  # nothing was sent

    def test_refusals_change_nothing(self):
        number = "393330008003"
        kept = self.kept_from(number, "Buongiorno, una domanda sui rifiuti", already=0)
        head, count = self.audit_head(), self.kept_count()
        # an empty reply, an unknown id, a proponente, a GET on an action
        status, data, _ = self.gestore.request("POST", "/api/v1/inbox/%d/reply" % kept["id"], {"text": ""})
        self.assertEqual((status, data["error"], data["field"]), (422, "invalid", "text"))
        status, data, _ = self.gestore.request("POST", "/api/v1/inbox/%d/reply" % kept["id"], b"not json")
        self.assertEqual(status, 400)
        status, data, _ = self.gestore.request("POST", "/api/v1/inbox/999999/delete")
        self.assertEqual(status, 404, data)
        for method, path in (("GET", "/api/v1/inbox"), ("POST", "/api/v1/inbox/%d/delete" % kept["id"]),
                             ("POST", "/api/v1/inbox/%d/reply" % kept["id"])):
            status, data, _ = self.proponente.request(method, path, {"text": "no"} if method == "POST" else None)
            self.assertEqual((status, data["error"]), (403, "forbidden"), path)
        status, data, _ = self.gestore.request("GET", "/api/v1/inbox/%d/delete" % kept["id"])
        self.assertEqual(status, 405)
        # CSRF: a session's change without its token
        status, data, _ = self.gestore.request("POST", "/api/v1/inbox/%d/delete" % kept["id"], csrf=False)
        self.assertEqual(status, 403, data)
        self.assertEqual((self.audit_head(), self.kept_count()), (head, count))
        # tokens: the scope decides
        for scopes, want in ((["messages:read"], 403), (["inbox:manage"], 200)):
            name = "sistema-" + scopes[0].replace(":", "-")
            args = []
            for s in scopes:
                args += ["--scope", s]
            r = self.d.cli("token", "create", name, *args)
            self.assertEqual(r.returncode, 0, r.stderr)
            secret = [l for l in r.stdout.splitlines() if l.startswith("bnd_")][0]
            status, data, _ = Client(self.d.base).request("GET", "/api/v1/inbox",
                                                          headers={"Authorization": "Bearer " + secret})
            self.assertEqual(status, want, data)
        self.assertEqual(self.kept_count(), count)

    def test_reply_after_the_window_is_refused_and_kept(self):
        number = "393330008004"
        kept = self.kept_from(number, "Messaggio di due giorni fa", already=0)
        # the message was received 25 hours ago: WhatsApp no longer takes a free-form reply
        con = sqlite3.connect(self.d.db, timeout=10)
        try:
            con.execute("UPDATE kept_messages SET received_at = received_at - 90000 WHERE id = ?", (kept["id"],))
            con.commit()
        finally:
            con.close()
        status, data, _ = self.gestore.request("GET", "/api/v1/inbox")
        mine = [m for m in data["messages"] if m["id"] == kept["id"]][0]
        self.assertFalse(mine["can_reply"])
        head, got = self.audit_head(), len(self.d.received(number))
        status, data, _ = self.gestore.request("POST", "/api/v1/inbox/%d/reply" % kept["id"], {"text": "Tardi"})
        self.assertEqual((status, data["error"]), (409, "window_closed"), data)
        self.assertEqual(self.d.query("SELECT count(*) FROM kept_messages WHERE id = ?", (kept["id"],))[0][0], 1)
        self.assertEqual(self.audit_head(), head)
        self.assertEqual(self.d.query("SELECT count(*) FROM outbox")[0][0], 0)
        self.assertEqual(len(self.d.received(number)), got)


if __name__ == "__main__":
    unittest.main(verbosity=2)
