"""Integration tests of the Telegram connector (issue 7) against npm telegram-test-api.

The real daemon runs with [telegram] in bot mode pointed at telegram-test-api (a Bot API
emulator). A simulated user's commands are made by the emulator's own client API, as
Telegram formats them; the test relays each update to POST /webhooks/telegram with the
X-Telegram-Bot-Api-Secret-Token header, as Telegram's webhook delivery does (the
emulator's own webhook delivery sends no secret header). What Banditore sends back
goes through the connector to the emulator, where the user's side reads it.

Asserted: /start joins (a row with the chat id sealed, never in clear) and the welcome
reaches the user; /stop erases at once and the goodbye reaches the user; blocking the bot
(my_chat_member "kicked") erases; after each erasure the database and WAL bytes hold
neither the chat id's digits nor its ciphertext; a missing or wrong secret is 401 and
stores nothing; a malformed body is 400; a retried update is applied once.
(429 retry_after is covered by tests/unit/test_telegram.c: the emulator cannot answer 429.)

Exit 77 (skipped) only when node or telegram-test-api is not installed.
Chat ids are fictitious.
"""
import json
import os
import shutil
import subprocess
import sys
import time
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import harness  # noqa: E402
from test_whatsapp_inbound import Deployment, http  # noqa: E402

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
PEER = os.path.join(os.path.dirname(os.path.abspath(__file__)), "telegram_peer.js")
TOKEN = "700000001:TEST-fake-token_not_real"
SECRET = "tg-webhook-secret_not-real-0123456789"
BOT = "LeiniInformaProvaBot"


def peer_available():
    node = shutil.which("node")
    if not node:
        return False
    r = subprocess.run([node, "-e", "require('telegram-test-api')"], cwd=os.path.join(ROOT, "tests"),
                       capture_output=True, timeout=60)
    return r.returncode == 0


class TelegramDeployment(Deployment):
    def __init__(self):
        self.peer_port = harness.free_port()
        super().__init__("leini", extra=[("channel", "platforms", "whatsapp, telegram")])
        with open(self.config, "a", encoding="utf-8") as f:
            f.write("\n[telegram]\nmode = bot\nbot_username = %s\napi_base = http://127.0.0.1:%d\n"
                    "messages_per_second = 0\n" % (BOT, self.peer_port))
        with open(os.path.join(self.dir, "secrets.ini"), "a", encoding="utf-8") as f:
            f.write("[telegram]\nbot_token = %s\nwebhook_secret = %s\n" % (TOKEN, SECRET))
        self.peer_base = "http://127.0.0.1:%d" % self.peer_port

    def start(self):
        env = {"NODE_PATH": os.path.join(ROOT, "tests", "node_modules")}
        # The emulator itself listens on a port of its own behind the peer's front.
        self.peer = harness.start_process(["node", PEER, str(self.peer_port), str(harness.free_port())],
                                          env=env)
        self.procs.append(self.peer)
        harness.wait_port("127.0.0.1", self.peer_port, 30, self.peer)
        return super().start()

    # -- the user's side, through the emulator's client API --
    def user_command(self, chat, text):
        entity_len = text.find(" ") if " " in text else len(text)
        msg = {"botToken": TOKEN, "date": int(time.time()), "text": text,
               "from": {"id": chat, "is_bot": False, "first_name": "Prova"},
               "chat": {"id": chat, "type": "private", "first_name": "Prova"},
               "entities": [{"offset": 0, "length": entity_len, "type": "bot_command"}]}
        status, body = http("POST", self.peer_base + "/sendCommand", json.dumps(msg).encode(),
                            {"Content-Type": "application/json"})
        assert status == 200, body
        return self.relay()

    def relay(self):
        """Takes the pending updates from the emulator and posts them to the webhook, as
        Telegram does; returns the statuses."""
        status, body = http("POST", self.peer_base + "/bot%s/getUpdates" % TOKEN, b"{}",
                            {"Content-Type": "application/json"})
        assert status == 200, body
        statuses = []
        for update in json.loads(body)["result"]:
            statuses.append(self.post_update(json.dumps(update).encode())[0])
        return statuses

    def post_update(self, body, secret=SECRET):
        headers = {"Content-Type": "application/json"}
        if secret is not None:
            headers["X-Telegram-Bot-Api-Secret-Token"] = secret
        return http("POST", self.base + "/webhooks/telegram", body, headers)

    def received(self, chat):
        """Every message the bot sent to `chat` so far (the emulator hands each once)."""
        status, body = http("POST", self.peer_base + "/getUpdates",
                            json.dumps({"token": TOKEN, "chatId": chat}).encode(),
                            {"Content-Type": "application/json"})
        assert status == 200, body
        got = [u["message"] for u in json.loads(body)["result"]]
        self.inbox.setdefault(chat, []).extend(got)
        return self.inbox[chat]

    def wait_received(self, chat, count, timeout=15):
        deadline = time.time() + timeout
        while time.time() < deadline:
            msgs = self.received(chat)
            if len(msgs) >= count:
                return msgs
            time.sleep(0.05)
        raise AssertionError("expected %d messages to the chat, got %r" % (count, self.received(chat)))

    def telegram_rows(self):
        return self.query("SELECT sealed FROM subscribers WHERE platform = 2")

    def assert_gone(self, test, chat, sealed):
        """Neither the chat id's digits nor its ciphertext anywhere in the files."""
        deadline = time.time() + 5
        while True:
            blobs = b""
            for suffix in ("", "-wal"):
                try:
                    with open(self.db + suffix, "rb") as f:
                        blobs += f.read()
                except FileNotFoundError:
                    pass
            leaks = ["digits"] if str(chat).encode() in blobs else []
            leaks += ["ciphertext"] if any(s in blobs for s in sealed) else []
            if not leaks or time.time() > deadline:
                break
            time.sleep(0.1)
        test.assertEqual(leaks, [], "erased data still in the files")


def member_update(update_id, chat, status):
    return json.dumps({"update_id": update_id, "my_chat_member": {
        "chat": {"id": chat, "type": "private", "first_name": "Prova"},
        "from": {"id": chat, "is_bot": False, "first_name": "Prova"},
        "date": int(time.time()),
        "old_chat_member": {"status": "member", "user": {"id": 700000001, "is_bot": True}},
        "new_chat_member": {"status": status, "user": {"id": 700000001, "is_bot": True},
                            "until_date": 0}}}).encode()


class Telegram(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.d = TelegramDeployment()
        cls.d.inbox = {}
        cls.d.start()

    @classmethod
    def tearDownClass(cls):
        cls.d.cleanup()

    def test_start_welcome_stop_goodbye_and_nothing_remains(self):
        d = self.d
        chat = 7300001234567
        before = len(d.telegram_rows())
        self.assertEqual(d.user_command(chat, "/start"), [200])
        msgs = d.wait_received(chat, 1)
        self.assertIn("Leini Informa", msgs[0]["text"], "the welcome names the channel")
        self.assertIn("/stop", msgs[0]["text"], "the welcome says how to leave")
        self.assertEqual(msgs[0].get("parse_mode"), "HTML")
        rows = d.telegram_rows()
        self.assertEqual(len(rows), before + 1)
        sealed = [r[0] for r in rows]
        self.assertTrue(all(str(chat).encode() not in s for s in sealed), "stored sealed")
        method = d.query("SELECT method FROM subscribers WHERE platform = 2")
        self.assertIn(("deep-link",), method)

        # /start again: already subscribed, one row.
        self.assertEqual(d.user_command(chat, "/start"), [200])
        msgs = d.wait_received(chat, 2)
        self.assertNotEqual(msgs[0]["text"], msgs[1]["text"])
        self.assertEqual(len(d.telegram_rows()), before + 1)

        self.assertEqual(d.user_command(chat, "/stop"), [200])
        msgs = d.wait_received(chat, 3)
        self.assertRegex(msgs[2]["text"].lower(), r"cancellat|eliminat|rimoss")
        self.assertEqual(len(d.telegram_rows()), before)
        d.assert_gone(self, chat, sealed)

    def test_start_with_categories_payload_joins(self):
        d = self.d
        chat = 7300001234999
        before = len(d.telegram_rows())
        self.assertEqual(d.user_command(chat, "/start c_viabilita_eventi"), [200])
        d.wait_received(chat, 1)
        self.assertEqual(len(d.telegram_rows()), before + 1)
        self.assertEqual(d.user_command(chat, "/stop"), [200])
        d.wait_received(chat, 2)

    def test_blocking_the_bot_erases(self):
        d = self.d
        chat = 7300001230001
        before = len(d.telegram_rows())
        self.assertEqual(d.user_command(chat, "/start"), [200])
        d.wait_received(chat, 1)
        sealed = [r[0] for r in d.telegram_rows()]
        self.assertEqual(len(sealed), before + 1)
        status, _ = d.post_update(member_update(990001, chat, "kicked"))
        self.assertEqual(status, 200)
        self.assertEqual(len(d.telegram_rows()), before)
        d.assert_gone(self, chat, sealed)
        time.sleep(0.3)
        self.assertEqual(len(d.received(chat)), 1, "nothing is sent to who blocked the bot")

    def test_secret_checked_nothing_stored(self):
        d = self.d
        chat = 7300001230002
        body = json.dumps({"update_id": 990100, "message": {
            "message_id": 1, "date": 1, "text": "/start",
            "chat": {"id": chat, "type": "private"}, "from": {"id": chat, "is_bot": False}}}).encode()
        before = len(d.telegram_rows())
        for secret in (None, "", "wrong", SECRET + "x", SECRET[:-1]):
            status, _ = d.post_update(body, secret=secret)
            self.assertEqual(status, 401, secret)
        self.assertEqual(len(d.telegram_rows()), before)
        status, _ = d.post_update(b"{not json", SECRET)
        self.assertEqual(status, 400)
        status, _ = d.post_update(b'{"update_id":1,"message":{"chat":{"id":"x"}}}', SECRET)
        self.assertEqual(status, 400)
        self.assertEqual(len(d.telegram_rows()), before)
        time.sleep(0.2)
        self.assertEqual(d.received(chat), [])

    def test_retried_update_applied_once(self):
        d = self.d
        chat = 7300001230003
        body = json.dumps({"update_id": 990200, "message": {
            "message_id": 1, "date": 1, "text": "/start",
            "chat": {"id": chat, "type": "private"}, "from": {"id": chat, "is_bot": False}}}).encode()
        self.assertEqual(d.post_update(body)[0], 200)
        self.assertEqual(d.post_update(body)[0], 200)
        d.wait_received(chat, 1)
        time.sleep(0.3)
        self.assertEqual(len(d.received(chat)), 1, "a retried update must not reply twice")
        stop = json.dumps({"update_id": 990201, "message": {
            "message_id": 2, "date": 1, "text": "/stop",
            "chat": {"id": chat, "type": "private"}, "from": {"id": chat, "is_bot": False}}}).encode()
        self.assertEqual(d.post_update(stop)[0], 200)
        d.wait_received(chat, 2)

    def test_logs_hold_no_chat_id(self):
        log = harness.read_log(self.d.server)
        for chat in (7300001234567, 7300001230001, 7300001230002, 7300001230003):
            self.assertNotIn(str(chat), log)
        self.assertNotIn(TOKEN.split(":")[1], log)


if __name__ == "__main__":
    if not peer_available():
        print("SKIP: node or npm telegram-test-api is not installed (scripts/install-deps)")
        sys.exit(77)
    unittest.main(verbosity=2)
