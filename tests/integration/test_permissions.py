"""The permission matrix over HTTP (issue 5, "Must show"), and what protects it.

The real daemon runs Leini's configuration (at most five delegates, art. 4) against the
simulator. One account per role (responsabile, gestore, delegato, proponente) logs in,
and tries EVERY action of the matrix of docs/permessi.md: the allowed ones succeed, the
others get 403 and change nothing; "nothing" is checked on the database itself (messages,
reviews, accounts, tokens, subscribers, blocklist, audit log), not only on the status.

Then: CSRF rejection, lockout after failed logins, a revoked account's session thrown out
on its next request (and its token), a delegate whose decree has ended refused, nobody
approving their own message except a gestore or responsabile for an emergency, an edit
after approval going back for approval, the sixth delegate refused, and an expelled
number unable to rejoin through the simulator's webhook.

Environment: BANDITORE, BANDITORE_SIM. Numbers are fictitious (+39 333 000 7xxx).
"""
import http.client
import json
import os
import subprocess
import sys
import time
import unittest
import urllib.parse

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from test_whatsapp_inbound import BANDITORE, Deployment  # noqa: E402

PASSWORD = "una password di prova lunga"
ROLES = ("responsabile", "gestore", "delegato", "proponente")
ACCOUNT = {"responsabile": "sindaco", "gestore": "stampa", "delegato": "delegato1",
           "proponente": "assessore"}
# The matrix (staff/staff.h, docs/permessi.md): action -> roles allowed.
MATRIX = {
    "propose": {"responsabile", "gestore", "delegato", "proponente"},
    "approve": {"responsabile", "gestore", "delegato"},
    "reject": {"responsabile", "gestore", "delegato"},
    "cancel": {"responsabile", "gestore", "delegato"},
    "emergency": {"responsabile", "gestore", "delegato"},
    "manage_staff": {"responsabile", "gestore"},
    "manage_tokens": {"responsabile", "gestore"},
    "see_subscribers": {"responsabile", "gestore", "delegato"},
    "erase": {"responsabile", "gestore", "delegato"},
    "warn": {"responsabile", "gestore", "delegato"},
    "expel": {"responsabile", "gestore"},
    "read_audit": {"responsabile", "gestore"},
    "inbox": {"responsabile", "gestore", "delegato"},
    "channel_post": {"responsabile", "gestore", "delegato"},
    "own_totp": {"responsabile", "gestore", "delegato", "proponente"},
}
APPROVED_OR_LATER = (1, 2, 3, 4, 5)


def day(offset):
    return time.strftime("%Y-%m-%d", time.gmtime(time.time() + offset * 86400))


class Client:
    """One browser: a cookie jar of one session, and its CSRF token."""

    def __init__(self, base, source="192.0.2.10"):
        u = urllib.parse.urlparse(base)
        self.host, self.port = u.hostname, u.port
        self.cookie = None
        self.csrf = None
        self.source = source  # X-Forwarded-For: the daemon trusts it from loopback

    def request(self, method, path, body=None, csrf=True, headers=None):
        h = {"X-Forwarded-For": self.source}
        h.update(headers or {})
        data = None
        if body is not None:
            data = body if isinstance(body, bytes) else json.dumps(body).encode()
            h.setdefault("Content-Type", "application/json")
        if self.cookie:
            h["Cookie"] = "banditore_session=" + self.cookie
        if csrf and self.csrf and method not in ("GET", "HEAD"):
            h["X-CSRF-Token"] = self.csrf
        conn = http.client.HTTPConnection(self.host, self.port, timeout=20)
        try:
            conn.request(method, path, body=data, headers=h)
            r = conn.getresponse()
            raw = r.read()
            headers_out = {k.lower(): v for k, v in r.getheaders()}
        finally:
            conn.close()
        payload = json.loads(raw) if raw else None
        return r.status, payload, headers_out

    def login(self, name, password=PASSWORD, totp=None):
        body = {"name": name, "password": password}
        if totp:
            body["totp"] = totp
        status, data, h = self.request("POST", "/api/v1/session", body, csrf=False)
        if status == 201:
            cookie = h["set-cookie"]
            self.cookie = cookie.split(";")[0].split("=", 1)[1]
            self.csrf = data["csrf_token"]
            self.set_cookie = cookie
        return status, data


class Permissions(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.d = Deployment(example="leini").start()
        for role in ROLES:
            extra = []
            if role == "delegato":
                extra = ["--decree", "7/2026", "--from", day(-30), "--to", day(365)]
            cls.staff_cli("create", ACCOUNT[role], "--role", role, *extra)
        # who writes the fixtures: a second proponente, and an all-scopes token
        cls.staff_cli("create", "ufficio", "--role", "proponente")
        r = cls.d.cli("token", "create", "fixture", "--scope", "messages:read",
                      "--scope", "messages:write")
        assert r.returncode == 0, r.stderr
        cls.token = [l for l in r.stdout.splitlines() if l.startswith("bnd_")][0]
        cls.clients = {}
        for i, role in enumerate(ROLES):
            c = Client(cls.d.base, "192.0.2.%d" % (20 + i))
            status, data = c.login(ACCOUNT[role])
            assert status == 201, (role, status, data)
            cls.clients[role] = c
        cls.ufficio = Client(cls.d.base, "192.0.2.30")
        assert cls.ufficio.login("ufficio")[0] == 201
        cls.next_number = 7000

    @classmethod
    def tearDownClass(cls):
        cls.d.cleanup()

    @classmethod
    def staff_cli(cls, *args, password=PASSWORD):
        r = subprocess.run([BANDITORE, "staff", *args, "--config", cls.d.config, "--data-dir", cls.d.data],
                           input=password + "\n", capture_output=True, text=True, timeout=60)
        assert r.returncode == 0, (args, r.stdout, r.stderr)
        return r

    # -- fixtures --
    def token_call(self, method, path, body=None):
        c = Client(self.d.base)
        return c.request(method, path, body, headers={"Authorization": "Bearer " + self.token})

    def draft(self, client=None, **fields):
        body = {"text": "Avviso di prova del comune di Leini.", "category": "avvisi"}
        body.update(fields)
        if client is None:
            status, data, _ = self.token_call("POST", "/api/v1/messages", body)
        else:
            status, data, _ = client.request("POST", "/api/v1/messages", body)
        self.assertEqual(status, 201, data)
        return data["id"]

    def proposed(self):
        mid = self.draft(self.ufficio)
        status, data, _ = self.ufficio.request("POST", "/api/v1/messages/%d/propose" % mid)
        self.assertEqual(status, 200, data)
        self.assertEqual(data["state"], "proposed")
        return mid

    def subscriber(self):
        Permissions.next_number += 1
        number = "39333000%04d" % Permissions.next_number
        self.d.say(number, "ATTIVA ISCRIZIONE")
        self.d.wait_received(number, 1)
        # Every reply to the join has gone (the areas list follows the confirmation where
        # the comune has areas), so that what a test counts next is its own.
        self.d.wait_outbox_empty(timeout=15)
        return number

    def snapshot(self):
        """Everything an action could change, as the database holds it."""
        q = self.d.query
        msgs = [(i, t, x, p, c, "out" if s in APPROVED_OR_LATER else s)
                for (i, t, x, p, c, s) in q("SELECT id, title, text, priority, created_by, state "
                                            "FROM messages ORDER BY id")]
        return {
            "messages": msgs,
            "reviews": q("SELECT * FROM message_reviews ORDER BY message_id"),
            "staff": q("SELECT name, role, decree, decree_start, decree_end, revoked_at, password "
                       "FROM staff ORDER BY id"),
            "tokens": q("SELECT name, scopes, revoked_at, owner FROM api_tokens ORDER BY id"),
            "subscribers": q("SELECT id, addr_hash FROM subscribers ORDER BY id"),
            "blocklist": q("SELECT * FROM blocklist ORDER BY block_hash"),
            "audit": q("SELECT seq, action FROM audit_log ORDER BY seq"),
        }

    def audit_actions(self, after):
        return [a for (s, a) in self.d.query("SELECT seq, action FROM audit_log WHERE seq > ? "
                                             "ORDER BY seq", (after,))]

    def audit_head(self):
        return self.d.query("SELECT coalesce(max(seq), 0) FROM audit_log")[0][0]

    # -- every role x every action --
    def attempt(self, role, action):
        """Prepares the action's object, tries it as `role`; returns (status, data, check)
        where check() asserts the allowed effect."""
        c = self.clients[role]
        n = self.counter = getattr(self, "counter", 0) + 1
        if action == "propose":
            status, data, _ = c.request("POST", "/api/v1/messages",
                                        {"text": "Proposta %d" % n, "category": "avvisi"})
            if status != 201:
                return status, data, None
            mid = data["id"]
            status, data, _ = c.request("POST", "/api/v1/messages/%d/propose" % mid)
            return status, data, lambda: self.assertEqual(
                self.d.query("SELECT status, proposed_by FROM message_reviews WHERE message_id = ?",
                             (mid,)), [(1, ACCOUNT[role])])
        if action == "approve":
            mid = self.proposed()
            status, data, _ = c.request("POST", "/api/v1/messages/%d/approve" % mid)
            return status, data, lambda: (
                self.assertIn(self.d.query("SELECT state FROM messages WHERE id = ?", (mid,))[0][0],
                              APPROVED_OR_LATER),
                self.assertEqual(self.d.query("SELECT status, reviewed_by FROM message_reviews "
                                              "WHERE message_id = ?", (mid,)), [(3, ACCOUNT[role])]))
        if action == "reject":
            mid = self.proposed()
            status, data, _ = c.request("POST", "/api/v1/messages/%d/reject" % mid,
                                        {"reason": "Manca l'orario dell'evento."})
            return status, data, lambda: self.assertEqual(
                self.d.query("SELECT status, reason FROM message_reviews WHERE message_id = ?", (mid,)),
                [(2, "Manca l'orario dell'evento.")])
        if action == "cancel":
            mid = self.draft()
            status, data, _ = c.request("POST", "/api/v1/messages/%d/cancel" % mid)
            return status, data, lambda: self.assertEqual(
                self.d.query("SELECT state FROM messages WHERE id = ?", (mid,))[0][0], 6)
        if action == "emergency":
            status, data, _ = c.request("POST", "/api/v1/messages",
                                        {"text": "Allerta meteo %d: restare in casa." % n,
                                         "category": "emergenze", "priority": "emergency"})
            return status, data, lambda: self.assertEqual(
                self.d.query("SELECT priority, created_by FROM messages WHERE id = ?",
                             (data["id"],)), [(1, ACCOUNT[role])])
        if action == "manage_staff":
            name = "nuovo%d" % n
            status, data, _ = c.request("POST", "/api/v1/staff",
                                        {"name": name, "role": "proponente", "password": PASSWORD})
            return status, data, lambda: self.assertEqual(
                self.d.query("SELECT role, created_by FROM staff WHERE name = ?", (name,)),
                [(3, ACCOUNT[role])])
        if action == "manage_tokens":
            name = "portale%d" % n
            status, data, _ = c.request("POST", "/api/v1/tokens", {"name": name})
            return status, data, lambda: (
                self.assertTrue(data["secret"].startswith("bnd_")),
                self.assertEqual(self.d.query("SELECT owner FROM api_tokens WHERE name = ?", (name,)),
                                 [(ACCOUNT[role],)]))
        if action == "see_subscribers":
            status, data, _ = c.request("GET", "/api/v1/subscribers")
            return status, data, lambda: self.assertEqual(
                data["subscribers"]["whatsapp"],
                self.d.query("SELECT count(*) FROM subscribers WHERE platform = 1")[0][0])
        if action in ("erase", "expel", "warn"):
            number = self.subscriber()
            before = self.d.query("SELECT count(*) FROM subscribers")[0][0]
            blocked_before = self.d.query("SELECT count(*) FROM blocklist")[0][0]
            body = {"number": "+" + number}
            if action == "warn":
                body["text"] = "Diffida: i messaggi offensivi violano l'art. 7 della policy."
            if action == "expel":
                body["reason"] = "Messaggi offensivi dopo la diffida."
            status, data, _ = c.request("POST", "/api/v1/subscribers/" + action, body)

            def check():
                after = self.d.query("SELECT count(*) FROM subscribers")[0][0]
                if action == "warn":
                    self.assertEqual(after, before)
                    # After the join's own replies (the confirmation, the areas list
                    # where the comune has areas), the warning arrives.
                    deadline = time.time() + 15
                    while not any("Diffida" in json.dumps(m, ensure_ascii=False)
                                  for m in self.d.received(number)):
                        self.assertLess(time.time(), deadline, self.d.received(number))
                        time.sleep(0.05)
                else:
                    self.assertEqual(after, before - 1)
                    blocked = self.d.query("SELECT count(*) FROM blocklist")[0][0]
                    self.assertEqual(blocked, blocked_before + (1 if action == "expel" else 0))
            return status, data, check
        if action == "read_audit":
            status, data, _ = c.request("GET", "/api/v1/audit")
            return status, data, lambda: self.assertTrue(len(data["entries"]) > 0)
        if action == "inbox":
            # Leini answers automatically and keeps nothing: the list says so
            status, data, _ = c.request("GET", "/api/v1/inbox")
            return status, data, lambda: (
                self.assertEqual(data["mode"], "other"),
                self.assertEqual(len(data["messages"]),
                                 self.d.query("SELECT count(*) FROM kept_messages")[0][0]))
        if action == "channel_post":
            status, data, _ = c.request("GET", "/api/v1/channel/posts")
            return status, data, lambda: (
                self.assertEqual(data["mode"], "none"),
                self.assertEqual(len(data["waiting"]) + len(data["posted"]),
                                 self.d.query("SELECT count(*) FROM channel_posts")[0][0]))
        if action == "own_totp":
            # a new secret for one's own account, not in force until a code confirms it
            status, data, _ = c.request("POST", "/api/v1/session/totp/setup", {})
            return status, data, lambda: (
                self.assertRegex(data["secret"], r"^[A-Z2-7]{32}$"),
                self.assertEqual(self.d.query("SELECT length(totp_sealed) FROM staff WHERE name = ?",
                                              (ACCOUNT[role],)), [(0,)]))
        raise AssertionError(action)

    def test_every_role_every_action(self):
        results = {}
        for action in MATRIX:
            for role in ROLES:
                with self.subTest(role=role, action=action):
                    allowed = role in MATRIX[action]
                    snap_before = self.snapshot()
                    status, data, check = self.attempt(role, action)
                    if allowed:
                        self.assertIn(status, (200, 201, 202), (role, action, data))
                        check()
                    else:
                        self.assertEqual(status, 403, (role, action, data))
                        self.assertIn(data["error"], ("forbidden", "scope"))
                        # nothing changed but the fixture the attempt prepared
                        after = self.snapshot()
                        self.assert_only_fixture_changed(snap_before, after, action)
                    results[(role, action)] = status
        # the printed matrix, as measured
        print("\naction           " + " ".join("%-12s" % r for r in ROLES))
        for action in MATRIX:
            print("%-16s " % action + " ".join("%-12s" % results.get((r, action), "?") for r in ROLES))

    def assert_only_fixture_changed(self, before, after, action):
        """The denied attempt's own fixture (a proposed message, a draft, a subscriber and
        their audit entries) may be new; nothing that existed may have changed, and no
        entry of the denied action may be in the audit log."""
        for table in ("staff", "tokens", "blocklist"):
            self.assertEqual(before[table], after[table], (action, table))
        old_ids = {m[0] for m in before["messages"]}
        self.assertEqual([m for m in after["messages"] if m[0] in old_ids], before["messages"], action)
        old_reviews = {r[0] for r in before["reviews"]}
        self.assertEqual([r for r in after["reviews"] if r[0] in old_reviews], before["reviews"], action)
        # every fixture review is still just "proposed" (nobody approved or rejected it)
        for r in after["reviews"]:
            if r[0] not in old_reviews:
                self.assertEqual(r[1], 1, action)
        for m in after["messages"]:
            if m[0] not in old_ids:
                self.assertEqual(m[5], 0, action)  # still a draft
        self.assertEqual([s for s in after["subscribers"] if s in before["subscribers"]],
                         before["subscribers"], action)
        new_actions = [a for (s, a) in after["audit"] if (s, a) not in before["audit"]]
        denied = {"approve": "message.approve", "reject": "message.reject",
                  "cancel": "message.cancel", "emergency": "message.create",
                  "manage_staff": "staff.create", "manage_tokens": "token.create",
                  "erase": "subscriber.erase_on_request", "warn": "subscriber.warn",
                  "expel": "subscriber.expel"}.get(action)
        self.assertNotIn(denied, new_actions, action)
        if action in ("erase", "expel", "warn"):
            self.assertEqual(len(after["subscribers"]), len(before["subscribers"]) + 1, action)

    # -- sessions and their protections --
    def test_csrf_token_required_on_every_change(self):
        c = self.clients["gestore"]
        before = self.snapshot()
        for csrf, headers in ((False, None), (False, {"X-CSRF-Token": "0" * 64}),
                              (False, {"X-CSRF-Token": c.csrf[:-1] + ("0" if c.csrf[-1] != "0" else "1")})):
            status, data, _ = c.request("POST", "/api/v1/messages",
                                        {"text": "Senza CSRF.", "category": "avvisi"},
                                        csrf=csrf, headers=headers)
            self.assertEqual(status, 403)
            self.assertEqual(data["error"], "csrf")
            status, data, _ = c.request("POST", "/api/v1/staff",
                                        {"name": "intruso", "role": "gestore", "password": PASSWORD},
                                        csrf=csrf, headers=headers)
            self.assertEqual(status, 403)
        self.assertEqual(self.snapshot(), before)
        # a form of the console carries it as a field: a wrong one is refused, the right
        # one passes the check (and the body, not JSON, is then refused as malformed)
        form = {"Content-Type": "application/x-www-form-urlencoded"}
        status, data, _ = c.request("POST", "/api/v1/messages", b"text=x&csrf_token=" + b"1" * 64,
                                    csrf=False, headers=form)
        self.assertEqual((status, data["error"]), (403, "csrf"))
        status, data, _ = c.request("POST", "/api/v1/messages",
                                    b"text=x&csrf_token=" + c.csrf.encode(), csrf=False, headers=form)
        self.assertEqual(status, 400, data)
        self.assertEqual(self.snapshot(), before)
        # reading needs none
        status, data, _ = c.request("GET", "/api/v1/session", csrf=False)
        self.assertEqual(status, 200)
        self.assertEqual(data["role"], "gestore")
        self.assertEqual(data["csrf_token"], c.csrf)

    def test_cookie_attributes_and_logout(self):
        c = Client(self.d.base, "192.0.2.40")
        self.assertEqual(c.login("stampa")[0], 201)
        attrs = [a.strip() for a in c.set_cookie.split(";")]
        self.assertIn("HttpOnly", attrs)
        self.assertIn("SameSite=Strict", attrs)
        self.assertIn("Path=/", attrs)
        self.assertIn("Secure", attrs)  # Leini's public_url is https
        self.assertEqual(len(c.cookie), 43)
        # only the SHA-256 of the value is stored
        rows = self.d.query("SELECT hex(id_hash) FROM staff_sessions")
        self.assertNotIn(c.cookie, json.dumps(rows))
        status, data, h = c.request("DELETE", "/api/v1/session")
        self.assertEqual(status, 200)
        self.assertIn("Max-Age=0", h["set-cookie"])
        status, data, _ = c.request("GET", "/api/v1/session")
        self.assertEqual(status, 401)

    def test_lockout_after_five_failures(self):
        self.staff_cli("create", "bloccato", "--role", "gestore")
        c = Client(self.d.base, "198.51.100.7")
        for i in range(5):
            status, data = c.login("bloccato", "password sbagliata %d" % i)
            self.assertEqual(status, 401, data)
            self.assertEqual(data["error"], "credentials")
        status, data = c.login("bloccato")  # the right one, now too late
        self.assertEqual(status, 429)
        self.assertEqual(data["error"], "locked")
        self.assertGreater(data["retry_after"], 800)
        self.assertIsNone(c.cookie)
        # locked per account: from another address too
        status, _ = Client(self.d.base, "198.51.100.8").login("bloccato")
        self.assertEqual(status, 429)
        # an unknown name is answered like a wrong password
        status, data = Client(self.d.base, "198.51.100.9").login("nessuno", "qualcosa di lungo")
        self.assertEqual((status, data["error"]), (401, "credentials"))

    def test_revoked_account_thrown_out_with_its_token(self):
        self.staff_cli("create", "delegato2", "--role", "delegato", "--decree", "8/2026",
                       "--from", day(-1), "--to", day(30))
        c = Client(self.d.base, "192.0.2.50")
        self.assertEqual(c.login("delegato2")[0], 201)
        self.assertEqual(c.request("GET", "/api/v1/session")[0], 200)
        g = self.clients["gestore"]
        status, data, _ = g.request("POST", "/api/v1/staff/delegato2/revoke")
        self.assertEqual(status, 200, data)
        self.assertFalse(data["active"])
        status, data, _ = c.request("GET", "/api/v1/session")
        self.assertEqual(status, 401)
        status, data, _ = c.request("POST", "/api/v1/messages", {"text": "Dopo la revoca.", "category": "avvisi"})
        self.assertEqual(status, 401)
        self.assertEqual(self.d.query("SELECT count(*) FROM staff_sessions s JOIN staff a ON a.id = s.staff_id "
                                      "WHERE a.name = 'delegato2'")[0][0], 0)
        self.assertEqual(c.login("delegato2")[0], 403)
        self.assertIn("staff.revoke", self.audit_actions(0))

        # an account's token goes with it: a responsabile makes a gestore who makes a token
        r = self.clients["responsabile"]
        status, _, _ = r.request("POST", "/api/v1/staff", {"name": "stampa2", "role": "gestore",
                                                           "password": PASSWORD})
        self.assertEqual(status, 201)
        g2 = Client(self.d.base, "192.0.2.51")
        self.assertEqual(g2.login("stampa2")[0], 201)
        status, data, _ = g2.request("POST", "/api/v1/tokens", {"name": "stampa2-portale",
                                                                 "scopes": "messages:read"})
        self.assertEqual(status, 201)
        secret = data["secret"]
        t = Client(self.d.base)
        self.assertEqual(t.request("GET", "/api/v1/messages", headers={"Authorization": "Bearer " + secret})[0], 200)
        # a gestore may not revoke a responsabile; a responsabile revokes the gestore
        self.assertEqual(g2.request("POST", "/api/v1/staff/sindaco/revoke")[0], 403)
        self.assertEqual(r.request("POST", "/api/v1/staff/stampa2/revoke")[0], 200)
        self.assertEqual(t.request("GET", "/api/v1/messages", headers={"Authorization": "Bearer " + secret})[0], 401)
        self.assertNotEqual(self.d.query("SELECT revoked_at FROM api_tokens WHERE name = 'stampa2-portale'")[0][0], 0)

    def test_delegate_whose_decree_ended_is_refused(self):
        g = self.clients["gestore"]
        status, data, _ = g.request("POST", "/api/v1/staff", {
            "name": "scaduto", "role": "delegato", "password": PASSWORD, "decree": "3/2025",
            "decree_start": day(-60), "decree_end": day(-1)})
        self.assertEqual(status, 201, data)
        self.assertFalse(data["active"])
        c = Client(self.d.base, "192.0.2.60")
        status, data = c.login("scaduto")
        self.assertEqual((status, data["error"]), (403, "inactive"))
        # a delegate in office whose decree is cut short is thrown out on its next request
        status, data, _ = g.request("POST", "/api/v1/staff", {
            "name": "breve", "role": "delegato", "password": PASSWORD, "decree": "4/2026",
            "decree_start": day(-10), "decree_end": day(10)})
        self.assertEqual(status, 201, data)
        c = Client(self.d.base, "192.0.2.61")
        self.assertEqual(c.login("breve")[0], 201)
        self.assertEqual(c.request("GET", "/api/v1/session")[0], 200)
        status, data, _ = g.request("POST", "/api/v1/staff/breve/decree", {
            "decree": "4/2026", "decree_start": day(-10), "decree_end": day(-1)})
        self.assertEqual(status, 200, data)
        status, data, _ = c.request("GET", "/api/v1/session")
        self.assertEqual(status, 401)
        self.assertIn(data["error"], ("unauthorized", "inactive"))

    def test_sixth_delegate_refused(self):
        g = self.clients["gestore"]
        active = self.d.query("SELECT count(*) FROM staff WHERE role = 2 AND revoked_at = 0 "
                              "AND (decree_end = 0 OR decree_end > strftime('%s','now'))")[0][0]
        made = []
        for i in range(5 - active):
            status, data, _ = g.request("POST", "/api/v1/staff", {
                "name": "limite%d" % i, "role": "delegato", "password": PASSWORD,
                "decree": "%d/2026" % (20 + i), "decree_start": day(0), "decree_end": day(90)})
            self.assertEqual(status, 201, data)
            made.append("limite%d" % i)
        before = self.snapshot()
        status, data, _ = g.request("POST", "/api/v1/staff", {
            "name": "sesto", "role": "delegato", "password": PASSWORD, "decree": "99/2026",
            "decree_start": day(0), "decree_end": day(90)})
        self.assertEqual((status, data["error"]), (409, "delegates_max"))
        self.assertEqual(self.snapshot()["staff"], before["staff"])
        # revoking one frees the place
        for name in made:
            self.assertEqual(g.request("POST", "/api/v1/staff/%s/revoke" % name)[0], 200)

    def test_self_approval_refused_except_emergency(self):
        g, dlg = self.clients["gestore"], self.clients["delegato"]
        # a gestore's own normal message
        mid = self.draft(g)
        status, data, _ = g.request("POST", "/api/v1/messages/%d/approve" % mid)
        self.assertEqual((status, data["error"]), (403, "self_approval"))
        self.assertEqual(self.d.query("SELECT state FROM messages WHERE id = ?", (mid,))[0][0], 0)
        # proposed by the delegate: the delegate may not approve it, the gestore may
        mid = self.draft(dlg)
        self.assertEqual(dlg.request("POST", "/api/v1/messages/%d/propose" % mid)[0], 200)
        self.assertEqual(dlg.request("POST", "/api/v1/messages/%d/approve" % mid)[0], 403)
        self.assertEqual(dlg.request("POST", "/api/v1/messages/%d/send" % mid)[0], 403)
        status, data, _ = g.request("POST", "/api/v1/messages/%d/approve" % mid)
        self.assertEqual(status, 202, data)
        self.assertFalse(data["review"]["self_approved"])
        # an emergency: the gestore may approve their own, recorded as such
        head = self.audit_head()
        mid = self.draft(g, priority="emergency", category="emergenze",
                         text="Allerta: esondazione del torrente, evitare i sottopassi.")
        status, data, _ = g.request("POST", "/api/v1/messages/%d/approve" % mid)
        self.assertEqual(status, 202, data)
        self.assertTrue(data["review"]["self_approved"])
        self.assertEqual(self.d.query("SELECT self_approved, reviewed_by FROM message_reviews "
                                      "WHERE message_id = ?", (mid,)), [(1, "stampa")])
        details = self.d.query("SELECT details FROM audit_log WHERE action = 'message.approve' "
                               "AND object = ? AND seq > ?", ("message:%d" % mid, head))
        self.assertEqual(len(details), 1)
        self.assertTrue(json.loads(details[0][0])["self_approved"])
        # but not a delegate, even for an emergency
        mid = self.draft(dlg, priority="emergency", category="emergenze", text="Allerta neve.")
        self.assertEqual(dlg.request("POST", "/api/v1/messages/%d/approve" % mid)[1]["error"],
                         "self_approval")
        self.assertEqual(self.d.query("SELECT state FROM messages WHERE id = ?", (mid,))[0][0], 0)

    def test_reject_then_edit_after_approval_goes_back(self):
        g, r = self.clients["gestore"], self.clients["responsabile"]
        mid = self.proposed()
        status, data, _ = g.request("POST", "/api/v1/messages/%d/reject" % mid, {"reason": ""})
        self.assertEqual(status, 422)
        status, data, _ = g.request("POST", "/api/v1/messages/%d/reject" % mid, {"reason": "Testo poco chiaro."})
        self.assertEqual((status, data["state"], data["review"]["reason"]), (200, "rejected", "Testo poco chiaro."))
        # a rejected message is not approved until proposed again
        self.assertEqual(g.request("POST", "/api/v1/messages/%d/approve" % mid)[0], 409)
        self.assertEqual(self.ufficio.request("POST", "/api/v1/messages/%d/propose" % mid)[0], 200)
        # a scheduled one, edited after approval, needs approving again
        future = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(time.time() + 7 * 86400))
        mid = self.draft(self.ufficio, scheduled_at=future)
        self.assertEqual(self.ufficio.request("POST", "/api/v1/messages/%d/propose" % mid)[0], 200)
        status, data, _ = g.request("POST", "/api/v1/messages/%d/approve" % mid)
        self.assertEqual((status, data["state"]), (202, "scheduled"))
        # the proponente may edit their own message, not another's
        other = self.draft(self.clients["delegato"])
        status, data, _ = self.clients["proponente"].request(
            "POST", "/api/v1/messages/%d/edit" % other, {"text": "Cambiato.", "category": "avvisi"})
        self.assertEqual(status, 403)
        status, data, _ = r.request("POST", "/api/v1/messages/%d/edit" % mid,
                                    {"text": "Orario corretto: ore 10.", "category": "avvisi",
                                     "scheduled_at": future})
        self.assertEqual(status, 200, data)
        self.assertTrue(data["back_to_approval"])
        self.assertEqual(data["state"], "proposed")
        self.assertEqual(data["review"]["proposed_by"], "sindaco")
        self.assertEqual(self.d.query("SELECT state, text, approved_at FROM messages WHERE id = ?", (mid,)),
                         [(0, "Orario corretto: ore 10.", 0)])
        # the editor may not approve what they edited; somebody else may
        self.assertEqual(r.request("POST", "/api/v1/messages/%d/approve" % mid)[1]["error"], "self_approval")
        self.assertEqual(g.request("POST", "/api/v1/messages/%d/approve" % mid)[0], 202)
        # the approvals queue shows proposals only
        status, data, _ = g.request("GET", "/api/v1/messages")
        self.assertEqual(status, 200)
        self.assertTrue(all(m["state"] == "proposed" for m in data["messages"]))
        self.assertNotIn(mid, [m["id"] for m in data["messages"]])

    def test_existing_bearer_tokens_keep_working(self):
        mid = self.draft()
        status, data, _ = self.token_call("POST", "/api/v1/messages/%d/send" % mid)
        self.assertEqual(status, 202, data)
        status, data, _ = self.token_call("POST", "/api/v1/staff", {"name": "x", "role": "gestore",
                                                                    "password": PASSWORD})
        self.assertEqual((status, data["error"]), (403, "scope"))
        status, data, _ = self.token_call("GET", "/api/v1/subscribers")
        self.assertEqual(status, 403)

    def test_warning_window_and_expelled_number_cannot_rejoin(self):
        g = self.clients["gestore"]
        number = self.subscriber()
        # outside the 24-hour window the platform allows no free-form message
        with_sql = self.d.query("SELECT count(*) FROM subscribers")[0][0]
        self.assertGreater(with_sql, 0)
        status, data, _ = g.request("POST", "/api/v1/subscribers/warn",
                                    {"number": "+39 333 000 9999", "text": "Diffida."})
        self.assertEqual(status, 404)
        status, data, _ = g.request("POST", "/api/v1/subscribers/expel",
                                    {"number": "+" + number, "reason": "Insulti ripetuti."})
        self.assertEqual(status, 200, data)
        self.assertTrue(data["was_subscriber"])
        count = self.d.query("SELECT count(*) FROM subscribers")[0][0]
        self.assertEqual(count, with_sql - 1)
        got = len(self.d.received(number))
        self.d.say(number, "ATTIVA ISCRIZIONE")
        msgs = self.d.wait_received(number, got + 1)
        self.assertIn("Non è possibile iscriversi di nuovo", json.dumps(msgs[-1], ensure_ascii=False))
        self.assertEqual(self.d.query("SELECT count(*) FROM subscribers")[0][0], count)
        # the audit says it happened, never to whom
        row = self.d.query("SELECT object, details FROM audit_log WHERE action = 'subscriber.expel' "
                           "ORDER BY seq DESC LIMIT 1")[0]
        self.assertEqual(row[0], "subscriber")
        self.assertNotIn(number[-7:], row[1])
        self.assertNotIn(number[-7:], str(self.d.query("SELECT actor, action, object, details FROM audit_log")))
        status, data, _ = g.request("POST", "/api/v1/subscribers/warn",
                                    {"number": "+" + number, "text": "Diffida."})
        self.assertEqual(status, 404)

    def test_warning_refused_outside_the_window(self):
        g = self.clients["gestore"]
        number = self.subscriber()
        # the daemon reads last_inbound_at; age it (a test-only write through sqlite3)
        import sqlite3
        con = sqlite3.connect(self.d.db, timeout=10)
        try:
            con.execute("UPDATE subscribers SET last_inbound_at = last_inbound_at - 90000 "
                        "WHERE id = (SELECT max(id) FROM subscribers)")
            con.commit()
        finally:
            con.close()
        got = len(self.d.received(number))
        status, data, _ = g.request("POST", "/api/v1/subscribers/warn",
                                    {"number": "+" + number, "text": "Diffida."})
        self.assertEqual((status, data["error"]), (409, "window_closed"))
        self.assertIn("24 ore", data["message"])
        time.sleep(0.5)
        self.assertEqual(len(self.d.received(number)), got)



class CategoryApprovers(unittest.TestCase):
    """Concorezzo's policy: the Administration's press releases are approved by the
    responsabile or the gestore only (art. 4), public-utility notices by a delegate too."""

    def test_only_the_categorys_approvers_approve(self):
        d = Deployment(example="concorezzo", policy=True)
        with open(d.config, encoding="utf-8") as f:
            text = f.read()
        # The lexicons from this source tree (an installed Banditore finds its own).
        lex = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "data",
                           "policy", "lexicons", "it")
        text = text.replace("[content]\n", "[content]\nlexicon_dir = %s\n" % lex, 1)
        with open(d.config, "w", encoding="utf-8") as f:
            f.write(text)
        d.start()
        try:
            for name, role, extra in (("prop", "proponente", []), ("gest", "gestore", []),
                                      ("dele", "delegato", ["--decree", "3/2026", "--from", day(-1),
                                                            "--to", day(30)])):
                r = subprocess.run([BANDITORE, "staff", "create", name, "--role", role, *extra,
                                    "--config", d.config, "--data-dir", d.data],
                                   input=PASSWORD + "\n", capture_output=True, text=True, timeout=60)
                self.assertEqual(r.returncode, 0, r.stderr)
            clients = {}
            for i, name in enumerate(("prop", "gest", "dele")):
                clients[name] = Client(d.base, "192.0.2.%d" % (50 + i))
                self.assertEqual(clients[name].login(name)[0], 201)

            def proposed(category):
                status, data, _ = clients["prop"].request("POST", "/api/v1/messages", {
                    "text": "Avviso del Comune di Concorezzo.", "category": category})
                self.assertEqual(status, 201, data)
                status, data, _ = clients["prop"].request("POST", "/api/v1/messages/%d/propose" % data["id"])
                self.assertEqual(status, 200, data)
                return data["id"]

            release = proposed("istituzionale")
            status, data, _ = clients["dele"].request("POST", "/api/v1/messages/%d/approve" % release)
            self.assertEqual((status, data.get("error")), (403, "category_approvers"), data)
            self.assertEqual(d.query("SELECT state FROM messages WHERE id = ?", (release,))[0][0], 0)
            status, data, _ = clients["gest"].request("POST", "/api/v1/messages/%d/approve" % release)
            self.assertIn(status, (200, 202), data)
            self.assertNotEqual(d.query("SELECT state FROM messages WHERE id = ?", (release,))[0][0], 0)
            notice = proposed("utilita")
            status, data, _ = clients["dele"].request("POST", "/api/v1/messages/%d/approve" % notice)
            self.assertIn(status, (200, 202), data)
        finally:
            d.cleanup()

# The front desk and the join queue (issue 8, items 3 and 5): action -> roles allowed.
JOIN_MATRIX = {
    "enroll": {"responsabile", "gestore", "delegato"},
    "moderate": {"responsabile", "gestore", "delegato"},
    "see_numbers": {"responsabile", "gestore"},
}


class JoinPermissions(unittest.TestCase):
    """Every role x the front desk's and the queue's actions, and the token scopes; a
    denied attempt gets 403 and changes nothing in the database (requests, subscribers,
    outbox, audit log). Leini's example with the desk and moderation switched on."""

    @classmethod
    def setUpClass(cls):
        cls.d = Deployment(example="leini", extra=[("channel", "assisted_enrollment", "yes"),
                                                   ("channel", "moderate_joins", "yes")]).start()
        cls.clients = {}
        for i, role in enumerate(ROLES):
            extra = ["--decree", "7/2026", "--from", day(-30), "--to", day(365)] if role == "delegato" else []
            r = subprocess.run([BANDITORE, "staff", "create", ACCOUNT[role], "--role", role, *extra,
                                "--config", cls.d.config, "--data-dir", cls.d.data],
                               input=PASSWORD + "\n", capture_output=True, text=True, timeout=60)
            assert r.returncode == 0, r.stderr
            c = Client(cls.d.base, "192.0.2.%d" % (120 + i))
            assert c.login(ACCOUNT[role])[0] == 201
            cls.clients[role] = c
        cls.tokens = {}
        for scopes in ("subscribers:read", "subscribers:write", "subscribers:write subscribers:numbers"):
            args = [a for s in scopes.split() for a in ("--scope", s)]
            r = cls.d.cli("token", "create", scopes.replace(":", "-").replace(" ", "-"), *args)
            assert r.returncode == 0, r.stderr
            cls.tokens[scopes] = [l for l in r.stdout.splitlines() if l.startswith("bnd_")][0]
        cls.number = 7500

    @classmethod
    def tearDownClass(cls):
        cls.d.cleanup()

    def next_number(self):
        JoinPermissions.number += 1
        return "39333000%04d" % JoinPermissions.number

    def queued(self):
        number = self.next_number()
        self.d.say(number, "ATTIVA ISCRIZIONE")
        self.d.wait_received(number, 1)
        data = self.clients["gestore"].request("GET", "/api/v1/joins")[1]
        return number, [q["id"] for q in data["requests"] if q["number"] == "+" + number][0]

    def snapshot(self):
        q = self.d.query
        return (q("SELECT token_hash, state, method, ref FROM pending_joins ORDER BY token_hash"),
                q("SELECT id FROM subscribers ORDER BY id"),
                q("SELECT count(*) FROM outbox")[0][0],
                q("SELECT seq, action FROM audit_log ORDER BY seq"))

    def attempt(self, who, action):
        """(status, data, check): check() asserts the allowed effect."""
        if action == "enroll":
            number = self.next_number()
            status, data, _ = who.request("POST", "/api/v1/subscribers/enroll",
                                          {"number": "+" + number, "form_number": "P-%s" % number[-4:],
                                           "form_date": day(0)}, **self.auth)
            return status, data, lambda: self.assertEqual(
                self.d.query("SELECT method, consent_detail FROM pending_joins WHERE consent_detail LIKE ?",
                             ("modulo n. P-%s %%" % number[-4:],)),
                [("assisted", "modulo n. P-%s del %s" % (number[-4:], day(0)))])
        if action == "moderate":
            number, ref = self.queued()
            status, data, _ = who.request("POST", "/api/v1/joins/%s/approve" % ref, {}, **self.auth)
            return status, data, lambda: (
                self.assertEqual(self.d.query("SELECT count(*) FROM pending_joins WHERE ref = ?", (ref,))[0][0], 0),
                self.assertEqual(self.d.wait_received(number, 2)[-1]["type"], "text"))
        if action == "see_numbers":
            number, ref = self.queued()
            status, data, _ = who.request("GET", "/api/v1/joins", **self.auth)
            if status != 200:
                return status, data, None
            mine = [q for q in data["requests"] if q["id"] == ref]
            # reading the queue is "moderate"; the number in full is "see_numbers"
            return (200 if not mine[0]["masked"] else 403), data, lambda: self.assertEqual(
                mine[0]["number"], "+" + number)
        raise AssertionError(action)

    def test_every_role_every_join_action(self):
        self.auth = {}
        for action, allowed_roles in JOIN_MATRIX.items():
            for role in ROLES:
                with self.subTest(role=role, action=action):
                    before = self.snapshot()
                    status, data, check = self.attempt(self.clients[role], action)
                    if role in allowed_roles:
                        self.assertIn(status, (200, 202), (role, action, data))
                        check()
                    else:
                        self.assertEqual(status, 403, (role, action, data))
                        after = self.snapshot()
                        # only the fixture (a queued request and its reply) may be new
                        self.assertEqual([p for p in after[0] if p in before[0] or p[1] == 1],
                                         after[0], (role, action))
                        self.assertEqual(after[1], before[1], (role, action))
                        new_audit = [a for a in after[3] if a not in before[3]]
                        self.assertEqual([a for (_, a) in new_audit
                                          if a in ("subscriber.enroll", "join.approve", "join.refuse")], [])

    def test_token_scopes(self):
        read = Client(self.d.base, "192.0.2.130")
        self.auth = {"headers": {"Authorization": "Bearer " + self.tokens["subscribers:read"]}}
        for action in JOIN_MATRIX:
            before = self.snapshot()[1]
            status, data, _ = self.attempt(read, action)
            self.assertEqual(status, 403, (action, data))
            self.assertEqual(data["error"], "scope")
            self.assertEqual(self.snapshot()[1], before)
        # subscribers:write enrolls and decides, but sees the numbers masked: reading them
        # in full is subscribers:numbers, a scope of its own
        self.auth = {"headers": {"Authorization": "Bearer " + self.tokens["subscribers:write"]}}
        for action in JOIN_MATRIX:
            status, data, check = self.attempt(read, action)
            if action == "see_numbers":
                self.assertEqual(status, 403, data)
                self.assertTrue(all(q["masked"] and q["number"].count("\u2022") >= 4
                                    for q in data["requests"]), data)
                continue
            self.assertIn(status, (200, 202), (action, data))
            check()
        self.auth = {"headers": {"Authorization": "Bearer " + self.tokens["subscribers:write subscribers:numbers"]}}
        for action in JOIN_MATRIX:
            status, data, check = self.attempt(read, action)
            self.assertIn(status, (200, 202), (action, data))
            check()


if __name__ == "__main__":
    unittest.main(verbosity=2)
