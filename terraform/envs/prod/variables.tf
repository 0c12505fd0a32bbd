variable "project_id" {
  type        = string
  description = "The production project's id."
}

variable "region" {
  type        = string
  description = "The region of every regional resource."
  default     = "europe-west1"
}

variable "domain" {
  type        = string
  description = "The production origin, e.g. app.vaultra.example (its A record points at the ip_address output)."
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
  description = "Stripe Connect's live-mode client id (ca_…), or empty."
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

variable "monthly_budget" {
  type        = number
  description = "The monthly budget, in the billing account's currency."
  default     = 1500
}

variable "enable_ollama" {
  type        = bool
  description = "Self-host the chat's model on a GKE GPU node pool (LLM_PROVIDER=ollama)."
  default     = true
}

variable "ollama_model" {
  type        = string
  description = "The Ollama model the cluster pulls and the chat uses."
  default     = "llama3.1:8b"
}

variable "gke_master_authorized_networks" {
  type        = list(object({ cidr_block = string, display_name = string }))
  description = "Where Terraform and operators reach the Ollama cluster's control plane from (the build's worker pool range)."
  default     = []
}
