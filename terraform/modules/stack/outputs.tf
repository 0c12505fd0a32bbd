output "url" {
  description = "Where founders reach Vaultra: the dashboard, /api/v1, /mcp; Stripe's webhook endpoint is url + /stripe/webhook."
  value       = module.load_balancer.url
}

output "ip_address" {
  description = "The load balancer's address: the domain's A record points here (the certificate waits for it)."
  value       = module.load_balancer.ip_address
}

output "database_connection_name" {
  description = "Cloud SQL's connection name (PROJECT:REGION:INSTANCE), for the build's migration step."
  value       = module.database.connection_name
}

output "database_instance" {
  description = "Cloud SQL's instance name, for backups and point-in-time restores (docs/DEPLOY.md)."
  value       = module.database.instance_name
}

output "reports_bucket" {
  description = "The private bucket of lender reports."
  value       = module.storage.reports_bucket
}

output "site_bucket" {
  description = "The bucket the build uploads the dashboard to."
  value       = module.storage.site_bucket
}

output "registry_url" {
  description = "Where the build pushes the agent image."
  value       = module.registry.repository_url
}

output "service_accounts" {
  description = "Each runtime's service account (the migrations account is the one the build impersonates)."
  value       = module.service_accounts.emails
}

output "secret_ids" {
  description = "The secrets to give a value (`gcloud secrets versions add`), by the id names.json uses."
  value       = module.secrets.secret_ids
}

output "function_uris" {
  description = "Each function's own URL (reachable only through the load balancer or Pub/Sub)."
  value       = module.functions.uris
}

output "ollama_endpoint" {
  description = "The Ollama cluster's control plane, for the environment's kubernetes provider (empty without Ollama)."
  value       = var.enable_ollama ? module.ollama[0].endpoint : ""
  sensitive   = true
}

output "ollama_ca_certificate" {
  description = "The Ollama cluster's CA certificate, base64 (empty without Ollama)."
  value       = var.enable_ollama ? module.ollama[0].ca_certificate : ""
  sensitive   = true
}

output "runtime_database_users" {
  description = "Each runtime's database user (its service account's IAM user); the build's migration grants them the vaultra_runtime role."
  value       = [for name, user in local.db_iam_user : user if name != "migrations"]
}
