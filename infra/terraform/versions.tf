# Both providers are pinned to one exact release (they are released together with the
# same version number). google_dataflow_flex_template_job exists only in google-beta,
# and Terraform checks resource types even at count = 0, so google-beta must be declared
# here for the very first apply to work.
terraform {
  required_version = ">= 1.9" # cross-variable validation (variables.tf)
  required_providers {
    google = {
      source  = "hashicorp/google"
      version = "6.14.1"
    }
    google-beta = {
      source  = "hashicorp/google-beta"
      version = "6.14.1"
    }
  }
}

provider "google" {
  project = var.project
  region  = var.region
}

provider "google-beta" {
  project = var.project
  region  = var.region
}
