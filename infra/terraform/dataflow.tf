# The two Beam jobs on Dataflow. Both run as the pipeline account, on the
# workers subnetwork without external IPs, with the image they were launched
# from as their SDK container, and a bounded number of workers (each worker
# process holds one store engine: max_workers bounds the connections Cloud
# SQL sees).

locals {
  bucket_url = "gs://${google_storage_bucket.deploy.name}"

  # What every job runs with; the monitor resource and the ingest launch body
  # below both use it, so the two cannot drift apart.
  worker_environment = {
    service_account_email = google_service_account.pipeline.email
    network               = google_compute_network.vpc.name
    subnetwork            = google_compute_subnetwork.workers.self_link
    ip_configuration      = "WORKER_IP_PRIVATE"
    temp_location         = "${local.bucket_url}/temp"
    staging_location      = "${local.bucket_url}/staging"
    machine_type          = var.worker_machine_type
  }

  # The body of the Dataflow flexTemplates.launch request Cloud Scheduler
  # sends for each ingest run (REST field names). The job name is fixed: while
  # one ingest still runs, the next launch is refused instead of overlapping.
  ingest_launch = {
    launchParameter = {
      jobName              = "${var.name}-ingest"
      containerSpecGcsPath = "${local.bucket_url}/${lookup(local.template_paths, "ingest", "templates/ingest.json")}"
      parameters           = { config = var.config_path }
      environment = {
        serviceAccountEmail  = local.worker_environment.service_account_email
        network              = local.worker_environment.network
        subnetwork           = local.worker_environment.subnetwork
        ipConfiguration      = local.worker_environment.ip_configuration
        tempLocation         = local.worker_environment.temp_location
        stagingLocation      = local.worker_environment.staging_location
        machineType          = local.worker_environment.machine_type
        sdkContainerImage    = var.ingest_image
        maxWorkers           = var.ingest_max_workers
        additionalUserLabels = local.labels
      }
    }
  }
}

# The monitor: one long-running streaming job. A new monitor_image is a new
# template spec path, and the provider updates the running job in place
# (Dataflow --update, matched by step names; see docs/deploy.md "Updating").
resource "google_dataflow_flex_template_job" "monitor" {
  provider                = google-beta
  count                   = local.run_jobs ? 1 : 0
  project                 = var.project
  region                  = var.region
  name                    = "${var.name}-monitor"
  container_spec_gcs_path = "${local.bucket_url}/${google_storage_bucket_object.template["monitor"].name}"
  service_account_email   = local.worker_environment.service_account_email
  network                 = local.worker_environment.network
  subnetwork              = local.worker_environment.subnetwork
  ip_configuration        = local.worker_environment.ip_configuration
  temp_location           = local.worker_environment.temp_location
  staging_location        = local.worker_environment.staging_location
  machine_type            = local.worker_environment.machine_type
  sdk_container_image     = var.monitor_image
  max_workers             = var.monitor_max_workers
  enable_streaming_engine = true
  transform_name_mapping  = var.monitor_transform_name_mapping
  on_delete               = "drain"
  labels                  = local.labels

  parameters = {
    config = var.config_path
  }

  depends_on = [
    google_project_iam_member.pipeline,
    google_pubsub_subscription_iam_member.pipeline_items,
    google_pubsub_topic_iam_member.pipeline,
    google_storage_bucket_iam_member.pipeline_objects,
    google_artifact_registry_repository_iam_member.pipeline_reader,
    google_secret_manager_secret_iam_member.pipeline_reads,
  ]
}

# Ingest: a batch job, launched by Cloud Scheduler as the scheduler account.
resource "google_cloud_scheduler_job" "ingest" {
  count     = local.run_jobs ? 1 : 0
  name      = "${var.name}-ingest"
  region    = var.region
  schedule  = var.ingest_schedule
  time_zone = "Etc/UTC"

  http_target {
    http_method = "POST"
    uri         = "https://dataflow.googleapis.com/v1b3/projects/${var.project}/locations/${var.region}/flexTemplates:launch"
    headers     = { "Content-Type" = "application/json" }
    body        = base64encode(jsonencode(local.ingest_launch))
    oauth_token {
      service_account_email = google_service_account.scheduler.email
      scope                 = "https://www.googleapis.com/auth/cloud-platform"
    }
  }

  depends_on = [
    google_project_iam_member.scheduler_dataflow,
    google_service_account_iam_member.scheduler_acts_as_pipeline,
    google_storage_bucket_iam_member.scheduler_templates,
  ]
}
