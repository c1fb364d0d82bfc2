"""What an account's email, username and password must be: pure, no database."""

from __future__ import annotations

import pytest

from persistence.rules.accounts import (
    email_problem,
    normalised_email,
    password_problem,
    username_problem,
)


@pytest.mark.parametrize(
    ("password", "problem"),
    [
        ("correct-horse-1", None),
        ("short-1", "needs at least 10 characters"),
        ("x1" * 129, "must be at most 256 characters"),
        ("onlyletterslong", "mix letters with digits or symbols"),
        ("12345678901", "mix letters with digits or symbols"),
    ],
)
def test_the_password_policy(password, problem):
    found = password_problem(password)

    assert (found.message if found else None) == problem
    assert found is None or found.field == ("password",)


@pytest.mark.parametrize(
    ("email", "valid"),
    [("ada@example.com", True), ("ada@example", False), ("", False), ("a b@c.de", False)],
)
def test_emails_need_an_at_and_a_domain(email, valid):
    assert (email_problem(email) is None) == valid


def test_emails_are_compared_lower_case_and_trimmed():
    assert normalised_email("  Ada@Example.COM ") == "ada@example.com"


@pytest.mark.parametrize(
    ("username", "valid"),
    [("ada", True), ("a.b-c_d", True), ("ab", False), ("ada lovelace", False)],
)
def test_usernames_are_three_to_fifty_plain_characters(username, valid):
    assert (username_problem(username) is None) == valid
