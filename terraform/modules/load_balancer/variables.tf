# --- Common inputs (terraform/README.md) ---------------------------------------------------------

variable "project_id" {
  type        = string
  description = "The Google Cloud project the load balancer is created in."

  validation {
    condition     = can(regex("^[a-z][a-z0-9-]{4,28}[a-z0-9]$", var.project_id))
    error_message = "project_id must be a project ID: 6-30 lowercase letters, digits or hyphens, starting with a letter."
  }
}

variable "region" {
  type        = string
  description = "Region of the Cloud Run services (the functions and the agent) the serverless NEGs point at, e.g. europe-west1."

  validation {
    condition     = can(regex("^[a-z]+-[a-z]+[0-9]+$", var.region))
    error_message = "region must be a Google Cloud region such as europe-west1."
  }
}

variable "name_prefix" {
  type        = string
  description = "Prefix of every resource name, e.g. vaultra-prod."

  validation {
    condition     = can(regex("^[a-z][a-z0-9-]{1,20}$", var.name_prefix))
    error_message = "name_prefix must match ^[a-z][a-z0-9-]{1,20}$."
  }
}

variable "labels" {
  type        = map(string)
  description = "Labels put on the resources that take labels (the address and the forwarding rules)."
  default     = {}

  validation {
    condition = alltrue([
      for k, v in var.labels : can(regex("^[a-z][a-z0-9_-]{0,62}$", k)) && can(regex("^[a-z0-9_-]{0,63}$", v))
    ])
    error_message = "Label keys must match ^[a-z][a-z0-9_-]{0,62}$ and values ^[a-z0-9_-]{0,63}$."
  }
}

# --- Contract inputs -----------------------------------------------------------------------------

variable "domain" {
  type        = string
  description = "The one public origin (host name only, no scheme, no path), e.g. app.vaultra.example. Its DNS A record must point at the ip_address output for the managed certificate to be issued."

  validation {
    condition = (
      length(var.domain) <= 253 &&
      can(regex("^([a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?\\.)+[a-z]{2,63}$", var.domain))
    )
    error_message = "domain must be a lowercase fully qualified host name such as app.vaultra.example (no scheme, port, path or trailing dot)."
  }
}

variable "site_bucket" {
  type        = string
  description = "Name of the Cloud Storage bucket holding the built dashboard (the storage module's site_bucket output)."

  validation {
    condition     = can(regex("^[a-z0-9][a-z0-9._-]{1,220}[a-z0-9]$", var.site_bucket))
    error_message = "site_bucket must be a Cloud Storage bucket name (lowercase letters, digits, dots, hyphens, underscores)."
  }
}

# The functions module may hand over either a bare Cloud Run service name or its full resource name
# (projects/P/locations/L/services/NAME, as google_cloudfunctions2_function exposes it); both are
# accepted and main.tf keeps the last path segment.
variable "api_service" {
  type        = string
  description = "Cloud Run service behind the `api` Cloud Function (gen2): its name or projects/P/locations/L/services/NAME."

  validation {
    condition     = can(regex("^(projects/[^/]+/locations/[^/]+/services/)?[a-z]([-a-z0-9]{0,61}[a-z0-9])?$", var.api_service))
    error_message = "api_service must be a Cloud Run service name (or its full resource name)."
  }
}

variable "webhook_service" {
  type        = string
  description = "Cloud Run service behind the `stripe_webhook` Cloud Function (gen2): its name or projects/P/locations/L/services/NAME."

  validation {
    condition     = can(regex("^(projects/[^/]+/locations/[^/]+/services/)?[a-z]([-a-z0-9]{0,61}[a-z0-9])?$", var.webhook_service))
    error_message = "webhook_service must be a Cloud Run service name (or its full resource name)."
  }
}

variable "agent_service" {
  type        = string
  description = "Cloud Run service of the MCP agent (the agent_service module's service_name output)."

  validation {
    condition     = can(regex("^(projects/[^/]+/locations/[^/]+/services/)?[a-z]([-a-z0-9]{0,61}[a-z0-9])?$", var.agent_service))
    error_message = "agent_service must be a Cloud Run service name (or its full resource name)."
  }
}

variable "auth_rate_limit_per_minute" {
  type        = number
  description = "Requests per minute one client IP may send to /api/v1/auth/ before Cloud Armor answers 429. The app keeps its own, finer limits per address and per account; this is the outer layer that stops a flood before it costs a function instance and a password hash."
  default     = 30

  validation {
    condition     = var.auth_rate_limit_per_minute >= 1 && var.auth_rate_limit_per_minute <= 10000 && floor(var.auth_rate_limit_per_minute) == var.auth_rate_limit_per_minute
    error_message = "auth_rate_limit_per_minute must be a whole number between 1 and 10000."
  }
}

# --- Optional inputs (additions to the contract) -------------------------------------------------

variable "auth_ban_duration_sec" {
  type        = number
  description = "How long a client IP is banned (every request 429) once it sends more than three times auth_rate_limit_per_minute in a minute to /api/v1/auth/."
  default     = 600

  validation {
    # Kept to the durations Cloud Armor uses for its rate-limit intervals: a set it takes everywhere.
    condition     = contains([60, 120, 180, 240, 300, 600, 900, 1200, 1800, 2700, 3600], var.auth_ban_duration_sec)
    error_message = "auth_ban_duration_sec must be one of 60, 120, 180, 240, 300, 600, 900, 1200, 1800, 2700, 3600."
  }
}

variable "waf_mode" {
  type        = string
  description = "Preconfigured WAF rules (sqli, xss) on the API: \"preview\" logs what they would block without blocking (the default, until the logs show no false positive), \"enforce\" answers 403, \"off\" leaves them out."
  default     = "preview"

  validation {
    condition     = contains(["preview", "enforce", "off"], var.waf_mode)
    error_message = "waf_mode must be one of preview, enforce, off."
  }
}

variable "waf_sensitivity" {
  type        = number
  description = "Sensitivity level of the preconfigured WAF rule sets (1 = fewest false positives, 4 = most signatures)."
  default     = 1

  validation {
    condition     = contains([1, 2, 3, 4], var.waf_sensitivity)
    error_message = "waf_sensitivity must be 1, 2, 3 or 4."
  }
}

variable "mcp_rate_limit_per_minute" {
  type        = number
  description = "Requests per minute one client IP may send to /mcp before Cloud Armor answers 429 (every tool call may spend LLM tokens and database time). 0 turns the rule off."
  default     = 120

  validation {
    condition     = var.mcp_rate_limit_per_minute >= 0 && var.mcp_rate_limit_per_minute <= 10000 && floor(var.mcp_rate_limit_per_minute) == var.mcp_rate_limit_per_minute
    error_message = "mcp_rate_limit_per_minute must be a whole number between 0 and 10000."
  }
}

variable "adaptive_protection" {
  type        = bool
  description = "Cloud Armor Adaptive Protection (Layer 7 DDoS detection) on both security policies."
  default     = true
}

variable "ssl_policy_profile" {
  type        = string
  description = "SSL policy profile of the HTTPS proxy: RESTRICTED (TLS 1.2+, AEAD ECDHE ciphers only) or MODERN (TLS 1.2+, a wider set). The minimum version is TLS 1.2 either way."
  default     = "RESTRICTED"

  validation {
    condition     = contains(["RESTRICTED", "MODERN"], var.ssl_policy_profile)
    error_message = "ssl_policy_profile must be RESTRICTED or MODERN."
  }
}

variable "cdn_negative_ttl_seconds" {
  type        = number
  description = "How long Cloud CDN keeps a 404 or 410 from the site bucket, so a flood of requests for missing paths is answered at the edge."
  default     = 60

  validation {
    condition     = var.cdn_negative_ttl_seconds >= 0 && var.cdn_negative_ttl_seconds <= 1800 && floor(var.cdn_negative_ttl_seconds) == var.cdn_negative_ttl_seconds
    error_message = "cdn_negative_ttl_seconds must be a whole number between 0 and 1800."
  }
}

variable "log_sample_rate" {
  type        = number
  description = "Fraction of requests the backend services log (1.0 = every request)."
  default     = 1.0

  validation {
    condition     = var.log_sample_rate >= 0 && var.log_sample_rate <= 1
    error_message = "log_sample_rate must be between 0 and 1."
  }
}
