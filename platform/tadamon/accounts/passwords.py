"""Password hashing (argon2id) and the strength rule: long enough, not a common password.

No composition rules (NIST SP 800-63B): length and refusing guessable passwords do more.
zxcvbn was chosen over a hand-kept list because it ships ranked lists of the most common
passwords, names and words, and also catches keyboard patterns, dates and repeats.
"""

from __future__ import annotations

from functools import lru_cache

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from flask import current_app

MIN_LENGTH = 8
# argon2 hashes anything, but a megabyte of "password" is a cheap denial of service.
MAX_LENGTH = 256
# zxcvbn scores 0..4; 0 and 1 are "too guessable" (under about a million guesses).
MIN_SCORE = 2


@lru_cache(maxsize=4)
def _hasher(time_cost: int, memory_cost: int, parallelism: int) -> PasswordHasher:
    return PasswordHasher(time_cost=time_cost, memory_cost=memory_cost, parallelism=parallelism)


def hasher() -> PasswordHasher:
    config = current_app.config
    return _hasher(
        config["ARGON2_TIME_COST"], config["ARGON2_MEMORY_COST"], config["ARGON2_PARALLELISM"]
    )


def hash_password(password: str) -> str:
    return hasher().hash(password)


def verify_password(password_hash: str, password: str) -> bool:
    try:
        return hasher().verify(password_hash, password)
    except (VerificationError, InvalidHashError):
        return False


def needs_rehash(password_hash: str) -> bool:
    return hasher().check_needs_rehash(password_hash)


# A real hash to verify against when the account does not exist, so a failed log-in
# takes as long whether or not the address is registered.
_DUMMY_PASSWORD = "tadamon-timing-equaliser"  # noqa: S105


def burn_verification_time() -> None:
    verify_password(_dummy_hash(), _DUMMY_PASSWORD + "x")


def _dummy_hash() -> str:
    cached = current_app.extensions.setdefault("tadamon_dummy_hash", {})
    key = (
        current_app.config["ARGON2_TIME_COST"],
        current_app.config["ARGON2_MEMORY_COST"],
    )
    if key not in cached:
        cached[key] = hash_password(_DUMMY_PASSWORD)
    return cached[key]


def is_too_guessable(password: str, personal_words: list[str]) -> bool:
    """True for common passwords, and for ones built from the person's own name or email."""
    from zxcvbn import zxcvbn  # its word lists cost ~40 ms at every start: loaded on first use

    words = [word for word in personal_words if word]
    return zxcvbn(password[:100], user_inputs=words)["score"] < MIN_SCORE
