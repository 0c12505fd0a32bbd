# --- Common inputs ------------------------------------------------------------------------------

variable "project_id" {
  type        = string
  description = "The Google Cloud project the topics and subscriptions live in (one project per environment)."

  validation {
    condition     = can(regex("^[a-z][a-z0-9-]{4,28}[a-z0-9]$", var.project_id))
    error_message = "project_id must be a Google Cloud project id: 6-30 characters, lowercase letters, digits and hyphens, starting with a letter."
  }
}

variable "region" {
  type        = string
  description = "The region the runtimes run in, e.g. europe-west1. Messages are stored only there when restrict_message_storage_to_region is true."

  validation {
    condition     = can(regex("^[a-z]+-[a-z]+[0-9]+$", var.region))
    error_message = "region must be a Google Cloud region such as europe-west1."
  }
}

variable "name_prefix" {
  type        = string
  description = "Prefix of the deployment's resource names, e.g. vaultra-prod. Not applied here: topic and subscription names are the code's own (names.json), because the code publishes to fixed topic names and each environment is its own project."

  validation {
    condition     = can(regex("^[a-z][a-z0-9-]{1,20}$", var.name_prefix))
    error_message = "name_prefix must match ^[a-z][a-z0-9-]{1,20}$ (e.g. vaultra-prod)."
  }
}

variable "labels" {
  type        = map(string)
  description = "Labels put on every topic and subscription."
  default     = {}

  validation {
    condition = alltrue([
      for k, v in var.labels : can(regex("^[a-z][a-z0-9_-]{0,62}$", k)) && can(regex("^[a-z0-9_-]{0,63}$", v))
    ])
    error_message = "Label keys must match ^[a-z][a-z0-9_-]{0,62}$ and values ^[a-z0-9_-]{0,63}$."
  }
}

# --- names.json ---------------------------------------------------------------------------------

variable "topics" {
  type        = map(string)
  description = "names.json `topics`: key → topic name. Each key has a dead-letter topic under the same key in dead_letter_topics."

  validation {
    condition     = length(var.topics) > 0 && alltrue([for k, v in var.topics : can(regex("^[A-Za-z][-A-Za-z0-9_.~+%]{2,254}$", v)) && !startswith(v, "goog")])
    error_message = "Every topic name must be 3-255 characters, start with a letter, use only letters, digits and -_.~+%, and not start with \"goog\"."
  }
}

variable "dead_letter_topics" {
  type        = map(string)
  description = "names.json `dead_letter_topics`: key → dead-letter topic name, keyed like topics (topic K's messages go to dead_letter_topics[K] after max_delivery_attempts)."

  validation {
    condition     = alltrue([for k, v in var.dead_letter_topics : can(regex("^[A-Za-z][-A-Za-z0-9_.~+%]{2,254}$", v)) && !startswith(v, "goog")])
    error_message = "Every dead-letter topic name must be 3-255 characters, start with a letter, use only letters, digits and -_.~+%, and not start with \"goog\"."
  }
}

variable "subscriptions" {
  type = list(object({
    name     = string
    topic    = string
    function = string
  }))
  description = "names.json `subscriptions`: one push subscription per (topic, function), named after the entry, pushing to push_endpoints[function]."

  validation {
    condition     = alltrue([for s in var.subscriptions : can(regex("^[A-Za-z][-A-Za-z0-9_.~+%]{2,254}$", s.name)) && !startswith(s.name, "goog")])
    error_message = "Every subscription name must be 3-255 characters, start with a letter, use only letters, digits and -_.~+%, and not start with \"goog\"."
  }

  validation {
    condition     = length(distinct([for s in var.subscriptions : s.name])) == length(var.subscriptions)
    error_message = "Subscription names must be unique."
  }
}

# --- Push delivery ------------------------------------------------------------------------------

variable "push_endpoints" {
  type        = map(string)
  description = "Function name → the HTTPS URL Pub/Sub pushes to: the functions module's `uris` (the run.app URL of the Cloud Run service behind each function; an internal-only service admits Pub/Sub only on that URL, not on a custom domain)."

  validation {
    condition     = alltrue([for f, url in var.push_endpoints : can(regex("^https://[^/\\s]+(/\\S*)?$", url))])
    error_message = "Every push endpoint must be an https:// URL."
  }
}

variable "push_service_account" {
  type        = string
  description = "Email of the service account Pub/Sub signs each push's OIDC token as; the functions module grants it roles/run.invoker on the event functions. The identity applying Terraform needs iam.serviceAccounts.actAs on it."

  validation {
    condition     = can(regex("^[a-z][a-z0-9-]{4,28}[a-z0-9]@[a-z0-9-]+\\.iam\\.gserviceaccount\\.com$", var.push_service_account))
    error_message = "push_service_account must be a service account email (NAME@PROJECT.iam.gserviceaccount.com)."
  }
}

variable "push_path_names_topic" {
  type        = bool
  description = "Append /projects/PROJECT/topics/TOPIC to each push URL, so functions-framework's conversion of the push body gives the CloudEvent a source naming the topic (vaultra.events.cloudevent reads it). The OIDC audience stays the bare endpoint either way."
  default     = false
}

variable "legacy_pubsub_service_agent" {
  type        = bool
  description = "The project enabled Pub/Sub before 8 April 2021: grant its service agent roles/iam.serviceAccountTokenCreator on push_service_account (only there), which later projects' agents need not be granted to sign the pushes' OIDC tokens."
  default     = false
}

# --- Delivery policy ----------------------------------------------------------------------------

variable "ack_deadline_seconds" {
  type        = number
  description = "How long Pub/Sub waits for a push to be answered before it counts the delivery as failed and retries. Set it no lower than the longest event function's timeout_seconds, or a slow but healthy run is delivered again while it still works."
  default     = 600

  validation {
    condition     = var.ack_deadline_seconds >= 10 && var.ack_deadline_seconds <= 600 && floor(var.ack_deadline_seconds) == var.ack_deadline_seconds
    error_message = "ack_deadline_seconds must be a whole number from 10 to 600."
  }
}

variable "max_delivery_attempts" {
  type        = number
  description = "Deliveries of a message before Pub/Sub moves it to its dead-letter topic."
  default     = 5

  validation {
    condition     = var.max_delivery_attempts >= 5 && var.max_delivery_attempts <= 100 && floor(var.max_delivery_attempts) == var.max_delivery_attempts
    error_message = "max_delivery_attempts must be a whole number from 5 to 100 (Pub/Sub's limits)."
  }
}

variable "minimum_backoff" {
  type        = string
  description = "Shortest wait before a failed delivery is retried (a duration in seconds, e.g. \"10s\"), 0-600s."
  default     = "10s"

  validation {
    condition     = can(regex("^[0-9]+(\\.[0-9]{1,9})?s$", var.minimum_backoff)) && try(tonumber(trimsuffix(var.minimum_backoff, "s")) <= 600, false)
    error_message = "minimum_backoff must be a duration in seconds from 0s to 600s, e.g. \"10s\"."
  }
}

variable "maximum_backoff" {
  type        = string
  description = "Longest wait before a failed delivery is retried (a duration in seconds, e.g. \"600s\"), 0-600s and not below minimum_backoff."
  default     = "600s"

  validation {
    condition     = can(regex("^[0-9]+(\\.[0-9]{1,9})?s$", var.maximum_backoff)) && try(tonumber(trimsuffix(var.maximum_backoff, "s")) <= 600, false)
    error_message = "maximum_backoff must be a duration in seconds from 0s to 600s, e.g. \"600s\"."
  }
}

# --- Storage ------------------------------------------------------------------------------------

variable "topic_message_retention_duration" {
  type        = string
  description = "How long each topic keeps published messages, acknowledged or not, so a subscription can be seeked back to replay them (600s to 2678400s = 31 days)."
  default     = "604800s"

  validation {
    condition     = can(regex("^[0-9]+s$", var.topic_message_retention_duration)) && try(tonumber(trimsuffix(var.topic_message_retention_duration, "s")) >= 600 && tonumber(trimsuffix(var.topic_message_retention_duration, "s")) <= 2678400, false)
    error_message = "topic_message_retention_duration must be whole seconds from 600s to 2678400s (31 days)."
  }
}

variable "subscription_message_retention_duration" {
  type        = string
  description = "How long a subscription keeps an unacknowledged message. On a dead-letter topic's subscription, which has no dead-letter topic of its own, this is how long a letter the dead_letters function keeps failing on survives (600s to 2678400s = 31 days)."
  default     = "604800s"

  validation {
    condition     = can(regex("^[0-9]+s$", var.subscription_message_retention_duration)) && try(tonumber(trimsuffix(var.subscription_message_retention_duration, "s")) >= 600 && tonumber(trimsuffix(var.subscription_message_retention_duration, "s")) <= 2678400, false)
    error_message = "subscription_message_retention_duration must be whole seconds from 600s to 2678400s (31 days)."
  }
}

variable "restrict_message_storage_to_region" {
  type        = bool
  description = "Store messages only in var.region (a message storage policy on every topic); false lets Pub/Sub store them in any region."
  default     = true
}

variable "kms_key_name" {
  type        = string
  description = "Cloud KMS key (projects/P/locations/L/keyRings/R/cryptoKeys/K) encrypting every topic's messages, or null for Google-managed encryption. With a key, the Pub/Sub service agent needs roles/cloudkms.cryptoKeyEncrypterDecrypter on it."
  default     = null

  validation {
    condition     = var.kms_key_name == null || can(regex("^projects/[^/]+/locations/[^/]+/keyRings/[^/]+/cryptoKeys/[^/]+$", var.kms_key_name))
    error_message = "kms_key_name must be null or projects/PROJECT/locations/LOCATION/keyRings/RING/cryptoKeys/KEY."
  }
}
