"""test_push_button.py - the push subscribe button in chromium produces a stored subscription.

Runs the daemon with web push on (and the test-only setting that accepts a loopback
endpoint), the tests' Node push service (tests/integration/push_service.mjs) for a
subscriber's keys, and push_button.mjs in Debian's chromium. Chromium cannot subscribe
for real here (its push service, FCM, is out of reach: push_button.mjs prints what the
real PushManager answered), so the PushManager hands the button a subscription made by
the test's push service; everything else is real: the button's script and service
worker served by the daemon, the POST, the writer, the database. While subscribed,
push_send sends to it and the push service decrypts the payload; the second click
unsubscribes and the row is gone.

Exit 77 (skipped) when chromium or the npm packages are missing.
Environment: BANDITORE, BANDITORE_SIM, PUSH_SEND.
"""
import json
import os
import shutil
import subprocess
import sys
import tempfile
import unittest

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(os.path.dirname(HERE), "integration"))
import test_webpush as tw  # noqa: E402
import test_whatsapp_inbound as wa  # noqa: E402

ROOT = wa.ROOT


class PushButton(unittest.TestCase):
    def test_button_subscribes_and_unsubscribes(self):
        if not tw.have_node_peer() or not os.path.isdir(os.path.join(ROOT, "tests", "node_modules", "playwright-core")):
            raise unittest.SkipTest("node or npm packages missing: run scripts/install-deps")
        push = tw.PushService()
        d = wa.Deployment(extra=[("channel", "platforms", "whatsapp, webpush")])
        with open(d.config, "a", encoding="utf-8") as f:
            f.write("\n[push]\nsubject = %s\nallow_insecure_endpoints = yes\n" % tw.SUBJECT)
        tmp = tempfile.mkdtemp(prefix="banditore-push-browser-")
        try:
            d.start()
            sub = push.subscriber()
            sub_file = os.path.join(tmp, "subscription.json")
            with open(sub_file, "w", encoding="utf-8") as f:
                json.dump(sub["subscription"], f)
            node = subprocess.Popen(["node", os.path.join(HERE, "push_button.mjs"), d.base, sub_file],
                                    stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                                    text=True)
            lines = []
            for line in node.stdout:
                lines.append(line.rstrip())
                print(line.rstrip(), flush=True)
                if line.startswith("SUBSCRIBED") or line.startswith("SKIP"):
                    break
            if lines and lines[-1].startswith("SKIP"):
                node.wait(timeout=30)
                raise unittest.SkipTest(lines[-1])
            self.assertTrue(lines and lines[-1] == "SUBSCRIBED", "\n".join(lines))
            rows = d.query("SELECT method FROM subscribers WHERE platform = 4")
            self.assertEqual(rows, [("push",)])

            # The stored subscription works: a payload reaches the push service, decrypted.
            r = subprocess.run([tw.PUSH_SEND, d.data, tw.SUBJECT, '{"title":"Prova"}', "insecure"],
                               capture_output=True, text=True, timeout=60)
            self.assertEqual(r.returncode, 0, r.stdout + r.stderr)
            got = [x for x in push.received() if x["id"] == sub["id"]]
            self.assertEqual(len(got), 1)
            self.assertTrue(got[0]["ok"], got[0]["problems"])
            self.assertEqual(got[0]["plaintext"], '{"title":"Prova"}')

            out, _ = node.communicate("go on\n", timeout=60)
            print(out)
            self.assertEqual(node.returncode, 0, "\n".join(lines) + out)
            self.assertEqual(d.query("SELECT count(*) FROM subscribers WHERE platform = 4"), [(0,)])
        finally:
            d.cleanup()
            push.stop()
            shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    unittest.main(verbosity=2)
