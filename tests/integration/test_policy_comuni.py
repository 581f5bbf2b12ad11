"""Acceptance tests of issue 4: each comune's policy, article by article, with its example
configuration (examples/comuni/) and the real `banditore`.

`banditore policy check --json --at TIME` walks what a machine can check of each policy:
an allowed message, a blocked one for each kind of rule, out-of-hours scheduling, an
electoral period, the categories of Sesto Calende's business channel; then `publish` and
the API refuse what the policy blocks, schedule a message for the next opening, and
count the editorial plan's messages a day. Everything in the messages is fictitious
(+39 333 000 xxxx numbers, example.org addresses, invented people).
Environment: BANDITORE, BANDITORE_SIM.
"""
import datetime
import json
import os
import re
import sys
import tempfile
import unittest
import urllib.error
import urllib.request

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import test_whatsapp_inbound as it  # noqa: E402

BANDITORE = it.BANDITORE
LEXICONS = os.path.join(it.ROOT, "data", "policy", "lexicons", "it")

# Wednesday 14 October 2026, 10:00 in Rome: office hours, no electoral period.
WEDNESDAY = "2026-10-14T10:00:00+02:00"
# Inside every example's (example) electoral period, 10 April - 25 May 2026.
ELECTION = "2026-05-20T10:00:00+02:00"
JUSTIFIED = "Comunicazione indispensabile per la sicurezza stradale."


def with_lexicons(text):
    """The example, reading the source tree's lexicons (the examples name the installed ones)."""
    if re.search(r"(?m)^\[content\]", text):
        return re.sub(r"(?m)^\[content\]\s*$", "[content]\nlexicon_dir = " + LEXICONS, text, count=1)
    return text + "\n[content]\nlexicon_dir = " + LEXICONS + "\n"


class PolicyCheck(unittest.TestCase):
    """`banditore policy check` on each example."""

    @classmethod
    def setUpClass(cls):
        cls.tmp = tempfile.TemporaryDirectory(prefix="banditore-policy-")
        cls.configs = {}
        for name in ("concorezzo", "leini", "seveso", "siracusa", "sesto-calende"):
            with open(os.path.join(it.ROOT, "examples", "comuni", name + ".ini"), encoding="utf-8") as f:
                text = with_lexicons(f.read())
            path = os.path.join(cls.tmp.name, name + ".ini")
            with open(path, "w", encoding="utf-8") as f:
                f.write(text)
            cls.configs[name] = path

    @classmethod
    def tearDownClass(cls):
        cls.tmp.cleanup()

    def check(self, comune, at=WEDNESDAY, json_out=True, env=None, **msg):
        msg.setdefault("priority", "normal")
        path = os.path.join(self.tmp.name, "message.json")
        with open(path, "w", encoding="utf-8") as f:
            json.dump(msg, f, ensure_ascii=False)
        args = ["policy", "check", "--config", self.configs[comune], "--at", at, path]
        if json_out:
            args.insert(2, "--json")
        r = it.subprocess.run([BANDITORE, *args], capture_output=True, text=True, timeout=60,
                              env=dict(os.environ, **(env or {"LANG": "C.UTF-8", "LC_ALL": ""})))
        self.assertIn(r.returncode, (0, 1), r.stderr)
        if not json_out:
            return r.returncode, r.stdout
        res = json.loads(r.stdout)
        self.assertEqual(res["allowed"], r.returncode == 0)
        return res

    def verdict(self, res, rule):
        for v in res["verdicts"]:
            if v["rule"] == rule:
                return v
        self.fail("no %s verdict in %s" % (rule, json.dumps(res, ensure_ascii=False)))

    def assertBlockedBy(self, res, rule, source=None, level="block"):
        self.assertFalse(res["allowed"], res)
        v = self.verdict(res, rule)
        self.assertEqual(v["level"], level)
        self.assertTrue(v["reason"] and v["reason_en"])
        if source:
            self.assertEqual(v["source"], source)
        return v

    # ---- Concorezzo ----

    def test_concorezzo_art4_allowed(self):
        res = self.check("concorezzo", category="viabilita", title="Via Dante chiusa",
                         text="Da lunedì via Dante è chiusa al traffico per lavori fino a venerdì.")
        self.assertTrue(res["allowed"], res)
        self.assertEqual([v for v in res["verdicts"] if v["level"] != "info"], [])
        self.assertEqual(res["send_at"], "2026-10-14T08:00:00Z")

    def test_concorezzo_art3_hours(self):
        text = "Ritiro dei rifiuti ingombranti su prenotazione il primo sabato del mese."
        # Friday evening: Monday at 9:00.
        res = self.check("concorezzo", at="2026-10-16T18:00:00+02:00", category="utilita", text=text)
        self.assertTrue(res["allowed"])
        v = self.verdict(res, "hours.outside")
        self.assertEqual((v["level"], v["source"]), ("info", "Concorezzo, art. 3"))
        self.assertIn("dal lunedì al venerdì dalle 9:00 alle 13:00", v["reason"])
        self.assertEqual(res["send_at"], "2026-10-19T07:00:00Z")
        # Across the autumn change of time: Monday 9:00 is 08:00 UTC.
        res = self.check("concorezzo", at="2026-10-23T18:00:00+02:00", category="utilita", text=text)
        self.assertEqual(res["send_at"], "2026-10-26T08:00:00Z")
        # Across the spring change: Monday 30 March 2026 at 9:00 is 07:00 UTC.
        res = self.check("concorezzo", at="2026-03-27T13:30:00+01:00", category="utilita", text=text)
        self.assertEqual(res["send_at"], "2026-03-30T07:00:00Z")
        # The patron saints (26 September, a Friday in 2025) and Easter Monday.
        res = self.check("concorezzo", at="2025-09-25T14:00:00+02:00", category="utilita", text=text)
        self.assertEqual(res["send_at"], "2025-09-29T07:00:00Z")
        res = self.check("concorezzo", at="2026-04-04T10:00:00+02:00", category="utilita", text=text)
        self.assertEqual(res["send_at"], "2026-04-07T07:00:00Z")
        # A time asked inside the hours stays.
        res = self.check("concorezzo", category="utilita", text=text,
                         scheduled_at="2026-10-15T11:30:00+02:00")
        self.assertEqual(res["send_at"], "2026-10-15T09:30:00Z")

    def test_concorezzo_art3_emergencies_at_once(self):
        res = self.check("concorezzo", at="2026-10-17T02:00:00+02:00", category="emergenze",
                         priority="emergency", title="Allerta meteo",
                         text="Allerta rossa per temporali: evitate i sottopassi e restate in casa.")
        self.assertTrue(res["allowed"], res)
        self.assertEqual(res["send_at"], "2026-10-17T00:00:00Z")
        self.assertNotIn("hours.outside", [v["rule"] for v in res["verdicts"]])
        # The emergency priority on an ordinary category is a warning to justify.
        res = self.check("concorezzo", at="2026-10-17T02:00:00+02:00", category="eventi",
                         priority="emergency", text="Concerto rinviato a domenica.")
        self.assertBlockedBy(res, "category.not_allowed", level="warn")

    def test_concorezzo_art4_forbidden_content(self):
        res = self.check("concorezzo", category="eventi", text=(
            "Gli iscritti alla corsa riceveranno un codice sconto del 10% valido su tutto il catalogo "
            "del negozio di articoli sportivi Runner Point."))
        v = self.assertBlockedBy(res, "content.advertising", "Concorezzo, art. 4 i", level="warn")
        self.assertEqual(v["field"], "text")
        self.assertGreater(v["length"], 0)
        # Art. 4 i, overridden with a written reason: may go; an empty reason is none.
        over = [{"rule": "content.advertising", "reason": ""}]
        res = self.check("concorezzo", category="eventi", overrides=over, text=(
            "Gli iscritti alla corsa riceveranno un codice sconto del 10% dal negozio Runner Point."))
        self.assertFalse(res["allowed"])
        over[0]["reason"] = "Sconto offerto dallo sponsor della corsa comunale, deliberato dalla Giunta."
        res = self.check("concorezzo", category="eventi", overrides=over, text=(
            "Gli iscritti alla corsa riceveranno un codice sconto del 10% dal negozio Runner Point."))
        self.assertTrue(res["allowed"], res)
        self.assertTrue(self.verdict(res, "content.advertising")["overridden"])
        # Art. 4 a-b: obscene language blocks, and cannot be overridden.
        res = self.check("concorezzo", category="viabilita", overrides=[
            {"rule": "content.obscene", "reason": "Citazione."}],
            text="Chi parcheggia sugli stalli per disabili è un coglione.")
        self.assertBlockedBy(res, "content.obscene", "Concorezzo, art. 4 a")
        # Art. 7: personal data of private persons.
        res = self.check("concorezzo", category="utilita",
                         text="Smarrito un cane: chi lo trova chiami il proprietario al +39 333 000 5678.")
        self.assertBlockedBy(res, "content.phone", "Concorezzo, art. 7")
        # ... but the comune's own help-desk address is fine.
        res = self.check("concorezzo", category="utilita",
                         text="Per problemi con il servizio scrivete a comunicazione@comune.concorezzo.mb.it.")
        self.assertTrue(res["allowed"], res)

    def test_concorezzo_art6_electoral_period(self):
        res = self.check("concorezzo", at=ELECTION, category="eventi",
                         text="Sabato concerto della banda in piazza della Pace.")
        self.assertBlockedBy(res, "electoral.category", "Concorezzo, art. 6 e legge 28/2000 art. 9")
        res = self.check("concorezzo", at=ELECTION, category="viabilita",
                         text="Da lunedì chiusa via Milano per il rifacimento dell'asfalto.")
        self.assertBlockedBy(res, "electoral.justification")
        res = self.check("concorezzo", at=ELECTION, category="viabilita", justification=JUSTIFIED,
                         text="Da lunedì chiusa via Milano per il rifacimento dell'asfalto.")
        self.assertTrue(res["allowed"], res)
        res = self.check("concorezzo", at=ELECTION, category="viabilita", justification=JUSTIFIED,
                         text="L'assessore Marta Colnaghetti comunica che da lunedì è chiusa via Milano.")
        self.assertBlockedBy(res, "content.name")
        # The same name outside the period is no finding.
        res = self.check("concorezzo", category="viabilita",
                         text="L'assessore Marta Colnaghetti comunica che da lunedì è chiusa via Milano.")
        self.assertTrue(res["allowed"], res)

    def test_unknown_category(self):
        res = self.check("concorezzo", category="saldi", text="Avviso.")
        v = self.assertBlockedBy(res, "category.unknown", "Concorezzo, art. 4")
        self.assertIn("viabilita", v["reason"])

    def test_human_output_italian_and_english(self):
        rc, out = self.check("leini", json_out=False, category="utilita",
                             text="Il pregiudicato Gerardo Lomellini, già condannato per furto, è tornato.")
        self.assertEqual(rc, 1)
        self.assertIn("BLOCCO", out)
        self.assertIn("content.judicial (Leini, art. 4 c. 4)", out)
        self.assertIn("Esito: il messaggio è bloccato", out)
        rc, out = self.check("leini", json_out=False, env={"LANG": "en_US.UTF-8", "LC_ALL": ""},
                             category="utilita",
                             text="Il pregiudicato Gerardo Lomellini, già condannato per furto, è tornato.")
        self.assertIn("BLOCK", out)
        self.assertIn("Outcome: the message is blocked", out)

    # ---- Leini ----

    def test_leini_art2(self):
        # Art. 2 c. 1: a road notice; no service hours in this policy: it goes at night too.
        res = self.check("leini", at="2026-10-17T23:00:00+02:00", category="viabilita",
                         text="Domani via Torino chiusa dalle 8 alle 18 per lavori.")
        self.assertTrue(res["allowed"], res)
        self.assertEqual(res["send_at"], "2026-10-17T21:00:00Z")
        # Art. 2 c. 2: electoral propaganda.
        res = self.check("leini", category="eventi", text=(
            "Domenica vota e fai votare Leini Domani: una croce sul simbolo per cambiare davvero il paese!"))
        self.assertBlockedBy(res, "content.propaganda", "Leini, art. 2 c. 2")
        # Art. 2 c. 5-6: links in https, with the notice that the channel is not the Albo.
        res = self.check("leini", category="utilita", text="I moduli del contributo affitti sono sul sito.",
                         link="http://www.comune.leini.to.it/modulistica/affitti")
        self.assertBlockedBy(res, "content.insecure_link", "Leini, art. 2 c. 6")
        res = self.check("leini", category="utilita", text="I moduli del contributo affitti sono sul sito.",
                         link="https://www.comune.leini.to.it/modulistica/affitti")
        self.assertTrue(res["allowed"], res)
        v = self.verdict(res, "links.disclaimer")
        self.assertEqual((v["level"], v["source"]), ("info", "Leini, art. 2 c. 5-6"))
        self.assertIn("Albo Pretorio", v["reason"])

    def test_leini_art4_special_data(self):
        res = self.check("leini", category="utilita", text=(
            "L'Ufficio Anagrafe oggi chiude alle 11 perché l'impiegata è ricoverata in ospedale per un "
            "intervento al cuore."))
        self.assertBlockedBy(res, "content.health", "Leini, art. 4 c. 4")
        res = self.check("leini", category="utilita", text=(
            "È stato erogato il contributo alla richiedente (codice fiscale QRNRLB79A49E514O)."))
        v = self.assertBlockedBy(res, "content.codice_fiscale", "Leini, art. 1 c. 5")
        self.assertEqual(v["length"], 16)

    # ---- Seveso ----

    def test_seveso(self):
        res = self.check("seveso", category="utilita",
                         text="Il calendario della raccolta differenziata 2027 è disponibile in Comune.")
        self.assertTrue(res["allowed"], res)
        res = self.check("seveso", category="bandi", text=(
            "Il primo concorrente, Silvano Carpaneto, ha precedenti penali per bancarotta."))
        self.assertBlockedBy(res, "content.judicial", "Seveso, art. 4 c. 4")
        res = self.check("seveso", at=ELECTION, category="istituzionale", justification=JUSTIFIED,
                         text="Sabato l'Amministrazione inaugura la nuova biblioteca civica.")
        self.assertBlockedBy(res, "electoral.category")

    # ---- Siracusa ----

    def test_siracusa(self):
        res = self.check("siracusa", category="utilita", text=(
            "Per segnalazioni scrivete allo Sportello al Cittadino, sportello.cittadino@comune.siracusa.it."))
        self.assertTrue(res["allowed"], res)
        res = self.check("siracusa", category="utilita",
                         text="Per informazioni scrivete a mario.esempio@example.org.")
        self.assertBlockedBy(res, "content.email", "Siracusa, art. 1 c. 5")
        # Art. 6 c. 6: an experience fit for every age.
        res = self.check("siracusa", category="utilita",
                         text="Minchia, ogni sera qualcuno lascia i mastelli aperti in mezzo alla strada!")
        self.assertBlockedBy(res, "content.obscene", "Siracusa, art. 6 c. 6")

    # ---- Sesto Calende: a channel for businesses only ----

    def test_sesto_calende_categories(self):
        res = self.check("sesto-calende", category="bandi", title="Bando dehors", text=(
            "Fino al 30 novembre le attività possono chiedere il contributo per i dehors."),
            link="https://www.comune.sesto-calende.va.it/bandi/dehors")
        self.assertTrue(res["allowed"], res)
        # Not a business channel's category: refused, naming those it has.
        for cat in ("istituzionale", "utilita"):
            res = self.check("sesto-calende", category=cat, text="Avviso ai cittadini.")
            v = self.assertBlockedBy(res, "category.unknown", "Sesto Calende, punti 1-3")
            self.assertIn("bandi", v["reason"])
        res = self.check("sesto-calende", at=ELECTION, category="eventi", justification=JUSTIFIED,
                         text="Sabato notte bianca in centro.")
        self.assertBlockedBy(res, "electoral.category", "Sesto Calende, legge 28/2000 art. 9")


def next_saturday_10():
    """A Saturday at 10:00 Rome time at least two days ahead whose Monday is a working day."""
    holidays = {(1, 1), (1, 6), (4, 25), (5, 1), (6, 2), (8, 15), (10, 4), (11, 1), (12, 8),
                (12, 25), (12, 26), (9, 26)}
    day = datetime.date.today() + datetime.timedelta(days=2)
    while True:
        monday = day + datetime.timedelta(days=2)
        if day.weekday() == 5 and (monday.month, monday.day) not in holidays and monday.month not in (3, 4):
            return day, monday
        day += datetime.timedelta(days=1)


def rome_offset(d):
    """+01:00 or +02:00 on date d (EU rule), for dates away from the change nights."""
    def last_sunday(month):
        x = datetime.date(d.year, month, 31)
        return x - datetime.timedelta(days=(x.weekday() + 1) % 7)
    return "+02:00" if last_sunday(3) < d < last_sunday(10) else "+01:00"


class PublishAndApi(unittest.TestCase):
    """publish and the API run the same check, with Concorezzo's and Sesto Calende's policy."""

    def deployment(self, example):
        d = it.Deployment(example, policy=True)
        with open(d.config, encoding="utf-8") as f:
            text = with_lexicons(f.read())
        with open(d.config, "w", encoding="utf-8") as f:
            f.write(text)
        return d.start()

    def test_publish_refuses_blocked_and_schedules_next_opening(self):
        d = self.deployment("concorezzo")
        try:
            r = d.cli("publish", "--category", "utilita", "--text",
                      "Chi trova il cane chiami il proprietario al +39 333 000 5678.")
            self.assertEqual(r.returncode, 1, r.stdout + r.stderr)
            self.assertIn("content.phone", r.stdout)
            self.assertEqual(d.query("SELECT count(*) FROM messages")[0][0], 0)
            # Asked for a Saturday: it goes on Monday at 9.
            sat, mon = next_saturday_10()
            r = d.cli("publish", "--category", "utilita", "--draft", "--text", "Nuovi orari della biblioteca.",
                      "--at", "%sT10:00:00%s" % (sat.isoformat(), rome_offset(sat)))
            self.assertEqual(r.returncode, 0, r.stdout + r.stderr)
            self.assertIn("hours.outside", r.stdout)
            want = datetime.datetime.fromisoformat("%sT09:00:00%s" % (mon.isoformat(), rome_offset(mon)))
            self.assertEqual(d.query("SELECT scheduled_at FROM messages")[0][0], int(want.timestamp()))
            # An advertising warning goes through only with a reason, which is required.
            text = "Al mercato sconto del 20% su tutte le pizze: offerta imperdibile!"
            r = d.cli("publish", "--category", "eventi", "--draft", "--text", text)
            self.assertEqual(r.returncode, 1, r.stdout + r.stderr)
            r = d.cli("publish", "--category", "eventi", "--draft", "--text", text,
                      "--override", "content.advertising=Iniziativa della Pro Loco patrocinata dal Comune.")
            self.assertEqual(r.returncode, 0, r.stdout + r.stderr)
            self.assertIn("SUPERATO", r.stdout)
        finally:
            d.cleanup()

    def test_api_422_with_verdicts(self):
        d = self.deployment("concorezzo")
        try:
            r = d.cli("token", "create", "redazione")
            self.assertEqual(r.returncode, 0, r.stderr)
            token = re.findall(r"(?m)^(bnd_[A-Za-z0-9_-]{43})$", r.stdout)[0]

            def post(body):
                req = urllib.request.Request(d.base + "/api/v1/messages", method="POST",
                                             data=json.dumps(body).encode(),
                                             headers={"Authorization": "Bearer " + token,
                                                      "Content-Type": "application/json"})
                try:
                    with urllib.request.urlopen(req, timeout=10) as resp:
                        return resp.status, json.loads(resp.read())
                except urllib.error.HTTPError as e:
                    return e.code, json.loads(e.read())

            status, data = post({"category": "utilita", "text": "Contributo a BRMLCU90E21C952G erogato."})
            self.assertEqual(status, 422, data)
            self.assertEqual(data["error"], "policy")
            v = [x for x in data["verdicts"] if x["rule"] == "content.codice_fiscale"][0]
            self.assertEqual((v["level"], v["source"], v["field"], v["length"]),
                             ("block", "Concorezzo, art. 7", "text", 16))
            self.assertEqual(d.query("SELECT count(*) FROM messages")[0][0], 0)
            status, data = post({"category": "saldi", "text": "Avviso."})
            self.assertEqual(status, 422, data)
            self.assertIn("category.unknown", [x["rule"] for x in data["verdicts"]])
            # Overrides must be well formed.
            status, data = post({"category": "utilita", "text": "Avviso.", "overrides": "tutto"})
            self.assertEqual(status, 422, data)
            self.assertEqual(data.get("field"), "overrides")
            sat, mon = next_saturday_10()
            status, data = post({"category": "utilita", "text": "Nuovi orari della biblioteca.",
                                 "link": "https://www.comune.concorezzo.mb.it/biblioteca",
                                 "scheduled_at": "%sT10:00:00%s" % (sat.isoformat(), rome_offset(sat))})
            self.assertEqual(status, 201, data)
            self.assertIn("hours.outside", [x["rule"] for x in data["verdicts"]])
            want = datetime.datetime.fromisoformat("%sT09:00:00%s" % (mon.isoformat(), rome_offset(mon)))
            got = d.query("SELECT scheduled_at, text FROM messages")[0]
            self.assertEqual(got[0], int(want.timestamp()))
            self.assertIn("canale informativo", got[1])  # the disclaimer, appended
        finally:
            d.cleanup()

    def test_sesto_calende_frequency(self):
        # The editorial plan: at most 2 normal messages a day (warn), emergencies exempt.
        d = self.deployment("sesto-calende")
        try:
            for i in range(2):
                r = d.cli("publish", "--category", "bandi", "--text", "Scadenza del canone %d." % i)
                self.assertEqual(r.returncode, 0, r.stdout + r.stderr)
            r = d.cli("publish", "--category", "bandi", "--text", "Scadenza del canone 3.")
            self.assertEqual(r.returncode, 1, r.stdout + r.stderr)
            self.assertIn("frequency.day", r.stdout)
            r = d.cli("publish", "--category", "emergenze", "--emergency", "--text", "Esondazione del lago.")
            self.assertEqual(r.returncode, 0, r.stdout + r.stderr)
            r = d.cli("publish", "--category", "bandi", "--text", "Scadenza del canone 3.",
                      "--override", "frequency.day=Proroga urgente decisa dalla Giunta.")
            self.assertEqual(r.returncode, 0, r.stdout + r.stderr)
        finally:
            d.cleanup()

    def test_approval_checks_again_with_the_stored_notes(self):
        # Drafts written while the day's quota was free; approving the third finds it used
        # up (422 with the verdicts, still a draft), while the one whose override reason
        # was stored with it goes.
        d = self.deployment("sesto-calende")
        try:
            ids = []
            reason = "Proroga urgente decisa dalla Giunta."
            for i in range(4):
                extra = ["--override", "frequency.day=" + reason] if i == 3 else []
                r = d.cli("publish", "--category", "bandi", "--draft",
                          "--text", "Scadenza del canone %d." % i, *extra)
                self.assertEqual(r.returncode, 0, r.stdout + r.stderr)
                ids.append(int(re.search(r"(?m)^id\s+(\d+)", r.stdout).group(1)))
            notes = json.loads(d.query("SELECT policy_notes FROM messages WHERE id = ?", (ids[3],))[0][0])
            self.assertEqual(notes["overrides"][0], {"rule": "frequency.day", "reason": reason})
            self.assertEqual(d.query("SELECT policy_notes FROM messages WHERE id = ?", (ids[0],))[0][0], "")
            r = d.cli("token", "create", "redazione")
            token = re.findall(r"(?m)^(bnd_[A-Za-z0-9_-]{43})$", r.stdout)[0]

            def send(mid):
                req = urllib.request.Request(d.base + "/api/v1/messages/%d/send" % mid, method="POST",
                                             data=b"", headers={"Authorization": "Bearer " + token})
                try:
                    with urllib.request.urlopen(req, timeout=10) as resp:
                        return resp.status, json.loads(resp.read())
                except urllib.error.HTTPError as e:
                    return e.code, json.loads(e.read())

            for mid in ids[:2]:
                status, data = send(mid)
                self.assertEqual(status, 202, data)
            status, data = send(ids[2])
            self.assertEqual(status, 422, data)
            self.assertEqual(data["error"], "policy")
            v = [x for x in data["verdicts"] if x["rule"] == "frequency.day"][0]
            self.assertEqual((v["level"], v["overridden"]), ("warn", False))
            self.assertEqual(d.query("SELECT state FROM messages WHERE id = ?", (ids[2],))[0][0], 0)
            status, data = send(ids[3])
            self.assertEqual(status, 202, data)
            self.assertNotEqual(d.query("SELECT state FROM messages WHERE id = ?", (ids[3],))[0][0], 0)
        finally:
            d.cleanup()


if __name__ == "__main__":
    unittest.main(verbosity=2)
