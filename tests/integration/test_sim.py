"""Integration tests of banditore-sim, the built-in WhatsApp Cloud API simulator.

The simulator runs on a free loopback port; a small Python HTTP server plays banditore's
webhook endpoint and records what it receives, so that signatures and payload shapes can
be checked byte by byte. Numbers are fictitious (+39 333 000 xxxx).

Environment: BANDITORE_SIM (the simulator binary).
"""
import hashlib
import hmac
import http.client
import http.server
import json
import os
import re
import socket
import subprocess
import sys
import threading
import time
import unittest
import urllib.error
import urllib.parse
import urllib.request

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import harness  # noqa: E402

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
SIM = os.environ.get("BANDITORE_SIM", os.path.join(ROOT, "build", "src", "sim", "banditore-sim"))
APP_SECRET = "sim-test-secret-not-real"
TOKEN = "sim-test-token-not-real"
PHONE_ID = "100000000000001"
DISPLAY = "+39 366 000 0000"
CITIZEN = "393330000001"
DEFAULT_FAULTS = {"rate": 1000, "pair-burst": 45, "pair-period-ms": 6000, "latency-ms": 0,
                  "error-500": 0, "error-429": 0, "timeout": 0, "drop": 0,
                  "timeout-hold-ms": 30000, "statuses": False}


def request(method, url, body=None, headers=None, timeout=10):
    """(status, parsed JSON or raw bytes) of one HTTP request."""
    if isinstance(body, (dict, list)):
        body = json.dumps(body).encode()
        headers = dict(headers or {}, **{"Content-Type": "application/json"})
    req = urllib.request.Request(url, data=body, method=method, headers=headers or {})
    try:
        with urllib.request.urlopen(req, timeout=timeout) as r:
            status, data = r.status, r.read()
    except urllib.error.HTTPError as e:
        status, data = e.code, e.read()
    try:
        return status, json.loads(data)
    except ValueError:
        return status, data


class Receiver:
    """banditore's /webhooks/whatsapp, played by a threaded http.server."""

    def __init__(self):
        self.lock = threading.Lock()
        self.received = []      # (path, headers dict, raw body)
        self.answers = []       # statuses to answer next, then 200
        receiver = self

        class Handler(http.server.BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def do_POST(self):
                n = int(self.headers.get("Content-Length", "0"))
                body = self.rfile.read(n)
                with receiver.lock:
                    receiver.received.append((self.path, dict(self.headers), body))
                    status = receiver.answers.pop(0) if receiver.answers else 200
                out = b'{"ok":true}' if status == 200 else b'{"error":"refused"}'
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(out)))
                self.end_headers()
                self.wfile.write(out)

            def log_message(self, *args):
                pass

        self.server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.port = self.server.server_address[1]
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def url(self):
        return "http://127.0.0.1:%d/webhooks/whatsapp" % self.port

    def reset(self, answers=()):
        with self.lock:
            self.received = []
            self.answers = list(answers)

    def bodies(self):
        with self.lock:
            return list(self.received)

    def wait(self, predicate, timeout=10):
        deadline = time.time() + timeout
        while time.time() < deadline:
            got = [r for r in self.bodies() if predicate(r)]
            if got:
                return got
            time.sleep(0.02)
        return []

    def close(self):
        self.server.shutdown()
        self.server.server_close()


def signature_ok(headers, body):
    want = "sha256=" + hmac.new(APP_SECRET.encode(), body, hashlib.sha256).hexdigest()
    got = headers.get("X-Hub-Signature-256", "")
    return hmac.compare_digest(want, got)


class SimTestCase(unittest.TestCase):
    """One simulator for the whole class, reset to known settings before each test."""

    @classmethod
    def setUpClass(cls):
        cls.receiver = Receiver()
        cls.port = harness.free_port()
        cls.base = "http://127.0.0.1:%d" % cls.port
        cls.proc = harness.start_process([
            SIM, "--listen", "127.0.0.1:%d" % cls.port, "--webhook-url", cls.receiver.url(),
            "--app-secret", APP_SECRET, "--access-token", TOKEN, "--phone-number-id", PHONE_ID,
            "--display-number", DISPLAY, "--rate", "1000", "--seed", "7"])
        harness.wait_port("127.0.0.1", cls.port, 20, process=cls.proc)

    @classmethod
    def tearDownClass(cls):
        status = harness.stop_process(cls.proc)
        cls.receiver.close()
        assert status == 0, "the simulator must exit cleanly on SIGTERM, got %r" % status

    def setUp(self):
        self.assertEqual(self.call("POST", "/sim/faults", DEFAULT_FAULTS)[0], 200)
        self.assertEqual(self.call("DELETE", "/sim/messages")[0], 200)
        self.assertEqual(self.call("DELETE", "/sim/stats")[0], 200)
        self.receiver.reset()

    def call(self, method, path, body=None, headers=None, timeout=10):
        return request(method, self.base + path, body, headers, timeout)

    def send(self, message, token=TOKEN, phone_id=PHONE_ID, timeout=10):
        headers = {"Authorization": "Bearer " + token} if token is not None else {}
        if isinstance(message, dict):
            message = json.dumps(message).encode()
        headers["Content-Type"] = "application/json"
        return request("POST", self.base + "/v23.0/%s/messages" % phone_id, message, headers,
                       timeout)

    def recorded(self, to=None):
        query = "?to=" + urllib.parse.quote(to, safe="") if to else ""
        status, body = self.call("GET", "/sim/messages" + query)
        self.assertEqual(status, 200)
        return body["messages"]

    def stats(self):
        return self.call("GET", "/sim/stats")[1]

    def assertMetaError(self, result, status, code):
        got_status, body = result
        self.assertEqual(got_status, status, body)
        self.assertIsInstance(body, dict, body)
        err = body["error"]
        self.assertEqual(err["code"], code, body)
        self.assertIsInstance(err["message"], str)
        self.assertTrue(err["type"])
        self.assertRegex(err["fbtrace_id"], r"^[A-Za-z0-9_-]{10,}$")


def text_message(to=CITIZEN, body="Buongiorno dal comune", **extra):
    return dict({"messaging_product": "whatsapp", "recipient_type": "individual", "to": to,
                 "type": "text", "text": {"preview_url": False, "body": body}}, **extra)


def template_message(to=CITIZEN, name="avviso_comunale", opaque=None):
    m = {"messaging_product": "whatsapp", "to": to, "type": "template",
         "template": {"name": name, "language": {"code": "it", "policy": "deterministic"},
                      "components": [{"type": "body", "parameters": [
                          {"type": "text", "text": "lunedi 3 marzo"},
                          {"type": "text", "text": "via Roma"}]}]}}
    if opaque is not None:
        m["biz_opaque_callback_data"] = opaque
    return m


class CloudApi(SimTestCase):
    def test_text_accepted_with_meta_shape_and_recorded(self):
        status, body = self.send(text_message(to="+39 333 000 0001"))
        self.assertEqual(status, 200, body)
        self.assertEqual(list(body.keys()), ["messaging_product", "contacts", "messages"])
        self.assertEqual(body["messaging_product"], "whatsapp")
        self.assertEqual(body["contacts"], [{"input": "+39 333 000 0001", "wa_id": CITIZEN}])
        self.assertEqual(len(body["messages"]), 1)
        wamid = body["messages"][0]["id"]
        self.assertRegex(wamid, r"^wamid\.[A-Za-z0-9+/=_-]{20,}$")
        self.assertEqual(list(body["messages"][0].keys()), ["id"])

        msgs = self.recorded(CITIZEN)
        self.assertEqual(len(msgs), 1)
        m = msgs[0]
        self.assertEqual((m["id"], m["to"], m["type"], m["text"]),
                         (wamid, CITIZEN, "text", "Buongiorno dal comune"))
        self.assertLessEqual(abs(m["time"] - time.time()), 60)
        self.assertEqual(self.recorded("+39 333 000 0001"), msgs, "filter takes any number form")
        self.assertEqual(self.recorded("393330000009"), [])
        self.assertEqual(self.stats()["accepted"], 1)

    def test_every_kind_accepted_and_recorded_oldest_first(self):
        sends = [
            template_message(opaque="bcast-42"),
            {"messaging_product": "whatsapp", "to": CITIZEN, "type": "image",
             "image": {"id": "1234567890", "caption": "Mappa dei lavori"}},
            {"messaging_product": "whatsapp", "to": CITIZEN, "type": "document",
             "document": {"link": "https://comune.example.org/avviso.pdf", "filename": "avviso.pdf"}},
            {"messaging_product": "whatsapp", "to": CITIZEN, "type": "audio", "audio": {"id": "42"}},
            {"messaging_product": "whatsapp", "to": CITIZEN, "type": "video",
             "video": {"link": "https://comune.example.org/v.mp4"}},
            {"messaging_product": "whatsapp", "to": CITIZEN, "type": "interactive",
             "interactive": {"type": "button", "body": {"text": "Confermi?"},
                             "action": {"buttons": [{"type": "reply",
                                                     "reply": {"id": "si", "title": "Sì"}}]}}},
        ]
        ids = []
        for s in sends:
            status, body = self.send(s)
            self.assertEqual(status, 200, (s["type"], body))
            ids.append(body["messages"][0]["id"])
        self.assertEqual(len(set(ids)), len(ids), "message ids are unique")
        status, body = self.send(template_message())
        self.assertEqual(body["messages"][0].get("message_status"), "accepted")

        msgs = self.recorded()
        self.assertEqual([m["id"] for m in msgs[:len(ids)]], ids)
        self.assertEqual([m["seq"] for m in msgs], sorted(m["seq"] for m in msgs))
        t = msgs[0]
        self.assertEqual(t["template"], {"name": "avviso_comunale", "language": "it",
                                         "params": ["lunedi 3 marzo", "via Roma"]})
        self.assertEqual(t["biz_opaque_callback_data"], "bcast-42")
        self.assertEqual(msgs[1]["media"], {"id": "1234567890", "caption": "Mappa dei lavori"})
        self.assertEqual(msgs[1]["text"], "Mappa dei lavori")
        self.assertEqual(msgs[2]["media"]["link"], "https://comune.example.org/avviso.pdf")
        self.assertEqual(msgs[5]["text"], "Confermi?")
        self.assertEqual(self.stats()["accepted"], len(sends) + 1)

        # since= and limit= for pollers
        self.assertEqual([m["id"] for m in self.call("GET", "/sim/messages?since=%d" % msgs[4]["seq"])[1]
                          ["messages"]], [m["id"] for m in msgs[5:]])
        self.assertEqual(len(self.call("GET", "/sim/messages?limit=2")[1]["messages"]), 2)
        self.assertEqual(self.call("DELETE", "/sim/messages")[0], 200)
        self.assertEqual(self.recorded(), [])

    def test_bad_or_missing_token_401(self):
        self.assertMetaError(self.send(text_message(), token="wrong-token"), 401, 190)
        self.assertMetaError(self.send(text_message(), token=None), 401, 190)
        self.assertMetaError(self.send(text_message(), token=TOKEN + "x"), 401, 190)
        self.assertEqual(self.recorded(), [])
        self.assertEqual(self.stats()["rejected_auth"], 3)

    def test_wrong_phone_number_id_400(self):
        result = self.send(text_message(), phone_id="999999999999999")
        self.assertMetaError(result, 400, 100)
        self.assertEqual(result[1]["error"]["error_subcode"], 33)
        self.assertIn("999999999999999", result[1]["error"]["message"])
        self.assertEqual(self.recorded(), [])

    def test_malformed_and_invalid_bodies_400_nothing_recorded(self):
        bad = [
            b"{not json",
            b"[]",
            b"",
            {"to": CITIZEN, "type": "text", "text": {"body": "x"}},
            text_message(messaging_product="sms"),
            {"messaging_product": "whatsapp", "type": "text", "text": {"body": "x"}},
            text_message(to="not-a-number"),
            text_message(to="12"),
            {"messaging_product": "whatsapp", "to": CITIZEN, "text": {"body": "x"}},
            {"messaging_product": "whatsapp", "to": CITIZEN, "type": "text"},
            {"messaging_product": "whatsapp", "to": CITIZEN, "type": "text", "text": {}},
            text_message(body=""),
            text_message(body="è" * 4097),
            {"messaging_product": "whatsapp", "to": CITIZEN, "type": "template",
             "template": {"language": {"code": "it"}}},
            {"messaging_product": "whatsapp", "to": CITIZEN, "type": "template",
             "template": {"name": "avviso_comunale"}},
            {"messaging_product": "whatsapp", "to": CITIZEN, "type": "image", "image": {}},
            {"messaging_product": "whatsapp", "to": CITIZEN, "type": "interactive",
             "interactive": {"type": "button"}},
            {"messaging_product": "whatsapp", "to": CITIZEN, "type": "fax", "fax": {}},
            template_message(opaque="x" * 513),
        ]
        for b in bad:
            status, body = self.send(b)
            self.assertEqual(status, 400, (b, body))
            self.assertIn(body["error"]["code"], (100, 131008), (b, body))
            self.assertTrue(body["error"]["message"].startswith("(#"), body)
        self.assertMetaError(self.send(b"{not json"), 400, 100)
        self.assertEqual(self.recorded(), [])
        self.assertEqual(self.stats()["accepted"], 0)
        self.assertEqual(self.stats()["rejected_invalid"], len(bad) + 1)
        # 4096 characters (not bytes) is still fine
        self.assertEqual(self.send(text_message(body="è" * 4096))[0], 200)

    def test_rate_limit_130429_when_exceeded(self):
        self.assertEqual(self.call("POST", "/sim/faults", {"rate": 5})[0], 200)
        results = [self.send(text_message(to="39333000%04d" % i)) for i in range(20)]
        ok = [r for r in results if r[0] == 200]
        limited = [r for r in results if r[0] == 429]
        self.assertEqual(len(ok) + len(limited), 20, results)
        self.assertGreaterEqual(len(ok), 5)
        self.assertGreater(len(limited), 0)
        for r in limited:
            self.assertMetaError(r, 429, 130429)
            self.assertEqual(r[1]["error"]["message"], "(#130429) Rate limit hit")
            self.assertEqual(r[1]["error"]["error_data"]["messaging_product"], "whatsapp")
        s = self.stats()
        self.assertEqual(s["violations_rate"], len(limited))
        self.assertEqual(s["rejected_429"], len(limited))
        self.assertEqual(s["accepted"], len(ok))
        self.assertGreater(s["max_rate_1s"], 5)
        self.assertEqual(len(self.recorded()), len(ok))

    def test_under_the_rate_no_violation(self):
        for i in range(10):
            self.assertEqual(self.send(text_message(to="39333000%04d" % i))[0], 200)
        s = self.stats()
        self.assertEqual((s["violations_rate"], s["violations_pair"]), (0, 0))
        self.assertEqual(s["max_rate_1s"], 10)

    def test_pair_rate_131056(self):
        self.call("POST", "/sim/faults", {"pair-burst": 2, "pair-period-ms": 6000})
        results = [self.send(text_message(to="393330000077")) for _ in range(3)]
        self.assertEqual([r[0] for r in results], [200, 200, 400])
        self.assertMetaError(results[2], 400, 131056)
        self.assertEqual(self.send(text_message(to="393330000078"))[0], 200, "other people are fine")
        self.assertEqual(self.stats()["violations_pair"], 1)
        self.assertEqual(len(self.recorded("393330000077")), 2)

    def test_media_upload(self):
        boundary = "----banditore"
        body = ("--%s\r\nContent-Disposition: form-data; name=\"messaging_product\"\r\n\r\nwhatsapp\r\n"
                "--%s\r\nContent-Disposition: form-data; name=\"file\"; filename=\"a.jpg\"\r\n"
                "Content-Type: image/jpeg\r\n\r\n\xff\xd8\xff\r\n--%s--\r\n"
                % (boundary, boundary, boundary)).encode("latin-1")
        headers = {"Authorization": "Bearer " + TOKEN,
                   "Content-Type": "multipart/form-data; boundary=" + boundary}
        status, out = self.call("POST", "/v23.0/%s/media" % PHONE_ID, body, headers)
        self.assertEqual(status, 200, out)
        self.assertRegex(out["id"], r"^[0-9]{16}$")
        self.assertMetaError(self.call("POST", "/v23.0/%s/media" % PHONE_ID, body,
                                       dict(headers, Authorization="Bearer nope")), 401, 190)
        self.assertEqual(self.stats()["media_uploaded"], 1)


class Faults(SimTestCase):
    def test_error_500_at_rate_one(self):
        self.call("POST", "/sim/faults", {"error-500": 1.0})
        codes = set()
        for i in range(6):
            status, body = self.send(text_message(to="39333000%04d" % i))
            self.assertEqual(status, 500, body)
            self.assertIn(body["error"]["code"], (131000, 1))
            self.assertTrue(body["error"]["is_transient"])
            codes.add(body["error"]["code"])
        self.assertEqual(self.recorded(), [])
        s = self.stats()
        self.assertEqual((s["errors_injected"], s["accepted"]), (6, 0))
        # back to normal
        self.call("POST", "/sim/faults", {"error_500": 0})
        self.assertEqual(self.send(text_message())[0], 200)

    def test_error_429_injected(self):
        self.call("POST", "/sim/faults", {"error-429": 1})
        self.assertMetaError(self.send(text_message()), 429, 130429)
        s = self.stats()
        self.assertEqual((s["errors_injected"], s["rejected_429"], s["violations_rate"]), (1, 1, 0))

    def test_invalid_requests_stay_deterministic_under_faults(self):
        self.call("POST", "/sim/faults", {"error-500": 1})
        self.assertMetaError(self.send(text_message(), token="bad"), 401, 190)
        self.assertMetaError(self.send(b"{"), 400, 100)

    def test_drop_closes_without_answer(self):
        self.call("POST", "/sim/faults", {"drop": 1})
        with self.assertRaises((urllib.error.URLError, ConnectionError, http.client.HTTPException)):
            self.send(text_message())
        self.assertEqual(self.stats()["errors_injected"], 1)
        self.assertEqual(self.recorded(), [])

    def test_timeout_holds_without_blocking_others(self):
        self.call("POST", "/sim/faults", {"timeout": 1, "timeout-hold-ms": 3000})
        started = time.time()
        done = {}

        def held():
            try:
                self.send(text_message(), timeout=10)
                done["result"] = "answered"
            except (urllib.error.URLError, ConnectionError, http.client.HTTPException,
                    socket.timeout) as e:
                done["result"] = "closed: %r" % e
            done["after"] = time.time() - started

        t = threading.Thread(target=held)
        t.start()
        time.sleep(0.3)
        t0 = time.time()
        self.assertEqual(self.call("GET", "/sim/stats")[0], 200)
        self.assertLess(time.time() - t0, 1.0, "a held request must not block others")
        with self.assertRaises((socket.timeout, urllib.error.URLError)):
            self.send(text_message(), timeout=0.5)
        t.join(15)
        self.assertTrue(done["result"].startswith("closed"), done)
        self.assertGreaterEqual(done["after"], 2.5)

    def test_latency(self):
        self.call("POST", "/sim/faults", {"latency-ms": 400})
        t0 = time.time()
        self.assertEqual(self.send(text_message())[0], 200)
        self.assertGreaterEqual(time.time() - t0, 0.35)

    def test_faults_settings_validated(self):
        self.assertEqual(self.call("POST", "/sim/faults", {"error-500": 2})[0], 400)
        self.assertEqual(self.call("POST", "/sim/faults", {"nonsense": 1})[0], 400)
        self.assertEqual(self.call("POST", "/sim/faults", {"rate": -1})[0], 400)
        self.assertEqual(self.call("POST", "/sim/faults", b"[1]")[0], 400)
        status, f = self.call("POST", "/sim/faults", {"rate": 9, "drop": 0.25, "statuses": True})
        self.assertEqual(status, 200)
        self.assertEqual((f["rate"], f["drop"], f["statuses"]), (9, 0.25, True))
        self.assertEqual(self.call("GET", "/sim/faults")[1], f)
        self.call("POST", "/sim/faults", {"drop": 1, "rate": "x"})   # refused as a whole
        self.assertEqual(self.call("GET", "/sim/faults")[1]["drop"], 0.25)


class Webhooks(SimTestCase):
    def inbound_value(self, body):
        doc = json.loads(body)
        self.assertEqual(doc["object"], "whatsapp_business_account")
        self.assertEqual(len(doc["entry"]), 1)
        entry = doc["entry"][0]
        self.assertTrue(entry["id"])
        self.assertEqual(len(entry["changes"]), 1)
        change = entry["changes"][0]
        self.assertEqual(change["field"], "messages")
        value = change["value"]
        self.assertEqual(value["messaging_product"], "whatsapp")
        self.assertEqual(value["metadata"], {"display_phone_number": "393660000000",
                                             "phone_number_id": PHONE_ID})
        return value

    def test_inbound_posts_signed_meta_webhook(self):
        status, out = self.call("POST", "/sim/inbound",
                                {"from": "+39 333 000 0001", "text": "ATTIVA ISCRIZIONE 🙂",
                                 "name": "Cittadino"})
        self.assertEqual(status, 200, out)
        self.assertEqual(out["status"], 200)
        self.assertRegex(out["message_id"], r"^wamid\.")
        got = self.receiver.bodies()
        self.assertEqual(len(got), 1)
        path, headers, body = got[0]
        self.assertEqual(path, "/webhooks/whatsapp")
        self.assertTrue(signature_ok(headers, body), headers)
        self.assertTrue(headers["Content-Type"].startswith("application/json"))
        value = self.inbound_value(body)
        self.assertEqual(value["contacts"], [{"profile": {"name": "Cittadino"}, "wa_id": CITIZEN}])
        self.assertEqual(len(value["messages"]), 1)
        m = value["messages"][0]
        self.assertEqual(set(m), {"from", "id", "timestamp", "type", "text"})
        self.assertEqual((m["from"], m["id"], m["type"], m["text"]),
                         (CITIZEN, out["message_id"], "text", {"body": "ATTIVA ISCRIZIONE 🙂"}))
        self.assertRegex(m["timestamp"], r"^\d{10}$")
        self.assertLessEqual(abs(int(m["timestamp"]) - time.time()), 60)

    def test_inbound_ids_unique_reusable_and_status_reported(self):
        a = self.call("POST", "/sim/inbound", {"from": CITIZEN, "text": "uno"})[1]
        b = self.call("POST", "/sim/inbound", {"from": CITIZEN, "text": "due"})[1]
        self.assertNotEqual(a["message_id"], b["message_id"])
        again = self.call("POST", "/sim/inbound", {"from": CITIZEN, "text": "uno", "id": a["message_id"]})[1]
        self.assertEqual(again["message_id"], a["message_id"])
        sent = [json.loads(r[2])["entry"][0]["changes"][0]["value"]["messages"][0]["id"]
                for r in self.receiver.bodies()]
        self.assertEqual(sent, [a["message_id"], b["message_id"], a["message_id"]])
        # banditore's answer is reported as it was
        self.receiver.reset(answers=[401])
        out = self.call("POST", "/sim/inbound", {"from": CITIZEN, "text": "tre"})[1]
        self.assertEqual(out["status"], 401)

    def test_inbound_signature_override_and_raw(self):
        self.call("POST", "/sim/inbound", {"from": CITIZEN, "text": "x", "signature": "sha256=" + "0" * 64})
        path, headers, body = self.receiver.bodies()[0]
        self.assertEqual(headers["X-Hub-Signature-256"], "sha256=" + "0" * 64)
        self.assertFalse(signature_ok(headers, body))

        self.receiver.reset()
        raw = '{"object":"page","entry":[]}'
        out = self.call("POST", "/sim/inbound", {"raw": raw})[1]
        self.assertEqual(out["status"], 200)
        path, headers, body = self.receiver.bodies()[0]
        self.assertEqual(body, raw.encode())
        self.assertTrue(signature_ok(headers, body))

    def test_inbound_bad_requests(self):
        self.assertEqual(self.call("POST", "/sim/inbound", {"text": "x"})[0], 400)
        self.assertEqual(self.call("POST", "/sim/inbound", {"from": "abc", "text": "x"})[0], 400)
        self.assertEqual(self.call("POST", "/sim/inbound", {"from": CITIZEN})[0], 400)
        self.assertEqual(self.call("POST", "/sim/inbound", b"nope")[0], 400)
        self.assertEqual(self.call("GET", "/sim/inbound")[0], 405)
        self.assertEqual(self.receiver.bodies(), [])

    def test_statuses_sent_delivered_read_with_opaque_echoed(self):
        self.call("POST", "/sim/faults", {"statuses": True})
        status, out = self.send(template_message(opaque="broadcast=17;batch=3"))
        self.assertEqual(status, 200, out)
        wamid = out["messages"][0]["id"]
        status, out = self.send(text_message(to="393330000002"))
        text_wamid = out["messages"][0]["id"]

        def statuses_for(mid):
            found = []
            for path, headers, body in self.receiver.bodies():
                for s in self.inbound_value(body).get("statuses", []):
                    if s["id"] == mid:
                        self.assertTrue(signature_ok(headers, body))
                        found.append(s)
            return found

        deadline = time.time() + 10
        while time.time() < deadline and (len(statuses_for(wamid)) < 3 or len(statuses_for(text_wamid)) < 3):
            time.sleep(0.05)
        got = statuses_for(wamid)
        self.assertEqual([s["status"] for s in got], ["sent", "delivered", "read"])
        for s in got:
            self.assertEqual(s["recipient_id"], CITIZEN)
            self.assertEqual(s["biz_opaque_callback_data"], "broadcast=17;batch=3")
            self.assertRegex(s["timestamp"], r"^\d{10}$")
        sent = got[0]
        self.assertEqual(sent["pricing"]["category"], "utility")
        self.assertTrue(sent["pricing"]["billable"])
        self.assertIn(sent["pricing"]["pricing_model"], ("CBP", "PMP"))
        self.assertEqual(sent["conversation"]["origin"]["type"], "utility")
        self.assertRegex(sent["conversation"]["expiration_timestamp"], r"^\d{10}$")
        self.assertNotIn("pricing", got[2], "read carries no pricing")
        other = statuses_for(text_wamid)
        self.assertEqual([s["status"] for s in other], ["sent", "delivered", "read"])
        self.assertNotIn("biz_opaque_callback_data", other[0])
        self.assertEqual(other[0]["pricing"]["category"], "service")
        # The receiver has the bodies before the simulator has read its answers: wait.
        deadline = time.time() + 5
        while self.stats()["webhooks_ok"] < 6 and time.time() < deadline:
            time.sleep(0.05)
        self.assertEqual(self.stats()["webhooks_ok"], 6)

    def test_statuses_retried_after_refusal(self):
        self.call("POST", "/sim/faults", {"statuses": True})
        self.receiver.reset(answers=[503])
        wamid = self.send(text_message())[1]["messages"][0]["id"]
        got = self.receiver.wait(lambda r: b'"read"' in r[2], timeout=15)
        self.assertTrue(got, "statuses went on after a retry")
        sents = [r for r in self.receiver.bodies() if b'"sent"' in r[2] and wamid.encode() in r[2]]
        self.assertEqual(len(sents), 2, "the refused 'sent' was posted again")
        # The receiver has the last body before the simulator has read its answer: wait.
        deadline = time.time() + 5
        s = self.stats()
        while s["webhooks_ok"] < 3 and time.time() < deadline:
            time.sleep(0.05)
            s = self.stats()
        self.assertEqual((s["webhooks_retried"], s["webhooks_ok"]), (1, 3))

    def test_no_statuses_when_disabled(self):
        self.assertEqual(self.send(text_message())[0], 200)
        time.sleep(0.8)
        self.assertEqual(self.receiver.bodies(), [])


class PageAndCommandLine(SimTestCase):
    def test_page(self):
        req = urllib.request.Request(self.base + "/")
        with urllib.request.urlopen(req, timeout=10) as r:
            self.assertEqual(r.status, 200)
            self.assertTrue(r.headers["Content-Type"].startswith("text/html"))
            self.assertIn("default-src 'none'", r.headers["Content-Security-Policy"])
            page = r.read().decode("utf-8")
        self.assertIn("<html lang='it'>", page)
        self.assertIn("Simulatore WhatsApp", page)
        self.assertIn("+39 333 000 0001", page)
        self.assertIn("ATTIVA ISCRIZIONE", page)
        self.assertIn("DISATTIVA ISCRIZIONE", page)
        self.assertIn("/sim/inbound", page)
        self.assertIn("/sim/messages?to=", page)
        self.assertIsNone(re.search(r"(src|href)=['\"]?(https?:)?//", page), "no external resources")
        self.assertNotIn("innerHTML", page)
        self.assertEqual(self.call("GET", "/nowhere")[0], 404)

    def test_logs_hold_no_full_number(self):
        self.send(text_message(to="393330000456"))
        self.call("POST", "/sim/inbound", {"from": "393330000457", "text": "ciao"})
        self.call("POST", "/sim/faults", {"pair-burst": 1})
        self.send(text_message(to="393330000458"))
        self.send(text_message(to="393330000458"))
        time.sleep(0.2)
        log = harness.read_log(self.proc)
        self.assertIn("event=sim-started", log)
        self.assertIn("event=sim-inbound", log)
        for n in ("393330000456", "393330000457", "393330000458", "3330000456", "33300004"):
            self.assertNotIn(n, log)

    def test_help_and_usage_errors(self):
        r = subprocess.run([SIM, "--help"], capture_output=True, text=True, timeout=10)
        self.assertEqual(r.returncode, 0)
        self.assertIn("--webhook-url", r.stdout)
        self.assertIn("--error-500", r.stdout)
        for args in ([], ["--listen", "127.0.0.1:1"],
                     ["--listen", "127.0.0.1:1", "--access-token", "t", "--phone-number-id", "1",
                      "--display-number", "+393660000000", "--error-500", "2"],
                     ["--listen", "127.0.0.1:1", "--access-token", "t", "--phone-number-id", "1",
                      "--display-number", "+393660000000", "--webhook-url", "http://x/"],
                     ["--listen", "127.0.0.1:99999", "--access-token", "t", "--phone-number-id", "1",
                      "--display-number", "+393660000000"],
                     ["--bogus"]):
            r = subprocess.run([SIM, *args], capture_output=True, text=True, timeout=10)
            self.assertEqual(r.returncode, 2, (args, r.stderr))
            self.assertTrue(r.stderr)


if __name__ == "__main__":
    unittest.main(verbosity=2)
