# mentionwatch on Google Cloud: the Pub/Sub backbone (this file), the network
# (network.tf), identities and their exact roles (iam.tf), the history store
# (database.tf), the deployment bucket, image repository and template specs
# (storage.tf), secrets (secrets.tf), the two Beam jobs on Dataflow
# (dataflow.tf) and the operational Cloud Run jobs with their schedules
# (operations.tf). Names follow the defaults of the config's pubsub block with
# var.name as prefix; keep them in step with configs/gcp.yaml.
#
# Three applies (docs/deploy.md): base resources; with the two image digests
# (template specs and Cloud Run jobs, then `store upgrade`); with
# start_jobs = true (the monitor and the schedules).

locals {
  topics = {
    alerts       = "${var.name}-alerts"
    items        = "${var.name}-items"
    dead_letters = "${var.name}-dead-letters"
  }
  labels     = { app = "mentionwatch" }
  deployable = var.monitor_image != "" && var.ingest_image != ""
  run_jobs   = var.start_jobs && local.deployable
}

data "google_project" "this" {}

# ---------------------------------------------------------------- Pub/Sub

resource "google_pubsub_topic" "topic" {
  #checkov:skip=CKV_GCP_83:Google-managed encryption; messages carry alert excerpts that the Cloud SQL store also holds under Google-managed keys
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

# The dead-letter policies need Pub/Sub's own service agent to publish to the
# dead-letters topic and to acknowledge on the two source subscriptions.
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
