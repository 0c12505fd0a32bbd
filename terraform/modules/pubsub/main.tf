# Topics, dead-letter topics and one push subscription per (topic, function), as names.json lists
# them and as vaultra.events.pubsub.ensure_topics_and_push_subscriptions wires them locally: each
# subscription POSTs Pub/Sub's wrapped push body to the function's HTTPS URL, where
# functions-framework turns it into the CloudEvent the handler decodes. No Eventarc trigger sits in
# between, so the retry and dead-letter policies below are the only ones a message meets.

data "google_project" "this" {
  project_id = var.project_id
}

locals {
  # Dead-lettering is done by the project's Pub/Sub service agent, not by any runtime identity.
  pubsub_service_agent = "service-${data.google_project.this.number}@gcp-sa-pubsub.iam.gserviceaccount.com"

  # Every topic by name, with its kind: the code publishes to these exact names.
  all_topics = merge(
    { for key, name in var.topics : name => { key = key, dead_letter = false } },
    { for key, name in var.dead_letter_topics : name => { key = key, dead_letter = true } },
  )

  # A normal topic's dead-letter topic is the one under the same key.
  topic_key_by_name = { for key, name in var.topics : name => key }

  subscriptions = {
    for s in var.subscriptions : s.name => merge(s, {
      # null when the subscription is itself on a dead-letter topic (or on an unknown topic,
      # which the precondition refuses).
      dead_letter_topic = contains(keys(local.topic_key_by_name), s.topic) ? lookup(var.dead_letter_topics, local.topic_key_by_name[s.topic], null) : null
      on_dead_letter    = contains(values(var.dead_letter_topics), s.topic)
    })
  }

  # The project that owns the push account, read from its email (NAME@PROJECT.iam.gserviceaccount.com).
  push_account_project = split(".", split("@", var.push_service_account)[1])[0]

  dead_lettering_subscriptions = { for name, s in local.subscriptions : name => s if s.dead_letter_topic != null }

  missing_dead_letter_keys = setsubtract(keys(var.topics), keys(var.dead_letter_topics))
  stray_dead_letter_keys   = setsubtract(keys(var.dead_letter_topics), keys(var.topics))
  shared_topic_names       = setintersection(toset(values(var.topics)), toset(values(var.dead_letter_topics)))
}

resource "google_pubsub_topic" "this" {
  # checkov:skip=CKV_GCP_83: CMEK is optional (var.kms_key_name); by default Google-managed keys encrypt the messages, which carry only ids, flags and timestamps (vaultra.events.messages), never Stripe payloads or secrets.
  for_each = local.all_topics

  project = var.project_id
  name    = each.key
  labels  = var.labels

  # Lets a subscription be seeked back to replay messages, acknowledged ones included.
  message_retention_duration = var.topic_message_retention_duration
  kms_key_name               = var.kms_key_name

  dynamic "message_storage_policy" {
    for_each = var.restrict_message_storage_to_region ? [var.region] : []
    content {
      allowed_persistence_regions = [message_storage_policy.value]
    }
  }

  lifecycle {
    precondition {
      condition     = length(local.missing_dead_letter_keys) == 0 && length(local.stray_dead_letter_keys) == 0
      error_message = "topics and dead_letter_topics must share their keys: no dead-letter topic for [${join(", ", local.missing_dead_letter_keys)}], no topic for [${join(", ", local.stray_dead_letter_keys)}]."
    }
    precondition {
      condition     = length(local.shared_topic_names) == 0
      error_message = "A name cannot be both a topic and a dead-letter topic: [${join(", ", local.shared_topic_names)}]."
    }
  }
}

resource "google_pubsub_subscription" "this" {
  # Keyed by name; local.subscriptions[name] adds the dead-letter topic each one forwards to.
  for_each = { for s in var.subscriptions : s.name => s }

  project = var.project_id
  name    = each.key
  topic   = google_pubsub_topic.this[each.value.topic].id
  labels  = var.labels

  ack_deadline_seconds       = var.ack_deadline_seconds
  message_retention_duration = var.subscription_message_retention_duration

  push_config {
    push_endpoint = var.push_path_names_topic ? "${trimsuffix(var.push_endpoints[each.value.function], "/")}/projects/${var.project_id}/topics/${each.value.topic}" : var.push_endpoints[each.value.function]

    # The wrapped v1 body ({"message": …, "subscription": …}) is what functions-framework
    # recognises as a Pub/Sub push and converts to a CloudEvent; never switch to no_wrapper.
    attributes = {
      x-goog-version = "v1"
    }

    # The function's Cloud Run service requires authentication; Pub/Sub signs an ID token as this
    # account, which holds roles/run.invoker on the event functions. The audience is the bare
    # service URL, which Cloud Run accepts whatever path the push uses.
    oidc_token {
      service_account_email = var.push_service_account
      audience              = var.push_endpoints[each.value.function]
    }
  }

  # Exponential backoff between failed deliveries (a handler raises to ask for a retry).
  retry_policy {
    minimum_backoff = var.minimum_backoff
    maximum_backoff = var.maximum_backoff
  }

  # An idle subscription must never be deleted: a quiet topic (a dead-letter one especially) would
  # otherwise lose its subscriber after 31 days and its messages with it.
  expiration_policy {
    ttl = ""
  }

  # Messages of a normal topic go to its dead-letter topic after max_delivery_attempts; a
  # dead-letter topic's own subscription has nowhere further to send them and just keeps retrying.
  dynamic "dead_letter_policy" {
    for_each = local.subscriptions[each.key].dead_letter_topic == null ? [] : [local.subscriptions[each.key].dead_letter_topic]
    content {
      dead_letter_topic     = google_pubsub_topic.this[dead_letter_policy.value].id
      max_delivery_attempts = var.max_delivery_attempts
    }
  }

  lifecycle {
    precondition {
      condition     = contains(keys(local.all_topics), each.value.topic)
      error_message = "Subscription ${each.key} is on topic ${each.value.topic}, which is neither in topics nor in dead_letter_topics."
    }
    precondition {
      condition     = contains(keys(var.push_endpoints), each.value.function)
      error_message = "Subscription ${each.key} pushes to function ${each.value.function}, which has no entry in push_endpoints (pass the functions module's uris)."
    }
    precondition {
      condition     = !contains(keys(local.all_topics), each.value.topic) || local.subscriptions[each.key].on_dead_letter || local.subscriptions[each.key].dead_letter_topic != null
      error_message = "Subscription ${each.key}'s topic ${each.value.topic} has no dead-letter topic under its key in dead_letter_topics."
    }
    precondition {
      condition     = tonumber(trimsuffix(var.minimum_backoff, "s")) <= tonumber(trimsuffix(var.maximum_backoff, "s"))
      error_message = "minimum_backoff (${var.minimum_backoff}) must not exceed maximum_backoff (${var.maximum_backoff})."
    }
  }
}

# --- What dead-lettering needs: the Pub/Sub service agent publishes to each dead-letter topic and
# acknowledges the original message on the subscription it leaves. Without these two grants
# Pub/Sub never forwards a message and it is retried until retention drops it.

resource "google_pubsub_topic_iam_member" "dead_letter_publisher" {
  for_each = toset(values(var.dead_letter_topics))

  project = var.project_id
  topic   = google_pubsub_topic.this[each.key].name
  role    = "roles/pubsub.publisher"
  member  = "serviceAccount:${local.pubsub_service_agent}"
}

resource "google_pubsub_subscription_iam_member" "dead_letter_subscriber" {
  for_each = local.dead_lettering_subscriptions

  project      = var.project_id
  subscription = google_pubsub_subscription.this[each.key].name
  role         = "roles/pubsub.subscriber"
  member       = "serviceAccount:${local.pubsub_service_agent}"
}

# Only for projects that enabled Pub/Sub before 8 April 2021, whose service agent lacks the right
# to mint ID tokens for the push account. Granted on that one account, not on the project.
resource "google_service_account_iam_member" "push_token_creator" {
  count = var.legacy_pubsub_service_agent ? 1 : 0

  service_account_id = "projects/${local.push_account_project}/serviceAccounts/${var.push_service_account}"
  role               = "roles/iam.serviceAccountTokenCreator"
  member             = "serviceAccount:${local.pubsub_service_agent}"
}
