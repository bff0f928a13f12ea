"""Errors as JSON: every failure is `{"error": reason}` with the right status.

Rule 1: handlers raise ApiError (or let a known error through); the middleware answers.
Rule 2: statuses: 400 malformed JSON, fields or query parameters (with "field" naming the
field); 401 missing or bad credentials; 403 wrong role or another agent; 404 unknown
agent, queue, call, campaign or route; 408 an upload not received in time; 409 not
allowed in the current state; 413 body too large; 415 an upload of the wrong media type;
422 a well-formed value the configuration refuses (a not-ready reason that is not
configured, a disposition the queue does not list, a queue or campaign setting that fails
validation); 503 the engine is busy or storage is down.
Rule 3: a Rejected note maps by its code: not_found 404, conflict 409, invalid 422.
Rule 4: nothing leaks a traceback: anything unexpected is logged and answered 500.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable, Mapping
from typing import Final

from aiohttp import web
from sqlalchemy.exc import SQLAlchemyError

from cti.domain.config import ConfigError
from cti.domain.setting import SettingError
from cti.engine.engine import EngineBusy
from cti.storage.errors import ConfigConflict, ConfigNotFound, InvalidPin

logger = logging.getLogger(__name__)

REJECTION_STATUS: Final[Mapping[str, int]] = {"not_found": 404, "conflict": 409, "invalid": 422}
MAX_BODY_BYTES: Final = 64 * 1024  # aiohttp's client_max_size: larger bodies are 413
KEPT_HEADERS: Final = frozenset({"Allow", "Retry-After"})

Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]


class ApiError(Exception):
    def __init__(
        self,
        status: int,
        reason: str,
        *,
        field: str | None = None,
        headers: dict[str, str] | None = None,
    ) -> None:
        super().__init__(reason)
        self.status, self.reason, self.field = status, reason, field
        self.headers = headers or {}

    def response(self) -> web.Response:
        body: dict[str, str] = {"error": self.reason}
        if self.field is not None:
            body["field"] = self.field
        return web.json_response(body, status=self.status, headers=self.headers)


def bad_request(reason: str, field: str | None = None) -> ApiError:
    return ApiError(400, reason, field=field)


def invalid(field: str, reason: object) -> ApiError:
    """A 422 naming the field: a well-formed value the configuration refuses."""
    return ApiError(422, f"field '{field}': {reason}", field=field)


def rejected(reason: str, code: str) -> ApiError:
    return ApiError(REJECTION_STATUS.get(code, 409), reason)


def _config_error(exc: ConfigError) -> ApiError:
    if isinstance(exc, ConfigNotFound):
        return ApiError(404, str(exc))
    if isinstance(exc, ConfigConflict):
        return ApiError(409, str(exc))
    if isinstance(exc, InvalidPin):
        return ApiError(400, f"field 'pin': {exc}", field="pin")
    return ApiError(422, str(exc), field=exc.field if isinstance(exc, SettingError) else None)


@web.middleware
async def error_middleware(request: web.Request, handler: Handler) -> web.StreamResponse:
    try:
        return await handler(request)
    except ApiError as exc:
        return exc.response()
    except ConfigError as exc:
        return _config_error(exc).response()
    except EngineBusy as exc:
        return ApiError(503, f"engine busy: {exc}").response()
    except web.HTTPRequestEntityTooLarge as exc:
        reason = f"request body too large (at most {MAX_BODY_BYTES} bytes)"
        return ApiError(exc.status, reason).response()
    except web.HTTPException as exc:
        if exc.content_type == "application/json" or exc.status < 400:
            raise
        # aiohttp's own refusals carry headers a client needs (405: Allow).
        kept = {k: v for k, v in exc.headers.items() if k in KEPT_HEADERS}
        return ApiError(exc.status, exc.reason, headers=kept).response()
    except (SQLAlchemyError, OSError, TimeoutError) as exc:
        logger.warning("storage unavailable for %s %s: %r", request.method, request.path, exc)
        return ApiError(503, "storage unavailable").response()
    except Exception:
        logger.exception("unexpected error in %s %s", request.method, request.path)
        return ApiError(500, "internal error").response()
