"""Integration tests of browser push (issue #7): subscribing over HTTP, sending, erasure.

A tiny push service written for these tests (push_service.mjs, Node) plays the browser
vendor's push service and the browsers behind it: it makes subscribers with their own
P-256 keys and auth secrets, checks each push request's VAPID JWT (signature and
claims) and decrypts the body with the npm reference implementation (http_ece). The
daemon takes the subscriptions at POST /push/subscribe; tests/tools/push_send sends a
payload to every push subscriber with the connector and erases those the push service
says are gone (410), as the broadcast engine will. The erasure tests scan the bytes of
the database and its WAL for everything about the person: the endpoint, the keys, the
keyed hash that found them and the sealed blob.

Environment: BANDITORE, BANDITORE_SIM, PUSH_SEND (tests/tools/push_send). Skipped (77)
when Node or the npm packages (tests/node_modules: http_ece) are missing.
"""
import hashlib
import hmac
import json
import os
import re
import shutil
import subprocess
import sys
import time
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import harness  # noqa: E402
import test_whatsapp_inbound as wa  # noqa: E402  (the Deployment class)

ROOT = wa.ROOT
HERE = os.path.dirname(os.path.abspath(__file__))
PUSH_SEND = os.environ.get("PUSH_SEND", os.path.join(ROOT, "build", "tests", "tools", "push_send"))
SUBJECT = "mailto:urp@comune.example.org"


def have_node_peer():
    return shutil.which("node") and os.path.isdir(os.path.join(ROOT, "tests", "node_modules", "http_ece"))


# The index key and the push service are harness.py's (shared with test_lanes and the
# browser test of the push button).
index_key = harness.index_key
PushService = harness.PushService


class WebPush(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        if not have_node_peer():
            raise unittest.SkipTest("node or tests/node_modules/http_ece missing: run scripts/install-deps")
        cls.push = PushService()
        cls.d = wa.Deployment(extra=[("channel", "platforms", "whatsapp, webpush")])
        with open(cls.d.config, "a", encoding="utf-8") as f:
            f.write("\n[push]\nsubject = %s\nttl = 3600\nallow_insecure_endpoints = yes\n" % SUBJECT)
        cls.d.start()
        cls.key_path = os.path.join(cls.d.data, "banditore.key")

    @classmethod
    def tearDownClass(cls):
        if hasattr(cls, "d"):
            cls.d.cleanup()
        if hasattr(cls, "push"):
            cls.push.stop()

    def post(self, path, obj):
        body = obj if isinstance(obj, bytes) else json.dumps(obj).encode()
        status, data = wa.http("POST", self.d.base + path, body, {"Content-Type": "application/json"})
        return status, json.loads(data) if data else None

    def push_rows(self):
        return self.d.query("SELECT addr_hash, sealed FROM subscribers WHERE platform = 4")

    def files_bytes(self):
        return harness.db_bytes(self.d.db)

    def traces(self, sub, sealed):
        """Everything about one subscriber that could be left in the files."""
        endpoint = sub["subscription"]["endpoint"]
        h = hmac.new(index_key(self.key_path), ("4:" + endpoint).encode(), hashlib.sha256).digest()
        return {"endpoint": endpoint.encode(), "p256dh": sub["subscription"]["keys"]["p256dh"].encode(),
                "auth": sub["subscription"]["keys"]["auth"].encode(), "hash": h, "sealed": sealed}

    def assert_erased(self, traces):
        deadline = time.time() + 5
        while True:
            blobs = self.files_bytes()
            leaks = [k for k, v in traces.items() if v and v in blobs]
            if not leaks or time.time() > deadline:
                break
            time.sleep(0.1)
        self.assertEqual(leaks, [], "left in the database or its WAL after erasure")

    def test_1_key_and_scripts(self):
        status, body = wa.http("GET", self.d.base + "/push/key")
        self.assertEqual(status, 200)
        key = json.loads(body)["publicKey"]
        self.assertRegex(key, r"^B[A-Za-z0-9_-]{86}$")
        # the same key `banditore init` prints (derived from the key file)
        r = self.d.cli("init")
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertIn(key, r.stdout)
        for path, marker in (("/push/sw.js", "showNotification"), ("/push/button.js", "/push/subscribe")):
            status, body = wa.http("GET", self.d.base + path)
            self.assertEqual(status, 200, path)
            self.assertIn(marker, body.decode())
        status, _ = wa.http("POST", self.d.base + "/push/key", b"{}")
        self.assertEqual(status, 405)

    def test_2_bad_subscriptions_refused(self):
        good = self.push.subscriber()["subscription"]
        before = len(self.push_rows())
        bad = [
            b"not json",
            {"endpoint": good["endpoint"]},
            {"endpoint": good["endpoint"], "keys": {"p256dh": good["keys"]["p256dh"], "auth": "AAAA"}},
            {"endpoint": good["endpoint"], "keys": {"p256dh": good["keys"]["p256dh"][:-2], "auth": good["keys"]["auth"]}},
            {"endpoint": "ftp://push.example.net/x", "keys": good["keys"]},
            {"endpoint": good["endpoint"], "keys": good["keys"], "name": "Mario Rossi"},
        ]
        for b in bad:
            status, body = self.post("/push/subscribe", b)
            self.assertEqual(status, 400, (b, body))
        self.assertEqual(len(self.push_rows()), before)
        status, _ = self.post("/push/subscribe", b"x" * 5000)
        self.assertEqual(status, 413)

    def test_3_subscribe_send_and_erase(self):
        subs = [self.push.subscriber() for _ in range(4)]
        before = len(self.push_rows())
        for s in subs:
            status, body = self.post("/push/subscribe", s["subscription"])
            self.assertEqual(status, 201, body)
            self.assertTrue(body["new"])
        status, body = self.post("/push/subscribe", subs[0]["subscription"])  # again
        self.assertEqual((status, body["new"]), (200, False))
        rows = self.push_rows()
        self.assertEqual(len(rows), before + 4)
        blobs = self.files_bytes()
        for s in subs:  # held sealed: no endpoint or key in plaintext
            self.assertNotIn(s["subscription"]["endpoint"].encode(), blobs)
            self.assertNotIn(s["subscription"]["keys"]["p256dh"].encode(), blobs)
        sealed_of = {}
        for s in subs:
            t = self.traces(s, None)
            sealed_of[s["id"]] = next(bytes(r[1]) for r in rows if bytes(r[0]) == t["hash"])

        # The browser unsubscribes: erased at once.
        d_sub = subs[3]
        status, body = self.post("/push/unsubscribe", {"endpoint": d_sub["subscription"]["endpoint"]})
        self.assertEqual((status, body), (200, {"unsubscribed": True}))
        self.assertEqual(len(self.push_rows()), before + 3)
        self.assert_erased(self.traces(d_sub, sealed_of[d_sub["id"]]))
        status, body = self.post("/push/unsubscribe", {"endpoint": d_sub["subscription"]["endpoint"]})
        self.assertEqual((status, body), (200, {"unsubscribed": False}))

        # One subscription has expired at the push service.
        gone = subs[1]
        self.push.answer(gone["id"], 410)
        self.d.stop()  # the send below is its own process on the same files
        payload = json.dumps({"title": "Allerta meteo", "body": "Chiusura scuole domani, giovedì.",
                              "url": "/archivio/42", "emergency": True}, ensure_ascii=False)
        r = subprocess.run([PUSH_SEND, self.d.data, SUBJECT, payload, "high", "insecure"],
                           capture_output=True, text=True, timeout=60)
        self.assertEqual(r.returncode, 0, r.stdout + r.stderr)
        self.assertIn("sent=%d erased=1" % (before + 2), r.stdout)
        got = [x for x in self.push.received() if x["id"] in {s["id"] for s in subs}]
        self.assertEqual(sorted(x["id"] for x in got), sorted([subs[0]["id"], subs[1]["id"], subs[2]["id"]]))
        for x in got:
            self.assertTrue(x["ok"], x["problems"])
            self.assertEqual(x["plaintext"], payload)  # decrypted by http_ece
            self.assertEqual(x["urgency"], "high")
            self.assertEqual(x["ttl"], "3600")
            self.assertEqual(x["claims"]["sub"], SUBJECT)
            self.assertEqual(x["claims"]["aud"], self.push.base)
            self.assertLessEqual(x["claims"]["exp"], time.time() + 24 * 3600)
        self.assertEqual(len({x["vapidKey"] for x in got}), 1)  # one comune, one key
        rows = self.push_rows()
        self.assertEqual(len(rows), before + 2)
        self.assert_erased(self.traces(gone, sealed_of[gone["id"]]))
        # the others are still there (the scan would find their hash)
        self.assertIn(self.traces(subs[0], None)["hash"], self.files_bytes())

        # A rate-limited push service: retry, with its Retry-After.
        self.push.answer(subs[2]["id"], 429, 30)
        r = subprocess.run([PUSH_SEND, self.d.data, SUBJECT, "{}", "insecure"],
                           capture_output=True, text=True, timeout=60)
        self.assertEqual(r.returncode, 1, r.stdout + r.stderr)
        self.assertRegex(r.stdout, r"result=retry status=429 gone=0 erased=0 retry_after=30")
        self.assertEqual(len(self.push_rows()), before + 2)
        normal = [x for x in self.push.received() if x["plaintext"] == "{}"]
        self.assertTrue(normal and all(x["urgency"] == "normal" for x in normal))

        # Without the test setting, a loopback endpoint is not sent to at all.
        r = subprocess.run([PUSH_SEND, self.d.data, SUBJECT, "{}"], capture_output=True, text=True,
                           timeout=60)
        self.assertEqual(r.returncode, 1)
        self.assertIn("result=unreadable", r.stdout)


if __name__ == "__main__":
    unittest.main(verbosity=2)
