"""Text normalisation against evasion, applied before any signal reads a prompt.

Attackers hide instructions from classifiers with invisible characters, Unicode look-alikes
(Cyrillic/Greek letters, small capitals, circled and squared letters), Braille, upside-down text,
ROT13 and other Caesar shifts, Atbash, text written backwards, s p a c e d letters, l33t substitutions, base64 blobs, HTML character references
(``&#73;&#103;...``), code points written out (``U+0049 U+0067...``) and percent-encoding (``%49%67...``). ``normalize`` undoes those and
reports which tricks it saw (the tricks themselves are evidence for the jailbreak gate).
"""

from __future__ import annotations

import base64
import binascii
import codecs
import html
import itertools
import re
import unicodedata
import urllib.parse
from collections.abc import Callable
from dataclasses import dataclass

import re2

_INVISIBLE = re.compile("[\u00ad\u180e\u200b-\u200f\u202a-\u202e\u2060-\u2064\u2066-\u206f\ufeff]")
_TAGS = re.compile("[\U000e0000-\U000e007f]+")
# Cyrillic and Greek letters that render like Latin ones (the common confusables).
_CONFUSABLES = str.maketrans(
    "аеорсухіјѕԁԛԝАВЕКМНОРСТХІЈЅαβεικνορτυχΑΒΕΖΗΙΚΜΝΟΡΤΥΧ",
    "aeopcyxijsdqwABEKMHOPCTXIJSabeikvoptuxABEZHIKMNOPTYX",
)

_STYLED_BLOCKS = ((0x0250, 0x02B0), (0x1D00, 0x1D2C), (0xA730, 0xA7FF), (0x1F150, 0x1F18A), (0x1F1E6, 0x1F200))
"""Where those letters live: IPA, phonetic extensions, Latin extended-D, enclosed alphanumerics."""


def _styled_letters() -> dict[int, str]:
    """Letters NFKC leaves alone that only ever stand for Latin ones: small capitals (``ɪɢɴᴏʀᴇ``),
    negative circled and squared letters (``🅘🅖🅝``, ``🅸🅶🅽``) and regional indicators (``🇮🇬🇳``)."""
    prefixes = ("LATIN LETTER SMALL CAPITAL ", "NEGATIVE CIRCLED LATIN CAPITAL LETTER ",
                "NEGATIVE SQUARED LATIN CAPITAL LETTER ", "REGIONAL INDICATOR SYMBOL LETTER ")
    table: dict[int, str] = {}
    for start, end in _STYLED_BLOCKS:
        for code in range(start, end):
            name = unicodedata.name(chr(code), "")
            for prefix in prefixes:
                letter = name.removeprefix(prefix)
                if letter != name and len(letter) == 1 and "A" <= letter <= "Z":
                    table[code] = letter.lower() if prefix.startswith("LATIN LETTER SMALL") else letter
    return table


_STYLED = _styled_letters()
_BRAILLE = str.maketrans("⠁⠃⠉⠙⠑⠋⠛⠓⠊⠚⠅⠇⠍⠝⠕⠏⠟⠗⠎⠞⠥⠧⠺⠭⠽⠵", "abcdefghijklmnopqrstuvwxyz")
"""Grade-1 Braille letters: a model reads them as the letters they stand for."""
_STYLED_OR_BRAILLE = re.compile("[" + "".join(f"{chr(a)}-{chr(b - 1)}" for a, b in (*_STYLED_BLOCKS, (0x2800, 0x2900)))
                                + "]")
"""Whether either table may apply: a scan of code-point ranges in C (a class of each listed character
was ~0.25 ms per KB, as slow as ``str.translate`` itself on a non-ASCII text)."""
_TURNED = re.compile("[ɐɔǝɟƃɥᴉɾʞɯɹʇʌʍʎ]")
_UPSIDE_DOWN = str.maketrans("ɐqɔpǝɟƃɥᴉɾʞɯudbɹʇnʌʍʎ", "abcdefghijkmnpqrtuvwy")
"""Upside-down text (``ʇdɯoɹd ɯǝʇsʎs``) read right side up: letters turned back, then the text reversed."""
_MIN_TURNED = 4
_TURNED_SHARE = 0.15
"""Turned letters a text needs (and their share of its characters) to be read upside down: a few
of them are ordinary in IPA transcriptions; upside-down text is about 40% turned letters."""
def _shifted(word: str, shift: int) -> str:
    return "".join(chr((ord(c) - 97 + shift) % 26 + 97) for c in word)


def _caesar_reader(shift: int) -> Callable[[str], str]:
    """Reads a text Caesar-shifted by ``shift`` (shifts its letters back)."""
    lower, upper = "abcdefghijklmnopqrstuvwxyz", "ABCDEFGHIJKLMNOPQRSTUVWXYZ"
    table = str.maketrans(lower + upper, lower[-shift:] + lower[:-shift] + upper[-shift:] + upper[:-shift])
    return lambda text: text.translate(table)


_ATBASH = str.maketrans("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ",
                        "zyxwvutsrqponmlkjihgfedcbaZYXWVUTSRQPONMLKJIHGFEDCBA")
_COMMON_WORDS = ("the", "and", "you", "your", "all", "this", "that", "with", "how", "what", "when", "tell", "make",
                 "ignore")
_ORDINARY_WORDS = frozenset({"max", "alex", "cnn", "tee", "zoo", "esp", "xii", "tai", "sgd", "pcs", "rfc", "gnv", "bpm",
                             "vgg", "ozz", "doha", "sio", "pda", "elt", "itt", "eua", "doo", "xli", "ahp", "aol",
                             "lsa", "mci", "wms", "sdd"})
"""Atbash and Caesar forms of the common words that are ordinary words or abbreviations in real
chat (each seen in a message of ShareGPT train or dev): ``max`` is ``the`` shifted by 19, ``rfc``
is ``the`` shifted by 24. Those readings never count them."""


@dataclass(frozen=True)
class _HiddenReading:
    trick: str
    words: frozenset[str]
    """Common English words as they look hidden this way."""
    read: Callable[[str], str]


_HIDDEN_READINGS: tuple[_HiddenReading, ...] = (
    _HiddenReading("rot13", frozenset({"gur", "naq", "lbh", "lbhe", "nyy", "guvf", "gung", "jvgu", "ubj", "jung", "jura",
                                       "gryy", "znxr", "vtaber"}), lambda text: codecs.encode(text, "rot13")),
    _HiddenReading("reversed", frozenset({"eht", "uoy", "ruoy", "lla", "siht", "taht", "htiw", "woh", "tahw", "nehw",
                                          "yhw", "llet", "ekam", "erongi"}), lambda text: text[::-1]),
    _HiddenReading("atbash", frozenset(w.translate(_ATBASH) for w in _COMMON_WORDS) - _ORDINARY_WORDS,
                   lambda text: text.translate(_ATBASH)),
    *(_HiddenReading("caesar", frozenset(_shifted(w, shift) for w in _COMMON_WORDS) - _ORDINARY_WORDS,
                     _caesar_reader(shift)) for shift in range(1, 26) if shift != 13),
)
"""The hidden readings the normaliser knows, each with the common words (the, and, you, your, all,
this, that, with, how, what, when, tell, make, ignore) as they look hidden that way: ROT13, text
written backwards (``why`` for ``and``), Atbash, and the other 24 Caesar shifts. Left out of ROT13
and backwards as ordinary words or abbreviations: ``dna``, ``ner``, ``ab``, ``bs``, ``gb``, ``ot``,
``em``, ``si``, ``jul``."""
_HIDDEN_WORDS: dict[str, tuple[int, ...]] = {
    word: tuple(i for i, reading in enumerate(_HIDDEN_READINGS) if word in reading.words)
    for reading in _HIDDEN_READINGS for word in reading.words
}
"""Each hidden word and the readings it counts for."""
_HIDDEN_WORD = re2.compile(r"\b(?:" + "|".join(sorted(_HIDDEN_WORDS)) + r")\b")
"""Any hidden word, as a whole word: RE2 runs the 349-word alternation as one automaton, one pass
over the text, linear in its length (Python's ``re`` would try the words one by one at each
position)."""
_MIN_TELLTALES = 2
"""Different hidden words of one reading a text needs: none of the 12,499 messages of ShareGPT dev
has two (a test); an attack of one sentence has two or more."""
_SPACED = re.compile(r"\b(?:[A-Za-z][ .\-_*]){3,}[A-Za-z]\b")
_LEET_WORD = re.compile(r"\b(?=\w*[A-Za-z])(?=\w*[013457@$])[\w@$]{3,20}\b")
_LEET = str.maketrans({"0": "o", "1": "i", "3": "e", "4": "a", "5": "s", "7": "t", "@": "a", "$": "s"})
_NUMERIC_REFERENCE = re.compile(r"&#(?:[0-9]{1,7}|[xX][0-9A-Fa-f]{1,6});?")
_PERCENT_BYTE = re.compile(r"%[0-9A-Fa-f]{2}")
_CODE_POINT = re.compile(r"(?:[Uu]\+|\\[uU]\{?)([0-9A-Fa-f]{4,6})\}?(?: (?=[Uu]\+|\\[uU]))?")
"""A code point written out, ``U+0049`` or ``\\u0049`` (a space before the next one separates them)."""
_MIN_ENCODED = 4
"""Numeric references, code points or %-bytes a text needs before it counts as encoded: one ``&#39;`` or ``%20``
in pasted HTML or a URL is ordinary; a run of them spelling words is what the model would decode."""
_BASE64 = re.compile(r"(?<![A-Za-z0-9+/])[A-Za-z0-9+/]{24,}={0,2}(?![A-Za-z0-9+/])")


READINGS_ALLOWANCE_CHARS = 16_384
"""Characters the appended readings (upside down, Caesar/ROT13, Atbash, backwards) may add to a
text, or the text's own length when longer: a message that triggers several of them would
otherwise be read several times over (``bench/gate.py`` times the worst case, which meets this
allowance)."""


@dataclass(frozen=True)
class Normalized:
    text: str
    tricks: frozenset[str]
    complete: bool = True
    """False when a reading did not fit the allowance and was cut: what the text says was not all read."""


class _Allowance:
    """What appended readings may still add to one text."""

    def __init__(self, original: str) -> None:
        self.left = max(len(original), READINGS_ALLOWANCE_CHARS)
        self.complete = True

    def append(self, text: str, reading: str) -> str:
        if len(reading) + 1 > self.left:
            self.complete = False
            reading = reading[: max(self.left - 1, 0)]
        self.left -= len(reading) + 1
        return text + "\n" + reading if reading else text


def _decode_base64(blob: str) -> str | None:
    try:
        raw = base64.b64decode(blob + "=" * (-len(blob) % 4), validate=True)
        text = raw.decode("utf-8")
    except (binascii.Error, UnicodeDecodeError, ValueError):
        return None
    printable = sum(ch.isprintable() or ch.isspace() for ch in text)
    return text if text and printable / len(text) > 0.9 and re.search(r"[A-Za-z]{3}", text) else None


def _at_least(pattern: re.Pattern[str], text: str, count: int) -> bool:
    """``pattern`` occurs ``count`` times: the search stops there instead of listing every match."""
    return sum(1 for _ in itertools.islice(pattern.finditer(text), count)) == count


def _upside_down(text: str, tricks: set[str], allowance: _Allowance) -> str:
    """The text with its right-side-up reading appended, when enough of its letters are turned
    (appended, not replaced: the IPA a benign text may hold stays readable)."""
    if not _at_least(_TURNED, text, _MIN_TURNED):  # the common case: one scan in C, no count
        return text
    if _TURNED.subn("", text)[1] < _TURNED_SHARE * len(text):
        return text
    tricks.add("upside_down")
    return allowance.append(text, text.translate(_UPSIDE_DOWN)[::-1])


def _hidden_readings(text: str, tricks: set[str], allowance: _Allowance) -> str:
    """The text with its hidden readings (ROT13, backwards, Atbash, Caesar) appended, each when it
    holds the hidden forms of two different common words (appended, not replaced: the plain text
    stays readable, and a message mixing an English request with a hidden payload is read both
    ways). One scan finds the hidden words the text holds; the readings are looked up, not searched."""
    found = [0] * len(_HIDDEN_READINGS)
    for word in set(_HIDDEN_WORD.findall(text.lower())):
        for index in _HIDDEN_WORDS[word]:
            found[index] += 1
    out = text
    for reading, count in zip(_HIDDEN_READINGS, found, strict=True):
        if count >= _MIN_TELLTALES:
            tricks.add(reading.trick)
            out = allowance.append(out, reading.read(text))
    return out


def _code_point(match: re.Match[str]) -> str:
    code = int(match.group(1), 16)
    return chr(code) if code <= 0x10FFFF and not 0xD800 <= code <= 0xDFFF else match.group(0)


_REFERENCE_DECODERS: tuple[tuple[re.Pattern[str], Callable[[str], str], str, bool], ...] = (
    (_NUMERIC_REFERENCE, html.unescape, "html_entities", False),
    (_CODE_POINT, lambda text: _CODE_POINT.sub(_code_point, text), "code_points", True),
    (_PERCENT_BYTE, lambda text: urllib.parse.unquote(text, errors="replace"), "percent_encoding", True),
)
"""Per encoding, in order: what finds it, what decodes it, its trick, and whether the decoded text
must hold a word (three letters) to count: a ``%`` or ``U+`` run can be an ordinary list of codes."""


def _decode_references(text: str, tricks: set[str]) -> str:
    """HTML numeric references, written-out code points and percent-encoded bytes decoded, when there are enough to spell
    something (each a linear pass; the model reads what they spell, so the gate must too)."""
    for pattern, decode, trick, needs_word in _REFERENCE_DECODERS:
        if not _at_least(pattern, text, _MIN_ENCODED):
            continue
        decoded = decode(text)
        if decoded != text and (not needs_word or re.search(r"[A-Za-z]{3}", decoded)):
            tricks.add(trick)
            text = decoded
    return text


def normalize(text: str) -> Normalized:
    tricks: set[str] = set()
    allowance = _Allowance(text)
    text = _decode_references(text, tricks)
    hidden = _TAGS.findall(text)
    if hidden:  # Unicode tag characters smuggle ASCII: decode them, they are what the model reads
        tricks.add("unicode_tags")
        text = _TAGS.sub(" ", text) + " " + " ".join(
            "".join(chr(ord(ch) - 0xE0000) for ch in run if 0xE0020 <= ord(ch) <= 0xE007E) for run in hidden
        )
    nfkc = unicodedata.normalize("NFKC", text)
    if nfkc != text:
        if any(ord(c) > 0x2000 for c in text):  # full-width / styled letters, not just accents
            tricks.add("compatibility_forms")
        text = nfkc
    stripped = _INVISIBLE.sub("", text)
    if stripped != text:
        tricks.add("invisible_characters")
        text = stripped
    if not text.isascii() and _STYLED_OR_BRAILLE.search(text):
        styled = text.translate(_STYLED)
        if styled != text:
            tricks.add("styled_letters")
            text = styled
        braille = text.translate(_BRAILLE)
        if braille != text:
            tricks.add("braille")
            text = braille
    text = _upside_down(text, tricks, allowance)
    text = _hidden_readings(text, tricks, allowance)
    mapped = text.translate(_CONFUSABLES)
    if mapped != text and re.search(r"[A-Za-z]", text):
        tricks.add("confusables")
        text = mapped
    collapsed = _SPACED.sub(lambda m: re.sub(r"[ .\-_*]", "", m.group(0)), text)
    if collapsed != text:
        tricks.add("spaced_letters")
        text = collapsed
    decoded = [d for d in (_decode_base64(b) for b in _BASE64.findall(text)) if d]
    if decoded:
        tricks.add("base64")
        text = text + "\n" + "\n".join(decoded)
    leet = _LEET_WORD.sub(lambda m: m.group(0).translate(_LEET) if sum(c in "013457@$" for c in m.group(0)) >= 2
                          and sum(c.isalpha() for c in m.group(0)) >= 2 else m.group(0), text)
    if leet != text:
        tricks.add("leetspeak")
        text = leet
    return Normalized(text, frozenset(tricks), allowance.complete)
