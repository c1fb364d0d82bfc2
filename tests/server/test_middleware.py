import re


async def test_every_response_carries_a_fresh_request_id(api):
    first = await api.http.get("/healthz")
    second = await api.http.get("/healthz")

    assert re.fullmatch(r"[0-9a-f]{32}", first.headers["x-request-id"])
    assert first.headers["x-request-id"] != second.headers["x-request-id"]


async def test_an_incoming_request_id_is_honoured(api):
    response = await api.http.get("/healthz", headers={"X-Request-ID": "trace-42.a"})

    assert response.headers["x-request-id"] == "trace-42.a"


async def test_an_unsafe_incoming_request_id_is_replaced(api):
    response = await api.http.get("/healthz", headers={"X-Request-ID": "x" * 300})

    assert re.fullmatch(r"[0-9a-f]{32}", response.headers["x-request-id"])
