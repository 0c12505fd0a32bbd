variable "project_id" {
  type        = string
  description = "The Google Cloud project of the repository."

  validation {
    condition     = can(regex("^[a-z][a-z0-9-]{4,28}[a-z0-9]$", var.project_id))
    error_message = "project_id must be a project ID: 6-30 lowercase letters, digits or hyphens, starting with a letter."
  }
}

variable "region" {
  type        = string
  description = "Location of the repository, e.g. europe-west1: the region Cloud Run pulls from, so pulls stay in-region (faster cold starts, no cross-region egress)."

  validation {
    condition     = can(regex("^[a-z]+-[a-z]+[0-9]+$", var.region))
    error_message = "region must be a Google Cloud region such as europe-west1."
  }
}

variable "name_prefix" {
  type        = string
  description = "Prefix of resource names; the default repository ID is <name_prefix>-images."

  validation {
    condition     = can(regex("^[a-z][a-z0-9-]{1,20}$", var.name_prefix))
    error_message = "name_prefix must match ^[a-z][a-z0-9-]{1,20}$."
  }
}

variable "labels" {
  type        = map(string)
  description = "Labels for the repository."
  default     = {}

  validation {
    condition = alltrue([
      for k, v in var.labels : can(regex("^[a-z][a-z0-9_-]{0,62}$", k)) && can(regex("^[a-z0-9_-]{0,63}$", v))
    ])
    error_message = "Label keys must match ^[a-z][a-z0-9_-]{0,62}$ and values ^[a-z0-9_-]{0,63}$."
  }
}

variable "repository_id" {
  type        = string
  description = "ID of the Docker repository (the last part of repository_url). null means <name_prefix>-images."
  default     = null

  validation {
    condition     = var.repository_id == null || can(regex("^[a-z]([a-z0-9-]{0,61}[a-z0-9])?$", var.repository_id))
    error_message = "repository_id must be 1-63 lowercase letters, digits or hyphens, starting with a letter and not ending with a hyphen."
  }
}

variable "keep_recent" {
  type        = number
  description = "Most recent versions of each image kept whatever their age or tags: the rollback window."
  default     = 10

  validation {
    condition     = var.keep_recent >= 1 && var.keep_recent <= 1000 && floor(var.keep_recent) == var.keep_recent
    error_message = "keep_recent must be a whole number between 1 and 1000."
  }
}

variable "untagged_retention_days" {
  type        = number
  description = "Untagged versions (superseded layers of a re-pushed tag, failed pushes) older than this many days are deleted, unless among the keep_recent most recent."
  default     = 30

  validation {
    condition     = var.untagged_retention_days >= 1 && var.untagged_retention_days <= 3650 && floor(var.untagged_retention_days) == var.untagged_retention_days
    error_message = "untagged_retention_days must be a whole number of days between 1 and 3650."
  }
}

variable "tagged_retention_days" {
  type        = number
  description = "If set, tagged versions older than this many days are deleted too (still never the keep_recent most recent). null keeps tagged versions for ever."
  default     = null

  validation {
    condition     = var.tagged_retention_days == null || try(var.tagged_retention_days >= 1 && floor(var.tagged_retention_days) == var.tagged_retention_days, false)
    error_message = "tagged_retention_days must be a whole number of days, 1 or more, or null."
  }
}

variable "immutable_tags" {
  type        = bool
  description = "Refuse to move an existing tag to another image, so a tag a deployment names always means the same bytes. Push each build under a new tag (the commit SHA); set false only if the pipeline re-pushes a moving tag such as latest."
  default     = true
}

variable "kms_key_name" {
  type        = string
  description = "Cloud KMS key (projects/P/locations/L/keyRings/R/cryptoKeys/K) to encrypt the repository with. null uses Google-managed encryption. Can only be set at creation."
  default     = null

  validation {
    condition     = var.kms_key_name == null || can(regex("^projects/[^/]+/locations/[^/]+/keyRings/[^/]+/cryptoKeys/[^/]+$", var.kms_key_name))
    error_message = "kms_key_name must be a full Cloud KMS key name, or null."
  }
}
