variable "project_id" {
  type        = string
  description = "The Google Cloud project that holds the secrets."

  validation {
    condition     = can(regex("^[a-z][a-z0-9-]{4,28}[a-z0-9]$", var.project_id))
    error_message = "project_id must be a project ID: 6-30 lowercase letters, digits or hyphens, starting with a letter."
  }
}

variable "region" {
  type        = string
  description = "The region the secret payloads are replicated to (user-managed replication), e.g. europe-west1: the region of the runtimes that read them."

  validation {
    condition     = can(regex("^[a-z]+-[a-z]+[0-9]+$", var.region))
    error_message = "region must be a Google Cloud region such as europe-west1."
  }
}

variable "name_prefix" {
  type        = string
  description = "Prefix of every secret's name: the secret for names.json id credentials-key is <name_prefix>-credentials-key, so several environments can share a project."

  validation {
    condition     = can(regex("^[a-z][a-z0-9-]{1,20}$", var.name_prefix))
    error_message = "name_prefix must match ^[a-z][a-z0-9-]{1,20}$."
  }
}

variable "labels" {
  type        = map(string)
  description = "Labels put on every secret (an env-var label naming the variable it feeds is added)."
  default     = {}

  validation {
    condition = alltrue([
      for k, v in var.labels : can(regex("^[a-z][a-z0-9_-]{0,62}$", k)) && can(regex("^[a-z0-9_-]{0,63}$", v))
    ])
    error_message = "Label keys must match ^[a-z][a-z0-9_-]{0,62}$ and values ^[a-z0-9_-]{0,63}$."
  }
}

variable "secrets" {
  type = map(object({
    env         = string
    description = string
  }))
  description = "names.json's secrets: secret id => { env, description }, the environment variable the secret is read into and what it holds. Only the containers are made; values are added out of band."

  validation {
    condition = alltrue([
      for id, s in var.secrets : can(regex("^[a-z][a-z0-9-]{0,62}[a-z0-9]$", id)) && can(regex("^[A-Z][A-Z0-9_]*$", s.env))
    ])
    error_message = "Secret ids must be lowercase with hyphens (^[a-z][a-z0-9-]{0,62}[a-z0-9]$) and each env an upper-case environment variable name."
  }
}

variable "accessors" {
  type        = map(list(string))
  description = "Secret id => service-account emails granted roles/secretmanager.secretAccessor on that secret alone. Every id must be a key of var.secrets."
  default     = {}

  validation {
    condition = alltrue(flatten([
      for id, emails in var.accessors : [
        for e in emails : can(regex("^[a-z][a-z0-9-]{4,28}[a-z0-9]@[a-z][a-z0-9-]{4,28}[a-z0-9]\\.iam\\.gserviceaccount\\.com$", e))
      ]
    ]))
    error_message = "accessors must list user-managed service-account emails (NAME@PROJECT.iam.gserviceaccount.com)."
  }
}

variable "replica_locations" {
  type        = list(string)
  description = "Regions the payloads are replicated to. Empty (the default) means var.region alone; add a second region only if a runtime outside var.region reads the secrets."
  default     = []

  validation {
    condition     = alltrue([for r in var.replica_locations : can(regex("^[a-z]+-[a-z]+[0-9]+$", r))])
    error_message = "replica_locations must be Google Cloud regions such as europe-west1."
  }
}
