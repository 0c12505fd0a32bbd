# Two buckets: reports (private; the API writes the files and hands out short-lived V4 signed
# URLs) and site (the static dashboard, served publicly by the load balancer's backend bucket
# with Cloud CDN).

locals {
  # Bucket names are global across all of Cloud Storage: the project id makes them unique.
  reports_bucket = "${var.project_id}-${var.name_prefix}-reports"
  site_bucket    = "${var.project_id}-${var.name_prefix}-site"

  labels = merge(var.labels, { component = "storage" })

  soft_delete_seconds = var.soft_delete_retention_days * 86400
}

# --- Reports: private ---------------------------------------------------------------------------

resource "google_storage_bucket" "reports" {
  project       = var.project_id
  name          = local.reports_bucket
  location      = upper(var.region)
  storage_class = "STANDARD"
  labels        = local.labels
  force_destroy = var.force_destroy

  # IAM only (no object ACLs), and never public: a report leaves the bucket through a signed URL.
  uniform_bucket_level_access = true
  public_access_prevention    = "enforced"

  # Versioning keeps an overwritten or deleted report for reports_noncurrent_days, against a bug
  # or a mistaken delete.
  versioning {
    enabled = true
  }

  # Reports are regenerated on demand: after the retention they go (and become noncurrent)...
  lifecycle_rule {
    condition {
      age = var.reports_retention_days
    }
    action {
      type = "Delete"
    }
  }

  # ...and noncurrent versions are removed for good a few days later, so deleted data does not
  # linger.
  lifecycle_rule {
    condition {
      days_since_noncurrent_time = var.reports_noncurrent_days
    }
    action {
      type = "Delete"
    }
  }

  # Uploads the API started but never finished cost storage until cleaned up.
  lifecycle_rule {
    condition {
      age = 1
    }
    action {
      type = "AbortIncompleteMultipartUpload"
    }
  }

  soft_delete_policy {
    retention_duration_seconds = local.soft_delete_seconds
  }

  # Usage logs are optional (checkov counts this dynamic block as logging even when it renders
  # nothing); Cloud Audit Logs data-access logs are the record of who read which report.
  dynamic "logging" {
    for_each = var.access_log_bucket == null ? [] : [var.access_log_bucket]
    content {
      log_bucket        = logging.value
      log_object_prefix = local.reports_bucket
    }
  }

  lifecycle {
    precondition {
      condition     = length(local.reports_bucket) <= 63 && length(local.site_bucket) <= 63
      error_message = "<project_id>-<name_prefix>-reports must fit a bucket name's 63 characters: shorten name_prefix."
    }
  }
}

resource "google_storage_bucket_iam_member" "reports_object_users" {
  for_each = toset(var.reports_object_users)

  bucket = google_storage_bucket.reports.name
  role   = "roles/storage.objectUser"
  member = each.value
}

# --- Site: public, behind the load balancer's backend bucket --------------------------------

resource "google_storage_bucket" "site" {
  # checkov:skip=CKV_GCP_114: The dashboard is public static content served through the load balancer's backend bucket (Cloud CDN), which reads only publicly readable objects; public access prevention would block that.
  project       = var.project_id
  name          = local.site_bucket
  location      = var.site_bucket_location
  storage_class = "STANDARD"
  labels        = local.labels
  force_destroy = var.force_destroy

  # Uniform access: readability comes from the one IAM binding below, never per-object ACLs.
  uniform_bucket_level_access = true
  public_access_prevention    = "inherited"

  # The backend bucket serves index.html for "/" and 404.html for a missing object.
  website {
    main_page_suffix = "index.html"
    not_found_page   = "404.html"
  }

  # Versioning lets a bad dashboard deploy be rolled back; only the last few versions are kept.
  versioning {
    enabled = true
  }

  lifecycle_rule {
    condition {
      num_newer_versions = var.site_noncurrent_versions
      with_state         = "ARCHIVED"
    }
    action {
      type = "Delete"
    }
  }

  soft_delete_policy {
    retention_duration_seconds = local.soft_delete_seconds
  }

  # Optional here too; the load balancer's request logs already record every request for it.
  dynamic "logging" {
    for_each = var.access_log_bucket == null ? [] : [var.access_log_bucket]
    content {
      log_bucket        = logging.value
      log_object_prefix = local.site_bucket
    }
  }
}

# A backend bucket serves only objects anyone may read: the built dashboard (HTML, JS, CSS) is
# public by design and holds no data; founders' data comes from the API after authentication.
resource "google_storage_bucket_iam_member" "site_public_read" {
  # checkov:skip=CKV_GCP_28: The site bucket holds only the public static dashboard, served by the load balancer's backend bucket with Cloud CDN, which requires objects readable by allUsers; no private data is stored there.
  bucket = google_storage_bucket.site.name
  role   = "roles/storage.objectViewer"
  member = "allUsers"
}
