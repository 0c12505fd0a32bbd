# The development environment's own values. Replace them with yours before the first apply
# (docs/DEPLOY.md); project_id, agent_image and function_objects come from the build.
region                   = "europe-west1"
domain                   = "dev.vaultra.example"
mail_from                = "no-reply@dev.vaultra.example"
stripe_connect_client_id = ""
notification_emails      = ["oncall@vaultra.example"]
billing_account          = "000000-000000-000000"
