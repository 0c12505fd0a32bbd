output "cluster_name" {
  description = "Name of the GKE cluster running Ollama."
  value       = google_container_cluster.ollama.name
}

output "internal_url" {
  description = "Ollama's base URL inside the VPC, http://<internal load balancer IP>:11434 (OLLAMA_BASE_URL of the runtimes that reach it through the Serverless VPC Access connector)."
  value       = "http://${kubernetes_service_v1.ollama.status[0].load_balancer[0].ingress[0].ip}:${local.port}"
}

output "endpoint" {
  description = "The control plane's endpoint (an IP address, without scheme), for the environment's kubernetes provider: host = \"https://<endpoint>\"."
  value       = google_container_cluster.ollama.endpoint
  sensitive   = true
}

output "ca_certificate" {
  description = "The cluster's CA certificate, base64-encoded as GKE returns it: cluster_ca_certificate = base64decode(<ca_certificate>)."
  value       = google_container_cluster.ollama.master_auth[0].cluster_ca_certificate
  sensitive   = true
}

output "location" {
  description = "The zone of the cluster, its GPU nodes and the model's disk."
  value       = google_container_cluster.ollama.location
}

output "internal_ip" {
  description = "The reserved internal address of Ollama's load balancer."
  value       = google_compute_address.ollama.address
}

output "model" {
  description = "The model pulled onto the volume and served (the runtimes' OLLAMA_MODEL)."
  value       = var.model
}

output "node_service_account" {
  description = "Email of the GPU nodes' least-privilege service account."
  value       = google_service_account.nodes.email
}

output "namespace" {
  description = "The Kubernetes namespace of the Ollama objects."
  value       = kubernetes_namespace_v1.ollama.metadata[0].name
}
