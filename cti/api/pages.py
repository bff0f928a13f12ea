"""The pages served by `cti serve`: the sign-in page and the wallboard (issue 14), the agent
desktop (issue 15), with their scripts and stylesheet, all from cti/web (written by hand,
but JsSIP's bundle, rule 3; nothing fetched from elsewhere at run time).

Rules:
1. `GET /` is the wallboard, `GET /signin` the sign-in page, `GET /static/<file>` one of
   STATIC's files; any other file is a 404. The pages hold no data: the wallboard's script
   asks `GET /api/v1/session` and goes to the sign-in page on a 401.
2. Every page answer forbids what the pages never need: a strict Content-Security-Policy
   (this server's own scripts, styles and connections only, no inline script, no frames),
   no MIME sniffing, no referrer, never framed. Pages and files are revalidated on every
   load (no-cache), so an upgrade of the server is what the next load shows.
3. BUILT's files are made at set-up from the npm lockfile (scripts/bootstrap.sh: JsSIP
   bundled by esbuild into cti/web/build/, never committed) and served as STATIC's are; a
   file not built yet is a 503 saying how to build it.
4. `GET /desk` is the agent desktop; its policy also lets it connect to the softphones'
   WebSocket (softphone.websocket_url's origin), and to nothing else more.
"""

from __future__ import annotations

from pathlib import Path
from typing import Final
from urllib.parse import urlsplit

from aiohttp import web

from cti.api.context import context_of
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
    "api.js": "text/javascript",
    "desk.js": "text/javascript",
    "softphone.js": "text/javascript",
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


BUILD: Final = WEB / "build"  # rule 3
BUILT: Final = {"jssip.js": "text/javascript"}


def _file(name: str, content_type: str, where: Path = WEB) -> web.Response:
    body = (where / name).read_bytes()  # small files of the package, read from the page cache
    return web.Response(body=body, content_type=content_type, charset="utf-8", headers=HEADERS)


@route(routes, "GET", "/", summary="The wallboard (a page)", answer=None, public=True, tag="pages")
async def wallboard(_request: web.Request) -> web.Response:
    return _file("wallboard.html", "text/html")


@route(
    routes,
    "GET",
    "/desk",
    summary="The agent desktop (a page; issue 15)",
    answer=None,
    public=True,
    tag="pages",
)
async def desk(request: web.Request) -> web.Response:
    """Rule 4: the page may also connect to the softphones' WebSocket (softphone settings)."""
    response = _file("desk.html", "text/html")
    url = context_of(request).softphones.websocket_url
    if url:
        parts = urlsplit(url)
        policy = response.headers["Content-Security-Policy"]
        origin = f"{parts.scheme}://{parts.netloc}"
        response.headers["Content-Security-Policy"] = policy.replace(
            "connect-src 'self'", f"connect-src 'self' {origin}"
        )
    return response


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
    if name in BUILT:
        if not (BUILD / name).is_file():
            raise ApiError(503, f"{name} is not built: run make bootstrap (npm ci, npm run build)")
        return _file(name, BUILT[name], BUILD)
    if name not in STATIC:
        raise ApiError(404, f"no such file: {name}")
    return _file(name, STATIC[name])
