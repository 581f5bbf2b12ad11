#!/usr/bin/env python3
"""bench/platforms/email_lane.py - the e-mail broadcast rate end to end, through the lane.

What bench_email measures is the connector alone; this measures what a comune gets: the
real daemon (`banditore serve`) with WhatsApp (banditore-sim, no WhatsApp subscribers) and
e-mail, N fictitious e-mail subscribers (tests/tools/gen_subscribers), one message
published with `banditore publish`, and the e-mail lane (src/delivery/lane.c) taking it
to everyone: reading pages of subscribers, unsealing each address, making its
unsubscribe token, composing its own message, sending over [email] connections SMTP
connections kept open, and settling each page through the writer. The sink is the
integration test's SMTP peer in --count-only mode. The rate is the sends counted by the
lane divided by the time between its lane-started and lane-finished log lines.

usage: email_lane.py BUILD_DIR [N=5000] [CONNECTIONS=8]
Exit 77 when node or npm smtp-server is missing.
"""
import datetime
import os
import re
import subprocess
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.abspath(os.path.join(HERE, "..", ".."))
sys.path.insert(0, os.path.join(ROOT, "tests", "integration"))


def main():
    build = os.path.abspath(sys.argv[1]) if len(sys.argv) > 1 else os.path.join(ROOT, "build")
    n = int(sys.argv[2]) if len(sys.argv) > 2 else 5000
    conns = int(sys.argv[3]) if len(sys.argv) > 3 else 8
    os.environ.setdefault("BANDITORE", os.path.join(build, "src", "cli", "banditore"))
    os.environ.setdefault("BANDITORE_SIM", os.path.join(build, "src", "sim", "banditore-sim"))
    gen = os.path.join(build, "tests", "tools", "gen_subscribers")
    if not os.path.isdir(os.path.join(ROOT, "tests", "node_modules", "smtp-server")):
        print("run scripts/install-deps (npm smtp-server)", file=sys.stderr)
        return 77
    import harness  # noqa: E402  (after BANDITORE is set)
    import test_whatsapp_inbound as wa  # noqa: E402

    port = harness.free_port()
    peer = harness.start_process(["node", os.path.join(ROOT, "tests", "integration", "smtp_peer.js"),
                                  "--port", str(port), "--count-only"],
                                 env={"NODE_PATH": os.path.join(ROOT, "tests", "node_modules")})
    d = None
    try:
        harness.wait_port("127.0.0.1", port, 20, peer)
        d = wa.Deployment("leini", extra=[("channel", "platforms", "whatsapp, email")])
        with open(d.config, "a", encoding="utf-8") as f:
            f.write("\n[email]\nfrom_address = avvisi@comune.example.org\nfrom_name = Comune di Prova\n"
                    "smtp_url = smtp://127.0.0.1:%d\ntls = none\nconnections = %d\n" % (port, conns))
        d.start()
        r = subprocess.run([gen, d.data, str(n), "1", "email"], capture_output=True, text=True, timeout=600)
        assert r.returncode == 0, r.stderr
        r = d.cli("publish", "--category", "avvisi", "--title", "Avviso",
                  "--text", "Domani dalle 8 alle 18 via Roma è chiusa per lavori sulla rete idrica. "
                  "Le linee 2 e 5 dell'autobus deviano per via Torino.\n\nPer informazioni: l'ufficio tecnico.")
        assert r.returncode == 0, r.stdout + r.stderr
        deadline = time.time() + 600
        log = ""
        while time.time() < deadline:
            log = harness.read_log(d.server)
            if "lane-finished platform=email" in log:
                break
            time.sleep(0.2)
        start = re.search(r"ts=(\S+) level=info event=lane-started platform=email", log)
        end = re.search(r"ts=(\S+) level=info event=lane-finished platform=email .*sent=(\d+) failed=(\d+)",
                        log)
        assert start and end, log[-2000:]

        def t(s):
            return datetime.datetime.strptime(s, "%Y-%m-%dT%H:%M:%S.%fZ").timestamp()
        seconds = t(end.group(1)) - t(start.group(1))
        sent, failed = int(end.group(2)), int(end.group(3))
        print("lane: sent=%d failed=%d seconds=%.2f rate=%.0f messages/s connections=%d"
              % (sent, failed, seconds, sent / seconds if seconds > 0 else 0, conns))
        return 0 if sent == n and failed == 0 else 1
    finally:
        if d:
            d.cleanup()
        harness.stop_process(peer)


if __name__ == "__main__":
    sys.exit(main())
