resource "google_pubsub_topic" "topic" {
  for_each   = local.topics
  project    = var.project_id
  name       = each.value
  labels     = var.labels
  depends_on = [google_project_service.apis]
}

# Dead letters of each push subscription, kept 7 days in a pull subscription for inspection and replay.
resource "google_pubsub_topic" "dead_letter" {
  for_each = local.push_subscriptions
  project  = var.project_id
  name     = "${each.value.topic}-dlq"
  labels   = var.labels

  depends_on = [google_project_service.apis]
}

resource "google_pubsub_subscription" "dead_letter_hold" {
  for_each                   = local.push_subscriptions
  project                    = var.project_id
  name                       = "${each.value.topic}-dlq-hold"
  topic                      = google_pubsub_topic.dead_letter[each.key].id
  message_retention_duration = "604800s"
  ack_deadline_seconds       = 60
  labels                     = var.labels

  expiration_policy {
    ttl = ""
  }
}

# Topic → event function. A handler acknowledges what is done, a duplicate or malformed (logged) and fails
# only for trouble that may pass, so retries end in success or, after 10 attempts, in the dead-letter topic.
resource "google_pubsub_subscription" "push" {
  for_each             = local.push_subscriptions
  project              = var.project_id
  name                 = each.key
  topic                = google_pubsub_topic.topic[[for k, t in local.topics : k if t == each.value.topic][0]].id
  ack_deadline_seconds = 60
  labels               = var.labels

  push_config {
    # functions-framework turns a Pub/Sub push request into a CloudEvent; the path names the topic.
    push_endpoint = "${google_cloudfunctions2_function.unit[each.value.unit].service_config[0].uri}/projects/${var.project_id}/topics/${each.value.topic}"
    oidc_token {
      service_account_email = google_service_account.pubsub_push.email
      audience              = google_cloudfunctions2_function.unit[each.value.unit].service_config[0].uri
    }
  }

  retry_policy {
    minimum_backoff = "10s"
    maximum_backoff = "600s"
  }

  dead_letter_policy {
    dead_letter_topic     = google_pubsub_topic.dead_letter[each.key].id
    max_delivery_attempts = 10
  }

  expiration_policy {
    ttl = ""
  }
}

# The Pub/Sub service agent forwards dead letters and mints the push OIDC tokens.
locals {
  pubsub_agent = "serviceAccount:service-${data.google_project.this.number}@gcp-sa-pubsub.iam.gserviceaccount.com"
}

resource "google_pubsub_topic_iam_member" "agent_publishes_dead_letters" {
  for_each = local.push_subscriptions
  project  = var.project_id
  topic    = google_pubsub_topic.dead_letter[each.key].name
  role     = "roles/pubsub.publisher"
  member   = local.pubsub_agent
}

resource "google_pubsub_subscription_iam_member" "agent_acks_dead_letters" {
  for_each     = local.push_subscriptions
  project      = var.project_id
  subscription = google_pubsub_subscription.push[each.key].name
  role         = "roles/pubsub.subscriber"
  member       = local.pubsub_agent
}

resource "google_service_account_iam_member" "agent_mints_push_tokens" {
  service_account_id = google_service_account.pubsub_push.name
  role               = "roles/iam.serviceAccountTokenCreator"
  member             = local.pubsub_agent
}
