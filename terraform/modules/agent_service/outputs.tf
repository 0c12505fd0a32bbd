output "service_name" {
  description = "The Cloud Run service's name (the load_balancer module's agent_service, for its serverless NEG)."
  value       = google_cloud_run_v2_service.agent.name
}

output "uri" {
  description = "The service's run.app URL. Ingress admits only internal and load-balancer traffic, so from the internet the agent is reached at the load balancer's /mcp, not here."
  value       = google_cloud_run_v2_service.agent.uri
}

output "service_id" {
  description = "The service's resource id (projects/P/locations/R/services/NAME), to depend on or grant IAM against."
  value       = google_cloud_run_v2_service.agent.id
}

output "location" {
  description = "The region the service runs in (the serverless NEG's region)."
  value       = google_cloud_run_v2_service.agent.location
}

output "max_instances" {
  description = "The instance cap, the agent's share in the database connection budget (instances × pool peak)."
  value       = var.max_instances
}
