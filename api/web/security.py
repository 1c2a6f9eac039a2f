"""Security headers on every response, and tokens kept out of the server's logs.

The pages load nothing from elsewhere and run no inline script, so the policy can be
strict: scripts, styles, images and fonts only from this origin, requests only back to
it, no framing, no plugins. Only the interactive API docs (``/docs``, ``/redoc``), which
FastAPI builds from a CDN with an inline script, are left without a policy.
"""

from __future__ import annotations

import logging
import re
from typing import Any

from starlette.types import ASGIApp, Message, Receive, Scope, Send

CSP = "; ".join(
    [
        "default-src 'none'",
        "script-src 'self'",
        "style-src 'self'",
        "img-src 'self' data:",
        "font-src 'self'",
        "connect-src 'self'",
        "form-action 'self'",
        "base-uri 'none'",
        "frame-ancestors 'none'",
    ]
)
_DOCS = ("/docs", "/redoc")

_HEADERS: list[tuple[bytes, bytes]] = [
    (b"referrer-policy", b"no-referrer"),
    (b"x-content-type-options", b"nosniff"),
    (b"x-frame-options", b"DENY"),
    (b"cross-origin-opener-policy", b"same-origin"),
]


class SecurityHeaders:
    """Pure ASGI middleware (it never buffers a body, so event streams stay live)."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        path: str = scope.get("path", "")
        docs = any(path == d or path.startswith(d + "/") for d in _DOCS)

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = list(message.get("headers", []))
                present = {k.lower() for k, _ in headers}
                extra = list(_HEADERS)
                if not docs:
                    extra.append((b"content-security-policy", CSP.encode()))
                headers.extend((k, v) for k, v in extra if k not in present)
                message = {**message, "headers": headers}
            await send(message)

        await self.app(scope, receive, send_with_headers)


# token=, access_token=, invite_token=, ... in a query string; the value ends at '&',
# whitespace or a quote.
_TOKEN_IN_URL = re.compile(r"(?i)(\w*token=)[^&\s\"']*")
REDACTED = "[redacted]"


def redact(text: str) -> str:
    """``text`` with every ``token=`` value in it replaced by ``[redacted]``."""
    return _TOKEN_IN_URL.sub(lambda m: m.group(1) + REDACTED, text)


class RedactTokens(logging.Filter):
    """Rewrites a log record so no invite token from a URL reaches any handler.

    uvicorn's access log passes the request line (path and query string) as an argument,
    so the arguments are redacted as well as the message.
    """

    def filter(self, record: logging.LogRecord) -> bool:
        if isinstance(record.msg, str):
            record.msg = redact(record.msg)
        if isinstance(record.args, tuple):
            record.args = tuple(_redact_arg(a) for a in record.args)
        elif isinstance(record.args, dict):
            record.args = {k: _redact_arg(v) for k, v in record.args.items()}
        return True


def _redact_arg(value: Any) -> Any:
    return redact(value) if isinstance(value, str) else value


# uvicorn configures its loggers before it loads the app, and logging.config keeps a
# logger's existing filters when it configures it again, so a filter added here stays.
_LOGGERS = ("uvicorn.access", "uvicorn.error", "uvicorn")


def install_log_redaction() -> None:
    """Add the :class:`RedactTokens` filter to uvicorn's loggers (once)."""
    for name in _LOGGERS:
        logger = logging.getLogger(name)
        if not any(isinstance(f, RedactTokens) for f in logger.filters):
            logger.addFilter(RedactTokens())
