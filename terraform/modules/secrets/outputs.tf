output "secret_ids" {
  description = "names.json secret id => the secret's resource ID (projects/PROJECT/secrets/NAME), which Cloud Run's secret_key_ref.secret accepts. Cloud Functions (gen2) secret_environment_variables.secret wants the short name instead: see secret_names."
  value       = { for id, s in google_secret_manager_secret.this : id => s.id }
}

output "secret_names" {
  description = "names.json secret id => the secret's short name (<name_prefix>-<id>): what `gcloud secrets versions add` and Cloud Functions' secret_environment_variables.secret take."
  value       = { for id, s in google_secret_manager_secret.this : id => s.secret_id }
}

output "env_vars" {
  description = "names.json secret id => the environment variable it is read into (from var.secrets), for building secret env blocks."
  value       = { for id, s in var.secrets : id => s.env }
}
