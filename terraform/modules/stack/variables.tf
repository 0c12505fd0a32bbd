variable "project_id" {
  type        = string
  description = "The Google Cloud project Vaultra runs in (one project per environment)."
  validation {
    condition     = can(regex("^[a-z][a-z0-9-]{4,28}[a-z0-9]$", var.project_id))
    error_message = "project_id must be a Google Cloud project id: 6–30 lowercase letters, digits and hyphens."
  }
}

variable "region" {
  type        = string
  description = "The region of every regional resource (functions, Cloud Run, Cloud SQL, the connector)."
  validation {
    condition     = can(regex("^[a-z]+-[a-z]+[0-9]$", var.region))
    error_message = "region must be a Google Cloud region such as europe-west1."
  }
}

variable "name_prefix" {
  type        = string
  description = "Prefix of every resource name, e.g. vaultra-prod."
  validation {
    condition     = can(regex("^[a-z][a-z0-9-]{1,20}$", var.name_prefix))
    error_message = "name_prefix must be 2–21 lowercase letters, digits and hyphens, starting with a letter."
  }
}

variable "labels" {
  type        = map(string)
  description = "Labels on every resource that takes them."
  default     = {}
}

variable "domain" {
  type        = string
  description = "The one origin founders reach (dashboard, API, MCP, Stripe webhook), e.g. app.vaultra.example."
  validation {
    condition     = can(regex("^([a-z0-9]([a-z0-9-]*[a-z0-9])?\\.)+[a-z]{2,}$", var.domain))
    error_message = "domain must be a lowercase host name without a scheme or a path."
  }
}

variable "services" {
  type        = list(string)
  description = "The Google APIs the stack uses, enabled by it."
  default = [
    "artifactregistry.googleapis.com", "billingbudgets.googleapis.com", "cloudbuild.googleapis.com",
    "cloudfunctions.googleapis.com", "cloudresourcemanager.googleapis.com", "cloudscheduler.googleapis.com",
    "compute.googleapis.com", "container.googleapis.com", "iam.googleapis.com", "monitoring.googleapis.com",
    "pubsub.googleapis.com", "run.googleapis.com", "secretmanager.googleapis.com",
    "servicenetworking.googleapis.com", "sqladmin.googleapis.com", "storage.googleapis.com",
    "vpcaccess.googleapis.com", "iamcredentials.googleapis.com", "binaryauthorization.googleapis.com",
  ]
}

variable "agent_image" {
  type        = string
  description = "The agent service's image in Artifact Registry, tagged by commit (Cloud Build pushes it)."
  validation {
    condition     = can(regex("^[a-z0-9.-]+-docker\\.pkg\\.dev/.+/.+[:@].+$", var.agent_image)) && !endswith(var.agent_image, ":latest")
    error_message = "agent_image must be an Artifact Registry image with a tag or digest other than latest."
  }
}

variable "function_objects" {
  type        = map(object({ bucket = string, object = string }))
  description = "Each function's staged source zip (bucket and content-addressed object), written by `python -m vaultra_dev.staging --tfvars`."
}

variable "function_sizing" {
  type = map(object({
    memory          = optional(string)
    cpu             = optional(string)
    timeout_seconds = optional(number)
    max_instances   = optional(number)
    min_instances   = optional(number)
    concurrency     = optional(number)
  }))
  description = "Per-function sizing over the functions module's defaults; max_instances counts against the database's connections."
  default     = {}
}

variable "database" {
  type = object({
    tier                 = string
    max_connections      = number
    availability_type    = optional(string, "ZONAL")
    disk_size_gb         = optional(number, 20)
    deletion_protection  = optional(bool, true)
    reserved_connections = optional(number, 10)
  })
  description = "Cloud SQL's size; max_connections is what every instance's pool is sized against."
  validation {
    condition     = var.database.max_connections >= 50 && var.database.reserved_connections >= 3
    error_message = "database.max_connections must be at least 50 and reserved_connections at least 3 (superuser and maintenance)."
  }
}

variable "agent" {
  type = object({
    min_instances = optional(number, 0)
    max_instances = optional(number, 3)
  })
  description = "The agent service's scaling; its instances count against the database's connections too."
  default     = {}
}

variable "enable_ollama" {
  type        = bool
  description = "Run Ollama on a GKE GPU node pool (LLM_PROVIDER=ollama); off, no cluster is made."
  default     = false
}

variable "ollama_model" {
  type        = string
  description = "The Ollama model pulled onto the cluster's volume and used by the chat."
  default     = "llama3.1:8b"
  validation {
    condition     = can(regex("^[a-z0-9][a-z0-9._-]*(:[a-z0-9._-]+)?$", var.ollama_model))
    error_message = "ollama_model must be an Ollama model name such as llama3.1:8b."
  }
}

variable "gke_master_authorized_networks" {
  type        = list(object({ cidr_block = string, display_name = string }))
  description = "Where Terraform (and operators) reach the Ollama cluster's control plane from."
  default     = []
}

variable "llm_provider" {
  type        = string
  description = "The chat's model provider: openai, ollama or offline."
  default     = "openai"
  validation {
    condition     = contains(["openai", "ollama", "offline"], var.llm_provider)
    error_message = "llm_provider must be openai, ollama or offline."
  }
}

variable "openai_model" {
  type        = string
  description = "The OpenAI chat model."
  default     = "gpt-4o-mini"
}

variable "llm_daily_tokens" {
  type        = number
  description = "Tokens each user may spend on the chat per day."
  default     = 200000
  validation {
    condition     = var.llm_daily_tokens >= 0
    error_message = "llm_daily_tokens cannot be negative."
  }
}

variable "retrieval" {
  type        = string
  description = "How the knowledge base is searched: lexical, dense or hybrid."
  default     = "hybrid"
  validation {
    condition     = contains(["lexical", "dense", "hybrid"], var.retrieval)
    error_message = "retrieval must be lexical, dense or hybrid."
  }
}

variable "embeddings" {
  type        = string
  description = "The embedding model of dense retrieval: minilm, openai, ollama or none."
  default     = "minilm"
  validation {
    condition     = contains(["minilm", "openai", "ollama", "none"], var.embeddings)
    error_message = "embeddings must be minilm, openai, ollama or none."
  }
}

variable "mail_from" {
  type        = string
  description = "The sender of Vaultra's mail (verification, resets, invitations, alerts)."
  validation {
    condition     = can(regex("^[^@\\s]+@[^@\\s]+\\.[a-z]{2,}$", var.mail_from))
    error_message = "mail_from must be an email address."
  }
}

variable "stripe_connect_client_id" {
  type        = string
  description = "The platform's Stripe Connect client id (ca_…); empty leaves OAuth off (restricted keys still work)."
  default     = ""
  validation {
    condition     = var.stripe_connect_client_id == "" || can(regex("^ca_[A-Za-z0-9]+$", var.stripe_connect_client_id))
    error_message = "stripe_connect_client_id must be empty or a ca_… client id."
  }
}

variable "waf_mode" {
  type        = string
  description = "Cloud Armor's WAF rules on /api: preview (logged only), enforce or off."
  default     = "preview"
  validation {
    condition     = contains(["preview", "enforce", "off"], var.waf_mode)
    error_message = "waf_mode must be preview, enforce or off."
  }
}

variable "notification_emails" {
  type        = list(string)
  description = "Who the alerts and the budget mail (1–5 addresses)."
}

variable "billing_account" {
  type        = string
  description = "The billing account the budget watches (XXXXXX-XXXXXX-XXXXXX)."
}

variable "monthly_budget" {
  type        = number
  description = "The monthly budget, in the billing account's currency."
}
