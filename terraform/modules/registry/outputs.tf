output "repository_url" {
  description = "Docker host and path of the repository, REGION-docker.pkg.dev/PROJECT/REPOSITORY: tag images as <repository_url>/<image>:<tag>."
  value       = "${google_artifact_registry_repository.this.location}-docker.pkg.dev/${var.project_id}/${google_artifact_registry_repository.this.repository_id}"
}

output "repository_id" {
  description = "The repository's ID (its last path segment)."
  value       = google_artifact_registry_repository.this.repository_id
}

output "repository_name" {
  description = "Full resource name projects/PROJECT/locations/REGION/repositories/REPOSITORY, for IAM bindings on the repository."
  value       = google_artifact_registry_repository.this.id
}
