"""Per-platform previews of a message as typed (issue 5, item 6 "a preview of how each
platform will show it"; issue 7, point 1: the console's preview uses the connectors'
rendering).

The real daemon runs Seveso's example with its five platforms (WhatsApp, Telegram,
e-mail, browser push, SMS; fictitious secrets, nothing is sent). POST
/api/v1/policy/check answers, besides the verdicts, how each configured platform shows
the message: Telegram's HTML with the title in bold and escaping, the e-mail's subject,
the push notification's title, the SMS segments, WhatsApp's template fields; a text too
long for WhatsApp's template is an error there and cut elsewhere. A channel with
WhatsApp only previews WhatsApp only. Nothing is stored.

Environment: BANDITORE, BANDITORE_SIM.
"""
import os
import subprocess
import sys
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from test_permissions import Client, PASSWORD  # noqa: E402
from test_whatsapp_inbound import BANDITORE, Deployment  # noqa: E402

SECRETS = ("\n[telegram]\nbot_token = 123456:test-token-not-real\nwebhook_secret = test-webhook-secret\n"
           "\n[sms]\nauth_secret = test-sms-secret\nwebhook_secret = test-sms-webhook\n"
           "\n[email]\npassword = test-smtp-password\n")


def start(extra=None, secrets=""):
    d = Deployment(example="seveso", extra=extra)
    with open(os.path.join(d.dir, "secrets.ini"), "a", encoding="utf-8") as f:
        f.write(secrets)
    d.start()
    r = subprocess.run([BANDITORE, "staff", "create", "stampa", "--role", "gestore",
                        "--config", d.config, "--data-dir", d.data],
                       input=PASSWORD + "\n", capture_output=True, text=True, timeout=60)
    assert r.returncode == 0, r.stderr
    c = Client(d.base, "192.0.2.80")
    assert c.login("stampa")[0] == 201
    return d, c


class Previews(unittest.TestCase):
    def test_every_platform_of_the_channel(self):
        d, c = start(secrets=SECRETS)
        try:
            body = {"title": "Chiusura <scuole> & asili", "category": "emergenze",
                    "text": "Domani scuole chiuse per neve.", "link": "https://www.comune.seveso.example/neve"}
            status, data, _ = c.request("POST", "/api/v1/policy/check", body)
            self.assertEqual(status, 200, data)
            p = {x["platform"]: x for x in data["previews"]}
            self.assertEqual(list(p), ["whatsapp", "telegram", "email", "webpush", "sms"])
            self.assertIn("Domani scuole chiuse per neve.", p["whatsapp"]["body"])
            self.assertEqual(p["telegram"]["body"],
                             "<b>Chiusura &lt;scuole&gt; &amp; asili</b>\n\nDomani scuole chiuse per neve.\n\n"
                             "https://www.comune.seveso.example/neve")
            self.assertEqual(p["email"]["title"], "Chiusura <scuole> & asili")
            self.assertTrue(p["email"]["body"].startswith("Domani scuole chiuse per neve."))
            self.assertEqual(p["webpush"]["title"], "Chiusura <scuole> & asili")
            self.assertEqual(p["sms"]["parts"], 1)
            self.assertIn("Domani scuole chiuse", p["sms"]["body"])
            for x in p.values():
                self.assertFalse(x["cut"], x)
            # too long for WhatsApp's template: an error there, cut where the platform cuts
            status, data, _ = c.request("POST", "/api/v1/policy/check",
                                        dict(body, text="Avviso lungo. " * 100))
            self.assertEqual(status, 200, data)
            p = {x["platform"]: x for x in data["previews"]}
            self.assertEqual(p["whatsapp"], {"platform": "whatsapp", "error": "invalid"})
            self.assertFalse(p["telegram"]["cut"])
            self.assertTrue(p["webpush"]["cut"])
            self.assertTrue(p["sms"]["cut"] or p["sms"]["parts"] > 1)
            self.assertEqual(d.query("SELECT count(*) FROM messages")[0][0], 0)
        finally:
            d.cleanup()

    def test_whatsapp_only_channel(self):
        d, c = start(extra=[("channel", "platforms", "whatsapp")])
        try:
            status, data, _ = c.request("POST", "/api/v1/policy/check",
                                        {"text": "Mercato sospeso sabato.", "category": "avvisi"})
            self.assertEqual(status, 200, data)
            self.assertEqual([x["platform"] for x in data["previews"]], ["whatsapp"])
        finally:
            d.cleanup()


if __name__ == "__main__":
    unittest.main(verbosity=2)
