"""What every job checks before it builds a pipeline: the model, the store, Pub/Sub.

``preflight`` turns an unusable environment into one ``PreflightError`` that
says what to fix (the CLI exits 3 with it) instead of a failure deep inside a
worker; ``check_store_for_runner`` refuses, without any network, a store the
runner's workers cannot share (SQLite anywhere but on this machine);
``resolve_thresholds`` is the decision thresholds a run classifies with (the
config's, else the model's calibrated ones).
"""

from __future__ import annotations

from collections.abc import Sequence

from mentionwatch.classify.model import Manifest, resolve_model_dir
from mentionwatch.config import LoadedConfig

# Runners whose workers are threads or processes of this machine, sharing its files.
LOCAL_RUNNERS = frozenset(
    {"directrunner", "bundlebaseddirectrunner", "switchingdirectrunner", "prismrunner"}
)


class PreflightError(RuntimeError):
    """The environment cannot run the job (model, store or Pub/Sub); says what to do."""


class StoreRunnerError(PreflightError):
    """The store cannot serve the runner's workers (SQLite on a remote runner)."""


def runner_from_args(beam_args: Sequence[str]) -> str | None:
    """The ``--runner`` among Beam arguments (``--runner X`` or ``--runner=X``), or None."""
    args = list(beam_args)
    for n, arg in enumerate(args):
        if arg.startswith("--runner="):
            return arg.split("=", 1)[1]
        if arg == "--runner" and n + 1 < len(args):
            return args[n + 1]
    return None


def check_store_for_runner(loaded: LoadedConfig, runner: str | None) -> None:
    """Refuses an SQLite store for a runner whose workers run on other machines.

    Each Dataflow (or Flink, Spark …) worker would open its own throwaway
    SQLite file: no shared history, no dedupe, alerts lost with the worker.
    Needs no network, so a launcher that must not touch live services runs it
    too. ``runner`` is the ``--runner`` value (None: the DirectRunner).

    Raises:
      StoreRunnerError: the store is SQLite and the runner is not local.
    """
    name = (runner or "DirectRunner").rsplit(".", 1)[-1]
    if name.lower() in LOCAL_RUNNERS:
        return
    store = loaded.config.store
    if store.url is not None and store.scheme == "sqlite":
        raise StoreRunnerError(
            f"{loaded.path}: store.url is an {store.url.split(':', 1)[0]}: URL, but {name} runs "
            "workers on other machines, each of which would keep its own throwaway SQLite "
            "file. Use a store every worker reaches: store.cloud_sql (Cloud SQL through the "
            "connector with IAM login, see configs/gcp.yaml) or a postgresql+psycopg:// url; "
            "SQLite is for the DirectRunner and PrismRunner on one machine"
        )


def resolve_thresholds(loaded: LoadedConfig) -> dict[str, float]:
    """The config's thresholds, falling back to the model's calibrated ones.

    The model's other calibrated decision thresholds (``type:*``,
    ``evidence:*``, see ``classify.decision``) are passed through unchanged.

    Raises:
      ModelLoadError: the configured model cannot be found or its manifest read.
    """
    configured = loaded.config.model.thresholds
    calibrated = Manifest.read(resolve_model_dir(loaded.config.model.name)).thresholds
    resolved = {key: float(value) for key, value in calibrated.items()}
    resolved.update(
        {
            label: float(
                getattr(configured, label)
                if getattr(configured, label) is not None
                else calibrated.get(label, 0.5)
            )
            for label in ("harassment", "re_promotion")
        }
    )
    return resolved


def preflight(
    loaded: LoadedConfig,
    emulator_host: str | None,
    *,
    check_pubsub: bool = True,
    runner: str | None = None,
) -> dict[str, float]:
    """Checks everything a run needs before any pipeline is built.

    ``runner`` is the job's ``--runner`` (None: the DirectRunner); an SQLite
    store is refused for a remote one (``check_store_for_runner``) before
    anything is contacted. Returns the resolved thresholds. Raises
    ``PreflightError`` with a fix.
    """
    from mentionwatch.classify.model import ModelLoadError, base_encoder_dir
    from mentionwatch.pubsub.admin import PubSubUnavailable, check_reachable
    from mentionwatch.store import HistoryStore, StoreUnavailable

    check_store_for_runner(loaded, runner)
    cfg = loaded.config
    try:
        model_dir = resolve_model_dir(cfg.model.name)
        base_encoder_dir(Manifest.read(model_dir).base, model_dir)
        thresholds = resolve_thresholds(loaded)
    except ModelLoadError as exc:
        raise PreflightError(f"model: {exc}") from None
    try:
        HistoryStore(cfg.store.target()).close()  # schema current before workers start
    except StoreUnavailable as exc:
        raise PreflightError(f"store: {exc}") from None
    if cfg.pubsub and check_pubsub:
        try:
            check_reachable(cfg.pubsub, emulator_host)
        except PubSubUnavailable as exc:
            raise PreflightError(f"pubsub: {exc}") from None
    return thresholds
