# Every applied transition is logged by the function that committed it: message "transition" with jobId,
# seq, from, to, reason and source (shared/src/reconcile/reconciler.ts).
resource "google_logging_metric" "stuck_jobs" {
  project = var.project_id
  name    = "verity/stuck_jobs"
  filter  = "resource.type=\"cloud_run_revision\" AND jsonPayload.message=\"transition\" AND jsonPayload.reason=(\"QUEUE_TIMEOUT\" OR \"RUN_TIMEOUT\" OR \"HEARTBEAT_TIMEOUT\" OR \"EXECUTOR_LOST\" OR \"OUTPUT_MISSING\" OR \"EVIDENCE_UNAVAILABLE\")"

  metric_descriptor {
    metric_kind  = "DELTA"
    value_type   = "INT64"
    display_name = "Verity: jobs found stuck"
    labels {
      key        = "reason"
      value_type = "STRING"
    }
    labels {
      key        = "source"
      value_type = "STRING"
    }
  }
  label_extractors = {
    reason = "EXTRACT(jsonPayload.reason)"
    source = "EXTRACT(jsonPayload.source)"
  }
}

# A recovery: a transition made from evidence gathered by a reconcile (on read, explicit, or the sweep)
# rather than by the event that should have said it.
resource "google_logging_metric" "recoveries" {
  project = var.project_id
  name    = "verity/recoveries"
  filter  = "resource.type=\"cloud_run_revision\" AND jsonPayload.message=\"transition\" AND jsonPayload.source=(\"read\" OR \"reconcile\" OR \"sweep\")"

  metric_descriptor {
    metric_kind  = "DELTA"
    value_type   = "INT64"
    display_name = "Verity: recoveries by source"
    labels {
      key        = "source"
      value_type = "STRING"
    }
    labels {
      key        = "reason"
      value_type = "STRING"
    }
  }
  label_extractors = {
    source = "EXTRACT(jsonPayload.source)"
    reason = "EXTRACT(jsonPayload.reason)"
  }
}

# Jobs that ended succeeded or failed, by type (seed 000: success and failure rates; an alert on a high
# failure rate). The transition log line carries the job's type.
resource "google_logging_metric" "job_endings" {
  project = var.project_id
  name    = "verity/job_endings"
  filter  = "resource.type=\"cloud_run_revision\" AND jsonPayload.message=\"transition\" AND jsonPayload.to=(\"succeeded\" OR \"failed\")"

  metric_descriptor {
    metric_kind  = "DELTA"
    value_type   = "INT64"
    display_name = "Verity: jobs ended, by type and outcome"
    labels {
      key        = "job_type"
      value_type = "STRING"
    }
    labels {
      key        = "outcome"
      value_type = "STRING"
    }
  }
  label_extractors = {
    job_type = "EXTRACT(jsonPayload.type)"
    outcome  = "EXTRACT(jsonPayload.to)"
  }
}

# failed / (succeeded + failed) per type over the last hour, once a type has ended enough jobs to mean something
resource "google_monitoring_alert_policy" "failure_rate" {
  project               = var.project_id
  display_name          = "Verity: a job type is failing"
  combiner              = "OR"
  notification_channels = var.notification_channels

  conditions {
    display_name = "failure rate per type above ${var.failure_rate_alert_threshold} over 1 h (at least ${var.failure_rate_min_jobs} jobs ended)"
    condition_prometheus_query_language {
      query               = <<-EOT
        (
          sum by (job_type) (increase(logging_googleapis_com:user_verity_job_endings{outcome="failed"}[1h]))
          / sum by (job_type) (increase(logging_googleapis_com:user_verity_job_endings[1h]))
        ) > ${var.failure_rate_alert_threshold}
        and sum by (job_type) (increase(logging_googleapis_com:user_verity_job_endings[1h])) >= ${var.failure_rate_min_jobs}
      EOT
      duration            = "0s"
      evaluation_interval = "60s"
    }
  }

  documentation {
    content   = "A job type's failure rate is high. `npx verity stats --window 1h` shows failures by reason and type; `npx verity explain <jobId>` explains one."
    mime_type = "text/markdown"
  }
}

resource "google_monitoring_alert_policy" "stuck_jobs" {
  project               = var.project_id
  display_name          = "Verity: jobs getting stuck"
  combiner              = "OR"
  notification_channels = var.notification_channels

  conditions {
    display_name = "stuck jobs in 10 min above ${var.stuck_jobs_alert_threshold}"
    condition_threshold {
      filter          = "metric.type=\"logging.googleapis.com/user/${google_logging_metric.stuck_jobs.name}\" AND resource.type=\"cloud_run_revision\""
      comparison      = "COMPARISON_GT"
      threshold_value = var.stuck_jobs_alert_threshold
      duration        = "0s"
      aggregations {
        alignment_period     = "600s"
        per_series_aligner   = "ALIGN_DELTA"
        cross_series_reducer = "REDUCE_SUM"
      }
    }
  }

  documentation {
    content   = "Jobs are timing out, losing their executions or missing outputs. See the reasons on the verity/stuck_jobs metric, then `npx verity jobs ls --status failed` and a job's history."
    mime_type = "text/markdown"
  }
}

resource "google_monitoring_alert_policy" "sweep_recoveries" {
  project               = var.project_id
  display_name          = "Verity: the sweep is correcting many jobs"
  combiner              = "OR"
  notification_channels = var.notification_channels

  conditions {
    display_name = "sweep recoveries in 30 min above ${var.sweep_recoveries_alert_threshold}"
    condition_threshold {
      filter          = "metric.type=\"logging.googleapis.com/user/${google_logging_metric.recoveries.name}\" AND resource.type=\"cloud_run_revision\" AND metric.label.source=\"sweep\""
      comparison      = "COMPARISON_GT"
      threshold_value = var.sweep_recoveries_alert_threshold
      duration        = "0s"
      aggregations {
        alignment_period     = "1800s"
        per_series_aligner   = "ALIGN_DELTA"
        cross_series_reducer = "REDUCE_SUM"
      }
    }
  }

  documentation {
    content   = "Events (finalize notifications, worker reports, webhooks) are being missed and the sweep is catching up. Check the dead-letter subscriptions and the push subscriptions' delivery errors."
    mime_type = "text/markdown"
  }
}

resource "google_monitoring_alert_policy" "dead_letters" {
  project               = var.project_id
  display_name          = "Verity: messages in a dead-letter topic"
  combiner              = "OR"
  notification_channels = var.notification_channels

  conditions {
    display_name = "undelivered dead letters"
    condition_threshold {
      filter          = "metric.type=\"pubsub.googleapis.com/subscription/num_undelivered_messages\" AND resource.type=\"pubsub_subscription\" AND resource.label.subscription_id=monitoring.regex.full_match(\".*-dlq-hold\")"
      comparison      = "COMPARISON_GT"
      threshold_value = 0
      duration        = "300s"
      aggregations {
        alignment_period   = "300s"
        per_series_aligner = "ALIGN_MAX"
      }
    }
  }
}
