"""Integration tests of issue 8 item 4: SMS through a generic HTTP gateway.

The real daemon runs on loopback with [sms] configured against a fake gateway
(sms_gateway.py) that checks what it receives: method, bearer token, JSON content type,
the body's fields at the places the template puts them, the sender, the number's form
and that each text fits the allowed number of SMS parts (counted in Python). Citizens'
SMS are forwarded to POST /webhooks/sms as the gateway would: join by keyword (the
number stored sealed, the confirmation sent to the gateway), leave (erased: the database
and its WAL are scanned for the number), and the gateway's errors: 500 is retried,
a 4xx is not, nor a 200 whose JSON status says the SMS was refused.

Environment: BANDITORE, BANDITORE_SIM. Numbers are fictitious (+39 333 000 xxxx).
"""
import json
import os
import subprocess
import sys
import time
import unittest
import urllib.parse

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import harness  # noqa: E402
from sms_gateway import Gateway, sms_parts  # noqa: E402
from test_whatsapp_inbound import BANDITORE, Deployment, http  # noqa: E402

SMS_TOKEN = "test-sms-gateway-token"
WEBHOOK_SECRET = "test-sms-webhook-secret"
ALREADY = ('La tua iscrizione a WhatsConcorezzo è già attiva: non serve fare altro. '
           'Per cancellarti scrivi "DISATTIVA ISCRIZIONE".')
LEAVE = ("La tua iscrizione a WhatsConcorezzo è stata cancellata e il tuo numero è stato "
         "eliminato insieme a ogni dato che ti riguarda. Grazie per averci seguito!")
PLATFORM_SMS = 5


def sms_deployment(gw, extra_sms=""):
    d = Deployment("concorezzo", extra=[("channel", "platforms", "whatsapp, sms")])
    with open(d.config, "a", encoding="utf-8") as f:
        f.write("\n[sms]\nurl = %s\ncontent_type = json\n"
                'body = {"recipient":{"number":"{to}"},"sender":"{from}","message":{"text":"{text}"}}\n'
                "auth = bearer\nsender = ComuneTest\nstatus_field = /result/status\n"
                "status_ok = queued, OK\nid_field = /result/id\nmax_segments = 3\n"
                "long_text = split\nmessages_per_second = 100\n%s" % (gw.url, extra_sms))
    with open(os.path.join(d.dir, "secrets.ini"), "a", encoding="utf-8") as f:
        f.write("[sms]\nauth_secret = %s\nwebhook_secret = %s\n" % (SMS_TOKEN, WEBHOOK_SECRET))
    return d


class Sms(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.gw = Gateway(expect_auth="Bearer " + SMS_TOKEN, content_type="json", max_parts=3,
                         sender="ComuneTest").start()
        cls.d = sms_deployment(cls.gw, extra_sms="webhook_param = token\n").start()

    @classmethod
    def tearDownClass(cls):
        cls.d.cleanup()
        cls.gw.stop()

    def inbound(self, number, text, token=WEBHOOK_SECRET, as_json=False, query=None):
        headers = {}
        if token is not None:
            headers["X-Banditore-Token"] = token
        if as_json:
            body = json.dumps({"from": number, "text": text}).encode()
            headers["Content-Type"] = "application/json"
        else:
            body = urllib.parse.urlencode({"from": number, "text": text}).encode()
            headers["Content-Type"] = "application/x-www-form-urlencoded"
        url = self.d.base + "/webhooks/sms" + ("?" + query if query else "")
        return http("POST", url, body, headers)

    def rows(self, number=None):
        return self.d.query("SELECT sealed, method, policy_version FROM subscribers WHERE platform = ?",
                            (PLATFORM_SMS,))

    def wait_sms(self, number, count, timeout=15):
        deadline = time.time() + timeout
        while time.time() < deadline:
            got = self.gw.to(number)
            if len(got) >= count:
                return got
            time.sleep(0.05)
        self.fail("expected %d SMS to %s, got %r (rejected: %r)"
                  % (count, number, self.gw.to(number), self.gw.rejected))

    def tearDown(self):
        self.assertEqual(self.gw.rejected, [], "the gateway refused requests")

    def test_join_confirmation_and_already(self):
        number = "+393330000301"
        before = len(self.rows())
        status, body = self.inbound("+39 333 000 0301", "attiva  iscrizione!")
        self.assertEqual(status, 200, body)
        rows = self.rows()
        self.assertEqual(len(rows), before + 1)
        self.assertTrue(all(number[1:].encode() not in r[0] for r in rows), "stored sealed")
        self.assertIn("keyword", [r[1] for r in rows])
        got = self.wait_sms(number, 1)
        first = got[0]
        # The join text of Concorezzo is long and has an "È": UCS-2, cut to 3 parts.
        self.assertEqual(first["from"], "ComuneTest")
        self.assertEqual(first["encoding"], "ucs2")
        self.assertLessEqual(first["parts"], 3)
        self.assertTrue(first["text"].startswith("Ti diamo il benvenuto in WhatsConcorezzo, "
                                                 "il servizio WhatsApp del Comune di Concorezzo!"),
                        first["text"])
        self.assertTrue(first["text"].endswith("\u2026"), first["text"])
        # Joining again: the short text, received exactly.
        status, _ = self.inbound(number, "ATTIVA ISCRIZIONE", as_json=True)
        self.assertEqual(status, 200)
        got = self.wait_sms(number, 2)
        self.assertEqual(got[1]["text"], ALREADY)
        self.assertEqual(got[1]["encoding"], "gsm7")
        self.assertEqual(got[1]["parts"], 1)
        self.assertEqual(len(self.rows()), before + 1, "joining twice keeps one receipt")
        shown = self.d.cli("subscribers", "count")
        self.assertRegex(shown.stdout, r"(?m)^sms\s+\d+")

    def test_secret_required(self):
        number = "+393330000302"
        before = len(self.rows())
        for token in (None, "wrong", WEBHOOK_SECRET + "x", ""):
            status, _ = self.inbound(number, "ATTIVA ISCRIZIONE", token=token)
            self.assertEqual(status, 401, token)
        self.assertEqual(len(self.rows()), before)
        # Malformed forwards: 400, nothing stored.
        status, _ = http("POST", self.d.base + "/webhooks/sms", b"text=ATTIVA+ISCRIZIONE",
                         {"X-Banditore-Token": WEBHOOK_SECRET,
                          "Content-Type": "application/x-www-form-urlencoded"})
        self.assertEqual(status, 400)
        status, _ = self.inbound("not-a-number", "ATTIVA ISCRIZIONE")
        self.assertEqual(status, 400)
        self.assertEqual(len(self.rows()), before)
        # Any other text: acknowledged, nothing stored, nothing sent.
        status, _ = self.inbound(number, "buongiorno, a che ora apre l'anagrafe?")
        self.assertEqual(status, 200)
        time.sleep(0.5)
        self.assertEqual(self.gw.to(number), [])
        self.assertEqual(len(self.rows()), before)

    def test_get_with_query_token(self):
        # A gateway that can only call a URL: GET, the secret and the fields in the query.
        number = "+393330000305"
        before = len(self.rows())
        query = urllib.parse.urlencode({"from": number, "text": "attiva iscrizione", "token": "nope"})
        self.assertEqual(http("GET", self.d.base + "/webhooks/sms?" + query)[0], 401)
        self.assertEqual(len(self.rows()), before)
        query = urllib.parse.urlencode({"from": number, "text": "attiva iscrizione",
                                        "token": WEBHOOK_SECRET})
        status, body = http("GET", self.d.base + "/webhooks/sms?" + query)
        self.assertEqual(status, 200, body)
        self.assertEqual(len(self.rows()), before + 1)
        self.wait_sms(number, 1)

    def test_leave_erases(self):
        number = "+393330000303"
        self.assertEqual(self.inbound(number, "ATTIVA ISCRIZIONE")[0], 200)
        self.wait_sms(number, 1)
        sealed = [r[0] for r in self.rows()]
        self.assertEqual(self.inbound(number, "stop")[0], 200)
        got = self.wait_sms(number, 2)
        self.assertEqual(got[1]["text"], LEAVE)
        remaining = [r[0] for r in self.rows()]
        mine = [s for s in sealed if s not in remaining]
        self.assertEqual(len(mine), 1)
        deadline = time.time() + 5
        while True:
            blobs = b""
            for suffix in ("", "-wal"):
                try:
                    with open(self.d.db + suffix, "rb") as f:
                        blobs += f.read()
                except FileNotFoundError:
                    pass
            leaks = [n for n in (number.encode(), number[1:].encode(), number[3:].encode(),
                                 "333 000 0303".encode()) if n in blobs]
            leaks += ["ciphertext"] if mine[0] in blobs else []
            if not leaks or time.time() > deadline:
                break
            time.sleep(0.1)
        self.assertEqual(leaks, [], "erased data still in the files")
        # Leaving again: not subscribed, said so.
        self.assertEqual(self.inbound(number, "DISATTIVA ISCRIZIONE")[0], 200)
        got = self.wait_sms(number, 3)
        self.assertIn("non risulta iscritto", got[2]["text"])

    def test_gateway_500_is_retried(self):
        number = "+393330000304"
        self.gw.script((500, {"error": "busy"}))
        self.assertEqual(self.inbound(number, "ATTIVA ISCRIZIONE")[0], 200)
        got = self.wait_sms(number, 2, timeout=20)
        self.assertEqual([g["answer"] for g in got], [500, 200])
        self.assertEqual(got[0]["text"], got[1]["text"])

    def test_gateway_refusals_are_not_retried(self):
        for i, answer in enumerate([(400, {"error": "invalid number"}),
                                    (200, {"result": {"status": "ERR", "id": "x"}})]):
            number = "+39333000031%d" % i
            self.gw.script(answer)
            self.assertEqual(self.inbound(number, "ATTIVA ISCRIZIONE")[0], 200)
            got = self.wait_sms(number, 1)
            time.sleep(2.5)  # a retry would come after 1 s
            self.assertEqual(len(self.gw.to(number)), 1, answer)
            self.assertEqual(got[0]["answer"], answer[0])
        log = harness.read_log(self.d.server)
        self.assertRegex(log, r"sms-reply-failed .*outcome=fail")
        for n in ("3330000310", "3330000311", "3330000304", "3330000301"):
            self.assertNotIn(n, log, "no number in the logs")


class SmsConfig(unittest.TestCase):
    def test_config_check_reports_sms_problems(self):
        gw = Gateway()
        d = sms_deployment(gw, extra_sms="")
        try:
            with open(d.config, encoding="utf-8") as f:
                text = f.read()
            text = text.replace('body = {"recipient":{"number":"{to}"}', 'body = {"recipient":{"number":{to}}')
            text = text.replace("max_segments = 3", "max_segments = 11")
            text = text.replace("auth = bearer", "auth = header")
            with open(d.config, "w", encoding="utf-8") as f:
                f.write(text)
            r = subprocess.run([BANDITORE, "config", "check", d.config], capture_output=True,
                               text=True, timeout=60)
            self.assertNotEqual(r.returncode, 0)
            out = r.stdout + r.stderr
            self.assertRegex(out, r"comune\.ini:\d+: .*JSON")
            self.assertRegex(out, r"max_segments")
            self.assertRegex(out, r"auth: 'header'")
        finally:
            import shutil
            shutil.rmtree(d.dir, ignore_errors=True)


if __name__ == "__main__":
    unittest.main(verbosity=2)
