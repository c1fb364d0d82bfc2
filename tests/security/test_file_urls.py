"""Signed download URLs: their expiry, and what verification refuses."""

from __future__ import annotations

import time
from urllib.parse import parse_qs, urlsplit
from uuid import uuid4

from gql.auth.file_urls import EXPIRY_STEP_S, signature, signed_url, verified_expiry
from gql.settings import Settings

SETTINGS = Settings(CONCIERGE_ENV="test", SECRET_KEY="k" * 40, FILE_URL_TTL_S=300)


def params(url: str) -> dict[str, str]:
    return {key: values[0] for key, values in parse_qs(urlsplit(url).query).items()}


def test_a_url_lives_at_least_the_ttl_and_stays_the_same_within_a_step():
    file_id, now = uuid4(), 1_800_000_000.5

    url = signed_url(SETTINGS, file_id, now=now)

    expires = int(params(url)["expires"])
    assert now + 300 <= expires < now + 300 + EXPIRY_STEP_S
    assert expires % EXPIRY_STEP_S == 0
    assert signed_url(SETTINGS, file_id, now=expires - 300 - 1) == url
    assert urlsplit(url).path == f"/files/{file_id}"


def test_a_fresh_signature_verifies_and_an_expired_or_foreign_one_does_not():
    file_id = uuid4()
    fresh = params(signed_url(SETTINGS, file_id))
    gone = int(time.time()) - 1
    other_key = Settings(CONCIERGE_ENV="test", SECRET_KEY="z" * 40)

    assert verified_expiry(SETTINGS, file_id, fresh["expires"], fresh["signature"]) is not None
    assert verified_expiry(SETTINGS, file_id, str(gone), signature(SETTINGS, file_id, gone)) is None
    assert verified_expiry(SETTINGS, uuid4(), fresh["expires"], fresh["signature"]) is None
    assert verified_expiry(other_key, file_id, fresh["expires"], fresh["signature"]) is None
    for expires, given in (("", fresh["signature"]), ("-5", "x"), ("1e9", "x"), ("9" * 20, "x")):
        assert verified_expiry(SETTINGS, file_id, expires, given) is None
    assert verified_expiry(SETTINGS, file_id, fresh["expires"], None) is None


def test_the_url_signature_is_not_the_token_key():
    """A file URL's HMAC is under a derived key, never SECRET_KEY itself."""
    import hashlib
    import hmac

    file_id, expires = uuid4(), 2_000_000_000
    plain = hmac.new(b"k" * 40, f"{file_id}:{expires}".encode(), hashlib.sha256).hexdigest()

    assert signature(SETTINGS, file_id, expires) != plain
