# One Cloud Function (gen2) per entry point in functions/, as names.json lists them. Gen2 functions
# are Cloud Run services: HTTP ones are reached through the external load balancer, event ones only
# by Pub/Sub push subscriptions (the pubsub module), which is why none has an event_trigger: the
# subscription, with its retry and dead-letter policies, is the trigger.

locals {
  # Sizes for functions (or attributes) var.sizing leaves out. One request at a time per instance,
  # so an instance never holds more than the pool's peak, whatever its kind.
  default_sizing = {
    http = {
      memory          = "512Mi"
      cpu             = "1"
      timeout_seconds = 60
      max_instances   = 3
      min_instances   = 0
      concurrency     = 1
    }
    event = {
      memory          = "512Mi"
      cpu             = "1"
      timeout_seconds = 300
      max_instances   = 2
      min_instances   = 0
      concurrency     = 1
    }
  }

  # Spelled out attribute by attribute (an object, not a for-built map) so numbers stay numbers.
  sizing = {
    for name, f in var.functions : name => {
      memory          = coalesce(try(var.sizing[name].memory, null), local.default_sizing[f.kind].memory)
      cpu             = coalesce(try(var.sizing[name].cpu, null), local.default_sizing[f.kind].cpu)
      timeout_seconds = coalesce(try(var.sizing[name].timeout_seconds, null), local.default_sizing[f.kind].timeout_seconds)
      max_instances   = coalesce(try(var.sizing[name].max_instances, null), local.default_sizing[f.kind].max_instances)
      min_instances   = coalesce(try(var.sizing[name].min_instances, null), local.default_sizing[f.kind].min_instances)
      concurrency     = coalesce(try(var.sizing[name].concurrency, null), local.default_sizing[f.kind].concurrency)
    }
  }

  # Service names allow no underscores: backfill_account runs as NAME_PREFIX-backfill-account.
  function_names = { for name, f in var.functions : name => "${var.name_prefix}-${replace(name, "_", "-")}" }

  # Secret Manager ids are projects/PROJECT/secrets/NAME; a function's secret env var wants the
  # bare NAME and the project apart.
  secret_refs = {
    for secret, id in var.secret_ids : secret => {
      project = startswith(id, "projects/") ? split("/", id)[1] : var.project_id
      name    = regex("[^/]+$", id)
    }
  }

  # The settings each function may draw on: the shared ones, then its own.
  settings = { for name, f in var.functions : name => merge(var.env, lookup(var.env_overrides, name, {})) }

  # What each function lacks of the settings, secrets and wiring it needs (all empty when sound).
  missing_env     = { for name, f in var.functions : name => sort(setsubtract(f.env, keys(local.settings[name]))) }
  missing_secrets = { for name, f in var.functions : name => sort(setsubtract(values(f.secrets), keys(var.secret_ids))) }

  # Sizing against the database: every instance of every function at its peak, plus the rest.
  max_instances_total  = sum(concat([0], [for name, s in local.sizing : s.max_instances]))
  function_connections = local.max_instances_total * var.db_peak_connections_per_instance
  peak_connections     = local.function_connections + var.db_reserved_connections + var.other_connections
  connections_fit      = local.peak_connections <= var.db_max_connections
  connections_message = join("", [
    "The functions can open more connections than the database allows: ",
    "${local.max_instances_total} max instances (${join(", ", [for name, s in local.sizing : "${name} ${s.max_instances}"])}) ",
    "× ${var.db_peak_connections_per_instance} peak connections per instance = ${local.function_connections}, ",
    "+ ${var.db_reserved_connections} reserved + ${var.other_connections} other = ${local.peak_connections} ",
    "> max_connections ${var.db_max_connections}. Lower max_instances in var.sizing or raise the database's max_connections.",
  ])

  event_functions = { for name, f in var.functions : name => f if f.kind == "event" }
  http_functions  = { for name, f in var.functions : name => f if f.kind == "http" }
}

# A warning on every plan, even when nothing else changes (a check block never stops a plan; the
# precondition on the functions below does).
check "database_connections" {
  assert {
    condition     = local.connections_fit
    error_message = local.connections_message
  }
}

resource "google_cloudfunctions2_function" "this" {
  for_each = var.functions

  project     = var.project_id
  location    = var.region
  name        = local.function_names[each.key]
  description = "Vaultra ${each.value.kind} function ${each.key} (${each.value.source})"
  labels      = var.labels

  build_config {
    runtime = var.runtime
    # Each functions/<name>/main.py binds the handler to a module-level name equal to the function's.
    entry_point     = each.key
    service_account = var.build_service_account

    source {
      storage_source {
        bucket     = var.sources[each.key].bucket
        object     = var.sources[each.key].object
        generation = var.sources[each.key].generation
      }
    }
  }

  service_config {
    service_account_email = var.service_accounts[each.key]

    available_memory                 = local.sizing[each.key].memory
    available_cpu                    = local.sizing[each.key].cpu
    timeout_seconds                  = local.sizing[each.key].timeout_seconds
    max_instance_count               = local.sizing[each.key].max_instances
    min_instance_count               = local.sizing[each.key].min_instances
    max_instance_request_concurrency = local.sizing[each.key].concurrency

    # The database (private IP) and Ollama are in the VPC; Google APIs, Stripe and OpenAI are
    # reached directly, not through the connector.
    vpc_connector                 = var.vpc_connector_id
    vpc_connector_egress_settings = "PRIVATE_RANGES_ONLY"

    # http: only the load balancer (and the VPC) reach it, so Cloud Armor cannot be bypassed via
    # the run.app URL. event: only internal sources; Cloud Run counts Pub/Sub push from the same
    # project to the run.app URL as internal.
    ingress_settings               = each.value.kind == "http" ? "ALLOW_INTERNAL_AND_GCLB" : "ALLOW_INTERNAL_ONLY"
    all_traffic_on_latest_revision = true

    # Exactly the settings the function reads, no more (none of another runtime's values).
    environment_variables = { for setting in each.value.env : setting => lookup(local.settings[each.key], setting, "") }

    # Resolved when an instance starts: a rotated secret reaches new instances, not running ones.
    dynamic "secret_environment_variables" {
      for_each = each.value.secrets
      content {
        key        = secret_environment_variables.key
        project_id = local.secret_refs[secret_environment_variables.value].project
        secret     = local.secret_refs[secret_environment_variables.value].name
        version    = "latest"
      }
    }
  }

  lifecycle {
    precondition {
      condition     = length(local.missing_env[each.key]) == 0
      error_message = "Function ${each.key} reads ${join(", ", local.missing_env[each.key])}, which neither var.env nor var.env_overrides[\"${each.key}\"] sets: every variable a runtime reads must be set (it refuses to start otherwise)."
    }
    precondition {
      condition     = length(setsubtract(keys(var.env_overrides), keys(var.functions))) == 0
      error_message = "env_overrides names functions that do not exist: ${join(", ", sort(setsubtract(keys(var.env_overrides), keys(var.functions))))}."
    }
    precondition {
      condition     = length(local.missing_secrets[each.key]) == 0
      error_message = "Function ${each.key} reads the secrets ${join(", ", local.missing_secrets[each.key])}, which var.secret_ids does not hold."
    }
    precondition {
      condition     = contains(keys(var.sources), each.key) && contains(keys(var.service_accounts), each.key)
      error_message = "Function ${each.key} needs an entry in var.sources (its deploy zip) and in var.service_accounts (its identity)."
    }
    precondition {
      condition     = length(local.function_names[each.key]) <= 63
      error_message = "Function name ${local.function_names[each.key]} is longer than 63 characters: shorten name_prefix."
    }
    precondition {
      condition     = each.value.kind == "http" || local.sizing[each.key].concurrency == 1
      error_message = "Event function ${each.key} must have concurrency 1: one message at a time per instance, so its pool is sized for one."
    }
    precondition {
      condition     = each.value.kind == "http" || local.sizing[each.key].timeout_seconds <= var.push_ack_deadline_seconds
      error_message = "Event function ${each.key} times out after ${local.sizing[each.key].timeout_seconds} s, later than the push ack deadline of ${var.push_ack_deadline_seconds} s: Pub/Sub would deliver its message again while it still runs."
    }
    precondition {
      condition     = each.value.kind == "http" || var.push_service_account != null
      error_message = "Event function ${each.key} is reached only by Pub/Sub push: set push_service_account so its subscription's OIDC identity can invoke it."
    }
    precondition {
      condition     = local.sizing[each.key].min_instances <= local.sizing[each.key].max_instances
      error_message = "Function ${each.key}: min_instances ${local.sizing[each.key].min_instances} exceeds max_instances ${local.sizing[each.key].max_instances}."
    }
    precondition {
      condition     = local.connections_fit
      error_message = local.connections_message
    }
  }
}

# --- Who may invoke. A gen2 function's invoker role lives on its Cloud Run service
# (roles/run.invoker); cloudfunctions2 IAM does not grant it. The service's short name is the last
# segment of service_config.service (projects/P/locations/R/services/NAME).

resource "google_cloud_run_v2_service_iam_member" "push_invoker" {
  for_each = var.push_service_account == null ? {} : local.event_functions

  project  = var.project_id
  location = var.region
  name     = regex("[^/]+$", google_cloudfunctions2_function.this[each.key].service_config[0].service)
  role     = "roles/run.invoker"
  member   = "serviceAccount:${var.push_service_account}"
}

resource "google_cloud_run_v2_service_iam_member" "public_invoker" {
  # checkov:skip=CKV_GCP_102: public on purpose: the external load balancer's serverless NEG carries no Google credentials (browsers use the API's own tokens, Stripe signs its webhook, both checked in the code), and ingress ALLOW_INTERNAL_AND_GCLB keeps the run.app URL closed to the internet.
  for_each = var.allow_unauthenticated_http ? local.http_functions : {}

  project  = var.project_id
  location = var.region
  name     = regex("[^/]+$", google_cloudfunctions2_function.this[each.key].service_config[0].service)
  role     = "roles/run.invoker"
  member   = "allUsers"
}
