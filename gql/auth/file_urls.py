"""Short-lived signed download URLs for files: ``/files/<id>?expires=<unix time>&signature=<hex>``.

The signature is HMAC-SHA256, under a key derived from SECRET_KEY, of the file id
and the expiry. Whoever holds the URL may download the file until it expires
(an ``<img src>`` or ``<audio src>`` sends no bearer token); only a viewer who
can see the file is ever given one.
"""

from __future__ import annotations

import hashlib
import hmac
import math
import time
from urllib.parse import urlencode
from uuid import UUID

from gql.settings import Settings

PATH_PREFIX = "/files/"
EXPIRY_STEP_S = 60
# Derived so that a file URL's signature can never stand in for a token's, or the reverse.
_PURPOSE = b"concierge file download URL v1"


def _key(settings: Settings) -> bytes:
    return hmac.new(settings.signing_key.encode(), _PURPOSE, hashlib.sha256).digest()


def signature(settings: Settings, file_id: UUID, expires: int) -> str:
    message = f"{file_id}:{expires}".encode()
    return hmac.new(_key(settings), message, hashlib.sha256).hexdigest()


def signed_url(settings: Settings, file_id: UUID, now: float | None = None) -> str:
    """The path and query of a download URL for ``file_id``, valid at least FILE_URL_TTL_S
    from now. The expiry is rounded up to a whole EXPIRY_STEP_S, so that a file's URL
    stays the same for that long and browsers can cache what it fetched."""
    at_least = math.ceil(now if now is not None else time.time()) + settings.file_url_ttl_s
    expires = -(-at_least // EXPIRY_STEP_S) * EXPIRY_STEP_S
    query = urlencode({"expires": expires, "signature": signature(settings, file_id, expires)})
    return f"{PATH_PREFIX}{file_id}?{query}"


def verified_expiry(
    settings: Settings, file_id: UUID, expires: str | None, given: str | None
) -> int | None:
    """The expiry of a valid, unexpired signature for ``file_id``; ``None`` for a
    missing, malformed, tampered or expired one (all alike)."""
    if not expires or not given or not expires.isdigit() or len(expires) > 12:
        return None
    expiry = int(expires)
    expected = signature(settings, file_id, expiry)
    if not hmac.compare_digest(expected, given.lower()) or expiry < time.time():
        return None
    return expiry
