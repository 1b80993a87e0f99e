variable "project_id" {
  type = string
}

variable "region" {
  type    = string
  default = "europe-west1"
}

variable "firestore_location" {
  type    = string
  default = "eur3"
}

variable "auth_audience" {
  description = "Audience of the Google ID tokens the API accepts."
  type        = string
}

variable "admins" {
  type    = list(string)
  default = []
}

variable "allowed_users" {
  description = "Who may call the API: emails (people, service accounts) and domain:<host>."
  type        = list(string)
}

variable "firebase_project" {
  description = "A Firebase project whose Auth users may call the API; null: none."
  type        = string
  default     = null
}

variable "worker_jobs" {
  description = "Full names (projects/P/locations/L/jobs/J) of existing Cloud Run Jobs your job types start."
  type        = list(string)
  default     = []
}

variable "project_job_type" {
  description = "The job type that generates a project's missing artifacts (empty: none)."
  type        = string
  default     = ""
}

variable "worker_image" {
  description = "Image of the example Cloud Run Job worker (null: none)."
  type        = string
  default     = null
}

variable "notification_channels" {
  description = "Alert notification channels, as full names: projects/P/notificationChannels/ID (gcloud beta monitoring channels list)."
  type        = list(string)
  default     = []
}

variable "firestore_database" {
  description = "The Firestore database Verity keeps its state in: (default), or a named one."
  type        = string
  default     = "(default)"
}

variable "collection_prefix" {
  description = "Put before every collection Verity writes, e.g. verity_ (empty: none)."
  type        = string
  default     = ""
}

variable "write_back_projects" {
  description = "Other projects whose imported records Verity writes its status back to (docs/adopt.md)."
  type        = list(string)
  default     = []
}
