# The deployment bucket (template specs under templates/, Dataflow staging
# under staging/ and temp files under temp/, the one-off SQL grant under
# bootstrap/), the image repository, and the two flex template specs.

resource "google_storage_bucket" "deploy" {
  #checkov:skip=CKV_GCP_62:access is recorded by Cloud Audit Logs (data access logs, docs/deploy.md step 1); a usage-log bucket would itself need a log bucket
  name                        = "${var.project}-${var.name}-dataflow"
  location                    = var.region
  uniform_bucket_level_access = true
  public_access_prevention    = "enforced"
  force_destroy               = false
  labels                      = local.labels

  versioning {
    enabled = true
  }

  # Dataflow's temp files are useless after the job; old versions of specs and
  # staged files are kept for a month, then go.
  lifecycle_rule {
    condition {
      age            = 7
      matches_prefix = ["temp/"]
    }
    action {
      type = "Delete"
    }
  }
  lifecycle_rule {
    condition {
      days_since_noncurrent_time = 30
    }
    action {
      type = "Delete"
    }
  }
}

resource "google_artifact_registry_repository" "images" {
  #checkov:skip=CKV_GCP_84:the images hold code and the public model only (no data, no secrets); Google-managed encryption
  repository_id = var.name
  location      = var.region
  format        = "DOCKER"
  description   = "mentionwatch images (flex template launcher, Dataflow workers, Cloud Run jobs)"
  labels        = local.labels

  docker_config {
    immutable_tags = true # a tag cannot be moved to other content
  }
}

locals {
  # The flex template spec that `gcloud dataflow flex-template build` would
  # write, written by Terraform so the image digest lives in one place. The
  # file name carries the digest: a new image is a new spec path, which is
  # what makes Terraform update the running monitor.
  template_specs = local.deployable ? {
    monitor = {
      image    = var.monitor_image
      metadata = jsondecode(file("${path.module}/../dataflow/monitor-metadata.json"))
    }
    ingest = {
      image    = var.ingest_image
      metadata = jsondecode(file("${path.module}/../dataflow/ingest-metadata.json"))
    }
  } : {}
  template_paths = {
    for job, spec in local.template_specs :
    job => "templates/${job}-${substr(sha256(spec.image), 0, 12)}.json"
  }
}

resource "google_storage_bucket_object" "template" {
  for_each     = local.template_specs
  bucket       = google_storage_bucket.deploy.name
  name         = local.template_paths[each.key]
  content_type = "application/json"
  content = jsonencode({
    image    = each.value.image
    sdkInfo  = { language = "PYTHON" }
    metadata = each.value.metadata
  })
}
