"""Integration tests of issue #2: a citizen joins and leaves over WhatsApp.

The real daemon runs on loopback against the built-in simulator (banditore-sim), on a
real SQLite file. Every test asserts on what is stored, not only on status codes, and
the erasure test scans the bytes of the database and its WAL file.

Environment: BANDITORE (the banditore binary), BANDITORE_SIM (the simulator binary).
Numbers are fictitious (+39 333 000 xxxx).
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
import tempfile
import time
import unittest
import urllib.error
import urllib.request

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import harness  # noqa: E402

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
BANDITORE = os.environ.get("BANDITORE", os.path.join(ROOT, "build", "src", "cli", "banditore"))
SIM = os.environ.get("BANDITORE_SIM", os.path.join(ROOT, "build", "src", "sim", "banditore-sim"))
APP_SECRET = "test-app-secret-not-real"
ACCESS_TOKEN = "test-access-token-not-real"
VERIFY_TOKEN = "test-verify-token"
PHONE_NUMBER_ID = "100000000000001"


def http(method, url, body=None, headers=None, timeout=10):
    req = urllib.request.Request(url, data=body, method=method, headers=headers or {})
    try:
        with urllib.request.urlopen(req, timeout=timeout) as r:
            return r.status, r.read()
    except urllib.error.HTTPError as e:
        return e.code, e.read()


def sign(body):
    return "sha256=" + hmac.new(APP_SECRET.encode(), body, hashlib.sha256).hexdigest()


def inbound_body(number, text, msg_id):
    return json.dumps({
        "object": "whatsapp_business_account",
        "entry": [{"id": "100000000000000", "changes": [{"field": "messages", "value": {
            "messaging_product": "whatsapp",
            "metadata": {"display_phone_number": "393660000000", "phone_number_id": PHONE_NUMBER_ID},
            "contacts": [{"profile": {"name": "Cittadino"}, "wa_id": number}],
            "messages": [{"from": number, "id": msg_id, "timestamp": str(int(time.time())),
                          "type": "text", "text": {"body": text}}]}}]}]}).encode()


class Deployment:
    """A data folder, the simulator and the daemon, from one example configuration."""

    # The sections of the comune's policy (issue 4): tests of delivery and inbound leave
    # them out (policy=False), so that their messages go out whatever the clock says.
    POLICY_SECTIONS = ("policy", "categories", "category", "hours", "electoral", "content",
                       "links", "disclaimer", "frequency", "attachments")

    def __init__(self, example="concorezzo", extra=None, policy=False):
        self.dir = tempfile.mkdtemp(prefix="banditore-it-")
        self.port = harness.free_port()
        self.sim_port = harness.free_port()
        self.config = os.path.join(self.dir, "comune.ini")
        with open(os.path.join(ROOT, "examples", "comuni", example + ".ini"), encoding="utf-8") as f:
            text = f.read()
        if not policy:
            kept, skip = [], False
            for line in text.splitlines(True):
                m = re.match(r"^\[([a-z_]+)[^\]]*\]\s*$", line)
                if m:
                    skip = m.group(1) in self.POLICY_SECTIONS
                if not skip:
                    kept.append(line)
            text = "".join(kept).replace("{hours}", "dal lunedì al venerdì dalle 9:00 alle 13:00")
        text = re.sub(r"(?m)^\s*api_base\s*=.*\n", "", text)
        text = re.sub(r"(?m)^\[whatsapp\]\s*$", "[whatsapp]\napi_base = http://127.0.0.1:%d" % self.sim_port, text)
        for section, key, value in (extra or []):
            text = re.sub(r"(?m)^\s*%s\s*=.*\n" % re.escape(key), "", text)
            text = re.sub(r"(?m)^\[%s\]\s*$" % re.escape(section), "[%s]\n%s = %s" % (section, key, value), text)
        with open(self.config, "w", encoding="utf-8") as f:
            f.write(text)
        secrets = os.path.join(self.dir, "secrets.ini")
        with open(secrets, "w", encoding="utf-8") as f:
            f.write("[whatsapp]\napp_secret = %s\naccess_token = %s\nverify_token = %s\n"
                    % (APP_SECRET, ACCESS_TOKEN, VERIFY_TOKEN))
        os.chmod(secrets, 0o600)
        self.data = os.path.join(self.dir, "data")
        self.db = os.path.join(self.data, "banditore.db")
        self.base = "http://127.0.0.1:%d" % self.port
        self.sim_base = "http://127.0.0.1:%d" % self.sim_port
        self.procs = []

    def cli(self, *args):
        return subprocess.run([BANDITORE, *args, "--config", self.config, "--data-dir", self.data],
                              capture_output=True, text=True, timeout=60)

    def start(self):
        r = self.cli("init")
        assert r.returncode == 0, r.stderr
        self.sim = harness.start_process([SIM, "--listen", "127.0.0.1:%d" % self.sim_port,
                                          "--webhook-url", self.base + "/webhooks/whatsapp",
                                          "--app-secret", APP_SECRET, "--access-token", ACCESS_TOKEN,
                                          "--phone-number-id", self.phone_number_id(),
                                          "--display-number", "+393660000000", "--rate", "1000"])
        self.procs.append(self.sim)
        self.server = harness.start_process([BANDITORE, "serve", "--config", self.config,
                                             "--data-dir", self.data, "--listen", "127.0.0.1:%d" % self.port])
        self.procs.append(self.server)
        harness.wait_port("127.0.0.1", self.sim_port, 20)
        harness.wait_port("127.0.0.1", self.port, 20)
        return self

    def phone_number_id(self):
        with open(self.config, encoding="utf-8") as f:
            m = re.search(r"(?m)^\s*phone_number_id\s*=\s*(\S+)", f.read())
        return m.group(1)

    def stop(self):
        """Stops both programs; the daemon must exit cleanly, with no sanitizer report."""
        problems = []
        for p in reversed(self.procs):
            early = p.poll()
            status = harness.stop_process(p, keep_log=True)
            log = harness.read_log(p)
            try:
                os.unlink(p.log_path)
            except (AttributeError, FileNotFoundError):
                pass
            if early is not None:
                problems.append("%s stopped before the end (status %s):\n%s"
                                % (os.path.basename(p.args[0]), early, log[-3000:]))
            elif p is getattr(self, "server", None):
                if status != 0:
                    problems.append("banditore serve exited with status %s:\n%s"
                                    % (status, log[-3000:]))
            for marker in ("AddressSanitizer", "LeakSanitizer", "runtime error:"):
                if marker in log:
                    problems.append("%s report:\n%s" % (marker, log[-3000:]))
        self.procs = []
        assert not problems, "\n".join(problems)

    def cleanup(self):
        self.stop()
        shutil.rmtree(self.dir, ignore_errors=True)

    # -- the citizen's phone, through the simulator --
    def say(self, number, text, **extra):
        status, body = http("POST", self.sim_base + "/sim/inbound",
                            json.dumps({"from": number, "text": text, **extra}).encode(),
                            {"Content-Type": "application/json"})
        assert status == 200, body
        return json.loads(body)

    def received(self, number):
        status, body = http("GET", self.sim_base + "/sim/messages?to=" + number)
        assert status == 200, body
        return json.loads(body)["messages"]

    def wait_received(self, number, count, timeout=15):
        deadline = time.time() + timeout
        while time.time() < deadline:
            msgs = self.received(number)
            if len(msgs) >= count:
                return msgs
            time.sleep(0.05)
        raise AssertionError("expected %d messages to %s, got %r" % (count, number, self.received(number)))

    def post_webhook(self, body, signature="auto"):
        headers = {"Content-Type": "application/json"}
        if signature == "auto":
            signature = sign(body)
        if signature is not None:
            headers["X-Hub-Signature-256"] = signature
        return http("POST", self.base + "/webhooks/whatsapp", body, headers)

    def query(self, sql, args=()):
        con = sqlite3.connect("file:%s?mode=ro" % self.db, uri=True, timeout=10)
        try:
            return con.execute(sql, args).fetchall()
        finally:
            con.close()

    def wait_outbox_empty(self, timeout=15):
        deadline = time.time() + timeout
        while time.time() < deadline:
            if self.query("SELECT count(*) FROM outbox")[0][0] == 0:
                return
            time.sleep(0.05)
        raise AssertionError("outbox not drained")


def text_of(msg):
    t = msg.get("text")
    return t.get("body") if isinstance(t, dict) else (t or "")


class JoinLeave(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.d = Deployment().start()

    @classmethod
    def tearDownClass(cls):
        cls.d.cleanup()

    def subscriber_rows(self):
        return self.d.query("SELECT sealed FROM subscribers")

    def test_keyword_variants_join_then_leave_and_nothing_remains(self):
        d = self.d
        joins0, leaves0 = self.counts()
        variants = ["attiva iscrizione", "Attiva  Iscrizione!", "ATTIVA ISCRIZIONE \U0001F642",
                    "ATTIVA ISCRIZIONE"]
        for i, variant in enumerate(variants):
            number = "39333000%04d" % (100 + i)
            before = len(self.subscriber_rows())
            r = d.say(number, variant)
            self.assertEqual(r["status"], 200)
            msgs = d.wait_received(number, 1)
            body = text_of(msgs[0])
            self.assertIn("WhatsConcorezzo", body, variant)
            self.assertRegex(body, r"https?://", "confirmation links the policy and privacy notice")
            self.assertEqual(len(self.subscriber_rows()), before + 1, variant)
            shown = d.cli("subscribers", "show", "+" + number)
            self.assertEqual(shown.returncode, 0, shown.stderr)
            self.assertIn("keyword", shown.stdout)

            # What is stored for the number: only ciphertext, which must go too.
            sealed = [row[0] for row in self.subscriber_rows()]
            self.assertTrue(all(number.encode() not in s for s in sealed))
            d.wait_outbox_empty()
            all_sealed = list(sealed)

            d.say(number, "DISATTIVA ISCRIZIONE")
            msgs = d.wait_received(number, 2)
            self.assertRegex(text_of(msgs[1]).lower(), r"cancellat|eliminat|rimoss")
            self.assertEqual(len(self.subscriber_rows()), before)
            d.wait_outbox_empty()
            # The writer truncates the WAL shortly after an erasure.
            deadline = time.time() + 5
            while True:
                blobs = b""
                for suffix in ("", "-wal"):
                    try:
                        with open(d.db + suffix, "rb") as f:
                            blobs += f.read()
                    except FileNotFoundError:
                        pass
                leaks = [n for n in (number.encode(), ("+" + number).encode(), number[2:].encode())
                         if n in blobs]
                mine = [s for s in all_sealed if s not in [r[0] for r in self.subscriber_rows()]]
                leaks += ["ciphertext"] if any(s in blobs for s in mine) else []
                if not leaks or time.time() > deadline:
                    break
                time.sleep(0.1)
            self.assertEqual(leaks, [], "erased data still in the files: %r" % leaks)
        self.assertEqual(self.counts(), (joins0 + len(variants), leaves0 + len(variants)),
                         "only anonymous counts remain")

    def counts(self):
        r = self.d.cli("subscribers", "count")
        self.assertEqual(r.returncode, 0, r.stderr)
        m = re.search(r"(?m)^whatsapp\s+(\d+)\s+(\d+)\s+(\d+)", r.stdout)
        self.assertIsNotNone(m, r.stdout)
        return int(m.group(2)), int(m.group(3))

    def test_join_twice_is_idempotent(self):
        d = self.d
        number = "393330000201"
        d.say(number, "ATTIVA ISCRIZIONE")
        d.wait_received(number, 1)
        rows = d.query("SELECT joined_at, policy_version FROM subscribers")
        d.say(number, "attiva iscrizione")
        msgs = d.wait_received(number, 2)
        self.assertEqual(d.query("SELECT joined_at, policy_version FROM subscribers"), rows)
        self.assertNotEqual(text_of(msgs[0]), text_of(msgs[1]), "second reply says already subscribed")
        d.say(number, "STOP")
        d.wait_received(number, 3)

    def test_duplicate_delivery_processed_once(self):
        d = self.d
        number = "393330000202"
        first = d.say(number, "ATTIVA ISCRIZIONE")
        again = d.say(number, "ATTIVA ISCRIZIONE", id=first["message_id"])
        self.assertEqual(again["status"], 200)
        d.wait_received(number, 1)
        time.sleep(0.5)
        self.assertEqual(len(d.received(number)), 1, "a retried webhook must not reply twice")
        d.say(number, "DISATTIVA ISCRIZIONE")
        d.wait_received(number, 2)

    def test_auto_reply_once_per_window(self):
        d = self.d
        number = "393330000203"
        d.say(number, "Buongiorno, a che ora apre l'anagrafe?")
        msgs = d.wait_received(number, 1)
        self.assertRegex(text_of(msgs[0]), r"(?i)ufficial")
        d.say(number, "Mi rispondete?")
        time.sleep(0.5)
        self.assertEqual(len(d.received(number)), 1, "one auto-reply per 24 h")
        self.assertEqual(d.query("SELECT count(*) FROM kept_messages")[0][0], 0,
                         "auto-reply mode keeps nothing")

    def test_bad_signature_401_nothing_stored(self):
        d = self.d
        before = d.query("SELECT count(*) FROM subscribers")[0][0]
        events = d.query("SELECT count(*) FROM events")[0][0]
        body = inbound_body("393330000301", "ATTIVA ISCRIZIONE", "wamid.bad-sig-1")
        self.assertEqual(d.post_webhook(body, signature=None)[0], 401)
        self.assertEqual(d.post_webhook(body, signature="sha256=" + "0" * 64)[0], 401)
        self.assertEqual(d.post_webhook(body, signature="sha1=abc")[0], 401)
        self.assertEqual(d.post_webhook(body + b" ", signature=sign(body))[0], 401)
        self.assertEqual(d.query("SELECT count(*) FROM subscribers")[0][0], before)
        self.assertEqual(d.query("SELECT count(*) FROM events")[0][0], events)

    def test_malformed_json_400_nothing_stored(self):
        d = self.d
        events = d.query("SELECT count(*) FROM events")[0][0]
        for body in (b"{not json", b"[]", b'{"object":"page","entry":[]}',
                     b'{"object":"whatsapp_business_account","entry":[{"changes":[{"field":"messages","value":{"messages":[{"id":"x"}]}}]}]}'):
            self.assertEqual(d.post_webhook(body)[0], 400, body)
        self.assertEqual(d.query("SELECT count(*) FROM events")[0][0], events)

    def test_body_over_1mib_413(self):
        body = b'{"object":"whatsapp_business_account","entry":[],"pad":"' + b"a" * (1024 * 1024) + b'"}'
        self.assertEqual(self.d.post_webhook(body)[0], 413)

    def test_large_request_headers_taken(self):
        # A reverse proxy in front lets request headers of up to 8 KiB through (the
        # comune's other cookies included); the server keeps 16 KiB per connection.
        d = self.d
        before = len(self.subscriber_rows())
        body = inbound_body("393330000411", "ATTIVA ISCRIZIONE", "wamid.big-headers")
        headers = {"Content-Type": "application/json", "X-Hub-Signature-256": sign(body),
                   "Cookie": "comune_prefs=" + "a" * 7000}
        self.assertEqual(http("POST", d.base + "/webhooks/whatsapp", body, headers)[0], 200)
        self.assertEqual(len(self.subscriber_rows()), before + 1)
        self.assertEqual(http("GET", d.base + "/healthz", headers={"Cookie": "x=" + "a" * 12000})[0], 431)

    def test_status_and_unknown_events_acknowledged(self):
        d = self.d
        status = json.dumps({"object": "whatsapp_business_account", "entry": [{"id": "1", "changes": [
            {"field": "messages", "value": {"messaging_product": "whatsapp", "statuses": [
                {"id": "wamid.status-1", "status": "delivered", "timestamp": "1750000000",
                 "recipient_id": "393330000401"}]}}]}]}).encode()
        self.assertEqual(d.post_webhook(status)[0], 200)
        self.assertEqual(d.post_webhook(status)[0], 200)
        self.assertEqual(d.query("SELECT sum(value) FROM counters WHERE name='status-delivered'")[0][0], 1)
        unknown = json.dumps({"object": "whatsapp_business_account", "entry": [{"id": "1", "changes": [
            {"field": "account_update", "value": {"event": "VERIFIED_ACCOUNT"}}]}]}).encode()
        self.assertEqual(d.post_webhook(unknown)[0], 200)

    def test_verification_handshake(self):
        d = self.d
        ok = d.base + "/webhooks/whatsapp?hub.mode=subscribe&hub.verify_token=%s&hub.challenge=1158201444" % VERIFY_TOKEN
        self.assertEqual(http("GET", ok), (200, b"1158201444"))
        bad = d.base + "/webhooks/whatsapp?hub.mode=subscribe&hub.verify_token=wrong&hub.challenge=1"
        self.assertEqual(http("GET", bad)[0], 403)

    def test_logs_hold_no_number(self):
        d = self.d
        number = "393330000501"
        d.say(number, "ATTIVA ISCRIZIONE")
        d.wait_received(number, 1)
        d.say(number, "DISATTIVA ISCRIZIONE")
        d.wait_received(number, 2)
        log = harness.read_log(d.server)
        self.assertIn("outcome=joined", log)
        self.assertNotIn(number[2:], log)


class KeepUntilAnswered(unittest.TestCase):
    """Seveso's rule: private messages are kept (encrypted) until answered, and erased on leave."""

    def test_kept_sealed_and_erased_on_leave(self):
        d = Deployment("seveso", extra=[("channel", "platforms", "whatsapp")]).start()
        try:
            number = "393330000601"
            d.say(number, "ATTIVA ISCRIZIONE")
            d.wait_received(number, 1)
            d.say(number, "Segnalo una buca in via Roma")
            deadline = time.time() + 10
            while d.query("SELECT count(*) FROM kept_messages")[0][0] == 0 and time.time() < deadline:
                time.sleep(0.05)
            rows = d.query("SELECT sealed_text FROM kept_messages")
            self.assertEqual(len(rows), 1)
            self.assertNotIn(b"buca", rows[0][0])
            # Its acknowledgement first: leaving at once would (rightly) erase it unsent.
            d.wait_received(number, 2)
            d.say(number, "DISATTIVA ISCRIZIONE")
            d.wait_received(number, 3)
            self.assertEqual(d.query("SELECT count(*) FROM kept_messages")[0][0], 0)
        finally:
            d.cleanup()


if __name__ == "__main__":
    unittest.main(verbosity=2)
