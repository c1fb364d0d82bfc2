"""Automatic persisted queries (Apollo's protocol) and trusted documents, over HTTP,
with the in-process store and with Redis shared by two instances."""

from __future__ import annotations

import asyncio
import hashlib
import os
import sys

import orjson
import pytest
import redis.asyncio as aioredis

from tests.conftest import REDIS_URL, serving

QUERY = "query Viewer { viewer { username } }"
PERSONAS = "query Personas { personas(first: 2) { totalCount } }"


def sha(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()


def apq(text: str, digest: str | None = None) -> dict:
    return {"persistedQuery": {"version": 1, "sha256Hash": digest or sha(text)}}


def code_of(response) -> str:
    return response.json()["errors"][0]["extensions"]["code"]


async def test_a_hash_only_request_is_not_found_then_registered_then_served(api):
    """Given a server that never saw the query, when Apollo's link sends only its hash,
    then it gets PersistedQueryNotFound, retries with the text, and the hash alone works."""
    first = await api.http.post("/graphql", json={"extensions": apq(QUERY)})

    assert first.status_code == 404
    assert first.json()["errors"][0]["message"] == "PersistedQueryNotFound"
    assert code_of(first) == "PERSISTED_QUERY_NOT_FOUND"
    assert "data" not in first.json()

    retried = await api.http.post("/graphql", json={"query": QUERY, "extensions": apq(QUERY)})
    assert retried.json() == {"data": {"viewer": None}}

    again = await api.http.post("/graphql", json={"extensions": apq(QUERY)})
    assert again.status_code == 200
    assert again.json() == {"data": {"viewer": None}}


async def test_hash_only_get_requests_work_like_posts(api, operator):
    params = {"extensions": orjson.dumps(apq(QUERY)).decode()}
    headers = {"Authorization": f"Bearer {operator.api.token}"}

    missing = await api.http.get("/graphql", params=params, headers=headers)
    assert code_of(missing) == "PERSISTED_QUERY_NOT_FOUND"

    registered = await api.http.get("/graphql", params={**params, "query": QUERY}, headers=headers)
    assert registered.json()["data"]["viewer"]["username"] == operator.user.username

    served = await api.http.get("/graphql", params=params, headers=headers)
    assert served.status_code == 200
    assert served.json()["data"]["viewer"]["username"] == operator.user.username


async def test_a_hash_that_is_not_the_documents_is_refused_and_not_kept(api):
    wrong = sha("{ __typename }")

    response = await api.http.post(
        "/graphql", json={"query": QUERY, "extensions": apq(QUERY, wrong)}
    )

    assert response.status_code == 400
    assert response.json()["errors"][0]["message"] == "provided sha does not match query"
    later = await api.http.post("/graphql", json={"extensions": apq("", wrong)})
    assert code_of(later) == "PERSISTED_QUERY_NOT_FOUND"


async def test_a_document_that_fails_validation_is_not_kept(api):
    broken = "{ noSuchField }"

    response = await api.http.post("/graphql", json={"query": broken, "extensions": apq(broken)})

    assert code_of(response) == "GRAPHQL_VALIDATION_FAILED"
    later = await api.http.post("/graphql", json={"extensions": apq(broken)})
    assert code_of(later) == "PERSISTED_QUERY_NOT_FOUND"


@pytest.mark.parametrize(
    "persisted",
    [
        {"version": 2, "sha256Hash": sha(QUERY)},
        {"version": 1},
        "x",
        {"version": 1, "sha256Hash": 5},
    ],
    ids=["version-2", "no-hash", "not-an-object", "hash-not-a-string"],
)
async def test_malformed_persisted_query_extensions_are_a_400(api, persisted):
    response = await api.http.post("/graphql", json={"extensions": {"persistedQuery": persisted}})

    assert response.status_code == 400
    assert code_of(response) == "BAD_REQUEST"


async def test_persisted_queries_switched_off_answer_not_supported(db, settings):
    off = settings.model_copy(update={"persisted_queries": False})
    async with serving(off, db.engine) as api:
        response = await api.http.post("/graphql", json={"extensions": apq(QUERY)})

    assert response.status_code == 400
    assert response.json()["errors"][0]["message"] == "PersistedQueryNotSupported"
    assert code_of(response) == "PERSISTED_QUERY_NOT_SUPPORTED"


async def test_redis_shares_registrations_between_instances(db, settings, redis_prefix):
    """Given two instances on one Redis, a query registered through one is served by
    the other from its hash alone."""
    shared = settings.model_copy(update={"redis_url": REDIS_URL, "redis_key_prefix": redis_prefix})
    async with serving(shared, db.engine) as one, serving(shared, db.engine) as other:
        missing = await other.http.post("/graphql", json={"extensions": apq(PERSONAS)})
        assert code_of(missing) == "PERSISTED_QUERY_NOT_FOUND"

        await one.http.post("/graphql", json={"query": PERSONAS, "extensions": apq(PERSONAS)})
        served = await other.http.post("/graphql", json={"extensions": apq(PERSONAS)})

    assert served.status_code == 200
    assert served.json()["errors"][0]["extensions"]["code"] == "UNAUTHENTICATED"
    client = aioredis.Redis.from_url(REDIS_URL, decode_responses=True)
    try:
        assert await client.get(f"{redis_prefix}apq:{sha(PERSONAS)}") == PERSONAS
        assert 0 < await client.ttl(f"{redis_prefix}apq:{sha(PERSONAS)}") <= 24 * 3600
    finally:
        await client.aclose()


async def test_a_redis_that_is_down_is_a_retryable_503(db, settings):
    down = settings.model_copy(update={"redis_url": "redis://127.0.0.1:1/0"})
    async with serving(down, db.engine) as api:
        response = await api.http.post("/graphql", json={"extensions": apq(QUERY)})

    assert response.status_code == 503
    assert response.headers["retry-after"] == "1"
    assert code_of(response) == "PERSISTED_DOCUMENTS_UNAVAILABLE"


# -- trusted documents ----------------------------------------------------------------


def apollo_manifest(*bodies: str) -> bytes:
    return orjson.dumps(
        {
            "format": "apollo-persisted-query-manifest",
            "version": 1,
            "operations": [
                {"id": sha(body), "body": body, "name": "Op", "type": "query"} for body in bodies
            ],
        }
    )


async def test_trusted_mode_runs_only_registered_operations(db, settings, tmp_path, operator):
    """Given a production-like server that trusts one manifest, then the registered
    operation runs by hash, by documentId and as its full text, and nothing else does."""
    manifest = tmp_path / "persisted-query-manifest.json"
    manifest.write_bytes(apollo_manifest(QUERY))
    trusted = settings.model_copy(
        update={"trusted_documents": True, "trusted_document_manifests": [str(manifest)]}
    )
    headers = {"Authorization": f"Bearer {operator.api.token}"}
    async with serving(trusted, db.engine) as api:
        by_hash = await api.http.post("/graphql", json={"extensions": apq(QUERY)}, headers=headers)
        by_id = await api.http.post(
            "/graphql", json={"documentId": f"sha256:{sha(QUERY)}"}, headers=headers
        )
        as_text = await api.http.post("/graphql", json={"query": QUERY}, headers=headers)
        other = await api.http.post("/graphql", json={"query": PERSONAS}, headers=headers)
        register = await api.http.post(
            "/graphql", json={"query": PERSONAS, "extensions": apq(PERSONAS)}, headers=headers
        )
        unknown = await api.http.post("/graphql", json={"extensions": apq(PERSONAS)})

    for response in (by_hash, by_id, as_text):
        assert response.json()["data"]["viewer"]["username"] == operator.user.username
    for response in (other, register, unknown):
        assert response.status_code == 400
        assert code_of(response) == "PERSISTED_QUERY_NOT_IN_LIST"


async def test_relay_manifests_register_by_their_own_ids(db, settings, tmp_path, redis_prefix):
    """Given Relay's persisted_queries.json (MD5 ids) registered in Redis by the CLI,
    then a server in trusted mode serves it by doc_id."""
    text = "query RelayTypename { __typename }"
    manifest = tmp_path / "persisted_queries.json"
    md5 = hashlib.md5(text.encode()).hexdigest()
    manifest.write_bytes(orjson.dumps({md5: text}))
    env = {**os.environ, "REDIS_URL": REDIS_URL, "REDIS_KEY_PREFIX": redis_prefix}

    command = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "gql.cli",
        "register-documents",
        str(manifest),
        env=env,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.STDOUT,
    )
    output, _ = await command.communicate()

    assert command.returncode == 0, output
    assert b"registered 1 document in Redis" in output
    trusted = settings.model_copy(
        update={"trusted_documents": True, "redis_url": REDIS_URL, "redis_key_prefix": redis_prefix}
    )
    async with serving(trusted, db.engine) as api:
        response = await api.http.post("/graphql", json={"doc_id": md5})
        unknown = await api.http.post("/graphql", json={"doc_id": "0" * 32})
    assert response.json() == {"data": {"__typename": "Query"}}
    assert code_of(unknown) == "PERSISTED_QUERY_NOT_IN_LIST"


@pytest.mark.parametrize(
    ("content", "fragment"),
    [
        (orjson.dumps({"0" * 64: "{ __typename }"}), "is not the sha256"),
        (orjson.dumps({"abc": "{ noSuchField }"}), "Cannot query field"),
        (orjson.dumps({"abc": "{"}), "Syntax Error"),
        (orjson.dumps([1, 2]), "expected Relay"),
        (orjson.dumps({"format": "other", "operations": []}), "format"),
        (b"{", "not JSON"),
    ],
    ids=["lying-hash", "invalid-document", "unparsable", "array", "wrong-format", "not-json"],
)
def test_register_documents_refuses_bad_manifests_and_registers_nothing(
    tmp_path, content, fragment
):
    from typer.testing import CliRunner

    from gql.cli import app as cli

    manifest = tmp_path / "manifest.json"
    manifest.write_bytes(content)

    outcome = CliRunner().invoke(cli, ["register-documents", "--check", str(manifest)])

    assert outcome.exit_code == 1
    assert fragment in outcome.output


def test_register_documents_without_redis_says_how_to_load_the_manifest(tmp_path):
    from typer.testing import CliRunner

    from gql.cli import app as cli

    manifest = tmp_path / "persisted-query-manifest.json"
    manifest.write_bytes(apollo_manifest(QUERY))

    checked = CliRunner().invoke(cli, ["register-documents", "--check", str(manifest)], env={})
    refused = CliRunner().invoke(cli, ["register-documents", str(manifest)], env={"REDIS_URL": ""})

    assert checked.exit_code == 0 and "1 document" in checked.output
    assert refused.exit_code == 1
    assert "TRUSTED_DOCUMENT_MANIFESTS" in refused.output


def test_a_server_refuses_to_start_with_an_unusable_manifest(settings, tmp_path):
    from gql.server.app import create_app
    from gql.server.documents import InvalidManifest

    lying = tmp_path / "persisted_queries.json"
    lying.write_bytes(orjson.dumps({sha("{ a }"): "{ b }"}))
    broken = settings.model_copy(update={"trusted_document_manifests": [str(lying)]})

    with pytest.raises(InvalidManifest, match="is not the sha256 of its document"):
        create_app(broken)


async def test_a_browser_get_of_a_persisted_query_is_answered_not_shown_graphiql(api):
    params = {"extensions": orjson.dumps(apq(QUERY)).decode()}

    response = await api.http.get("/graphql", params=params, headers={"Accept": "text/html,*/*"})

    assert response.headers["content-type"].startswith("application/json")
    assert code_of(response) == "PERSISTED_QUERY_NOT_FOUND"
