# The sweep, every minute: what events missed. OIDC token for IAM; the code checks email and audience again.
resource "google_cloud_scheduler_job" "sweep" {
  for_each         = { for u, c in local.units : u => c if c.trigger == "scheduler" }
  project          = var.project_id
  region           = var.region
  name             = "verity-${each.key}"
  description      = "Verity: reconcile every job past a deadline"
  schedule         = var.sweep_schedule
  time_zone        = "Etc/UTC"
  attempt_deadline = "320s"

  retry_config {
    retry_count = 0 # the next tick is the retry
  }

  http_target {
    http_method = "POST"
    uri         = local.function_url[each.key]
    body        = base64encode("{}")
    headers     = { "Content-Type" = "application/json" }
    oidc_token {
      service_account_email = google_service_account.scheduler.email
      audience              = local.function_url[each.key]
    }
  }

  depends_on = [google_cloud_run_service_iam_member.scheduler]
}
