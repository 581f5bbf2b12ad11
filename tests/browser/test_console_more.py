"""test_console_more.py - the console's later pages in Debian's chromium (issue 5 items 5
and 6, issue 7 point 5).

Runs the simulator and the daemon with Seveso's example (private messages kept until
answered) and a WhatsApp Channel posted by hand ([whatsapp] channel_mode = manual), makes
the accounts, lets one fictitious phone write a private message and another subscribe,
has a proponente propose a message, and runs check_console_more.mjs: reply-and-delete in
"Messaggi ricevuti", warning and expulsion with their confirmations, the Channel's posting
task marked "Pubblicato", the second factor set up and used to log in; axe-core on every
page, screenshots into tests/artifacts/console/. Then checks the database: no kept
message left and neither text in the database or its WAL, the audit records each action
without the numbers and verifies; and the QR code's screenshot, read by zbarimg, is the
otpauth:// address of the key the page showed.

Exit 77 (skipped) when chromium or the npm packages are missing.
Environment: BANDITORE, BANDITORE_SIM.
"""
import json
import os
import shutil
import subprocess
import tempfile
import time
import unittest
import urllib.parse

import console_harness as ch
from test_permissions import Client  # noqa: E402  (console_harness put it on the path)

ROOT = ch.ROOT
ARTIFACTS = os.path.join(ROOT, "tests", "artifacts", "console")
PASSWORD = "console-di-prova-2"
WRITER, MISUSER = "393330000201", "393330000202"
KEPT_TEXT = "Buongiorno, il lampione di via Monza 7 è spento da tre giorni."
TITLE = "Festa della Repubblica in piazza"
ACCOUNTS = {"gestore": "giulia.gestore", "delegato": "dario.delegato", "proponente": "anna.proponente"}
CHANNEL = "https://whatsapp.com/channel/0029VaEXAMPLE0000000000000"


class ConsoleMore(unittest.TestCase):
    def test_inbox_misuse_channel_totp(self):
        ch.require_npm()
        d = ch.deployment("seveso", extra=[("channel", "platforms", "whatsapp"),
                                           ("whatsapp", "channel_url", CHANNEL),
                                           ("whatsapp", "channel_mode", "manual")])
        tmp = tempfile.mkdtemp(prefix="banditore-console-more-")
        try:
            d.start()
            ch.create_staff(self, d, [(name, role) for role, name in ACCOUNTS.items()], PASSWORD,
                            decree=["--decree", "9/2026", "--from", "2026-01-01", "--to", "2030-12-31"])
            for phone in (WRITER, MISUSER):
                d.say(phone, "ATTIVA ISCRIZIONE")
                d.wait_received(phone, 1)
            d.say(WRITER, KEPT_TEXT)
            d.wait_received(WRITER, 2)  # the acknowledgement: the message is kept
            self.assertEqual(d.query("SELECT count(*) FROM kept_messages")[0][0], 1)
            p = Client(d.base, "192.0.2.70")
            self.assertEqual(p.login(ACCOUNTS["proponente"], PASSWORD)[0], 201)
            status, data, _ = p.request("POST", "/api/v1/messages", {
                "title": TITLE, "text": "Il 2 giugno alle 10 alzabandiera e concerto della banda.",
                "category": "eventi"})
            self.assertEqual(status, 201, data)
            self.assertEqual(p.request("POST", "/api/v1/messages/%d/propose" % data["id"])[0], 200)
            mid = data["id"]
            head = d.query("SELECT max(seq) FROM audit_log")[0][0]
            node = ch.run_check(self, "check_console_more.mjs", {
                "base": d.base, "sim_base": d.sim_base, "password": PASSWORD, "writer": WRITER,
                "kept_text": KEPT_TEXT, "misuser": MISUSER, "message_title": TITLE,
                "accounts": ACCOUNTS}, tmp, ARTIFACTS)
            # the kept message is gone, and neither text is left on disk
            self.assertEqual(d.query("SELECT count(*) FROM kept_messages")[0][0], 0)
            d.wait_outbox_empty()
            deadline = time.time() + 10
            while True:
                raw = b""
                for suffix in ("", "-wal"):
                    if os.path.exists(d.db + suffix):
                        with open(d.db + suffix, "rb") as f:
                            raw += f.read()
                left = [s for s in (KEPT_TEXT, "lampione", "la squadra interviene") if s.encode() in raw]
                if not left or time.time() > deadline:
                    break
                time.sleep(0.2)
            self.assertEqual(left, [])
            # the audit: each action, by whom, without the numbers
            actions = d.query("SELECT actor, action, object FROM audit_log WHERE seq > ? ORDER BY seq", (head,))
            names = [a for (_, a, _) in actions]
            for want in ("inbox.reply", "subscriber.warn", "subscriber.expel", "message.approve",
                         "channel.posted", "staff.totp"):
                self.assertIn(want, names)
            self.assertIn(("staff:" + ACCOUNTS["gestore"], "channel.posted", "message:%d" % mid), actions)
            self.assertEqual(d.query("SELECT posted_by FROM channel_posts WHERE message_id = ?", (mid,)),
                             [("staff:" + ACCOUNTS["gestore"],)])
            blob = json.dumps(d.query("SELECT * FROM audit_log"), default=repr)
            for number in (WRITER, MISUSER, KEPT_TEXT):
                self.assertNotIn(number, blob)
            self.assertEqual(d.query("SELECT count(*) FROM blocklist")[0][0], 1)
            r = d.cli("audit", "verify")
            self.assertEqual(r.returncode, 0, r.stdout + r.stderr)
            # the QR code, read from its screenshot, is the key the page showed as text
            secret = [l.split()[1] for l in node.stdout.splitlines() if l.startswith("TOTP_SECRET ")][0]
            if shutil.which("zbarimg"):
                z = subprocess.run(["zbarimg", "--quiet", "--raw", os.path.join(ARTIFACTS, "sicurezza-qr.png")],
                                   capture_output=True, text=True, timeout=60)
                self.assertEqual(z.returncode, 0, z.stderr)
                uri = urllib.parse.urlparse(z.stdout.strip())
                self.assertEqual((uri.scheme, uri.netloc, uri.path),
                                 ("otpauth", "totp", "/Banditore:" + ACCOUNTS["delegato"]))
                self.assertEqual(urllib.parse.parse_qs(uri.query)["secret"], [secret])
            ch.assert_screenshots(self, ARTIFACTS, (
                "ricevuti", "ricevuti-risposto", "iscritti-conferma-diffida",
                "iscritti-conferma-estromissione", "canale-whatsapp", "canale-whatsapp-pubblicato",
                "sicurezza", "sicurezza-qr-pagina", "accesso-codice", "scrivi-anteprime",
                "cruscotto-da-fare"))
        finally:
            d.cleanup()
            shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    unittest.main()
