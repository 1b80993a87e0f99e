# The deploy folders of `npm run build` (build/functions/<unit>), zipped; a new hash is a new object, and a
# new object a new revision: that is the rollout (see docs/deploy.md).
data "archive_file" "unit" {
  for_each    = local.units
  type        = "zip"
  source_dir  = "${var.build_dir}/${each.key}"
  output_path = "${path.root}/.terraform/verity-build/${each.key}.zip"
}

resource "google_storage_bucket_object" "source" {
  for_each = local.units
  bucket   = google_storage_bucket.sources.name
  name     = "verity-${each.key}-${data.archive_file.unit[each.key].output_md5}.zip"
  source   = data.archive_file.unit[each.key].output_path
}

resource "google_cloudfunctions2_function" "unit" {
  for_each    = local.units
  project     = var.project_id
  name        = "verity-${each.key}"
  location    = var.region
  description = "Verity deploy unit ${each.key}"
  labels      = var.labels

  build_config {
    runtime         = "nodejs22"
    entry_point     = each.value.entry_point
    service_account = google_service_account.build.id
    source {
      storage_source {
        bucket = google_storage_bucket.sources.name
        object = google_storage_bucket_object.source[each.key].name
      }
    }
  }

  service_config {
    service_account_email            = google_service_account.unit[each.key].email
    ingress_settings                 = each.value.ingress
    available_memory                 = each.value.memory
    timeout_seconds                  = each.value.timeout_seconds
    max_instance_count               = each.value.max_instances
    max_instance_request_concurrency = each.value.concurrency
    available_cpu                    = "1"
    all_traffic_on_latest_revision   = true
    environment_variables            = merge(local.common_env, local.unit_env[each.key])

    dynamic "secret_environment_variables" {
      # the unit's own secrets, and the keys of the output stores every unit probes
      for_each = toset(concat(each.value.secret_env, keys(local.store_secrets)))
      content {
        key        = secret_environment_variables.value
        project_id = var.project_id
        secret     = google_secret_manager_secret.secret[secret_environment_variables.value].secret_id
        version    = "latest"
      }
    }
  }

  depends_on = [
    google_project_service.apis,
    google_project_iam_member.build,
    google_storage_bucket_iam_member.build_reads_sources,
    google_secret_manager_secret_iam_member.webhook_secrets,
    google_secret_manager_secret_iam_member.provider_keys,
    google_secret_manager_secret_iam_member.store_secrets,
    google_secret_manager_secret_iam_member.worker_key,
  ]
}

# Who may call each function. Public units authenticate every request themselves (Google ID token, HMAC).
resource "google_cloud_run_service_iam_member" "public" {
  for_each = { for u, c in local.units : u => c if c.trigger == "http-public" }
  project  = var.project_id
  location = var.region
  service  = google_cloudfunctions2_function.unit[each.key].name
  role     = "roles/run.invoker"
  member   = "allUsers"
}

resource "google_cloud_run_service_iam_member" "pubsub_push" {
  for_each = { for u, c in local.units : u => c if c.trigger == "pubsub-push" }
  project  = var.project_id
  location = var.region
  service  = google_cloudfunctions2_function.unit[each.key].name
  role     = "roles/run.invoker"
  member   = "serviceAccount:${google_service_account.pubsub_push.email}"
}

resource "google_cloud_run_service_iam_member" "scheduler" {
  for_each = { for u, c in local.units : u => c if c.trigger == "scheduler" }
  project  = var.project_id
  location = var.region
  service  = google_cloudfunctions2_function.unit[each.key].name
  role     = "roles/run.invoker"
  member   = "serviceAccount:${google_service_account.scheduler.email}"
}
