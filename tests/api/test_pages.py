"""The pages' files (cti/api/pages.py rule 1): every file of cti/web is served, with its type
and the pages' headers; nothing else is."""

from __future__ import annotations

from cti.api.pages import STATIC, WEB
from tests.api.harness import Api


async def test_every_file_of_the_pages_is_served_with_its_type_and_headers(api: Api) -> None:
    pages = {"wallboard.html", "signin.html"}
    assert {f.name for f in WEB.iterdir() if f.is_file()} == set(STATIC) | pages
    for name, kind in STATIC.items():
        async with api.client.get(f"/static/{name}") as response:
            assert response.status == 200, name
            assert response.content_type == kind, name
            assert response.headers["X-Content-Type-Options"] == "nosniff"
            assert await response.read() == (WEB / name).read_bytes()


async def test_a_file_not_listed_is_not_found(api: Api) -> None:
    for name in ("wallboard.html", "..%2Fsettings.py", "nope.js"):
        async with api.client.get(f"/static/{name}") as response:
            assert response.status == 404, name
