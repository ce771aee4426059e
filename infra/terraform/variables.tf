variable "project" {
  description = "Google Cloud project id (the same as pubsub.project in the mentionwatch config)."
  type        = string
}

variable "region" {
  description = "Region for Dataflow, Cloud SQL, Artifact Registry and Cloud Scheduler."
  type        = string
  default     = "europe-west1"
}

variable "name" {
  description = "Prefix for every resource; must match the topic/subscription names in the config (pubsub.topics, pubsub.subscriptions)."
  type        = string
  default     = "mentionwatch"
}

variable "create_database" {
  description = "Create a Cloud SQL PostgreSQL instance for the history store (store.url: postgresql+psycopg://...)."
  type        = bool
  default     = true
}

variable "database_tier" {
  description = "Cloud SQL machine tier."
  type        = string
  default     = "db-custom-1-3840"
}

variable "template_image" {
  description = "Flex template image (built from infra/dataflow/Dockerfile and pushed to the Artifact Registry repository below). Leave empty to create only the messaging and storage resources."
  type        = string
  default     = ""
}

variable "config_path" {
  description = "Path of the mentionwatch config inside the template image (see infra/dataflow/Dockerfile)."
  type        = string
  default     = "/template/config.yaml"
}

variable "ingest_schedule" {
  description = "Cloud Scheduler cron for the ingest job (batch flex template launches)."
  type        = string
  default     = "*/5 * * * *"
}
