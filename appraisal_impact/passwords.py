"""The password policy and hashing: a minimum length and a deny-list of common passwords, no composition
rules and no forced expiry (NCSC, "Password policy: updating your approach", and NIST SP 800-63B §5.1.1).

The deny-list is the 30,000 most common leaked passwords that the zxcvbn library ships (its "passwords"
frequency list), so it is kept up to date with that library rather than by hand.
"""

from __future__ import annotations

import re
import secrets
from functools import cache

from werkzeug.security import check_password_hash, generate_password_hash

MIN_LENGTH = 12  # [characters]; settable by PASSWORD_MIN_LENGTH
MAX_LENGTH = 256  # [characters]: long enough for any passphrase, short enough to hash quickly

# Words a guesser tries first against this service whatever the leaked lists say.
SERVICE_WORDS = ("appraisal", "impact", "wessex", "nhs", "sact", "password")

# Werkzeug's default (scrypt): slow on purpose.
hash_password = generate_password_hash


@cache
def common_passwords() -> frozenset[str]:
    from zxcvbn.frequency_lists import FREQUENCY_LISTS

    return frozenset(FREQUENCY_LISTS["passwords"])


def _core(password: str) -> str:
    """The password without the digits and symbols people tack on the ends ("Password123!" → "password")."""
    return re.sub(r"^[\d\W_]+|[\d\W_]+$", "", password.lower())


def password_problem(password: str, *, min_length: int = MIN_LENGTH, email: str = "", name: str = "") -> str | None:
    """What is wrong with `password` in words a user reads, or None when it may be used."""
    if len(password) < min_length:
        return f"Your password must be {min_length} characters or more. Three random words make a good one."
    if len(password) > MAX_LENGTH:
        return f"Your password must be {MAX_LENGTH} characters or fewer"
    lowered = password.lower()
    if lowered in common_passwords() or _core(password) in common_passwords() or len(set(lowered)) < 4:
        return "This password is too common: it is on a list of passwords that people use most. Choose another, such as three random words."
    leftover = re.sub(r"[\W_\d]+", "", lowered)
    for word in SERVICE_WORDS:
        leftover = leftover.replace(word, "")
    if not leftover:
        return "Your password must not be the name of this service or the NHS. Choose another, such as three random words."
    local_part = email.split("@")[0].lower()
    if local_part and len(local_part) >= 4 and local_part in lowered:
        return "Your password must not contain your email address"
    if name and len(name) >= 4 and name.lower().replace(" ", "") in lowered.replace(" ", ""):
        return "Your password must not contain your name"
    return None


@cache
def _dummy_hash() -> str:
    return hash_password(secrets.token_hex(16))


def check_password(password_hash: str | None, password: str) -> bool:
    """Check `password` against `password_hash`; with no hash (no such user), do the same work against a
    dummy hash so that an unknown address takes as long to refuse as a wrong password."""
    if not password_hash:
        check_password_hash(_dummy_hash(), password)
        return False
    return check_password_hash(password_hash, password)
