# mentionwatch on Google Cloud: the Pub/Sub backbone, the history store, and
# the two Beam jobs (the streaming monitor and the scheduled ingest) as
# Dataflow flex templates. Names follow the defaults of the config's pubsub
# block with var.name as prefix; keep them in step with the config.

locals {
  topics = {
    alerts       = "${var.name}-alerts"
    items        = "${var.name}-items"
    dead_letters = "${var.name}-dead-letters"
  }
  labels = { app = "mentionwatch" }
}

# ---------------------------------------------------------------- Pub/Sub

resource "google_pubsub_topic" "topic" {
  for_each                   = local.topics
  name                       = each.value
  labels                     = local.labels
  message_retention_duration = "604800s" # 7 days: a stopped monitor catches up
}

resource "google_pubsub_subscription" "items_monitor" {
  name                       = "${var.name}-items-monitor"
  topic                      = google_pubsub_topic.topic["items"].id
  ack_deadline_seconds       = 60
  message_retention_duration = "604800s"
  retain_acked_messages      = false
  expiration_policy { ttl = "" } # never expire

  dead_letter_policy {
    dead_letter_topic     = google_pubsub_topic.topic["dead_letters"].id
    max_delivery_attempts = 10
  }
  labels = local.labels
}

resource "google_pubsub_subscription" "alerts_notify" {
  name                       = "${var.name}-alerts-notify"
  topic                      = google_pubsub_topic.topic["alerts"].id
  ack_deadline_seconds       = 60
  message_retention_duration = "604800s"
  enable_message_ordering    = false
  expiration_policy { ttl = "" }

  retry_policy {
    minimum_backoff = "10s"
    maximum_backoff = "600s"
  }
  dead_letter_policy {
    dead_letter_topic     = google_pubsub_topic.topic["dead_letters"].id
    max_delivery_attempts = 20
  }
  labels = local.labels
}

resource "google_pubsub_subscription" "dead_letters_operator" {
  name                       = "${var.name}-dead-letters-operator"
  topic                      = google_pubsub_topic.topic["dead_letters"].id
  message_retention_duration = "604800s"
  expiration_policy { ttl = "" }
  labels = local.labels
}

# ---------------------------------------------------------------- identity

resource "google_service_account" "pipeline" {
  account_id   = "${var.name}-pipeline"
  display_name = "mentionwatch pipelines (Dataflow workers)"
}

resource "google_project_iam_member" "pipeline_roles" {
  for_each = toset([
    "roles/dataflow.worker",
    "roles/pubsub.editor",
    "roles/cloudsql.client",
    "roles/artifactregistry.reader",
    "roles/logging.logWriter",
  ])
  project = var.project
  role    = each.value
  member  = "serviceAccount:${google_service_account.pipeline.email}"
}

# The dead-letter policies need Pub/Sub's own agent to publish/subscribe.
data "google_project" "this" {}

resource "google_pubsub_topic_iam_member" "dead_letter_publisher" {
  topic  = google_pubsub_topic.topic["dead_letters"].id
  role   = "roles/pubsub.publisher"
  member = "serviceAccount:service-${data.google_project.this.number}@gcp-sa-pubsub.iam.gserviceaccount.com"
}

resource "google_pubsub_subscription_iam_member" "dead_letter_subscriber" {
  for_each     = { items = google_pubsub_subscription.items_monitor.id, alerts = google_pubsub_subscription.alerts_notify.id }
  subscription = each.value
  role         = "roles/pubsub.subscriber"
  member       = "serviceAccount:service-${data.google_project.this.number}@gcp-sa-pubsub.iam.gserviceaccount.com"
}

# ---------------------------------------------------------------- history store

resource "google_sql_database_instance" "history" {
  count            = var.create_database ? 1 : 0
  name             = "${var.name}-history"
  database_version = "POSTGRES_15"
  region           = var.region

  settings {
    tier              = var.database_tier
    availability_type = "ZONAL"
    disk_autoresize   = true
    backup_configuration {
      enabled                        = true
      point_in_time_recovery_enabled = true
    }
    ip_configuration {
      ipv4_enabled = false # reach it through the Cloud SQL connector / private IP only
    }
    database_flags {
      name  = "cloudsql.iam_authentication"
      value = "on"
    }
  }
  deletion_protection = true
}

resource "google_sql_database" "history" {
  count    = var.create_database ? 1 : 0
  name     = "mentionwatch"
  instance = google_sql_database_instance.history[0].name
}

resource "google_sql_user" "pipeline" {
  count    = var.create_database ? 1 : 0
  name     = trimsuffix(google_service_account.pipeline.email, ".gserviceaccount.com")
  instance = google_sql_database_instance.history[0].name
  type     = "CLOUD_IAM_SERVICE_ACCOUNT"
}

# ---------------------------------------------------------------- images and jobs

resource "google_artifact_registry_repository" "images" {
  repository_id = var.name
  location      = var.region
  format        = "DOCKER"
  description   = "mentionwatch Dataflow flex template images"
}

resource "google_storage_bucket" "templates" {
  name                        = "${var.project}-${var.name}-templates"
  location                    = var.region
  uniform_bucket_level_access = true
  labels                      = local.labels
}

# The monitor: one long-running streaming job.
resource "google_dataflow_flex_template_job" "monitor" {
  count                   = var.template_image == "" ? 0 : 1
  provider                = google
  name                    = "${var.name}-monitor"
  region                  = var.region
  container_spec_gcs_path = "gs://${google_storage_bucket.templates.name}/templates/monitor.json"
  service_account_email   = google_service_account.pipeline.email
  on_delete               = "drain"
  parameters = {
    config = var.config_path
  }
  labels = local.labels
}

# Ingest: a batch job launched on a schedule.
resource "google_cloud_scheduler_job" "ingest" {
  count     = var.template_image == "" ? 0 : 1
  name      = "${var.name}-ingest"
  region    = var.region
  schedule  = var.ingest_schedule
  time_zone = "Etc/UTC"

  http_target {
    http_method = "POST"
    uri         = "https://dataflow.googleapis.com/v1b3/projects/${var.project}/locations/${var.region}/flexTemplates:launch"
    body = base64encode(jsonencode({
      launchParameter = {
        jobName               = "${var.name}-ingest"
        containerSpecGcsPath  = "gs://${google_storage_bucket.templates.name}/templates/ingest.json"
        parameters            = { config = var.config_path }
        environment           = { serviceAccountEmail = google_service_account.pipeline.email }
      }
    }))
    oauth_token {
      service_account_email = google_service_account.pipeline.email
    }
  }
}
