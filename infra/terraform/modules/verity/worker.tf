# An example Cloud Run Job worker (type `example-render`): Verity starts one execution per attempt with the
# env overrides VERITY_JOB_ID, VERITY_ATTEMPT, VERITY_INPUT and VERITY_OUTPUTS; the worker reports on
# verity-job-updates (shared/src/worker/reporter.ts) and writes its outputs to the output bucket.
resource "google_cloud_run_v2_job" "example" {
  count               = var.example_worker_image == null ? 0 : 1
  project             = var.project_id
  name                = local.example_job_name
  location            = var.region
  deletion_protection = false
  labels              = var.labels

  template {
    task_count = 1
    template {
      service_account = google_service_account.worker.email
      timeout         = "3600s"
      max_retries     = 0 # Verity decides about retries (policy.maxAttempts)
      containers {
        name  = "worker"
        image = var.example_worker_image
        env {
          name  = "GOOGLE_CLOUD_PROJECT"
          value = var.project_id
        }
        env {
          name  = "VERITY_UPDATES_TOPIC"
          value = local.topics.job_updates
        }
        resources {
          limits = { cpu = "2", memory = "2Gi" }
        }
      }
    }
  }

  depends_on = [google_project_service.apis]
}
