"""Integration tests of attachments (issue #3 item 5, issue #4 item 6): a file given to
`banditore publish --attachment` or uploaded with POST /api/v1/media goes out to every
subscriber as the channel's template with a header naming the media id, uploaded once
for the whole broadcast and reused after a restart (kill -9); a program is refused and
leaves nothing behind (no file under DATA/media, no message row).

The real daemon against banditore-sim (the Channel of test_broadcast.py); the simulator
refuses a template whose header names a media id it never gave. Numbers are fictitious
(+39 370 003 xxxx).

Environment: BANDITORE (the banditore binary), BANDITORE_SIM (the simulator binary).
"""
import hashlib
import json
import os
import re
import socket
import struct
import sys
import unittest
import zlib

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import harness  # noqa: E402
from test_broadcast import FINAL, Channel  # noqa: E402
from test_whatsapp_inbound import http  # noqa: E402


def png(seed):
    """A valid 1x1 PNG whose pixel depends on `seed` (so each test has its own file)."""
    def chunk(kind, data):
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))
    raw = zlib.compress(bytes([0, seed & 0xFF]))
    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", 1, 1, 8, 0, 0, 0, 0))
            + chunk(b"IDAT", raw) + chunk(b"IEND", b""))


class Attachments(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.c = Channel(100)
        cls.members = ["39370003%04d" % i for i in range(30)]
        cls.c.join(cls.members)
        cls.c.d.wait_outbox_empty(timeout=30)

    @classmethod
    def tearDownClass(cls):
        cls.c.cleanup()

    def file(self, name, data):
        path = os.path.join(self.c.d.dir, name)
        with open(path, "wb") as f:
            f.write(data)
        return path

    def media_files(self):
        folder = os.path.join(self.c.d.data, "media")
        return sorted(os.listdir(folder)) if os.path.isdir(folder) else []

    def header_ids(self, mid):
        sends = self.c.sent_of(mid)
        # everyone; after a kill -9 some may get it twice (the reported window)
        self.assertEqual({s["to"] for s in sends}, set(self.members))
        return {s["template"]["params"][0] for s in sends}

    def test_a_publish_attachment_one_upload_for_everyone(self):
        self.c.reset_stats()
        path = self.file("mappa-lavori.png", png(1))
        mid = self.c.publish("Lavori in via Roma: la mappa delle deviazioni.", "--attachment", path)
        m = self.c.wait_state(mid, FINAL)
        self.assertEqual(m["state"], "sent")
        ids = self.header_ids(mid)
        self.assertEqual(len(ids), 1, "one media id for the whole broadcast")
        row = self.c.d.query("SELECT media_id, media_type, media_name, media_sha256 FROM messages WHERE id = ?", (mid,))[0]
        self.assertEqual(row[0], ids.pop())
        self.assertEqual(row[1:3], ("image/png", "mappa-lavori.png"))
        self.assertIn(row[3], self.media_files())
        st = os.stat(os.path.join(self.c.d.data, "media", row[3]))
        self.assertEqual(st.st_mode & 0o777, 0o600)
        self.assertEqual(self.c.stats()["media_uploaded"], 1)

    def test_b_refused_program_leaves_nothing(self):
        before_files = self.media_files()
        before_rows = self.c.d.query("SELECT count(*) FROM messages")[0][0]
        path = self.file("foto.jpg", b"\x7fELF\x02\x01\x01" + bytes(57))  # the name lies
        r = self.c.d.cli("publish", "--category", "avvisi", "--text", "Foto dell'evento", "--attachment", path)
        self.assertEqual(r.returncode, 1, r.stdout + r.stderr)
        self.assertIn("attachment.executable", r.stdout + r.stderr)
        self.assertEqual(self.media_files(), before_files)
        self.assertEqual(self.c.d.query("SELECT count(*) FROM messages")[0][0], before_rows)

    def test_c_restart_reuses_the_media_id(self):
        self.c.faults(rate=5)  # slow enough to stop it half way
        self.c.reset_stats()
        path = self.file("avviso.png", png(2))
        mid = self.c.publish("Avviso con immagine, ripreso dopo un riavvio.", "--attachment", path)
        self.c.wait_sends(mid, 5)
        d = self.c.d
        d.server.kill()  # SIGKILL
        d.server.wait()
        d.procs.remove(d.server)
        self.c.faults(rate=100)
        d.server = harness.start_process([os.environ["BANDITORE"], "serve", "--config", d.config, "--data-dir", d.data,
                                          "--listen", "127.0.0.1:%d" % d.port])
        d.procs.append(d.server)
        harness.wait_port("127.0.0.1", d.port, 20, process=d.server)
        m = self.c.wait_state(mid, FINAL, timeout=60)
        self.assertEqual(m["state"], "sent")
        self.assertEqual(len(self.header_ids(mid)), 1)
        self.assertEqual(self.c.stats()["media_uploaded"], 1, "no second upload after the restart")
        self.assertIn("media=reused", self.c.log())

    # -- POST /api/v1/media --
    def token(self, name, *args):
        r = self.c.d.cli("token", "create", name, *args)
        self.assertEqual(r.returncode, 0, r.stderr)
        return re.findall(r"(?m)^(bnd_[A-Za-z0-9_-]{43})$", r.stdout)[0]

    def upload(self, data, name=None, token=None):
        url = self.c.d.base + "/api/v1/media" + ("?name=" + name if name else "")
        headers = {"Content-Type": "application/octet-stream"}
        if token:
            headers["Authorization"] = "Bearer " + token
        status, raw = http("POST", url, data, headers, timeout=30)
        return status, json.loads(raw) if raw else None

    def call(self, method, path, body, token):
        status, raw = http(method, self.c.d.base + path, json.dumps(body).encode() if body is not None else b"",
                           {"Authorization": "Bearer " + token, "Content-Type": "application/json"})
        return status, json.loads(raw) if raw else None

    def media_dir_names(self):
        """Every name in DATA/media, stored files and anything else (there should be nothing else)."""
        folder = os.path.join(self.c.d.data, "media")
        return sorted(os.listdir(folder)) if os.path.isdir(folder) else []

    def test_d_api_upload_then_broadcast(self):
        writer = self.token("portale-allegati")
        data = png(3)
        status, body = self.upload(data, "mappa-chiusure.png", writer)
        self.assertEqual(status, 201, body)
        self.assertEqual(body["sha256"], hashlib.sha256(data).hexdigest())
        self.assertEqual((body["name"], body["type"], body["kind"], body["size"]),
                         ("mappa-chiusure.png", "image/png", "image", len(data)))
        self.assertFalse(body["gps_removed"])
        path = os.path.join(self.c.d.data, "media", body["sha256"])
        with open(path, "rb") as f:
            self.assertEqual(f.read(), data)
        self.assertEqual(os.stat(path).st_mode & 0o777, 0o600)
        # The same bytes again: the same answer, stored once.
        self.assertEqual(self.upload(data, "mappa-chiusure.png", writer), (201, body))
        self.assertEqual(self.media_dir_names().count(body["sha256"]), 1)

        self.c.reset_stats()
        status, m = self.call("POST", "/api/v1/messages", {
            "text": "Chiusure per il mercato: la mappa.", "category": "avvisi",
            "attachment": {"sha256": body["sha256"], "name": "mappa-chiusure.png"}}, writer)
        self.assertEqual(status, 201, m)
        status, sent = self.call("POST", "/api/v1/messages/%d/send" % m["id"], None, writer)
        self.assertIn(status, (200, 202), sent)
        done = self.c.wait_state(m["id"], FINAL)
        self.assertEqual(done["state"], "sent")
        self.assertEqual(len(self.header_ids(m["id"])), 1, "one media id for the whole broadcast")
        row = self.c.d.query("SELECT media_sha256, media_type FROM messages WHERE id = ?", (m["id"],))[0]
        self.assertEqual(row, (body["sha256"], "image/png"))

    def test_e_api_upload_refusals_leave_nothing(self):
        writer = self.token("portale-rifiuti")
        reader = self.token("sola-lettura-allegati", "--scope", "messages:read")
        before = self.media_dir_names()
        data = png(4)
        # No token, an unknown token, a token without messages:write.
        self.assertEqual(self.upload(data, "a.png")[0], 401)
        self.assertEqual(self.upload(data, "a.png", "bnd_" + "x" * 43)[0], 401)
        status, body = self.upload(data, "a.png", reader)
        self.assertEqual(status, 403, body)
        # A program whose name says it is a photo: the comune's policy's verdict.
        status, body = self.upload(b"\x7fELF\x02\x01\x01" + bytes(57), "foto.jpg", writer)
        self.assertEqual(status, 422, body)
        self.assertIn("attachment.executable", json.dumps(body))
        self.assertIn("message", body)
        # A name that is not UTF-8: its bad bytes dropped, the answer as usual.
        status, body = self.upload(png(5), "%FF%FEmappa.png", writer)
        self.assertEqual(status, 201, body)
        self.assertEqual(body["name"], "mappa.png")
        before = self.media_dir_names()
        # Nothing at all.
        status, body = self.upload(b"", "vuoto.pdf", writer)
        self.assertEqual(status, 400, body)
        self.assertEqual(body["error"], "empty")
        # Over 100 MiB announced: refused on the headers, before a byte of the body.
        with socket.create_connection(("127.0.0.1", self.c.d.port), timeout=10) as s:
            s.sendall(("POST /api/v1/media HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer %s\r\n"
                       "Content-Length: %d\r\n\r\n" % (writer, 100 * 1024 * 1024 + 1)).encode())
            answer = s.recv(4096).decode("latin-1")
        self.assertRegex(answer, r"^HTTP/1\.1 413 ")
        # Each refusal left nothing in the media folder (the upload file has no name).
        self.assertEqual(self.media_dir_names(), before)

    def test_f_api_upload_larger_than_a_request(self):
        """A document over the 1 MiB that other requests may carry, streamed in."""
        writer = self.token("portale-documenti")
        data = b"".join(("Riga %06d dell'ordinanza di prova del comune.\n" % i).encode() for i in range(60000))
        self.assertGreater(len(data), 2 * 1024 * 1024)
        status, body = self.upload(data, "ordinanza.txt", writer)
        self.assertEqual(status, 201, body)
        self.assertEqual((body["kind"], body["size"]), ("document", len(data)))
        self.assertEqual(body["sha256"], hashlib.sha256(data).hexdigest())


if __name__ == "__main__":
    unittest.main()
