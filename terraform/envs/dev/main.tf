# Vaultra's development environment: the whole stack, small — every function scaled low enough
# that their pools fit a small Cloud SQL instance, no Ollama cluster (the chat uses OpenAI), and
# nothing protected from deletion, so the environment can be torn down and rebuilt.

provider "google" {
  project = var.project_id
  region  = var.region
  # The budget API bills its calls to a project: this one.
  billing_project       = var.project_id
  user_project_override = true
}

data "google_client_config" "current" {}

# Reaches the Ollama cluster the stack makes when enable_ollama is on (off here: a placeholder
# host that nothing uses).
provider "kubernetes" {
  host                   = module.vaultra.ollama_endpoint == "" ? "https://127.0.0.1" : "https://${module.vaultra.ollama_endpoint}"
  token                  = data.google_client_config.current.access_token
  cluster_ca_certificate = module.vaultra.ollama_ca_certificate == "" ? null : base64decode(module.vaultra.ollama_ca_certificate)
}

module "vaultra" {
  source = "../../modules/stack"

  project_id       = var.project_id
  region           = var.region
  name_prefix      = "vaultra-dev"
  labels           = { environment = "dev", app = "vaultra" }
  domain           = var.domain
  agent_image      = var.agent_image
  function_objects = var.function_objects

  # 220 connections: 12 function instances × 15 + the agent's 15 + 10 reserved = 205.
  database = {
    tier                = "db-custom-1-3840"
    max_connections     = 220
    deletion_protection = false
  }
  function_sizing = merge(
    { api = { max_instances = 2 }, stripe_webhook = { max_instances = 2 } },
    { for name in ["backfill_account", "compute_metrics", "dead_letters", "fetch_settlements", "load_demo_data", "reconcile", "schedule_refresh", "score_business"] : name => { max_instances = 1 } },
  )
  agent = { max_instances = 1 }

  enable_ollama            = false
  llm_provider             = "openai"
  mail_from                = var.mail_from
  stripe_connect_client_id = var.stripe_connect_client_id
  waf_mode                 = "preview"

  notification_emails = var.notification_emails
  billing_account     = var.billing_account
  monthly_budget      = 150
}
