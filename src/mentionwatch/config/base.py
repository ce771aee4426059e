"""What every config block shares: the strict, frozen ``Block`` base and the common checks.

The checks raise ``ValueError`` with a message that says how to fix the value;
``field_errors`` points a check that spans fields at the exact field that is
wrong, so ``mentionwatch validate`` can give its line.
"""

from __future__ import annotations

import re
import zoneinfo
from collections.abc import Sequence
from typing import Any
from urllib.parse import urlparse

from pydantic import BaseModel, ConfigDict, ValidationError
from pydantic_core import InitErrorDetails, PydanticCustomError

from mentionwatch.secretref import EXAMPLE as REFERENCE_EXAMPLE
from mentionwatch.secretref import is_reference
from mentionwatch.secretref import parse as parse_reference

_ENV_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")
_HHMM = re.compile(r"^([01]?\d|2[0-3]):([0-5]\d)$")


class Block(BaseModel):
    """A config block: unknown keys are errors and a validated block never changes."""

    model_config = ConfigDict(extra="forbid", frozen=True)


def env_var(value: str | None, holds: str, example: str) -> str | None:
    """``value`` unchanged if it is an environment variable's name or a secret reference.

    A secret reference (``secret://projects/P/secrets/S/versions/V``, see
    ``mentionwatch.secretref``) is read from Secret Manager where the value is
    used (on the worker), never here; only its shape is checked.

    Raises:
      ValueError: it is neither a name nor a well-formed reference; the
        message never repeats a value that could be the secret itself.
    """
    if value is None:
        return None
    if is_reference(value):
        try:
            parse_reference(value)
        except ValueError:
            # Not repeated either: a malformed reference may be a secret pasted after secret://.
            raise ValueError(
                f"malformed secret reference for the {holds}: expected "
                "secret://projects/PROJECT/secrets/NAME/versions/VERSION (PROJECT a project id "
                "or number, NAME of letters, digits, '-' and '_', VERSION a number or 'latest'), "
                f"e.g. {REFERENCE_EXAMPLE}"
            ) from None
        return value
    if not _ENV_NAME.fullmatch(value):
        raise ValueError(
            "this is not an environment variable name (the value is not shown, in case it is "
            f"the {holds}); give the NAME of the variable that holds the {holds} (e.g. "
            f"{example}) or a Secret Manager reference ({REFERENCE_EXAMPLE}), never the "
            f"{holds} itself"
        )
    return value


def credential_env(value: str | None) -> str | None:
    """``env_var`` for a source's credential (an API id, secret or token)."""
    return env_var(value, "credential", "REDDIT_CLIENT_SECRET")


def secret_env(value: str | None) -> str | None:
    """``env_var`` for a notification or store secret (a login, a webhook key or URL)."""
    return env_var(value, "secret", "MENTIONWATCH_SMTP_PASSWORD")


def http_base_url(value: str) -> str:
    """An http(s) base URL without its trailing slash.

    Raises:
      ValueError: not http(s), no host, a login in the URL, or a query or fragment.
    """
    parsed = urlparse(value)
    if parsed.scheme not in ("http", "https") or not parsed.netloc:
        raise ValueError(f"expected an http(s) URL such as 'https://example.org', got {value!r}")
    if parsed.username or parsed.password:
        raise ValueError("a base URL must not contain credentials; use the *_env settings")
    if parsed.query or parsed.fragment:
        raise ValueError(f"a base URL has no query or fragment, got {value!r}")
    return value.rstrip("/")


def exactly_one(block: BaseModel, fields: Sequence[str], what: str) -> None:
    """Checks that exactly one of ``fields`` is set on ``block``.

    Raises:
      ValueError: none or several are set (``what`` names the block in the message).
    """
    chosen = [f for f in fields if getattr(block, f)]
    if len(chosen) != 1:
        given = f" (got {', '.join(chosen)})" if chosen else ""
        raise ValueError(f"{what}: set exactly one of {', '.join(fields)}{given}")


def field_errors(
    title: str, problems: Sequence[tuple[tuple[Any, ...], str, Any]]
) -> ValidationError:
    """A ValidationError pointing at nested fields, for checks that span fields.

    ``problems`` holds ``(location within the block, message, value)``. A plain
    ``ValueError`` from a model validator is reported against the whole block;
    this keeps the line and field of the exact value that is wrong.
    """
    return ValidationError.from_exception_data(
        title,
        [
            InitErrorDetails(type=PydanticCustomError("value_error", message), loc=loc, input=value)
            for loc, message, value in problems
        ],
    )


def time_of_day(value: Any) -> Any:
    """A local time of day normalised to ``"HH:MM"``.

    Raises:
      ValueError: it is not a 24-hour ``HH:MM`` time.
    """
    # YAML 1.1 reads an unquoted 22:00 as the base-60 integer 1320; turn it back.
    if isinstance(value, int) and not isinstance(value, bool) and value >= 60:
        value = f"{value // 60:02d}:{value % 60:02d}"
    match = _HHMM.fullmatch(value) if isinstance(value, str) else None
    if match is None:
        raise ValueError(
            f'expected a local time of day as "HH:MM" (24-hour, in quotes), got {value!r}'
        )
    return f"{int(match.group(1)):02d}:{match.group(2)}"


def time_zone(value: str | None) -> str | None:
    """``value`` unchanged if it is a known IANA time zone (or None).

    Raises:
      ValueError: the zone is unknown on this machine.
    """
    if value is None:
        return None
    try:
        zoneinfo.ZoneInfo(value)
    except (zoneinfo.ZoneInfoNotFoundError, ValueError):
        raise ValueError(
            f"unknown time zone {value!r}; use an IANA name such as 'Europe/Berlin', "
            "'America/Chicago' or 'UTC' (if none work, install the 'tzdata' package)"
        ) from None
    return value
