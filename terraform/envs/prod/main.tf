# Vaultra in production: the whole stack at its full size — a regional (high-availability) Cloud
# SQL instance sized for every function at its default maximum, the Ollama cluster for
# self-hosted chat, deletion protection on, the WAF enforcing.

provider "google" {
  project = var.project_id
  region  = var.region
  # The budget API bills its calls to a project: this one.
  billing_project       = var.project_id
  user_project_override = true
}

data "google_client_config" "current" {}

# Reaches the Ollama cluster the stack makes when enable_ollama is on (without it, a placeholder
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
  name_prefix      = "vaultra-prod"
  labels           = { environment = "prod", app = "vaultra" }
  domain           = var.domain
  agent_image      = var.agent_image
  function_objects = var.function_objects

  # 600 connections: the functions at their default maximum (11 × 2 = 22 instances × 15 = 330),
  # the agent's 3 × 15 = 45 and 10 reserved leave room to scale the API up without a resize.
  database = {
    tier                = "db-custom-4-15360"
    max_connections     = 600
    availability_type   = "REGIONAL"
    disk_size_gb        = 50
    deletion_protection = true
  }
  function_sizing = { api = { min_instances = 1 }, stripe_webhook = { min_instances = 1 } }
  agent           = { min_instances = 1, max_instances = 3 }

  enable_ollama                  = var.enable_ollama
  ollama_model                   = var.ollama_model
  gke_master_authorized_networks = var.gke_master_authorized_networks
  llm_provider                   = var.enable_ollama ? "ollama" : "openai"
  mail_from                      = var.mail_from
  stripe_connect_client_id       = var.stripe_connect_client_id
  waf_mode                       = "enforce"

  notification_emails = var.notification_emails
  billing_account     = var.billing_account
  monthly_budget      = var.monthly_budget
}
