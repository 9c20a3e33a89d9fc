"""Child-level identifiers in text: UPNs, NHS numbers, dates of birth and postcodes.

Returns carry totals only, so a cell that looks like it identifies a child rejects the
file (rule C17, or an explanation refused). Text is normalised first — NFKC (full-width
letters and digits become ASCII), invisible format characters (zero-width spaces and
joiners, soft hyphens, direction marks) removed, runs of white space folded — so that
spacing, punctuation, glued prefixes and look-alike characters do not hide an identifier.

* **UPN**: a letter and 11 digits and a letter or digit (``A123456789012``).
* **NHS number**: ten digits, written together or split by spaces, dots or dashes, that
  pass the NHS modulus 11 check (``943 476 5919``, ``NHS9434765919``).
* **Date of birth**: in free text (commentary, explanations) a date written after "DOB",
  "date of birth", "born" and the like, in the common forms (``DoB 3rd April 2015``,
  ``d.o.b. 03/04/15``); in code and figure cells any date at all.
* **Postcode**: a UK postcode whose area is one of the real postcode areas, with any
  spacing (``SW1A  1AA``, ``sw1a1aa``) — so ordinary words such as ``Q3 1st`` or
  ``Q2 2nd`` are not taken for one.

Names are out of scope: no pattern tells a child's name from a worker's, a service's or
a place's, and the user guide says so.

>>> find("DOB: 2015-04-03")
['date of birth']
>>> find("NHS no: 943.476.5919")
['NHS number']
>>> find("Seen in Q3 1st week; Q2 2nd half")
[]
"""

from __future__ import annotations

import re
import unicodedata
from typing import Literal

Context = Literal["free_text", "code", "figure"]

# The UK's postcode areas (the letters that start every postcode), from Royal Mail's list.
_AREA_LIST = """
AB AL B BA BB BD BF BH BL BN BR BS BT BX CA CB CF CH CM CO CR CT CV CW DA DD DE DG DH DL DN
DT DY E EC EH EN EX FK FY G GL GU GY HA HD HG HP HR HS HU HX IG IM IP IV JE KA KT KW KY L LA
LD LE LL LN LS LU M ME MK ML N NE NG NN NP NR NW OL OX PA PE PH PL PO PR RG RH RM S SA SE SG
SK SL SM SN SO SP SR SS ST SW SY TA TD TF TN TQ TR TS TW UB W WA WC WD WF WN WR WS WV YO ZE
"""
POSTCODE_AREAS = frozenset(_AREA_LIST.split())

_AREAS = tuple(
    [
        "AB",
        "AL",
        "B",
        "BA",
        "BB",
        "BD",
        "BF",
        "BH",
        "BL",
        "BN",
        "BR",
        "BS",
        "BT",
        "BX",
        "CA",
        "CB",
        "CF",
        "CH",
        "CM",
        "CO",
        "CR",
        "CT",
        "CV",
        "CW",
        "DA",
        "DD",
        "DE",
        "DG",
        "DH",
        "DL",
        "DN",
        "DT",
        "DY",
        "E",
        "EC",
        "EH",
        "EN",
        "EX",
        "FK",
        "FY",
        "G",
        "GL",
        "GU",
        "GY",
        "HA",
        "HD",
        "HG",
        "HP",
        "HR",
        "HS",
        "HU",
        "HX",
        "IG",
        "IM",
        "IP",
        "IV",
        "JE",
        "KA",
        "KT",
        "KW",
        "KY",
        "L",
        "LA",
        "LD",
        "LE",
        "LL",
        "LN",
        "LS",
        "LU",
        "M",
        "ME",
        "MK",
        "ML",
        "N",
        "NE",
        "NG",
        "NN",
        "NP",
        "NR",
        "NW",
        "OL",
        "OX",
        "PA",
        "PE",
        "PH",
        "PL",
        "PO",
        "PR",
        "RG",
        "RH",
        "RM",
        "S",
        "SA",
        "SE",
        "SG",
        "SK",
        "SL",
        "SM",
        "SN",
        "SO",
        "SP",
        "SR",
        "SS",
        "ST",
        "SW",
        "SY",
        "TA",
        "TD",
        "TF",
        "TN",
        "TQ",
        "TR",
        "TS",
        "TW",
        "UB",
        "W",
        "WA",
        "WC",
        "WD",
        "WF",
        "WN",
        "WR",
        "WS",
        "WV",
        "YO",
        "ZE",
    ]
)

_AREAS = "|".join(sorted(POSTCODE_AREAS, key=len, reverse=True))
_POSTCODE = re.compile(
    rf"(?<![A-Z0-9])(?:{_AREAS})\d[A-Z\d]?[ \-]?\d[ABD-HJLNP-UW-Z]{{2}}(?![A-Z0-9])|"
    r"(?<![A-Z0-9])GIR ?0AA(?![A-Z0-9])"
)
_UPN = re.compile(r"(?<![0-9])[A-Za-z]\d{11}[0-9A-Za-z](?![0-9])")
_TEN_DIGITS = re.compile(r"(?<![0-9])\d(?:[ .\-]?\d){9}(?![0-9])")
_SPACED_NHS = re.compile(r"(?<![0-9])\d{3}[ .\-]\d{3}[ .\-]\d{4}(?![0-9])")

_MONTH = (
    r"(?:jan(?:uary)?|feb(?:ruary)?|mar(?:ch)?|apr(?:il)?|may|june?|july?|aug(?:ust)?|"
    r"sept?(?:ember)?|oct(?:ober)?|nov(?:ember)?|dec(?:ember)?)\.?"
)
_ORDINAL = r"\d{1,2}(?:st|nd|rd|th)?"
_DATE_FORMS = (
    r"\d{1,2}[/.\-]\d{1,2}[/.\-]\d{2,4}",  # 03/04/2015, 3.4.15, 03-04-2015
    r"(?:19|20)\d{2}[/.\-]\d{1,2}[/.\-]\d{1,2}",  # 2015-04-03
    rf"{_ORDINAL}(?: of)?[ \-]?{_MONTH},?[ \-]?(?:19|20)?\d{{2}}",  # 3rd April 2015, 3-Apr-15
    rf"{_MONTH} {_ORDINAL},? (?:19|20)\d{{2}}",  # April 3rd, 2015
)
_DATE = re.compile(r"(?i)(?<![0-9])(?:" + "|".join(_DATE_FORMS) + r")(?![0-9])")
_DOB = re.compile(
    r"(?i)(?<![a-z])(?:d\.? ?o\.? ?b(?![a-z])\.?|date of birth|birth ?date|born(?: on)?(?: the)?"
    r"|birthday)"
    r"\W{0,3}(?:" + "|".join(_DATE_FORMS) + r")(?![0-9])"
)


def normalise(text: str) -> str:
    """Text as the detector reads it: NFKC, format characters removed, spaces folded."""
    text = unicodedata.normalize("NFKC", text)
    text = "".join(ch for ch in text if unicodedata.category(ch) != "Cf")
    return re.sub(r"\s+", " ", text)


def nhs_number_valid(digits: str) -> bool:
    """The NHS number modulus 11 check on ten digits.

    >>> nhs_number_valid("9434765919"), nhs_number_valid("9434765918")
    (True, False)
    """
    if len(digits) != 10 or not digits.isdigit():
        return False
    total = sum(int(d) * w for d, w in zip(digits[:9], range(10, 1, -1), strict=True))
    check = 11 - total % 11
    if check == 11:
        check = 0
    return check != 10 and check == int(digits[9])


def _has_nhs_number(text: str) -> bool:
    for match in _TEN_DIGITS.finditer(text):
        if nhs_number_valid(re.sub(r"\D", "", match.group())):
            return True
    return False


def find(text: str, context: Context = "free_text") -> list[str]:
    """The kinds of identifier in ``text``: free text (commentary, explanations), a code
    cell, or a figure cell (where a ten-digit count is a count, not an NHS number)."""
    if not text:
        return []
    clean = normalise(text)
    upper = clean.upper()
    found = []
    if _UPN.search(clean):
        found.append("UPN")
    if _SPACED_NHS.search(clean) if context == "figure" else _has_nhs_number(clean):
        found.append("NHS number")
    if context == "free_text":
        if _DOB.search(clean):
            found.append("date of birth")
    elif _DATE.search(clean):
        found.append("date")
    if _POSTCODE.search(upper):
        found.append("postcode")
    return found
