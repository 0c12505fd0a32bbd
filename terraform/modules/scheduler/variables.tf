# --- Common inputs ------------------------------------------------------------------------------

variable "project_id" {
  type        = string
  description = "The Google Cloud project the jobs run in; a Pub/Sub target must be a topic of this same project."

  validation {
    condition     = can(regex("^[a-z][a-z0-9-]{4,28}[a-z0-9]$", var.project_id))
    error_message = "project_id must be a Google Cloud project id: 6-30 characters, lowercase letters, digits and hyphens, starting with a letter."
  }
}

variable "region" {
  type        = string
  description = "The region the jobs live in, e.g. europe-west1 (a region Cloud Scheduler offers)."

  validation {
    condition     = can(regex("^[a-z]+-[a-z]+[0-9]+$", var.region))
    error_message = "region must be a Google Cloud region such as europe-west1."
  }
}

variable "name_prefix" {
  type        = string
  description = "Prefix of every job's name: job daily-refresh becomes NAME_PREFIX-daily-refresh."

  validation {
    condition     = can(regex("^[a-z][a-z0-9-]{1,20}$", var.name_prefix))
    error_message = "name_prefix must match ^[a-z][a-z0-9-]{1,20}$ (e.g. vaultra-prod)."
  }
}

variable "labels" {
  type        = map(string)
  description = "Accepted like every module's; Cloud Scheduler jobs carry no labels, so it is not applied."
  default     = {}
}

# --- names.json ---------------------------------------------------------------------------------

variable "jobs" {
  type = map(object({
    schedule   = string
    time_zone  = string
    topic      = string
    data       = optional(string, "")
    attributes = optional(map(string), {})
  }))
  description = "names.json `scheduler`: job name → {schedule (cron), time_zone (tz database name), topic (a topic NAME, a key of topic_ids), data (the message body, plain text: base64-encoded here), attributes}."

  validation {
    condition     = alltrue([for name, job in var.jobs : can(regex("^[a-z][a-z0-9-]{0,62}$", name))])
    error_message = "Job names must be lowercase letters, digits and hyphens, starting with a letter, at most 63 characters."
  }

  validation {
    # Five cron fields, or Cloud Scheduler's "every N minutes|hours" form.
    condition     = alltrue([for name, job in var.jobs : can(regex("^(\\S+\\s+){4}\\S+$", trimspace(job.schedule))) || can(regex("^every \\d+ (minutes|hours)$", job.schedule))])
    error_message = "Every schedule must be a unix-cron expression of five fields, e.g. \"*/5 * * * *\"."
  }

  validation {
    condition     = alltrue([for name, job in var.jobs : can(regex("^(UTC|Etc/[A-Za-z0-9+-]+|[A-Z][A-Za-z_-]+(/[A-Za-z0-9_+-]+){1,2})$", job.time_zone))])
    error_message = "Every time_zone must be a tz database name, e.g. \"Etc/UTC\" or \"Europe/Paris\"."
  }

  validation {
    # A Pub/Sub message needs a body or at least one attribute.
    condition     = alltrue([for name, job in var.jobs : length(job.data) > 0 || length(job.attributes) > 0])
    error_message = "Every job must publish a non-empty data or at least one attribute."
  }
}

# --- Wiring -------------------------------------------------------------------------------------

variable "topic_ids" {
  type        = map(string)
  description = "Topic name → topic id (projects/PROJECT/topics/NAME): the pubsub module's topic_ids."

  validation {
    condition     = alltrue([for name, id in var.topic_ids : can(regex("^projects/[^/]+/topics/[^/]+$", id))])
    error_message = "Every topic id must be projects/PROJECT/topics/NAME."
  }
}

variable "paused" {
  type        = bool
  description = "Create the jobs paused (e.g. a dev environment that should not tick every five minutes)."
  default     = false
}

# --- Retries of a failed publish (Cloud Scheduler only publishes; Pub/Sub retries deliveries) -----

variable "retry_count" {
  type        = number
  description = "Times Cloud Scheduler retries a job whose publish failed, 0-5."
  default     = 3

  validation {
    condition     = var.retry_count >= 0 && var.retry_count <= 5 && floor(var.retry_count) == var.retry_count
    error_message = "retry_count must be a whole number from 0 to 5."
  }
}

variable "min_backoff_duration" {
  type        = string
  description = "Shortest wait before retrying a failed publish, a duration in seconds such as \"5s\"."
  default     = "5s"

  validation {
    condition     = can(regex("^[0-9]+(\\.[0-9]{1,9})?s$", var.min_backoff_duration))
    error_message = "min_backoff_duration must be a duration in seconds, e.g. \"5s\"."
  }
}

variable "max_backoff_duration" {
  type        = string
  description = "Longest wait before retrying a failed publish, a duration in seconds such as \"60s\"; keep it below the shortest interval between runs."
  default     = "60s"

  validation {
    condition     = can(regex("^[0-9]+(\\.[0-9]{1,9})?s$", var.max_backoff_duration))
    error_message = "max_backoff_duration must be a duration in seconds, e.g. \"60s\"."
  }
}

variable "max_doublings" {
  type        = number
  description = "Times the wait between retries doubles before it grows linearly."
  default     = 3

  validation {
    condition     = var.max_doublings >= 0 && var.max_doublings <= 16 && floor(var.max_doublings) == var.max_doublings
    error_message = "max_doublings must be a whole number from 0 to 16."
  }
}
