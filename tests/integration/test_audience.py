"""Integration tests of issue 7 point 6 and issue 8 point 2: categories and areas.

The real daemon runs against the simulator (banditore-sim) with Leini's example, which
names three frazioni ([area ID] sections), and three categories added here (one of them
an emergency). Citizens join on WhatsApp and get the interactive list of areas (checked
by the simulator as the Cloud API describes lists); their list replies choose areas,
the keyword CATEGORIE brings the list of categories. Then:
- GET /api/v1/audience counts who a target reaches, before sending;
- a message for category viabilita in Fornacino reaches exactly the right phones;
- an emergency in Fornacino reaches everyone;
- an area that does not exist is refused (422, in Italian), nothing is stored;
- a list reply naming a row that does not exist changes nothing and says so;
- leaving erases the subscriber with its choices: the database and its WAL are scanned.

On Telegram (bot mode, against npm telegram-test-api; skipped when it is not installed)
the welcome carries inline buttons, each press toggles an area and brings fresh buttons,
CATEGORIE brings the categories, an unknown button changes nothing, /stop erases.

Environment: BANDITORE, BANDITORE_SIM. Numbers and chat ids are fictitious.
"""
import json
import os
import re
import sys
import time
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from test_whatsapp_inbound import ACCESS_TOKEN, Deployment, http, text_of  # noqa: E402

CATEGORIES = """
[category viabilita]
label = Viabilità e lavori stradali
[category eventi]
label = Eventi
[category emergenze]
label = Emergenze
emergency = yes
"""


def list_reply_body(phone_number_id, number, row_id, title, msg_id):
    """What Meta posts when the citizen picks a row of a list message."""
    return json.dumps({
        "object": "whatsapp_business_account",
        "entry": [{"id": "100000000000000", "changes": [{"field": "messages", "value": {
            "messaging_product": "whatsapp",
            "metadata": {"display_phone_number": "393660000000", "phone_number_id": phone_number_id},
            "contacts": [{"profile": {"name": "Cittadino"}, "wa_id": number}],
            "messages": [{"from": number, "id": msg_id, "timestamp": str(int(time.time())),
                          "type": "interactive",
                          "interactive": {"type": "list_reply",
                                          "list_reply": {"id": row_id, "title": title}}}]}}]}]}).encode()


def number(i):
    return "39333000%04d" % (7000 + i)


class Audience(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.d = Deployment(example="leini")
        with open(cls.d.config, "a", encoding="utf-8") as f:
            f.write(CATEGORIES)
        cls.d.start()
        r = cls.d.cli("token", "create", "redazione")
        assert r.returncode == 0, r.stderr
        cls.token = re.findall(r"(?m)^(bnd_[A-Za-z0-9_-]{43})$", r.stdout)[0]
        cls.seq = 0

    @classmethod
    def tearDownClass(cls):
        cls.d.cleanup()

    # -- helpers --
    def api(self, method, path, body=None):
        headers = {"Authorization": "Bearer " + self.token}
        if body is not None:
            headers["Content-Type"] = "application/json"
            body = json.dumps(body).encode()
        status, raw = http(method, self.d.base + path, body, headers)
        return status, json.loads(raw) if raw else None

    def pick(self, n, row_id, title="x"):
        """The citizen picks a row; returns the reply it got."""
        type(self).seq += 1
        before = len(self.d.received(n))
        status, _ = self.d.post_webhook(list_reply_body(self.d.phone_number_id(), n, row_id, title,
                                                        "wamid.list%06d" % self.seq))
        self.assertEqual(status, 200)
        return self.d.wait_received(n, before + 1)[-1]

    def join(self, n):
        before = len(self.d.received(n))
        self.d.say(n, "ATTIVA ISCRIZIONE")
        return self.d.wait_received(n, before + 2)[before:]

    def broadcast_to(self, mid):
        msgs = json.loads(http("GET", self.d.sim_base + "/sim/messages", timeout=30)[1])["messages"]
        return sorted(m["to"] for m in msgs if m.get("biz_opaque_callback_data") == "m=%d" % mid)

    def send(self, body, expect):
        status, created = self.api("POST", "/api/v1/messages", body)
        self.assertEqual(status, 201, created)
        status, sent = self.api("POST", "/api/v1/messages/%d/send" % created["id"])
        self.assertEqual(status, 202, sent)
        deadline = time.time() + 20
        while time.time() < deadline:
            status, m = self.api("GET", "/api/v1/messages/%d" % created["id"])
            if m["state"] in ("sent", "partly_failed") and len(self.broadcast_to(created["id"])) >= len(expect):
                break
            time.sleep(0.1)
        time.sleep(0.3)  # nobody else may get it late
        return created, sent, self.broadcast_to(created["id"])

    # -- the journey --
    def test_a_choose_then_targeted_and_emergency_broadcasts(self):
        d = self.d
        a, b, c, e, f = (number(i) for i in range(1, 6))
        # Joining brings the welcome and the list of areas, inside the window.
        for n in (a, b, c, e, f):
            msgs = self.join(n)
            lst = msgs[-1]
            self.assertEqual(lst.get("type"), "interactive", msgs)
            inter = lst["interactive"]
            self.assertEqual(inter["type"], "list")
            self.assertIn("Scegli le zone", inter["body"]["text"])
            rows = inter["action"]["sections"][0]["rows"]
            self.assertEqual([r["id"] for r in rows], ["a:*", "a:capoluogo", "a:fornacino", "a:tedeschi"])
            self.assertEqual(rows[2]["title"], "Fornacino")
            self.assertLessEqual(len(inter["action"]["button"]), 20)
        # a: Fornacino; b: Tedeschi; c: only the category "eventi"; e, f choose nothing.
        self.assertIn("Zone scelte: Fornacino", text_of(self.pick(a, "a:fornacino", "Fornacino")))
        self.assertIn("Zone scelte: Tedeschi", text_of(self.pick(b, "a:tedeschi", "Tedeschi")))
        before = len(d.received(c))
        d.say(c, "Categorie")
        lst = d.wait_received(c, before + 1)[-1]
        self.assertEqual(lst["interactive"]["type"], "list")
        ids = [r["id"] for r in lst["interactive"]["action"]["sections"][0]["rows"]]
        self.assertEqual(ids, ["c:*", "c:viabilita", "c:eventi"], "emergencies are not offered")
        self.assertIn("Categorie scelte: Eventi", text_of(self.pick(c, "c:eventi", "Eventi")))
        # Picking a chosen area again takes it back, then again chooses it.
        self.assertIn("tutte le zone", text_of(self.pick(b, "a:tedeschi")))
        self.assertIn("Zone scelte: Tedeschi", text_of(self.pick(b, "a:tedeschi")))
        # A row that does not exist: nothing changes, the citizen is told.
        masks = d.query("SELECT id, categories, areas FROM subscribers ORDER BY id")
        reply = text_of(self.pick(e, "a:centro-storico", "Centro"))
        self.assertIn("Scelta non riconosciuta", reply)
        self.assertIn("ZONE", reply)
        self.assertEqual(d.query("SELECT id, categories, areas FROM subscribers ORDER BY id"), masks)
        self.assertEqual(d.query("SELECT count(*) FROM audience_bits WHERE name = 'centro-storico'"), [(0,)])
        d.wait_outbox_empty()

        # Before sending: who would road works in Fornacino reach? a, e, f (not b: Tedeschi;
        # not c: only eventi).
        status, reach = self.api("GET", "/api/v1/audience?category=viabilita&areas=fornacino")
        self.assertEqual(status, 200, reach)
        self.assertEqual(reach["reach"], {"whatsapp": 3})
        self.assertEqual(reach["total"], 3)
        self.assertFalse(reach["emergency"])
        status, reach = self.api("GET", "/api/v1/audience?category=emergenze&areas=fornacino")
        self.assertEqual(reach["reach"], {"whatsapp": 5})
        self.assertTrue(reach["emergency"])
        status, reach = self.api("GET", "/api/v1/audience?category=eventi")
        self.assertEqual(reach["reach"], {"whatsapp": 5 - 0}, "no area: everyone the category lets through")

        created, sent, got = self.send({"title": "Lavori", "text": "Via Roma chiusa per lavori.", "category": "viabilita",
                                        "areas": ["fornacino"]}, [a, e, f])
        self.assertEqual(created["areas"], ["fornacino"])
        self.assertEqual(created["cost"]["audience"], 3, "the estimate before sending counts the target")
        self.assertEqual(created["reach"], {"whatsapp": 3}, "a draft says who it would reach")
        self.assertEqual(sent["audience"], 3, "the audience counts those the target reaches")
        self.assertEqual(got, sorted([a, e, f]))

        # An emergency in Fornacino reaches everyone, whatever they chose.
        _, _, got = self.send({"title": "Allerta", "text": "Allerta meteo rossa: restate in casa.", "category": "emergenze",
                               "areas": ["fornacino"]}, [a, b, c, e, f])
        self.assertEqual(got, sorted([a, b, c, e, f]))
        # A message of category eventi with no area: everyone but nobody excluded by
        # category (c chose eventi; the others chose no category).
        _, _, got = self.send({"title": "Festa", "text": "Sabato festa patronale.", "category": "eventi"}, [a, b, c, e, f])
        self.assertEqual(got, sorted([a, b, c, e, f]))
        # GDPR art. 15: what is held about a number shows its choices.
        r = d.cli("subscribers", "show", "+" + a)
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertRegex(r.stdout, r"(zone scelte|areas chosen)\s+Fornacino\n")
        self.assertRegex(r.stdout, r"(argomenti scelti|topics chosen)\s+(tutti|all)")
        r = d.cli("subscribers", "show", "+" + c)
        self.assertRegex(r.stdout, r"(argomenti scelti|topics chosen)\s+Eventi\n")
        # Road works in Tedeschi: b, e, f; not c (eventi only), not a (Fornacino).
        _, _, got = self.send({"title": "Acquedotto", "text": "Lavori all'acquedotto.", "category": "viabilita",
                               "areas": ["tedeschi"]}, [b, e, f])
        self.assertEqual(got, sorted([b, e, f]))

    def test_0_config_check_names_the_areas(self):
        import subprocess
        r = subprocess.run([os.environ["BANDITORE"], "config", "check", self.d.config],
                           capture_output=True, text=True, timeout=60)
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertRegex(r.stdout, r"(zone|areas):\s+3 \(Leini capoluogo, Fornacino, Tedeschi\)")

    def test_b_unknown_area_refused_nothing_stored(self):
        before = self.d.query("SELECT count(*) FROM messages")
        status, err = self.api("POST", "/api/v1/messages", {"text": "Lavori.", "category": "viabilita",
                                                            "areas": ["centro"]})
        self.assertEqual(status, 422, err)
        self.assertEqual(err["field"], "areas")
        self.assertIn("la zona 'centro' non esiste", err["message"])
        self.assertIn("fornacino", err["message"])
        self.assertIn("does not exist", err["message_en"])
        status, err = self.api("POST", "/api/v1/messages", {"text": "Lavori.", "category": "viabilita",
                                                            "areas": "fornacino"})
        self.assertEqual(status, 422, err)
        self.assertEqual(self.d.query("SELECT count(*) FROM messages"), before)
        status, err = self.api("GET", "/api/v1/audience?category=viabilita&areas=centro")
        self.assertEqual(status, 422, err)
        self.assertIn("non esiste", err["message"])
        status, err = self.api("GET", "/api/v1/audience?category=nessuna")
        self.assertEqual(status, 422, err)
        self.assertEqual(err["field"], "category")
        # The command line: the same check, and the areas stored with the draft.
        r = self.d.cli("publish", "--category", "viabilita", "--title", "Lavori", "--text", "Strada chiusa.",
                       "--areas", "centro", "--draft")
        self.assertEqual(r.returncode, 1, r.stdout)
        self.assertRegex(r.stderr, r"zona 'centro' non esiste|area 'centro' does not exist")
        self.assertEqual(self.d.query("SELECT count(*) FROM messages"), before)
        r = self.d.cli("publish", "--category", "viabilita", "--title", "Lavori", "--text", "Strada chiusa.",
                       "--areas", "tedeschi,fornacino", "--draft")
        self.assertEqual(r.returncode, 0, r.stderr)
        mid = int(re.search(r"(?m)^id\s+(\d+)", r.stdout).group(1))
        self.assertEqual(self.d.query("SELECT areas FROM message_audience WHERE message_id = ?", (mid,)),
                         [("tedeschi,fornacino",)])

    def test_0_simulator_checks_the_list_shape(self):
        """The simulator refuses list messages the Cloud API would refuse, so that the
        lists Banditore sends are checked in every test."""
        d = self.d

        def send(rows, button="Scegli le zone", text="Scegli"):
            msg = {"messaging_product": "whatsapp", "recipient_type": "individual",
                   "to": "393330007899", "type": "interactive",
                   "interactive": {"type": "list", "body": {"text": text},
                                   "action": {"button": button, "sections": [{"rows": rows}]}}}
            return http("POST", d.sim_base + "/v23.0/%s/messages" % d.phone_number_id(),
                        json.dumps(msg).encode(), {"Authorization": "Bearer " + ACCESS_TOKEN,
                                                   "Content-Type": "application/json"})[0]

        def row(i, title="Zona", desc=None):
            r = {"id": "a:%d" % i, "title": title}
            if desc is not None:
                r["description"] = desc
            return r

        self.assertEqual(send([row(1), row(2, desc="tocca per aggiungere")]), 200)
        self.assertEqual(send([row(i) for i in range(11)]), 400, "at most 10 rows")
        self.assertEqual(send([]), 400)
        self.assertEqual(send([row(1, "x" * 25)]), 400, "title at most 24")
        self.assertEqual(send([row(1, desc="x" * 73)]), 400, "description at most 72")
        self.assertEqual(send([row(1)], button="x" * 21), 400, "button at most 20")

    def test_b1_areas_and_the_point_they_hold(self):
        status, got = self.api("GET", "/api/v1/areas")
        self.assertEqual(status, 200, got)
        self.assertEqual([a["id"] for a in got["areas"]], ["capoluogo", "fornacino", "tedeschi"])
        self.assertEqual(len(got["areas"][1]["polygon"]), 4)
        self.assertIsNone(got["areas"][0]["polygon"])
        status, got = self.api("GET", "/api/v1/areas?lat=45.1935&lon=7.7345")
        self.assertEqual([a["id"] for a in got["areas"]], ["fornacino"])
        status, got = self.api("GET", "/api/v1/areas?lat=45.30&lon=7.70")
        self.assertEqual(got["areas"], [])
        status, err = self.api("GET", "/api/v1/areas?lat=nord&lon=7.7")
        self.assertEqual(status, 422, err)
        self.assertIn("lat", err["message"])

    def test_b2_edit_changes_the_areas(self):
        body = {"title": "Acqua", "text": "Interruzione dell'acqua.", "category": "viabilita",
                "areas": ["fornacino"]}
        status, created = self.api("POST", "/api/v1/messages", body)
        self.assertEqual(status, 201, created)
        mid = created["id"]
        status, edited = self.api("POST", "/api/v1/messages/%d/edit" % mid, dict(body, areas=["tedeschi", "capoluogo"]))
        self.assertEqual(status, 200, edited)
        self.assertEqual(edited["areas"], ["tedeschi", "capoluogo"])
        body.pop("areas")
        status, edited = self.api("POST", "/api/v1/messages/%d/edit" % mid, body)
        self.assertEqual(edited["areas"], ["tedeschi", "capoluogo"], "no field: unchanged")
        status, err = self.api("POST", "/api/v1/messages/%d/edit" % mid, dict(body, areas=["ovunque"]))
        self.assertEqual(status, 422, err)
        status, m = self.api("GET", "/api/v1/messages/%d" % mid)
        self.assertEqual(m["areas"], ["tedeschi", "capoluogo"], "a refused edit changes nothing")
        status, edited = self.api("POST", "/api/v1/messages/%d/edit" % mid, dict(body, areas=[]))
        self.assertEqual(edited["areas"], [])

    def test_c_not_subscribed_and_leaving_erases_choices(self):
        d = self.d
        g = number(9)
        # Not subscribed: the keyword gets a short explanation, nothing is stored.
        d.say(g, "ZONE")
        self.assertIn("Non risulti iscritto", text_of(d.wait_received(g, 1)[-1]))
        self.join(g)
        sealed = d.query("SELECT sealed FROM subscribers ORDER BY id DESC LIMIT 1")[0][0]
        self.pick(g, "a:capoluogo", "Leini capoluogo")
        self.assertIn("Zone scelte: Leini capoluogo, Fornacino", text_of(self.pick(g, "a:fornacino", "Fornacino")))
        self.assertEqual(d.query("SELECT count(*) FROM subscribers WHERE sealed = ? AND areas <> 0", (sealed,)),
                         [(1,)])
        count = d.query("SELECT count(*) FROM subscribers")[0][0]
        before = len(d.received(g))
        d.say(g, "DISATTIVA ISCRIZIONE")
        d.wait_received(g, before + 1)
        self.assertEqual(d.query("SELECT count(*) FROM subscribers")[0][0], count - 1)
        d.wait_outbox_empty()
        # Nothing about the number anywhere in the database or its log.
        deadline = time.time() + 10
        while True:
            blobs = b""
            for suffix in ("", "-wal"):
                try:
                    with open(d.db + suffix, "rb") as fh:
                        blobs += fh.read()
                except FileNotFoundError:
                    pass
            if (g.encode() not in blobs and sealed not in blobs) or time.time() > deadline:
                break
            time.sleep(0.2)
        self.assertNotIn(g.encode(), blobs)
        self.assertNotIn(sealed, blobs, "the sealed number is gone from the database and its WAL")
        # The bits table holds names only.
        for (name,) in d.query("SELECT name FROM audience_bits"):
            self.assertRegex(name, r"^[a-z0-9-]+$")


    def test_d_console_shows_areas_and_reach(self):
        """The console's compose page: the areas as checkboxes, and after «Verifica» how
        many subscribers the category and areas reach (a, e and f of test_a)."""
        import subprocess
        import urllib.parse
        from test_permissions import PASSWORD
        d = self.d
        r = subprocess.run([os.environ["BANDITORE"], "staff", "create", "redattrice", "--role", "gestore",
                            "--config", d.config, "--data-dir", d.data],
                           input=PASSWORD + "\n", capture_output=True, text=True, timeout=60)
        self.assertEqual(r.returncode, 0, r.stderr)
        # Log in as a browser does, keeping the session cookie and the CSRF token.
        import http.client as httpclient
        conn = httpclient.HTTPConnection("127.0.0.1", d.port, timeout=20)
        conn.request("POST", "/api/v1/session", json.dumps({"name": "redattrice", "password": PASSWORD}),
                     {"Content-Type": "application/json"})
        resp = conn.getresponse()
        body = json.loads(resp.read())
        self.assertEqual(resp.status, 201, body)
        sid = resp.getheader("Set-Cookie").split(";")[0]
        csrf = body["csrf_token"]
        conn.close()
        cookie = {"Cookie": sid}
        status, page = http("GET", d.base + "/console/scrivi", headers=cookie)
        self.assertEqual(status, 200)
        page = page.decode()
        for area in ("capoluogo", "fornacino", "tedeschi"):
            self.assertIn('name="area_%s"' % area, page)
        form = urllib.parse.urlencode({"csrf_token": csrf, "azione": "verifica", "category": "viabilita",
                                       "title": "Lavori", "text": "Strada chiusa.",
                                       "area_fornacino": "1"}).encode()
        status, page = http("POST", d.base + "/console/scrivi", form,
                            {**cookie, "Content-Type": "application/x-www-form-urlencoded"})
        page = page.decode()
        self.assertEqual(status, 200, page[-2000:])
        self.assertRegex(page, r"Raggiunge 3 iscritti</strong> \(WhatsApp 3\)")
        self.assertIn('id="area_fornacino" name="area_fornacino" value="1" checked', page)
        # the subscribers page shows what a number chose (GDPR art. 15)
        form = urllib.parse.urlencode({"csrf_token": csrf, "number": "+" + number(1)}).encode()
        status, page = http("POST", d.base + "/console/iscritti/mostra", form,
                            {**cookie, "Content-Type": "application/x-www-form-urlencoded"})
        self.assertEqual(status, 200)
        self.assertRegex(page.decode(), r"Zone scelte</dt><dd class=\"col-sm-8\">Fornacino</dd>")
        self.assertRegex(page.decode(), r"Argomenti scelti</dt><dd class=\"col-sm-8\">tutti \(nessuna scelta\)</dd>")
        # the whole territory for the same category: a and b too (b's Tedeschi no longer
        # matters), not c (eventi only)
        form = urllib.parse.urlencode({"csrf_token": csrf, "azione": "verifica", "category": "viabilita",
                                       "title": "Lavori", "text": "Strada chiusa."}).encode()
        status, page = http("POST", d.base + "/console/scrivi", form,
                            {**cookie, "Content-Type": "application/x-www-form-urlencoded"})
        self.assertRegex(page.decode(), r"Raggiunge 4 iscritti")


class TelegramButtons(unittest.TestCase):
    """Bot mode against npm telegram-test-api: the welcome carries inline buttons, each
    press toggles an area, the keyword CATEGORIE brings the categories' buttons, and a
    targeted broadcast's count follows the choice."""

    @classmethod
    def setUpClass(cls):
        from test_telegram import TelegramDeployment, peer_available
        if not peer_available():
            raise unittest.SkipTest("node or telegram-test-api not installed")
        cls.d = TelegramDeployment()
        with open(cls.d.config, "a", encoding="utf-8") as f:
            f.write(CATEGORIES)
        cls.d.inbox = {}
        cls.d.start()
        r = cls.d.cli("token", "create", "redazione")
        assert r.returncode == 0, r.stderr
        cls.token = re.findall(r"(?m)^(bnd_[A-Za-z0-9_-]{43})$", r.stdout)[0]

    @classmethod
    def tearDownClass(cls):
        cls.d.cleanup()

    def press(self, chat, data):
        from test_telegram import TOKEN
        d = self.d
        body = {"botToken": TOKEN, "date": int(time.time()), "data": data,
                "from": {"id": chat, "is_bot": False, "first_name": "Prova"},
                "message": {"from": {"id": chat, "is_bot": False, "first_name": "Prova"},
                            "chat": {"id": chat, "type": "private", "first_name": "Prova"}}}
        status, raw = http("POST", d.peer_base + "/sendCallback", json.dumps(body).encode(),
                           {"Content-Type": "application/json"})
        self.assertEqual(status, 200, raw)
        self.assertEqual(d.relay(), [200])

    def reach(self, query):
        status, raw = http("GET", self.d.base + "/api/v1/audience?" + query,
                           headers={"Authorization": "Bearer " + self.token})
        self.assertEqual(status, 200, raw)
        return json.loads(raw)["reach"]

    def test_buttons_choose_areas_and_categories(self):
        d = self.d
        chat, other = 7300005550001, 7300005550002
        self.assertEqual(d.user_command(other, "/start"), [200])
        self.assertEqual(d.user_command(chat, "/start"), [200])
        welcome = d.wait_received(chat, 1)[0]
        self.assertIn("Scegli le zone", welcome["text"])
        rows = welcome["reply_markup"]["inline_keyboard"]
        self.assertEqual([r[0]["callback_data"] for r in rows], ["a:*", "a:capoluogo", "a:fornacino", "a:tedeschi"])
        self.assertTrue(rows[0][0]["text"].startswith("✓"), "everything is chosen at first")
        self.assertEqual(self.reach("category=viabilita&areas=tedeschi")["telegram"], 2)
        # A press on Fornacino: the answer and fresh buttons with the tick moved.
        self.press(chat, "a:fornacino")
        msg = d.wait_received(chat, 2)[-1]
        self.assertIn("Zone scelte: Fornacino", msg["text"])
        rows = msg["reply_markup"]["inline_keyboard"]
        self.assertEqual([r[0]["text"] for r in rows][2], "✓ Fornacino")
        self.assertFalse(rows[0][0]["text"].startswith("✓"))
        self.assertEqual(self.reach("category=viabilita&areas=tedeschi")["telegram"], 1)
        self.assertEqual(self.reach("category=viabilita&areas=fornacino")["telegram"], 2)
        # Categories by keyword; emergencies not offered; choosing eventi.
        self.assertEqual(d.user_command(chat, "CATEGORIE"), [200])
        msg = d.wait_received(chat, 3)[-1]
        self.assertEqual([r[0]["callback_data"] for r in msg["reply_markup"]["inline_keyboard"]],
                         ["c:*", "c:viabilita", "c:eventi"])
        self.press(chat, "c:eventi")
        self.assertIn("Categorie scelte: Eventi", d.wait_received(chat, 4)[-1]["text"])
        self.assertEqual(self.reach("category=viabilita")["telegram"], 1)
        self.assertEqual(self.reach("category=emergenze&areas=tedeschi")["telegram"], 2)
        # A button that names nothing known changes nothing and says so.
        masks = d.query("SELECT categories, areas FROM subscribers WHERE platform = 2 ORDER BY id")
        self.press(chat, "a:piazza-grande")
        msgs = d.wait_received(chat, 5)
        self.assertIn("Scelta non riconosciuta", msgs[-1]["text"])
        self.assertEqual(d.query("SELECT categories, areas FROM subscribers WHERE platform = 2 ORDER BY id"), masks)
        # A targeted broadcast through Telegram's lane: road works in Tedeschi reach the
        # other chat (no choice) and not this one (Fornacino, eventi).
        n_chat, n_other = len(d.received(chat)), len(d.received(other))
        headers = {"Authorization": "Bearer " + self.token, "Content-Type": "application/json"}
        status, raw = http("POST", d.base + "/api/v1/messages", json.dumps(
            {"title": "Lavori", "text": "Lavori in via dei Tedeschi.", "category": "viabilita",
             "areas": ["tedeschi"]}).encode(), headers)
        self.assertEqual(status, 201, raw)
        mid = json.loads(raw)["id"]
        status, raw = http("POST", d.base + "/api/v1/messages/%d/send" % mid, None, headers)
        self.assertEqual(status, 202, raw)
        got = d.wait_received(other, n_other + 1)[-1]
        self.assertIn("via dei Tedeschi", got["text"])
        time.sleep(1)
        self.assertEqual(len(d.received(chat)), n_chat, "not to a chat that chose another area")
        # Leaving erases the chat with its choices.
        sealed = [r[0] for r in d.telegram_rows()]
        self.assertEqual(d.user_command(chat, "/stop"), [200])
        d.wait_received(chat, n_chat + 1)
        self.assertEqual(len(d.telegram_rows()), 1)
        d.assert_gone(self, chat, [s for s in sealed if s not in [r[0] for r in d.telegram_rows()]])
        # A deep link from the public page that names categories makes them the choice.
        third = 7300005550003
        self.assertEqual(d.user_command(third, "/start c_eventi_emergenze"), [200])
        d.wait_received(third, 1)
        self.assertEqual(self.reach("category=viabilita")["telegram"], 1, "only the chat without a choice")
        self.assertEqual(self.reach("category=eventi")["telegram"], 2)


class EmailCheckboxes(unittest.TestCase):
    """E-mail against npm smtp-server: the opt-in form shows the areas and the categories
    one may choose as checkboxes; what is ticked travels in the confirmation link and is
    the new subscriber's choice; an area that does not exist is refused, nothing stored."""

    @classmethod
    def setUpClass(cls):
        import test_email as te
        if not te.have_peer():
            raise unittest.SkipTest("node or tests/node_modules/smtp-server missing")
        cls.te = te
        cls.smtp = te.SmtpPeer()
        cls.d = Deployment(example="leini", extra=[("channel", "platforms", "whatsapp, email")])
        cls.public = te.PUBLIC % cls.d.port
        with open(cls.d.config, encoding="utf-8") as f:
            text = f.read()
        text = re.sub(r"(?m)^\s*public_url\s*=.*\n", "", text)
        text = re.sub(r"(?m)^\[server\]\s*$", "[server]\npublic_url = %s" % cls.public, text)
        text += ("\n[email]\nfrom_address = %s\nfrom_name = Leini Informa\nsmtp_url = %s\ntls = none\n"
                 % (te.FROM, cls.smtp.url)) + CATEGORIES
        with open(cls.d.config, "w", encoding="utf-8") as f:
            f.write(text)
        cls.d.start()
        r = cls.d.cli("token", "create", "redazione")
        assert r.returncode == 0, r.stderr
        cls.token = re.findall(r"(?m)^(bnd_[A-Za-z0-9_-]{43})$", r.stdout)[0]

    @classmethod
    def tearDownClass(cls):
        if hasattr(cls, "d"):
            cls.d.cleanup()
        if hasattr(cls, "smtp"):
            cls.smtp.stop()

    def reach(self, query):
        status, raw = http("GET", self.d.base + "/api/v1/audience?" + query,
                           headers={"Authorization": "Bearer " + self.token})
        self.assertEqual(status, 200, raw)
        return json.loads(raw)["reach"]

    def test_form_checkboxes_travel_to_the_subscription(self):
        import urllib.parse
        d = self.d
        status, page = http("GET", d.base + "/")
        self.assertEqual(status, 200)
        page = page.decode()
        self.assertIn('name="area" value="fornacino"', page)
        self.assertIn('name="category" value="eventi"', page)
        self.assertNotIn('value="emergenze"', page, "emergencies are not a choice")
        addr = "cittadina.leini@example.org"
        # An area that does not exist: refused, nothing waits for confirmation.
        body = urllib.parse.urlencode([("email", addr), ("area", "centro")]).encode()
        status, raw = http("POST", d.base + "/email/subscribe", body,
                           {"Content-Type": "application/x-www-form-urlencoded"})
        self.assertEqual(status, 400, raw)
        self.assertIn("non esiste", raw.decode())
        self.assertEqual(d.query("SELECT count(*) FROM pending_joins"), [(0,)])
        # Fornacino and eventi ticked.
        body = urllib.parse.urlencode([("email", addr), ("area", "fornacino"), ("category", "eventi")]).encode()
        status, raw = http("POST", d.base + "/email/subscribe", body,
                           {"Content-Type": "application/x-www-form-urlencoded"})
        self.assertEqual(status, 202, raw)
        msg = [m for m in self.smtp.wait(1) if m["to"] == [addr]][0]
        plain, _ = self.te.parts(msg["msg"])
        link = re.search(re.escape(self.public) + r"/email/confirm\?t=[A-Za-z0-9_-]{43}&a=fornacino&c=eventi", plain)
        self.assertIsNotNone(link, plain)
        self.assertEqual(self.reach("category=eventi")["email"], 0, "nothing before confirming")
        status, raw = http("GET", link.group(0))
        self.assertEqual(status, 200, raw)
        self.assertEqual(d.query("SELECT count(*) FROM subscribers WHERE platform = 3 AND areas <> 0"
                                 " AND categories <> 0"), [(1,)])
        self.assertEqual(self.reach("category=eventi&areas=fornacino")["email"], 1)
        self.assertEqual(self.reach("category=eventi&areas=tedeschi")["email"], 0)
        self.assertEqual(self.reach("category=viabilita&areas=fornacino")["email"], 0)
        self.assertEqual(self.reach("category=emergenze&areas=tedeschi")["email"], 1)


if __name__ == "__main__":
    unittest.main(verbosity=2)
