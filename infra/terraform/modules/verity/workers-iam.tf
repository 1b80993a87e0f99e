# Least privilege for workers (issue 29): one service account per worker type, its storage roles conditioned on
# the object name (IAM conditions: the output buckets use uniform bucket-level access), so a compromised or
# buggy worker can write only under its own prefixes and read only its inputs. With its per-attempt credential
# (shared/src/auth/worker-credential.ts) it also reports on its own job's attempt only.
locals {
  worker_type_buckets = {
    for pair in setproduct(keys(var.worker_types), var.output_buckets) : "${pair[0]}/${pair[1]}" => {
      type   = pair[0]
      bucket = pair[1]
      # the object names a type may write and read back (its outputs, temporary files, step checkpoints: its job
      # type sets tempPrefix gs://{bucket}/tmp/<type>/{jobId}/ and checkpointPrefix gs://{bucket}/ckpt/<type>/…)
      writes = concat(var.worker_types[pair[0]].output_prefixes, ["tmp/${pair[0]}/", "ckpt/${pair[0]}/"])
      reads  = var.worker_types[pair[0]].input_prefixes
    }
  }
}

resource "google_service_account" "worker_type" {
  for_each     = var.worker_types
  project      = var.project_id
  account_id   = "verity-w-${each.key}"
  display_name = "Verity worker: ${each.key} (its own prefixes only)"
  depends_on   = [google_project_service.apis]
}

# create, overwrite (a retry) and delete its own temporary objects: under its prefixes only
resource "google_storage_bucket_iam_member" "worker_type_writes" {
  for_each = local.worker_type_buckets
  bucket   = each.value.bucket
  role     = "roles/storage.objectUser"
  member   = "serviceAccount:${google_service_account.worker_type[each.value.type].email}"
  condition {
    title       = "verity-${each.value.type}-outputs"
    description = "Objects under the output and temp prefixes of worker type ${each.value.type}"
    expression  = join(" || ", [for p in each.value.writes : "resource.name.startsWith(\"projects/_/buckets/${each.value.bucket}/objects/${p}\")"])
  }
  depends_on = [google_storage_bucket.outputs]
}

resource "google_storage_bucket_iam_member" "worker_type_reads" {
  for_each = { for k, v in local.worker_type_buckets : k => v if length(v.reads) > 0 }
  bucket   = each.value.bucket
  role     = "roles/storage.objectViewer"
  member   = "serviceAccount:${google_service_account.worker_type[each.value.type].email}"
  condition {
    title       = "verity-${each.value.type}-inputs"
    description = "Objects under the input prefixes of worker type ${each.value.type}"
    expression  = join(" || ", [for p in each.value.reads : "resource.name.startsWith(\"projects/_/buckets/${each.value.bucket}/objects/${p}\")"])
  }
  depends_on = [google_storage_bucket.outputs]
}

resource "google_pubsub_topic_iam_member" "worker_type_reports" {
  for_each = var.worker_types
  project  = var.project_id
  topic    = google_pubsub_topic.topic["job_updates"].name
  role     = "roles/pubsub.publisher"
  member   = "serviceAccount:${google_service_account.worker_type[each.key].email}"
}
