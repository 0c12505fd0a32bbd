output "network_id" {
  description = "ID of the VPC (projects/PROJECT/global/networks/NAME): Cloud SQL's private_network and GKE's network take it."
  value       = google_compute_network.this.id
}

output "network_name" {
  description = "Name of the VPC."
  value       = google_compute_network.this.name
}

output "subnet_id" {
  description = "ID of the regional subnet (projects/PROJECT/regions/REGION/subnetworks/NAME), where the Ollama GKE nodes go."
  value       = google_compute_subnetwork.this.id
}

output "vpc_connector_id" {
  description = "ID of the Serverless VPC Access connector (projects/PROJECT/locations/REGION/connectors/NAME), for Cloud Functions' vpc_connector and Cloud Run's vpc_access.connector."
  value       = google_vpc_access_connector.this.id
}

output "private_services_connection" {
  description = "ID of the private services access connection. Pass it to the database module so the Cloud SQL instance is created only once the peering exists."
  value       = google_service_networking_connection.psa.id
}

output "psa_range_name" {
  description = "Name of the reserved private services access range, for a Cloud SQL instance's allocated_ip_range."
  value       = google_compute_global_address.psa.name
}

output "secondary_range_names" {
  description = "Names of the subnet's secondary ranges by the keys of var.secondary_ranges (e.g. for GKE's ip_allocation_policy)."
  value       = { for k, _ in var.secondary_ranges : k => "${var.name_prefix}-${k}" }
}

output "connector_cidr" {
  description = "The connector's /28: the source address range of serverless traffic inside the VPC."
  value       = var.connector_cidr
}
