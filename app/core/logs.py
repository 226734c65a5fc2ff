"""JSON log lines (TECHSOV_LOG_JSON): one object per record, with the id of the request that logged it."""

from __future__ import annotations

import datetime as dt
import logging

import orjson

from app.core.middleware import request_id

LOGGERS = ("", "techsov", "uvicorn", "uvicorn.error", "uvicorn.access")


class JsonFormatter(logging.Formatter):
    """`{"time", "level", "logger", "message", "request_id", "exception"?}` on one line."""

    def format(self, record: logging.LogRecord) -> str:
        entry: dict[str, object] = {
            "time": dt.datetime.fromtimestamp(record.created, dt.UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname.lower(),
            "logger": record.name,
            "message": record.getMessage(),
            "request_id": request_id.get(),
        }
        if record.exc_info:
            entry["exception"] = self.formatException(record.exc_info)
        return orjson.dumps(entry).decode()


def use_json_logs() -> None:
    """Every handler of techsov's, uvicorn's and the root logger formats as JSON; a logger without any
    handler of its own that does not pass records on gets one on stderr."""
    formatter = JsonFormatter()
    for name in LOGGERS:
        logger = logging.getLogger(name)
        if not logger.handlers and (name == "" or not logger.propagate):
            logger.addHandler(logging.StreamHandler())
        for handler in logger.handlers:
            handler.setFormatter(formatter)
