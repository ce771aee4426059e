variable "project" {
  description = "Google Cloud project id (the same as pubsub.project in the mentionwatch config)."
  type        = string
}

variable "region" {
  description = "Region for Dataflow, Cloud SQL, Cloud Run, Artifact Registry and Cloud Scheduler."
  type        = string
  default     = "europe-west1"
}

variable "name" {
  description = "Prefix for every resource; must match the topic/subscription names in the config (pubsub.topics, pubsub.subscriptions)."
  type        = string
  default     = "mentionwatch"
}

# ---------------------------------------------------------------- network

variable "workers_cidr" {
  description = "Primary range of the subnetwork the Dataflow workers and the Cloud Run jobs use."
  type        = string
  default     = "10.20.0.0/20"
}

variable "private_services_prefix_length" {
  description = "Size of the range reserved for private services access (Cloud SQL's private IP)."
  type        = number
  default     = 20
}

# ---------------------------------------------------------------- history store

variable "create_database" {
  description = "Create the Cloud SQL PostgreSQL instance for the history store (false: bring your own PostgreSQL and point store.url at it)."
  type        = bool
  default     = true
}

variable "database_version" {
  description = "Cloud SQL PostgreSQL major version; the default is the major the store tests run against in CI."
  type        = string
  default     = "POSTGRES_15"
}

variable "database_tier" {
  description = "Cloud SQL machine tier (Enterprise edition). Its max_connections must cover the store pool of every worker process (docs/deploy.md)."
  type        = string
  default     = "db-custom-1-3840"
}

variable "database_availability" {
  description = "ZONAL, or REGIONAL for a standby in a second zone."
  type        = string
  default     = "ZONAL"
  validation {
    condition     = contains(["ZONAL", "REGIONAL"], var.database_availability)
    error_message = "database_availability must be ZONAL or REGIONAL."
  }
}

# ---------------------------------------------------------------- secrets

variable "secret_ids" {
  description = "Secret Manager secret ids the config references (secret://projects/PROJECT/secrets/ID/versions/N): Terraform creates the empty secrets and lets the pipeline account read exactly these; add their values with gcloud (docs/deploy.md)."
  type        = list(string)
  default     = []
  validation {
    condition     = alltrue([for s in var.secret_ids : can(regex("^[A-Za-z0-9_-]{1,255}$", s))])
    error_message = "secret_ids: each id is 1-255 letters, digits, '-' or '_'."
  }
}

# ---------------------------------------------------------------- images and jobs

variable "monitor_image" {
  description = "The image built from infra/dataflow/Dockerfile with JOB=monitor, by digest (REGION-docker.pkg.dev/PROJECT/REPO/mentionwatch@sha256:...). It launches the monitor, runs its workers (sdk_container_image) and the Cloud Run jobs. Empty: only the base resources are created."
  type        = string
  default     = ""
  validation {
    condition     = var.monitor_image == "" || can(regex("^[^@\\s]+@sha256:[0-9a-f]{64}$", var.monitor_image))
    error_message = "monitor_image must be pinned by digest (IMAGE@sha256:<64 hex>), never by a tag (a tag such as latest can move)."
  }
}

variable "ingest_image" {
  description = "The image built from infra/dataflow/Dockerfile with JOB=ingest, by digest; it launches ingest and runs its workers."
  type        = string
  default     = ""
  validation {
    condition     = var.ingest_image == "" || can(regex("^[^@\\s]+@sha256:[0-9a-f]{64}$", var.ingest_image))
    error_message = "ingest_image must be pinned by digest (IMAGE@sha256:<64 hex>), never by a tag (a tag such as latest can move)."
  }
}

variable "start_jobs" {
  description = "Start the streaming monitor and the schedules (ingest, republish, retention). Set it only after `mentionwatch store upgrade` has run (docs/deploy.md, step 7)."
  type        = bool
  default     = false
  validation {
    condition     = !var.start_jobs || (var.monitor_image != "" && var.ingest_image != "")
    error_message = "start_jobs needs monitor_image and ingest_image."
  }
}

variable "config_path" {
  description = "Path of the mentionwatch config inside the image (infra/dataflow/Dockerfile copies configs/gcp.yaml there)."
  type        = string
  default     = "/template/config.yaml"
}

variable "worker_machine_type" {
  description = "Machine type of the Dataflow workers."
  type        = string
  default     = "n2-standard-2"
}

variable "monitor_max_workers" {
  description = "Upper bound of the monitor's autoscaling. Each worker process opens at most the store pool size (store.pool_size + store.max_overflow) connections: keep the product under the instance's max_connections."
  type        = number
  default     = 4
}

variable "ingest_max_workers" {
  description = "Upper bound of the workers of one ingest run."
  type        = number
  default     = 2
}

variable "monitor_transform_name_mapping" {
  description = "Old step name → new step name for an in-place update of the running monitor (jobs/monitor.py UPDATE_NAME_MAPPING when updating a monitor started before the composites)."
  type        = map(string)
  default     = {}
}

variable "ingest_schedule" {
  description = "Cloud Scheduler cron (UTC) for launching the ingest batch job."
  type        = string
  default     = "*/5 * * * *"
}

variable "republish_schedule" {
  description = "Cloud Scheduler cron (UTC) for `mentionwatch pubsub republish` (alerts left pending in the store)."
  type        = string
  default     = "*/15 * * * *"
}

variable "retention_schedule" {
  description = "Cloud Scheduler cron (UTC) for `mentionwatch store retention` (docs/history.md: daily)."
  type        = string
  default     = "17 3 * * *"
}
