output "url" {
  description = "The development origin."
  value       = module.vaultra.url
}

output "ip_address" {
  description = "Point the domain's A record here."
  value       = module.vaultra.ip_address
}

output "database_connection_name" {
  description = "Cloud SQL's connection name, read by the build's migration step."
  value       = module.vaultra.database_connection_name
}

output "site_bucket" {
  description = "Where the build uploads the dashboard."
  value       = module.vaultra.site_bucket
}

output "service_accounts" {
  description = "Each runtime's service account."
  value       = module.vaultra.service_accounts
}

output "secret_ids" {
  description = "The secrets to give values to, once (docs/DEPLOY.md)."
  value       = module.vaultra.secret_ids
}

output "runtime_database_users" {
  description = "The runtimes' database users, granted vaultra_runtime by the build's migration step."
  value       = module.vaultra.runtime_database_users
}

output "database_instance" {
  description = "Cloud SQL's instance name, for backups and point-in-time restores (docs/DEPLOY.md)."
  value       = module.vaultra.database_instance
}
