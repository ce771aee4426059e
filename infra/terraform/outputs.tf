output "topics" {
  value = { for k, t in google_pubsub_topic.topic : k => t.id }
}

output "subscriptions" {
  value = {
    items_monitor        = google_pubsub_subscription.items_monitor.id
    alerts_notify        = google_pubsub_subscription.alerts_notify.id
    dead_letters_operator = google_pubsub_subscription.dead_letters_operator.id
  }
}

output "pipeline_service_account" {
  value = google_service_account.pipeline.email
}

output "history_instance" {
  value = var.create_database ? google_sql_database_instance.history[0].connection_name : null
}

output "image_repository" {
  value = "${var.region}-docker.pkg.dev/${var.project}/${google_artifact_registry_repository.images.repository_id}"
}
