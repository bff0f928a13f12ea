"""The pages' files (cti/api/pages.py rule 1): every file of cti/web is served, with its type
and the pages' headers; nothing else is."""

from __future__ import annotations

from pathlib import Path

from cti.api.pages import BUILD, BUILT, STATIC, WEB
from cti.settings import SoftphoneSettings
from tests.api.harness import Api, running_api


async def test_every_file_of_the_pages_is_served_with_its_type_and_headers(api: Api) -> None:
    pages = {"wallboard.html", "signin.html", "desk.html"}
    assert {f.name for f in WEB.iterdir() if f.is_file()} == set(STATIC) | pages
    for name, kind in STATIC.items():
        async with api.client.get(f"/static/{name}") as response:
            assert response.status == 200, name
            assert response.content_type == kind, name
            assert response.headers["X-Content-Type-Options"] == "nosniff"
            assert await response.read() == (WEB / name).read_bytes()


async def test_the_bundle_built_at_set_up_is_served(api: Api) -> None:
    """Rule 3: scripts/bootstrap.sh built it from the lockfile (make test runs it first)."""
    for name, kind in BUILT.items():
        async with api.client.get(f"/static/{name}") as response:
            assert (response.status, response.content_type) == (200, kind), name
            body = await response.read()
        assert body == (BUILD / name).read_bytes()
    assert b"JsSIP (MIT licence" in (BUILD / "jssip.js").read_bytes()[:200]


async def test_the_desktop_may_connect_to_the_softphones_websocket_and_nowhere_else(
    tmp_path: Path,
) -> None:
    """Rule 4: connect-src gains the softphone.websocket_url's origin, on /desk only."""
    phones = SoftphoneSettings(websocket_url="wss://pbx.example.com:8089/ws", devices="1901",
                               secret="s3cretS3cretS3cret")  # fmt: skip
    async with running_api(tmp_path, softphones=phones) as api:
        async with api.client.get("/desk") as response:
            assert response.status == 200
            policy = response.headers["Content-Security-Policy"]
        async with api.client.get("/") as response:
            board = response.headers["Content-Security-Policy"]
    assert "connect-src 'self' wss://pbx.example.com:8089;" in policy
    assert "connect-src 'self';" in board and "pbx" not in board


async def test_a_file_not_listed_is_not_found(api: Api) -> None:
    for name in ("wallboard.html", "..%2Fsettings.py", "nope.js"):
        async with api.client.get(f"/static/{name}") as response:
            assert response.status == 404, name
