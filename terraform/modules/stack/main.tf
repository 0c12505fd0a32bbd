# The whole of Vaultra in one project: every module composed, wired by the names the code wrote
# (terraform/names.json), so a function, topic, subscription, job or secret the code adds is
# deployed by the next apply without an edit here.

locals {
  names = jsondecode(file("${path.module}/../../names.json"))

  # Every runtime that runs Vaultra's code: the functions and the agent service.
  runtimes = merge(local.names.functions, local.names.services)

  # Identities beyond the runtimes: Pub/Sub's pushes to the functions (OIDC), and the build's
  # migration step (owns the schema; Cloud Build impersonates it).
  identities = concat(keys(local.runtimes), ["pubsub_push", "migrations"])

  database_users = concat(
    [for name, runtime in local.runtimes : name if contains(runtime.needs, "database")],
    ["migrations"],
  )

  project_roles = {
    for name in local.identities : name => distinct(concat(
      ["roles/logging.logWriter", "roles/monitoring.metricWriter"],
      contains(local.database_users, name) ? ["roles/cloudsql.client", "roles/cloudsql.instanceUser"] : [],
      contains(try(local.runtimes[name].needs, []), "event_bus") ? ["roles/pubsub.publisher"] : [],
    ))
  }

  # Each secret is readable by exactly the runtimes that read it.
  secret_accessors = {
    for secret in keys(local.names.secrets) : secret => [
      for name, runtime in local.runtimes : module.service_accounts.emails[name]
      if contains(values(runtime.secrets), secret)
    ]
  }

  # The plain settings every runtime may read (names.json lists which each one reads; the
  # functions module refuses a plan where one of them is missing here).
  env = {
    VAULTRA_ENV              = "production"
    INSTANCE_CONNECTION_NAME = module.database.connection_name
    DB_NAME                  = module.database.database_name
    DB_IP_TYPE               = "private"
    GCP_PROJECT              = var.project_id
    VAULTRA_EVENT_BUS        = "pubsub"
    VAULTRA_PUBLIC_URL       = "https://${var.domain}"
    VAULTRA_REPORTS_BUCKET   = module.storage.reports_bucket
    VAULTRA_MAIL_FROM        = var.mail_from
    LLM_PROVIDER             = var.llm_provider
    OPENAI_MODEL             = var.openai_model
    OLLAMA_BASE_URL          = var.enable_ollama ? module.ollama[0].internal_url : "http://ollama.invalid:11434"
    OLLAMA_MODEL             = var.ollama_model
    LLM_DAILY_TOKENS         = tostring(var.llm_daily_tokens)
    VAULTRA_RETRIEVAL        = var.retrieval
    VAULTRA_EMBEDDINGS       = var.embeddings
    VAULTRA_VECTOR_STORE     = "postgres"
    STRIPE_CONNECT_CLIENT_ID = var.stripe_connect_client_id
  }
  # Settings whose value is each runtime's own: its database user is its service account.
  env_per_runtime_names = ["DB_IAM_USER"]
  db_iam_user           = { for name in local.database_users : name => module.database.iam_users[name] }

  peak_per_instance = local.names.database.peak_connections_per_instance
}

resource "google_project_service" "this" {
  for_each = toset(var.services)

  project = var.project_id
  service = each.value
  # Turning an API off with the stack would break whatever else in the project uses it.
  disable_on_destroy = false
}

module "service_accounts" {
  source = "../service_accounts"

  project_id    = var.project_id
  region        = var.region
  name_prefix   = var.name_prefix
  labels        = var.labels
  runtimes      = local.identities
  project_roles = local.project_roles

  depends_on = [google_project_service.this]
}

module "network" {
  source = "../network"

  project_id  = var.project_id
  region      = var.region
  name_prefix = var.name_prefix
  labels      = var.labels

  depends_on = [google_project_service.this]
}

module "database" {
  source = "../database"

  project_id                  = var.project_id
  region                      = var.region
  name_prefix                 = var.name_prefix
  labels                      = var.labels
  network_id                  = module.network.network_id
  private_services_connection = module.network.private_services_connection
  tier                        = var.database.tier
  max_connections             = var.database.max_connections
  availability_type           = var.database.availability_type
  disk_size_gb                = var.database.disk_size_gb
  deletion_protection         = var.database.deletion_protection
  iam_service_accounts        = { for name in local.database_users : name => module.service_accounts.emails[name] }
}

module "secrets" {
  source = "../secrets"

  project_id  = var.project_id
  region      = var.region
  name_prefix = var.name_prefix
  labels      = var.labels
  secrets     = local.names.secrets
  accessors   = local.secret_accessors

  depends_on = [google_project_service.this]
}

module "registry" {
  source = "../registry"

  project_id  = var.project_id
  region      = var.region
  name_prefix = var.name_prefix
  labels      = var.labels

  depends_on = [google_project_service.this]
}

module "storage" {
  source = "../storage"

  project_id           = var.project_id
  region               = var.region
  name_prefix          = var.name_prefix
  labels               = var.labels
  reports_object_users = [module.service_accounts.emails["api"]]

  depends_on = [google_project_service.this]
}

# The API signs report download links (V4) as itself: it needs to sign with its own key.
resource "google_service_account_iam_member" "api_signs_urls" {
  service_account_id = "projects/${var.project_id}/serviceAccounts/${module.service_accounts.emails["api"]}"
  role               = "roles/iam.serviceAccountTokenCreator"
  member             = module.service_accounts.members["api"]
}

module "ollama" {
  source = "../ollama"
  count  = var.enable_ollama ? 1 : 0

  project_id                 = var.project_id
  region                     = var.region
  name_prefix                = var.name_prefix
  labels                     = var.labels
  network_id                 = module.network.network_id
  subnet_id                  = module.network.subnet_id
  model                      = var.ollama_model
  allowed_client_cidrs       = [module.network.connector_cidr]
  master_authorized_networks = var.gke_master_authorized_networks

  depends_on = [google_project_service.this]
}

module "functions" {
  source = "../functions"

  project_id           = var.project_id
  region               = var.region
  name_prefix          = var.name_prefix
  labels               = var.labels
  functions            = local.names.functions
  sources              = var.function_objects
  service_accounts     = { for name in keys(local.names.functions) : name => module.service_accounts.emails[name] }
  env                  = local.env
  env_overrides        = { for name in keys(local.names.functions) : name => { DB_IAM_USER = local.db_iam_user[name] } if contains(keys(local.db_iam_user), name) }
  secret_ids           = module.secrets.secret_ids
  vpc_connector_id     = module.network.vpc_connector_id
  push_service_account = module.service_accounts.emails["pubsub_push"]
  sizing               = var.function_sizing

  db_max_connections               = module.database.max_connections
  db_peak_connections_per_instance = local.peak_per_instance
  db_reserved_connections          = var.database.reserved_connections
  other_connections                = var.agent.max_instances * local.peak_per_instance

  # A function must not start before it may read its secrets.
  depends_on = [module.secrets]
}

module "pubsub" {
  source = "../pubsub"

  project_id           = var.project_id
  region               = var.region
  name_prefix          = var.name_prefix
  labels               = var.labels
  topics               = local.names.topics
  dead_letter_topics   = local.names.dead_letter_topics
  subscriptions        = local.names.subscriptions
  push_endpoints       = module.functions.uris
  push_service_account = module.service_accounts.emails["pubsub_push"]
}

module "scheduler" {
  source = "../scheduler"

  project_id  = var.project_id
  region      = var.region
  name_prefix = var.name_prefix
  labels      = var.labels
  jobs        = local.names.scheduler
  topic_ids   = module.pubsub.topic_ids

  depends_on = [google_project_service.this]
}

module "agent_service" {
  source = "../agent_service"

  project_id       = var.project_id
  region           = var.region
  name_prefix      = var.name_prefix
  labels           = var.labels
  image            = var.agent_image
  service_account  = module.service_accounts.emails["agent"]
  env              = merge({ for name in local.names.services.agent.env : name => local.env[name] if name != "DB_IAM_USER" }, { DB_IAM_USER = local.db_iam_user["agent"] })
  secrets          = { for env, secret in local.names.services.agent.secrets : env => module.secrets.secret_ids[secret] }
  vpc_connector_id = module.network.vpc_connector_id
  min_instances    = var.agent.min_instances
  max_instances    = var.agent.max_instances

  depends_on = [module.secrets]
}

module "load_balancer" {
  source = "../load_balancer"

  project_id      = var.project_id
  region          = var.region
  name_prefix     = var.name_prefix
  labels          = var.labels
  domain          = var.domain
  site_bucket     = module.storage.site_bucket
  api_service     = module.functions.service_names["api"]
  webhook_service = module.functions.service_names["stripe_webhook"]
  agent_service   = module.agent_service.service_name
  waf_mode        = var.waf_mode
}

module "monitoring" {
  source = "../monitoring"

  project_id                = var.project_id
  region                    = var.region
  name_prefix               = var.name_prefix
  labels                    = var.labels
  notification_emails       = var.notification_emails
  dead_letter_subscriptions = keys(module.pubsub.dead_letter_subscription_ids)
  function_services         = module.functions.service_names
  webhook_service           = module.functions.service_names["stripe_webhook"]
  database_instance         = module.database.instance_name
  billing_account           = var.billing_account
  monthly_budget            = var.monthly_budget

  depends_on = [google_project_service.this]
}
