output "topics" {
  description = "Topic ids (pubsub.topics in the config)."
  value       = { for k, t in google_pubsub_topic.topic : k => t.id }
}

output "subscriptions" {
  description = "Subscription ids (pubsub.subscriptions in the config)."
  value = {
    items_monitor         = google_pubsub_subscription.items_monitor.id
    alerts_notify         = google_pubsub_subscription.alerts_notify.id
    dead_letters_operator = google_pubsub_subscription.dead_letters_operator.id
  }
}

output "pipeline_service_account" {
  description = "The account the jobs run as; its IAM database user is database_user."
  value       = google_service_account.pipeline.email
}

output "history_instance" {
  description = "Cloud SQL connection name (PROJECT:REGION:INSTANCE) for the config's store block."
  value       = var.create_database ? google_sql_database_instance.history[0].connection_name : null
}

output "database_user" {
  description = "The IAM database user the pipelines log in as."
  value       = var.create_database ? google_sql_user.pipeline[0].name : null
}

output "image_repository" {
  description = "Where to push the images (docs/deploy.md step 4)."
  value       = "${var.region}-docker.pkg.dev/${var.project}/${google_artifact_registry_repository.images.repository_id}"
}

output "bucket" {
  description = "The deployment bucket (template specs, staging, temp)."
  value       = google_storage_bucket.deploy.name
}

output "template_specs" {
  description = "The flex template spec of each job, once the images are set."
  value       = { for job, path in local.template_paths : job => "${local.bucket_url}/${path}" }
}
