"""What every job checks before it builds a pipeline: the model, the store, Pub/Sub.

``preflight`` turns an unusable environment into one ``PreflightError`` that
says what to fix (the CLI exits 3 with it) instead of a failure deep inside a
worker; ``resolve_thresholds`` is the decision thresholds a run classifies
with (the config's, else the model's calibrated ones).
"""

from __future__ import annotations

from mentionwatch.classify.model import Manifest, resolve_model_dir
from mentionwatch.config import LoadedConfig


class PreflightError(RuntimeError):
    """The environment cannot run the job (model, store or Pub/Sub); says what to do."""


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
    loaded: LoadedConfig, emulator_host: str | None, *, check_pubsub: bool = True
) -> dict[str, float]:
    """Checks everything a run needs before any pipeline is built.

    Returns the resolved thresholds. Raises ``PreflightError`` with a fix.
    """
    from mentionwatch.classify.model import ModelLoadError, base_encoder_dir
    from mentionwatch.pubsub.admin import PubSubUnavailable, check_reachable
    from mentionwatch.store import HistoryStore, StoreUnavailable

    cfg = loaded.config
    try:
        model_dir = resolve_model_dir(cfg.model.name)
        base_encoder_dir(Manifest.read(model_dir).base, model_dir)
        thresholds = resolve_thresholds(loaded)
    except ModelLoadError as exc:
        raise PreflightError(f"model: {exc}") from None
    try:
        HistoryStore(cfg.store.url).close()  # creates the schema once, before workers race to
    except StoreUnavailable as exc:
        raise PreflightError(f"store: {exc}") from None
    if cfg.pubsub and check_pubsub:
        try:
            check_reachable(cfg.pubsub, emulator_host)
        except PubSubUnavailable as exc:
            raise PreflightError(f"pubsub: {exc}") from None
    return thresholds
