output "reports_bucket" {
  description = "Name of the private reports bucket (the API's VAULTRA_REPORTS_BUCKET)."
  value       = google_storage_bucket.reports.name
}

output "site_bucket" {
  description = "Name of the static site's bucket (the load_balancer module's site_bucket, behind its backend bucket)."
  value       = google_storage_bucket.site.name
}

output "reports_bucket_url" {
  description = "gs:// URL of the reports bucket."
  value       = google_storage_bucket.reports.url
}

output "site_bucket_url" {
  description = "gs:// URL of the site bucket, where the dashboard build is uploaded (gcloud storage rsync frontend/dist …)."
  value       = google_storage_bucket.site.url
}
