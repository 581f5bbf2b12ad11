"""Integration tests of e-mail (issue #7) against a real SMTP server (npm smtp-server).

smtp_peer.js runs smtp-server on loopback and refuses (554) any message whose envelope
has more than one recipient or whose To header is not that recipient; each accepted
message is written to a folder as JSON (envelope and raw bytes), which these tests read
with Python's email package. The daemon serves /email/ (double opt-in, one-click
unsubscribe); tests/tools/email_send sends a message to every e-mail subscriber with
the connector, as the broadcast engine will.

Covered: subscribe -> the confirmation mail arrives with its link -> confirm -> the
subscriber row exists, sealed, with a double-opt-in receipt and no plaintext anywhere;
an expired confirmation (the row aged past 48 hours) stores nothing; GET of the
unsubscribe link erases nothing, the one-click POST erases at once, and then neither the
database nor its WAL holds the address, its keyed hash or its sealed blob; a message to
several subscribers reaches each exactly once, addressed only to them, with both parts
and the list headers; an address the server refuses (550) counts as a failure.

Environment: BANDITORE, BANDITORE_SIM, EMAIL_SEND. Skipped (77) without node or
tests/node_modules/smtp-server.
"""
import hashlib
import hmac
import json
import os
import re
import shutil
import sqlite3
import subprocess
import sys
import time
import unittest
import urllib.parse

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import harness  # noqa: E402
import test_whatsapp_inbound as wa  # noqa: E402  (the Deployment class)

ROOT = wa.ROOT
HERE = os.path.dirname(os.path.abspath(__file__))
EMAIL_SEND = os.environ.get("EMAIL_SEND", os.path.join(ROOT, "build", "tests", "tools", "email_send"))
FROM = "avvisi@comune.example.org"
PUBLIC = "http://127.0.0.1:%d"  # the daemon itself (http on loopback is allowed for tests)


def have_peer():
    return shutil.which("node") and os.path.isdir(os.path.join(ROOT, "tests", "node_modules", "smtp-server"))


# The index key and the SMTP peer are harness.py's (shared with test_lanes and others).
index_key = harness.index_key


class SmtpPeer(harness.SmtpPeer):
    def __init__(self, reject=()):
        super().__init__(reject=reject, sender=FROM)


def parts(msg):
    """(plain text, html) of a multipart/alternative message."""
    assert msg.get_content_type() == "multipart/alternative", msg.get_content_type()
    plain = msg.get_body(("plain",)).get_content()
    html = msg.get_body(("html",)).get_content()
    return plain, html


class Email(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        if not have_peer():
            raise unittest.SkipTest("node or tests/node_modules/smtp-server missing: run scripts/install-deps")
        cls.smtp = SmtpPeer(reject=("rifiutata@example.org",))
        cls.d = wa.Deployment(extra=[("channel", "platforms", "whatsapp, email")])
        cls.public = PUBLIC % cls.d.port
        text = open(cls.d.config, encoding="utf-8").read()
        text = re.sub(r"(?m)^\s*public_url\s*=.*\n", "", text)
        text = re.sub(r"(?m)^\[server\]\s*$", "[server]\npublic_url = %s" % cls.public, text)
        if "[server]" not in text:
            text += "\n[server]\npublic_url = %s\n" % cls.public
        text += ("\n[email]\nfrom_address = %s\nfrom_name = Comune di Prova\nsmtp_url = %s\ntls = none\n"
                 % (FROM, cls.smtp.url))
        with open(cls.d.config, "w", encoding="utf-8") as f:
            f.write(text)
        cls.d.start()
        cls.key_path = os.path.join(cls.d.data, "banditore.key")

    @classmethod
    def tearDownClass(cls):
        if hasattr(cls, "d"):
            cls.d.cleanup()
        if hasattr(cls, "smtp"):
            cls.smtp.stop()

    def setUp(self):
        self.smtp.clear()

    # -- helpers --
    def subscribe(self, addr, as_json=True):
        if as_json:
            body, ctype = json.dumps({"email": addr}).encode(), "application/json"
        else:
            body, ctype = urllib.parse.urlencode({"email": addr}).encode(), "application/x-www-form-urlencoded"
        return wa.http("POST", self.d.base + "/email/subscribe", body, {"Content-Type": ctype})

    def confirmation_link(self, addr):
        msgs = [m for m in self.smtp.wait(1) if m["to"] == [addr]]
        self.assertEqual(len(msgs), 1)
        plain, html = parts(msgs[0]["msg"])
        m = re.search(re.escape(self.public) + r"/email/confirm\?t=([A-Za-z0-9_-]{43})", plain)
        self.assertIsNotNone(m, plain)
        self.assertIn(m.group(0), html)
        self.assertIsNone(msgs[0]["msg"]["List-Unsubscribe"])  # not a list message yet
        return m.group(0)

    def email_rows(self):
        return self.d.query("SELECT id, addr_hash, sealed, method, policy_version, failures"
                            " FROM subscribers WHERE platform = 3")

    def pending(self):
        return self.d.query("SELECT token_hash, addr_hash, sealed, created_at FROM pending_joins")

    def addr_hash(self, addr):
        return hmac.new(index_key(self.key_path), ("3:" + addr).encode(), hashlib.sha256).digest()

    def files_bytes(self):
        return harness.db_bytes(self.d.db)

    def join(self, addr):
        status, _ = self.subscribe(addr)
        self.assertEqual(status, 202)
        link = self.confirmation_link(addr)
        status, page = wa.http("GET", link.replace(self.public, self.d.base))
        self.assertEqual(status, 200, page)
        self.smtp.clear()

    def send_all(self, subject, text):
        return subprocess.run([EMAIL_SEND, self.d.data, self.smtp.url, FROM, "https://comune.example.org",
                               subject, text], capture_output=True, text=True, timeout=60)

    # -- tests --
    def test_1_double_opt_in(self):
        addr = "cittadina.uno@example.org"
        before = len(self.email_rows())
        status, body = self.subscribe("  Cittadina.Uno@Example.org ")
        self.assertEqual(status, 202, body)
        self.assertEqual(json.loads(body)["status"], "check-your-mail")
        msg = self.smtp.wait(1)[0]
        self.assertEqual(msg["from"], FROM)
        self.assertEqual(msg["to"], [addr])
        link = self.confirmation_link(addr)
        # Pending: only hashes and a sealed address; not a subscriber yet.
        self.assertEqual(len(self.email_rows()), before)
        self.assertEqual(len(self.pending()), 1)
        self.assertNotIn(addr.encode(), self.files_bytes())
        # Asking again at once sends no second mail, and answers the same.
        self.smtp.clear()
        status, body = self.subscribe(addr)
        self.assertEqual(status, 202)
        time.sleep(0.5)
        self.assertEqual(self.smtp.messages(), [])
        # A form post of an invalid address is refused with a page.
        status, _ = self.subscribe("not-an-address", as_json=False)
        self.assertEqual(status, 400)
        # Confirm: the subscriber exists with its receipt; the link is used up.
        status, page = wa.http("GET", link.replace(self.public, self.d.base))
        self.assertEqual(status, 200, page)
        rows = self.email_rows()
        self.assertEqual(len(rows), before + 1)
        row = [r for r in rows if r[1] == self.addr_hash(addr)]
        self.assertEqual(len(row), 1)
        self.assertEqual(row[0][3], "double-opt-in")
        self.assertEqual(len(row[0][4]), 64)
        self.assertEqual(self.pending(), [])
        status, _ = wa.http("GET", link.replace(self.public, self.d.base))
        self.assertEqual(status, 404)
        self.assertNotIn(addr.encode(), self.files_bytes())
        # Subscribed already: the form answers the same and sends nothing.
        self.smtp.clear()
        status, _ = self.subscribe(addr)
        self.assertEqual(status, 202)
        time.sleep(0.5)
        self.assertEqual(self.smtp.messages(), [])

    def test_2_expired_confirmation(self):
        addr = "ritardataria@example.org"
        before = len(self.email_rows())
        status, _ = self.subscribe(addr)
        self.assertEqual(status, 202)
        link = self.confirmation_link(addr)
        # Age the pending row past 48 hours (the daemon reads the clock; the row says when).
        con = sqlite3.connect(self.d.db, timeout=10)
        con.execute("UPDATE pending_joins SET created_at = created_at - 48 * 3600 - 60")
        con.commit()
        con.close()
        status, page = wa.http("GET", link.replace(self.public, self.d.base))
        self.assertEqual(status, 410, page)
        self.assertEqual(len(self.email_rows()), before)
        self.assertEqual(self.pending(), [])
        status, _ = wa.http("POST", link.replace(self.public, self.d.base), b"")
        self.assertEqual(status, 404)
        self.assertEqual(len(self.email_rows()), before)

    def test_3_broadcast_one_recipient_each(self):
        addrs = ["primo@example.org", "secondo@example.org", "terzo@example.org"]
        for a in addrs:
            self.join(a)
        r = self.send_all("Avviso: chiusura di via Roma", "Domani via Roma è chiusa dalle 8 alle 18.\n\n"
                          "Dettagli: https://comune.example.org/avvisi/1")
        self.assertEqual(r.returncode, 0, r.stdout + r.stderr)
        n_subs = len(self.email_rows())
        msgs = self.smtp.wait(n_subs)
        time.sleep(0.3)
        msgs = self.smtp.messages()
        self.assertEqual(len(msgs), n_subs)
        seen = [m["to"][0] for m in msgs]
        self.assertEqual(len(seen), len(set(seen)))  # exactly one each
        for a in addrs:
            self.assertIn(a, seen)
        for m in msgs:
            msg, to = m["msg"], m["to"][0]
            self.assertEqual(m["from"], FROM)
            self.assertEqual(re.findall(r"(?mi)^To:[ \t]*(.*?)\r?$", m["raw"].split("\r\n\r\n")[0]),
                             ["<%s>" % to])
            self.assertIsNone(msg["Cc"])
            self.assertEqual(str(msg["Subject"]), "Avviso: chiusura di via Roma")
            self.assertEqual(msg["List-Unsubscribe-Post"], "List-Unsubscribe=One-Click")
            self.assertRegex(msg["List-Unsubscribe"],
                             r"^<https://comune\.example\.org/email/unsubscribe\?t=[A-Za-z0-9_-]{64}>$")
            self.assertIsNotNone(msg["Message-ID"])
            self.assertIsNotNone(msg["Date"])
            plain, html = parts(msg)
            self.assertIn("Domani via Roma è chiusa", plain)
            self.assertIn("Domani via Roma è chiusa", html)
            self.assertNotIn("<img", html)
            # Nobody else's address anywhere in the message.
            for other in addrs:
                if other != to:
                    self.assertNotIn(other, m["raw"])

    def test_4_one_click_erases(self):
        addr = "uscente@example.org"
        self.join(addr)
        h = self.addr_hash(addr)
        row = [r for r in self.email_rows() if r[1] == h]
        self.assertEqual(len(row), 1)
        sealed = row[0][2]
        r = self.send_all("Prova", "Testo di prova.")
        self.assertEqual(r.returncode, 0, r.stdout + r.stderr)
        mine = [m for m in self.smtp.wait(len(self.email_rows())) if m["to"] == [addr]]
        self.assertEqual(len(mine), 1)
        url = mine[0]["msg"]["List-Unsubscribe"].strip("<>")
        local = url.replace("https://comune.example.org", self.d.base)
        # GET (a link scanner, or the page) erases nothing and shows a button.
        status, page = wa.http("GET", local)
        self.assertEqual(status, 200)
        self.assertIn(b"List-Unsubscribe", page)
        self.assertEqual(len([r for r in self.email_rows() if r[1] == h]), 1)
        # A POST without the one-click body is refused.
        status, _ = wa.http("POST", local, b"x=1", {"Content-Type": "application/x-www-form-urlencoded"})
        self.assertEqual(status, 400)
        # RFC 8058 one-click: erased at once.
        status, _ = wa.http("POST", local, b"List-Unsubscribe=One-Click",
                            {"Content-Type": "application/x-www-form-urlencoded"})
        self.assertEqual(status, 200)
        self.assertEqual([r for r in self.email_rows() if r[1] == h], [])
        # A forged token (another hash, or a changed tag) is refused.
        bad = local[:-1] + ("A" if local[-1] != "A" else "B")
        status, _ = wa.http("POST", bad, b"List-Unsubscribe=One-Click",
                            {"Content-Type": "application/x-www-form-urlencoded"})
        self.assertEqual(status, 404)
        # The erasure test: nothing about the person in the database or its WAL.
        deadline = time.time() + 5
        while time.time() < deadline:
            blob = self.files_bytes()
            if h not in blob and sealed not in blob:
                break
            time.sleep(0.2)
        self.assertNotIn(addr.encode(), blob)
        self.assertNotIn(h, blob)
        self.assertNotIn(sealed, blob)

    def test_6_bounce_counts(self):
        addr = "rimbalzo@example.org"
        self.join(addr)
        dsn = ("From: MAILER-DAEMON@mx.example.org\r\nContent-Type: multipart/report;"
               " report-type=delivery-status; boundary=B\r\n\r\n--B\r\n"
               "Content-Type: message/delivery-status\r\n\r\nReporting-MTA: dns; mx.example.org\r\n\r\n"
               "Final-Recipient: rfc822; Rimbalzo@Example.org\r\nAction: failed\r\nStatus: 5.1.1\r\n\r\n"
               "Final-Recipient: rfc822; primo@example.org\r\nAction: delayed\r\nStatus: 4.4.1\r\n--B--\r\n")
        r = subprocess.run([wa.BANDITORE, "email", "bounce", "--config", self.d.config, "--data-dir", self.d.data],
                           input=dsn, capture_output=True, text=True, timeout=60)
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertNotIn(addr, r.stdout + r.stderr)
        h = self.addr_hash(addr)
        self.assertEqual([row[5] for row in self.email_rows() if row[1] == h], [1])
        self.assertEqual([row[5] for row in self.email_rows() if row[1] == self.addr_hash("primo@example.org")], [0])

    def test_5_refused_confirmation(self):
        addr = "rifiutata@example.org"
        # The confirmation mail itself is refused: 503, and the pending row stays until
        # it expires (nothing else).
        status, _ = self.subscribe(addr)
        self.assertEqual(status, 503)
        self.assertEqual(self.smtp.messages(), [])


if __name__ == "__main__":
    unittest.main(verbosity=2)
