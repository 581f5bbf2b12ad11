"""Posting tasks of a WhatsApp Channel kept by hand (issue 7, point 5; Siracusa art. 5).

The real daemon runs Siracusa's configuration ([whatsapp] channel_mode = manual). A
proponente proposes, a gestore approves: a posting task appears with the text ready to
copy (title in bold, text, link) and the archive's link; nothing is a task before
approval, nor after a cancellation. "Pubblicato" records who and when (the task, the
audit entry channel.posted, the public archive's page); a second press is 409, an unknown
message 404, a proponente 403 and nothing changes. A configuration that asks for manual
posting without a channel_url is refused.

Environment: BANDITORE, BANDITORE_SIM.
"""
import os
import subprocess
import sys
import time
import unittest
import urllib.request

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from test_permissions import Client, PASSWORD  # noqa: E402
from test_whatsapp_inbound import BANDITORE, Deployment  # noqa: E402


class ChannelPosts(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.d = Deployment(example="siracusa").start()
        for name, role in (("stampa", "gestore"), ("ufficio", "proponente")):
            r = subprocess.run([BANDITORE, "staff", "create", name, "--role", role,
                                "--config", cls.d.config, "--data-dir", cls.d.data],
                               input=PASSWORD + "\n", capture_output=True, text=True, timeout=60)
            assert r.returncode == 0, r.stderr
        cls.g = Client(cls.d.base, "192.0.2.60")
        assert cls.g.login("stampa")[0] == 201
        cls.p = Client(cls.d.base, "192.0.2.61")
        assert cls.p.login("ufficio")[0] == 201

    @classmethod
    def tearDownClass(cls):
        cls.d.cleanup()

    def proposed(self, title, text, **extra):
        body = {"title": title, "text": text, "category": "eventi"}
        body.update(extra)
        status, data, _ = self.p.request("POST", "/api/v1/messages", body)
        self.assertEqual(status, 201, data)
        mid = data["id"]
        status, data, _ = self.p.request("POST", "/api/v1/messages/%d/propose" % mid)
        self.assertEqual(status, 200, data)
        return mid

    def waiting(self):
        status, data, _ = self.g.request("GET", "/api/v1/channel/posts")
        self.assertEqual(status, 200, data)
        self.assertEqual(data["mode"], "manual")
        return {t["message_id"]: t for t in data["waiting"]}, data

    def test_approval_makes_a_task_posted_records_who_and_when(self):
        mid = self.proposed("Notte bianca in Ortigia", "Sabato musei aperti fino alle 2.",
                            link="https://www.comune.siracusa.example/notte-bianca")
        self.assertNotIn(mid, self.waiting()[0])  # proposed, not approved: no task
        status, data, _ = self.g.request("POST", "/api/v1/messages/%d/approve" % mid)
        self.assertEqual(status, 202, data)
        # the broadcast (to nobody here) finishes and records it: then nothing else moves
        deadline = time.time() + 15
        while self.d.query("SELECT state FROM messages WHERE id = ?", (mid,))[0][0] not in (4, 5):
            self.assertLess(time.time(), deadline, "the broadcast did not finish")
            time.sleep(0.1)
        tasks, data = self.waiting()
        self.assertTrue(data["channel_url"].startswith("https://whatsapp.com/channel/"))
        t = tasks[mid]
        self.assertEqual(t["copy_text"], "*Notte bianca in Ortigia*\n\nSabato musei aperti fino alle 2.\n\n"
                                         "https://www.comune.siracusa.example/notte-bianca")
        self.assertTrue(t["permalink"].endswith("/archivio/%d" % mid))
        self.assertIsNone(t["posted_at"])
        # refusals change nothing
        head = self.d.query("SELECT max(seq) FROM audit_log")[0][0]
        for method, path in (("GET", "/api/v1/channel/posts"),
                             ("POST", "/api/v1/channel/posts/%d/posted" % mid)):
            status, data, _ = self.p.request(method, path)
            self.assertEqual((status, data["error"]), (403, "forbidden"), path)
        status, data, _ = self.g.request("POST", "/api/v1/channel/posts/999999/posted")
        self.assertEqual(status, 404)
        status, data, _ = self.g.request("POST", "/api/v1/channel/posts/%d/posted" % mid, csrf=False)
        self.assertEqual(status, 403)
        self.assertEqual(self.d.query("SELECT posted_at FROM channel_posts WHERE message_id = ?", (mid,)), [(0,)])
        self.assertEqual(self.d.query("SELECT max(seq) FROM audit_log")[0][0], head)
        # posted
        before = int(time.time())
        status, data, _ = self.g.request("POST", "/api/v1/channel/posts/%d/posted" % mid)
        self.assertEqual(status, 200, data)
        self.assertEqual(data["posted_by"], "staff:stampa")
        (posted_at, by), = self.d.query("SELECT posted_at, posted_by FROM channel_posts WHERE message_id = ?", (mid,))
        self.assertGreaterEqual(posted_at, before)
        self.assertEqual(by, "staff:stampa")
        self.assertEqual(self.d.query("SELECT actor, action, object FROM audit_log WHERE seq > ?", (head,)),
                         [("staff:stampa", "channel.posted", "message:%d" % mid)])
        tasks, data = self.waiting()
        self.assertNotIn(mid, tasks)
        self.assertEqual([(x["message_id"], x["posted_by"]) for x in data["posted"]][0], (mid, "staff:stampa"))
        status, data, _ = self.g.request("POST", "/api/v1/channel/posts/%d/posted" % mid)
        self.assertEqual((status, data["error"]), (409, "state"))
        # the public archive says it was posted on the Channel
        with urllib.request.urlopen(self.d.base + "/archivio/%d" % mid, timeout=10) as r:
            page = r.read().decode()
        self.assertIn("Pubblicato sul canale WhatsApp il", page)
        r = self.d.cli("audit", "verify")
        self.assertEqual(r.returncode, 0, r.stdout + r.stderr)

    def test_cancelled_message_is_not_a_task(self):
        mid = self.proposed("Concerto rinviato", "Il concerto di domenica è rinviato.",
                            scheduled_at=time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(time.time() + 86400)))
        status, data, _ = self.g.request("POST", "/api/v1/messages/%d/approve" % mid)
        self.assertEqual(status, 202, data)
        self.assertIn(mid, self.waiting()[0])
        self.assertIsNotNone(self.waiting()[0][mid]["scheduled_at"])
        status, data, _ = self.g.request("POST", "/api/v1/messages/%d/cancel" % mid)
        self.assertEqual(status, 200, data)
        self.assertNotIn(mid, self.waiting()[0])

    def test_manual_needs_a_channel_url(self):
        path = os.path.join(self.d.dir, "senza-canale.ini")
        with open(self.d.config, encoding="utf-8") as f:
            text = f.read()
        with open(path, "w", encoding="utf-8") as f:
            f.write("\n".join(l for l in text.splitlines() if not l.startswith("channel_url")) + "\n")
        r = subprocess.run([BANDITORE, "config", "check", path], capture_output=True, text=True, timeout=60)
        self.assertNotEqual(r.returncode, 0)
        self.assertIn("channel_mode = manual richiede channel_url", r.stdout + r.stderr)


if __name__ == "__main__":
    unittest.main(verbosity=2)
