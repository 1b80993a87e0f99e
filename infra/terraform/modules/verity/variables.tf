variable "project_id" {
  description = "The Google Cloud project to deploy into."
  type        = string
}

variable "region" {
  description = "Region of the functions, Cloud Scheduler and the example worker job."
  type        = string
  default     = "europe-west1"
}

variable "firestore_location" {
  description = "Location of Verity's Firestore database, e.g. eur3, nam5 or a region. Cannot change later."
  type        = string
  default     = "eur3"
}

variable "create_firestore_database" {
  description = "Create Verity's Firestore database, firestore_database (false: it exists already, in Native mode)."
  type        = bool
  default     = true
}

variable "firestore_database" {
  description = "The Firestore database Verity keeps its state in: (default), or a named one beside an app's own (VERITY_FIRESTORE_DATABASE)."
  type        = string
  default     = "(default)"
  validation {
    condition     = can(regex("^(\\(default\\)|[a-z][a-z0-9-]{2,62})$", var.firestore_database))
    error_message = "firestore_database is (default) or a database id: a-z first, then a-z, 0-9 and -, 3 to 63 characters."
  }
}

variable "write_back_projects" {
  description = "Projects whose Firestore records `verity import` maps with writeBack (docs/adopt.md): the units may write there. This project needs no entry."
  type        = list(string)
  default     = []
}

variable "collection_prefix" {
  description = "Put before every collection Verity writes (VERITY_COLLECTION_PREFIX), e.g. verity_ beside an app's own jobs, or two deployments in one database."
  type        = string
  default     = ""
  validation {
    condition     = can(regex("^([a-z][a-z0-9_-]{0,29})?$", var.collection_prefix))
    error_message = "collection_prefix: up to 30 characters, a-z first, then a-z, 0-9, _ and -."
  }
}

variable "output_buckets" {
  description = "Buckets where outputs land. The first is VERITY_BUCKET (templates' {bucket}); all are allowed in requests and notify the finalize function."
  type        = list(string)
  validation {
    condition     = length(var.output_buckets) > 0
    error_message = "At least one output bucket is needed."
  }
}

variable "create_output_buckets" {
  description = "Create the output buckets (false: they exist; only notifications and IAM are added)."
  type        = bool
  default     = true
}

variable "temp_retention_days" {
  description = "Objects under tmp/ and proxy/ in created buckets are deleted after this many days (orphans of crashed runs)."
  type        = number
  default     = 7
}

variable "checkpoint_retention_days" {
  description = "Objects under ckpt/ in created buckets are deleted after this many days: a backstop behind the orphan sweep, past the 7-day retry window."
  type        = number
  default     = 30
  validation {
    condition     = var.checkpoint_retention_days >= 8
    error_message = "checkpoint_retention_days must be at least 8: a failed job's checkpoints are kept 7 days for a retry."
  }
}

variable "orphan_sweep_minutes" {
  description = "How often the sweep unit also deletes orphaned temp files, proxies and checkpoints past their retention (VERITY_ORPHAN_SWEEP_MINUTES); 0: never."
  type        = number
  default     = 60
}

variable "build_dir" {
  description = "Where `npm run build` wrote the deploy folders (build/functions), one per deploy unit."
  type        = string
}

variable "job_types" {
  description = "The job-type registry (VERITY_JOB_TYPES): type name → {executor, policy?, limits?, outputTemplates?, steps?}. See README, Job types."
  type        = any
  default     = {}
}

variable "max_active_jobs" {
  description = "Per-owner quota: active (queued or running) jobs of one type; a job type's quotas.maxActiveJobs overrides it. Over it: 429 with Retry-After."
  type        = number
  default     = 100
  validation {
    condition     = var.max_active_jobs >= 1 && var.max_active_jobs <= 100000 && floor(var.max_active_jobs) == var.max_active_jobs
    error_message = "max_active_jobs must be an integer within 1..100000."
  }
}

variable "probes_per_minute" {
  description = "Per-owner quota: verify (?verify=true) and reconcile calls a minute; a job type's quotas.probesPerMinute overrides it. Over it: 429 with Retry-After."
  type        = number
  default     = 60
  validation {
    condition     = var.probes_per_minute >= 1 && var.probes_per_minute <= 100000 && floor(var.probes_per_minute) == var.probes_per_minute
    error_message = "probes_per_minute must be an integer within 1..100000."
  }
}

variable "enqueue_per_owner_per_minute" {
  description = "Enqueue rate limit: jobs one owner creates a minute (429 with Retry-After past it); 0: none. docs/scale.md."
  type        = number
  default     = 6000
  validation {
    condition     = var.enqueue_per_owner_per_minute >= 0 && floor(var.enqueue_per_owner_per_minute) == var.enqueue_per_owner_per_minute
    error_message = "enqueue_per_owner_per_minute must be a whole number, 0 or more."
  }
}

variable "enqueue_base_per_second" {
  description = "Enqueue rate limit for the deployment: the ramp's base, jobs a second (Firestore's 500/50/5: half again every five minutes of sustained load); 0: none."
  type        = number
  default     = 500
  validation {
    condition     = var.enqueue_base_per_second >= 0 && floor(var.enqueue_base_per_second) == var.enqueue_base_per_second
    error_message = "enqueue_base_per_second must be a whole number, 0 or more."
  }
}

variable "sweep_fanout" {
  description = "Scheduler jobs the sweep is split into, each reading its share of the due index's 16 shards (docs/scale.md)."
  type        = number
  default     = 1
  validation {
    condition     = contains([1, 2, 4, 8, 16], var.sweep_fanout)
    error_message = "sweep_fanout must be 1, 2, 4, 8 or 16."
  }
}

variable "max_subscriptions" {
  description = "Outbound webhooks: the subscriptions one user makes (POST /api/subscriptions past it: 429)."
  type        = number
  default     = 10
  validation {
    condition     = var.max_subscriptions >= 0 && var.max_subscriptions <= 1000 && floor(var.max_subscriptions) == var.max_subscriptions
    error_message = "max_subscriptions must be an integer within 0..1000."
  }
}

variable "project_job_type" {
  description = "The job type that generates a project's missing artifacts (POST /api/projects/:id/generate); empty: projects cannot generate (503)."
  type        = string
  default     = ""
  validation {
    condition     = var.project_job_type == "" || can(regex("^[a-z][a-z0-9-]{0,62}$", var.project_job_type))
    error_message = "project_job_type must be empty or a job type name."
  }
}

variable "worker_jobs" {
  description = "Full names (projects/P/locations/L/jobs/J) of existing Cloud Run Jobs that job types start; the functions get permission to run, read and cancel them."
  type        = list(string)
  default     = []
}

variable "example_worker_image" {
  description = "Container image of an example Cloud Run Job worker (type `example-render`); null: no example job."
  type        = string
  default     = null
}

variable "auth_audience" {
  description = "Audience of the Google ID tokens the API accepts (VERITY_AUTH_AUDIENCE), e.g. an OAuth client id or the API URL."
  type        = string
}

variable "admins" {
  description = "Principals (token email or sub) with admin rights in the API: see every job, run the sweep."
  type        = list(string)
  default     = []
}

variable "allowed_users" {
  description = "Google identities that may call the API (VERITY_ALLOWED_USERS): verified emails of people or service accounts, and domain:<host> for a Workspace domain. Anyone can mint a Google ID token: everyone else gets 403 IDENTITY_NOT_ALLOWED."
  type        = list(string)
  default     = []
  validation {
    condition     = alltrue([for u in var.allowed_users : can(regex("^([^\\s@,]+@[^\\s@,]+\\.[^\\s@,]+|domain:[a-z0-9-]+(\\.[a-z0-9-]+)+)$", lower(u)))])
    error_message = "allowed_users entries are emails or domain:<host>."
  }
}

variable "firebase_project" {
  description = "The Firebase project whose Auth users may call the API (VERITY_FIREBASE_PROJECT); null: none named. With allowed_users empty, it must be set (the API refuses to start with no users)."
  type        = string
  default     = null
}

variable "sweep_schedule" {
  description = "Cron schedule of the sweep (Cloud Scheduler, UTC)."
  type        = string
  default     = "* * * * *"
}

variable "notification_channels" {
  description = "Monitoring notification channels the alert policies notify, as full names: projects/P/notificationChannels/ID."
  type        = list(string)
  default     = []

  validation {
    condition     = alltrue([for c in var.notification_channels : startswith(c, "projects/")])
    error_message = "Give notification channels as full names: projects/P/notificationChannels/ID."
  }
}

variable "stuck_jobs_alert_threshold" {
  description = "Alert when more jobs than this were found stuck (timeouts, lost executions, missing outputs) in 10 minutes."
  type        = number
  default     = 5
}

variable "sweep_recoveries_alert_threshold" {
  description = "Alert when the sweep corrected more jobs than this in 30 minutes: events are being missed."
  type        = number
  default     = 20
}

variable "labels" {
  description = "Labels on every resource that takes them."
  type        = map(string)
  default     = { app = "verity" }
}

variable "failure_rate_alert_threshold" {
  description = "Alert when a job type's failed / (succeeded + failed) over an hour is above this (0–1)."
  type        = number
  default     = 0.2
  validation {
    condition     = var.failure_rate_alert_threshold > 0 && var.failure_rate_alert_threshold < 1
    error_message = "failure_rate_alert_threshold must be between 0 and 1."
  }
}

variable "failure_rate_min_jobs" {
  description = "The failure-rate alert waits for this many jobs of a type to end within the hour."
  type        = number
  default     = 10
}

variable "s3_stores" {
  description = "S3-compatible stores outputs may be in (VERITY_S3_STORES): bucket → {region, endpoint?, force_path_style?}. Each gets two Secret Manager secrets, verity-s3-<bucket>-key-id and verity-s3-<bucket>-secret (add their values with gcloud secrets versions add), read by every unit."
  type = map(object({
    region           = string
    endpoint         = optional(string)
    force_path_style = optional(bool, false)
  }))
  default = {}
  validation {
    condition     = alltrue([for b in keys(var.s3_stores) : can(regex("^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$", b))])
    error_message = "s3_stores keys must be S3 bucket names."
  }
}

variable "http_output_hosts" {
  description = "Hosts whose https:// URLs outputs may be (VERITY_HTTP_OUTPUT_HOSTS): host → {headers = {header name → secret env var}}. Each named variable is a Secret Manager secret verity-http-<name> (lower case, '-' for '_'), read by every unit."
  type = map(object({
    headers = optional(map(string), {})
  }))
  default = {}
  validation {
    condition     = alltrue(flatten([for h in values(var.http_output_hosts) : [for v in values(h.headers) : can(regex("^[A-Z][A-Z0-9_]{0,63}$", v))]]))
    error_message = "http_output_hosts header values name environment variables: upper case, digits and '_'."
  }
}

variable "worker_types" {
  description = "Least privilege for workers: type name → {output_prefixes, input_prefixes?}. Each gets its own service account (verity-w-<name>) that may create and replace objects only under its output prefixes, tmp/<name>/ and ckpt/<name>/ of the output buckets (set the job type's tempPrefix and checkpointPrefix there), read only under its input prefixes, and publish its reports — nothing else. Give it to that type's Cloud Run Job (output worker_service_accounts)."
  type = map(object({
    output_prefixes = list(string)
    input_prefixes  = optional(list(string), [])
  }))
  default = {}
  validation {
    condition     = alltrue([for n, t in var.worker_types : can(regex("^[a-z][a-z0-9-]{0,17}$", n)) && length(t.output_prefixes) > 0 && alltrue([for p in concat(t.output_prefixes, t.input_prefixes) : can(regex("^[A-Za-z0-9_.-]+(/[A-Za-z0-9_.-]+)*/$", p))])])
    error_message = "worker_types: names are [a-z][a-z0-9-]{0,17}; each has output prefixes; prefixes are relative folders ending in '/' (no '..', no leading '/')."
  }
}
