"""Integration tests of issue #8, items 1 and 7: two-step joining and cost before sending.

The real daemon runs against the simulator (banditore-sim) on a real SQLite file, with
[keywords] confirm_join = yes: the keyword gets the question (an interactive message
with two reply buttons, checked by the simulator as the Cloud API does), and only "Sì"
or the button makes the subscription, with its consent receipt. Every other path
("No", an answer that is neither, an aged request) must leave nothing: the database and
its WAL are scanned for the number and for the sealed bytes the request held.
Costs: `banditore publish` and the API show the estimate and the month so far.

Environment: BANDITORE, BANDITORE_SIM. Numbers are fictitious (+39 333 000 xxxx).
"""
import json
import os
import re
import sqlite3
import sys
import time
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from test_whatsapp_inbound import ACCESS_TOKEN, Deployment, http, text_of  # noqa: E402

PHONE_NUMBER_ID = "100000000000001"


def button_body(number, button_id, title, msg_id):
    """What Meta posts when the citizen taps a reply button."""
    return json.dumps({
        "object": "whatsapp_business_account",
        "entry": [{"id": "100000000000000", "changes": [{"field": "messages", "value": {
            "messaging_product": "whatsapp",
            "metadata": {"display_phone_number": "393660000000", "phone_number_id": PHONE_NUMBER_ID},
            "contacts": [{"profile": {"name": "Cittadino"}, "wa_id": number}],
            "messages": [{"from": number, "id": msg_id, "timestamp": str(int(time.time())),
                          "type": "interactive",
                          "interactive": {"type": "button_reply",
                                          "button_reply": {"id": button_id, "title": title}}}]}}]}]}).encode()


class TwoStepJoin(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.d = Deployment(extra=[("keywords", "confirm_join", "yes"),
                                  ("keywords", "confirm_within_hours", "24")]).start()

    @classmethod
    def tearDownClass(cls):
        cls.d.cleanup()

    def pending(self):
        return self.d.query("SELECT sealed, created_at FROM pending_joins WHERE platform = 1")

    def subscribers(self):
        return self.d.query("SELECT sealed, method, policy_version FROM subscribers WHERE platform = 1")

    def ask(self, number):
        """Sends the keyword; checks the question and that only the request is stored."""
        d = self.d
        before = len(self.subscribers())
        n = len(d.received(number))
        d.say(number, "ATTIVA ISCRIZIONE")
        msg = d.wait_received(number, n + 1)[-1]
        self.assertEqual(msg.get("type"), "interactive", msg)
        inter = msg["interactive"]
        self.assertEqual(inter["type"], "button")
        body = inter["body"]["text"]
        self.assertIn("Rispondi SÌ per confermare l'iscrizione", body)
        self.assertIn("WhatsConcorezzo", body)
        self.assertGreaterEqual(len(re.findall(r"https?://", body)), 2, "policy and privacy notice linked")
        self.assertIn("24 ore", body)
        buttons = inter["action"]["buttons"]
        self.assertEqual([b["type"] for b in buttons], ["reply", "reply"])
        self.assertEqual([b["reply"]["id"] for b in buttons], ["banditore:join:yes", "banditore:join:no"])
        self.assertTrue(all(1 <= len(b["reply"]["title"]) <= 20 for b in buttons))
        self.assertEqual(len(self.subscribers()), before, "no subscription before the answer")
        rows = self.pending()
        self.assertTrue(rows)
        sealed = [r[0] for r in rows]
        self.assertTrue(all(number.encode() not in s for s in sealed), "only sealed")
        return sealed

    def assert_not_subscribed(self, number):
        r = self.d.cli("subscribers", "show", "+" + number)
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertRegex(r.stdout, r"Nessun dato conservato|No data held")

    def assert_erased(self, number, sealed):
        d = self.d
        d.wait_outbox_empty()
        deadline = time.time() + 5
        while True:
            blobs = b""
            for suffix in ("", "-wal"):
                try:
                    with open(d.db + suffix, "rb") as f:
                        blobs += f.read()
                except FileNotFoundError:
                    pass
            leaks = [n for n in (number.encode(), ("+" + number).encode(), number[2:].encode())
                     if n in blobs]
            leaks += ["sealed request"] if any(s in blobs for s in sealed) else []
            if not leaks or time.time() > deadline:
                break
            time.sleep(0.1)
        self.assertEqual(leaks, [], "request still in the files: %r" % leaks)

    def test_keyword_question_yes_joins_with_receipt(self):
        d = self.d
        for i, yes in enumerate(["Sì", "si", "SI", "sì!"]):
            number = "39333000%04d" % (810 + i)
            self.ask(number)
            d.say(number, yes)
            msgs = d.wait_received(number, 2)
            self.assertIn("WhatsConcorezzo", text_of(msgs[1]))
            shown = d.cli("subscribers", "show", "+" + number)
            self.assertEqual(shown.returncode, 0, shown.stderr)
            self.assertIn("keyword-confirm", shown.stdout)
            self.assertEqual(self.d.query("SELECT count(*) FROM pending_joins")[0][0], 0)
            methods = [r[1] for r in self.subscribers()]
            self.assertIn("keyword-confirm", methods)
            # leaving afterwards erases as usual
            sealed = [r[0] for r in self.subscribers()]
            d.say(number, "DISATTIVA ISCRIZIONE")
            d.wait_received(number, 3)
            self.assert_not_subscribed(number)
            self.assert_erased(number, [s for s in sealed if s not in [r[0] for r in self.subscribers()]])

    def test_simulator_checks_the_buttons_shape(self):
        """The simulator refuses reply buttons the Cloud API would refuse."""
        d = self.d

        def send(buttons, text="Confermi?"):
            msg = {"messaging_product": "whatsapp", "recipient_type": "individual",
                   "to": "393330000899", "type": "interactive",
                   "interactive": {"type": "button", "body": {"text": text},
                                   "action": {"buttons": buttons}}}
            return http("POST", d.sim_base + "/v23.0/%s/messages" % d.phone_number_id(),
                        json.dumps(msg).encode(), {"Authorization": "Bearer " + ACCESS_TOKEN,
                                                   "Content-Type": "application/json"})[0]

        def b(i, title):
            return {"type": "reply", "reply": {"id": "id-%d" % i, "title": title}}

        self.assertEqual(send([b(1, "Sì, mi iscrivo"), b(2, "No")]), 200)
        self.assertEqual(send([b(i, "T%d" % i) for i in range(4)]), 400, "at most 3")
        self.assertEqual(send([]), 400)
        self.assertEqual(send([b(1, "x" * 21)]), 400, "title at most 20")
        self.assertEqual(send([b(1, "A"), b(1, "B")]), 400, "unique ids")
        self.assertEqual(send([b(1, "Sì")], text="x" * 1025), 400, "body at most 1024")

    def test_button_reply_joins(self):
        d = self.d
        number = "393330000820"
        self.ask(number)
        status, _ = d.post_webhook(button_body(number, "banditore:join:yes", "Sì, mi iscrivo", "wamid.J820"))
        self.assertEqual(status, 200)
        d.wait_received(number, 2)
        shown = d.cli("subscribers", "show", "+" + number)
        self.assertEqual(shown.returncode, 0, shown.stderr)
        self.assertIn("keyword-confirm", shown.stdout)
        d.say(number, "DISATTIVA ISCRIZIONE")
        d.wait_received(number, 3)

    def test_other_answer_gets_help_and_stores_nothing_more(self):
        d = self.d
        number = "393330000830"
        sealed = self.ask(number)
        before = self.subscribers()
        d.say(number, "forse")
        msgs = d.wait_received(number, 2)
        self.assertIn("Rispondi SÌ", text_of(msgs[1]))
        self.assertEqual(self.subscribers(), before, "no subscription")
        self.assertEqual(d.query("SELECT count(*) FROM kept_messages")[0][0], 0) if d.query(
            "SELECT count(*) FROM sqlite_master WHERE name = 'kept_messages'")[0][0] else None
        # then "No": forgotten, and nothing of it left in the files
        d.say(number, "No")
        msgs = d.wait_received(number, 3)
        self.assertRegex(text_of(msgs[2]), r"annullata")
        self.assertEqual(self.pending(), [])
        self.assertEqual(self.subscribers(), before)
        self.assert_erased(number, sealed)

    def test_no_button_forgets(self):
        d = self.d
        number = "393330000840"
        sealed = self.ask(number)
        status, _ = d.post_webhook(button_body(number, "banditore:join:no", "No", "wamid.N840"))
        self.assertEqual(status, 200)
        d.wait_received(number, 2)
        self.assertEqual(self.pending(), [])
        self.assert_not_subscribed(number)
        self.assert_erased(number, sealed)

    def test_expired_request_is_forgotten(self):
        d = self.d
        number = "393330000850"
        sealed = self.ask(number)
        # Age the request past confirm_within_hours (24).
        con = sqlite3.connect(d.db, timeout=10)
        con.execute("UPDATE pending_joins SET created_at = created_at - 25 * 3600")
        con.commit()
        con.close()
        d.say(number, "Sì")
        msgs = d.wait_received(number, 2)
        self.assertIn("nessuna richiesta", text_of(msgs[1]))
        self.assertEqual(self.pending(), [])
        self.assert_not_subscribed(number)
        self.assert_erased(number, sealed)
        # and a "Sì" out of the blue gets the same answer, storing nothing
        d.say(number, "si")
        msgs = d.wait_received(number, 3)
        self.assertIn("nessuna richiesta", text_of(msgs[2]))
        self.assertEqual(self.pending(), [])


class Costs(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.d = Deployment()
        with open(cls.d.config, "a", encoding="utf-8") as f:
            f.write("\n[costs]\ncurrency = EUR\nwhatsapp_utility = 0.0429\nwhatsapp_marketing = 0.0691\n"
                    "sms = 0.05\n")
        cls.d.start()

    @classmethod
    def tearDownClass(cls):
        cls.d.cleanup()

    def token(self):
        r = self.d.cli("token", "create", "costi")
        self.assertEqual(r.returncode, 0, r.stderr)
        return re.findall(r"(?m)^(bnd_[A-Za-z0-9_-]{43})$", r.stdout)[0]

    def test_publish_and_api_show_costs(self):
        d = self.d
        numbers = ["39333000%04d" % (900 + i) for i in range(3)]
        for n in numbers:
            d.say(n, "ATTIVA ISCRIZIONE")
        for n in numbers:
            d.wait_received(n, 1)
        r = d.cli("publish", "--category", "avvisi", "--text", "Domani mercato in piazza.")
        if r.returncode != 0 and "categor" in r.stderr:
            r = d.cli("publish", "--category", "utilita", "--text", "Domani mercato in piazza.")
        self.assertEqual(r.returncode, 0, r.stderr)
        # 3 x 0.0429 = 0.1287 → 0.13 EUR; nothing sent this month yet
        self.assertRegex(r.stdout, r"(?m)^(costo stimato|estimated cost)\s+0\.13 EUR$")
        self.assertRegex(r.stdout, r"(?m)^(costo del mese|month so far)\s+0\.00 EUR$")
        mid = int(re.search(r"(?m)^id\s+(\d+)", r.stdout).group(1))
        for n in numbers:
            d.wait_received(n, 2)
        tok = self.token()
        deadline = time.time() + 15
        while True:
            status, body = http("GET", d.base + "/api/v1/messages/%d" % mid,
                                headers={"Authorization": "Bearer " + tok})
            self.assertEqual(status, 200, body)
            cost = json.loads(body)["cost"]
            if cost["sent"] == 3 or time.time() > deadline:
                break
            time.sleep(0.1)
        self.assertEqual(cost["currency"], "EUR")
        self.assertEqual(cost["price_per_message"], "0.0429")
        self.assertEqual(cost["audience"], 3)
        self.assertEqual(cost["estimated"], "0.13")
        self.assertEqual(cost["spent"], "0.13")
        self.assertEqual(cost["month_so_far"], {"amount": "0.13", "sent": 3, "messages": 1})
        # a new draft through the API: the estimate before sending counts today's audience
        status, body = http("POST", d.base + "/api/v1/messages",
                            json.dumps({"text": "Lunedì uffici chiusi.",
                                        "category": json.loads(http("GET", d.base + "/api/v1/messages/%d" % mid,
                                                                    headers={"Authorization": "Bearer " + tok})[1])["category"]}).encode(),
                            {"Authorization": "Bearer " + tok, "Content-Type": "application/json"})
        self.assertEqual(status, 201, body)
        cost = json.loads(body)["cost"]
        self.assertEqual(cost["audience"], 3)
        self.assertEqual(cost["estimated"], "0.13")
        self.assertIsNone(cost["spent"] if cost["sent"] else None)
        self.assertEqual(cost["month_so_far"]["amount"], "0.13")


class UnknownPrice(unittest.TestCase):
    def test_publish_without_costs_says_unknown(self):
        d = Deployment().start()
        try:
            r = d.cli("publish", "--category", "avvisi", "--text", "Prova.", "--draft")
            if r.returncode != 0 and "categor" in r.stderr:
                r = d.cli("publish", "--category", "utilita", "--text", "Prova.", "--draft")
            self.assertEqual(r.returncode, 0, r.stderr)
            self.assertRegex(r.stdout, r"(non noto|unknown)")
            self.assertNotRegex(r.stdout, r"0\.00 EUR")
        finally:
            d.cleanup()


if __name__ == "__main__":
    unittest.main(verbosity=2)
