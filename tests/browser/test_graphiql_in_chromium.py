"""GraphiQL in a real browser: headless Chromium opens /graphql on a live
`concierge serve`, runs the default query and sees the database's data; every
resource the page loaded came from the service itself. A screenshot is kept in
tests/artifacts/."""

from __future__ import annotations

import json
import os
import shutil
import sys
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from tests.live import free_port, serving

ARTIFACTS = Path(__file__).resolve().parent.parent / "artifacts"
SIGN_UP = """mutation($input: SignUpInput!) {
  signUp(input: $input) { token errors { message } }
}"""
CREATE_PERSONA = """mutation {
  createPersona(input: {name: "Front desk", systemPrompt: "Be kind."}) { errors { message } }
}"""


@pytest.fixture
def live_server(database_url: str, db, tmp_path: Path) -> Iterator[tuple[str, Path]]:
    """`concierge serve` on a free port against this backend's test database;
    yields its base URL and the file its log goes to."""
    port = free_port()
    log_path = tmp_path / "serve.log"
    env = {
        **os.environ,
        "DATABASE_URL": database_url,
        "CONCIERGE_ENV": "development",
        "LOG_FORMAT": "json",
    }
    command = [sys.executable, "-m", "gql.cli", "serve", "--port", str(port)]
    with serving(command, env, port, log_path, tmp_path) as base:
        yield base, log_path


@pytest.fixture
def browser() -> Iterator[object]:
    """Headless Chromium driven through Debian's chromedriver. A missing browser is a
    failure, never a skip: `make test` installs both (.ci/ensure-chromium)."""
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    chromium = shutil.which("chromium")
    chromedriver = shutil.which("chromedriver")
    if not (chromium and chromedriver):
        pytest.fail(
            "the GraphiQL test needs Debian's chromium and chromium-driver packages; "
            "run `make test` (it installs them) or `bash .ci/ensure-chromium`"
        )
    options = webdriver.ChromeOptions()
    options.binary_location = chromium
    for argument in (
        "--headless",
        "--no-sandbox",
        "--disable-background-networking",
        "--disable-dev-shm-usage",
        "--window-size=1400,900",
    ):
        options.add_argument(argument)
    driver = webdriver.Chrome(service=Service(executable_path=chromedriver), options=options)
    try:
        yield driver
    finally:
        driver.quit()


def test_graphiql_runs_the_default_query_and_shows_the_data(live_server, browser, db):
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support import expected_conditions as ready
    from selenium.webdriver.support.ui import WebDriverWait

    base, log_path = live_server
    token = _member_with_a_persona(base)
    graphiql_url = f"{base}/graphql"

    # GraphiQL keeps the headers pane in localStorage (what a person typed there last
    # time); set it from a page of the same origin before GraphiQL first loads.
    browser.get(f"{base}/healthz")
    headers = json.dumps({"Authorization": f"Bearer {token}"})
    browser.execute_script("localStorage.setItem('graphiql:headers', arguments[0])", headers)
    browser.get(graphiql_url)
    wait = WebDriverWait(browser, 60)
    wait.until(lambda page: "query Overview" in _editor_text(page))
    run = wait.until(ready.element_to_be_clickable((By.CSS_SELECTOR, ".graphiql-execute-button")))
    run.click()
    ARTIFACTS.mkdir(exist_ok=True)
    screenshot = ARTIFACTS / f"graphiql-{db.backend}.png"
    try:
        wait.until(lambda page: '"username"' in _result_text(page))
    finally:
        browser.save_screenshot(str(screenshot))
    result = _result_text(browser)
    resources = browser.execute_script(
        "return performance.getEntriesByType('resource').map(entry => entry.name)"
    )

    assert '"status": "OK"' in result
    assert f'"dialect": "{db.backend}"' in result
    assert '"username": "browsing"' in result
    assert '"name": "Front desk"' in result
    assert "Authorization" in browser.find_element(By.CSS_SELECTOR, ".graphiql-editor-tool").text
    assert resources, "the page loaded no resources"
    assert all(url.startswith(base) for url in resources), resources
    request_lines = [
        json.loads(line)
        for line in log_path.read_text().splitlines()
        if line.startswith("{") and '"concierge.request"' in line
    ]
    overview = [line for line in request_lines if line.get("operation") == "Overview"]
    assert overview and overview[-1]["status"] == 200 and overview[-1]["sql_statements"] >= 2
    assert overview[-1]["request_id"] not in (None, "-")


def _member_with_a_persona(base: str) -> str:
    member = {"email": "browsing@example.com", "username": "browsing"}
    variables = {"input": {**member, "password": "correct-horse-1"}}
    signed_up = httpx.post(f"{base}/graphql", json={"query": SIGN_UP, "variables": variables})
    token = signed_up.json()["data"]["signUp"]["token"]
    created = httpx.post(
        f"{base}/graphql",
        json={"query": CREATE_PERSONA},
        headers={"Authorization": f"Bearer {token}"},
    )
    assert created.json()["data"]["createPersona"]["errors"] == [], created.text
    return str(token)


def _editor_text(page: object) -> str:
    from selenium.webdriver.common.by import By

    return str(page.find_element(By.CSS_SELECTOR, ".graphiql-query-editor").text)  # type: ignore[attr-defined]


def _result_text(page: object) -> str:
    from selenium.webdriver.common.by import By

    return str(page.find_element(By.CSS_SELECTOR, ".graphiql-response").text)  # type: ignore[attr-defined]


def test_graphiql_runs_a_subscription_over_its_websocket(live_server, browser, db):
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support import expected_conditions as ready
    from selenium.webdriver.support.ui import WebDriverWait

    base, _ = live_server
    token = _member_with_a_persona(base)
    subscription = "subscription Inbox { inboxChanged { change conversation { title } } }"
    browser.get(f"{base}/healthz")
    headers = json.dumps({"Authorization": f"Bearer {token}"})
    browser.execute_script("localStorage.setItem('graphiql:headers', arguments[0])", headers)
    browser.execute_script("localStorage.setItem('graphiql:query', arguments[0])", subscription)
    browser.get(f"{base}/graphql")
    wait = WebDriverWait(browser, 60)
    wait.until(lambda page: "subscription Inbox" in _editor_text(page))
    run = wait.until(ready.element_to_be_clickable((By.CSS_SELECTOR, ".graphiql-execute-button")))
    run.click()

    # Start conversations until one shows up: the subscription goes live shortly after the click.
    seen = False
    for attempt in range(20):
        httpx.post(
            f"{base}/graphql",
            json={
                "query": f'mutation {{ startConversation(input: {{title: "Live {attempt}"}}) '
                "{ errors { message } } }"
            },
            headers={"Authorization": f"Bearer {token}"},
        )
        try:
            WebDriverWait(browser, 1).until(lambda page: '"STARTED"' in _result_text(page))
            seen = True
            break
        except Exception:
            continue
    ARTIFACTS.mkdir(exist_ok=True)
    browser.save_screenshot(str(ARTIFACTS / f"graphiql-subscription-{db.backend}.png"))
    assert seen, _result_text(browser)
    assert '"title": "Live' in _result_text(browser)


def test_the_sign_in_form_runs_log_in_and_sends_the_token(live_server, browser, db):
    """Given a member, when they sign in with the form above GraphiQL (after one wrong
    password), then the default query shows their data without any header typed."""
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support import expected_conditions as ready
    from selenium.webdriver.support.ui import WebDriverWait

    base, _ = live_server
    _member_with_a_persona(base)
    browser.get(f"{base}/graphql")
    wait = WebDriverWait(browser, 60)
    wait.until(lambda page: "query Overview" in _editor_text(page))

    def sign_in(password: str) -> None:
        browser.find_element(By.ID, "sign-in-login").clear()
        browser.find_element(By.ID, "sign-in-login").send_keys("browsing")
        browser.find_element(By.ID, "sign-in-password").clear()
        browser.find_element(By.ID, "sign-in-password").send_keys(password)
        browser.find_element(By.ID, "sign-in-submit").click()

    sign_in("wrong-password-1")
    wait.until(
        lambda page: "problem" in page.find_element(By.ID, "sign-in-status").get_attribute("class")
    )
    refused = browser.find_element(By.ID, "sign-in-status").text
    sign_in("correct-horse-1")
    wait.until(
        lambda page: "Signed in as browsing" in page.find_element(By.ID, "sign-in-status").text
    )
    run = wait.until(ready.element_to_be_clickable((By.CSS_SELECTOR, ".graphiql-execute-button")))
    run.click()
    ARTIFACTS.mkdir(exist_ok=True)
    try:
        wait.until(lambda page: '"username"' in _result_text(page))
    finally:
        browser.save_screenshot(str(ARTIFACTS / f"graphiql-signed-in-{db.backend}.png"))
    result = _result_text(browser)
    browser.find_element(By.ID, "sign-out").click()
    signed_out = browser.find_element(By.ID, "signed-out").is_displayed()

    assert refused and "Signed in" not in refused
    assert '"username": "browsing"' in result
    assert '"name": "Front desk"' in result
    assert signed_out
    assert browser.execute_script("return sessionStorage.getItem('concierge:token')") is None
