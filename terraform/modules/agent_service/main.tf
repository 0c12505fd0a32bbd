# The MCP agent on Cloud Run: the image built from agent_service/Dockerfile, listening on $PORT
# (8080), with /healthz (liveness) and /readyz (readiness: the database). It is reached only
# through the HTTPS load balancer at /mcp.

locals {
  name = "${var.name_prefix}-agent"

  # The image's own port (Dockerfile: ENV PORT=8080, EXPOSE 8080); Cloud Run sets $PORT from it.
  port = 8080

  labels = merge(var.labels, { component = "agent" })
}

resource "google_cloud_run_v2_service" "agent" {
  project  = var.project_id
  location = var.region
  name     = local.name
  labels   = local.labels

  # Only internal traffic and Google Cloud load balancers may reach the service: the run.app URL
  # answers nothing from the internet, so the load balancer (Cloud Armor, one origin) is the only
  # way in.
  ingress             = "INGRESS_TRAFFIC_INTERNAL_LOAD_BALANCER"
  deletion_protection = var.deletion_protection

  template {
    service_account = var.service_account
    labels          = local.labels

    # Gen2: full Linux compatibility and faster network for the database and Ollama.
    execution_environment            = "EXECUTION_ENVIRONMENT_GEN2"
    max_instance_request_concurrency = var.concurrency
    timeout                          = "${var.timeout_seconds}s"

    # The MCP transport is stateless (vaultra.web.mcp: stateless_http=True), so any instance can
    # answer any request: no session affinity.
    scaling {
      min_instance_count = var.min_instances
      max_instance_count = var.max_instances
    }

    # Private ranges (Cloud SQL's private IP, Ollama's internal load balancer) go through the
    # connector; Google APIs and OpenAI go out directly.
    vpc_access {
      connector = var.vpc_connector_id
      egress    = "PRIVATE_RANGES_ONLY"
    }

    containers {
      name  = "agent"
      image = var.image

      ports {
        name           = "http1"
        container_port = local.port
      }

      resources {
        limits = {
          cpu    = var.cpu
          memory = var.memory
        }
        cpu_idle          = var.cpu_idle
        startup_cpu_boost = true
      }

      dynamic "env" {
        for_each = var.env
        content {
          name  = env.key
          value = env.value
        }
      }

      # Secrets are read from Secret Manager when an instance starts ("latest": a rotation is
      # picked up by the next revision or the next cold start). The runtime service account needs
      # roles/secretmanager.secretAccessor on each (the secrets module's accessors).
      dynamic "env" {
        for_each = var.secrets
        content {
          name = env.key
          value_source {
            secret_key_ref {
              secret  = env.value
              version = "latest"
            }
          }
        }
      }

      # /healthz answers 200 while the process can answer at all (vaultra.health), so neither
      # probe restarts an instance because the database is down; /readyz is for the operator.
      # The start-up check (refusing to start without its settings) fails the revision instead.
      startup_probe {
        initial_delay_seconds = 0
        period_seconds        = 3
        timeout_seconds       = 2
        failure_threshold     = 20
        http_get {
          path = "/healthz"
          port = local.port
        }
      }

      liveness_probe {
        period_seconds    = 30
        timeout_seconds   = 5
        failure_threshold = 3
        http_get {
          path = "/healthz"
          port = local.port
        }
      }
    }
  }

  traffic {
    type    = "TRAFFIC_TARGET_ALLOCATION_TYPE_LATEST"
    percent = 100
  }

  lifecycle {
    precondition {
      condition     = var.min_instances <= var.max_instances
      error_message = "min_instances must not exceed max_instances."
    }
    precondition {
      condition     = length(setintersection(keys(var.env), keys(var.secrets))) == 0
      error_message = "A variable is both in env and in secrets: give each name one source."
    }
  }
}

# A serverless NEG behind the external Application Load Balancer sends requests without a Google
# identity, and Cloud Run's IAM check applies on every ingress path, so the load balancer can only
# reach the service when allUsers may invoke it. The network stays closed: ingress admits only
# internal traffic and Google Cloud load balancers (not the run.app URL from the internet), and
# the app authenticates every MCP request with a bearer token (an OAuth 2.1 resource server).
resource "google_cloud_run_v2_service_iam_member" "public_invoker" {
  # checkov:skip=CKV_GCP_102: Unauthenticated invocation is required for the serverless NEG behind the external HTTPS load balancer (it carries no Google identity); ingress INGRESS_TRAFFIC_INTERNAL_LOAD_BALANCER keeps the run.app URL closed to the internet and the app authenticates every MCP request with a bearer token.
  count = var.public_invoker ? 1 : 0

  project  = google_cloud_run_v2_service.agent.project
  location = google_cloud_run_v2_service.agent.location
  name     = google_cloud_run_v2_service.agent.name
  role     = "roles/run.invoker"
  member   = "allUsers"
}
