"""Static checks of infra/ (issue 17): what would make a first `terraform apply` fail or a
deployment insecure, found without Google Cloud.

Every ``.tf`` file is parsed with python-hcl2 and the structural facts the issue lists are
asserted on the parse (google-beta for the flex template, private Cloud SQL on a VPC, jobs on a
subnetwork without external IPs and with an SDK image, exact IAM roles, pinned images, bucket
hygiene, scheduled republish and retention). checkov (in its own virtual environment,
``make infra-tools``) must report no failed check that ``infra/checkov-accepted.txt`` does not
list with a reason; ``terraform fmt -check`` runs when the binary is present. checkov and
terraform run with the network off (``unshare -rn`` where it works, and checkov's
``--skip-download``): nothing here reaches the internet.
"""

from __future__ import annotations

import functools
import json
import os
import pathlib
import re
import shutil
import subprocess

import hcl2
import pytest

ROOT = pathlib.Path(__file__).resolve().parents[2]
INFRA = ROOT / "infra"
TERRAFORM = INFRA / "terraform"
DOCKERFILE = INFRA / "dataflow" / "Dockerfile"
ACCEPTED = INFRA / "checkov-accepted.txt"
FULL_VARS = pathlib.Path(__file__).with_name("full.tfvars")
CHECKOV = ROOT / ".venv-infra" / "bin" / "checkov"

BROAD_ROLES = {"roles/owner", "roles/editor", "roles/pubsub.editor", "roles/pubsub.admin"}


# --------------------------------------------------------------------------- parsing


def _unquote(text: str) -> str:
    if len(text) >= 2 and text[0] == '"' and text[-1] == '"':
        return text[1:-1].replace('\\"', '"')
    return text


def _clean(value):
    """python-hcl2 keeps string quotes and adds bookkeeping keys; drop both."""
    if isinstance(value, dict):
        return {_unquote(k): _clean(v) for k, v in value.items() if not k.startswith("__")}
    if isinstance(value, list):
        return [_clean(v) for v in value]
    if isinstance(value, str):
        return _unquote(value)
    return value


class Module:
    """The parsed module: resources by (type, name), locals, variables, terraform blocks."""

    def __init__(self, files: dict[str, dict]):
        self.files = files
        self.resources: dict[tuple[str, str], dict] = {}
        self.locals: dict = {}
        self.variables: dict[str, dict] = {}
        self.terraform: list[dict] = []
        self.providers: dict[str, dict] = {}
        for parsed in files.values():
            for block in parsed.get("resource", []):
                for rtype, named in block.items():
                    for name, body in named.items():
                        assert (rtype, name) not in self.resources, f"{rtype}.{name} twice"
                        self.resources[(rtype, name)] = body
            for block in parsed.get("locals", []):
                self.locals.update(block)
            for block in parsed.get("variable", []):
                self.variables.update(block)
            self.terraform.extend(parsed.get("terraform", []))
            for block in parsed.get("provider", []):
                self.providers.update(block)

    def of_type(self, rtype: str) -> dict[str, dict]:
        return {name: body for (t, name), body in self.resources.items() if t == rtype}

    def resolve(self, value):
        """Follows ``${local.a.b}`` references (the only indirection this module uses)."""
        while isinstance(value, str):
            match = re.fullmatch(r"\$\{local\.([\w.]+)\}", value)
            if not match:
                return value
            value = self.locals
            for part in match.group(1).split("."):
                value = value[part]
        return value


@functools.cache
def _module() -> Module:
    files = {}
    for path in sorted(TERRAFORM.glob("*.tf")):
        with path.open(encoding="utf-8") as handle:
            try:
                files[path.name] = _clean(hcl2.load(handle))
            except Exception as exc:  # noqa: BLE001 - any parse failure names the file
                pytest.fail(f"{path.relative_to(ROOT)} does not parse as HCL2: {exc}")
    return Module(files)


@pytest.fixture(scope="module")
def tf() -> Module:
    return _module()


def _roles(body: dict) -> set[str]:
    """The role(s) a binding grants: ``role`` itself or the for_each set it iterates."""
    role = body.get("role", "")
    if role in ("${each.value}", "${each.key}"):
        return set(re.findall(r'"(roles/[\w.]+)"', body.get("for_each", "")))
    if role == "${each.value.role}":
        return set()  # a map in locals, checked by the test that reads it
    return {role}


# --------------------------------------------------------------------------- providers


def test_every_terraform_file_parses(tf):
    names = set(tf.files)
    assert {"versions.tf", "variables.tf", "main.tf", "dataflow.tf"} <= names, names
    assert len(tf.resources) >= 35, "far fewer resources than the module declares"


def test_google_beta_is_declared_pinned_and_used_by_flex_templates(tf):
    required = {}
    for block in tf.terraform:
        for providers in block.get("required_providers", []):
            required.update(providers)
    for name in ("google", "google-beta"):
        assert name in required, f"versions.tf does not require the {name} provider"
        assert required[name]["source"] == f"hashicorp/{name}"
        assert re.fullmatch(r"\d+\.\d+\.\d+", required[name]["version"]), (
            f"{name} provider version {required[name]['version']!r} is not one exact release"
        )
        assert name in tf.providers, f"no provider {name!r} block"
    flex = tf.of_type("google_dataflow_flex_template_job")
    assert flex, "no google_dataflow_flex_template_job (the monitor)"
    for name, body in flex.items():
        assert body.get("provider") == "google-beta", f"flex template job {name} not on google-beta"


# --------------------------------------------------------------------------- network, Cloud SQL


def test_cloud_sql_is_private_on_a_vpc_with_iam_login_and_backups(tf):
    (instance,) = tf.of_type("google_sql_database_instance").values()
    settings = instance["settings"][0]
    ip = settings["ip_configuration"][0]
    assert ip["ipv4_enabled"] is False
    assert ip.get("private_network", "").startswith("${google_compute_network."), ip
    assert "${google_service_networking_connection.private_services}" in instance["depends_on"]
    flags = {f["name"]: f["value"] for f in settings["database_flags"]}
    assert flags.get("cloudsql.iam_authentication") == "on"
    backup = settings["backup_configuration"][0]
    assert backup["enabled"] is True and backup["point_in_time_recovery_enabled"] is True
    assert instance["deletion_protection"] is True

    (address,) = tf.of_type("google_compute_global_address").values()
    assert address["purpose"] == "VPC_PEERING" and address["address_type"] == "INTERNAL"
    (peering,) = tf.of_type("google_service_networking_connection").values()
    assert peering["service"] == "servicenetworking.googleapis.com"
    subnets = tf.of_type("google_compute_subnetwork")
    assert subnets and all(s["private_ip_google_access"] is True for s in subnets.values())

    (user,) = tf.of_type("google_sql_user").values()
    assert user["type"] == "CLOUD_IAM_SERVICE_ACCOUNT"
    assert "google_service_account.pipeline.email" in user["name"]


# --------------------------------------------------------------------------- jobs

JOB_FIELDS = {  # resource argument → REST field of the launch request's environment
    "network": "network",
    "subnetwork": "subnetwork",
    "sdk_container_image": "sdkContainerImage",
    "temp_location": "tempLocation",
    "staging_location": "stagingLocation",
    "max_workers": "maxWorkers",
    "service_account_email": "serviceAccountEmail",
}


def _launch_bodies(tf: Module) -> dict[str, dict]:
    """The flexTemplates:launch bodies Cloud Scheduler sends, from the locals they encode."""
    bodies = {}
    for name, job in tf.of_type("google_cloud_scheduler_job").items():
        target = job["http_target"][0]
        if "flexTemplates:launch" not in target["uri"]:
            continue
        match = re.fullmatch(r"\$\{base64encode\(jsonencode\(local\.(\w+)\)\)\}", target["body"])
        assert match, f"scheduler job {name}: body is not base64encode(jsonencode(local.X))"
        bodies[name] = tf.locals[match.group(1)]
    return bodies


def test_every_dataflow_job_runs_private_with_image_locations_and_a_bound(tf):
    for name, job in tf.of_type("google_dataflow_flex_template_job").items():
        for field in JOB_FIELDS:
            assert job.get(field) not in (None, ""), f"flex template job {name} has no {field}"
        assert tf.resolve(job["ip_configuration"]) == "WORKER_IP_PRIVATE", name
        assert job["sdk_container_image"] == "${var.monitor_image}"
        assert job["on_delete"] == "drain"
    bodies = _launch_bodies(tf)
    assert "ingest" in bodies, "nothing launches the ingest job on a schedule"
    for name, body in bodies.items():
        env = body["launchParameter"]["environment"]
        for field in JOB_FIELDS.values():
            assert env.get(field) not in (None, ""), f"scheduled launch {name} has no {field}"
        assert tf.resolve(env["ipConfiguration"]) == "WORKER_IP_PRIVATE", name
        assert tf.resolve(env["tempLocation"]).endswith("/temp"), env["tempLocation"]
        assert body["launchParameter"]["parameters"] == {"config": "${var.config_path}"}


def test_the_scheduler_account_launches_ingest(tf):
    (job,) = (j for n, j in tf.of_type("google_cloud_scheduler_job").items() if n == "ingest")
    token = job["http_target"][0]["oauth_token"][0]
    assert token["service_account_email"] == "${google_service_account.scheduler.email}"


def test_republish_and_retention_are_scheduled_and_upgrade_is_a_job(tf):
    from mentionwatch.cli import build_parser

    operations = tf.locals["operations"]
    commands = {key: [tf.resolve(a) for a in args] for key, args in operations.items()}
    assert commands["republish"][:2] == ["pubsub", "republish"]
    assert commands["retention"][:2] == ["store", "retention"]
    assert commands["store-upgrade"][:2] == ["store", "upgrade"]
    parser = build_parser()
    for key, args in commands.items():  # each is a real mentionwatch command line
        parsed = parser.parse_args([a.replace("${var.config_path}", "/c.yaml") for a in args])
        assert getattr(parsed, "config", None) == "/c.yaml", key
    assert set(tf.locals["scheduled_operations"]) == {"republish", "retention"}
    run = tf.of_type("google_cloud_run_v2_job")["operation"]
    assert run["for_each"].endswith("local.operations : {}}"), run["for_each"]
    container = run["template"][0]["template"][0]["containers"][0]
    assert container["command"] == ["mentionwatch"]
    assert container["image"] == "${var.monitor_image}"
    scheduled = tf.of_type("google_cloud_scheduler_job")["operation"]
    assert "local.scheduled_operations" in scheduled["for_each"]
    assert scheduled["http_target"][0]["uri"].endswith(":run")


# --------------------------------------------------------------------------- images


def test_images_are_pinned(tf):
    for path in [*TERRAFORM.glob("*.tf"), DOCKERFILE]:
        assert ":latest" not in path.read_text(encoding="utf-8"), f"{path.name} uses :latest"
    for var in ("monitor_image", "ingest_image"):
        conditions = [v["condition"] for v in tf.variables[var]["validation"]]
        assert any("@sha256:[0-9a-f]{64}$" in c for c in conditions), (
            f"variable {var} does not require a digest"
        )
    text = DOCKERFILE.read_text(encoding="utf-8")
    args = dict(re.findall(r"^ARG (\w+)=(\S+)", text, re.MULTILINE))
    for image in re.findall(r"^FROM (\S+)", text, re.MULTILINE):
        image = re.sub(r"\$\{?(\w+)\}?", lambda m: args[m.group(1)], image)
        assert re.search(r"(@sha256:[0-9a-f]{64}|:[\w.-]*\d[\w.-]*)$", image), (
            f"Dockerfile base {image} is not pinned to a version or digest"
        )


def test_dockerfile_defaults_to_the_production_config_and_holds_no_secret():
    text = DOCKERFILE.read_text(encoding="utf-8")
    assert re.search(r"^ARG CONFIG=configs/gcp\.yaml$", text, re.MULTILINE)
    assert 'ENTRYPOINT ["/opt/apache/beam/boot"]' in text  # usable as sdk_container_image
    assert "/opt/google/dataflow/python_template_launcher" in text
    for name in re.findall(r"^(?:ENV|ARG)\s+(\w+)", text, re.MULTILINE):
        assert not re.search(r"PASSWORD|SECRET|TOKEN|KEY", name, re.IGNORECASE), name


def test_template_metadata_matches_the_entry_points(tf):
    from mentionwatch.jobs.launch import config_argument

    for job, streaming in (("monitor", True), ("ingest", False)):
        meta = json.loads((INFRA / "dataflow" / f"{job}-metadata.json").read_text("utf-8"))
        assert meta["streaming"] is streaming, job
        (param,) = meta["parameters"]
        assert param["name"] == "config" and param["isOptional"] is False, job
        assert (ROOT / "pipelines" / f"{job}.py").is_file()
        # The launcher passes each parameter as --name=value; the entry point takes it.
        default = tf.variables["config_path"]["default"]
        assert re.fullmatch(param["regexes"][0], default), (job, default)
        assert config_argument([f"--config={default}", "--runner=DataflowRunner"]) == [
            default,
            "--runner=DataflowRunner",
        ]
    assert f"COPY ${{CONFIG}} {default}" in DOCKERFILE.read_text("utf-8")


# --------------------------------------------------------------------------- IAM


def test_no_broad_roles_anywhere(tf):
    for path in TERRAFORM.glob("*.tf"):
        text = path.read_text(encoding="utf-8")
        for role in BROAD_ROLES:
            assert f'"{role}"' not in text, f"{path.name} grants {role}"
    member_types = [t for (t, _) in tf.resources if t.endswith("_iam_member")]
    assert not [t for (t, _) in tf.resources if t.endswith(("_iam_binding", "_iam_policy"))]
    assert len(member_types) >= 10


def _grants(tf: Module, account: str) -> dict[str, set[str]]:
    """resource type → roles granted to ``google_service_account.<account>``."""
    grants: dict[str, set[str]] = {}
    for (rtype, _), body in tf.resources.items():
        if rtype.endswith("_iam_member") and f"google_service_account.{account}." in body.get(
            "member", ""
        ):
            grants.setdefault(rtype, set()).update(_roles(body))
    return grants


def test_pipeline_account_has_exact_roles_on_specific_resources(tf):
    grants = _grants(tf, "pipeline")
    assert grants["google_project_iam_member"] == {
        "roles/dataflow.worker",
        "roles/cloudsql.client",
        "roles/cloudsql.instanceUser",
        "roles/logging.logWriter",
        "roles/monitoring.metricWriter",
    }
    assert grants["google_storage_bucket_iam_member"] == {"roles/storage.objectAdmin"}
    assert grants["google_artifact_registry_repository_iam_member"] == {
        "roles/artifactregistry.reader"
    }
    assert grants["google_secret_manager_secret_iam_member"] == {
        "roles/secretmanager.secretAccessor"
    }
    assert grants["google_pubsub_subscription_iam_member"] == {
        "roles/pubsub.subscriber",
        "roles/pubsub.viewer",
    }
    topic_roles = {v["role"] for v in tf.locals["pipeline_topic_roles"].values()}
    assert topic_roles == {"roles/pubsub.publisher", "roles/pubsub.viewer"}
    secrets = tf.of_type("google_secret_manager_secret_iam_member")["pipeline_reads"]
    assert secrets["for_each"] == "${google_secret_manager_secret.config}"  # only these secrets


def test_scheduler_account_develops_dataflow_and_acts_as_the_pipeline_only(tf):
    grants = _grants(tf, "scheduler")
    assert grants["google_project_iam_member"] == {"roles/dataflow.developer"}
    assert grants["google_service_account_iam_member"] == {"roles/iam.serviceAccountUser"}
    (act_as,) = tf.of_type("google_service_account_iam_member").values()
    assert act_as["service_account_id"] == "${google_service_account.pipeline.name}"
    assert grants["google_cloud_run_v2_job_iam_member"] == {"roles/run.invoker"}


# --------------------------------------------------------------------------- buckets


def test_buckets_prevent_public_access_and_keep_versions(tf):
    buckets = tf.of_type("google_storage_bucket")
    assert buckets
    for name, bucket in buckets.items():
        assert bucket["public_access_prevention"] == "enforced", name
        assert bucket["uniform_bucket_level_access"] is True, name
        assert bucket["versioning"][0]["enabled"] is True, name


# --------------------------------------------------------------------------- tools


def _offline() -> list[str]:
    """``unshare -rn`` (a network namespace with only loopback) where this machine allows it."""
    unshare = shutil.which("unshare")
    if unshare and subprocess.run([unshare, "-rn", "true"], check=False).returncode == 0:
        return [unshare, "-rn"]
    return []


def _accepted() -> dict[tuple[str, str], str]:
    accepted = {}
    for number, line in enumerate(ACCEPTED.read_text("utf-8").splitlines(), 1):
        if not line.strip() or line.startswith("#"):
            continue
        match = re.fullmatch(r"(CKV2?_[A-Z]+_\d+) (\S+): (.*\S.*)", line)
        assert match, (
            f"{ACCEPTED.name}:{number}: expected 'CHECK_ID RESOURCE: reason', got {line!r}"
        )
        accepted[(match.group(1), match.group(2))] = match.group(3)
    return accepted


def test_inline_checkov_skips_give_a_reason():
    for path in TERRAFORM.glob("*.tf"):
        for line in path.read_text("utf-8").splitlines():
            if "checkov:skip" in line:
                assert re.search(r"checkov:skip=CKV2?_[A-Z]+_\d+:\S.{10,}", line), (
                    f"{path.name}: skip without a reason: {line.strip()}"
                )


def test_checkov_finds_nothing_unaccepted():
    if not CHECKOV.is_file():
        pytest.fail(
            f"checkov is not installed at {CHECKOV.relative_to(ROOT)}; install it with "
            "`make infra-tools` (its own virtual environment, pinned version)"
        )
    env = {**os.environ, "BC_SKIP_MAPPING": "TRUE", "CHECKOV_RUN_SCA_PACKAGE_SCAN_V2": "false"}
    command = [
        *_offline(),
        str(CHECKOV),
        "--directory",
        str(TERRAFORM),
        "--framework",
        "terraform",
        "--var-file",
        str(FULL_VARS),
        "--skip-download",
        "--compact",
        "--output",
        "json",
    ]
    done = subprocess.run(
        command, check=False, capture_output=True, text=True, env=env, timeout=120
    )
    try:
        report = json.loads(done.stdout)
    except json.JSONDecodeError:
        pytest.fail(f"checkov gave no JSON report (exit {done.returncode}): {done.stderr[-2000:]}")
    report = report[0] if isinstance(report, list) else report
    summary = report["summary"]
    assert summary["parsing_errors"] == 0, summary
    assert summary["passed"] >= 50, f"checkov checked far less than expected: {summary}"
    failed = {
        (c["check_id"], re.sub(r"\[[^]]*\]$", "", c["resource"])): c["check_name"]
        for c in report["results"]["failed_checks"]
    }
    accepted = _accepted()
    unaccepted = {k: v for k, v in failed.items() if k not in accepted}
    assert not unaccepted, "checkov failed checks not in infra/checkov-accepted.txt: " + "; ".join(
        f"{cid} {res}: {name}" for (cid, res), name in sorted(unaccepted.items())
    )
    stale = sorted(set(accepted) - set(failed))
    assert not stale, f"infra/checkov-accepted.txt lists checks that no longer fail: {stale}"


def test_terraform_files_are_formatted():
    terraform = shutil.which("terraform")
    if terraform is None:
        pytest.skip("terraform is not installed: `terraform fmt -check` not run")
    env = {**os.environ, "CHECKPOINT_DISABLE": "1", "TF_IN_AUTOMATION": "1"}
    done = subprocess.run(
        [*_offline(), terraform, "fmt", "-check", "-recursive", "-list=true", str(TERRAFORM)],
        check=False,
        capture_output=True,
        text=True,
        env=env,
        timeout=60,
    )
    assert done.returncode == 0, f"terraform fmt would change: {done.stdout} {done.stderr}"
