# Secrets the config references as secret://projects/PROJECT/secrets/ID/versions/N
# (source API tokens, SMTP or webhook credentials). Terraform creates the empty
# secrets and the pipeline account's access to exactly these; the values are
# added with `gcloud secrets versions add` (docs/deploy.md step 5) and never
# pass through Terraform state or a committed file.

resource "google_secret_manager_secret" "config" {
  for_each  = toset(var.secret_ids)
  secret_id = each.value
  labels    = local.labels

  replication {
    user_managed {
      replicas {
        location = var.region
      }
    }
  }
}

resource "google_secret_manager_secret_iam_member" "pipeline_reads" {
  for_each  = google_secret_manager_secret.config
  secret_id = each.value.id
  role      = "roles/secretmanager.secretAccessor"
  member    = "serviceAccount:${google_service_account.pipeline.email}"
}
