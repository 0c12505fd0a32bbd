# One service account per runtime, so each function and service carries only its own
# permissions (a compromised webhook handler cannot read the agent's secrets), and the
# project-level roles each needs.

locals {
  # Account IDs must be 6-30 characters of [a-z0-9-], start with a letter and end with a
  # letter or digit. <name_prefix>-<runtime> (underscores -> hyphens) is used as is when it
  # fits; a longer one keeps its first 25 characters and ends in 4 hex digits of a hash of
  # the whole name, so it stays recognisable, deterministic (no random suffix to churn) and
  # distinct from the ID of any other runtime sharing those 25 characters.
  full_ids = { for r in var.runtimes : r => "${var.name_prefix}-${replace(r, "_", "-")}" }
  account_ids = {
    for r, id in local.full_ids : r => (
      length(id) <= 30 ? id : "${substr(id, 0, 25)}-${substr(sha256(id), 0, 4)}"
    )
  }

  # Known at plan time (unlike the resource's computed email), so that callers can key
  # for_each on the emails (per-secret IAM bindings) on the first apply.
  emails = { for r, id in local.account_ids : r => "${id}@${var.project_id}.iam.gserviceaccount.com" }

  project_bindings = {
    for pair in flatten([
      for runtime, roles in var.project_roles : [for role in distinct(roles) : { runtime = runtime, role = role }]
    ]) : "${pair.runtime} ${pair.role}" => pair
  }
}

resource "google_service_account" "this" {
  for_each = local.account_ids

  project      = var.project_id
  account_id   = each.value
  display_name = "${var.name_prefix} ${each.key}"
  description  = "Runtime identity of Vaultra's ${each.key} (${var.name_prefix}); managed by Terraform."

  lifecycle {
    precondition {
      condition     = can(regex("^[a-z][a-z0-9-]{4,28}[a-z0-9]$", each.value))
      error_message = "Account ID ${each.value} (for runtime ${each.key}) is not 6-30 characters of [a-z0-9-] starting with a letter and ending with a letter or digit: lengthen the runtime name or name_prefix."
    }

    precondition {
      condition     = length(distinct(values(local.account_ids))) == length(local.account_ids)
      error_message = "Two runtimes map to the same account ID (e.g. a_b and a-b): rename one."
    }

    precondition {
      condition     = length(setsubtract(keys(var.project_roles), var.runtimes)) == 0
      error_message = "project_roles names runtimes not in var.runtimes: ${join(", ", setsubtract(keys(var.project_roles), var.runtimes))}."
    }
  }
}

resource "google_project_iam_member" "this" {
  for_each = local.project_bindings

  project = var.project_id
  role    = each.value.role
  member  = "serviceAccount:${google_service_account.this[each.value.runtime].email}"
}
