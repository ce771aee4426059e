# The history store: Cloud SQL for PostgreSQL with a private IP only. The
# pipelines log in as the pipeline service account through the Cloud SQL
# Python Connector with IAM database authentication (no password anywhere).

resource "google_sql_database_instance" "history" {
  count               = var.create_database ? 1 : 0
  name                = "${var.name}-history"
  database_version    = var.database_version
  region              = var.region
  deletion_protection = true
  depends_on          = [google_service_networking_connection.private_services]

  settings {
    tier                        = var.database_tier
    edition                     = "ENTERPRISE"
    availability_type           = var.database_availability
    disk_type                   = "PD_SSD"
    disk_autoresize             = true
    deletion_protection_enabled = true
    user_labels                 = local.labels

    backup_configuration {
      enabled                        = true
      point_in_time_recovery_enabled = true
      start_time                     = "02:00"
      transaction_log_retention_days = 7
      backup_retention_settings {
        retained_backups = 14
      }
    }

    ip_configuration {
      ipv4_enabled    = false # no public IP
      private_network = google_compute_network.vpc.id
      ssl_mode        = "TRUSTED_CLIENT_CERTIFICATE_REQUIRED" # the connector presents its client certificate
    }

    maintenance_window {
      day          = 7
      hour         = 4
      update_track = "stable"
    }

    insights_config {
      query_insights_enabled = true
    }

    database_flags {
      name  = "cloudsql.iam_authentication"
      value = "on"
    }
    # Logging the checks (CIS benchmark) ask of PostgreSQL; statements are not
    # logged (they would carry mention text).
    database_flags {
      name  = "log_checkpoints"
      value = "on"
    }
    database_flags {
      name  = "log_connections"
      value = "on"
    }
    database_flags {
      name  = "log_disconnections"
      value = "on"
    }
    database_flags {
      name  = "log_lock_waits"
      value = "on"
    }
    database_flags {
      name  = "log_hostname"
      value = "on"
    }
    database_flags {
      name  = "log_min_messages"
      value = "error"
    }
    database_flags {
      name  = "log_min_error_statement"
      value = "error"
    }
    database_flags {
      name  = "log_temp_files"
      value = "0"
    }
    database_flags {
      name  = "log_duration"
      value = "on"
    }
    database_flags {
      name  = "log_min_duration_statement"
      value = "-1"
    }
    database_flags {
      name  = "log_statement"
      value = "ddl"
    }
    database_flags {
      name  = "cloudsql.enable_pgaudit"
      value = "on"
    }
  }
}

resource "google_sql_database" "history" {
  count    = var.create_database ? 1 : 0
  name     = "mentionwatch"
  instance = google_sql_database_instance.history[0].name
}

# The pipeline service account as an IAM database user: PostgreSQL user name
# SA@PROJECT.iam (the email without ".gserviceaccount.com").
resource "google_sql_user" "pipeline" {
  count    = var.create_database ? 1 : 0
  name     = trimsuffix(google_service_account.pipeline.email, ".gserviceaccount.com")
  instance = google_sql_database_instance.history[0].name
  type     = "CLOUD_IAM_SERVICE_ACCOUNT"
}

# PostgreSQL 15+ lets no new user create tables in the public schema. This
# one-off grant is run as the built-in postgres user through the Cloud SQL
# Admin API (`gcloud sql import sql`, docs/deploy.md step 6), which needs no
# network path to the private IP; the instance's service agent reads it.
resource "google_storage_bucket_object" "schema_grant" {
  count        = var.create_database ? 1 : 0
  bucket       = google_storage_bucket.deploy.name
  name         = "bootstrap/grant-schema.sql"
  content_type = "application/sql"
  content      = "GRANT USAGE, CREATE ON SCHEMA public TO \"${google_sql_user.pipeline[0].name}\";\n"
}

resource "google_storage_bucket_iam_member" "sql_import_reader" {
  count  = var.create_database ? 1 : 0
  bucket = google_storage_bucket.deploy.name
  role   = "roles/storage.objectViewer"
  member = "serviceAccount:${google_sql_database_instance.history[0].service_account_email_address}"
  condition {
    title      = "bootstrap-only"
    expression = "resource.name.startsWith(\"projects/_/buckets/${google_storage_bucket.deploy.name}/objects/bootstrap/\")"
  }
}
