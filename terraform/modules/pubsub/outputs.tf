output "topic_ids" {
  description = "Topic name → topic id (projects/PROJECT/topics/NAME), for every topic and every dead-letter topic: what the scheduler's pubsub_target and IAM bindings take."
  value       = { for name, topic in google_pubsub_topic.this : name => topic.id }
}

output "dead_letter_topic_ids" {
  description = "Dead-letter topic name → topic id, the dead-letter topics only."
  value       = { for name in values(var.dead_letter_topics) : name => google_pubsub_topic.this[name].id }
}

output "subscription_ids" {
  description = "Subscription name → subscription id (projects/PROJECT/subscriptions/NAME), every push subscription."
  value       = { for name, subscription in google_pubsub_subscription.this : name => subscription.id }
}

output "dead_letter_subscription_ids" {
  description = "Subscription name → id of the subscriptions on dead-letter topics (those feeding the dead_letters function): a backlog there is a message Pub/Sub gave up on, which monitoring alerts on."
  value       = { for name, s in local.subscriptions : name => google_pubsub_subscription.this[name].id if s.on_dead_letter }
}

output "dead_letter_policies" {
  description = "Subscription name → the dead-letter topic name its undeliverable messages go to, for the subscriptions that dead-letter."
  value       = { for name, s in local.dead_lettering_subscriptions : name => s.dead_letter_topic }
}

output "pubsub_service_agent" {
  description = "Email of the project's Pub/Sub service agent, which forwards messages to dead-letter topics (and needs the KMS grant when kms_key_name is set)."
  value       = local.pubsub_service_agent
}
