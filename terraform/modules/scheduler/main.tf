# Cloud Scheduler jobs that publish a fixed message to a topic (names.json `scheduler`): the daily
# refresh and the reconciliation tick. The job only publishes; the topic's push subscription, with
# its retry and dead-letter policies, carries the message to its function, as any other message.
#
# No IAM here: a Pub/Sub target is published by Cloud Scheduler's own service agent, whose
# roles/cloudscheduler.serviceAgent role covers publishing to topics of the job's project (whoever
# may create jobs may thus publish to any topic of the project). Only a project that enabled the
# Cloud Scheduler API before 19 March 2019 may have to grant that role to the agent by hand.

resource "google_cloud_scheduler_job" "this" {
  for_each = var.jobs

  project     = var.project_id
  region      = var.region
  name        = "${var.name_prefix}-${each.key}"
  description = "Publishes ${jsonencode(each.value.attributes)} to ${each.value.topic} on \"${each.value.schedule}\" (${each.value.time_zone})."
  schedule    = each.value.schedule
  time_zone   = each.value.time_zone
  paused      = var.paused

  pubsub_target {
    topic_name = var.topic_ids[each.value.topic]
    # names.json holds the body as text; the API takes it base64-encoded.
    data       = each.value.data == "" ? null : base64encode(each.value.data)
    attributes = each.value.attributes
  }

  # Retries of a publish that failed (Pub/Sub unavailable), not of the work the message asks for.
  retry_config {
    retry_count          = var.retry_count
    min_backoff_duration = var.min_backoff_duration
    max_backoff_duration = var.max_backoff_duration
    max_doublings        = var.max_doublings
  }

  lifecycle {
    precondition {
      condition     = contains(keys(var.topic_ids), each.value.topic)
      error_message = "Job ${each.key} publishes to ${each.value.topic}, which is not in topic_ids (pass the pubsub module's topic_ids)."
    }
    precondition {
      condition     = tonumber(trimsuffix(var.min_backoff_duration, "s")) <= tonumber(trimsuffix(var.max_backoff_duration, "s"))
      error_message = "min_backoff_duration (${var.min_backoff_duration}) must not exceed max_backoff_duration (${var.max_backoff_duration})."
    }
  }
}
