"""Integration tests of the `banditore` command: init, config check, subscribers, help.

Runs the real binary on temporary folders; numbers are fictitious (+39 333 000 xxxx).
Environment: BANDITORE, BANDITORE_SIM (for the removal test, which needs a subscriber).
"""
import os
import stat
import subprocess
import sys
import tempfile
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import test_whatsapp_inbound as it  # noqa: E402

BANDITORE = it.BANDITORE


def run(*args, env=None):
    e = dict(os.environ)
    e.update(env or {})
    return subprocess.run([BANDITORE, *args], capture_output=True, text=True, timeout=60, env=e)


class Commands(unittest.TestCase):
    def test_help_and_version(self):
        r = run("--help")
        self.assertEqual(r.returncode, 0)
        self.assertIn("subscribers", r.stdout)
        for cmd in (["init"], ["serve"], ["config", "check"], ["subscribers"]):
            r = run(*cmd, "--help")
            self.assertEqual(r.returncode, 0, cmd)
            self.assertTrue(r.stdout.startswith(("Uso:", "Usage:")), (cmd, r.stdout))
        r = run("--help", env={"LANG": "en_US.UTF-8", "LC_ALL": ""})
        self.assertIn("Usage: banditore COMMAND", r.stdout)
        r = run("version")
        self.assertEqual(r.returncode, 0)
        self.assertRegex(r.stdout, r"^banditore \d+\.\d+\.\d+")

    def test_wrong_usage_exits_2(self):
        self.assertEqual(run().returncode, 2)
        self.assertEqual(run("frobnicate").returncode, 2)
        self.assertEqual(run("subscribers", "count", "--nope").returncode, 2)
        self.assertEqual(run("subscribers", "show").returncode, 2)
        self.assertEqual(run("serve", "--listen", "nowhere").returncode, 2)

    def test_config_check_examples(self):
        for name in ("concorezzo", "leini", "seveso", "siracusa", "sesto-calende"):
            path = os.path.join(it.ROOT, "examples", "comuni", name + ".ini")
            r = run("config", "check", path)
            self.assertEqual(r.returncode, 0, r.stderr)

    def test_config_check_reports_line(self):
        with tempfile.TemporaryDirectory() as d:
            path = os.path.join(d, "bad.ini")
            with open(path, "w") as f:
                f.write("[comune]\nname = Comune di Prova\nwebsite = https://comune.example.org\n"
                        "colour = blue\n[channel]\nname = Prova\nplatforms = whatsapp\n")
            r = run("config", "check", path)
            self.assertEqual(r.returncode, 1)
            self.assertIn(path + ":4:", r.stderr)

    def test_init_creates_private_key_and_folder_and_is_repeatable(self):
        d = it.Deployment()
        try:
            r = d.cli("init")
            self.assertEqual(r.returncode, 0, r.stderr)
            key = os.path.join(d.data, "banditore.key")
            self.assertEqual(stat.S_IMODE(os.stat(key).st_mode), 0o600)
            self.assertEqual(stat.S_IMODE(os.stat(d.data).st_mode), 0o700)
            self.assertEqual(stat.S_IMODE(os.stat(d.db).st_mode) & 0o077, 0)
            with open(key, "rb") as f:
                first = f.read()
            r = d.cli("init")
            self.assertEqual(r.returncode, 0, r.stderr)
            with open(key, "rb") as f:
                self.assertEqual(f.read(), first, "a second init must keep the key")
        finally:
            d.cleanup()

    def test_serve_without_init_explains(self):
        d = it.Deployment()
        try:
            r = subprocess.run([BANDITORE, "serve", "--config", d.config, "--data-dir", d.data],
                               capture_output=True, text=True, timeout=30)
            self.assertEqual(r.returncode, 1)
            self.assertIn("banditore init", r.stderr)
        finally:
            d.cleanup()

    def test_subscribers_on_request(self):
        d = it.Deployment().start()
        try:
            number = "393330000901"
            r = d.cli("subscribers", "show", "+39 333 000 0901")
            self.assertEqual(r.returncode, 0, r.stderr)
            self.assertIn("Nessun dato", r.stdout)
            d.say(number, "ATTIVA ISCRIZIONE")
            d.wait_received(number, 1)
            r = d.cli("subscribers", "show", "+39 333 000 0901")
            self.assertIn("keyword", r.stdout)
            sealed = d.query("SELECT sealed FROM subscribers")[0][0]
            self.assertEqual(d.cli("subscribers", "show", "+39 333 abc").returncode, 1)
            r = d.cli("subscribers", "remove", "0039 333 000 0901")
            self.assertEqual(r.returncode, 0, r.stderr)
            self.assertEqual(d.query("SELECT count(*) FROM subscribers")[0][0], 0)
            d.stop()  # the daemon's reader no longer holds the WAL: scan the files
            blobs = b""
            for suffix in ("", "-wal"):
                if os.path.exists(d.db + suffix):
                    with open(d.db + suffix, "rb") as f:
                        blobs += f.read()
            self.assertNotIn(sealed, blobs)
            self.assertNotIn(number[2:].encode(), blobs)
            r = d.cli("subscribers", "count")
            self.assertRegex(r.stdout, r"(?m)^whatsapp\s+0\s+1\s+1")
        finally:
            d.cleanup()


if __name__ == "__main__":
    unittest.main(verbosity=2)
