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
    await storage.remove(staged.key, held(False))

    assert storage.temporary_names() == [] and storage.blob_keys() == []


def held(answer: bool):
    async def still_held() -> bool:
        return answer

    return still_held


async def test_a_blob_is_removed_only_if_no_file_holds_it_when_asked(tmp_path):
    storage = LocalStorage(tmp_path)
    kept, dropped = await stage(storage, b"kept"), await stage(storage, b"dropped")
    await storage.place(kept)
    await storage.place(dropped)

    await storage.remove(kept.key, held(True))
    await storage.remove(dropped.key, held(False))

    assert storage.blob_keys() == [kept.key]
    assert storage.path(kept.key).read_bytes() == b"kept"
    assert storage.temporary_names() == []


async def test_a_blob_stays_when_the_question_fails(tmp_path):
    storage = LocalStorage(tmp_path)
    staged = await stage(storage, b"bytes")
    await storage.place(staged)

    async def broken() -> bool:
        raise OSError("database gone")

    with pytest.raises(OSError):
        await storage.remove(staged.key, broken)

    assert storage.blob_keys() == [staged.key]
    assert storage.temporary_names() == []


async def test_an_equal_blob_placed_while_the_question_is_asked_survives(tmp_path):
    storage = LocalStorage(tmp_path)
    await storage.place(await stage(storage, b"same"))
    again = await stage(storage, b"same")

    async def an_upload_commits_meanwhile() -> bool:
        await storage.place(again)  # finds no blob (it is out of sight) and places its own
        return False  # asked before that upload's row was counted

    await storage.remove(again.key, an_upload_commits_meanwhile)

    assert storage.path(again.key).read_bytes() == b"same"
    assert storage.temporary_names() == []


async def test_keys_that_are_not_content_addresses_name_nothing(tmp_path):
    storage = LocalStorage(tmp_path)
    (tmp_path / "secret").write_bytes(b"not a blob")

    assert storage.path("../secret") is None
    assert storage.path("../../etc/passwd") is None
    await storage.remove("../secret", held(False))
    assert (tmp_path / "secret").exists()
