# From an empty project to a working Verity: `npm run build` at the repo root, then `terraform init` and
# `terraform apply` here (docs/deploy.md).
terraform {
  required_version = ">= 1.6"
  required_providers {
    google = {
      source  = "hashicorp/google"
      version = ">= 6.14, < 8.0"
    }
  }
}

provider "google" {
  project = var.project_id
  region  = var.region
}

module "verity" {
  source = "../../modules/verity"

  project_id          = var.project_id
  region              = var.region
  firestore_location  = var.firestore_location
  firestore_database  = var.firestore_database
  collection_prefix   = var.collection_prefix
  write_back_projects = var.write_back_projects
  output_buckets      = ["${var.project_id}-verity-renders"]
  build_dir           = "${path.root}/../../../../build/functions"

  auth_audience    = var.auth_audience
  admins           = var.admins
  allowed_users    = var.allowed_users
  firebase_project = var.firebase_project

  worker_jobs          = var.worker_jobs
  project_job_type     = var.project_job_type
  example_worker_image = var.worker_image

  job_types = {
    # a third-party render API calling back at {webhook_base_url}/api/webhooks/voicecorp
    narration = {
      executor = {
        kind            = "http"
        provider        = "voicecorp"
        baseUrl         = "https://api.voicecorp.example/v1"
        outputTemplates = ["gs://{bucket}/provider/{externalJobId}_output_0.mp4"]
      }
      outputsFromRequest = false
    }
    # jobs run elsewhere: evidence alone (outputs, reports) drives them
    thumbnail = {
      executor        = { kind = "external" }
      outputTemplates = ["gs://{bucket}/thumbs/{jobId}.jpg"]
    }
  }

  notification_channels = var.notification_channels
}
