output "uris" {
  description = "Function name → the run.app URL of the Cloud Run service behind it (service_config.uri): the pubsub module's push_endpoints. An internal-only service admits Pub/Sub push on this URL only."
  value       = { for name, f in google_cloudfunctions2_function.this : name => f.service_config[0].uri }
}

output "service_names" {
  description = "Function name → the short name of the Cloud Run service behind it (the last segment of service_config.service): what a serverless NEG's cloud_run.service, Cloud Run IAM and monitoring's resource.labels.service_name take."
  value       = { for name, f in google_cloudfunctions2_function.this : name => regex("[^/]+$", f.service_config[0].service) }
}

output "service_ids" {
  description = "Function name → the full name of the Cloud Run service behind it, as service_config.service holds it (projects/PROJECT/locations/REGION/services/NAME)."
  value       = { for name, f in google_cloudfunctions2_function.this : name => f.service_config[0].service }
}

output "function_ids" {
  description = "Function name → the function's id (projects/PROJECT/locations/REGION/functions/NAME)."
  value       = { for name, f in google_cloudfunctions2_function.this : name => f.id }
}

output "sizing" {
  description = "Function name → the size deployed (var.sizing over the defaults for its kind): {memory, cpu, timeout_seconds, max_instances, min_instances, concurrency}."
  value       = local.sizing
}

output "peak_database_connections" {
  description = "The connections the functions may hold at their peak (sum of max_instances × db_peak_connections_per_instance), before reserved and other connections."
  value       = local.function_connections
}
