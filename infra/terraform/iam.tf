# Two identities, each with exactly what it uses.
#
# pipeline: the Dataflow launcher VM and workers of both jobs, and the Cloud
#   Run jobs (store upgrade, republish, retention). Project-wide only where
#   Google offers no narrower resource (Dataflow worker, Cloud SQL login,
#   logs and metrics); Pub/Sub, Secret Manager, Cloud Storage and Artifact
#   Registry are granted on the specific resources.
# scheduler: what Cloud Scheduler calls with. It may create Dataflow jobs,
#   run them as the pipeline account (and no other), read the template specs
#   and start the two scheduled Cloud Run jobs.

resource "google_service_account" "pipeline" {
  account_id   = "${var.name}-pipeline"
  display_name = "mentionwatch pipelines (Dataflow launcher and workers, Cloud Run jobs)"
}

resource "google_service_account" "scheduler" {
  account_id   = "${var.name}-scheduler"
  display_name = "mentionwatch schedules (launches ingest, runs republish and retention)"
}

# ---------------------------------------------------------------- pipeline, project level

resource "google_project_iam_member" "pipeline" {
  for_each = toset([
    "roles/dataflow.worker",
    "roles/cloudsql.client",       # the connector: instance metadata and ephemeral certificates
    "roles/cloudsql.instanceUser", # IAM database login
    "roles/logging.logWriter",
    "roles/monitoring.metricWriter",
  ])
  project = var.project
  role    = each.value
  member  = "serviceAccount:${google_service_account.pipeline.email}"
}

# ---------------------------------------------------------------- pipeline, Pub/Sub

locals {
  # topic → roles the pipeline account holds on it. items: ingest publishes;
  # alerts: the monitor and `pubsub republish` publish (viewer: the
  # reachability check reads the topic); dead_letters: ingest tells the
  # operator about failing sources.
  pipeline_topic_roles = {
    "items/publisher"        = { topic = "items", role = "roles/pubsub.publisher" }
    "items/viewer"           = { topic = "items", role = "roles/pubsub.viewer" }
    "alerts/publisher"       = { topic = "alerts", role = "roles/pubsub.publisher" }
    "alerts/viewer"          = { topic = "alerts", role = "roles/pubsub.viewer" }
    "dead_letters/publisher" = { topic = "dead_letters", role = "roles/pubsub.publisher" }
  }
}

resource "google_pubsub_topic_iam_member" "pipeline" {
  for_each = local.pipeline_topic_roles
  topic    = google_pubsub_topic.topic[each.value.topic].id
  role     = each.value.role
  member   = "serviceAccount:${google_service_account.pipeline.email}"
}

# The monitor reads the items subscription (viewer: Dataflow reads the
# subscription's settings before it pulls).
resource "google_pubsub_subscription_iam_member" "pipeline_items" {
  for_each     = toset(["roles/pubsub.subscriber", "roles/pubsub.viewer"])
  subscription = google_pubsub_subscription.items_monitor.id
  role         = each.value
  member       = "serviceAccount:${google_service_account.pipeline.email}"
}

# ---------------------------------------------------------------- pipeline, storage and images

# Staging, temp files and template specs live in the one deployment bucket.
resource "google_storage_bucket_iam_member" "pipeline_objects" {
  bucket = google_storage_bucket.deploy.name
  role   = "roles/storage.objectAdmin"
  member = "serviceAccount:${google_service_account.pipeline.email}"
}

resource "google_artifact_registry_repository_iam_member" "pipeline_reader" {
  location   = google_artifact_registry_repository.images.location
  repository = google_artifact_registry_repository.images.name
  role       = "roles/artifactregistry.reader"
  member     = "serviceAccount:${google_service_account.pipeline.email}"
}

# ---------------------------------------------------------------- scheduler

resource "google_project_iam_member" "scheduler_dataflow" {
  project = var.project
  role    = "roles/dataflow.developer"
  member  = "serviceAccount:${google_service_account.scheduler.email}"
}

# actAs on the pipeline account only (not project-wide serviceAccountUser).
resource "google_service_account_iam_member" "scheduler_acts_as_pipeline" {
  service_account_id = google_service_account.pipeline.name
  role               = "roles/iam.serviceAccountUser"
  member             = "serviceAccount:${google_service_account.scheduler.email}"
}

# The launch request names the template spec in the bucket; the caller must be
# able to read it (templates/ only).
resource "google_storage_bucket_iam_member" "scheduler_templates" {
  bucket = google_storage_bucket.deploy.name
  role   = "roles/storage.objectViewer"
  member = "serviceAccount:${google_service_account.scheduler.email}"
  condition {
    title      = "templates-only"
    expression = "resource.name.startsWith(\"projects/_/buckets/${google_storage_bucket.deploy.name}/objects/templates/\")"
  }
}

resource "google_cloud_run_v2_job_iam_member" "scheduler_runs" {
  for_each = local.deployable ? local.scheduled_operations : {}
  project  = var.project
  location = var.region
  name     = google_cloud_run_v2_job.operation[each.key].name
  role     = "roles/run.invoker"
  member   = "serviceAccount:${google_service_account.scheduler.email}"
}
