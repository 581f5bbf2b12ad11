"""pubsite.py - one example comune's daemon with an archive to show, for the public-face tests.

Python 3 standard library only. Site(example) copies examples/comuni/EXAMPLE.ini into a
temporary folder (secrets file, loopback WhatsApp API that is never called), runs
`banditore init`, writes a known archive straight into the database (sent, partly
failed, emergency, expired, cancelled, draft and scheduled messages: the last ones must
never be shown) and starts `banditore serve` on a free port.
"""
import os
import re
import shutil
import sqlite3
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
sys.path.insert(0, os.path.join(ROOT, "tests", "integration"))
import harness  # noqa: E402

BANDITORE = os.environ.get("BANDITORE", os.path.join(ROOT, "build", "src", "cli", "banditore"))
COMUNI = ["concorezzo", "leini", "seveso", "siracusa", "sesto-calende"]
SECRET_TITLE = "BOZZA RISERVATA da non pubblicare"
HOSTILE = "<script>alert('x')</script> & \"virgolette\""

COLS = ("title, text, category, link, media_sha256, media_type, media_name, media_size, media_id,"
        " priority, state, scheduled_at, expires_at, created_at, approved_at, started_at,"
        " finished_at, created_by")


class Site:
    def __init__(self, example, smtp_url=None, extra="", platforms=None, name=None, smtp_from=None):
        """`smtp_url`: the SMTP server for e-mail sign-ups (tls none), which may insist on
        the sender `smtp_from`; `extra`: text appended
        to the configuration (a section that is not in the example, or a test variant);
        `platforms`: replaces the example's [channel] platforms; `name`: the variant's name
        in reports (default: the example's)."""
        self.example = name or example
        self.dir = tempfile.mkdtemp(prefix="banditore-pub-")
        self.port = harness.free_port()
        self.config = os.path.join(self.dir, "comune.ini")
        with open(os.path.join(ROOT, "examples", "comuni", example + ".ini"), encoding="utf-8") as f:
            text = f.read()
        if platforms:
            text = re.sub(r"(?m)^platforms\s*=.*$", "platforms = " + platforms, text)
        text = re.sub(r"(?m)^\s*api_base\s*=.*\n", "", text)
        text = re.sub(r"(?m)^\[whatsapp\]\s*$", "[whatsapp]\napi_base = http://127.0.0.1:9", text)
        # The other platforms' peers are never called either (the SMS gateway's url may be
        # plain http on loopback); e-mail goes to the test's SMTP server when given.
        text = re.sub(r"(?m)^\[telegram\]\s*$", "[telegram]\napi_base = http://127.0.0.1:9", text)
        text = re.sub(r"(?m)^(\[sms\]\s*\n(?:.*\n)*?)url\s*=.*\n", r"\1url = http://127.0.0.1:9/sms\n", text)
        if smtp_url:
            text = re.sub(r"(?m)^\s*(smtp_url|tls|user)\s*=.*\n", "", text)
            text = re.sub(r"(?m)^\[email\]\s*$", "[email]\nsmtp_url = %s\ntls = none" % smtp_url, text)
            if smtp_from:
                text = re.sub(r"(?m)^from_address\s*=.*$", "from_address = " + smtp_from, text)
        text += "\n" + extra
        with open(self.config, "w", encoding="utf-8") as f:
            f.write(text)
        m = re.search(r"(?m)^from_address\s*=\s*(\S+)", text)
        self.email_from = m.group(1) if m else ""
        with open(os.path.join(self.dir, "secrets.ini"), "w", encoding="utf-8") as f:
            f.write("[whatsapp]\napp_secret = s\naccess_token = t\nverify_token = v\n"
                    "[telegram]\nbot_token = 123456:FAKE\nwebhook_secret = w\n"
                    "[sms]\nauth_secret = a\nwebhook_secret = w\n")
        os.chmod(os.path.join(self.dir, "secrets.ini"), 0o600)
        self.data = os.path.join(self.dir, "data")
        self.db = os.path.join(self.data, "banditore.db")
        self.base = "http://127.0.0.1:%d" % self.port
        self.text = text
        self.categories = re.findall(r"(?m)^\[category ([a-z0-9-]+)\]", text)
        self.emergency = []
        for c in self.categories:
            body = text.split("[category %s]" % c, 1)[1].split("\n[", 1)[0]
            if re.search(r"(?m)^emergency\s*=\s*yes", body):
                self.emergency.append(c)
        m = re.search(r"(?m)^display_number\s*=\s*(.+)$", text)
        self.number = re.sub(r"\D", "", m.group(1)) if m else ""
        m = re.search(r"(?m)^channel_url\s*=\s*(\S+)", text)
        self.channel_url = m.group(1) if m else ""
        # The join links each configured platform must show (issue 6).
        platforms = re.search(r"(?m)^platforms\s*=\s*(.+)$", text)
        self.platforms = [p.strip() for p in platforms.group(1).split(",")] if platforms else ["whatsapp"]
        self.telegram_link = ""
        if "telegram" in self.platforms:
            mode = re.search(r"(?m)^mode\s*=\s*(bot|channel)\s*$", text)
            if mode and mode.group(1) == "channel":
                m = re.search(r"(?m)^channel_id\s*=\s*@(\S+)", text)
                self.telegram_link = "https://t.me/%s" % m.group(1) if m else ""
            else:
                m = re.search(r"(?m)^bot_username\s*=\s*@?(\S+)", text)
                self.telegram_link = "https://t.me/%s?start=iscrizione" % m.group(1)
        m = re.search(r"(?m)^sender\s*=\s*(\+[0-9 ]+?)\s*$", text)
        self.sms_number = m.group(1) if m and "sms" in self.platforms else ""
        self.server = None
        self.ids = {}

    def start(self, seed=True):
        import subprocess
        r = subprocess.run([BANDITORE, "init", "--config", self.config, "--data-dir", self.data],
                           capture_output=True, text=True, timeout=60)
        assert r.returncode == 0, r.stderr
        if seed:
            self.seed()
        self.server = harness.start_process([BANDITORE, "serve", "--config", self.config,
                                             "--data-dir", self.data,
                                             "--listen", "127.0.0.1:%d" % self.port])
        harness.wait_port("127.0.0.1", self.port, 20, self.server)
        return self

    def add(self, db, name, title, text, category, priority=0, state=4, started=None,
            expires=0, finished=None, link="", scheduled=0):
        now = int(time.time())
        started = now - 3600 if started is None else started
        finished = (started + 60 if started else 0) if finished is None else finished
        cur = db.execute("INSERT INTO messages (" + COLS + ") VALUES"
                         " (?, ?, ?, ?, '', '', '', 0, '', ?, ?, ?, ?, ?, ?, ?, ?, 'test')",
                         (title, text, category, link, priority, state, scheduled, expires,
                          (started or now) - 60,
                          started - 30 if started else 0, started, finished))
        self.ids[name] = cur.lastrowid

    def seed(self):
        now = int(time.time())
        cat = next((c for c in self.categories if c not in self.emergency), "")
        emer = self.emergency[0] if self.emergency else cat
        db = sqlite3.connect(self.db)
        for i in range(25):
            self.add(db, "old%d" % i, "Avviso numero %d" % i, "Testo dell'avviso ordinario %d." % i,
                     cat, started=now - 86400 * (30 - i))
        self.add(db, "normal", "Chiusura di via Roma per lavori",
                 "Da lunedì via Roma è chiusa al traffico per lavori alla rete idrica.\n"
                 "Deviazioni segnalate sul posto. " + HOSTILE, cat, started=now - 7200,
                 link="https://www.example.org/avviso?a=1&b=2")
        self.add(db, "partly", "Raccolta differenziata: nuovo calendario",
                 "Il calendario della raccolta cambia da marzo.", cat, state=5, started=now - 5400)
        self.add(db, "alert", "Allerta meteo arancione",
                 "Allerta per temporali forti fino a domani sera: evitate i sottopassi.", emer,
                 priority=1, started=now - 3000, expires=now + 86400)
        self.add(db, "expired", "Allerta neve conclusa", "Neve attesa nella notte.", emer,
                 priority=1, started=now - 200000, expires=now - 100000)
        # an update of the alert: CAP msgType Update, "sostituito da" in the archive
        self.add(db, "update", "Allerta meteo arancione prorogata",
                 "L'allerta per temporali forti è prorogata fino a dopodomani.", emer,
                 priority=1, started=now - 1000, expires=now + 2 * 86400)
        db.execute("UPDATE messages SET replaces = ? WHERE id = ?", (self.ids["alert"], self.ids["update"]))
        # the all-clear, not an emergency, updates the update: in the CAP feed as an Update
        self.add(db, "allclear", "Allerta meteo terminata",
                 "L'allerta per temporali è terminata: i sottopassi sono di nuovo aperti.", emer,
                 started=now - 500)
        db.execute("UPDATE messages SET replaces = ? WHERE id = ?", (self.ids["update"], self.ids["allclear"]))
        self.add(db, "cancelled", "Evacuazione scuola (annullata)",
                 "Evacuazione preventiva della scuola primaria.", emer, priority=1, state=6,
                 started=now - 2500, finished=now - 2400)
        self.add(db, "draft", SECRET_TITLE, "Bozza interna.", cat, state=0, started=0)
        # scheduled a month ahead: the daemon's sender leaves it alone meanwhile
        self.add(db, "scheduled", SECRET_TITLE + " (programmato)", "Programmato.", cat, state=2,
                 started=0, scheduled=now + 30 * 86400)
        self.add(db, "unsent_cancel", SECRET_TITLE + " (annullato)", "Mai partito.", cat,
                 state=6, started=0, finished=now - 10)
        # Written straight into the tables: index them for search as the store does.
        db.execute("INSERT INTO messages_fts (rowid, title, text) SELECT id, title, text FROM messages")
        db.commit()
        db.close()

    def stop(self):
        problems = []
        if self.server is not None:
            early = self.server.poll()
            status = harness.stop_process(self.server, keep_log=True)
            log = harness.read_log(self.server)
            if early is not None or status != 0:
                problems.append("banditore serve exited with %s:\n%s" % (status, log[-3000:]))
            for marker in ("AddressSanitizer", "LeakSanitizer", "runtime error:"):
                if marker in log:
                    problems.append("%s report:\n%s" % (marker, log[-3000:]))
            try:
                os.unlink(self.server.log_path)
            except (AttributeError, FileNotFoundError):
                pass
            self.server = None
        shutil.rmtree(self.dir, ignore_errors=True)
        assert not problems, "\n".join(problems)
