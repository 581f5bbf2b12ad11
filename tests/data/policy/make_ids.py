#!/usr/bin/env python3
"""make_ids.py - fictitious codici fiscali and IBANs with valid checksums, for violating.jsonl.

The violating corpus must contain personal identifiers that the policy's detectors accept
as real (the codice fiscale's check character, the IBAN's mod-97 and the Italian CIN), yet
belong to nobody: the names, dates and account numbers below are invented. Run it to print
the values pasted into violating.jsonl; `--check VALUE...` validates values instead.

Python 3 standard library only.
"""
import sys

# Codice fiscale check character (DM 23/12/1976): odd positions (1st, 3rd, ...) use this
# table, even positions the plain value (0-9 for digits, 0-25 for letters).
_ODD = {
    "0": 1, "1": 0, "2": 5, "3": 7, "4": 9, "5": 13, "6": 15, "7": 17, "8": 19, "9": 21,
    "A": 1, "B": 0, "C": 5, "D": 7, "E": 9, "F": 13, "G": 15, "H": 17, "I": 19, "J": 21,
    "K": 2, "L": 4, "M": 18, "N": 20, "O": 11, "P": 3, "Q": 6, "R": 8, "S": 12, "T": 14,
    "U": 16, "V": 10, "W": 22, "X": 25, "Y": 24, "Z": 23,
}
_MONTHS = "ABCDEHLMPRST"
_VOWELS = "AEIOU"


def _even(c):
    return int(c) if c.isdigit() else ord(c) - ord("A")


def check_char(s):
    """The check character of the first 15 characters of a codice fiscale (or of the 22
    characters of an Italian BBAN without its CIN: the same tables)."""
    total = 0
    for i, c in enumerate(s.upper()):
        total += _ODD[c] if i % 2 == 0 else _even(c)
    return chr(ord("A") + total % 26)


def _letters(word, is_name):
    w = "".join(c for c in word.upper() if c.isalpha())
    cons = [c for c in w if c not in _VOWELS]
    vows = [c for c in w if c in _VOWELS]
    if is_name and len(cons) >= 4:
        cons = [cons[0], cons[2], cons[3]]
    return ("".join(cons + vows) + "XXX")[:3]


def codice_fiscale(surname, name, year, month, day, female, belfiore):
    """A codice fiscale for an invented person (belfiore: the municipality code, e.g. L219)."""
    base = "%s%s%02d%s%02d%s" % (_letters(surname, False), _letters(name, True), year % 100,
                                 _MONTHS[month - 1], day + (40 if female else 0), belfiore)
    return base + check_char(base)


def cf_valid(cf):
    cf = cf.upper()
    return len(cf) == 16 and cf[15] == check_char(cf[:15])


def _iban_number(s):
    return int("".join(str(int(c, 36)) for c in s))


def iban_it(abi, cab, account):
    """An Italian IBAN: IT + check digits + CIN + ABI (5) + CAB (5) + account (12)."""
    account = account.upper().rjust(12, "0")
    bban_tail = abi + cab + account
    bban = check_char(bban_tail) + bban_tail
    check = 98 - _iban_number(bban + "IT00") % 97
    return "IT%02d%s" % (check, bban)


def iban_valid(iban):
    s = iban.replace(" ", "").upper()
    return len(s) >= 15 and _iban_number(s[4:] + s[:4]) % 97 == 1


def grouped(iban):
    return " ".join(iban[i:i + 4] for i in range(0, len(iban), 4))


# Invented people: surname, name, birth date, sex, municipality code of birth.
PEOPLE = [
    ("Ferrandino", "Ottavio", 1968, 3, 14, False, "L219"),
    ("Trabucchi", "Ilaria", 1985, 11, 2, True, "F205"),
    ("Lomellini", "Gerardo", 1952, 7, 30, False, "I690"),
    ("Quaranta", "Rosalba", 1979, 1, 9, True, "E514"),
    ("Brambati", "Lucio", 1990, 5, 21, False, "C952"),
    ("Scuderi", "Agata", 1963, 9, 5, True, "I754"),
    ("Pellegatta", "Dario", 2001, 12, 17, False, "I709"),
    ("Vismara", "Nives", 1947, 4, 28, True, "F704"),
    ("Carpaneto", "Silvano", 1974, 6, 11, False, "L682"),
    ("Giuffrida", "Teresa", 1988, 2, 3, True, "C351"),
]

# Invented accounts: ABI, CAB, account number.
ACCOUNTS = [
    ("01005", "30870", "000000123456"),
    ("02008", "01600", "000104583921"),
    ("03069", "09606", "100000047811"),
    ("05034", "33180", "000000009157"),
    ("06230", "84720", "000040272615"),
    ("08440", "33340", "000000716403"),
    ("03032", "17100", "010000002934"),
    ("05696", "01600", "000007381X52"),
]


def main(argv):
    if len(argv) > 1 and argv[1] == "--check":
        ok = True
        for v in argv[2:]:
            s = v.replace(" ", "").upper()
            good = iban_valid(s) if s[:2].isalpha() and s[2:4].isdigit() and len(s) >= 15 \
                else cf_valid(s)
            print("%s %s" % ("ok " if good else "BAD", v))
            ok = ok and good
        return 0 if ok else 1
    print("# codici fiscali (fictitious people, valid check character)")
    for p in PEOPLE:
        cf = codice_fiscale(*p)
        assert cf_valid(cf)
        print("%s  %s %s" % (cf, p[1], p[0]))
    print("# IBAN (fictitious accounts, valid CIN and mod-97)")
    for a in ACCOUNTS:
        iban = iban_it(*a)
        assert iban_valid(iban)
        print("%s  %s" % (iban, grouped(iban)))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
