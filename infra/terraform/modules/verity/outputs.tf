output "api_url" {
  description = "The API and dashboard."
  value       = google_cloudfunctions2_function.unit["api"].service_config[0].uri
}

output "webhook_base_url" {
  description = "Providers call back at {this}/api/webhooks/{provider}."
  value       = local.function_url["webhooks"]
}

output "function_urls" {
  value = { for u in keys(local.units) : u => google_cloudfunctions2_function.unit[u].service_config[0].uri }
}

output "service_accounts" {
  value = merge(
    { for u in keys(local.units) : u => google_service_account.unit[u].email },
    { pubsub_push = google_service_account.pubsub_push.email, scheduler = google_service_account.scheduler.email, worker = google_service_account.worker.email },
  )
}

output "worker_service_account" {
  description = "Run your Cloud Run Job workers as this account (it may report and write outputs)."
  value       = google_service_account.worker.email
}

output "example_job" {
  value = var.example_worker_image == null ? null : local.example_job_id
}

output "worker_service_accounts" {
  description = "Worker type → the service account its Cloud Run Job should run as (var.worker_types)."
  value       = { for n, sa in google_service_account.worker_type : n => sa.email }
}
