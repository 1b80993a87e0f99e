# The sweep, every minute: what events missed. OIDC token for IAM; the code checks email and audience again.
# With sweep_fanout > 1, one job per share of the due index's 16 shards (docs/scale.md, "The sweep"), each
# posting its shards; the one holding shard 0 also runs the webhook deliveries and the orphan pass.
locals {
  sweep_parts = { for p in flatten([
    for u, c in local.units : [for i in range(var.sweep_fanout) : { unit = u, part = i }] if c.trigger == "scheduler"
  ]) : (var.sweep_fanout == 1 ? p.unit : "${p.unit}-${p.part}") => p }
}

resource "google_cloud_scheduler_job" "sweep" {
  for_each         = local.sweep_parts
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
    uri         = local.function_url[each.value.unit]
    body = base64encode(var.sweep_fanout == 1 ? "{}" : jsonencode({
      shards = range(each.value.part * 16 / var.sweep_fanout, (each.value.part + 1) * 16 / var.sweep_fanout)
    }))
    headers = { "Content-Type" = "application/json" }
    oidc_token {
      service_account_email = google_service_account.scheduler.email
      audience              = local.function_url[each.value.unit]
    }
  }

  depends_on = [google_cloud_run_service_iam_member.scheduler]
}
