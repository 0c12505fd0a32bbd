# Secret Manager secrets: the containers only. Values are added out of band
# (`gcloud secrets versions add`), so no secret value ever passes through Terraform's plan or
# state; and each secret is readable by the runtimes that need it, one binding per secret.

locals {
  replica_locations = length(var.replica_locations) > 0 ? distinct(var.replica_locations) : [var.region]

  # One entry per (secret, reader).
  bindings = {
    for pair in flatten([
      for id, emails in var.accessors : [for email in distinct(emails) : { secret = id, email = email }]
    ]) : "${pair.secret} ${pair.email}" => pair
  }
}

resource "google_secret_manager_secret" "this" {
  for_each = var.secrets

  project   = var.project_id
  secret_id = "${var.name_prefix}-${each.key}"

  # Which variable the secret feeds, as a label (label values are lowercase), so a secret can
  # be traced to its consumer from the console or `gcloud secrets list --filter`.
  labels = merge(var.labels, { "env-var" = lower(each.value.env) })

  # What the value must be, where whoever adds the version will see it.
  annotations = {
    description = each.value.description
  }

  # User-managed replication in the runtimes' region rather than automatic: automatic lets
  # Google store the payload in any region, while these keys decrypt tenants' Stripe
  # credentials and are read only in var.region; keeping them there keeps data residency
  # simple to state. Availability follows the region's, as the readers' own does.
  replication {
    user_managed {
      dynamic "replicas" {
        for_each = local.replica_locations
        content {
          location = replicas.value
        }
      }
    }
  }

  lifecycle {
    precondition {
      condition     = length(setsubtract(keys(var.accessors), keys(var.secrets))) == 0
      error_message = "accessors names secrets that var.secrets does not: ${join(", ", setsubtract(keys(var.accessors), keys(var.secrets)))}."
    }
  }
}

# Per secret, not project-wide: a runtime reads exactly the secrets names.json lists for it.
resource "google_secret_manager_secret_iam_member" "accessor" {
  for_each = local.bindings

  project   = var.project_id
  secret_id = google_secret_manager_secret.this[each.value.secret].id
  role      = "roles/secretmanager.secretAccessor"
  member    = "serviceAccount:${each.value.email}"
}
