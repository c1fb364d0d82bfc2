"""Sniffing a file's type from its bytes, and sanitising its name."""

from __future__ import annotations

import pytest

from persistence.rules.files import FILENAME_MAX, sanitise_filename, sniff_content_type


@pytest.mark.parametrize(
    ("head", "expected"),
    [
        (b"\x89PNG\r\n\x1a\n\x00\x00", "image/png"),
        (b"\xff\xd8\xff\xe0\x00\x10JFIF", "image/jpeg"),
        (b"GIF89a\x01\x00", "image/gif"),
        (b"RIFF\x24\x00\x00\x00WEBPVP8 ", "image/webp"),
        (b"RIFF\x24\x00\x00\x00WAVEfmt ", "audio/wav"),
        (b"%PDF-1.7\n", "application/pdf"),
        (b"OggS\x00\x02\x00\x00", "audio/ogg"),
        (b"ID3\x04\x00\x00", "audio/mpeg"),
        (b"\xff\xfb\x90\x64", "audio/mpeg"),
        (b"fLaC\x00\x00\x00\x22", "audio/flac"),
        (b"\x00\x00\x00\x20ftypM4A \x00\x00", "audio/mp4"),
        (b"\x00\x00\x00\x20ftypisom\x00\x00", "video/mp4"),
        (b"\x00\x00\x00\x1cftypavif", "image/avif"),
        (b"\x1a\x45\xdf\xa3\x01\x00", "video/webm"),
        ("Grüße, hello\n".encode(), "text/plain"),
        ("ab\u00e9".encode()[:-1], "text/plain"),  # cut inside a character
        (b"<html><script>alert(1)</script>", "text/plain"),
        (b"\x00\x01\x02binary", "application/octet-stream"),
        (b"", "application/octet-stream"),
    ],
)
def test_the_content_type_comes_from_the_bytes(head, expected):
    assert sniff_content_type(head) == expected


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("photo.png", "photo.png"),
        ("../../etc/passwd", "passwd"),
        ("C:\\Users\\me\\voice.ogg", "voice.ogg"),
        ("evil\x00name\x1b[31m.pdf", "evilname[31m.pdf"),
        ("invoice\u202egpj.exe", "invoicegpj.exe"),  # no right-to-left override
        ("  .hidden  ", "hidden"),
        ("dir/", "file"),
        ("", "file"),
        (None, "file"),
        ("e\u0301t\u00e9.txt", "\u00e9t\u00e9.txt"),  # NFC
    ],
)
def test_names_keep_only_a_safe_last_segment(raw, expected):
    assert sanitise_filename(raw) == expected


def test_long_names_are_cut_to_the_limit_keeping_the_extension():
    name = sanitise_filename("a" * 1000 + ".jpeg")

    assert len(name) == FILENAME_MAX
    assert name.endswith("a.jpeg")
    assert len(sanitise_filename("b" * 1000)) == FILENAME_MAX
