#!/usr/bin/env python3
"""Writes signed WhatsApp inbound webhooks for the wrk benchmark, as whole HTTP requests.

Each request is written whole, as wrk sends it (request line, headers, body), after a
line with its length in bytes, so that wrk's script only reads it: wrk shares the two
cores with the server it measures, and formatting each request in Lua was a third of
wrk's user time (5.3 against 3.7 us a request, posting to nginx). Numbers are
fictitious (+39 370 xxx xxxx); each number sends ATTIVA ISCRIZIONE and later DISATTIVA
ISCRIZIONE, so joins and leaves (with their erasure) are measured half and half. One
file per wrk thread, so that no two threads post the same message id.

With MIX=statuses in the environment it writes status webhooks instead (sent, delivered,
read for messages of a broadcast, biz_opaque_callback_data set): the load that sending
produces. With MIX=floor it writes the same joins and leaves under a field Banditore does
not handle ("account_update"): signed, checked and parsed, then acknowledged with nothing
stored, they measure the HTTP path alone.

usage: gen_bodies.py APP_SECRET PHONE_NUMBER_ID OUT_DIR THREADS EVENTS_PER_THREAD
"""
import hashlib
import hmac
import json
import os
import sys


def body(number, text, msg_id, phone_id):
    return json.dumps({
        "object": "whatsapp_business_account",
        "entry": [{"id": "100000000000000", "changes": [{"field": "messages", "value": {
            "messaging_product": "whatsapp",
            "metadata": {"display_phone_number": "393660000000", "phone_number_id": phone_id},
            "contacts": [{"profile": {"name": "Cittadino"}, "wa_id": number}],
            "messages": [{"from": number, "id": msg_id, "timestamp": "1750000000",
                          "type": "text", "text": {"body": text}}]}}]}]}, separators=(",", ":"))


def status_body(number, msg_id, status, phone_id):
    st = {"id": msg_id, "status": status, "timestamp": "1750000000", "recipient_id": number,
          "biz_opaque_callback_data": "m=1"}
    if status != "read":
        st["pricing"] = {"billable": True, "pricing_model": "PMP", "category": "utility"}
    return json.dumps({
        "object": "whatsapp_business_account",
        "entry": [{"id": "100000000000000", "changes": [{"field": "messages", "value": {
            "messaging_product": "whatsapp",
            "metadata": {"display_phone_number": "393660000000", "phone_number_id": phone_id},
            "statuses": [st]}}]}]}, separators=(",", ":"))


def main():
    secret, phone_id, out, threads, per = sys.argv[1], sys.argv[2], sys.argv[3], int(sys.argv[4]), int(sys.argv[5])
    os.makedirs(out, exist_ok=True)
    key = secret.encode()
    for t in range(threads):
        with open(os.path.join(out, "bodies-%d.txt" % (t + 1)), "wb") as f:
            window = 64  # a number leaves 64 events after it joined
            for i in range(per):
                block, pos = divmod(i, 2 * window)
                if pos < window:
                    n, text = block * window + pos, "ATTIVA ISCRIZIONE"
                else:
                    n, text = block * window + pos - window, "DISATTIVA ISCRIZIONE"
                number = "3937%d%07d" % (t, n % 10000000)
                if os.environ.get("MIX") == "statuses":
                    m, k = divmod(i, 3)
                    b = status_body("3937%d%07d" % (t, m % 10000000), "wamid.out.%d.%d" % (t, m),
                                    ("sent", "delivered", "read")[k], phone_id)
                else:
                    b = body(number, text, "wamid.bench.%d.%d" % (t, i), phone_id)
                    if os.environ.get("MIX") == "floor":
                        b = b.replace('"field":"messages"', '"field":"account_update"')
                data = b.encode()
                sig = "sha256=" + hmac.new(key, data, hashlib.sha256).hexdigest()
                req = ("POST /webhooks/whatsapp HTTP/1.1\r\nHost: 127.0.0.1\r\n"
                       "Content-Type: application/json\r\nX-Hub-Signature-256: %s\r\n"
                       "Content-Length: %d\r\n\r\n" % (sig, len(data))).encode() + data
                f.write(b"%d\n" % len(req) + req)


if __name__ == "__main__":
    main()
