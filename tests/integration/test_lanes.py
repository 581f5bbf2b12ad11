"""Integration tests of the lanes (issue 7, points 1 and 7): one message, every platform.

The real daemon runs with WhatsApp (banditore-sim), Telegram (npm telegram-test-api behind
tests/integration/telegram_peer.js, which also records what is posted and can answer 429
or 403), e-mail (npm smtp-server, tests/integration/smtp_peer.js) and web push (the
push service of push_service.mjs, which decrypts with the reference http_ece).

Asserted:
  - one approved message reaches a WhatsApp simulator phone, a Telegram subscriber who
    joined with /start, an e-mail subscriber who confirmed, and a push subscription,
    each rendered for its platform, and the API shows the counts per platform;
  - Telegram's 429 (retry_after) slows only the Telegram lane and an SMTP server that is
    down fails only the e-mail lane (after its retries), while WhatsApp finishes;
  - a cancel stops the lanes between pages, and an emergency preempts a routine message
    on a lane, which then resumes from its cursor;
  - kill -9 and a restart resume a lane from its durable cursor: nobody is lost and at
    most one page is sent twice;
  - Telegram in channel mode posts once to the channel and walks nobody;
  - erasure per platform: a Telegram chat that blocked the bot and a push subscription
    the service says is gone (410) are erased (their hash and sealed address are in
    neither the database nor its WAL); an e-mail refused with 5xx counts a failure.

Exit 77 (skipped) when node or the npm peers are not installed. Every number, chat id
and address is fictitious.
"""
import hashlib
import hmac
import json
import os
import re
import sqlite3
import subprocess
import sys
import time
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import harness  # noqa: E402
import test_email as em  # noqa: E402  (have_peer, parts, FROM)
import test_telegram as tg  # noqa: E402  (TelegramDeployment: the Telegram peer and /start)
import test_webpush as wp  # noqa: E402  (have_node_peer, SUBJECT)
import test_whatsapp_inbound as wa  # noqa: E402
from test_permissions import PASSWORD, Client  # noqa: E402

ROOT = wa.ROOT
BANDITORE = wa.BANDITORE
BUILD = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(BANDITORE))))
GEN = os.environ.get("GEN_SUBSCRIBERS", os.path.join(BUILD, "tests", "tools", "gen_subscribers"))
FROM = em.FROM
CHANNEL = "@comune_prova_lanes"
FINAL = ("sent", "partly-failed", "stopped")


class LanesDeployment(tg.TelegramDeployment):
    """Leini with WhatsApp, Telegram, e-mail and web push, each lane against its peer."""

    def __init__(self, smtp_url, tg_rate=30, tg_mode="bot", wa_rate=None):
        super().__init__()
        self.inbox = {}  # what the Telegram peer handed over per chat (test_telegram's helpers)
        with open(self.config, encoding="utf-8") as f:
            text = f.read()
        text = re.sub(r"(?m)^platforms\s*=.*$", "platforms = whatsapp, telegram, email, webpush", text)
        text = text.replace("messages_per_second = 0\n", "messages_per_second = %d\n" % tg_rate)
        if tg_mode == "channel":
            text = text.replace("mode = bot\n", "mode = channel\nchannel_id = %s\n" % CHANNEL)
        if wa_rate is not None:  # leini's [whatsapp] names no rate of its own
            text = re.sub(r"(?m)^\[whatsapp\]\s*$", "[whatsapp]\nmessages_per_second = %d" % wa_rate, text)
        text += ("\n[email]\nfrom_address = %s\nfrom_name = Comune di Leinì\nsmtp_url = %s\ntls = none\n"
                 "\n[push]\nsubject = %s\nttl = 3600\nallow_insecure_endpoints = yes\n"
                 % (FROM, smtp_url, wp.SUBJECT))
        with open(self.config, "w", encoding="utf-8") as f:
            f.write(text)
        self.public = re.search(r"(?m)^public_url\s*=\s*(\S+)", text).group(1)
        self.token = None

    def gen(self, platform, count, first=1):
        r = subprocess.run([GEN, self.data, str(count), str(first), platform], capture_output=True,
                           text=True, timeout=120)
        assert r.returncode == 0, r.stderr

    def publish(self, *args):
        if "--title" not in args:  # Leini's template carries the title
            args = ("--title", "Avviso") + tuple(args)
        r = self.cli("publish", "--category", "avvisi", *args)
        assert r.returncode == 0, r.stderr
        return int(re.search(r"(?m)^id\s+(\d+)$", r.stdout).group(1))

    def api(self, method, path):
        if not self.token:
            r = self.cli("token", "create", "test-lanes")
            assert r.returncode == 0, r.stderr
            self.token = re.findall(r"(?m)^(bnd_[A-Za-z0-9_-]{43})$", r.stdout)[0]
        status, raw = wa.http(method, self.base + path, b"", {"Authorization": "Bearer " + self.token})
        return status, json.loads(raw) if raw else None

    def lanes(self, mid):
        keys = ("platform", "state", "cursor", "total", "sent", "failed", "started_at", "finished_at")
        rows = self.query("SELECT %s FROM message_platforms WHERE message_id = ?" % ", ".join(keys), (mid,))
        return {r[0]: dict(zip(keys, r)) for r in rows}

    def message_state(self, mid):
        return self.query("SELECT state FROM messages WHERE id = ?", (mid,))[0][0]

    def wait_lanes(self, mid, platforms, timeout=60):
        """Waits until the lanes of `platforms` (numbers) have finished; returns the rows."""
        deadline = time.time() + timeout
        while time.time() < deadline:
            rows = self.lanes(mid)
            if all(p in rows and rows[p]["state"] >= 2 for p in platforms):
                return rows
            time.sleep(0.1)
        raise AssertionError("lanes of %d not finished: %r\n%s" % (mid, self.lanes(mid),
                             "\n".join(l for l in harness.read_log(self.server).splitlines()
                                       if "lane" in l)[-3000:]))

    def wait_whatsapp(self, mid, timeout=60):
        deadline = time.time() + timeout
        while time.time() < deadline:
            if self.message_state(mid) in (4, 5, 6, 7):
                return self.message_state(mid)
            time.sleep(0.05)
        raise AssertionError("message %d still %d" % (mid, self.message_state(mid)))

    def whatsapp_sends(self, mid):
        msgs = json.loads(wa.http("GET", self.sim_base + "/sim/messages", timeout=30)[1])["messages"]
        return [m for m in msgs if m.get("biz_opaque_callback_data") == "m=%d" % mid]

    def telegram_sent(self, refused=False):
        """What the Telegram peer accepted (or, with refused, the 429s it answered)."""
        status, body = wa.http("GET", self.peer_base + "/control/sent")
        assert status == 200, body
        return json.loads(body)["refused" if refused else "sent"]

    def telegram_control(self, what, obj):
        status, body = wa.http("POST", self.peer_base + "/control/" + what, json.dumps(obj).encode(),
                               {"Content-Type": "application/json"})
        assert status == 200, body

    def files_bytes(self):
        return harness.db_bytes(self.db)

    def addr_hash(self, platform, addr):
        key = harness.index_key(os.path.join(self.data, "banditore.key"))
        return hmac.new(key, ("%d:%s" % (platform, addr)).encode(), hashlib.sha256).digest()

    def restart(self):
        self.server = harness.start_process([BANDITORE, "serve", "--config", self.config, "--data-dir",
                                             self.data, "--listen", "127.0.0.1:%d" % self.port])
        self.procs.append(self.server)
        harness.wait_port("127.0.0.1", self.port, 20, process=self.server)


def have_peers():
    return tg.peer_available() and em.have_peer() and wp.have_node_peer()


class Lanes(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        if not have_peers():
            raise unittest.SkipTest("node or the npm peers missing: run scripts/install-deps")
        cls.smtp = harness.SmtpPeer(reject=("rifiutata@example.org",), sender=FROM)
        cls.push = harness.PushService()

    @classmethod
    def tearDownClass(cls):
        cls.smtp.stop()
        cls.push.stop()

    def setUp(self):
        self.smtp.clear()
        self.d = None

    def tearDown(self):
        if self.d:
            self.d.cleanup()

    def deploy(self, **kw):
        self.d = LanesDeployment(kw.pop("smtp_url", self.smtp.url), **kw)
        self.d.start()
        return self.d

    # ------------------------------------------------------------------ the tests
    def test_a_one_message_every_platform(self):
        d = self.deploy()
        d.gen("whatsapp", 2)
        # Telegram: a citizen starts the bot.
        chat = 7100000001
        self.assertEqual(d.user_command(chat, "/start"), [200])
        d.wait_received(chat, 1)
        # E-mail: double opt-in.
        addr = "cittadina.lanes@example.org"
        status, _ = wa.http("POST", d.base + "/email/subscribe", json.dumps({"email": addr}).encode(),
                            {"Content-Type": "application/json"})
        self.assertEqual(status, 202)
        conf = [m for m in self.smtp.wait(1) if m["to"] == [addr]][0]
        link = re.search(re.escape(d.public) + r"/email/confirm\?t=[A-Za-z0-9_-]{43}",
                         em.parts(conf["msg"])[0]).group(0)
        self.assertEqual(wa.http("GET", link.replace(d.public, d.base))[0], 200)
        self.smtp.clear()
        # Push: a browser subscribes.
        sub = self.push.subscriber()
        status, _ = wa.http("POST", d.base + "/push/subscribe", json.dumps(sub["subscription"]).encode(),
                            {"Content-Type": "application/json"})
        self.assertEqual(status, 201)

        mid = d.publish("--title", "Chiusura scuole", "--text", "Domani scuole chiuse per neve & gelo.",
                        "--link", "https://comune.example.org/neve")
        rows = d.wait_lanes(mid, (2, 3, 4))
        self.assertEqual(d.wait_whatsapp(mid), 4)

        # WhatsApp: the template to both phones.
        self.assertEqual(len(d.whatsapp_sends(mid)), 2)
        # Telegram: the bot's HTML, escaped, to the chat.
        posts = [s for s in d.telegram_sent() if s["chat_id"] == str(chat) and "Chiusura" in (s["text"] or "")]
        self.assertEqual(len(posts), 1)
        self.assertEqual(posts[0]["parse_mode"], "HTML")
        self.assertEqual(posts[0]["text"], "<b>Chiusura scuole</b>\n\nDomani scuole chiuse per neve &amp; gelo."
                                           "\n\nhttps://comune.example.org/neve")
        # E-mail: one message to the subscriber, with the subject and one-click unsubscribe.
        mails = [m for m in self.smtp.wait(1) if m["to"] == [addr]]
        self.assertEqual(len(mails), 1)
        msg = mails[0]["msg"]
        self.assertEqual(str(msg["Subject"]), "Chiusura scuole")
        self.assertEqual(msg["List-Unsubscribe-Post"], "List-Unsubscribe=One-Click")
        self.assertRegex(msg["List-Unsubscribe"], r"^<https://[^>]+/email/unsubscribe\?t=[A-Za-z0-9_-]{64}>$")
        plain, html = em.parts(msg)
        self.assertIn("Domani scuole chiuse per neve & gelo.", plain)
        self.assertIn("https://comune.example.org/neve", plain)
        # Push: decrypted by the reference implementation.
        got = [x for x in self.push.received() if x["id"] == sub["id"]]
        self.assertEqual(len(got), 1)
        self.assertTrue(got[0]["ok"], got[0]["problems"])
        payload = json.loads(got[0]["plaintext"])
        self.assertEqual(payload["title"], "Chiusura scuole")
        self.assertEqual(payload["body"], "Domani scuole chiuse per neve & gelo.")
        self.assertEqual(payload["url"], "https://comune.example.org/neve")
        self.assertEqual(got[0]["urgency"], "normal")

        # The counts per platform, in the database and in the API.
        for p in (2, 3, 4):
            self.assertEqual((rows[p]["total"], rows[p]["sent"], rows[p]["failed"], rows[p]["state"]),
                             (1, 1, 0, 2), p)
        status, body = d.api("GET", "/api/v1/messages/%d" % mid)
        self.assertEqual(status, 200, body)
        plat = {p["platform"]: p for p in body["platforms"]}
        self.assertEqual(set(plat), {"whatsapp", "telegram", "email", "webpush"})
        self.assertEqual(plat["whatsapp"], {"platform": "whatsapp", "state": "sent", "total": 2, "sent": 2,
                                            "failed": 0})
        for p in ("telegram", "email", "webpush"):
            self.assertEqual(plat[p], {"platform": p, "state": "sent", "total": 1, "sent": 1, "failed": 0})
        # The console's messages page: a row per platform, each with its own progress bar.
        r = subprocess.run([BANDITORE, "staff", "create", "redattrice", "--role", "gestore", "--config",
                            d.config, "--data-dir", d.data], input=PASSWORD + "\n", capture_output=True,
                           text=True, timeout=60)
        self.assertEqual(r.returncode, 0, r.stderr)
        c = Client(d.base)
        self.assertEqual(c.login("redattrice")[0], 201)
        status, page = wa.http("GET", d.base + "/console/messaggi",
                               headers={"Cookie": "banditore_session=" + c.cookie, "X-Forwarded-For": c.source})
        self.assertEqual(status, 200)
        page = page.decode()
        rows = re.findall(r'<li class="row g-2 align-items-center platform-(\w+) state-([\w-]+)">.*?'
                          r'<progress class="w-100" max="100" value="(\d+)" aria-label="Chiusura scuole, ([^:]+): ',
                          page, re.S)
        self.assertEqual(sorted(rows), sorted([("whatsapp", "sent", "100", "WhatsApp"),
                                               ("telegram", "sent", "100", "Telegram"),
                                               ("email", "sent", "100", "E-mail"),
                                               ("webpush", "sent", "100", "Notifiche del browser")]), page[-3000:])
        self.assertIn("Inviato · inviati 1 / 1 · non riusciti 0", page)
        # And the dashboard's server-sent progress carries the same rows.
        status, events = wa.http("GET", d.base + "/console/eventi",
                                 headers={"Cookie": "banditore_session=" + c.cookie, "X-Forwarded-For": c.source})
        self.assertEqual(status, 200)
        data = json.loads(re.search(r"(?m)^data: (.*)$", events.decode()).group(1))
        mine = [x for x in data if x["id"] == mid][0]
        self.assertEqual(sorted((q["platform"], q["state"], q["sent"], q["total"]) for q in mine["platforms"]),
                         [("email", "sent", 1, 1), ("telegram", "sent", 1, 1), ("webpush", "sent", 1, 1),
                          ("whatsapp", "sent", 2, 2)])
        log = harness.read_log(d.server)
        self.assertNotIn(addr, log)
        self.assertNotIn(str(chat), log)

    def test_b_flood_and_smtp_down_hold_only_their_lane(self):
        smtp = harness.SmtpPeer(sender=FROM)
        d = self.deploy(smtp_url=smtp.url)
        smtp.stop()  # the relay is down for the whole broadcast
        d.gen("whatsapp", 20)
        d.gen("telegram", 40, 1)
        d.gen("email", 5, 1)
        d.telegram_control("flood", {"count": 3, "retry_after": 2})
        t0 = time.time()
        mid = d.publish("--text", "Avviso a tutti: mercato spostato in piazza Italia.")
        self.assertEqual(d.wait_whatsapp(mid), 4)
        wa_done = time.time() - t0
        rows = d.lanes(mid)
        # WhatsApp finished while the e-mail lane is still retrying its relay (or has not
        # even taken the message yet): it has not finished.
        self.assertNotIn(rows.get(3, {}).get("state"), (2, 3, 4), rows)
        rows = d.wait_lanes(mid, (2, 3), timeout=90)
        self.assertEqual((rows[2]["state"], rows[2]["sent"], rows[2]["failed"]), (2, 40, 0))
        self.assertEqual((rows[3]["state"], rows[3]["sent"], rows[3]["failed"]), (3, 0, 5))
        # Each e-mail subscriber has one failure counted ([email] unreachable_after skips
        # them once they reach it); nobody was erased for a relay that was down.
        self.assertEqual(d.query("SELECT failures FROM subscribers WHERE platform = 3"), [(1,)] * 5)
        sends = sorted(s["at"] for s in d.telegram_sent() if s["chat_id"].startswith("7000"))
        self.assertEqual(len(sends), 40)
        floods = sorted(s["at"] for s in d.telegram_sent(refused=True))
        self.assertEqual(len(floods), 3)
        # After a 429, nothing new for its retry_after (2 s): the lane paused (sends that
        # were already on their way when the 429 came arrive with it).
        later = [s for s in sends if s > floods[-1] + 200]
        self.assertGreaterEqual(later[0] - floods[-1], 1800, "the 429's retry_after was not honoured")
        # Never more than 30 a second, outside the pause.
        for i in range(len(sends) - 30):
            self.assertGreaterEqual(sends[i + 30] - sends[i], 900)  # 1 s, less the way's jitter
        sys.stderr.write("whatsapp done in %.1f s; telegram lane %d s, e-mail lane %d s\n"
                         % (wa_done, rows[2]["finished_at"] - rows[2]["started_at"],
                            rows[3]["finished_at"] - rows[3]["started_at"]))
        self.assertIn("lane-finished platform=email", harness.read_log(d.server))

    def test_c_cancel_stops_the_lanes(self):
        d = self.deploy(wa_rate=5)
        d.gen("whatsapp", 100)
        d.gen("telegram", 300, 1)
        mid = d.publish("--text", "Messaggio che verrà annullato.")
        deadline = time.time() + 20
        while len(d.telegram_sent()) < 30 and time.time() < deadline:
            time.sleep(0.05)
        status, body = d.api("POST", "/api/v1/messages/%d/cancel" % mid)
        self.assertEqual(status, 200, body)
        rows = d.wait_lanes(mid, (2, 3, 4), timeout=20)
        self.assertEqual(rows[2]["state"], 4)
        n = len(d.telegram_sent())
        self.assertLess(n, 300)
        self.assertEqual(rows[2]["sent"], n)
        time.sleep(1.5)
        self.assertEqual(len(d.telegram_sent()), n, "sends after the cancel")
        self.assertEqual(d.message_state(mid), 6)

    def test_c2_cancel_after_whatsapp_finished_stops_the_other_lanes(self):
        d = self.deploy()
        d.gen("whatsapp", 3)
        d.gen("telegram", 300, 1)
        mid = d.publish("--text", "Avviso da fermare su Telegram.")
        self.assertEqual(d.wait_whatsapp(mid), 4)
        deadline = time.time() + 20
        while len(d.telegram_sent()) < 30 and time.time() < deadline:
            time.sleep(0.05)
        status, body = d.api("POST", "/api/v1/messages/%d/cancel" % mid)
        self.assertEqual(status, 200, body)
        plat = {p["platform"]: p for p in body["platforms"]}
        self.assertEqual(plat["telegram"]["state"], "stopped")
        self.assertEqual(plat["whatsapp"]["state"], "sent")  # WhatsApp had finished: it stays so
        rows = d.wait_lanes(mid, (2,), timeout=20)
        time.sleep(1.5)
        n = len(d.telegram_sent())
        self.assertLess(n, 300)
        self.assertEqual(rows[2]["state"], 4)
        self.assertEqual(d.lanes(mid)[2]["sent"], n)  # the page in flight was settled, then none
        self.assertEqual(d.message_state(mid), 4)
        # Finished everywhere now: a second cancel is refused.
        status, body = d.api("POST", "/api/v1/messages/%d/cancel" % mid)
        self.assertEqual(status, 409, body)

    def test_d_restart_resumes_from_the_cursor(self):
        d = self.deploy()
        d.gen("telegram", 150, 1)
        mid = d.publish("--text", "Avviso importante: lavori sulla rete idrica.")
        deadline = time.time() + 30
        while (not d.lanes(mid).get(2) or d.lanes(mid)[2]["cursor"] == 0) and time.time() < deadline:
            time.sleep(0.05)
        self.assertGreater(d.lanes(mid)[2]["cursor"], 0)
        d.server.kill()  # SIGKILL in the middle of the walk
        d.server.wait()
        d.procs.remove(d.server)
        before = len(d.telegram_sent())
        self.assertLess(before, 150)
        d.restart()
        rows = d.wait_lanes(mid, (2,), timeout=60)
        counts = {}
        for s in d.telegram_sent():
            counts[s["chat_id"]] = counts.get(s["chat_id"], 0) + 1
        self.assertEqual(len(counts), 150, "nobody lost")
        duplicates = sum(n - 1 for n in counts.values())
        sys.stderr.write("kill -9 after %d sends: %d sent twice (page 60)\n" % (before, duplicates))
        self.assertLessEqual(duplicates, 60)
        self.assertEqual(rows[2]["state"], 2)
        self.assertIn("lane-resumed platform=telegram message=%d" % mid, harness.read_log(d.server))

    def test_e_telegram_channel_mode_posts_once(self):
        d = self.deploy(tg_mode="channel")
        d.gen("telegram", 3, 1)  # not walked: the channel's followers are Telegram's
        mid = d.publish("--title", "Allerta meteo", "--text", "Allerta gialla per temporali.", "--emergency")
        rows = d.wait_lanes(mid, (2,))
        posts = d.telegram_sent()
        self.assertEqual([p["chat_id"] for p in posts], [CHANNEL])
        self.assertEqual(posts[0]["text"], "<b>Allerta meteo</b>\n\nAllerta gialla per temporali.")
        self.assertEqual((rows[2]["total"], rows[2]["sent"], rows[2]["state"]), (1, 1, 2))

    def test_g_emergency_preempts_a_routine_lane(self):
        d = self.deploy()
        d.gen("telegram", 200, 1)
        routine = d.publish("--title", "Festa", "--text", "Festa del paese sabato in piazza.")
        deadline = time.time() + 20
        while len(d.telegram_sent()) < 20 and time.time() < deadline:
            time.sleep(0.05)
        emergency = d.publish("--title", "Allerta", "--text", "Allerta meteo rossa: restate in casa.",
                              "--emergency")
        rows_e = d.wait_lanes(emergency, (2,), timeout=60)
        rows_r = d.wait_lanes(routine, (2,), timeout=60)
        self.assertEqual((rows_e[2]["sent"], rows_r[2]["sent"]), (200, 200))
        sent = d.telegram_sent()
        festa = [s["at"] for s in sent if "Festa" in s["text"]]
        allerta = [s["at"] for s in sent if "Allerta" in s["text"]]
        self.assertEqual(len({s["chat_id"] for s in sent if "Festa" in s["text"]}), 200)
        self.assertEqual(len(festa), 200, "the routine message resumed where it stopped")
        self.assertEqual(len(allerta), 200)
        # The emergency went out whole before the routine message finished.
        self.assertLess(max(allerta), max(festa))
        self.assertIn("lane-preempted platform=telegram message=%d" % routine, harness.read_log(d.server))

    def test_f_erasure_per_platform(self):
        d = self.deploy()
        d.gen("telegram", 3, 1)
        gone_chat = "70000000002"
        h_tg = d.addr_hash(2, gone_chat)
        sealed_tg = d.query("SELECT sealed FROM subscribers WHERE platform = 2 AND addr_hash = ?", (h_tg,))[0][0]
        d.telegram_control("gone", {"chat_id": gone_chat})
        subs = [self.push.subscriber() for _ in range(2)]
        for s in subs:
            status, _ = wa.http("POST", d.base + "/push/subscribe", json.dumps(s["subscription"]).encode(),
                                {"Content-Type": "application/json"})
            self.assertEqual(status, 201)
        gone = subs[1]
        h_wp = d.addr_hash(4, gone["subscription"]["endpoint"])
        sealed_wp = d.query("SELECT sealed FROM subscribers WHERE platform = 4 AND addr_hash = ?", (h_wp,))[0][0]
        self.push.answer(gone["id"], 410)
        d.gen("email", 2, 1)
        # The second address bounced too often ([email] unreachable_after): skipped, and not
        # part of the e-mail audience.
        con = sqlite3.connect(d.db, timeout=10)
        con.execute("UPDATE subscribers SET failures = 1000 WHERE platform = 3 AND addr_hash = ?",
                    (d.addr_hash(3, "utente.0000002@example.org"),))
        con.commit()
        con.close()
        mid = d.publish("--text", "Avviso: raccolta rifiuti spostata a giovedì.", "--emergency")
        rows = d.wait_lanes(mid, (2, 3, 4))
        self.assertEqual((rows[3]["total"], rows[3]["sent"], rows[3]["failed"]), (1, 1, 0))
        self.assertEqual([m["to"] for m in self.smtp.wait(1)], [["utente.0000001@example.org"]])
        self.assertEqual((rows[2]["sent"], rows[2]["failed"]), (2, 1))
        self.assertEqual((rows[4]["sent"], rows[4]["failed"]), (1, 1))
        self.assertEqual(len(d.query("SELECT 1 FROM subscribers WHERE platform = 2")), 2)
        self.assertEqual(len(d.query("SELECT 1 FROM subscribers WHERE platform = 4")), 1)
        ok = [x for x in self.push.received() if x["id"] == subs[0]["id"]]
        self.assertEqual(ok[-1]["urgency"], "high")  # an emergency
        deadline = time.time() + 5
        while True:
            blobs = d.files_bytes()
            leaks = [name for name, v in (("telegram hash", h_tg), ("telegram sealed", bytes(sealed_tg)),
                                          ("push hash", h_wp), ("push sealed", bytes(sealed_wp)),
                                          ("endpoint", gone["subscription"]["endpoint"].encode()))
                     if v in blobs]
            if not leaks or time.time() > deadline:
                break
            time.sleep(0.1)
        self.assertEqual(leaks, [], "erased data still in the database or its WAL")


class LanesSms(unittest.TestCase):
    """The SMS lane against the fake gateway of test_sms.py, which counts each text's parts."""

    def test_sms_lane_fits_the_text_and_counts(self):
        import test_sms  # noqa: E402  (sms_deployment, the gateway's settings)
        gw = test_sms.Gateway(expect_auth="Bearer " + test_sms.SMS_TOKEN, content_type="json",
                              max_parts=3, sender="ComuneTest").start()
        d = test_sms.sms_deployment(gw).start()
        try:
            r = subprocess.run([GEN, d.data, "3", "1", "sms"], capture_output=True, text=True, timeout=60)
            self.assertEqual(r.returncode, 0, r.stderr)
            text = ("Da lunedì 2 dicembre la raccolta della carta passa al martedì in tutto il territorio "
                    "comunale. ") * 6  # about 570 characters: more than three SMS parts
            r = d.cli("publish", "--category", "avvisi", "--title", "Raccolta rifiuti", "--text", text)
            self.assertEqual(r.returncode, 0, r.stderr)
            mid = int(re.search(r"(?m)^id\s+(\d+)$", r.stdout).group(1))
            deadline = time.time() + 30
            rows = []
            while time.time() < deadline:
                rows = d.query("SELECT state, total, sent, failed FROM message_platforms WHERE message_id = ?"
                               " AND platform = 5", (mid,))
                if rows and rows[0][0] >= 2:
                    break
                time.sleep(0.1)
            self.assertEqual(rows, [(2, 3, 3, 0)])
            self.assertEqual(gw.rejected, [])
            for k in (1, 2, 3):
                got = gw.to("+39370%07d" % k)
                self.assertEqual(len(got), 1)
                self.assertTrue(got[0]["text"].startswith("Raccolta rifiuti\nDa lunedì 2 dicembre"))
                self.assertLessEqual(got[0]["parts"], 3)
                self.assertLess(len(got[0]["text"]), len(text))  # cut to fit, with "..." and the link
        finally:
            d.cleanup()
            gw.stop()


if __name__ == "__main__":
    if not have_peers():
        print("node or the npm peers (telegram-test-api, smtp-server, http_ece) missing: skipped")
        sys.exit(77)
    unittest.main(verbosity=2)
