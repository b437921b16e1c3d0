"""Text normalisation for search: Arabic spelling variants and French accents fold together."""

from __future__ import annotations

import re
import unicodedata

# Arabic diacritics (harakat, tanwin, shadda, sukun, dagger alef) and Quranic marks.
_ARABIC_MARKS = re.compile("[\u0610-\u061a\u064b-\u065f\u0670\u06d6-\u06ed]")
_TATWEEL = "\u0640"
_FOLD = str.maketrans(
    {
        "أ": "ا", "إ": "ا", "آ": "ا", "ٱ": "ا",  # alef with hamza or madda → bare alef
        "ى": "ي",  # alef maqsura → ya
        "ة": "ه",  # ta marbuta → ha
        "ؤ": "و", "ئ": "ي",  # hamza on a carrier → the carrier
        "ء": "",  # lone hamza
        "ک": "ك", "ی": "ي",  # Persian/Urdu forms typed on some keyboards
    }
)
_SPACES = re.compile(r"\s+")


def normalize_for_search(text: str | None) -> str:
    """Folds `text` so spelling variants compare equal.

    Arabic: alef/hamza forms, ya/alef maqsura, ta marbuta/ha, diacritics and tatweel.
    Latin: case and accents (é → e). Whitespace collapses to one space.
    """
    if not text:
        return ""
    text = unicodedata.normalize("NFKC", text)
    text = _ARABIC_MARKS.sub("", text).replace(_TATWEEL, "").translate(_FOLD)
    decomposed = unicodedata.normalize("NFD", text.casefold())
    latin_folded = "".join(
        ch for ch in decomposed
        if not (unicodedata.category(ch) == "Mn" and not "\u0600" <= ch <= "\u06ff")
    )
    return _SPACES.sub(" ", unicodedata.normalize("NFC", latin_folded)).strip()
