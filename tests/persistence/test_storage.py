"""The local-directory storage: staged blobs, placing, discarding, the size limit."""

from __future__ import annotations

import hashlib

import pytest

from persistence.storage import LocalStorage, UploadTooLarge


async def stage(storage: LocalStorage, data: bytes, limit: int = 1000):
    writer = storage.writer(limit)
    for start in range(0, len(data), 7):
        await writer.write(data[start : start + 7])
    return await writer.finish()


async def test_a_staged_blob_is_hashed_and_invisible_until_placed(tmp_path):
    storage = LocalStorage(tmp_path)

    staged = await stage(storage, b"hello, world")

    assert staged.sha256 == hashlib.sha256(b"hello, world").hexdigest()
    assert (staged.size, staged.head) == (12, b"hello, world")
    assert storage.path(staged.key) is None
    await storage.place(staged)
    assert storage.path(staged.key).read_bytes() == b"hello, world"
    assert storage.temporary_names() == []


async def test_placing_equal_content_twice_keeps_one_blob_and_no_temporary(tmp_path):
    storage = LocalStorage(tmp_path)

    for _ in range(2):
        await storage.place(await stage(storage, b"same"))

    assert storage.blob_keys() == [hashlib.sha256(b"same").hexdigest()]
    assert storage.temporary_names() == []


async def test_going_over_the_limit_removes_the_temporary_at_once(tmp_path):
    storage = LocalStorage(tmp_path)
    writer = storage.writer(10)
    await writer.write(b"0123456789")

    with pytest.raises(UploadTooLarge):
        await writer.write(b"x")

    assert storage.temporary_names() == []


async def test_discard_and_remove_are_idempotent(tmp_path):
    storage = LocalStorage(tmp_path)
    staged = await stage(storage, b"bytes")

    await storage.discard(staged)
    await storage.discard(staged)
    await storage.remove(staged.key)

    assert storage.temporary_names() == [] and storage.blob_keys() == []


def test_keys_that_are_not_content_addresses_are_refused(tmp_path):
    with pytest.raises(ValueError):
        LocalStorage(tmp_path).path("../../etc/passwd")
