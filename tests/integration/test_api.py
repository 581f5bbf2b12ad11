"""Integration tests of the JSON API (/api/v1) and of `banditore token` and `banditore publish`.

The real daemon runs on loopback against the simulator (the Deployment of
test_whatsapp_inbound.py), on a real SQLite file. Every test checks what is stored,
not only the status codes. The broadcast engine may or may not be built in: nothing
here asserts on sends, and an approved message is allowed to have moved on to
"sending" or "sent" by the time it is read back.

Environment: BANDITORE (the banditore binary), BANDITORE_SIM (the simulator binary).
Numbers are fictitious (+39 333 000 9xxx).
"""
import json
import os
import re
import sys
import tempfile
import time
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from test_whatsapp_inbound import Deployment, http  # noqa: E402

RFC3339_UTC = r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}Z$"
SUBSCRIBERS = ["393330009001", "393330009002", "393330009003"]
APPROVED_OR_LATER = ("approved", "sending", "sent", "partly_failed")
STATES = {0: "draft", 1: "approved", 2: "scheduled", 3: "sending", 4: "sent",
          5: "partly_failed", 6: "cancelled", 7: "expired"}


def future(days=30):
    return time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(time.time() + days * 86400))


class Api(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.d = Deployment().start()
        cls.secret = cls.make_token("portale")
        cls.reader = cls.make_token("sola-lettura", "--scope", "messages:read")
        cls.revoked = cls.make_token("vecchio")
        r = cls.d.cli("token", "revoke", "vecchio")
        assert r.returncode == 0, r.stderr
        for number in SUBSCRIBERS:
            cls.d.say(number, "ATTIVA ISCRIZIONE")
        for number in SUBSCRIBERS:
            cls.d.wait_received(number, 1)

    @classmethod
    def tearDownClass(cls):
        cls.d.cleanup()

    @classmethod
    def make_token(cls, name, *args):
        r = cls.d.cli("token", "create", name, *args)
        assert r.returncode == 0, r.stderr
        found = re.findall(r"(?m)^(bnd_[A-Za-z0-9_-]{43})$", r.stdout)
        assert len(found) == 1, r.stdout
        return found[0]

    # -- helpers --
    def call(self, method, path, body=None, token="default", headers=None):
        h = dict(headers or {})
        if token == "default":
            token = self.secret
        if token is not None:
            h["Authorization"] = "Bearer " + token
        if body is not None and not isinstance(body, bytes):
            body = json.dumps(body).encode()
            h.setdefault("Content-Type", "application/json")
        status, raw = http(method, self.d.base + path, body, h)
        try:
            data = json.loads(raw) if raw else None
        except ValueError:
            self.fail("not JSON (%d): %r" % (status, raw[:200]))
        return status, data

    def count(self):
        return self.d.query("SELECT count(*) FROM messages")[0][0]

    def row(self, mid):
        rows = self.d.query("SELECT state, title, text, category, link, priority, scheduled_at, "
                            "expires_at, created_by, audience, approved_at FROM messages WHERE id = ?",
                            (mid,))
        self.assertEqual(len(rows), 1)
        keys = ("state", "title", "text", "category", "link", "priority", "scheduled_at",
                "expires_at", "created_by", "audience", "approved_at")
        return dict(zip(keys, rows[0]))

    def create(self, **fields):
        body = {"text": "Avviso di prova del comune.", "category": "avvisi"}
        body.update(fields)
        status, data = self.call("POST", "/api/v1/messages", body)
        self.assertEqual(status, 201, data)
        return data

    def whatsapp_subscribers(self):
        return self.d.query("SELECT count(*) FROM subscribers WHERE platform = 1")[0][0]

    # -- authentication --
    def test_401_without_or_with_bad_or_revoked_token(self):
        before = self.count()
        body = {"text": "Non deve essere registrato.", "category": "avvisi"}
        for token in (None, "bnd_" + "A" * 43, self.revoked, "", self.secret + "x"):
            status, data = self.call("POST", "/api/v1/messages", body, token=token)
            self.assertEqual(status, 401, token)
            self.assertEqual(data["error"], "unauthorized")
            self.assertTrue(data["message"] and data["message_en"])
        status, _ = self.call("GET", "/api/v1/messages/1", token=self.revoked)
        self.assertEqual(status, 401)
        # the challenge header, and another scheme
        req_status, _ = http("POST", self.d.base + "/api/v1/messages", json.dumps(body).encode(),
                             {"Authorization": "Basic cG9ydGFsZTp4"})
        self.assertEqual(req_status, 401)
        import urllib.request
        import urllib.error
        try:
            urllib.request.urlopen(urllib.request.Request(self.d.base + "/api/v1/messages/1"),
                                   timeout=10)
            self.fail("expected 401")
        except urllib.error.HTTPError as e:
            self.assertEqual(e.code, 401)
            self.assertTrue(e.headers.get("WWW-Authenticate", "").startswith("Bearer"))
        self.assertEqual(self.count(), before, "nothing stored without a valid token")

    def test_403_without_scope(self):
        before = self.count()
        status, data = self.call("POST", "/api/v1/messages", {"text": "x", "category": "avvisi"},
                                 token=self.reader)
        self.assertEqual(status, 403)
        self.assertEqual(data["error"], "scope")
        self.assertEqual(self.count(), before)
        created = self.create()
        status, data = self.call("GET", "/api/v1/messages/%d" % created["id"], token=self.reader)
        self.assertEqual(status, 200)
        status, _ = self.call("POST", "/api/v1/messages/%d/send" % created["id"], token=self.reader)
        self.assertEqual(status, 403)
        self.assertEqual(self.row(created["id"])["state"], 0)

    # -- create --
    def test_create_201_and_stored(self):
        before = self.count()
        when = future(10)
        status, data = self.call("POST", "/api/v1/messages", {
            "title": "Chiusura scuole", "text": "Domani le scuole restano chiuse.\nAggiornamenti sul sito.",
            "category": "scuola", "link": "https://www.comune.example.org/scuole",
            "priority": "normal", "scheduled_at": when})
        self.assertEqual(status, 201, data)
        self.assertEqual(data["state"], "draft")
        self.assertIsInstance(data["id"], int)
        self.assertEqual(data["title"], "Chiusura scuole")
        self.assertEqual(data["scheduled_at"], when)
        self.assertIsNone(data["approved_at"])
        self.assertIsNone(data["expires_at"])
        self.assertRegex(data["created_at"], RFC3339_UTC)
        self.assertEqual(data["created_by"], "portale")
        self.assertEqual(self.count(), before + 1)
        row = self.row(data["id"])
        self.assertEqual(row["state"], 0)
        self.assertEqual(row["title"], "Chiusura scuole")
        self.assertEqual(row["text"], "Domani le scuole restano chiuse.\nAggiornamenti sul sito.")
        self.assertEqual(row["category"], "scuola")
        self.assertEqual(row["link"], "https://www.comune.example.org/scuole")
        self.assertEqual(row["priority"], 0)
        self.assertEqual(time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(row["scheduled_at"])), when)
        self.assertEqual(row["created_by"], "portale")
        self.assertEqual(row["audience"], 0)
        # an offset is honoured: +02:00 is two hours before the same clock time in UTC
        data = self.create(priority="emergency", expires_at="2099-07-01T09:00:00+02:00")
        self.assertEqual(data["expires_at"], "2099-07-01T07:00:00Z")
        self.assertEqual(data["priority"], "emergency")
        self.assertEqual(self.row(data["id"])["priority"], 1)

    def test_each_bad_field_4xx_names_it_and_stores_nothing(self):
        ok = {"text": "Testo valido.", "category": "avvisi"}
        cases = [
            ({"category": "avvisi"}, "text"),
            (dict(ok, text=""), "text"),
            (dict(ok, text="   \n "), "text"),
            (dict(ok, text="x" * 4097), "text"),
            (dict(ok, text=12), "text"),
            (dict(ok, text="campanella \u0007"), "text"),
            ({"text": "Testo."}, "category"),
            (dict(ok, category="Avvisi Comunali"), "category"),
            (dict(ok, category="a" * 65), "category"),
            (dict(ok, title="t" * 201), "title"),
            (dict(ok, title="due\nrighe"), "title"),
            (dict(ok, link="ftp://example.org/file"), "link"),
            (dict(ok, link="https://exa mple.org"), "link"),
            (dict(ok, link="https://example.org/" + "a" * 1010), "link"),
            (dict(ok, priority="urgente"), "priority"),
            (dict(ok, scheduled_at="domani alle 9"), "scheduled_at"),
            (dict(ok, scheduled_at="2026-12-01T09:00:00"), "scheduled_at"),
            (dict(ok, scheduled_at="2020-01-01T09:00:00+01:00"), "scheduled_at"),
            (dict(ok, expires_at="2020-01-01T09:00:00Z"), "expires_at"),
            (dict(ok, scheduled_at=future(5), expires_at=future(4)), "expires_at"),
            (dict(ok, attachment={"type": "image", "url": "https://example.org/a.jpg"}), "attachment"),
            (dict(ok, colore="rosso"), "colore"),
        ]
        before = self.count()
        for body, field in cases:
            status, data = self.call("POST", "/api/v1/messages", body)
            self.assertIn(status, (400, 422), (body, data))
            self.assertEqual(data.get("field"), field, (body, data))
            self.assertEqual(data["error"], "invalid")
            self.assertTrue(data["message"], data)
            self.assertTrue(data["message_en"], data)
            self.assertNotEqual(data["message"], data["message_en"])
        for raw in (b"{not json", b"[]", b'"testo"', b"", b'{"text":"a","text":"b","category":"x"}'):
            status, data = self.call("POST", "/api/v1/messages", raw)
            self.assertEqual(status, 400, raw)
            self.assertEqual(data["error"], "malformed")
            self.assertTrue(data["message"] and data["message_en"])
        self.assertEqual(self.count(), before, "no refused message may be stored")

    def test_body_over_64k_413(self):
        before = self.count()
        body = json.dumps({"text": "x" * (64 * 1024), "category": "avvisi"}).encode()
        self.assertGreater(len(body), 64 * 1024)
        status, data = self.call("POST", "/api/v1/messages", body)
        self.assertEqual(status, 413)
        self.assertEqual(data["error"], "too_large")
        body = json.dumps({"text": "x" * (2 * 1024 * 1024), "category": "avvisi"}).encode()
        status, _ = self.call("POST", "/api/v1/messages", body)
        self.assertEqual(status, 413)
        self.assertEqual(self.count(), before)

    # -- send --
    def test_send_202_fixes_audience(self):
        created = self.create(title="Mercato")
        audience = self.whatsapp_subscribers()
        self.assertGreaterEqual(audience, len(SUBSCRIBERS))
        status, data = self.call("POST", "/api/v1/messages/%d/send" % created["id"])
        self.assertEqual(status, 202, data)
        self.assertEqual(data["id"], created["id"])
        self.assertIn(data["state"], APPROVED_OR_LATER)
        self.assertEqual(data["audience"], audience)
        self.assertEqual(data["warnings"], [])
        self.assertRegex(data["approved_at"], RFC3339_UTC)
        row = self.row(created["id"])
        self.assertIn(STATES[row["state"]], APPROVED_OR_LATER)
        self.assertEqual(row["audience"], audience)
        self.assertGreater(row["approved_at"], 0)
        # approving twice is a conflict, and changes nothing
        status, data = self.call("POST", "/api/v1/messages/%d/send" % created["id"])
        self.assertEqual(status, 409)
        self.assertEqual(data["error"], "state")
        self.assertIn(data["state"], APPROVED_OR_LATER)
        self.assertTrue(data["message"] and data["message_en"])
        self.assertEqual(self.row(created["id"])["approved_at"], row["approved_at"])
        status, data = self.call("POST", "/api/v1/messages/999999/send")
        self.assertEqual(status, 404)
        self.assertEqual(data["error"], "not_found")

    def test_send_scheduled(self):
        created = self.create(scheduled_at=future(3))
        status, data = self.call("POST", "/api/v1/messages/%d/send" % created["id"])
        self.assertEqual(status, 202, data)
        self.assertEqual(data["state"], "scheduled")
        self.assertEqual(data["audience"], self.whatsapp_subscribers())
        self.assertEqual(self.row(created["id"])["state"], 2)
        self.call("POST", "/api/v1/messages/%d/cancel" % created["id"])

    # -- cancel --
    def test_cancel_200_then_409(self):
        created = self.create(scheduled_at=future(2))
        self.assertEqual(self.call("POST", "/api/v1/messages/%d/send" % created["id"])[0], 202)
        status, data = self.call("POST", "/api/v1/messages/%d/cancel" % created["id"])
        self.assertEqual(status, 200, data)
        self.assertEqual(data["state"], "cancelled")
        self.assertRegex(data["finished_at"], RFC3339_UTC)
        self.assertEqual(self.row(created["id"])["state"], 6)
        status, data = self.call("POST", "/api/v1/messages/%d/cancel" % created["id"])
        self.assertEqual(status, 409)
        self.assertEqual(data["error"], "state")
        self.assertEqual(data["state"], "cancelled")
        self.assertEqual(self.row(created["id"])["state"], 6)
        # a cancelled message cannot be sent
        status, data = self.call("POST", "/api/v1/messages/%d/send" % created["id"])
        self.assertEqual(status, 409)
        # a draft can be cancelled too
        draft = self.create()
        status, data = self.call("POST", "/api/v1/messages/%d/cancel" % draft["id"])
        self.assertEqual(status, 200)
        self.assertEqual(self.row(draft["id"])["state"], 6)
        self.assertEqual(self.call("POST", "/api/v1/messages/999999/cancel")[0], 404)

    # -- get --
    def test_get_progress(self):
        created = self.create(title="Progresso", scheduled_at=future(1))
        self.call("POST", "/api/v1/messages/%d/send" % created["id"])
        status, data = self.call("GET", "/api/v1/messages/%d" % created["id"])
        self.assertEqual(status, 200, data)
        for key in ("id", "state", "priority", "title", "text", "category", "link", "scheduled_at",
                    "expires_at", "created_at", "approved_at", "started_at", "finished_at",
                    "created_by", "audience", "progress"):
            self.assertIn(key, data)
        self.assertEqual(data["state"], "scheduled")
        self.assertEqual(data["title"], "Progresso")
        self.assertRegex(data["scheduled_at"], RFC3339_UTC)
        self.assertRegex(data["approved_at"], RFC3339_UTC)
        p = data["progress"]
        self.assertEqual(set(p), {"queued", "sent", "delivered", "read", "failed", "unreachable"})
        for v in p.values():
            self.assertIsInstance(v, int)
            self.assertGreaterEqual(v, 0)
        self.assertEqual(p["queued"], max(0, data["audience"] - p["sent"] - p["failed"] - p["unreachable"]))
        self.assertEqual(p["queued"], self.whatsapp_subscribers())
        self.call("POST", "/api/v1/messages/%d/cancel" % created["id"])

    def test_404_and_405(self):
        for path in ("/api/v1/messages/999999", "/api/v1/messages/0", "/api/v1/messages/abc",
                     "/api/v1/messages/1/publish", "/api/v1/other", "/api/v2/messages"):
            status, data = self.call("GET", path)
            self.assertEqual(status, 404, path)
            self.assertEqual(data["error"], "not_found")
        created = self.create()
        # GET /api/v1/messages is the approvals queue (test_permissions.py)
        for method, path in (("PUT", "/api/v1/messages"), ("DELETE", "/api/v1/messages"),
                             ("PUT", "/api/v1/messages/%d" % created["id"]),
                             ("POST", "/api/v1/messages/%d" % created["id"]),
                             ("GET", "/api/v1/messages/%d/send" % created["id"]),
                             ("GET", "/api/v1/messages/%d/cancel" % created["id"])):
            status, data = self.call(method, path)
            self.assertEqual(status, 405, (method, path))
            self.assertEqual(data["error"], "method")
        self.assertEqual(self.row(created["id"])["state"], 0)

    # -- the command line --
    def test_publish_cli_visible_through_api(self):
        r = self.d.cli("publish", "--category", "avvisi", "--title", "Dalla riga di comando",
                       "--text", "Messaggio pubblicato con banditore publish.")
        self.assertEqual(r.returncode, 0, r.stderr)
        mid = int(re.search(r"(?m)^id\s+(\d+)", r.stdout).group(1))
        self.assertRegex(r.stdout, r"(?m)^(stato|state)\s+(approved|sending|sent)")
        audience = int(re.search(r"(?m)^(destinatari|audience)\s+(\d+)", r.stdout).group(2))
        self.assertEqual(audience, self.whatsapp_subscribers())
        status, data = self.call("GET", "/api/v1/messages/%d" % mid)
        self.assertEqual(status, 200)
        self.assertIn(data["state"], APPROVED_OR_LATER)
        self.assertEqual(data["created_by"], "cli")
        self.assertEqual(data["title"], "Dalla riga di comando")
        self.assertEqual(data["audience"], audience)

    def test_publish_cli_draft_scheduled_and_text_file(self):
        with tempfile.NamedTemporaryFile("w", suffix=".txt", delete=False, encoding="utf-8") as f:
            f.write("Riga uno del comune.\nRiga due: perché sì.\n")
            path = f.name
        try:
            r = self.d.cli("publish", "--category", "eventi", "--text-file", path, "--draft",
                           "--emergency")
            self.assertEqual(r.returncode, 0, r.stderr)
            mid = int(re.search(r"(?m)^id\s+(\d+)", r.stdout).group(1))
            row = self.row(mid)
            self.assertEqual(row["state"], 0)
            self.assertEqual(row["text"], "Riga uno del comune.\nRiga due: perché sì.")
            self.assertEqual(row["priority"], 1)
        finally:
            os.unlink(path)
        r = self.d.cli("publish", "--category", "eventi", "--text", "Programmato.",
                       "--at", "2099-12-01T09:00:00+01:00", "--expires", "2099-12-02T09:00:00+01:00")
        self.assertEqual(r.returncode, 0, r.stderr)
        mid = int(re.search(r"(?m)^id\s+(\d+)", r.stdout).group(1))
        status, data = self.call("GET", "/api/v1/messages/%d" % mid)
        self.assertEqual(data["state"], "scheduled")
        self.assertEqual(data["scheduled_at"], "2099-12-01T08:00:00Z")
        self.assertEqual(data["expires_at"], "2099-12-02T08:00:00Z")
        self.assertEqual(self.call("POST", "/api/v1/messages/%d/cancel" % mid)[0], 200)

    def test_publish_cli_refuses_like_the_api(self):
        before = self.count()
        for args, option in ((["--category", "avvisi", "--text", "x", "--at", "domani"], "--at"),
                             (["--category", "Avvisi!", "--text", "x"], "--category"),
                             (["--category", "avvisi"], "--text"),
                             (["--category", "avvisi", "--text", "x", "--link", "ftp://x"], "--link"),
                             (["--category", "avvisi", "--text", "x", "--expires",
                               "2020-01-01T00:00:00Z"], "--expires")):
            r = self.d.cli("publish", *args)
            self.assertEqual(r.returncode, 1, (args, r.stdout, r.stderr))
            self.assertIn(option, r.stderr, args)
        r = self.d.cli("publish", "--category", "avvisi", "--text", "x", "--text-file", "/dev/null")
        self.assertEqual(r.returncode, 2)
        self.assertEqual(self.count(), before)

    # -- updates: "replaces" names a message already sent --
    def wait_sent(self, mid, timeout=30):
        deadline = time.time() + timeout
        while time.time() < deadline:
            state = self.row(mid)["state"]
            if STATES[state] in ("sent", "partly_failed"):
                return
            time.sleep(0.1)
        self.fail("message %d not sent in %ds (state %s)" % (mid, timeout, STATES[self.row(mid)["state"]]))

    def test_replaces_must_name_a_sent_message(self):
        draft = self.create(title="Bozza da non sostituire")
        before = self.count()
        cases = [
            (999999, "non esiste"), (draft["id"], "già inviato"), ("7", "numero"),
            (0, "numero"), (-3, "numero"), (1.5, "numero"),
        ]
        for value, why in cases:
            status, data = self.call("POST", "/api/v1/messages",
                                     {"text": "Aggiornamento.", "category": "avvisi", "replaces": value})
            self.assertEqual(status, 422, (value, data))
            self.assertEqual(data["error"], "invalid")
            self.assertEqual(data["field"], "replaces")
            self.assertIn(why, data["message"], value)
            self.assertTrue(data["message_en"])
        self.assertEqual(self.count(), before, "a refused update stores nothing")
        # the same on /edit, and the draft keeps what it was
        status, data = self.call("POST", "/api/v1/messages/%d/edit" % draft["id"],
                                 {"text": "Modificato.", "category": "avvisi", "replaces": 999999})
        self.assertEqual(status, 422, data)
        self.assertEqual(data["field"], "replaces")
        self.assertEqual(self.row(draft["id"])["text"], "Avviso di prova del comune.")

        # a sent message can be replaced: the update names it, the original learns by whom
        # only once the update was sent too
        orig = self.create(title="Orario degli uffici")
        self.assertEqual(self.call("POST", "/api/v1/messages/%d/send" % orig["id"])[0], 202)
        self.wait_sent(orig["id"])
        upd = self.create(title="Orario degli uffici (aggiornato)", replaces=orig["id"])
        self.assertEqual(upd["replaces"], orig["id"])
        self.assertIsNone(upd["replaced_by"])
        self.assertEqual(self.d.query("SELECT replaces FROM messages WHERE id = ?", (upd["id"],)),
                         [(orig["id"],)])
        status, data = self.call("GET", "/api/v1/messages/%d" % orig["id"])
        self.assertIsNone(data["replaced_by"])
        self.assertIsNone(data["replaces"])
        self.assertEqual(self.call("POST", "/api/v1/messages/%d/send" % upd["id"])[0], 202)
        self.wait_sent(upd["id"])
        status, data = self.call("GET", "/api/v1/messages/%d" % orig["id"])
        self.assertEqual(data["replaced_by"], upd["id"])
        # edited back to replacing nothing
        other = self.create(title="Altra bozza", replaces=orig["id"])
        status, data = self.call("POST", "/api/v1/messages/%d/edit" % other["id"],
                                 {"text": "Modificato.", "category": "avvisi"})
        self.assertEqual(status, 200, data)
        self.assertIsNone(data["replaces"])

    def test_token_list_and_revoke(self):
        r = self.d.cli("token", "list")
        self.assertEqual(r.returncode, 0, r.stderr)
        for name in ("portale", "sola-lettura", "vecchio"):
            self.assertIn(name, r.stdout)
        self.assertNotIn("bnd_", r.stdout, "a secret is never shown again")
        self.assertNotIn(self.secret[4:], r.stdout)
        self.assertEqual(self.d.cli("token", "revoke", "inesistente").returncode, 1)
        self.assertEqual(self.d.cli("token", "create", "portale").returncode, 1, "names are unique")
        self.assertEqual(self.d.cli("token", "create", "nome con spazi").returncode, 1)
        self.assertEqual(self.d.cli("token", "create", "x", "--scope", "admin").returncode, 1)
        # the database holds the hash, not the secret
        rows = self.d.query("SELECT hash FROM api_tokens")
        self.assertTrue(rows)
        with open(self.d.db, "rb") as f:
            self.assertNotIn(self.secret.encode(), f.read())
        # a revoked name can be reused, and the new secret works while the old one does not
        fresh = self.make_token("vecchio")
        self.assertEqual(self.call("GET", "/api/v1/messages/999999", token=fresh)[0], 404)
        self.assertEqual(self.call("GET", "/api/v1/messages/999999", token=self.revoked)[0], 401)
        self.assertEqual(self.d.cli("token", "revoke", "vecchio").returncode, 0)
        self.assertEqual(self.call("GET", "/api/v1/messages/999999", token=fresh)[0], 401)


if __name__ == "__main__":
    unittest.main(verbosity=2)
