# Cloud SQL for PostgreSQL: reachable only on a private IP, only through the Cloud SQL
# connectors, only as IAM identities (no passwords anywhere), with point-in-time recovery.

locals {
  # PITR log retention allowed by edition (Cloud SQL: 1-7 days Enterprise, 1-35 Enterprise Plus).
  max_pitr_days = var.edition == "ENTERPRISE_PLUS" ? 35 : 7

  # Cloud SQL names a service account's database user by its email less the
  # ".gserviceaccount.com" suffix (PostgreSQL's 63-character role-name limit).
  iam_users = { for runtime, email in var.iam_service_accounts : runtime => trimsuffix(email, ".gserviceaccount.com") }
}

# The instance must not be created before private services access is connected (the private
# IP comes out of its range), yet nothing in the instance's arguments refers to the
# connection: this carries the dependency across the module boundary.
resource "terraform_data" "private_services_connection" {
  input = var.private_services_connection
}

resource "google_sql_database_instance" "this" {
  # checkov:skip=CKV2_GCP_13: log_duration=on writes a line for every statement the API and the functions run, a Cloud Logging bill with no audit value; per-query latency comes from Query Insights (insights_config) instead.
  project          = var.project_id
  name             = "${var.name_prefix}-pg"
  region           = var.region
  database_version = var.database_version

  # Terraform-side guard; settings.deletion_protection_enabled below guards every other surface.
  deletion_protection = var.deletion_protection

  settings {
    edition           = var.edition
    tier              = var.tier
    availability_type = var.availability_type
    user_labels       = var.labels

    disk_type             = "PD_SSD"
    disk_size             = var.disk_size_gb
    disk_autoresize       = true
    disk_autoresize_limit = var.disk_autoresize_limit_gb

    deletion_protection_enabled = var.deletion_protection

    # Connections only through the Cloud SQL Auth Proxy or a Cloud SQL connector (the code
    # uses the Python connector): each carries an ephemeral client certificate issued to an
    # identity holding cloudsql.instances.connect.
    connector_enforcement = var.connector_enforcement

    ip_configuration {
      # No public IP at all: the instance is reachable only from the VPC (the functions and
      # Cloud Run come in through the Serverless VPC Access connector).
      ipv4_enabled       = false
      private_network    = var.network_id
      allocated_ip_range = var.allocated_ip_range

      # Require TLS with a trusted client certificate. The connector always presents one (its
      # ephemeral certificate), so this costs the application nothing, and it refuses any
      # client that merely encrypts. Cloud SQL documents that PostgreSQL users authenticating
      # with IAM under this mode must come through the Auth Proxy or a connector, as the code does.
      ssl_mode = "TRUSTED_CLIENT_CERTIFICATE_REQUIRED"
    }

    backup_configuration {
      enabled                        = true
      start_time                     = var.backup_start_time
      location                       = var.backup_location
      point_in_time_recovery_enabled = true
      transaction_log_retention_days = var.pitr_days

      backup_retention_settings {
        retained_backups = var.backup_retention_days
        retention_unit   = "COUNT"
      }
    }

    maintenance_window {
      day          = var.maintenance_day
      hour         = var.maintenance_hour
      update_track = var.maintenance_update_track
    }

    # Query Insights: per-query latency and load without logging statements. Application tags
    # let a slow query be traced to its caller; client addresses add nothing (they are the
    # connector's) and are left out.
    insights_config {
      query_insights_enabled  = true
      query_string_length     = 1024
      record_application_tags = true
      record_client_address   = false
    }

    # Flags, in name order: one stable order, so a diff shows what changed.

    # pgAudit: loads the extension's library. The application's migration (or an operator)
    # still runs CREATE EXTENSION pgaudit once for its event triggers.
    database_flags {
      name  = "cloudsql.enable_pgaudit"
      value = "on"
    }

    # IAM database authentication: the runtimes log in as their service accounts with
    # short-lived OAuth tokens, so no database password exists to leak or rotate.
    database_flags {
      name  = "cloudsql.iam_authentication"
      value = "on"
    }

    # The logging flags below follow the CIS benchmark for Cloud SQL PostgreSQL (checkov
    # CKV_GCP_51-57, 108-111): who connected and when, lock waits, checkpoints, temp-file
    # spills and errors are logged; statement text is not (it would carry tenants' data).
    database_flags {
      name  = "log_checkpoints"
      value = "on"
    }

    database_flags {
      name  = "log_connections"
      value = "on"
    }

    database_flags {
      name  = "log_disconnections"
      value = "on"
    }

    database_flags {
      name  = "log_hostname"
      value = "on"
    }

    database_flags {
      name  = "log_lock_waits"
      value = "on"
    }

    # -1: never log a statement for its duration (its text and bound values could hold PII).
    database_flags {
      name  = "log_min_duration_statement"
      value = "-1"
    }

    database_flags {
      name  = "log_min_error_statement"
      value = "error"
    }

    database_flags {
      name  = "log_min_messages"
      value = "warning"
    }

    # DDL only: schema changes come from migrations and are rare; data statements are not logged.
    database_flags {
      name  = "log_statement"
      value = "ddl"
    }

    # 0: log every temporary file, i.e. every query that spilled past work_mem.
    database_flags {
      name  = "log_temp_files"
      value = "0"
    }

    # Set explicitly because the functions' instance caps are computed against it.
    database_flags {
      name  = "max_connections"
      value = tostring(var.max_connections)
    }

    database_flags {
      name  = "pgaudit.log"
      value = var.pgaudit_log
    }
  }

  lifecycle {
    # Autoresize grows the disk; a plan must not try to shrink it back (the API refuses).
    ignore_changes = [settings[0].disk_size]

    precondition {
      condition     = (var.edition == "ENTERPRISE_PLUS") == can(regex("^db-perf-optimized-N-", var.tier))
      error_message = "tier ${var.tier} does not fit edition ${var.edition}: ENTERPRISE_PLUS takes db-perf-optimized-N-* tiers, ENTERPRISE takes db-custom-*, db-f1-micro or db-g1-small."
    }

    precondition {
      condition     = var.pitr_days <= local.max_pitr_days
      error_message = "pitr_days (${var.pitr_days}) exceeds the ${local.max_pitr_days} days edition ${var.edition} allows."
    }

    precondition {
      condition     = var.backup_retention_days > var.pitr_days
      error_message = "backup_retention_days (${var.backup_retention_days}) must exceed pitr_days (${var.pitr_days}): transaction logs are deleted with the backup they follow, so recovery reaches back only as far as the backups kept."
    }
  }

  depends_on = [terraform_data.private_services_connection]
}

resource "google_sql_database" "this" {
  project  = var.project_id
  instance = google_sql_database_instance.this.name
  name     = var.database_name

  # Renaming database_name must not drop a database full of data; the old one is left in place
  # for an operator to remove on purpose.
  deletion_policy = "ABANDON"
}

resource "google_sql_user" "iam" {
  for_each = local.iam_users

  project  = var.project_id
  instance = google_sql_database_instance.this.name
  name     = each.value
  type     = "CLOUD_IAM_SERVICE_ACCOUNT"

  # PostgreSQL refuses to drop a role that owns objects (the migrating runtime owns the
  # tables); abandoning lets a runtime be removed without a failed apply. With its service
  # account deleted the role can no longer log in.
  deletion_policy = "ABANDON"
}
