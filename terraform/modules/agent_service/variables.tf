# --- Common inputs --------------------------------------------------------------------------

variable "project_id" {
  type        = string
  description = "The Google Cloud project the service runs in."

  validation {
    condition     = can(regex("^[a-z][a-z0-9-]{4,28}[a-z0-9]$", var.project_id))
    error_message = "project_id must be a Google Cloud project ID: 6-30 lowercase letters, digits and hyphens, starting with a letter."
  }
}

variable "region" {
  type        = string
  description = "The Cloud Run region, e.g. europe-west1; the same region as the Serverless VPC Access connector."

  validation {
    condition     = can(regex("^[a-z]+-[a-z]+[0-9]+$", var.region))
    error_message = "region must be a Google Cloud region such as europe-west1."
  }
}

variable "name_prefix" {
  type        = string
  description = "Prefix of every resource name, e.g. vaultra-prod; the service is named <name_prefix>-agent."

  validation {
    condition     = can(regex("^[a-z][a-z0-9-]{1,20}$", var.name_prefix))
    error_message = "name_prefix must match ^[a-z][a-z0-9-]{1,20}$."
  }
}

variable "labels" {
  type        = map(string)
  description = "Labels added to the service (and its revisions)."
  default     = {}

  validation {
    condition = alltrue([
      for k, v in var.labels : can(regex("^[a-z][a-z0-9_-]{0,62}$", k)) && can(regex("^[a-z0-9_-]{0,63}$", v))
    ])
    error_message = "Label keys must match ^[a-z][a-z0-9_-]{0,62}$ and values ^[a-z0-9_-]{0,63}$."
  }
}

# --- The contract -----------------------------------------------------------------------------

variable "image" {
  type        = string
  description = "The agent image (built from agent_service/Dockerfile), by digest (…@sha256:…) or by an immutable tag; never :latest, so a revision always runs what was reviewed."

  validation {
    condition     = can(regex("^[a-z0-9.-]+(:[0-9]+)?/[a-z0-9._/-]+(@sha256:[a-f0-9]{64}|:[A-Za-z0-9._-]{1,128}(@sha256:[a-f0-9]{64})?)$", var.image)) && !can(regex(":latest($|@)", var.image))
    error_message = "image must be REGISTRY/PATH:TAG or REGISTRY/PATH@sha256:DIGEST (e.g. europe-west1-docker.pkg.dev/p/vaultra/agent@sha256:…), and not :latest."
  }
}

variable "service_account" {
  type        = string
  description = "Email of the runtime service account (the service_accounts module's `agent`); never the Compute Engine default account."

  validation {
    condition     = can(regex("^[a-z][a-z0-9-]{4,28}[a-z0-9]@[a-z][a-z0-9-]{4,28}[a-z0-9]\\.iam\\.gserviceaccount\\.com$", var.service_account))
    error_message = "service_account must be a user-managed service account email (NAME@PROJECT.iam.gserviceaccount.com)."
  }
}

variable "env" {
  type        = map(string)
  description = "Plain environment variables, name → value: the names in names.json services.agent.env, with their values for this environment. No secrets here (see `secrets`)."
  default     = {}

  validation {
    condition     = alltrue([for k in keys(var.env) : can(regex("^[A-Z_][A-Z0-9_]*$", k))])
    error_message = "env names must be upper-case identifiers (^[A-Z_][A-Z0-9_]*$)."
  }

  # Cloud Run sets these itself and refuses a revision that sets them.
  validation {
    condition     = length(setintersection(keys(var.env), ["PORT", "K_SERVICE", "K_REVISION", "K_CONFIGURATION"])) == 0
    error_message = "env must not set PORT, K_SERVICE, K_REVISION or K_CONFIGURATION: Cloud Run sets them."
  }
}

variable "secrets" {
  type        = map(string)
  description = "Secret environment variables, env name → Secret Manager secret (its id `projects/P/secrets/S` from the secrets module, or the short name). Always version \"latest\", read when an instance starts."
  default     = {}

  validation {
    condition     = alltrue([for k in keys(var.secrets) : can(regex("^[A-Z_][A-Z0-9_]*$", k))])
    error_message = "secrets keys must be upper-case environment variable names (^[A-Z_][A-Z0-9_]*$)."
  }

  validation {
    condition     = alltrue([for v in values(var.secrets) : can(regex("^(projects/[^/]+/secrets/)?[A-Za-z0-9_-]{1,255}$", v))])
    error_message = "secrets values must be Secret Manager secret ids (projects/P/secrets/S) or secret names."
  }
}

variable "vpc_connector_id" {
  type        = string
  description = "The Serverless VPC Access connector (network module's vpc_connector_id): private ranges only go through it, to Cloud SQL's private IP and Ollama's internal load balancer."

  validation {
    condition     = can(regex("^projects/[^/]+/locations/[^/]+/connectors/[^/]+$", var.vpc_connector_id))
    error_message = "vpc_connector_id must look like projects/P/locations/REGION/connectors/NAME."
  }
}

variable "min_instances" {
  type        = number
  description = "Instances kept warm (0 scales to zero; 1 avoids a cold start on the first MCP call)."
  default     = 0

  validation {
    condition     = var.min_instances >= 0 && var.min_instances <= 100 && floor(var.min_instances) == var.min_instances
    error_message = "min_instances must be a whole number from 0 to 100."
  }
}

variable "max_instances" {
  type        = number
  description = "Upper bound on instances: each opens its own database pool, so this is the agent's share of PostgreSQL's max_connections (see terraform/README.md, Sizing against the database)."
  default     = 3

  validation {
    condition     = var.max_instances >= 1 && var.max_instances <= 100 && floor(var.max_instances) == var.max_instances
    error_message = "max_instances must be a whole number from 1 to 100."
  }
}

variable "memory" {
  type        = string
  description = "Memory limit per instance, e.g. 1Gi (the knowledge base and the MCP server live in memory)."
  default     = "1Gi"

  validation {
    condition     = can(regex("^[0-9]+(Mi|Gi)$", var.memory))
    error_message = "memory must be a quantity such as 512Mi or 2Gi."
  }
}

variable "cpu" {
  type        = string
  description = "vCPUs per instance: 1, 2, 4, 6 or 8 (concurrency above 1 needs at least 1)."
  default     = "1"

  validation {
    condition     = contains(["1", "2", "4", "6", "8"], var.cpu)
    error_message = "cpu must be one of 1, 2, 4, 6, 8."
  }
}

# --- Optional additions -------------------------------------------------------------------------

variable "deletion_protection" {
  type        = bool
  description = "Refuse `terraform destroy` of the service (set false in a throwaway environment)."
  default     = true
}

variable "concurrency" {
  type        = number
  description = "Requests one instance serves at once (the MCP transport is stateless and async)."
  default     = 40

  validation {
    condition     = var.concurrency >= 1 && var.concurrency <= 1000 && floor(var.concurrency) == var.concurrency
    error_message = "concurrency must be a whole number from 1 to 1000."
  }
}

variable "timeout_seconds" {
  type        = number
  description = "Longest a request may take, a streamed MCP answer included."
  default     = 300

  validation {
    condition     = var.timeout_seconds >= 1 && var.timeout_seconds <= 3600 && floor(var.timeout_seconds) == var.timeout_seconds
    error_message = "timeout_seconds must be a whole number from 1 to 3600."
  }
}

variable "cpu_idle" {
  type        = bool
  description = "Bill CPU only while requests are served (true) or always (false, for background work between requests; the agent has none)."
  default     = true
}

variable "public_invoker" {
  type        = bool
  description = "Grant roles/run.invoker to allUsers. Needed behind the external HTTPS load balancer (a serverless NEG carries no Google identity); ingress still admits only the load balancer and internal traffic, and the app checks a bearer token on every MCP request. Set false only where IAP or another authenticating proxy fronts the service."
  default     = true
}
