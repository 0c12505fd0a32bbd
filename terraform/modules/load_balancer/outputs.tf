output "ip_address" {
  description = "The load balancer's public IPv4 address: the domain's DNS A record must point here before the managed certificate can be issued."
  value       = google_compute_global_address.this.address
}

output "url" {
  description = "The public origin, https://<domain>: VAULTRA_PUBLIC_URL for the functions and the agent, and the base of the Stripe webhook endpoint (<url>/stripe/webhook)."
  value       = "https://${var.domain}"
}

output "backend_service_names" {
  description = "Backend service names by role (api, webhook, agent), e.g. to chart loadbalancing.googleapis.com/https/request_count by backend_target_name."
  value       = { for k, v in google_compute_backend_service.serverless : k => v.name }
}

output "backend_bucket_name" {
  description = "Name of the backend bucket serving the site through Cloud CDN (for cache invalidation: gcloud compute url-maps invalidate-cdn-cache <url_map_name> --path '/*')."
  value       = google_compute_backend_bucket.site.name
}

output "url_map_name" {
  description = "Name of the HTTPS URL map (the one CDN invalidations are issued against)."
  value       = google_compute_url_map.https.name
}

output "security_policy_names" {
  description = "Cloud Armor policy names: api (on the api backend) and edge (on the agent and webhook backends)."
  value = {
    api  = google_compute_security_policy.api.name
    edge = google_compute_security_policy.edge.name
  }
}

output "https_forwarding_rule_name" {
  description = "Name of the HTTPS forwarding rule (forwarding_rule_name on the https_lb_rule monitored resource)."
  value       = google_compute_global_forwarding_rule.https.name
}

output "managed_cert_name" {
  description = "Name of the Google-managed certificate; `gcloud compute ssl-certificates describe <name> --global` shows whether it is ACTIVE yet."
  value       = google_compute_managed_ssl_certificate.this.name
}
