"""The pages served by `cti serve` (issue 14): the sign-in page and the wallboard, with
their script and stylesheet, all from cti/web (written by hand, nothing generated, nothing
fetched from elsewhere at run time).

Rules:
1. `GET /` is the wallboard, `GET /signin` the sign-in page, `GET /static/<file>` one of
   STATIC's files; any other file is a 404. The pages hold no data: the wallboard's script
   asks `GET /api/v1/session` and goes to the sign-in page on a 401.
2. Every page answer forbids what the pages never need: a strict Content-Security-Policy
   (this server's own scripts, styles and connections only, no inline script, no frames),
   no MIME sniffing, no referrer, never framed. Pages and files are revalidated on every
   load (no-cache), so an upgrade of the server is what the next load shows.
"""

from __future__ import annotations

from pathlib import Path
from typing import Final

from aiohttp import web

from cti.api.errors import ApiError
from cti.api.route import route

routes = web.RouteTableDef()
WEB: Final = Path(__file__).resolve().parent.parent / "web"
STATIC: Final = {
    "app.css": "text/css",
    "signin.js": "text/javascript",
    "wallboard.js": "text/javascript",
    "supervise.js": "text/javascript",
    "format.js": "text/javascript",
    "rows.js": "text/javascript",
    "tiles.js": "text/javascript",
    "icon.svg": "image/svg+xml",
}
HEADERS: Final = {  # rule 2
    "Content-Security-Policy": (
        "default-src 'none'; script-src 'self'; style-src 'self'; connect-src 'self'; "
        "img-src 'self'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'"
    ),
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
    "X-Frame-Options": "DENY",
    "Cache-Control": "no-cache",
}


def _file(name: str, content_type: str) -> web.Response:
    body = (WEB / name).read_bytes()  # small files of the package, read from the page cache
    return web.Response(body=body, content_type=content_type, charset="utf-8", headers=HEADERS)


@route(routes, "GET", "/", summary="The wallboard (a page)", answer=None, public=True, tag="pages")
async def wallboard(_request: web.Request) -> web.Response:
    return _file("wallboard.html", "text/html")


@route(
    routes,
    "GET",
    "/signin",
    summary="The sign-in page of supervisors",
    answer=None,
    public=True,
    tag="pages",
)
async def signin(_request: web.Request) -> web.Response:
    return _file("signin.html", "text/html")


@route(
    routes,
    "GET",
    "/static/{name}",
    summary="A script or stylesheet of the pages",
    answer=None,
    public=True,
    errors=(404,),
    tag="pages",
)
async def static(request: web.Request) -> web.Response:
    name = request.match_info["name"]
    if name not in STATIC:
        raise ApiError(404, f"no such file: {name}")
    return _file(name, STATIC[name])
