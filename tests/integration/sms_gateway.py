"""A fake HTTP SMS gateway for the integration tests (Python standard library only).

It stands for the comune's SMS provider: it checks every request it receives the way a
strict provider would (method, path, authentication, content type, the body's fields,
the number's form, that the text fits the allowed number of SMS parts, counted here
independently of Banditore's C code) and records it; it answers with what the test
scripted (a status and a JSON body), or by default 200 {"result": {"status": "queued",
"id": "gw-N"}}. Requests that fail a check are answered 400 and listed in `rejected`.
"""
import base64
import json
import threading
import urllib.parse
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

GSM7_BASIC = ("@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞÆæßÉ !\"#¤%&'()*+,-./0123456789:;<=>?"
              "¡ABCDEFGHIJKLMNOPQRSTUVWXYZÄÖÑÜ§¿abcdefghijklmnopqrstuvwxyzäöñüà")
GSM7_EXT = "\f^{}\\[~]|€"


def sms_parts(text):
    """(encoding, parts) of `text`, as a gateway bills it."""
    if all(c in GSM7_BASIC or c in GSM7_EXT for c in text):
        sizes = [2 if c in GSM7_EXT else 1 for c in text]
        single, part, enc = 160, 153, "gsm7"
    else:
        sizes = [2 if ord(c) > 0xFFFF else 1 for c in text]
        single, part, enc = 70, 67, "ucs2"
    if sum(sizes) <= single:
        return enc, 1 if sizes else 0
    parts, used = 1, 0
    for s in sizes:
        if used + s > part:
            parts, used = parts + 1, 0
        used += s
    return enc, parts


class Gateway:
    def __init__(self, expect_auth=None, content_type="json", max_parts=3, sender="ComuneTest",
                 path="/send"):
        self.expect_auth = expect_auth  # the exact Authorization header, or None
        self.content_type = content_type
        self.max_parts = max_parts
        self.sender = sender
        self.path = path
        self.received = []   # accepted requests: dicts to, from, text, parts, encoding
        self.rejected = []   # reasons
        self.answers = []    # scripted (status, body) pairs, used first
        self.count = 0
        self.lock = threading.Lock()
        gw = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args):
                pass

            def do_POST(self):
                length = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(length)
                status, answer = gw.handle(self.command, self.path, self.headers, body)
                data = json.dumps(answer).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            do_GET = do_POST

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.port = self.server.server_address[1]
        self.url = "http://127.0.0.1:%d%s" % (self.port, path)
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def start(self):
        self.thread.start()
        return self

    def stop(self):
        self.server.shutdown()
        self.server.server_close()

    def script(self, *answers):
        """Answers for the next requests: (status, json_body) each."""
        with self.lock:
            self.answers.extend(answers)

    def reject(self, why):
        with self.lock:
            self.rejected.append(why)
        return 400, {"error": why}

    def handle(self, method, path, headers, body):
        if method != "POST":
            return self.reject("method %s" % method)
        if path != self.path:
            return self.reject("path %s" % path)
        if self.expect_auth is not None and headers.get("Authorization") != self.expect_auth:
            return self.reject("authentication")
        ctype = headers.get("Content-Type", "")
        try:
            if self.content_type == "json":
                if not ctype.startswith("application/json"):
                    return self.reject("content type %s" % ctype)
                doc = json.loads(body.decode("utf-8"))
                fields = {"to": doc["recipient"]["number"], "from": doc["sender"],
                          "text": doc["message"]["text"]}
            else:
                if ctype != "application/x-www-form-urlencoded":
                    return self.reject("content type %s" % ctype)
                form = urllib.parse.parse_qs(body.decode("ascii"), strict_parsing=True,
                                             keep_blank_values=True)
                fields = {k: form[k][0] for k in ("to", "from", "text")}
        except (ValueError, KeyError, TypeError, UnicodeDecodeError) as e:
            return self.reject("body: %r" % e)
        if fields["from"] != self.sender:
            return self.reject("sender %r" % fields["from"])
        if not (fields["to"].startswith("+") and fields["to"][1:].isdigit()):
            return self.reject("number form")
        enc, parts = sms_parts(fields["text"])
        if parts < 1 or parts > self.max_parts:
            return self.reject("text of %d parts" % parts)
        with self.lock:
            self.count += 1
            n = self.count
            answer = self.answers.pop(0) if self.answers else None
            fields.update(parts=parts, encoding=enc, answer=answer[0] if answer else 200)
            self.received.append(fields)
        if answer:
            return answer
        return 200, {"result": {"status": "queued", "id": "gw-%d" % n}}

    def to(self, number):
        with self.lock:
            return [r for r in self.received if r["to"] == number]


def basic(user, password):
    return "Basic " + base64.b64encode(("%s:%s" % (user, password)).encode()).decode()
