# --- Common inputs --------------------------------------------------------------------------

variable "project_id" {
  type        = string
  description = "The Google Cloud project the buckets belong to; also the first part of their (globally unique) names."

  validation {
    condition     = can(regex("^[a-z][a-z0-9-]{4,28}[a-z0-9]$", var.project_id))
    error_message = "project_id must be a Google Cloud project ID: 6-30 lowercase letters, digits and hyphens, starting with a letter."
  }
}

variable "region" {
  type        = string
  description = "Region of the reports bucket, e.g. europe-west1: the same region as the API that writes it."

  validation {
    condition     = can(regex("^[a-z]+-[a-z]+[0-9]+$", var.region))
    error_message = "region must be a Google Cloud region such as europe-west1."
  }
}

variable "name_prefix" {
  type        = string
  description = "Prefix of resource names, e.g. vaultra-prod: buckets are <project_id>-<name_prefix>-reports and -site."

  validation {
    condition     = can(regex("^[a-z][a-z0-9-]{1,20}$", var.name_prefix))
    error_message = "name_prefix must match ^[a-z][a-z0-9-]{1,20}$."
  }
}

variable "labels" {
  type        = map(string)
  description = "Labels added to both buckets."
  default     = {}

  validation {
    condition = alltrue([
      for k, v in var.labels : can(regex("^[a-z][a-z0-9_-]{0,62}$", k)) && can(regex("^[a-z0-9_-]{0,63}$", v))
    ])
    error_message = "Label keys must match ^[a-z][a-z0-9_-]{0,62}$ and values ^[a-z0-9_-]{0,63}$."
  }
}

# --- The contract -----------------------------------------------------------------------------

variable "reports_retention_days" {
  type        = number
  description = "Days a generated report is kept; older objects are deleted (a founder regenerates one on demand)."
  default     = 90

  validation {
    condition     = var.reports_retention_days >= 1 && var.reports_retention_days <= 3650 && floor(var.reports_retention_days) == var.reports_retention_days
    error_message = "reports_retention_days must be a whole number from 1 to 3650."
  }
}

variable "site_bucket_location" {
  type        = string
  description = "Location of the static site's bucket: a multi-region (EU, US, ASIA), a dual-region (EUR4, NAM4…) or a region. Cloud CDN caches in front of it, so a region is enough for most."
  default     = "EU"

  validation {
    condition     = can(regex("^([A-Z][A-Z0-9]{1,8}|[a-z]+-[a-z]+[0-9]+)$", var.site_bucket_location))
    error_message = "site_bucket_location must be a multi-region or dual-region code (EU, US, EUR4) or a region (europe-west1)."
  }
}

variable "force_destroy" {
  type        = bool
  description = "Let `terraform destroy` delete non-empty buckets (reports included). Keep false outside throwaway environments."
  default     = false
}

# --- Optional additions -------------------------------------------------------------------------

variable "reports_noncurrent_days" {
  type        = number
  description = "Days an overwritten or deleted report version is kept before it is removed for good."
  default     = 7

  validation {
    condition     = var.reports_noncurrent_days >= 1 && var.reports_noncurrent_days <= 365 && floor(var.reports_noncurrent_days) == var.reports_noncurrent_days
    error_message = "reports_noncurrent_days must be a whole number from 1 to 365."
  }
}

variable "soft_delete_retention_days" {
  type        = number
  description = "Days a deleted object stays restorable (Cloud Storage soft delete), on both buckets: 0 turns it off, otherwise 7 to 90."
  default     = 7

  validation {
    condition     = var.soft_delete_retention_days == 0 || (var.soft_delete_retention_days >= 7 && var.soft_delete_retention_days <= 90 && floor(var.soft_delete_retention_days) == var.soft_delete_retention_days)
    error_message = "soft_delete_retention_days must be 0 or a whole number from 7 to 90."
  }
}

variable "site_noncurrent_versions" {
  type        = number
  description = "Earlier versions of each site file kept (for a quick rollback of a dashboard deploy); older ones are deleted."
  default     = 3

  validation {
    condition     = var.site_noncurrent_versions >= 1 && var.site_noncurrent_versions <= 100 && floor(var.site_noncurrent_versions) == var.site_noncurrent_versions
    error_message = "site_noncurrent_versions must be a whole number from 1 to 100."
  }
}

variable "access_log_bucket" {
  type        = string
  description = "Name of an existing bucket to receive usage (access) logs of both buckets, or null for none (Cloud Audit Logs data-access logs are the recommended record of who read what)."
  default     = null

  validation {
    condition     = var.access_log_bucket == null || can(regex("^[a-z0-9][a-z0-9._-]{1,61}[a-z0-9]$", var.access_log_bucket))
    error_message = "access_log_bucket must be a bucket name (3-63 lowercase letters, digits, dots, hyphens, underscores) or null."
  }
}

variable "reports_object_users" {
  type        = list(string)
  description = "Members (serviceAccount:…) that write and read reports, e.g. the api runtime: granted roles/storage.objectUser on the reports bucket only. Signing V4 URLs additionally needs iam.serviceAccounts.signBlob on the signer itself."
  default     = []

  validation {
    condition     = alltrue([for m in var.reports_object_users : can(regex("^serviceAccount:[^@\\s]+@[a-z0-9.-]+$", m))])
    error_message = "reports_object_users must be serviceAccount:EMAIL members."
  }
}
