# Built from the account IDs (so they are known at plan time) while iterating over the
# resources (so whatever uses them waits until the accounts exist).

output "emails" {
  description = "Runtime => service-account email."
  value       = { for r, _ in google_service_account.this : r => local.emails[r] }
}

output "members" {
  description = "Runtime => IAM member string serviceAccount:EMAIL, for IAM bindings."
  value       = { for r, _ in google_service_account.this : r => "serviceAccount:${local.emails[r]}" }
}

output "account_ids" {
  description = "Runtime => account ID (the part of the email before @)."
  value       = { for r, _ in google_service_account.this : r => local.account_ids[r] }
}

output "names" {
  description = "Runtime => full resource name projects/PROJECT/serviceAccounts/EMAIL, what google_service_account_iam_* takes as service_account_id."
  value       = { for r, _ in google_service_account.this : r => "projects/${var.project_id}/serviceAccounts/${local.emails[r]}" }
}
