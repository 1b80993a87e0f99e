# What the code declares, mirrored here; `npm test` parses this module and compares it with
# functions/units.ts (deploy units, needs, env), shared/src/store/queries.ts (indexes, TTL) and the topics.
locals {
  # One Cloud Function (gen2) per deploy unit, with the folder `npm run build` wrote for it.
  units = {
    api = {
      entry_point     = "api"
      trigger         = "http-public"
      needs           = ["firestore", "outputs", "publishEvents", "runJobs", "readJobs", "providerKeys", "webhookSecrets"]
      secret_env      = ["VERITY_WEBHOOK_SECRETS", "VERITY_PROVIDER_KEYS", "VERITY_WORKER_KEY"]
      ingress         = "ALLOW_ALL"
      memory          = "512Mi"
      timeout_seconds = 300
      max_instances   = 20
      concurrency     = 80
    }
    object-finalized = {
      entry_point     = "objectFinalized"
      trigger         = "pubsub-push"
      needs           = ["firestore", "outputs", "publishEvents", "runJobs", "readJobs", "providerKeys"]
      secret_env      = ["VERITY_PROVIDER_KEYS", "VERITY_WORKER_KEY"]
      ingress         = "ALLOW_INTERNAL_ONLY"
      memory          = "256Mi"
      timeout_seconds = 60
      max_instances   = 10
      concurrency     = 20
    }
    job-updates = {
      entry_point     = "jobUpdates"
      trigger         = "pubsub-push"
      needs           = ["firestore", "outputs", "publishEvents", "runJobs", "readJobs", "providerKeys"]
      secret_env      = ["VERITY_PROVIDER_KEYS", "VERITY_WORKER_KEY"]
      ingress         = "ALLOW_INTERNAL_ONLY"
      memory          = "256Mi"
      timeout_seconds = 60
      max_instances   = 10
      concurrency     = 20
    }
    webhooks = {
      entry_point     = "webhooks"
      trigger         = "http-public"
      needs           = ["firestore", "outputs", "publishEvents", "runJobs", "readJobs", "providerKeys", "webhookSecrets"]
      secret_env      = ["VERITY_WEBHOOK_SECRETS", "VERITY_PROVIDER_KEYS", "VERITY_WORKER_KEY"]
      ingress         = "ALLOW_ALL"
      memory          = "256Mi"
      timeout_seconds = 60
      max_instances   = 10
      concurrency     = 20
    }
    sweep = {
      entry_point     = "sweep"
      trigger         = "scheduler"
      needs           = ["firestore", "outputs", "publishEvents", "runJobs", "readJobs", "providerKeys"]
      secret_env      = ["VERITY_PROVIDER_KEYS", "VERITY_WORKER_KEY"]
      ingress         = "ALLOW_ALL" # IAM still requires the scheduler's OIDC token, and the code verifies it
      memory          = "512Mi"
      timeout_seconds = 300
      max_instances   = var.sweep_fanout # one run a share at once (scheduler.tf); each holds one request
      concurrency     = 1
    }
  }

  # The role each need grants, and on what (see iam.tf).
  need_roles = {
    firestore      = "roles/datastore.user"                # project
    outputs        = "roles/storage.objectUser"            # each output bucket
    publishEvents  = "roles/pubsub.publisher"              # topic verity-job-events
    runJobs        = "roles/run.jobsExecutorWithOverrides" # each worker Cloud Run Job
    readJobs       = "roles/run.viewer"                    # each worker Cloud Run Job
    webhookSecrets = "roles/secretmanager.secretAccessor"  # secret verity-webhook-secrets
    providerKeys   = "roles/secretmanager.secretAccessor"  # secret verity-provider-keys
  }

  # need → the units that have it
  units_needing = { for n in keys(local.need_roles) : n => [for u, c in local.units : u if contains(c.needs, n)] }

  topics = {
    job_updates       = "verity-job-updates"
    job_events        = "verity-job-events"
    gcs_notifications = "verity-gcs-notifications"
  }

  # Push subscriptions: topic → deploy unit, each with a retry policy and a dead-letter topic <topic>-dlq.
  push_subscriptions = {
    verity-object-finalized = { topic = "verity-gcs-notifications", unit = "object-finalized" }
    verity-job-updates-push = { topic = "verity-job-updates", unit = "job-updates" }
  }

  function_url = { for u in keys(local.units) : u => "https://${var.region}-${var.project_id}.cloudfunctions.net/verity-${u}" }

  example_job_name = "verity-example-render"
  example_job_id   = "projects/${var.project_id}/locations/${var.region}/jobs/${local.example_job_name}"
  example_job_types = var.example_worker_image == null ? {} : {
    example-render = {
      executor        = { kind = "cloud-run-job", job = local.example_job_id, container = "worker", timeoutSeconds = 3600 }
      outputTemplates = ["gs://{bucket}/renders/{jobId}.mp4"]
      policy          = { runTimeoutSeconds = 3600, heartbeatTimeoutSeconds = 300 }
    }
  }
  job_types   = merge(local.example_job_types, var.job_types)
  worker_jobs = distinct(concat(var.worker_jobs, var.example_worker_image == null ? [] : [local.example_job_id]))

  # Every unit: the cloud profile refuses to boot without these (functions/common/boot.ts).
  common_env = {
    GOOGLE_CLOUD_PROJECT    = var.project_id
    VERITY_PROFILE          = "cloud"
    VERITY_BUCKET           = var.output_buckets[0]
    VERITY_ALLOWED_BUCKETS  = join(",", var.output_buckets)
    VERITY_JOB_TYPES        = jsonencode(local.job_types)
    VERITY_EVENTS_TOPIC     = local.topics.job_events
    VERITY_UPDATES_TOPIC    = local.topics.job_updates
    VERITY_WEBHOOK_BASE_URL = local.function_url["webhooks"]
    VERITY_LOG_LEVEL        = "info"
    # where outputs outside Cloud Storage may be; checked against the job types' templates at boot
    VERITY_S3_STORES         = jsonencode(local.s3_stores_env)
    VERITY_HTTP_OUTPUT_HOSTS = jsonencode(var.http_output_hosts)
    # where Verity's own state lives: a database and a prefix on every collection (firestore.tf follows them)
    VERITY_FIRESTORE_DATABASE = var.firestore_database
    VERITY_COLLECTION_PREFIX  = var.collection_prefix
  }

  # Each unit's own variables.
  unit_env = {
    api = {
      VERITY_AUTH_AUDIENCE = var.auth_audience
      VERITY_ADMINS        = join(",", var.admins)
      # who may call: these Google identities (emails, domain:<host>), admins, and Firebase Auth users of
      # firebase_project when it is set
      VERITY_ALLOWED_USERS    = join(",", var.allowed_users)
      VERITY_FIREBASE_PROJECT = var.firebase_project == null ? "" : var.firebase_project
      VERITY_API_URL          = local.function_url["api"]
      # checked against the job types at boot
      VERITY_PROJECT_JOB_TYPE = var.project_job_type
      # per-owner quotas (job types may override them)
      VERITY_MAX_ACTIVE_JOBS   = tostring(var.max_active_jobs)
      VERITY_PROBES_PER_MINUTE = tostring(var.probes_per_minute)
      # outbound webhooks: subscriptions one user makes
      VERITY_MAX_SUBSCRIPTIONS = tostring(var.max_subscriptions)
      # enqueue rate limits (docs/scale.md, "Admission")
      VERITY_ENQUEUE_PER_OWNER_PER_MINUTE = tostring(var.enqueue_per_owner_per_minute)
      VERITY_ENQUEUE_BASE_PER_SECOND      = tostring(var.enqueue_base_per_second)
    }
    object-finalized = {}
    job-updates      = {}
    webhooks         = {}
    sweep = {
      VERITY_SCHEDULER_SA   = google_service_account.scheduler.email
      VERITY_SWEEP_AUDIENCE = local.function_url["sweep"]
      # the orphan sweep (temp, proxies, checkpoints past their retention) at its own cadence
      VERITY_ORPHAN_SWEEP_MINUTES = tostring(var.orphan_sweep_minutes)
      # an admin with run.invoker on the sweep may call it directly (any admin: POST /api/sweep on the API)
      VERITY_AUTH_AUDIENCE = var.auth_audience
      VERITY_ADMINS        = join(",", var.admins)
    }
  }

  # Outputs outside Cloud Storage (docs/deploy.md): each S3-compatible store's keys and each HTTP host's header
  # values are secrets, mounted as the env variables VERITY_S3_STORES / VERITY_HTTP_OUTPUT_HOSTS name.
  s3_key_env = { for b in keys(var.s3_stores) : b => upper(replace(b, "/[^A-Za-z0-9]/", "_")) }
  store_secrets = merge(
    merge([for b, e in local.s3_key_env : {
      "VERITY_S3_${e}_KEY_ID" = "verity-s3-${replace(b, ".", "-")}-key-id"
      "VERITY_S3_${e}_SECRET" = "verity-s3-${replace(b, ".", "-")}-secret"
    }]...),
    { for v in distinct(flatten([for h in values(var.http_output_hosts) : values(h.headers)])) : v => "verity-http-${lower(replace(v, "_", "-"))}" },
  )
  s3_stores_env = { for b, s in var.s3_stores : b => merge(
    { region = s.region, forcePathStyle = s.force_path_style },
    { accessKeyIdEnv = "VERITY_S3_${local.s3_key_env[b]}_KEY_ID", secretAccessKeyEnv = "VERITY_S3_${local.s3_key_env[b]}_SECRET" },
    s.endpoint == null ? {} : { endpoint = s.endpoint },
  ) }

  # Secret env var → Secret Manager secret id.
  secrets = merge({
    VERITY_WEBHOOK_SECRETS = "verity-webhook-secrets"
    VERITY_PROVIDER_KEYS   = "verity-provider-keys"
    VERITY_WORKER_KEY      = "verity-worker-key"
  }, local.store_secrets)

  # Composite indexes and collection-group single-field indexes of every query (shared/src/store/queries.ts).
  firestore_indexes = [
    # in the order of INDEXES; sequential fields after a shard (dueShard, shard) or an owner (index-load.ts)
    { collection = "jobs", scope = "COLLECTION", fields = [{ field = "outputUris", array_config = "CONTAINS" }, { field = "status", order = "ASCENDING" }] },
    { collection = "jobs", scope = "COLLECTION", fields = [{ field = "dueShard", order = "ASCENDING" }, { field = "nextCheckAt", order = "ASCENDING" }] },
    { collection = "jobs", scope = "COLLECTION", fields = [{ field = "dueShard", order = "ASCENDING" }, { field = "startDueAt", order = "ASCENDING" }] },
    { collection = "jobs", scope = "COLLECTION", fields = [{ field = "status", order = "ASCENDING" }, { field = "dueShard", order = "ASCENDING" }, { field = "createdAt", order = "DESCENDING" }] },
    { collection = "jobs", scope = "COLLECTION", fields = [{ field = "dueShard", order = "ASCENDING" }, { field = "createdAt", order = "DESCENDING" }] },
    { collection = "jobs", scope = "COLLECTION", fields = [{ field = "type", order = "ASCENDING" }, { field = "dueShard", order = "ASCENDING" }, { field = "createdAt", order = "DESCENDING" }] },
    { collection = "jobs", scope = "COLLECTION", fields = [{ field = "resourceKey", order = "ASCENDING" }, { field = "createdAt", order = "DESCENDING" }] },
    { collection = "jobs", scope = "COLLECTION", fields = [{ field = "ownerId", order = "ASCENDING" }, { field = "createdAt", order = "DESCENDING" }] },
    { collection = "jobs", scope = "COLLECTION", fields = [{ field = "ownerId", order = "ASCENDING" }, { field = "status", order = "ASCENDING" }, { field = "createdAt", order = "DESCENDING" }] },
    { collection = "jobs", scope = "COLLECTION", fields = [{ field = "ownerId", order = "ASCENDING" }, { field = "type", order = "ASCENDING" }, { field = "createdAt", order = "DESCENDING" }] },
    { collection = "jobs", scope = "COLLECTION", fields = [{ field = "ownerId", order = "ASCENDING" }, { field = "resourceKey", order = "ASCENDING" }, { field = "createdAt", order = "DESCENDING" }] },
    { collection = "projects", scope = "COLLECTION", fields = [{ field = "ownerId", order = "ASCENDING" }, { field = "createdAt", order = "DESCENDING" }] },
    { collection = "artifacts", scope = "COLLECTION_GROUP", fields = [{ field = "uri", order = "ASCENDING" }] },
    { collection = "jobs", scope = "COLLECTION", fields = [{ field = "ownerId", order = "ASCENDING" }, { field = "type", order = "ASCENDING" }, { field = "status", order = "ASCENDING" }, { field = "completedAt", order = "DESCENDING" }] },
    { collection = "probes", scope = "COLLECTION", fields = [{ field = "ownerId", order = "ASCENDING" }, { field = "at", order = "ASCENDING" }] },
    { collection = "jobs", scope = "COLLECTION", fields = [{ field = "dueShard", order = "ASCENDING" }, { field = "outboxDueAt", order = "ASCENDING" }] },
    { collection = "deliveries", scope = "COLLECTION", fields = [{ field = "shard", order = "ASCENDING" }, { field = "dueAt", order = "ASCENDING" }] },
    { collection = "deliveries", scope = "COLLECTION", fields = [{ field = "subscriptionId", order = "ASCENDING" }, { field = "shard", order = "ASCENDING" }, { field = "dueAt", order = "ASCENDING" }] },
    { collection = "deliveries", scope = "COLLECTION", fields = [{ field = "subscriptionId", order = "ASCENDING" }, { field = "jobId", order = "ASCENDING" }, { field = "state", order = "ASCENDING" }, { field = "seq", order = "ASCENDING" }] },
    { collection = "deliveries", scope = "COLLECTION", fields = [{ field = "subscriptionId", order = "ASCENDING" }, { field = "shard", order = "ASCENDING" }, { field = "createdAt", order = "DESCENDING" }] },
    { collection = "deliveries", scope = "COLLECTION", fields = [{ field = "subscriptionId", order = "ASCENDING" }, { field = "state", order = "ASCENDING" }, { field = "shard", order = "ASCENDING" }, { field = "createdAt", order = "DESCENDING" }] },
    { collection = "deliveries", scope = "COLLECTION", fields = [{ field = "subscriptionId", order = "ASCENDING" }, { field = "jobId", order = "ASCENDING" }, { field = "createdAt", order = "DESCENDING" }] },
    { collection = "deliveries", scope = "COLLECTION", fields = [{ field = "subscriptionId", order = "ASCENDING" }, { field = "state", order = "ASCENDING" }, { field = "jobId", order = "ASCENDING" }, { field = "createdAt", order = "DESCENDING" }] },
    { collection = "transitions", scope = "COLLECTION_GROUP", fields = [{ field = "ownerId", order = "ASCENDING" }, { field = "source", order = "ASCENDING" }, { field = "at", order = "ASCENDING" }] },
    { collection = "transitions", scope = "COLLECTION_GROUP", fields = [{ field = "shard", order = "ASCENDING" }, { field = "source", order = "ASCENDING" }, { field = "at", order = "ASCENDING" }] },
    { collection = "transitions", scope = "COLLECTION_GROUP", fields = [{ field = "ownerId", order = "ASCENDING" }, { field = "reason", order = "ASCENDING" }, { field = "at", order = "ASCENDING" }] },
    { collection = "transitions", scope = "COLLECTION_GROUP", fields = [{ field = "shard", order = "ASCENDING" }, { field = "reason", order = "ASCENDING" }, { field = "at", order = "ASCENDING" }] },
    { collection = "transitions", scope = "COLLECTION_GROUP", fields = [{ field = "ownerId", order = "ASCENDING" }, { field = "to", order = "ASCENDING" }, { field = "at", order = "ASCENDING" }] },
    { collection = "transitions", scope = "COLLECTION_GROUP", fields = [{ field = "shard", order = "ASCENDING" }, { field = "to", order = "ASCENDING" }, { field = "at", order = "ASCENDING" }] },
    { collection = "transitions", scope = "COLLECTION_GROUP", fields = [{ field = "ownerId", order = "ASCENDING" }, { field = "at", order = "ASCENDING" }] },
    { collection = "transitions", scope = "COLLECTION_GROUP", fields = [{ field = "shard", order = "ASCENDING" }, { field = "at", order = "ASCENDING" }] },
    { collection = "jobs", scope = "COLLECTION", fields = [{ field = "ownerId", order = "ASCENDING" }, { field = "type", order = "ASCENDING" }, { field = "status", order = "ASCENDING" }, { field = "endedAt", order = "ASCENDING" }] },
    { collection = "jobs", scope = "COLLECTION", fields = [{ field = "type", order = "ASCENDING" }, { field = "status", order = "ASCENDING" }, { field = "dueShard", order = "ASCENDING" }, { field = "endedAt", order = "ASCENDING" }] },
  ]
  composite_indexes      = { for i in local.firestore_indexes : join("-", concat([i.collection], [for f in i.fields : f.field])) => i if length(i.fields) > 1 }
  single_field_overrides = { for i in local.firestore_indexes : "${i.collection}-${i.fields[0].field}" => i if length(i.fields) == 1 }

  # Fields whose single-field indexes are off, per collection (shared/src/store/index-load.ts INDEX_EXEMPTIONS):
  # sequential times only shown or read under a composite index that leads with a shard or an owner, large maps
  # and JSON text. Composite indexes naming one are kept.
  unindexed = {
    jobs = [
      "nextCheckAt", "createdAt", "updatedAt", "attemptQueuedAt", "notBefore", "startedAt", "heartbeatAt",
      "progressAt", "executorAliveAt", "livenessCheckedAt", "reportedSucceededAt", "completedAt", "canceledAt",
      "endedAt", "executor.startRequestedAt", "executor.cancelRequestedAt", "startDueAt", "outboxDueAt",
      "inputJson", "patchLogJson", "outbox", "dedupe", "progress", "outputs", "policy", "stepPlan",
    ]
    deliveries  = ["createdAt", "deliveredAt", "dueAt", "windowStart", "body"]
    probes      = ["at"]
    leases      = ["until"]
    idempotency = ["createdAt"]
    locks       = ["at"]
    projects    = ["updatedAt"]
  }
  unindexed_fields = merge([for c, fs in local.unindexed : { for f in fs : "${c}/${f}" => { collection = c, field = f } }]...)

  # TTL policies: Firestore deletes these documents once the field's time has passed.
  ttl_fields = {
    leases     = "expireAt"
    probes     = "expireAt"
    seen       = "expireAt"
    deliveries = "expireAt"
  }
}
