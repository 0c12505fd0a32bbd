# --- Common inputs ------------------------------------------------------------------------------

variable "project_id" {
  type        = string
  description = "The Google Cloud project the functions are deployed in."

  validation {
    condition     = can(regex("^[a-z][a-z0-9-]{4,28}[a-z0-9]$", var.project_id))
    error_message = "project_id must be a Google Cloud project id: 6-30 characters, lowercase letters, digits and hyphens, starting with a letter."
  }
}

variable "region" {
  type        = string
  description = "The region the functions (and the Cloud Run services behind them) run in, e.g. europe-west1: the VPC connector's and the database's region."

  validation {
    condition     = can(regex("^[a-z]+-[a-z]+[0-9]+$", var.region))
    error_message = "region must be a Google Cloud region such as europe-west1."
  }
}

variable "name_prefix" {
  type        = string
  description = "Prefix of every function's name: function api becomes NAME_PREFIX-api, backfill_account NAME_PREFIX-backfill-account."

  validation {
    condition     = can(regex("^[a-z][a-z0-9-]{1,20}$", var.name_prefix))
    error_message = "name_prefix must match ^[a-z][a-z0-9-]{1,20}$ (e.g. vaultra-prod)."
  }
}

variable "labels" {
  type        = map(string)
  description = "Labels put on every function."
  default     = {}

  validation {
    condition = alltrue([
      for k, v in var.labels : can(regex("^[a-z][a-z0-9_-]{0,62}$", k)) && can(regex("^[a-z0-9_-]{0,63}$", v))
    ])
    error_message = "Label keys must match ^[a-z][a-z0-9_-]{0,62}$ and values ^[a-z0-9_-]{0,63}$."
  }
}

# --- names.json ---------------------------------------------------------------------------------

variable "functions" {
  type = map(object({
    kind    = string
    source  = string
    env     = list(string)
    secrets = map(string)
    topics  = optional(list(string), [])
  }))
  description = "names.json `functions`: name → {kind (http | event), source, env (the plain settings it reads), secrets (ENV → secret name), topics}. Other attributes (needs) are accepted and ignored."

  validation {
    condition     = length(var.functions) > 0 && alltrue([for name, f in var.functions : contains(["http", "event"], f.kind)])
    error_message = "Every function's kind must be \"http\" or \"event\"."
  }

  validation {
    condition     = alltrue([for name, f in var.functions : can(regex("^[a-z][a-z0-9_]*[a-z0-9]$", name))])
    error_message = "Function names must be lowercase letters, digits and underscores, starting with a letter (each becomes a Cloud Run service name with _ → -)."
  }

  validation {
    condition = alltrue(flatten([
      for name, f in var.functions : [for e in concat(f.env, keys(f.secrets)) : can(regex("^[A-Z_][A-Z0-9_]*$", e))]
    ]))
    error_message = "Every environment variable name (env and secrets keys) must match ^[A-Z_][A-Z0-9_]*$."
  }

  validation {
    condition     = alltrue([for name, f in var.functions : length(setintersection(toset(f.env), toset(keys(f.secrets)))) == 0])
    error_message = "A variable cannot be both a plain setting (env) and a secret of the same function."
  }
}

# --- Wiring from the other modules --------------------------------------------------------------

variable "sources" {
  type = map(object({
    bucket     = string
    object     = string
    generation = optional(number)
  }))
  description = "Function name → the zip of its deploy source in Cloud Storage ({bucket, object, optional generation}); main.py and requirements.txt at the zip's root."

  validation {
    condition     = alltrue([for name, s in var.sources : can(regex("^[a-z0-9][a-z0-9._-]{1,220}[a-z0-9]$", s.bucket)) && length(s.object) > 0])
    error_message = "Every source needs a valid bucket name and a non-empty object name."
  }
}

variable "service_accounts" {
  type        = map(string)
  description = "Function name → email of the service account it runs as (the service_accounts module's emails)."

  validation {
    condition     = alltrue([for name, email in var.service_accounts : can(regex("^[a-z][a-z0-9-]{4,28}[a-z0-9]@[a-z0-9-]+\\.iam\\.gserviceaccount\\.com$", email))])
    error_message = "Every service account must be an email NAME@PROJECT.iam.gserviceaccount.com."
  }
}

variable "env" {
  type        = map(string)
  description = "Environment variable → value: the plain settings shared by the functions. Every name a function's env list holds must be here or in env_overrides for that function; a runtime refuses to start without the settings it reads. A function gets only the names its env list holds."
}

variable "env_overrides" {
  type        = map(map(string))
  description = "Function name → {variable → value} set for that function only, over var.env: the per-runtime settings, above all DB_IAM_USER (each function logs in to the database as its own service account's IAM user, the database module's iam_users[name])."
  default     = {}

  validation {
    condition     = alltrue(flatten([for name, vars in var.env_overrides : [for e in keys(vars) : can(regex("^[A-Z_][A-Z0-9_]*$", e))]]))
    error_message = "Every overridden variable name must match ^[A-Z_][A-Z0-9_]*$."
  }
}

variable "secret_ids" {
  type        = map(string)
  description = "Secret name (names.json `secrets` key) → its Secret Manager id (projects/PROJECT/secrets/NAME, the secrets module's secret_ids) or bare name. Each function reads the latest version of its secrets as environment variables; its service account needs secretAccessor on them (the secrets module's accessors)."

  validation {
    condition     = alltrue([for name, id in var.secret_ids : can(regex("^(projects/[^/]+/secrets/)?[A-Za-z0-9_-]{1,255}$", id))])
    error_message = "Every secret id must be projects/PROJECT/secrets/NAME or a bare secret name."
  }
}

variable "vpc_connector_id" {
  type        = string
  description = "The Serverless VPC Access connector (projects/P/locations/R/connectors/NAME, the network module's vpc_connector_id) the functions reach the database's private IP and Ollama through."

  validation {
    condition     = can(regex("^projects/[^/]+/locations/[^/]+/connectors/[^/]+$", var.vpc_connector_id))
    error_message = "vpc_connector_id must be projects/PROJECT/locations/REGION/connectors/NAME."
  }
}

variable "push_service_account" {
  type        = string
  description = "Email of the account Pub/Sub's push subscriptions sign their OIDC tokens as (the pubsub module's push_service_account): granted roles/run.invoker on every event function. Required when any function is of kind event."
  default     = null

  validation {
    condition     = var.push_service_account == null || can(regex("^[a-z][a-z0-9-]{4,28}[a-z0-9]@[a-z0-9-]+\\.iam\\.gserviceaccount\\.com$", var.push_service_account))
    error_message = "push_service_account must be null or a service account email (NAME@PROJECT.iam.gserviceaccount.com)."
  }
}

variable "allow_unauthenticated_http" {
  type        = bool
  description = "Grant roles/run.invoker to allUsers on the http functions. The external load balancer's serverless NEG forwards requests without Google credentials (browsers hold the API's own tokens, Stripe signs its webhook), so without it every request through the load balancer is refused; ingress ALLOW_INTERNAL_AND_GCLB still keeps the internet off the run.app URL. Set false only when IAP (or another authenticating proxy) fronts them."
  default     = true
}

# --- Sizing -------------------------------------------------------------------------------------

variable "sizing" {
  type = map(object({
    memory          = optional(string)
    cpu             = optional(string)
    timeout_seconds = optional(number)
    max_instances   = optional(number)
    min_instances   = optional(number)
    concurrency     = optional(number)
  }))
  description = "Function name → its size; any attribute left out (or a function left out) takes the default for its kind (http: 512Mi, 1 vCPU, 60 s, 0-3 instances; event: 512Mi, 1 vCPU, 300 s, 0-2 instances; concurrency 1). memory like \"512Mi\"/\"1Gi\"; cpu like \"1\", \"2\" or a fraction such as \"0.583\"."
  default     = {}

  validation {
    condition     = alltrue([for name, s in var.sizing : s.memory == null || can(regex("^[1-9][0-9]*(k|M|G|Mi|Gi)$", s.memory))])
    error_message = "memory must be a quantity with a unit, e.g. \"256Mi\", \"512Mi\", \"1Gi\" (units k, M, G, Mi, Gi)."
  }

  validation {
    condition     = alltrue([for name, s in var.sizing : s.cpu == null || (can(regex("^[0-9]+(\\.[0-9]+)?$", s.cpu)) && try(tonumber(s.cpu) >= 0.083 && tonumber(s.cpu) <= 8, false))])
    error_message = "cpu must be a number of vCPUs from 0.083 to 8, e.g. \"1\" or \"0.583\"."
  }

  validation {
    condition     = alltrue([for name, s in var.sizing : s.timeout_seconds == null || try(s.timeout_seconds >= 1 && s.timeout_seconds <= 3600 && floor(s.timeout_seconds) == s.timeout_seconds, false)])
    error_message = "timeout_seconds must be a whole number from 1 to 3600."
  }

  validation {
    condition     = alltrue([for name, s in var.sizing : s.max_instances == null || try(s.max_instances >= 1 && s.max_instances <= 1000 && floor(s.max_instances) == s.max_instances, false)])
    error_message = "max_instances must be a whole number from 1 to 1000."
  }

  validation {
    condition     = alltrue([for name, s in var.sizing : s.min_instances == null || try(s.min_instances >= 0 && floor(s.min_instances) == s.min_instances && (s.max_instances == null || s.min_instances <= s.max_instances), false)])
    error_message = "min_instances must be a whole number from 0 up to max_instances."
  }

  validation {
    condition     = alltrue([for name, s in var.sizing : s.concurrency == null || try(s.concurrency >= 1 && s.concurrency <= 1000 && floor(s.concurrency) == s.concurrency, false)])
    error_message = "concurrency must be a whole number from 1 to 1000."
  }

  validation {
    # Cloud Run serves more than one request at a time per instance only with a whole vCPU or more
    # (a cpu left out takes the default, "1").
    condition     = alltrue([for name, s in var.sizing : s.concurrency == null || s.concurrency == 1 || s.cpu == null || try(tonumber(s.cpu) >= 1, false)])
    error_message = "concurrency above 1 needs cpu of at least \"1\"."
  }
}

variable "push_ack_deadline_seconds" {
  type        = number
  description = "The push subscriptions' ack deadline (the pubsub module's ack_deadline_seconds): no event function may time out later than it, or Pub/Sub delivers a message again while its first run still works."
  default     = 600

  validation {
    condition     = var.push_ack_deadline_seconds >= 10 && var.push_ack_deadline_seconds <= 600
    error_message = "push_ack_deadline_seconds must be from 10 to 600 (Pub/Sub's limits)."
  }
}

# --- The database's connections -----------------------------------------------------------------

variable "db_max_connections" {
  type        = number
  description = "The database's max_connections (the database module's max_connections output)."

  validation {
    condition     = var.db_max_connections >= 14 && floor(var.db_max_connections) == var.db_max_connections
    error_message = "db_max_connections must be a whole number of at least 14 (Cloud SQL's minimum)."
  }
}

variable "db_peak_connections_per_instance" {
  type        = number
  description = "Connections one instance may hold at its peak: names.json database.peak_connections_per_instance (the pool plus its overflow)."

  validation {
    condition     = var.db_peak_connections_per_instance >= 1 && floor(var.db_peak_connections_per_instance) == var.db_peak_connections_per_instance
    error_message = "db_peak_connections_per_instance must be a whole number of at least 1."
  }
}

variable "db_reserved_connections" {
  type        = number
  description = "Connections kept free for everything else that logs in: maintenance, migrations, the superuser, Cloud SQL's own agents."
  default     = 10

  validation {
    condition     = var.db_reserved_connections >= 0 && floor(var.db_reserved_connections) == var.db_reserved_connections
    error_message = "db_reserved_connections must be a whole number, 0 or more."
  }
}

variable "other_connections" {
  type        = number
  description = "Connections other runtimes may hold at their peak: the agent service's max_instances × db_peak_connections_per_instance."
  default     = 0

  validation {
    condition     = var.other_connections >= 0 && floor(var.other_connections) == var.other_connections
    error_message = "other_connections must be a whole number, 0 or more."
  }
}

# --- Build --------------------------------------------------------------------------------------

variable "runtime" {
  type        = string
  description = "The Cloud Functions runtime (the project's Python, pyproject requires-python >= 3.11)."
  default     = "python311"

  validation {
    condition     = can(regex("^python3[0-9]{2}$", var.runtime))
    error_message = "runtime must be a Python runtime such as python311 or python312."
  }
}

variable "build_service_account" {
  type        = string
  description = "Service account Cloud Build builds the functions as (projects/PROJECT/serviceAccounts/EMAIL), or null for the project's default build account. It needs roles/logging.logWriter, roles/storage.objectViewer on the source bucket and roles/artifactregistry.writer."
  default     = null

  validation {
    condition     = var.build_service_account == null || can(regex("^projects/[^/]+/serviceAccounts/[^@]+@[a-z0-9.-]+$", var.build_service_account))
    error_message = "build_service_account must be null or projects/PROJECT/serviceAccounts/EMAIL."
  }
}
