variable "project_id" {
  type        = string
  description = "The development project's id."
}

variable "region" {
  type        = string
  description = "The region of every regional resource."
  default     = "europe-west1"
}

variable "domain" {
  type        = string
  description = "The development origin, e.g. dev.vaultra.example (its A record points at the ip_address output)."
}

variable "agent_image" {
  type        = string
  description = "The agent image the build pushed (REGION-docker.pkg.dev/PROJECT/REPO/agent:SHA)."
}

variable "function_objects" {
  type        = map(object({ bucket = string, object = string }))
  description = "Each function's staged source zip, from the build's stage step (functions.auto.tfvars.json)."
}

variable "mail_from" {
  type        = string
  description = "The sender of Vaultra's mail."
}

variable "stripe_connect_client_id" {
  type        = string
  description = "Stripe Connect's test-mode client id (ca_…), or empty."
  default     = ""
}

variable "notification_emails" {
  type        = list(string)
  description = "Who gets the alerts and the budget's mail."
}

variable "billing_account" {
  type        = string
  description = "The billing account the budget watches."
}
