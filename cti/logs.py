"""Structured logs: one JSON object per line (or plain text), never a secret.

Rule 1: one line per record, with epoch time to the microsecond, level, logger and message.
Rule 2: AMI Secret values are never logged (the link never logs actions it sends).
Rule 3: the records go to stderr, or to the one file named (appended to, and reopened when
it is moved away, as logrotate does); nothing else receives them.
Rule 4: a failure retried every round (the database down for minutes) is logged with its
traceback once, then in one line on its 2nd, 4th, 8th... repeat, and once when it stops:
an outage leaves a few lines, not a traceback a second. Another kind of failure is a new
one, logged in full.
"""

from __future__ import annotations

import json
import logging
import logging.handlers
import sys
from typing import Final

_TEXT: Final = "%(asctime)s %(levelname)s %(name)s: %(message)s"


class JsonFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        entry: dict[str, object] = {
            "ts": round(record.created, 6),
            "level": record.levelname.lower(),
            "logger": record.name,
            "msg": record.getMessage(),
        }
        if record.exc_info:
            entry["exc"] = self.formatException(record.exc_info)
        return json.dumps(entry, ensure_ascii=False)


class Repeats:
    """One retried operation's failures, logged by rule 4."""

    def __init__(self, logger: logging.Logger, what: str) -> None:
        self._logger, self._what = logger, what
        self._kind: type[BaseException] | None = None
        self._count = 0

    @property
    def count(self) -> int:
        """Failures in a row so far (0 after a success)."""
        return self._count

    def failed(self, exc: BaseException) -> None:
        if type(exc) is not self._kind:
            self._kind, self._count = type(exc), 1
            self._logger.error("%s", self._what, exc_info=exc)
            return
        self._count += 1
        if self._count & (self._count - 1) == 0:  # a power of two
            self._logger.warning("%s, %d times in a row: %r", self._what, self._count, exc)

    def succeeded(self) -> None:
        if self._count:
            self._logger.info("%s: succeeds again after %d failures", self._what, self._count)
        self._kind, self._count = None, 0


class LogFileError(ValueError):
    """The log file named by the configuration cannot be opened for writing."""


def configure(level: str, fmt: str, file: str = "") -> None:
    """Send every record to `file` ("" for stderr) as JSON lines or text (rule 3)."""
    handler: logging.Handler
    if file:
        try:
            handler = logging.handlers.WatchedFileHandler(file, encoding="utf-8")
        except OSError as exc:
            raise LogFileError(f"log.file: cannot write {file}: {exc.strerror}") from exc
    else:
        handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(JsonFormatter() if fmt == "json" else logging.Formatter(_TEXT))
    root = logging.getLogger()
    for old in root.handlers:
        old.close()  # a file handler configured before would keep its file open
    root.handlers[:] = [handler]
    root.setLevel(level.upper())
    logging.getLogger("panoramisk").setLevel(logging.WARNING)  # it logs every frame at INFO
