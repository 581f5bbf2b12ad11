"""One's own second factor set up over the API the console uses (issue 5, item 3).

A gestore asks for a new secret, which is not in force until a first code computed here
(RFC 6238, HMAC-SHA1, 30 s) matches it: a wrong code or another account's pending secret
changes nothing. Once on, logging in needs a code (the one used to confirm cannot be used
again), the secret is stored sealed, the audit says staff.totp without the secret, and
turning it off needs a current code. A token cannot touch it (sessions only).

Turning it on or off also asks for the account's current password, under login's throttle:
a wrong password or code counts as a failed login of the account and of the source
address, the fifth on an account locks it (429, login included) for 15 minutes, and a
lock stops the change even with the right password and code.

Environment: BANDITORE, BANDITORE_SIM.
"""
import base64
import hashlib
import hmac
import json
import os
import struct
import subprocess
import sys
import time
import unittest
import urllib.parse

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from test_permissions import Client, PASSWORD  # noqa: E402
from test_whatsapp_inbound import BANDITORE, Deployment  # noqa: E402


def totp(secret_b32, at):
    key = base64.b32decode(secret_b32 + "=" * (-len(secret_b32) % 8))
    mac = hmac.new(key, struct.pack(">Q", int(at) // 30), hashlib.sha1).digest()
    off = mac[-1] & 0x0F
    return "%06d" % ((struct.unpack(">I", mac[off:off + 4])[0] & 0x7FFFFFFF) % 1000000)


class TotpSetup(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.d = Deployment(example="leini").start()
        for name, role in (("stampa", "gestore"), ("assessore", "proponente"), ("ufficio", "gestore"),
                           ("anagrafe", "gestore")):
            r = subprocess.run([BANDITORE, "staff", "create", name, "--role", role,
                                "--config", cls.d.config, "--data-dir", cls.d.data],
                               input=PASSWORD + "\n", capture_output=True, text=True, timeout=60)
            assert r.returncode == 0, r.stderr

    @classmethod
    def tearDownClass(cls):
        cls.d.cleanup()

    def sealed(self, name):
        return self.d.query("SELECT totp_sealed FROM staff WHERE name = ?", (name,))[0][0]

    def test_setup_confirm_login_disable(self):
        g = Client(self.d.base, "192.0.2.50")
        self.assertEqual(g.login("stampa")[0], 201)
        status, me, _ = g.request("GET", "/api/v1/session")
        self.assertEqual((status, me["totp"]), (200, False))
        self.assertIn("own_totp", me["permissions"])
        status, s, _ = g.request("POST", "/api/v1/session/totp/setup", {})
        self.assertEqual(status, 200, s)
        secret = s["secret"]
        self.assertRegex(secret, r"^[A-Z2-7]{32}$")
        uri = urllib.parse.urlparse(s["otpauth_uri"])
        self.assertEqual((uri.scheme, uri.netloc, uri.path), ("otpauth", "totp", "/Banditore:stampa"))
        self.assertEqual(urllib.parse.parse_qs(uri.query)["secret"], [secret])
        # asking again with the pending secret shows the same one
        status, again, _ = g.request("POST", "/api/v1/session/totp/setup", {"pending": s["pending"]})
        self.assertEqual((status, again["secret"]), (200, secret))
        # nothing is stored yet; a wrong code, a forged pending, or none change nothing
        self.assertFalse(self.sealed("stampa"))
        head = self.d.query("SELECT max(seq) FROM audit_log")[0][0]
        wrong = "%06d" % ((int(totp(secret, time.time())) + 1) % 1000000)
        status, data, _ = g.request("POST", "/api/v1/session/totp/enable", {"pending": s["pending"], "code": wrong,
                                                                          "password": PASSWORD})
        self.assertEqual((status, data["error"]), (422, "totp_invalid"))
        forged = s["pending"][:-2] + ("00" if s["pending"][-2:] != "00" else "11")
        status, data, _ = g.request("POST", "/api/v1/session/totp/enable",
                                    {"pending": forged, "code": totp(secret, time.time()), "password": PASSWORD})
        self.assertEqual((status, data["error"]), (422, "pending_invalid"))
        # another account cannot enable with this pending secret
        p = Client(self.d.base, "192.0.2.51")
        self.assertEqual(p.login("assessore")[0], 201)
        head = self.d.query("SELECT max(seq) FROM audit_log")[0][0]  # after the login's entry
        status, data, _ = p.request("POST", "/api/v1/session/totp/enable",
                                    {"pending": s["pending"], "code": totp(secret, time.time()),
                                     "password": PASSWORD})
        self.assertEqual((status, data["error"]), (422, "pending_invalid"))
        self.assertFalse(self.sealed("stampa"))
        self.assertFalse(self.sealed("assessore"))
        self.assertEqual(self.d.query("SELECT max(seq) FROM audit_log")[0][0], head)
        # the first code confirms it (the previous step's code: still in the window)
        confirm = totp(secret, time.time() - 30)
        # not without the password, nor with a wrong one
        status, data, _ = g.request("POST", "/api/v1/session/totp/enable", {"pending": s["pending"], "code": confirm})
        self.assertEqual((status, data["error"], data["field"]), (422, "invalid", "password"))
        status, data, _ = g.request("POST", "/api/v1/session/totp/enable",
                                    {"pending": s["pending"], "code": confirm, "password": PASSWORD + "x"})
        self.assertEqual((status, data["error"], data["field"]), (422, "password_invalid", "password"))
        self.assertTrue(data["message"].startswith("password errata"))
        self.assertFalse(self.sealed("stampa"))
        status, data, _ = g.request("POST", "/api/v1/session/totp/enable",
                                    {"pending": s["pending"], "code": confirm, "password": PASSWORD})
        self.assertEqual((status, data), (200, {"totp": True}))
        stored = self.sealed("stampa")
        self.assertTrue(stored)
        self.assertNotIn(base64.b32decode(secret), stored)
        entries = self.d.query("SELECT actor, action, object, details FROM audit_log WHERE seq > ?", (head,))
        self.assertEqual(entries, [("staff:stampa", "staff.totp", "staff:stampa", '{"enabled":true}')])
        self.assertNotIn(secret, json.dumps(self.d.query("SELECT * FROM audit_log"), default=repr))
        # the secret is nowhere in plaintext: neither in the database file nor in its WAL
        raw = b""
        for suffix in ("", "-wal"):
            if os.path.exists(self.d.db + suffix):
                with open(self.d.db + suffix, "rb") as f:
                    raw += f.read()
        self.assertNotIn(base64.b32decode(secret), raw)
        self.assertNotIn(secret.encode(), raw)
        status, data, _ = g.request("POST", "/api/v1/session/totp/setup", {})
        self.assertEqual(status, 409)
        # logging in now needs the code; the confirming code is not accepted again
        c = Client(self.d.base, "192.0.2.52")
        status, data = c.login("stampa")
        self.assertEqual((status, data["error"]), (401, "totp_required"))
        status, data = c.login("stampa", totp=confirm)
        self.assertEqual(status, 401)
        status, data = c.login("stampa", totp=totp(secret, time.time()))
        self.assertEqual(status, 201, data)
        # a token cannot touch a second factor
        r = self.d.cli("token", "create", "portale", "--scope", "messages:write")
        token = [l for l in r.stdout.splitlines() if l.startswith("bnd_")][0]
        status, data, _ = Client(self.d.base).request("POST", "/api/v1/session/totp/disable",
                                                      {"code": "000000", "password": PASSWORD},
                                                      headers={"Authorization": "Bearer " + token})
        self.assertEqual(status, 403)
        # off: a wrong code changes nothing, a current one turns it off
        status, data, _ = c.request("POST", "/api/v1/session/totp/disable", {"code": wrong, "password": PASSWORD})
        self.assertEqual((status, data["error"]), (422, "totp_invalid"))
        self.assertTrue(self.sealed("stampa"))
        # a current code without the password, or with a wrong one, changes nothing
        now_code = totp(secret, time.time() + 30)
        status, data, _ = c.request("POST", "/api/v1/session/totp/disable", {"code": now_code})
        self.assertEqual((status, data["field"]), (422, "password"))
        status, data, _ = c.request("POST", "/api/v1/session/totp/disable",
                                    {"code": now_code, "password": "non la mia password"})
        self.assertEqual((status, data["error"]), (422, "password_invalid"))
        self.assertTrue(self.sealed("stampa"))
        status, data, _ = c.request("POST", "/api/v1/session/totp/disable", {"code": now_code, "password": PASSWORD})
        self.assertEqual((status, data), (200, {"totp": False}))
        self.assertFalse(self.sealed("stampa"))
        c2 = Client(self.d.base, "192.0.2.53")
        self.assertEqual(c2.login("stampa")[0], 201)
        self.assertEqual(self.d.query("SELECT action, details FROM audit_log ORDER BY seq DESC LIMIT 2")[1],
                         ("staff.totp", '{"enabled":false}'))


    def failed_logins(self, key):
        """The failures counted under a throttling key ("account:NAME" or "source:ADDRESS")."""
        rows = self.d.query("SELECT failures, locked_until FROM login_throttle WHERE key = ?",
                            (hashlib.sha256(key.encode()).digest(),))
        return rows[0] if rows else (0, 0)

    def setting_up(self, name, source):
        """A session of `name` from `source` that has asked for a new secret: (client, setup)."""
        g = Client(self.d.base, source)
        self.assertEqual(g.login(name)[0], 201)
        status, s, _ = g.request("POST", "/api/v1/session/totp/setup", {})
        self.assertEqual(status, 200, s)
        return g, s

    def test_wrong_password_or_code_throttled_like_login(self):
        g, s = self.setting_up("ufficio", "192.0.2.60")
        pending, secret = s["pending"], s["secret"]
        wrong = "%06d" % ((int(totp(secret, time.time())) + 1) % 1000000)
        head = self.d.query("SELECT max(seq) FROM audit_log")[0][0]
        # a wrong password and a wrong code each count as a failed login, per account
        # and per source address
        status, data, _ = g.request("POST", "/api/v1/session/totp/enable",
                                    {"pending": pending, "code": totp(secret, time.time()), "password": "sbagliata!"})
        self.assertEqual((status, data["error"]), (422, "password_invalid"))
        self.assertEqual(self.failed_logins("account:ufficio")[0], 1)
        self.assertEqual(self.failed_logins("source:192.0.2.60")[0], 1)
        status, data, _ = g.request("POST", "/api/v1/session/totp/enable",
                                    {"pending": pending, "code": wrong, "password": PASSWORD})
        self.assertEqual((status, data["error"]), (422, "totp_invalid"))
        self.assertEqual(self.failed_logins("account:ufficio")[0], 2)
        # and a failed login adds to them: the fifth failure locks the account
        other = Client(self.d.base, "192.0.2.61")
        self.assertEqual(other.login("ufficio", password="sbagliata!")[0], 401)
        for body in ({"pending": pending, "code": wrong, "password": PASSWORD},
                     {"pending": pending, "code": totp(secret, time.time()), "password": "ancora sbagliata"}):
            status, data, _ = g.request("POST", "/api/v1/session/totp/enable", body)
            self.assertEqual(status, 422, data)
        failures, locked_until = self.failed_logins("account:ufficio")
        self.assertGreater(locked_until, time.time())
        # locked: the right password and code are refused, here and at login
        status, data, headers = g.request("POST", "/api/v1/session/totp/enable",
                                          {"pending": pending, "code": totp(secret, time.time()), "password": PASSWORD})
        self.assertEqual((status, data["error"]), (429, "locked"), data)
        self.assertTrue(data["message"].startswith("troppi tentativi"))
        self.assertGreater(int(headers["retry-after"]), 0)
        self.assertFalse(self.sealed("ufficio"))
        self.assertEqual(Client(self.d.base, "192.0.2.62").login("ufficio")[0], 429)
        # nothing was audited; the session itself still works
        self.assertEqual(self.d.query("SELECT max(seq) FROM audit_log")[0][0], head)
        self.assertEqual(g.request("GET", "/api/v1/session")[0], 200)

    def test_source_address_throttled(self):
        # ten failures from one address lock it, whichever account's session they came from
        g, s = self.setting_up("anagrafe", "192.0.2.70")
        for i in range(10):
            # failed logins as nobody from the same address, then the session's own change
            if i < 6:
                self.assertEqual(Client(self.d.base, "192.0.2.70").login("nessuno%d" % i)[0], 401)
            else:
                status, data, _ = g.request("POST", "/api/v1/session/totp/enable",
                                            {"pending": s["pending"], "code": "000000" if i % 2 else "111111",
                                             "password": PASSWORD if i % 2 else "errata-%d" % i})
                self.assertEqual(status, 422, data)
        self.assertGreater(self.failed_logins("source:192.0.2.70")[1], time.time())
        self.assertLess(self.failed_logins("account:anagrafe")[0], 5)
        status, data, _ = g.request("POST", "/api/v1/session/totp/enable",
                                    {"pending": s["pending"], "code": totp(s["secret"], time.time()),
                                     "password": PASSWORD})
        self.assertEqual((status, data["error"]), (429, "locked"))
        self.assertFalse(self.sealed("anagrafe"))


if __name__ == "__main__":
    unittest.main(verbosity=2)
