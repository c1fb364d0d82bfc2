"""GraphiQL is served from Concierge itself: the page and every asset it loads."""

from __future__ import annotations

import re

import httpx

from gql.server.app import create_app

BROWSER = {"Accept": "text/html,application/xhtml+xml,*/*;q=0.8"}


def referenced_assets(html: str) -> list[str]:
    return re.findall(r'(?:src|href)="([^"]+)"', html)


async def test_a_browser_gets_graphiql_whose_assets_all_come_from_the_service(api):
    page = await api.http.get("/graphql", headers=BROWSER)

    assets = [a for a in referenced_assets(page.text) if not a.startswith("data:")]
    assert page.status_code == 200
    assert page.headers["content-type"].startswith("text/html")
    assert "<title>Concierge · GraphiQL</title>" in page.text
    assert sorted(assets) == [
        "graphiql/graphiql.min.css",
        "graphiql/graphiql.min.js",
        "graphiql/react-dom.production.min.js",
        "graphiql/react.production.min.js",
    ]
    for asset in assets:
        response = await api.http.get(f"/{asset}")
        assert response.status_code == 200, asset
        assert len(response.content) > 5_000, asset


async def test_the_page_carries_the_demonstration_query_and_the_headers_pane(api):
    page = (await api.http.get("/graphql", headers=BROWSER)).text

    assert "query Overview" in page
    assert "health" in page and "viewer" in page
    assert 'defaultEditorToolsVisibility: "headers"' in page
    assert "Authorization" in page


async def test_graphql_over_get_still_answers_with_json(api):
    response = await api.http.get(
        "/graphql", params={"query": "{ health { status } }"}, headers=BROWSER
    )

    assert response.json() == {"data": {"health": {"status": "OK"}}}


async def test_graphiql_can_be_switched_off(db, settings):
    app = create_app(settings.model_copy(update={"graphiql": False}), engine=db.engine)
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://test") as http:
        page = await http.get("/graphql", headers=BROWSER)
        asset = await http.get("/graphiql/graphiql.min.js")
        query = await http.get(
            "/graphql", params={"query": "{ health { status } }"}, headers=BROWSER
        )

    assert page.status_code == 404
    assert page.headers["content-type"].startswith("application/json")
    assert page.json() == {
        "errors": [
            {"message": "GraphiQL is disabled on this server.", "extensions": {"code": "NOT_FOUND"}}
        ]
    }
    assert asset.status_code == 404
    assert query.json() == {"data": {"health": {"status": "OK"}}}
