"""Secret references: ``secret://projects/P/secrets/S/versions/V``, resolved on the worker.

Wherever the config names the environment variable that holds a credential
(a source's ``*_env`` options, a notification channel's ``*_env`` settings,
``store.password``), it may instead give a Secret Manager reference. The
config only checks its shape (``parse``); the value is read where it is used,
on the machine that runs the work: a Beam worker in ``DoFn.setup()`` or the
first poll that needs it, the notify service when it builds its channels.

What is never done with a resolved value: it is not stored on a DoFn or any
object that is pickled (``SecretEnviron`` keeps only the environment it wraps
and looks each reference up in the process-wide cache of ``resolver()``), and
it is not logged or put in an error message (errors name the reference, which
is not secret). The Secret Manager client is made on first use, so building
a pipeline graph never contacts Google Cloud; tests inject a fake client with
``set_client_factory``.
"""

from __future__ import annotations

import re
import threading
from collections.abc import Callable, Iterator, Mapping
from typing import Any

SCHEME = "secret://"
_REFERENCE = re.compile(
    r"^secret://(projects/(?P<project>[a-z][a-z0-9-]{4,28}[a-z0-9]|\d+)"
    r"/secrets/(?P<secret>[A-Za-z0-9_-]{1,255})"
    r"/versions/(?P<version>latest|[1-9]\d*))$"
)
EXAMPLE = "secret://projects/my-project/secrets/reddit-client-secret/versions/latest"


class SecretUnavailable(RuntimeError):
    """A referenced secret cannot be read (missing, no access, Secret Manager unreachable).

    The message names the reference and the reason, never a secret value.
    """


def is_reference(value: Any) -> bool:
    """Whether ``value`` is meant as a secret reference (starts with ``secret://``)."""
    return isinstance(value, str) and value.startswith(SCHEME)


def parse(value: str) -> str:
    """The Secret Manager resource name (``projects/P/secrets/S/versions/V``) of a reference.

    Raises:
      ValueError: the reference is malformed; the message says the expected shape.
    """
    match = _REFERENCE.fullmatch(value)
    if match is None:
        raise ValueError(
            f"malformed secret reference {value!r}: expected "
            "secret://projects/PROJECT/secrets/NAME/versions/VERSION, where PROJECT is a "
            "project id or number, NAME uses letters, digits, '-' and '_', and VERSION is "
            f"a number or 'latest' (e.g. {EXAMPLE})"
        )
    return match.group(1)


def _default_client() -> Any:
    try:
        from google.cloud import secretmanager
    except ImportError:  # pragma: no cover - a dependency of apache-beam[gcp]
        raise SecretUnavailable(
            "secret references need google-cloud-secret-manager: pip install 'mentionwatch[gcp]'"
        ) from None
    return secretmanager.SecretManagerServiceClient()


class SecretResolver:
    """Reads secret references through Secret Manager, once per process and reference.

    Thread-safe: Beam runs several bundles of a process on threads. The cache
    holds values for the life of the process (a Dataflow worker), which is
    what reading a credential from the environment did before; a rotated
    secret is picked up by workers started after the rotation, or at once by
    pinning a version number in the config and updating the job.
    """

    def __init__(self, client_factory: Callable[[], Any] = _default_client):
        """A resolver that makes its client with ``client_factory`` on first use."""
        self._client_factory = client_factory
        self._client: Any = None
        self._values: dict[str, str] = {}
        self._lock = threading.Lock()

    def resolve(self, reference: str) -> str:
        """The secret's value (UTF-8 text).

        Raises:
          ValueError: the reference is malformed.
          SecretUnavailable: Secret Manager cannot give the value.
        """
        name = parse(reference)
        with self._lock:
            if reference in self._values:
                return self._values[reference]
            try:
                if self._client is None:
                    self._client = self._client_factory()
                response = self._client.access_secret_version(request={"name": name})
                value = response.payload.data.decode("utf-8")
            except SecretUnavailable:
                raise
            except Exception as exc:  # noqa: BLE001 - any client failure is one clear error
                # The client's error names the resource, never a value; keep only its type
                # and first line so a payload can never leak through an error message.
                first = str(exc).splitlines()[0] if str(exc) else ""
                raise SecretUnavailable(
                    f"cannot read {reference}: {type(exc).__name__}: {first}"
                ) from None
            self._values[reference] = value
            return value

    def forget(self) -> None:
        """Drops every cached value and the client (tests, and a process that must re-read)."""
        with self._lock:
            self._values.clear()
            self._client = None

    def __repr__(self) -> str:
        """Names how many references are cached, never their values."""
        return f"SecretResolver({len(self._values)} cached)"


_resolver = SecretResolver()


def resolver() -> SecretResolver:
    """This process's resolver (every DoFn of a worker process shares its cache)."""
    return _resolver


def set_client_factory(factory: Callable[[], Any] | None) -> None:
    """Replaces the process's resolver by one using ``factory`` (None: the real client).

    For tests, which pass a fake client; the old cache is dropped.
    """
    global _resolver
    _resolver = SecretResolver(factory or _default_client)


def resolve(value: str, environ: Mapping[str, str]) -> str | None:
    """A credential named by the config: a reference's value, else the variable's value.

    Returns None when ``value`` names an environment variable that is unset.

    Raises:
      SecretUnavailable: a reference that cannot be read.
    """
    if is_reference(value):
        return resolver().resolve(value)
    return environ.get(value)


class SecretEnviron(Mapping[str, str]):
    """The environment, where a ``secret://`` key reads the referenced secret.

    Code that reads ``environ[name]`` for a configured variable name works
    unchanged when the config holds a reference instead. Only the wrapped
    environment is kept; values come from the process-wide resolver, so
    pickling this object (or a DoFn holding it) never carries a secret. A
    reference that cannot be read raises ``SecretUnavailable`` (not
    ``KeyError``: a missing secret is an error to report, not an absent
    optional credential).
    """

    def __init__(self, environ: Mapping[str, str]):
        """Wraps ``environ`` (usually ``os.environ``)."""
        self._environ = environ

    def __getitem__(self, key: str) -> str:
        """The referenced secret, or the environment variable ``key``."""
        if is_reference(key):
            return resolver().resolve(key)
        return self._environ[key]

    def __contains__(self, key: object) -> bool:
        """References are always present (reading one that fails raises)."""
        return is_reference(key) or key in self._environ

    def get(self, key: str, default: Any = None) -> Any:
        """Like ``Mapping.get``, but an unreadable reference raises ``SecretUnavailable``."""
        if is_reference(key):
            return resolver().resolve(key)
        return self._environ.get(key, default)

    def __iter__(self) -> Iterator[str]:
        """The wrapped environment's names (references are not enumerable)."""
        return iter(self._environ)

    def __len__(self) -> int:
        """The wrapped environment's size."""
        return len(self._environ)

    def __reduce__(self):
        """Pickles as a wrapper of the live ``os.environ`` of the unpickling process."""
        return (worker_environ, ())

    def __repr__(self) -> str:
        """No values: an environment holds secrets."""
        return "SecretEnviron(<environment>)"


def worker_environ() -> SecretEnviron:
    """``os.environ`` with secret references readable (what workers read credentials from)."""
    import os

    return SecretEnviron(os.environ)
