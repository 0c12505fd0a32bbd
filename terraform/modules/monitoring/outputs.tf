output "alert_policy_ids" {
  description = "Alert policy resource names (projects/P/alertPolicies/ID) by alert: dead_letter_arrived, dead_letter_backlog, function_5xx_ratio, webhook_failures, database_cpu, database_disk. dead_letter_backlog and function_5xx_ratio are absent when their input list is empty."
  value = merge(
    {
      dead_letter_arrived = google_monitoring_alert_policy.dead_letter_arrived.name
      webhook_failures    = google_monitoring_alert_policy.webhook_failures.name
      database_cpu        = google_monitoring_alert_policy.database_cpu.name
      database_disk       = google_monitoring_alert_policy.database_disk.name
    },
    { for p in google_monitoring_alert_policy.dead_letter_backlog : "dead_letter_backlog" => p.name },
    { for p in google_monitoring_alert_policy.function_5xx_ratio : "function_5xx_ratio" => p.name },
  )
}

output "budget_id" {
  description = "The budget's resource name, billingAccounts/ACCOUNT/budgets/ID."
  value       = google_billing_budget.this.id
}

output "notification_channel_ids" {
  description = "Email notification channel ids by address, for other alerts to reuse."
  value       = { for e, c in google_monitoring_notification_channel.email : e => c.id }
}
