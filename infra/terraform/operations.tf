# The mentionwatch commands a Dataflow deployment runs beside the two jobs
# (docs/history.md: without `mentionwatch watch`, nothing else runs them), as
# Cloud Run jobs from the monitor image, in the workers subnetwork (Cloud
# SQL's private IP), as the pipeline account:
#
#   store-upgrade  `mentionwatch store upgrade`: the schema migrations, run
#                  once per release by the deploy steps before the jobs start
#                  (workers only check the revision); not scheduled
#   republish      `mentionwatch pubsub republish`: alerts left pending in the
#                  store, published again with the same ids
#   retention      `mentionwatch store retention`: the retention policy, daily

locals {
  operations = {
    store-upgrade = ["store", "upgrade", var.config_path]
    republish     = ["pubsub", "republish", var.config_path]
    retention     = ["store", "retention", var.config_path]
  }
  scheduled_operations = {
    republish = var.republish_schedule
    retention = var.retention_schedule
  }
}

resource "google_cloud_run_v2_job" "operation" {
  for_each            = local.deployable ? local.operations : {}
  name                = "${var.name}-${each.key}"
  location            = var.region
  deletion_protection = false # holds no data; the store is in Cloud SQL
  labels              = local.labels

  template {
    task_count  = 1
    parallelism = 1
    template {
      service_account = google_service_account.pipeline.email
      max_retries     = 1
      timeout         = "1800s"

      containers {
        image   = var.monitor_image
        command = ["mentionwatch"] # the image's entrypoint is Beam's worker boot
        args    = each.value
        resources {
          limits = { cpu = "1", memory = "2Gi" }
        }
      }

      vpc_access {
        network_interfaces {
          network    = google_compute_network.vpc.id
          subnetwork = google_compute_subnetwork.workers.id
        }
        egress = "PRIVATE_RANGES_ONLY"
      }
    }
  }
}

resource "google_cloud_scheduler_job" "operation" {
  for_each  = local.run_jobs ? local.scheduled_operations : {}
  name      = "${var.name}-${each.key}"
  region    = var.region
  schedule  = each.value
  time_zone = "Etc/UTC"

  http_target {
    http_method = "POST"
    uri         = "https://run.googleapis.com/v2/${google_cloud_run_v2_job.operation[each.key].id}:run"
    oauth_token {
      service_account_email = google_service_account.scheduler.email
      scope                 = "https://www.googleapis.com/auth/cloud-platform"
    }
  }

  depends_on = [google_cloud_run_v2_job_iam_member.scheduler_runs]
}
