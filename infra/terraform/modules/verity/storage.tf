resource "google_storage_bucket" "outputs" {
  for_each                    = var.create_output_buckets ? toset(var.output_buckets) : toset([])
  project                     = var.project_id
  name                        = each.value
  location                    = upper(var.region)
  uniform_bucket_level_access = true
  public_access_prevention    = "enforced"
  labels                      = var.labels

  # Temp files of crashed runs (the job's own are deleted when it ends; the orphan sweep deletes the rest
  # by their retention): a backstop. No declared output may lie under these prefixes (ephemeral.ts).
  lifecycle_rule {
    condition {
      age            = var.temp_retention_days
      matches_prefix = ["tmp/", "proxy/"]
    }
    action {
      type = "Delete"
    }
  }
  # Step checkpoints: the orphan sweep deletes them once their retry chain no longer needs them; this rule,
  # past any retry window, is the backstop should it not run.
  lifecycle_rule {
    condition {
      age            = var.checkpoint_retention_days
      matches_prefix = ["ckpt/"]
    }
    action {
      type = "Delete"
    }
  }
}

# Function source archives.
resource "google_storage_bucket" "sources" {
  project                     = var.project_id
  name                        = "${var.project_id}-verity-sources"
  location                    = upper(var.region)
  uniform_bucket_level_access = true
  public_access_prevention    = "enforced"
  labels                      = var.labels
}

# Every finalized object of an output bucket is announced on verity-gcs-notifications.
data "google_storage_project_service_account" "gcs" {
  project = var.project_id
}

resource "google_pubsub_topic_iam_member" "gcs_publishes_notifications" {
  project = var.project_id
  topic   = google_pubsub_topic.topic["gcs_notifications"].name
  role    = "roles/pubsub.publisher"
  member  = "serviceAccount:${data.google_storage_project_service_account.gcs.email_address}"
}

resource "google_storage_notification" "finalize" {
  for_each       = toset(var.output_buckets)
  bucket         = each.value
  payload_format = "JSON_API_V1"
  topic          = google_pubsub_topic.topic["gcs_notifications"].id
  event_types    = ["OBJECT_FINALIZE"]
  depends_on     = [google_pubsub_topic_iam_member.gcs_publishes_notifications, google_storage_bucket.outputs]
}
