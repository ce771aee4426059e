"""Launching a job on a remote runner (Dataflow): build the graph, submit it, exit.

A flex-template launcher (or an operator with ``--runner DataflowRunner``)
runs ``pipelines/monitor.py`` / ``pipelines/ingest.py`` on a small VM that
only has to hand the job to the service. What the local commands do around
the graph does not belong there:

* no preflight against live services: the store (Cloud SQL on a private IP)
  and Pub/Sub are the workers' to reach, not the launcher's; only what can be
  checked offline is checked (the config, the runner/store combination, the
  model the workers will load, Pub/Sub not pointing at an emulator);
* no ``republish_pending``: that is the scheduled ``mentionwatch pubsub
  republish`` job's work (docs/deploy.md);
* no ``wait_until_finish``: a streaming job never finishes, and a launcher
  that waits holds the launch until it times out.

With ``--dry_run`` (Beam's ``TestOptions``) the graph is built and translated
into a Dataflow job but nothing is submitted and nothing is contacted: it is
how tests prove the graphs build for Dataflow (under ``unshare -rn``).

``is_remote`` decides which path a command takes; the local paths (the
DirectRunner) are unchanged.
"""

from __future__ import annotations

import dataclasses
import re
import time
from collections.abc import Sequence

import apache_beam as beam

from mentionwatch.config import LoadedConfig
from mentionwatch.jobs.preflight import (
    LOCAL_RUNNERS,
    PreflightError,
    check_store_for_runner,
    runner_from_args,
)

JOBS = ("monitor", "ingest")


class LaunchError(ValueError):
    """The job cannot be launched as configured; the message says what to change."""


@dataclasses.dataclass(frozen=True)
class Launched:
    """What a launch did: the job, the runner, the graph's size and the job id if submitted."""

    job: str
    runner: str
    transforms: int
    job_id: str | None
    dry_run: bool
    notes: tuple[str, ...] = ()

    def lines(self) -> list[str]:
        """The launch's summary as printed lines (notes first)."""
        head = f"mentionwatch {self.job}: {self.transforms} transforms built for {self.runner}"
        if self.dry_run:
            last = f"{head}; dry run: nothing submitted"
        else:
            last = f"{head}; submitted job {self.job_id or '(template)'}; not waiting for it"
        return [*self.notes, last]


def beam_flags(beam_args: Sequence[str]) -> list[str]:
    """The Beam arguments with a bare ``--dry_run`` written as ``--dry_run=True``.

    Beam's ``TestOptions`` declares ``--dry_run`` with a value; the bare flag
    (as operators and the issue's acceptance command write it) means true.
    """
    args = list(beam_args)
    return [
        "--dry_run=True"
        if a == "--dry_run" and (n + 1 == len(args) or args[n + 1].startswith("-"))
        else a
        for n, a in enumerate(args)
    ]


def runner_of(beam_args: Sequence[str]) -> str:
    """The ``--runner`` among Beam arguments, without a module path; default DirectRunner."""
    return (runner_from_args(beam_args) or "DirectRunner").rsplit(".", 1)[-1]


def is_remote(beam_args: Sequence[str]) -> bool:
    """Whether the Beam arguments name a runner that runs elsewhere (Dataflow …)."""
    return runner_of(beam_args).lower() not in LOCAL_RUNNERS


def check_offline(loaded: LoadedConfig, job: str, runner: str) -> None:
    """What a launcher can check without a network; raises ``LaunchError`` with the fix.

    Raises:
      LaunchError: an unknown job, no ``pubsub`` block, an emulator, or a
        model the workers could not load.
    """
    from mentionwatch.classify.model import Manifest, ModelLoadError, resolve_model_dir

    if job not in JOBS:
        raise LaunchError(f"unknown job {job!r}: one of {', '.join(JOBS)}")
    cfg = loaded.config
    where = loaded.path
    if cfg.pubsub is None:
        raise LaunchError(f"{where}: the {job} job needs a 'pubsub' block")
    if cfg.pubsub.emulator:
        raise LaunchError(
            f"{where}: pubsub.emulator is true, but {runner} workers cannot reach an emulator "
            "on this machine; set emulator: false and the GCP project (configs/gcp.yaml)"
        )
    try:
        Manifest.read(resolve_model_dir(cfg.model.name))
    except ModelLoadError as exc:
        raise LaunchError(f"{where}: model: {exc}") from None


def dry_run_stand_ins(options) -> list[str]:
    """For a dry run: valid stand-ins for a placeholder project or bucket, each with a note.

    A dry run builds and translates the job and contacts nothing, but Beam
    validates ``--project`` (lowercase letters, digits and hyphens, at least
    three) when the pipeline is made, and when neither ``--temp_location``
    nor ``--staging_location`` is a valid ``gs://bucket/path`` it looks up
    (and creates) a default bucket over the network. Placeholders such as
    ``--project p --temp_location gs://b/tmp`` are therefore replaced here by
    valid values that no request will use; each replacement is returned as a
    note saying that a real launch with the given value would be refused.
    Nothing is replaced outside a dry run.
    """
    from apache_beam.options.pipeline_options import GoogleCloudOptions
    from apache_beam.options.pipeline_options_validator import PipelineOptionsValidator as V

    gcp = options.view_as(GoogleCloudOptions)
    notes = []
    if gcp.project and not re.fullmatch(V.PROJECT_ID_PATTERN.strip("^$"), gcp.project):
        notes.append(
            f"note: --project {gcp.project} is not a valid project ID, a real launch would be "
            "refused; this dry run uses mentionwatch-dry-run"
        )
        gcp.project = "mentionwatch-dry-run"

    def bucket_ok(path: str | None) -> bool:
        match = re.fullmatch(V.GCS_URI, path or "", re.DOTALL)
        return bool(
            match
            and match.group("SCHEME") == "gs"
            and match.group("OBJECT") is not None
            and re.fullmatch(V.GCS_BUCKET.strip("^$"), match.group("BUCKET"))
        )

    if not (bucket_ok(gcp.temp_location) or bucket_ok(gcp.staging_location)):
        given = gcp.temp_location or gcp.staging_location or "(none)"
        notes.append(
            f"note: {given} is not a valid GCS location; a real launch would use Beam's "
            "default bucket (looked up and created online); this dry run uses "
            "gs://mentionwatch-dry-run/tmp"
        )
        gcp.temp_location = gcp.staging_location = "gs://mentionwatch-dry-run/tmp"
    return notes


def build_job(p: beam.Pipeline, loaded: LoadedConfig, job: str) -> None:
    """Wires ``job``'s graph for a remote runner: real Pub/Sub, ``id_label`` on."""
    if job == "monitor":
        from mentionwatch.jobs.monitor import build_pipeline

        build_pipeline(p, loaded, emulator_host=None, dedupe_attribute=True)
    else:
        from mentionwatch.jobs.ingest import build_pipeline

        build_pipeline(p, loaded, emulator_host=None, run_started=time.time())


def submit(loaded: LoadedConfig, job: str, beam_args: Sequence[str]) -> Launched:
    """Builds ``job`` for the remote runner in ``beam_args`` and submits it; never waits.

    The monitor is a streaming job; the ingest a batch job (Cloud Scheduler
    launches it on its schedule).

    Raises:
      LaunchError: the config cannot run remotely (``check_offline``; an
        SQLite store, ``preflight.check_store_for_runner``) or Beam refuses
        the options.
    """
    from apache_beam.options.pipeline_options import (
        PipelineOptions,
        StandardOptions,
        TestOptions,
    )

    beam_args = beam_flags(beam_args)
    runner = runner_of(beam_args)
    check_offline(loaded, job, runner)
    try:
        check_store_for_runner(loaded, runner)
    except PreflightError as exc:
        raise LaunchError(str(exc)) from None
    options = PipelineOptions(list(beam_args))
    if job == "monitor":
        options.view_as(StandardOptions).streaming = True
    dry_run = str(options.view_as(TestOptions).dry_run).lower() in ("true", "1", "yes")
    notes = dry_run_stand_ins(options) if dry_run else []
    try:
        p = beam.Pipeline(options=options)
    except ValueError as exc:  # Beam's option validation: say it without a traceback
        raise LaunchError(f"{runner} options: {exc}") from None
    build_job(p, loaded, job)
    transforms = len(p.to_runner_api().components.transforms)
    result = p.run()  # submits (or, for a dry run, only translates); never waited for
    job_id = result.job_id() if hasattr(result, "job_id") and not dry_run else None
    return Launched(job, runner, transforms, job_id, dry_run, tuple(notes))


def config_argument(args: Sequence[str]) -> list[str]:
    """The arguments with ``--config PATH`` / ``--config=PATH`` turned into the positional CONFIG.

    Flex templates pass parameters as ``--name=value``; operators may write
    either form, or the positional ``CONFIG`` the ``mentionwatch`` commands take.

    Raises:
      LaunchError: ``--config`` without a path, or given twice.
    """
    out: list[str] = []
    configs: list[str] = []
    rest = list(args)
    while rest:
        arg = rest.pop(0)
        if arg == "--config":
            if not rest or rest[0].startswith("--"):
                raise LaunchError("--config needs a path: --config configs/gcp.yaml")
            configs.append(rest.pop(0))
        elif arg.startswith("--config="):
            configs.append(arg.removeprefix("--config="))
        else:
            out.append(arg)
    if len(configs) > 1:
        raise LaunchError(f"--config given {len(configs)} times ({', '.join(configs)}): give one")
    return [*configs, *out]


def launch_command(config: str, job: str, beam_args: Sequence[str]) -> int:
    """``mentionwatch <job> CONFIG --runner <remote> …``: submit, print the summary, exit.

    Returns the exit status: 0 submitted (or built, for a dry run), 2 when the
    config or the options cannot run remotely (the message says why).
    """
    import sys

    from mentionwatch.command import EXIT_CONFIG, EXIT_OK, load_config_file

    try:
        launched = submit(load_config_file(config), job, beam_args)
    except LaunchError as exc:
        print(f"mentionwatch {job}: {exc}", file=sys.stderr)
        return EXIT_CONFIG
    for line in launched.lines():
        print(line, flush=True)
    return EXIT_OK
