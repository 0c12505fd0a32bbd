variable "project_id" {
  type        = string
  description = "The Google Cloud project the service accounts live in and get their roles on."

  validation {
    condition     = can(regex("^[a-z][a-z0-9-]{4,28}[a-z0-9]$", var.project_id))
    error_message = "project_id must be a project ID: 6-30 lowercase letters, digits or hyphens, starting with a letter."
  }
}

variable "region" {
  type        = string
  description = "Accepted for the common module interface; service accounts are global."

  validation {
    condition     = can(regex("^[a-z]+-[a-z]+[0-9]+$", var.region))
    error_message = "region must be a Google Cloud region such as europe-west1."
  }
}

variable "name_prefix" {
  type        = string
  description = "Prefix of every account ID: <name_prefix>-<runtime>, shortened with a hash when longer than 30 characters."

  validation {
    condition     = can(regex("^[a-z][a-z0-9-]{1,20}$", var.name_prefix))
    error_message = "name_prefix must match ^[a-z][a-z0-9-]{1,20}$."
  }
}

variable "labels" {
  type        = map(string)
  description = "Accepted for the common module interface; service accounts take no labels."
  default     = {}

  validation {
    condition = alltrue([
      for k, v in var.labels : can(regex("^[a-z][a-z0-9_-]{0,62}$", k)) && can(regex("^[a-z0-9_-]{0,63}$", v))
    ])
    error_message = "Label keys must match ^[a-z][a-z0-9_-]{0,62}$ and values ^[a-z0-9_-]{0,63}$."
  }
}

variable "runtimes" {
  type        = list(string)
  description = "One service account per runtime: the names.json functions and services (api, stripe_webhook, agent, ...), plus any other identity the stack needs (e.g. a Pub/Sub push invoker)."

  validation {
    condition     = alltrue([for r in var.runtimes : can(regex("^[a-z][a-z0-9_-]{0,61}[a-z0-9]$", r))])
    error_message = "Runtime names must be lowercase letters, digits, underscores or hyphens, starting with a letter and ending with a letter or digit."
  }

  validation {
    condition     = length(distinct(var.runtimes)) == length(var.runtimes)
    error_message = "runtimes must not repeat a name."
  }
}

variable "project_roles" {
  type        = map(list(string))
  description = "Runtime => project-level roles, e.g. { api = [\"roles/cloudsql.client\", \"roles/cloudsql.instanceUser\", \"roles/pubsub.publisher\"] }. Grant on the resource instead wherever that is possible (a secret, a bucket, a topic); basic, admin and impersonation roles are refused here."
  default     = {}

  validation {
    condition = alltrue(flatten([
      for runtime, roles in var.project_roles : [
        for role in roles : can(regex("^(roles/[a-zA-Z0-9_.]+|projects/[a-z][a-z0-9-]{4,28}[a-z0-9]/roles/[a-zA-Z0-9_.]+)$", role))
      ]
    ]))
    error_message = "project_roles must hold role names: roles/NAME or projects/PROJECT/roles/NAME (a custom role)."
  }

  # Least privilege, decided here because checkov cannot see through for_each: no basic roles
  # (CKV_GCP_117), no admin roles (CKV_GCP_42), no roles that act as or manage other service
  # accounts at project level (CKV_GCP_41, CKV_GCP_49). Grant those on a single resource.
  validation {
    condition = alltrue(flatten([
      for runtime, roles in var.project_roles : [
        for role in roles : !contains(["roles/owner", "roles/editor", "roles/viewer"], role) && !can(regex("(?i)admin", role)) && !can(regex("^roles/iam\\.(serviceAccount|workloadIdentity)", role)) && !can(regex("\\.serviceAgent$", role)) && !contains(["roles/dataflow.developer", "roles/deploymentmanager.editor", "roles/cloudbuild.builds.editor", "roles/cloudbuild.builds.builder", "roles/composer.worker", "roles/backupdr.computeEngineOperator"], role)
      ]
    ]))
    error_message = "project_roles must not grant basic roles (owner, editor, viewer), *Admin roles, roles that act as or manage service accounts (roles/iam.serviceAccount*, roles/iam.workloadIdentity*, service-agent roles, and roles such as roles/cloudbuild.builds.editor that run code as another account) at project level; grant such a role on the one resource that needs it."
  }
}
