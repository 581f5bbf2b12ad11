"""Integration test of the audit log (issue #5, item 4): what is recorded, `banditore
audit verify` on an intact log and on tampered copies, the JSON and CSV exports, and
that the audit never holds the subscriber's number.

The real daemon runs on loopback against the simulator (the Deployment of
test_whatsapp_inbound.py) with Concorezzo's policy, on a real SQLite file. Messages are
published through the CLI and the API (one with an overridden warning and its reason,
one emergency broadcast that reaches the subscriber), a token is revoked, and the
subscriber is erased on request. Then each kind of tampering is done on a fresh copy of
the data folder, as an attacker with the file would: drop the append-only triggers, and
change, insert or delete a row with the sqlite3 module.

Environment: BANDITORE (the banditore binary), BANDITORE_SIM (the simulator binary).
The number is fictitious (+39 333 000 7001).
"""
import csv
import io
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

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from test_whatsapp_inbound import BANDITORE, Deployment, http  # noqa: E402

NUMBER = "393330007001"          # as WhatsApp sends it
NUMBER_TYPED = "+39 333 000 7001"  # as the operator types it
REASON = "Iniziativa della Pro Loco patrocinata dal Comune."
AD_TEXT = "Al mercato sconto del 20% su tutte le pizze: offerta imperdibile!"
ENGLISH = {"LANG": "en_US.UTF-8", "LC_ALL": "", "LC_MESSAGES": "", "BANDITORE_LANG": ""}
ITALIAN = {"LANG": "it_IT.UTF-8", "LC_ALL": "", "LC_MESSAGES": "", "BANDITORE_LANG": ""}


class Audit(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.d = d = Deployment("concorezzo", policy=True).start()
        try:
            cls.run_scenario()
        except Exception:
            d.cleanup()
            raise
        d.stop()
        cls.tmp = tempfile.mkdtemp(prefix="banditore-audit-")

    @classmethod
    def tearDownClass(cls):
        cls.d.cleanup()
        shutil.rmtree(cls.tmp, ignore_errors=True)

    # -- the scenario: every kind of change the audit records today --
    @classmethod
    def run_scenario(cls):
        d = cls.d
        d.say(NUMBER, "ATTIVA ISCRIZIONE")
        d.wait_received(NUMBER, 1)
        cls.addr_hash = d.query("SELECT addr_hash FROM subscribers WHERE platform = 1")[0][0]
        r = d.cli("token", "create", "redazione")
        assert r.returncode == 0, r.stderr
        token = re.findall(r"(?m)^(bnd_[A-Za-z0-9_-]{43})$", r.stdout)[0]
        r = d.cli("token", "create", "temporaneo", "--scope", "messages:read")
        assert r.returncode == 0, r.stderr
        r = d.cli("token", "revoke", "temporaneo")
        assert r.returncode == 0, r.stderr
        # CLI: a draft with an overridden warning, and a message approved at once.
        r = d.cli("publish", "--category", "eventi", "--draft", "--text", AD_TEXT,
                  "--override", "content.advertising=" + REASON)
        assert r.returncode == 0, r.stdout + r.stderr
        cls.cli_draft = int(re.search(r"(?m)^id\s+(\d+)", r.stdout).group(1))
        r = d.cli("publish", "--category", "utilita", "--text", "Nuovi orari della biblioteca.")
        assert r.returncode == 0, r.stdout + r.stderr
        cls.cli_sent = int(re.search(r"(?m)^id\s+(\d+)", r.stdout).group(1))

        def call(method, path, body=None):
            h = {"Authorization": "Bearer " + token}
            data = None
            if body is not None:
                data = json.dumps(body).encode()
                h["Content-Type"] = "application/json"
            status, raw = http(method, d.base + path, data, h)
            return status, json.loads(raw) if raw else None

        # API: an emergency that goes out now, with an overridden warning; then one cancelled.
        status, data = call("POST", "/api/v1/messages", {
            "category": "emergenze", "priority": "emergency", "text": AD_TEXT,
            "overrides": [{"rule": "content.advertising", "reason": REASON}]})
        assert status == 201, data
        cls.api_sent = data["id"]
        status, data = call("POST", "/api/v1/messages/%d/send" % cls.api_sent)
        assert status == 202, data
        status, data = call("POST", "/api/v1/messages", {"category": "utilita", "text": "Prova."})
        assert status == 201, data
        cls.api_cancelled = data["id"]
        status, data = call("POST", "/api/v1/messages/%d/cancel" % cls.api_cancelled)
        assert status == 200, data
        # The broadcast reaches the subscriber and finishes.
        deadline = time.time() + 30
        while time.time() < deadline:
            if d.query("SELECT count(*) FROM audit_log WHERE action = 'message.finished'"
                       " AND object = ?", ("message:%d" % cls.api_sent,))[0][0]:
                break
            time.sleep(0.1)
        else:
            raise AssertionError("the broadcast did not finish")
        # An erasure on request, typed by the operator.
        r = d.cli("subscribers", "remove", NUMBER_TYPED)
        assert r.returncode == 0, r.stdout + r.stderr

    # -- helpers --
    def rows(self, db=None):
        con = sqlite3.connect("file:%s?mode=ro" % (db or self.d.db), uri=True)
        try:
            return con.execute("SELECT seq, at, actor, action, object, details, prev_hash, hash"
                               " FROM audit_log ORDER BY seq").fetchall()
        finally:
            con.close()

    def banditore(self, data, *args, env=None):
        full = dict(os.environ)
        full.update(env or ITALIAN)
        return subprocess.run([BANDITORE, *args, "--config", self.d.config, "--data-dir", data],
                              capture_output=True, text=True, timeout=60, env=full)

    def copy(self, name):
        """A fresh copy of the data folder (the daemon is stopped: the files are quiet)."""
        dst = os.path.join(self.tmp, name)
        shutil.copytree(self.d.data, dst)
        return dst

    def tamper(self, data, sql):
        con = sqlite3.connect(os.path.join(data, "banditore.db"))
        try:
            con.executescript("DROP TRIGGER audit_log_no_update; DROP TRIGGER audit_log_no_delete;"
                              + sql)
        finally:
            con.close()

    def seq_of(self, action, obj):
        found = [r[0] for r in self.rows() if r[3] == action and r[4] == obj]
        self.assertEqual(len(found), 1, (action, obj))
        return found[0]

    # -- what is recorded --
    def test_entries_recorded(self):
        rows = self.rows()
        self.assertEqual([r[0] for r in rows], list(range(1, len(rows) + 1)))
        got = [(r[2], r[3], r[4]) for r in rows]
        want = [
            ("cli", "token.create", "token:redazione"),
            ("cli", "token.create", "token:temporaneo"),
            ("cli", "token.revoke", "token:temporaneo"),
            ("cli", "message.create", "message:%d" % self.cli_draft),
            ("cli", "message.create", "message:%d" % self.cli_sent),
            ("cli", "message.approve", "message:%d" % self.cli_sent),
            ("token:redazione", "message.create", "message:%d" % self.api_sent),
            ("token:redazione", "message.approve", "message:%d" % self.api_sent),
            ("token:redazione", "message.create", "message:%d" % self.api_cancelled),
            ("token:redazione", "message.cancel", "message:%d" % self.api_cancelled),
            ("system", "message.send", "message:%d" % self.api_sent),
            ("system", "message.finished", "message:%d" % self.api_sent),
            ("cli", "subscriber.erase_on_request", "subscriber"),
        ]
        # Every expected entry, in this order among themselves (the broadcast's own entries
        # may interleave with the cancel).
        positions = [got.index(w) if w in got else -1 for w in want]
        self.assertNotIn(-1, positions, got)
        self.assertEqual(positions[:10], sorted(positions[:10]), got)
        self.assertLess(positions[10], positions[11])
        self.assertLess(positions[11], positions[12])
        details = {(r[3], r[4]): json.loads(r[5]) for r in rows}
        # Overrides with their reasons, in the create entries (CLI and API) and the approval.
        for key in (("message.create", "message:%d" % self.cli_draft),
                    ("message.create", "message:%d" % self.api_sent),
                    ("message.approve", "message:%d" % self.api_sent)):
            self.assertEqual(details[key]["overrides"],
                             [{"rule": "content.advertising", "reason": REASON}], key)
            self.assertEqual(len(details[key]["notes_sha256"]), 64)
        approve = details[("message.approve", "message:%d" % self.api_sent)]
        self.assertEqual(approve["priority"], "emergency")
        self.assertEqual(approve["audience"], 1)
        self.assertEqual(details[("message.cancel", "message:%d" % self.api_cancelled)]["was"], "draft")
        finished = details[("message.finished", "message:%d" % self.api_sent)]
        self.assertIn(finished["state"], ("sent", "partly_failed"))
        self.assertEqual(finished["sent"], 1)
        self.assertEqual(details[("subscriber.erase_on_request", "subscriber")],
                         {"erased": 1, "platform": "whatsapp"})
        self.assertEqual(details[("token.create", "token:temporaneo")], {"scopes": "messages:read"})

    def test_table_is_append_only(self):
        con = sqlite3.connect(self.d.db)
        try:
            with self.assertRaises(sqlite3.DatabaseError):
                con.execute("UPDATE audit_log SET actor = 'x' WHERE seq = 1")
            with self.assertRaises(sqlite3.DatabaseError):
                con.execute("DELETE FROM audit_log WHERE seq = 1")
        finally:
            con.rollback()
            con.close()

    def test_audit_never_holds_the_number(self):
        digits = NUMBER  # E.164 digits
        national = NUMBER[2:]
        forms = [digits, national, "+" + digits, NUMBER_TYPED, "333 000 7001"]
        for r in self.rows():
            text = "|".join(str(v) for v in r[:6])
            for form in forms:
                self.assertNotIn(form, text, r)
            # Not even the keyed hash that found the subscriber.
            for v in r:
                if isinstance(v, bytes):
                    self.assertNotEqual(v, self.addr_hash)
            self.assertNotIn(self.addr_hash.hex(), text)
        # Nor anywhere in the database's files (the subscriber was erased, too).
        for name in os.listdir(self.d.data):
            if name.startswith("banditore.db"):
                with open(os.path.join(self.d.data, name), "rb") as f:
                    raw = f.read()
                for form in forms:
                    self.assertNotIn(form.encode(), raw, name)
        # And the exports.
        for fmt in ("json", "csv"):
            r = self.banditore(self.d.data, "audit", "export", "--format", fmt)
            self.assertEqual(r.returncode, 0, r.stderr)
            for form in forms:
                self.assertNotIn(form, r.stdout)

    # -- verify --
    def test_verify_intact_italian_and_english(self):
        n = len(self.rows())
        r = self.banditore(self.d.data, "audit", "verify")
        self.assertEqual(r.returncode, 0, r.stdout + r.stderr)
        self.assertEqual(len(r.stdout.strip().splitlines()), 1, r.stdout)
        self.assertIn("Registro di audit integro: %d voci (n. 1-%d" % (n, n), r.stdout)
        self.assertIn(self.rows()[-1][7].hex(), r.stdout)
        r = self.banditore(self.d.data, "audit", "verify", env=ENGLISH)
        self.assertEqual(r.returncode, 0, r.stdout + r.stderr)
        self.assertIn("Audit log intact: %d entries" % n, r.stdout)

    def assert_broken(self, data, seq, italian, english):
        r = self.banditore(data, "audit", "verify")
        self.assertEqual(r.returncode, 1, r.stdout + r.stderr)
        self.assertIn("NON integro: voce n. %d: " % seq, r.stdout)
        self.assertIn(italian, r.stdout)
        r = self.banditore(data, "audit", "verify", env=ENGLISH)
        self.assertEqual(r.returncode, 1, r.stdout + r.stderr)
        self.assertIn("NOT intact: entry no. %d: " % seq, r.stdout)
        self.assertIn(english, r.stdout)

    def test_tamper_update_details(self):
        seq = self.seq_of("message.approve", "message:%d" % self.api_sent)
        data = self.copy("altered")
        self.tamper(data, "UPDATE audit_log SET details = '{\"overrides\":[]}' WHERE seq = %d;" % seq)
        self.assert_broken(data, seq, "alterata", "altered")

    def test_tamper_update_actor_with_recomputed_plain_hash(self):
        # Without the key file, an attacker can only recompute an unkeyed hash.
        seq = self.seq_of("token.revoke", "token:temporaneo")
        data = self.copy("rehashed")
        self.tamper(data, "UPDATE audit_log SET actor = 'system', hash = randomblob(32) WHERE seq = %d;"
                    % seq)
        r = self.banditore(data, "audit", "verify")
        self.assertEqual(r.returncode, 1, r.stdout)
        self.assertIn("voce n. %d: " % seq, r.stdout)

    def test_tamper_insert_row(self):
        # A made-up entry slipped in before the erasure, the later ones renumbered.
        seq = self.seq_of("subscriber.erase_on_request", "subscriber")
        data = self.copy("inserted")
        self.tamper(data,
                    "UPDATE audit_log SET seq = seq + 100000 WHERE seq >= %d;"
                    "UPDATE audit_log SET seq = seq - 99999 WHERE seq > 100000;"
                    "INSERT INTO audit_log SELECT %d, at, 'cli', 'token.create', 'token:ombra',"
                    " '{}', hash, randomblob(32) FROM audit_log WHERE seq = %d;"
                    % (seq, seq, seq - 1))
        self.assert_broken(data, seq, "inserita", "inserted")

    def test_tamper_insert_row_at_end(self):
        n = len(self.rows())
        data = self.copy("appended")
        self.tamper(data, "INSERT INTO audit_log SELECT seq + 1, at + 1, 'cli', 'token.revoke',"
                    " 'token:redazione', '{}', hash, randomblob(32) FROM audit_log WHERE seq = %d;"
                    % n)
        self.assert_broken(data, n + 1, "non autentica", "not authentic")

    def test_tamper_delete_row(self):
        seq = self.seq_of("message.cancel", "message:%d" % self.api_cancelled)
        data = self.copy("deleted")
        self.tamper(data, "DELETE FROM audit_log WHERE seq = %d;" % seq)
        self.assert_broken(data, seq, "cancellata", "deleted")

    def test_tamper_delete_first_row(self):
        data = self.copy("deleted-first")
        self.tamper(data, "DELETE FROM audit_log WHERE seq = 1;")
        self.assert_broken(data, 1, "cancellata", "deleted")

    def test_verify_needs_the_key(self):
        data = self.copy("other-key")
        os.unlink(os.path.join(data, "banditore.key"))
        r = self.banditore(data, "audit", "verify")
        self.assertNotEqual(r.returncode, 0)
        # Another comune's key does not verify this log.
        other = os.path.join(self.tmp, "other-init")
        r = self.banditore(other, "init")
        self.assertEqual(r.returncode, 0, r.stderr)
        shutil.copy(os.path.join(other, "banditore.key"), os.path.join(data, "banditore.key"))
        r = self.banditore(data, "audit", "verify")
        self.assertEqual(r.returncode, 1, r.stdout + r.stderr)
        self.assertIn("voce n. 1: ", r.stdout)

    # -- export --
    def test_export_json_and_csv(self):
        rows = self.rows()
        today = time.strftime("%Y-%m-%d", time.localtime(rows[0][1]))
        last = time.strftime("%Y-%m-%d", time.localtime(rows[-1][1]))
        out = os.path.join(self.tmp, "audit.json")
        r = self.banditore(self.d.data, "audit", "export", "--from", today, "--to", last,
                           "--format", "json", "--output", out)
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertEqual(os.stat(out).st_mode & 0o777, 0o600)
        with open(out, encoding="utf-8") as f:
            entries = json.load(f)
        self.assertEqual([e["seq"] for e in entries], [row[0] for row in rows])
        for e, row in zip(entries, rows):
            self.assertEqual((e["at"], e["actor"], e["action"], e["object"]), row[1:5])
            self.assertEqual(e["details"], json.loads(row[5]))
            self.assertEqual(e["prev_hash"], row[6].hex())
            self.assertEqual(e["hash"], row[7].hex())
            self.assertRegex(e["time"], r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}Z$")
        approve = [e for e in entries if e["action"] == "message.approve"
                   and e["object"] == "message:%d" % self.api_sent][0]
        self.assertEqual(approve["details"]["overrides"][0]["reason"], REASON)

        r = self.banditore(self.d.data, "audit", "export", "--from", today, "--format", "csv")
        self.assertEqual(r.returncode, 0, r.stderr)
        table = list(csv.reader(io.StringIO(r.stdout, newline="")))
        self.assertEqual(table[0], ["seq", "at", "time", "actor", "action", "object", "details",
                                    "prev_hash", "hash"])
        self.assertEqual(len(table) - 1, len(rows))
        for line, row in zip(table[1:], rows):
            self.assertEqual(int(line[0]), row[0])
            self.assertEqual(line[3:6], list(row[2:5]))
            self.assertEqual(json.loads(line[6]), json.loads(row[5]))
            self.assertEqual(line[8], row[7].hex())

        # A period with nothing in it, and a wrong date.
        r = self.banditore(self.d.data, "audit", "export", "--from", "2000-01-01", "--to", "2000-01-02")
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertEqual(json.loads(r.stdout), [])
        r = self.banditore(self.d.data, "audit", "export", "--from", "2026-02-30x")
        self.assertEqual(r.returncode, 2)
        self.assertIn("AAAA-MM-GG", r.stderr)


if __name__ == "__main__":
    unittest.main(verbosity=2)
