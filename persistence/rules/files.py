"""Rules for uploaded files that need no I/O: what their bytes are, and a safe name."""

from __future__ import annotations

import unicodedata

FILENAME_MAX = 255
OCTET_STREAM = "application/octet-stream"

# (offset, magic bytes, content type), most specific first.
_SIGNATURES: tuple[tuple[int, bytes, str], ...] = (
    (0, b"\x89PNG\r\n\x1a\n", "image/png"),
    (0, b"\xff\xd8\xff", "image/jpeg"),
    (0, b"GIF87a", "image/gif"),
    (0, b"GIF89a", "image/gif"),
    (0, b"%PDF-", "application/pdf"),
    (0, b"OggS", "audio/ogg"),
    (0, b"fLaC", "audio/flac"),
    (0, b"ID3", "audio/mpeg"),
    (0, b"\x1a\x45\xdf\xa3", "video/webm"),
    (0, b"BM", "image/bmp"),
)
_MP3_FRAME_SYNCS = (b"\xff\xfb", b"\xff\xf3", b"\xff\xf2", b"\xff\xfa")
_RIFF = {b"WEBP": "image/webp", b"WAVE": "audio/wav", b"AVI ": "video/x-msvideo"}
_AUDIO_BRANDS = {b"M4A ", b"M4B ", b"M4P "}
_IMAGE_BRANDS = {b"heic", b"heix", b"mif1", b"avif"}


def sniff_content_type(head: bytes) -> str:
    """The content type the first bytes of a file show, never what a client claims.

    Recognises the common image, audio, video and PDF signatures; text that
    decodes as UTF-8 without control characters is ``text/plain``; anything
    else is ``application/octet-stream``.

    >>> sniff_content_type(b"%PDF-1.7 ...")
    'application/pdf'
    """
    for offset, magic, content_type in _SIGNATURES:
        if head[offset : offset + len(magic)] == magic:
            return content_type
    if head[:4] == b"RIFF" and head[8:12] in _RIFF:
        return _RIFF[head[8:12]]
    if head[4:8] == b"ftyp":
        brand = head[8:12]
        if brand in _AUDIO_BRANDS:
            return "audio/mp4"
        if brand in _IMAGE_BRANDS:
            return "image/avif" if brand == b"avif" else "image/heic"
        return "video/mp4"
    if head[:2] in _MP3_FRAME_SYNCS:
        return "audio/mpeg"
    if _is_text(head):
        return "text/plain"
    return OCTET_STREAM


def _is_text(head: bytes) -> bool:
    if not head:
        return False
    try:
        text = head.decode("utf-8")
    except UnicodeDecodeError as error:
        # The head may end inside a multi-byte character.
        if error.start < len(head) - 3:
            return False
        text = head[: error.start].decode("utf-8")
    return all(char in "\t\n\r\f" or unicodedata.category(char) != "Cc" for char in text)


def sanitise_filename(raw: str | None, fallback: str = "file") -> str:
    """A file name safe to store and to send back in ``Content-Disposition``.

    Keeps only the last path segment (``/`` and ``\\`` alike), drops control
    and format characters, trims leading dots and surrounding spaces, and
    bounds the length to FILENAME_MAX characters, keeping the extension.

    >>> sanitise_filename("../../etc/pass\\x00wd")
    'passwd'
    """
    name = unicodedata.normalize("NFC", raw or "")
    name = name.replace("\\", "/").rsplit("/", 1)[-1]
    name = "".join(char for char in name if unicodedata.category(char) not in ("Cc", "Cf"))
    name = name.strip().lstrip(".").strip()
    if not name:
        return fallback
    if len(name) > FILENAME_MAX:
        stem, dot, extension = name.rpartition(".")
        if dot and 0 < len(extension) <= 16:
            name = stem[: FILENAME_MAX - len(extension) - 1] + "." + extension
        else:
            name = name[:FILENAME_MAX]
    return name
