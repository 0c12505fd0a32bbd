# Alerts that page a human, and the budget. Each alert's documentation is what on-call reads when
# the mail arrives: what it means, then the first thing to do.

data "google_project" "this" {
  project_id = var.project_id
}

locals {
  # Keep the last path segment: ids and full resource names are accepted as well as bare names.
  dead_letter_subscriptions = distinct([for s in var.dead_letter_subscriptions : reverse(split("/", s))[0]])
  function_services         = { for k, v in var.function_services : k => reverse(split("/", v))[0] }
  webhook_service           = reverse(split("/", var.webhook_service))[0]
  database_id               = "${var.project_id}:${var.database_instance}"

  channel_ids = [for c in google_monitoring_notification_channel.email : c.id]

  dead_letter_backlog_filter = join(" AND ", [
    "resource.type = \"pubsub_subscription\"",
    "metric.type = \"pubsub.googleapis.com/subscription/num_undelivered_messages\"",
    "resource.label.subscription_id = one_of(${join(", ", [for s in local.dead_letter_subscriptions : "\"${s}\""])})",
  ])

  # PromQL selectors over Cloud Run's request count (Cloud Functions gen2 report as Cloud Run).
  # Service names are [a-z0-9-] only (validated), so they are safe inside a regex and quotes.
  run_series      = "monitored_resource=\"cloud_run_revision\",location=\"${var.region}\""
  functions_regex = join("|", sort(distinct(values(local.function_services))))
  functions_all   = "run_googleapis_com:request_count{${local.run_series},service_name=~\"${local.functions_regex}\"}"
  functions_5xx   = "run_googleapis_com:request_count{${local.run_series},service_name=~\"${local.functions_regex}\",response_code_class=\"5xx\"}"
  webhook_failed  = "run_googleapis_com:request_count{${local.run_series},service_name=\"${local.webhook_service}\",response_code_class=~\"4xx|5xx\"}"

  # The budget takes whole units and nanos separately.
  budget_units = floor(var.monthly_budget)
  budget_nanos = floor((var.monthly_budget - floor(var.monthly_budget)) * 1000000000)

  # Thresholds as people read them: 0.02 -> "2", 0.85 -> "85".
  error_ratio_percent = format("%.3g", var.error_ratio_threshold * 100)
  cpu_percent         = format("%.3g", var.database_cpu_threshold * 100)
  disk_percent        = format("%.3g", var.database_disk_threshold * 100)
}

# --- Notification channels -------------------------------------------------------------------------

resource "google_monitoring_notification_channel" "email" {
  for_each = toset(var.notification_emails)

  project      = var.project_id
  display_name = "${var.name_prefix} on-call: ${each.value}"
  description  = "Receives every ${var.name_prefix} alert and the budget notifications."
  type         = "email"
  user_labels  = var.labels

  labels = {
    email_address = each.value
  }
}

# --- (a) Dead letters ------------------------------------------------------------------------------

# Pub/Sub gave up on a message after its delivery attempts: the handler failed every time (a bug, a
# poison message, or an outage longer than the retries). This is the signal that a failure needs a
# human, whatever the dead_letters function does next with the letter.
resource "google_monitoring_alert_policy" "dead_letter_arrived" {
  project      = var.project_id
  display_name = "${var.name_prefix}: a message was dead-lettered"
  combiner     = "OR"
  severity     = "ERROR"
  user_labels  = var.labels

  conditions {
    display_name = "Pub/Sub forwarded a message to a dead-letter topic"

    condition_threshold {
      # Project-wide: every subscription with a dead-letter policy reports here, so a new topic is
      # covered without a change to this module.
      filter          = "resource.type = \"pubsub_subscription\" AND metric.type = \"pubsub.googleapis.com/subscription/dead_letter_message_count\""
      comparison      = "COMPARISON_GT"
      threshold_value = 0
      duration        = "0s"

      aggregations {
        alignment_period     = "60s"
        per_series_aligner   = "ALIGN_DELTA"
        cross_series_reducer = "REDUCE_SUM"
        group_by_fields      = ["resource.label.subscription_id"]
      }

      trigger {
        count = 1
      }
    }
  }

  notification_channels = local.channel_ids

  alert_strategy {
    # The metric only reports while letters arrive; keep the incident open a day so it is read.
    auto_close = "86400s"
  }

  documentation {
    subject   = "${var.name_prefix}: a Pub/Sub message was dead-lettered"
    mime_type = "text/markdown"
    content   = <<-EOT
      **What it means.** Pub/Sub stopped retrying a message from subscription
      `$${resource.label.subscription_id}` after its last delivery attempt failed (5 by default),
      and forwarded it to the topic's `-dead-letter` topic. The function behind that subscription
      raised every time: a bug, a message it cannot decode, or an outage (database, Stripe) longer
      than the retries. The `dead_letters` function records each letter once, by ids, in the
      `dead_letters` table; nothing is replayed automatically.

      **First thing to do.**
      1. See what was lost:
         `SELECT received_at, message_type, source_subscription, delivery_attempts, business_id, error
          FROM dead_letters ORDER BY received_at DESC LIMIT 20;`
      2. Read the failing function's errors for the same minutes (Logs Explorer,
         `resource.type="cloud_run_revision" severity>=ERROR`, service = the function named in the
         subscription, which ends with `-<function>`). A traceback is a bug; `DatabaseUnavailable`
         is an outage — check the database alerts.
      3. Decide per type: a lost "stripe data changed", refresh request or "metrics computed" needs
         nothing — the reconciliation tick (every 5 minutes) finds the business behind and asks
         again. A lost **backfill request** stays lost until someone starts the backfill again; it
         resumes from its checkpoints.
    EOT
  }
}

# The letters themselves wait on the dead-letter subscriptions until the dead_letters function has
# recorded them. A backlog that lasts means that recording is failing, and the failure is not
# visible anywhere else: Pub/Sub keeps the letters for 7 days, then they are gone.
resource "google_monitoring_alert_policy" "dead_letter_backlog" {
  count = length(local.dead_letter_subscriptions) > 0 ? 1 : 0

  project      = var.project_id
  display_name = "${var.name_prefix}: dead letters not recorded for 5 minutes"
  combiner     = "OR"
  severity     = "ERROR"
  user_labels  = var.labels

  conditions {
    display_name = "Undelivered messages > 0 on a dead-letter subscription for 5 minutes"

    condition_threshold {
      filter          = local.dead_letter_backlog_filter
      comparison      = "COMPARISON_GT"
      threshold_value = 0
      duration        = "300s"

      # One series per subscription (no cross-series reducer): the incident names the one stuck.
      aggregations {
        alignment_period   = "60s"
        per_series_aligner = "ALIGN_MAX"
      }

      trigger {
        count = 1
      }
    }
  }

  notification_channels = local.channel_ids

  documentation {
    subject   = "${var.name_prefix}: dead letters waiting on $${resource.label.subscription_id}"
    mime_type = "text/markdown"
    content   = <<-EOT
      **What it means.** Messages have sat on the dead-letter subscription
      `$${resource.label.subscription_id}` for more than 5 minutes. Each one is a message another
      function failed on until Pub/Sub gave up (see the "a message was dead-lettered" alert), and
      the `dead_letters` function, pushed from this subscription, is failing to record it. Pub/Sub
      keeps them for 7 days; after that they are gone without a trace.

      **First thing to do.**
      1. Read the `dead_letters` function's errors (Logs Explorer,
         `resource.type="cloud_run_revision" severity>=ERROR`, the dead_letters service). It only
         needs the database: a `DatabaseUnavailable` means Cloud SQL is down or out of
         connections — check the database alerts and the instance.
      2. Once it records again, the backlog drains by itself (push retries with backoff, up to
         10 minutes between attempts). Then handle the letters as the "dead-lettered" alert says.
    EOT
  }

  lifecycle {
    precondition {
      condition     = length(local.dead_letter_backlog_filter) <= 2048
      error_message = "The dead-letter subscriptions make a monitoring filter longer than 2048 characters; split them across policies."
    }
  }
}

# --- (b) Function 5xx ratio ------------------------------------------------------------------------

# A ratio over every function, per service, in PromQL (MQL conditions are deprecated). The volume
# floor keeps one failure out of three requests from paging anyone.
resource "google_monitoring_alert_policy" "function_5xx_ratio" {
  count = length(local.function_services) > 0 ? 1 : 0

  project      = var.project_id
  display_name = "${var.name_prefix}: function 5xx above ${local.error_ratio_percent}%"
  combiner     = "OR"
  severity     = "ERROR"
  user_labels  = var.labels

  conditions {
    display_name = "5xx / all requests > ${local.error_ratio_percent}% over 5 minutes, per function"

    condition_prometheus_query_language {
      query = join("\n", [
        "(",
        "  sum by (service_name) (rate(${local.functions_5xx}[5m]))",
        "  /",
        "  sum by (service_name) (rate(${local.functions_all}[5m]))",
        ") > ${var.error_ratio_threshold}",
        "and on (service_name)",
        "sum by (service_name) (increase(${local.functions_all}[5m])) >= ${var.error_ratio_min_requests}",
      ])
      duration            = "60s"
      evaluation_interval = "60s"
    }
  }

  notification_channels = local.channel_ids

  alert_strategy {
    auto_close = "1800s"
  }

  documentation {
    subject   = "${var.name_prefix}: a function answers 5xx to more than ${local.error_ratio_percent}% of requests"
    mime_type = "text/markdown"
    content   = <<-EOT
      **What it means.** Over the last 5 minutes more than ${local.error_ratio_percent}% of one
      function's answers were 5xx (with at least ${var.error_ratio_min_requests} requests). The
      incident's `service_name` label names it. For `api` users see errors; for the event functions
      Pub/Sub is retrying and, after the attempts run out, dead-letters; for `stripe_webhook`
      Stripe retries (see the webhook alert).

      **First thing to do.**
      1. Was there a deploy in the last hour? A new revision failing is the first suspect: roll
         back by sending traffic to the previous revision of that service.
      2. Read its errors: Logs Explorer, `resource.type="cloud_run_revision"
         resource.labels.service_name="<service_name>" severity>=ERROR`.
      3. `DatabaseUnavailable` or connection errors everywhere at once → the database (CPU,
         connections, maintenance). 503s with no application log → instances at `max_instances`
         or failing to start (memory, a missing secret version): check the revision's metrics.
    EOT
  }
}

# --- (c) Stripe webhook failures -------------------------------------------------------------------

# Stripe retries a failed delivery for up to three days with growing gaps, so a failure costs
# freshness first and data only later; but failures that persist mean every event is refused (a
# wrong signing secret after a rotation, or the database down).
resource "google_monitoring_alert_policy" "webhook_failures" {
  project      = var.project_id
  display_name = "${var.name_prefix}: Stripe webhook failing"
  combiner     = "OR"
  severity     = "CRITICAL"
  user_labels  = var.labels

  conditions {
    display_name = "More than ${var.webhook_failure_threshold} 4xx/5xx from the webhook in ${var.webhook_failure_window_minutes} minutes"

    condition_prometheus_query_language {
      query               = "sum(increase(${local.webhook_failed}[${var.webhook_failure_window_minutes}m])) > ${var.webhook_failure_threshold}"
      duration            = "0s"
      evaluation_interval = "60s"
    }
  }

  notification_channels = local.channel_ids

  alert_strategy {
    auto_close = "3600s"
  }

  documentation {
    subject   = "${var.name_prefix}: the Stripe webhook is refusing deliveries"
    mime_type = "text/markdown"
    content   = <<-EOT
      **What it means.** The `stripe_webhook` function (`${local.webhook_service}`) answered
      4xx or 5xx more than ${var.webhook_failure_threshold} times in ${var.webhook_failure_window_minutes}
      minutes. Stripe retries each failed delivery for up to 3 days, so no data is lost yet, but
      dashboards go stale until deliveries succeed. Non-POST requests never get here (Cloud Armor
      answers them), so these are POSTs.

      - **400 `invalid Stripe-Signature`** (log line "refused a webhook delivery"): the signing
        secret does not match. Usually the endpoint's secret was rolled in Stripe and
        `stripe-webhook-secret` in Secret Manager was not updated (or test and live were mixed
        up). It can also be someone posting junk to the URL.
      - **503 "temporarily unable to store the event"**: the database is unavailable.
      - **413/408**: a body over 1 MiB or too slow — not Stripe.

      **First thing to do.** Open the Stripe Dashboard → Developers → Webhooks → this endpoint.
      If Stripe shows failed deliveries: for 400s add the endpoint's current `whsec_…` as a new
      version of `stripe-webhook-secret` (during a roll both old and new are accepted), then
      redeploy the function so it reads it; for 503s follow the database alerts. Stripe retries
      the failed events by itself once the cause is fixed; any that ran out of retries are listed
      there (and by `GET /v1/events?delivery_success=false`, kept 30 days) and can be resent from
      the Dashboard. If Stripe shows only successes, the failures are noise from the internet:
      confirm the callers in the load balancer logs (`httpRequest.remoteIp`).
    EOT
  }
}

# --- (d) Cloud SQL ---------------------------------------------------------------------------------

resource "google_monitoring_alert_policy" "database_cpu" {
  project      = var.project_id
  display_name = "${var.name_prefix}: Cloud SQL CPU above ${local.cpu_percent}% for 10 minutes"
  combiner     = "OR"
  severity     = "WARNING"
  user_labels  = var.labels

  conditions {
    display_name = "CPU utilization > ${local.cpu_percent}% for 10 minutes"

    condition_threshold {
      filter          = "resource.type = \"cloudsql_database\" AND resource.label.database_id = \"${local.database_id}\" AND metric.type = \"cloudsql.googleapis.com/database/cpu/utilization\""
      comparison      = "COMPARISON_GT"
      threshold_value = var.database_cpu_threshold
      duration        = "600s"

      aggregations {
        alignment_period   = "60s"
        per_series_aligner = "ALIGN_MEAN"
      }

      trigger {
        count = 1
      }
    }
  }

  notification_channels = local.channel_ids

  alert_strategy {
    auto_close = "3600s"
  }

  documentation {
    subject   = "${var.name_prefix}: Cloud SQL ${var.database_instance} CPU high"
    mime_type = "text/markdown"
    content   = <<-EOT
      **What it means.** The database `${var.database_instance}` has averaged more than
      ${local.cpu_percent}% CPU for 10 minutes. Requests slow down, then time out,
      and every function and the agent share this instance.

      **First thing to do.**
      1. Find what is running: Cloud SQL → `${var.database_instance}` → Query insights (top queries
         by time), or `SELECT pid, now() - query_start AS running, state, left(query, 120)
         FROM pg_stat_activity WHERE state <> 'idle' ORDER BY running DESC;`
      2. A large backfill or a metrics recompute for many businesses is expected load: let it
         finish, or lower the functions' max instances. A single runaway query can be stopped with
         `SELECT pg_cancel_backend(<pid>);`.
      3. Sustained load with normal queries means the tier is too small: raise the database
         module's `tier` (a restart, minutes of downtime on ZONAL).
    EOT
  }
}

resource "google_monitoring_alert_policy" "database_disk" {
  project      = var.project_id
  display_name = "${var.name_prefix}: Cloud SQL disk above ${local.disk_percent}%"
  combiner     = "OR"
  severity     = "ERROR"
  user_labels  = var.labels

  conditions {
    display_name = "Disk utilization > ${local.disk_percent}%"

    condition_threshold {
      filter          = "resource.type = \"cloudsql_database\" AND resource.label.database_id = \"${local.database_id}\" AND metric.type = \"cloudsql.googleapis.com/database/disk/utilization\""
      comparison      = "COMPARISON_GT"
      threshold_value = var.database_disk_threshold
      duration        = "300s"

      aggregations {
        alignment_period   = "300s"
        per_series_aligner = "ALIGN_MEAN"
      }

      trigger {
        count = 1
      }
    }
  }

  notification_channels = local.channel_ids

  documentation {
    subject   = "${var.name_prefix}: Cloud SQL ${var.database_instance} disk filling up"
    mime_type = "text/markdown"
    content   = <<-EOT
      **What it means.** The database `${var.database_instance}` uses more than
      ${local.disk_percent}% of its disk. A full disk stops every write (webhook
      events, metric runs) and can take the instance down.

      **First thing to do.**
      1. See what grew: `SELECT relname, pg_size_pretty(pg_total_relation_size(relid))
         FROM pg_catalog.pg_statio_user_tables ORDER BY pg_total_relation_size(relid) DESC LIMIT 10;`
         Raw Stripe events and ledger rows grow with every connected account; WAL grows with
         point-in-time recovery and long transactions.
      2. Raise the database module's `disk_size_gb` and apply (growing a disk is online; it cannot
         shrink again). If automatic storage increase is on, check it is not at its limit.
    EOT
  }
}

# --- Budget ----------------------------------------------------------------------------------------

resource "google_billing_budget" "this" {
  billing_account = var.billing_account
  display_name    = "${var.name_prefix} monthly budget"

  budget_filter {
    # The budget API takes the project NUMBER, not its id.
    projects        = ["projects/${data.google_project.this.number}"]
    calendar_period = "MONTH"
  }

  amount {
    specified_amount {
      currency_code = var.budget_currency_code
      units         = tostring(local.budget_units)
      nanos         = local.budget_nanos
    }
  }

  dynamic "threshold_rules" {
    for_each = toset(var.budget_thresholds)

    content {
      threshold_percent = threshold_rules.value
      spend_basis       = "CURRENT_SPEND"
    }
  }

  # Forecast spend crosses 100 % days before actual spend does: time to act rather than to read.
  dynamic "threshold_rules" {
    for_each = var.budget_forecast_alert ? [1.0] : []

    content {
      threshold_percent = threshold_rules.value
      spend_basis       = "FORECASTED_SPEND"
    }
  }

  all_updates_rule {
    monitoring_notification_channels = local.channel_ids
    # The billing account's administrators keep getting the mails too.
    disable_default_iam_recipients = false
  }
}
