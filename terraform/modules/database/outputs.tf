output "instance_name" {
  description = "Name of the Cloud SQL instance."
  value       = google_sql_database_instance.this.name
}

output "connection_name" {
  description = "Instance connection name PROJECT:REGION:INSTANCE: the runtimes' INSTANCE_CONNECTION_NAME."
  value       = google_sql_database_instance.this.connection_name
}

output "private_ip" {
  description = "The instance's private IP address in the PSA range."
  value       = google_sql_database_instance.this.private_ip_address
}

output "database_name" {
  description = "The application database: the runtimes' DB_NAME."
  value       = google_sql_database.this.name
}

output "max_connections" {
  description = "The max_connections flag set on the instance, for the functions module's connection budget."
  value       = var.max_connections
}

output "iam_users" {
  description = "Runtime => database user name (the service-account email less .gserviceaccount.com): each runtime's DB_IAM_USER."
  value       = { for runtime, user in google_sql_user.iam : runtime => user.name }
}

output "monitoring_database_id" {
  description = "PROJECT:INSTANCE, the database_id label Cloud Monitoring puts on the instance's metrics (cloudsql_database resource), for alert filters."
  value       = "${var.project_id}:${google_sql_database_instance.this.name}"
}
