output "job_names" {
  description = "Job key (names.json `scheduler` key) → the Cloud Scheduler job's name (NAME_PREFIX-KEY)."
  value       = { for key, job in google_cloud_scheduler_job.this : key => job.name }
}

output "job_ids" {
  description = "Job key → the job's id (projects/PROJECT/locations/REGION/jobs/NAME), e.g. for `gcloud scheduler jobs run`."
  value       = { for key, job in google_cloud_scheduler_job.this : key => job.id }
}
