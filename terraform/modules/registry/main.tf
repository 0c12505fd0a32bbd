# The Docker repository for the agent service's image, with a cleanup policy so that a push
# per commit does not grow storage (and its bill) without end.

locals {
  repository_id = coalesce(var.repository_id, "${var.name_prefix}-images")
}

resource "google_artifact_registry_repository" "this" {
  # checkov:skip=CKV_GCP_84: Images hold code, not customer data or secrets (those are in Cloud SQL and Secret Manager); Google-managed encryption at rest is kept unless kms_key_name is given, which this module supports, rather than run a KMS key for them by default.
  project       = var.project_id
  location      = var.region
  repository_id = local.repository_id
  description   = "Vaultra container images (${var.name_prefix})."
  format        = "DOCKER"
  labels        = var.labels
  kms_key_name  = var.kms_key_name

  docker_config {
    immutable_tags = var.immutable_tags
  }

  # Policies are applied, not only reported.
  cleanup_policy_dry_run = false

  # KEEP wins over DELETE: the newest keep_recent versions of each image survive every
  # deletion rule below, so a rollback target is always there.
  cleanup_policies {
    id     = "keep-recent"
    action = "KEEP"

    most_recent_versions {
      keep_count = var.keep_recent
    }
  }

  cleanup_policies {
    id     = "delete-untagged"
    action = "DELETE"

    condition {
      tag_state  = "UNTAGGED"
      older_than = "${var.untagged_retention_days * 86400}s"
    }
  }

  dynamic "cleanup_policies" {
    for_each = var.tagged_retention_days == null ? [] : [var.tagged_retention_days]
    content {
      id     = "delete-old-tagged"
      action = "DELETE"

      condition {
        tag_state  = "TAGGED"
        older_than = "${cleanup_policies.value * 86400}s"
      }
    }
  }
}
