# The production environment's own values. Replace them with yours before the first apply
# (docs/DEPLOY.md); project_id, agent_image and function_objects come from the build.
region                   = "europe-west1"
domain                   = "app.vaultra.example"
mail_from                = "no-reply@vaultra.example"
stripe_connect_client_id = ""
notification_emails      = ["oncall@vaultra.example"]
billing_account          = "000000-000000-000000"
monthly_budget           = 1500
# Ollama on GKE: on once the build can reach the cluster's control plane (docs/DEPLOY.md,
# "Ollama"); until then the chat uses OpenAI.
enable_ollama = false
gke_master_authorized_networks = [
  { cidr_block = "10.20.0.0/24", display_name = "cloud-build-private-pool" },
]
