"""Integration tests of issue #3's broadcast engine: an approved message reaches every
subscriber once, paced, durable across kill -9, with emergencies first.

The real daemon runs on loopback against banditore-sim (the Deployment of
test_whatsapp_inbound.py); citizens join through the simulator's /sim/inbound, messages
are published with `banditore publish` and cancelled through the JSON API. What each
citizen received is read back from /sim/messages, the pace from /sim/stats, the state
from the database. Numbers are fictitious (+39 370 000 xxxx).

Environment: BANDITORE (the banditore binary), BANDITORE_SIM (the simulator binary).
"""
import json
import os
import random
import re
import sqlite3
import sys
import threading
import time
import unittest
from datetime import datetime, timezone

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import harness  # noqa: E402
from test_whatsapp_inbound import BANDITORE, Deployment, http  # noqa: E402

STATES = {0: "draft", 1: "approved", 2: "scheduled", 3: "sending", 4: "sent",
          5: "partly_failed", 6: "cancelled", 7: "expired"}
FINAL = ("sent", "partly_failed", "cancelled", "expired")


def number(i):
    return "39370000%04d" % i


def rfc3339(t):
    return datetime.fromtimestamp(t, timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


class Channel:
    """A Deployment with subscribers, and what the broadcast tests ask of it."""

    def __init__(self, rate, extra=()):
        self.d = Deployment(extra=[("whatsapp", "messages_per_second", str(rate))] + list(extra))
        self.d.start()
        self.members = set()
        self.faults(rate=rate)
        self.token = None

    # -- the simulator --
    def faults(self, **settings):
        body = json.dumps({k.replace("_", "-"): v for k, v in settings.items()}).encode()
        status, raw = http("POST", self.d.sim_base + "/sim/faults", body,
                           {"Content-Type": "application/json"})
        assert status == 200, raw

    def stats(self):
        return json.loads(http("GET", self.d.sim_base + "/sim/stats")[1])

    def reset_stats(self):
        assert http("DELETE", self.d.sim_base + "/sim/stats")[0] == 200

    def sent_of(self, mid):
        """The template messages the simulator accepted for message `mid`, oldest first."""
        msgs = json.loads(http("GET", self.d.sim_base + "/sim/messages", timeout=30)[1])["messages"]
        return [m for m in msgs if m.get("biz_opaque_callback_data") == "m=%d" % mid]

    # -- citizens --
    def join(self, numbers, threads=8):
        numbers = list(numbers)
        errors = []

        def work(part):
            for n in part:
                try:
                    r = self.d.say(n, "ATTIVA ISCRIZIONE")
                    assert r["status"] == 200, r
                except Exception as e:  # noqa: BLE001 - reported below
                    errors.append(e)
        parts = [numbers[i::threads] for i in range(threads)]
        ts = [threading.Thread(target=work, args=(p,)) for p in parts if p]
        for t in ts:
            t.start()
        for t in ts:
            t.join()
        assert not errors, errors[:3]
        self.members.update(numbers)

    def leave(self, n):
        assert self.d.say(n, "DISATTIVA ISCRIZIONE")["status"] == 200
        self.members.discard(n)

    # -- messages --
    def publish(self, text, *args):
        r = self.d.cli("publish", "--category", "avvisi", "--text", text, *args)
        assert r.returncode == 0, r.stderr
        m = re.search(r"(?m)^id\s+(\d+)$", r.stdout)
        assert m, r.stdout
        return int(m.group(1))

    def message(self, mid):
        keys = ("state", "audience", "cursor", "sent", "failed", "unreachable", "delivered", "read",
                "priority", "started_at", "finished_at")
        row = self.d.query("SELECT %s FROM messages WHERE id = ?" % ", ".join(keys), (mid,))[0]
        m = dict(zip(keys, row))
        m["state"] = STATES[m["state"]]
        return m

    def wait_state(self, mid, states, timeout=30):
        deadline = time.time() + timeout
        while time.time() < deadline:
            m = self.message(mid)
            if m["state"] in states:
                return m
            time.sleep(0.05)
        events = [l for l in self.log().splitlines() if "broadcast-" in l]
        raise AssertionError("message %d still %s after %d s; retries %r; log:\n%s"
                             % (mid, self.message(mid), timeout,
                                self.d.query("SELECT subscriber_id, attempts, not_before - strftime('%s','now') "
                                             "FROM retries WHERE message_id = ?", (mid,)),
                                "\n".join(events[-15:])))

    def wait_sends(self, mid, count, timeout=20):
        deadline = time.time() + timeout
        while time.time() < deadline:
            got = self.sent_of(mid)
            if len(got) >= count:
                return got
            time.sleep(0.05)
        raise AssertionError("message %d: %d sends seen, expected %d" % (mid, len(self.sent_of(mid)), count))

    def api(self, method, path):
        if not self.token:
            r = self.d.cli("token", "create", "test-broadcast")
            assert r.returncode == 0, r.stderr
            self.token = re.findall(r"(?m)^(bnd_[A-Za-z0-9_-]{43})$", r.stdout)[0]
        status, raw = http(method, self.d.base + path, b"", {"Authorization": "Bearer " + self.token})
        return status, json.loads(raw) if raw else None

    def log(self):
        return harness.read_log(self.d.server)

    def cleanup(self):
        self.d.cleanup()


def per_number(sends):
    counts = {}
    for m in sends:
        counts[m["to"]] = counts.get(m["to"], 0) + 1
    return counts


class Broadcasts(unittest.TestCase):
    """One channel at 50 messages/s (the simulator enforces 50/s too), 80 subscribers."""

    RATE = 50

    @classmethod
    def setUpClass(cls):
        cls.c = Channel(cls.RATE)
        cls.c.faults(statuses=True)
        cls.c.join(number(i) for i in range(1, 81))
        cls.c.d.wait_outbox_empty(timeout=30)  # the join confirmations

    @classmethod
    def tearDownClass(cls):
        cls.c.cleanup()

    def setUp(self):
        self.c.faults(error_500=0, error_429=0, timeout=0)

    def assert_everyone_once(self, mid, members):
        sends = self.c.sent_of(mid)
        counts = per_number(sends)
        self.assertEqual(set(counts), set(members))
        self.assertEqual(max(counts.values()), 1, "nobody gets it twice")
        return sends

    def test_a_everyone_once_as_template_within_the_rate(self):
        self.c.reset_stats()
        members = set(self.c.members)
        mid = self.c.publish("Domani dalle 8 alle 12\nmanca l'acqua in via Roma.")
        m = self.c.wait_state(mid, FINAL)
        self.assertEqual(m["state"], "sent")
        self.assertEqual(m["audience"], len(members))
        self.assertEqual(m["sent"], len(members))
        self.assertEqual(m["failed"], 0)
        sends = self.assert_everyone_once(mid, members)
        for s in sends:
            self.assertEqual(s["type"], "template")
            self.assertEqual(s["template"]["name"], "avviso_comune")
            self.assertEqual(s["template"]["language"], "it")
            self.assertEqual(s["template"]["params"], ["Domani dalle 8 alle 12 manca l'acqua in via Roma."])
        stats = self.c.stats()
        self.assertEqual(stats["violations_rate"], 0, stats)
        self.assertEqual(stats["rejected_429"], 0, stats)
        self.assertLessEqual(stats["max_rate_1s"], self.RATE)
        times = sorted(s["time_ms"] for s in sends)
        rate = (len(times) - 1) / ((times[-1] - times[0]) / 1000.0)
        self.assertLessEqual(rate, self.RATE * 1.01)
        # How close to the limit it runs is a speed, measured by bench/broadcast (paced
        # phase), not asserted here: a loaded machine only makes it slower.
        # Delivery statuses come back with m=<id> and are counted for the message.
        deadline = time.time() + 15
        while time.time() < deadline:
            m = self.c.message(mid)
            if m["delivered"] >= len(members) and m["read"] >= len(members):
                break
            time.sleep(0.1)
        self.assertEqual((m["delivered"], m["read"]), (len(members), len(members)))
        self.assertIn("window=1000", self.c.log())

    def test_b_joins_after_approval_and_leaves_before_their_turn(self):
        members = set(self.c.members)
        last = max(members)  # the highest subscriber id: its turn comes last
        mid = self.c.publish("Avviso: raccolta rifiuti spostata a giovedì.")
        newcomer = number(900)
        self.c.leave(last)
        self.c.join([newcomer])
        m = self.c.wait_state(mid, FINAL)
        self.assertEqual(m["state"], "sent")
        self.assertEqual(m["audience"], len(members), "the audience is fixed at approval")
        self.assert_everyone_once(mid, members - {last})
        got = set(per_number(self.c.sent_of(mid)))
        self.assertNotIn(newcomer, got, "joined after approval")
        self.assertNotIn(last, got, "left before their turn")
        self.assertEqual(m["sent"], len(members) - 1)

    def test_c_emergency_preempts_a_normal_broadcast(self):
        members = set(self.c.members)
        normal = self.c.publish("Festa del paese sabato in piazza.")
        self.c.wait_sends(normal, 10)
        emergency = self.c.publish("Allerta meteo rossa: restate in casa.", "--emergency")
        published_ms = time.time() * 1000
        self.c.wait_state(emergency, FINAL)
        self.c.wait_state(normal, FINAL)
        e_sends = self.assert_everyone_once(emergency, members)
        n_sends = self.assert_everyone_once(normal, members)
        e_first = min(s["time_ms"] for s in e_sends)
        e_last = max(s["time_ms"] for s in e_sends)
        n_last = max(s["time_ms"] for s in n_sends)
        started_in = e_first - published_ms
        sys.stderr.write("emergency started %.0f ms after publish\n" % started_in)
        self.assertLess(started_in, 500, "the emergency starts at once")
        self.assertLess(e_last, n_last, "the emergency finishes first")
        during = [s for s in n_sends if e_first < s["time_ms"] < e_last]
        self.assertLessEqual(len(during), 3, "only sends already in flight go on meanwhile")
        self.assertEqual(self.c.message(emergency)["priority"], 1)

    def test_d_cancel_stops_the_broadcast(self):
        members = set(self.c.members)
        mid = self.c.publish("Messaggio che verrà annullato.")
        self.c.wait_sends(mid, 10)
        status, data = self.c.api("POST", "/api/v1/messages/%d/cancel" % mid)
        self.assertEqual(status, 200, data)
        m = self.c.wait_state(mid, FINAL)
        self.assertEqual(m["state"], "cancelled")
        time.sleep(0.4)
        after = len(self.c.sent_of(mid))
        time.sleep(1.0)
        self.assertEqual(len(self.c.sent_of(mid)), after, "nothing more goes out")
        self.assertLess(after, len(members))
        self.assertEqual(self.c.d.query("SELECT count(*) FROM retries WHERE message_id = ?", (mid,))[0][0], 0)

    def test_e_expired_message_stops(self):
        # The provider refuses everything, so the sends wait for retries; the message
        # expires meanwhile: it ends EXPIRED and nothing of it goes out afterwards.
        self.c.faults(error_500=1.0)
        mid = self.c.publish("Avviso valido per pochi secondi.", "--expires", rfc3339(time.time() + 3))
        m = self.c.wait_state(mid, FINAL, timeout=15)
        self.assertEqual(m["state"], "expired")
        self.assertEqual(m["sent"], 0)
        self.assertEqual(self.c.d.query("SELECT count(*) FROM retries WHERE message_id = ?", (mid,))[0][0], 0)
        self.c.faults(error_500=0)
        time.sleep(1.0)
        self.assertEqual(self.c.sent_of(mid), [])

    def test_f_scheduled_message_waits_for_its_time(self):
        members = set(self.c.members)
        at = int(time.time()) + 3
        mid = self.c.publish("Avviso programmato.", "--at", rfc3339(at))
        self.assertEqual(self.c.message(mid)["state"], "scheduled")
        m = self.c.wait_state(mid, FINAL, timeout=20)
        self.assertEqual(m["state"], "sent")
        sends = self.assert_everyone_once(mid, members)
        self.assertGreaterEqual(min(s["time_ms"] for s in sends), at * 1000)


class Faults(unittest.TestCase):
    """A provider answering 10% 500s, 5% 429s and some time-outs."""

    def test_everyone_served_eventually_and_rate_never_exceeded(self):
        c = Channel(1000)
        try:
            members = ["39370001%04d" % i for i in range(200)]
            c.join(members)
            c.d.wait_outbox_empty(timeout=30)
            c.reset_stats()
            c.faults(error_500=0.10, error_429=0.05, timeout=0.02, timeout_hold_ms=1500)
            mid = c.publish("Avviso con un fornitore instabile.")
            # Usually done in seconds; a recipient unlucky five times in a row waits
            # 2+4+8+16+32 s (plus jitter) for its sixth attempt.
            m = c.wait_state(mid, FINAL, timeout=240)
            self.assertEqual(m["state"], "sent")
            self.assertEqual((m["sent"], m["failed"]), (len(members), 0))
            counts = per_number(c.sent_of(mid))
            self.assertEqual(set(counts), set(members))
            self.assertEqual(max(counts.values()), 1)
            stats = c.stats()
            self.assertGreater(stats["errors_injected"], 10, stats)
            self.assertEqual(stats["violations_rate"], 0, stats)
            self.assertIn("broadcast-walked", c.log())
            self.assertEqual(c.d.query("SELECT count(*) FROM retries")[0][0], 0)
        finally:
            c.cleanup()


class MessagingLimit(unittest.TestCase):
    """The number's messaging limit: the audience over it is said before sending, the
    broadcast pauses when the rolling day is full and goes on when it frees."""

    def test_pauses_at_the_limit_and_goes_on_when_the_window_frees(self):
        c = Channel(1000, extra=[("whatsapp", "messaging_limit", "250")])
        try:
            members = ["39370003%04d" % i for i in range(300)]
            c.join(members)
            c.d.wait_outbox_empty(timeout=30)
            r = c.d.cli("publish", "--category", "avvisi", "--text", "Avviso a tutti gli iscritti.")
            self.assertEqual(r.returncode, 0, r.stderr)
            self.assertIn("250", r.stdout + r.stderr, "the limit is said before sending")
            self.assertIn("50", r.stdout + r.stderr, "and how many wait for the next window")
            mid = int(re.search(r"(?m)^id\s+(\d+)$", r.stdout).group(1))
            deadline = time.time() + 30
            while "broadcast-paused" not in c.log() and time.time() < deadline:
                time.sleep(0.1)
            self.assertIn("reason=messaging-limit", c.log())
            # Sends in flight at the pause settle (their checkpoint may take a moment
            # on a loaded machine), then nothing more goes out.
            deadline = time.time() + 15
            while c.message(mid)["sent"] < 250 and time.time() < deadline:
                time.sleep(0.1)
            time.sleep(0.5)
            m = c.message(mid)
            self.assertEqual((m["state"], m["sent"]), ("sending", 250))
            self.assertEqual(len(c.sent_of(mid)), 250, "not one send over the limit")
            # A day later (the recipients' last sends aged by 24 h and a minute: a send
            # exactly 24 h old, in the same second, still counts), after a restart, the
            # rest goes out, and nobody twice.
            c.d.server.terminate()
            c.d.server.wait()
            c.d.procs.remove(c.d.server)
            con = sqlite3.connect(c.d.db, timeout=10)
            con.execute("UPDATE subscribers SET last_sent_at = last_sent_at - 86460 WHERE last_sent_at > 0")
            con.commit()
            con.close()
            Crash.restart(self, c)
            m = c.wait_state(mid, FINAL, timeout=30)
            self.assertEqual((m["state"], m["sent"]), ("sent", 300))
            counts = per_number(c.sent_of(mid))
            self.assertEqual(set(counts), set(members))
            self.assertEqual(max(counts.values()), 1)
        finally:
            c.cleanup()


class Crash(unittest.TestCase):
    """kill -9 in the middle of a broadcast, five times at random points, and restart."""

    def restart(self, c):
        d = c.d
        d.server = harness.start_process([BANDITORE, "serve", "--config", d.config, "--data-dir", d.data,
                                          "--listen", "127.0.0.1:%d" % d.port])
        d.procs.append(d.server)
        harness.wait_port("127.0.0.1", d.port, 20, process=d.server)

    def test_kill9_everyone_served_duplicates_within_window(self):
        c = Channel(300)
        try:
            members = ["39370002%04d" % i for i in range(800)]
            c.join(members)
            c.d.wait_outbox_empty(timeout=30)
            mid = c.publish("Avviso importante a tutti.")
            window = None
            seen = 0
            for kill in range(5):
                seen = len(c.wait_sends(mid, seen + random.randint(40, 120)))
                m = re.search(r"window=(\d+)", c.log())
                window = int(m.group(1)) if m else window
                c.d.server.kill()  # SIGKILL
                c.d.server.wait()
                c.d.procs.remove(c.d.server)
                self.restart(c)
            m = c.wait_state(mid, FINAL, timeout=60)
            self.assertEqual(m["state"], "sent")
            self.assertIsNotNone(window)
            counts = per_number(c.sent_of(mid))
            self.assertEqual(set(counts), set(members), "nobody lost")
            duplicates = sum(n - 1 for n in counts.values())
            sys.stderr.write("kill -9 x5: %d duplicates (window %d per crash)\n" % (duplicates, window))
            self.assertLessEqual(duplicates, 5 * window)
            self.assertLessEqual(max(counts.values()), 6)
            self.assertIn("broadcast-resumed", c.log())
        finally:
            c.cleanup()


if __name__ == "__main__":
    unittest.main(verbosity=2)
