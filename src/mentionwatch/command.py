"""What every ``mentionwatch`` command shares: exit codes, the error carrying one, the config.

Exit codes: 0 success; 1 the job failed while running; 2 the config (or the
command line) is invalid; 3 the environment cannot run the job (model, store
or Pub/Sub unavailable), with a message saying what to do.

The command modules (the ``cli`` package) and the demo job (``jobs.demo``)
import these from here, so the jobs never import the command line.
"""

from __future__ import annotations

from mentionwatch.config import ConfigError, LoadedConfig, load_config

EXIT_OK, EXIT_FAILED, EXIT_CONFIG, EXIT_ENV = 0, 1, 2, 3


class CommandError(Exception):
    """A command cannot run; ``code`` is the exit status."""

    def __init__(self, message: str, code: int = EXIT_ENV):
        super().__init__(message)
        self.code = code


def load_config_file(path: str) -> LoadedConfig:
    """The config at ``path`` for a command.

    Raises:
        CommandError: exit 2, when the file cannot be read or is invalid; the
            message lists every problem (file, line, field).
    """
    try:
        return load_config(path)
    except ConfigError as exc:
        count = len(exc.problems)
        raise CommandError(
            f"{exc}\n{count} problem{'s' if count != 1 else ''} in {path}", EXIT_CONFIG
        ) from None
