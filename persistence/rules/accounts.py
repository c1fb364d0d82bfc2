"""What an account's email, username and password must be. Pure checks."""

from __future__ import annotations

import re

from persistence.errors import Problem
from persistence.rules.values import length

PASSWORD_MIN, PASSWORD_MAX = 10, 256
EMAIL_MAX, FULL_NAME_MAX = 320, 200
_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
_USERNAME = re.compile(r"^[A-Za-z0-9_.-]{3,50}$")


def normalised_email(email: str) -> str:
    """Emails are stored lower-case, so uniqueness ignores case."""
    return email.strip().lower()


def email_problem(email: str) -> Problem | None:
    too_long = length(email, ("email",), minimum=1, maximum=EMAIL_MAX)
    if too_long is not None:
        return too_long
    return None if _EMAIL.match(email) else Problem(("email",), "is not an email address")


def username_problem(username: str) -> Problem | None:
    if _USERNAME.match(username):
        return None
    return Problem(("username",), "use 3 to 50 letters, digits, dots, dashes or underscores")


def password_problem(password: str) -> Problem | None:
    """The password policy: long enough, not absurdly long, not only letters or digits."""
    field = ("password",)
    if len(password) < PASSWORD_MIN:
        return Problem(field, f"needs at least {PASSWORD_MIN} characters")
    if len(password) > PASSWORD_MAX:
        return Problem(field, f"must be at most {PASSWORD_MAX} characters")
    if password.isdigit() or password.isalpha():
        return Problem(field, "mix letters with digits or symbols")
    return None
