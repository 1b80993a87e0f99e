# One service account per deploy unit, with only the roles its code paths need (local.units[*].needs).
resource "google_service_account" "unit" {
  for_each     = local.units
  project      = var.project_id
  account_id   = "verity-${each.key}"
  display_name = "Verity ${each.key} function"
  depends_on   = [google_project_service.apis]
}

# Identities that call functions: Pub/Sub push, Cloud Scheduler; the one that builds them; the workers.
resource "google_service_account" "pubsub_push" {
  project      = var.project_id
  account_id   = "verity-pubsub-push"
  display_name = "Verity: Pub/Sub push to the event functions"
  depends_on   = [google_project_service.apis]
}

resource "google_service_account" "scheduler" {
  project      = var.project_id
  account_id   = "verity-scheduler"
  display_name = "Verity: Cloud Scheduler calling the sweep"
  depends_on   = [google_project_service.apis]
}

resource "google_service_account" "build" {
  project      = var.project_id
  account_id   = "verity-build"
  display_name = "Verity: builds the function images"
  depends_on   = [google_project_service.apis]
}

resource "google_service_account" "worker" {
  project      = var.project_id
  account_id   = "verity-worker"
  display_name = "Verity: Cloud Run Job workers"
  depends_on   = [google_project_service.apis]
}

locals {
  unit_member = { for u in keys(local.units) : u => "serviceAccount:${google_service_account.unit[u].email}" }
  # (unit, bucket) and (unit, job) pairs
  unit_buckets = { for p in setproduct(local.units_needing["outputs"], var.output_buckets) : "${p[0]}/${p[1]}" => { unit = p[0], bucket = p[1] } }
  unit_jobs    = { for p in setproduct(local.units_needing["runJobs"], local.worker_jobs) : "${p[0]}/${p[1]}" => { unit = p[0], job = p[1] } }
  unit_readers = { for p in setproduct(local.units_needing["readJobs"], local.worker_jobs) : "${p[0]}/${p[1]}" => { unit = p[0], job = p[1] } }
}

# need "firestore"
resource "google_project_iam_member" "firestore" {
  for_each = toset(local.units_needing["firestore"])
  project  = var.project_id
  role     = local.need_roles["firestore"]
  member   = local.unit_member[each.value]
}

# write back (issue 30): the units that commit transitions write an imported record's status in the app's project
resource "google_project_iam_member" "write_back" {
  for_each = { for p in setproduct(var.write_back_projects, local.units_needing["firestore"]) : "${p[0]}/${p[1]}" => p }
  project  = each.value[0]
  role     = "roles/datastore.user"
  member   = local.unit_member[each.value[1]]
}

# need "outputs": read outputs, delete temp files
resource "google_storage_bucket_iam_member" "outputs" {
  for_each   = local.unit_buckets
  bucket     = each.value.bucket
  role       = local.need_roles["outputs"]
  member     = local.unit_member[each.value.unit]
  depends_on = [google_storage_bucket.outputs]
}

# need "publishEvents"
resource "google_pubsub_topic_iam_member" "publish_events" {
  for_each = toset(local.units_needing["publishEvents"])
  project  = var.project_id
  topic    = google_pubsub_topic.topic["job_events"].name
  role     = local.need_roles["publishEvents"]
  member   = local.unit_member[each.value]
}

# need "runJobs": start executions of the worker jobs with env overrides, and cancel them
resource "google_cloud_run_v2_job_iam_member" "run_jobs" {
  for_each   = local.unit_jobs
  project    = split("/", each.value.job)[1]
  location   = split("/", each.value.job)[3]
  name       = split("/", each.value.job)[5]
  role       = local.need_roles["runJobs"]
  member     = local.unit_member[each.value.unit]
  depends_on = [google_cloud_run_v2_job.example]
}

# need "readJobs": read the worker jobs and their executions (the executor role can neither get nor list)
resource "google_cloud_run_v2_job_iam_member" "read_jobs" {
  for_each   = local.unit_readers
  project    = split("/", each.value.job)[1]
  location   = split("/", each.value.job)[3]
  name       = split("/", each.value.job)[5]
  role       = local.need_roles["readJobs"]
  member     = local.unit_member[each.value.unit]
  depends_on = [google_cloud_run_v2_job.example]
}

# need "webhookSecrets"
resource "google_secret_manager_secret_iam_member" "webhook_secrets" {
  for_each  = toset(local.units_needing["webhookSecrets"])
  project   = var.project_id
  secret_id = google_secret_manager_secret.secret["VERITY_WEBHOOK_SECRETS"].secret_id
  role      = local.need_roles["webhookSecrets"]
  member    = local.unit_member[each.value]
}

# need "providerKeys"
resource "google_secret_manager_secret_iam_member" "provider_keys" {
  for_each  = toset(local.units_needing["providerKeys"])
  project   = var.project_id
  secret_id = google_secret_manager_secret.secret["VERITY_PROVIDER_KEYS"].secret_id
  role      = local.need_roles["providerKeys"]
  member    = local.unit_member[each.value]
}

# The worker credentials' key: every unit mints them at a start; api and job-updates check them.
resource "google_secret_manager_secret_iam_member" "worker_key" {
  for_each  = local.units
  project   = var.project_id
  secret_id = google_secret_manager_secret.secret["VERITY_WORKER_KEY"].secret_id
  role      = "roles/secretmanager.secretAccessor"
  member    = local.unit_member[each.key]
}

# The output stores' keys (s3_stores, http_output_hosts): every unit probes outputs.
resource "google_secret_manager_secret_iam_member" "store_secrets" {
  for_each = { for pair in setproduct(keys(local.units), keys(local.store_secrets)) : "${pair[0]}/${pair[1]}" => {
    unit = pair[0], env = pair[1]
  } }
  project   = var.project_id
  secret_id = google_secret_manager_secret.secret[each.value.env].secret_id
  role      = "roles/secretmanager.secretAccessor"
  member    = local.unit_member[each.value.unit]
}

# Logs from every function.
resource "google_project_iam_member" "log_writer" {
  for_each = local.units
  project  = var.project_id
  role     = "roles/logging.logWriter"
  member   = local.unit_member[each.key]
}

# Builds: the build service account reads the sources and pushes images.
resource "google_project_iam_member" "build" {
  for_each = toset(["roles/cloudbuild.builds.builder", "roles/logging.logWriter", "roles/artifactregistry.writer"])
  project  = var.project_id
  role     = each.value
  member   = "serviceAccount:${google_service_account.build.email}"
}

resource "google_storage_bucket_iam_member" "build_reads_sources" {
  bucket = google_storage_bucket.sources.name
  role   = "roles/storage.objectViewer"
  member = "serviceAccount:${google_service_account.build.email}"
}

# Workers report on verity-job-updates and write outputs.
resource "google_pubsub_topic_iam_member" "worker_reports" {
  project = var.project_id
  topic   = google_pubsub_topic.topic["job_updates"].name
  role    = "roles/pubsub.publisher"
  member  = "serviceAccount:${google_service_account.worker.email}"
}

resource "google_storage_bucket_iam_member" "worker_writes_outputs" {
  for_each = toset(var.output_buckets)
  bucket   = each.value
  role     = "roles/storage.objectUser"
  member   = "serviceAccount:${google_service_account.worker.email}"
  # the example type's outputs (renders/) and temporary files only (workers-iam.tf: one account per type)
  condition {
    title       = "verity-example-outputs"
    description = "Objects under renders/ and tmp/"
    expression  = "resource.name.startsWith(\"projects/_/buckets/${each.value}/objects/renders/\") || resource.name.startsWith(\"projects/_/buckets/${each.value}/objects/tmp/\")"
  }
  depends_on = [google_storage_bucket.outputs]
}

# Secrets: declared here with their IAM, never their values. A value passed to
# google_secret_manager_secret_version.secret_data would be written to the Terraform state in clear text,
# `sensitive` or not, so versions are added outside Terraform:
#   gcloud secrets versions add verity-webhook-secrets --data-file=-
# and the functions read version `latest` (docs/deploy.md, step 3).
resource "google_secret_manager_secret" "secret" {
  for_each  = local.secrets
  project   = var.project_id
  secret_id = each.value
  labels    = var.labels

  replication {
    auto {}
  }
  depends_on = [google_project_service.apis]
}
