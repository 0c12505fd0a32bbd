# The private network Vaultra's serverless runtimes reach their private backends through:
# Cloud SQL's private IP (over private services access) and Ollama's internal load balancer
# (on GKE nodes in the subnet), both through one Serverless VPC Access connector.

locals {
  # Serverless VPC Access caps connector names at 25 characters; name_prefix is at most 21.
  connector_name = "${var.name_prefix}-cx"

  # Every range this module lays out, to refuse overlaps at plan time: the API would only
  # fail (or, for the connector, silently misroute) once some of the network exists.
  ranges = merge(
    { subnet = var.subnet_cidr, connector = var.connector_cidr },
    { for k, v in var.secondary_ranges : "secondary ${k}" => v },
    var.psa_address == null ? {} : { psa = "${var.psa_address}/${var.psa_prefix_length}" },
  )
  range_names = keys(local.ranges)
  range_bounds = {
    for name, cidr in local.ranges : name => {
      first = sum([for i, octet in split(".", cidrhost(cidr, 0)) : tonumber(octet) * pow(256, 3 - i)])
      size  = pow(2, 32 - tonumber(split("/", cidr)[1]))
    }
  }
  overlapping_ranges = flatten([
    for i, a in local.range_names : [
      for b in slice(local.range_names, i + 1, length(local.range_names)) : "${a} and ${b}"
      if local.range_bounds[a].first < local.range_bounds[b].first + local.range_bounds[b].size &&
      local.range_bounds[b].first < local.range_bounds[a].first + local.range_bounds[a].size
    ]
  ])

  # Google's load-balancer health checkers (documented, fixed ranges).
  health_check_ranges = ["35.191.0.0/16", "130.211.0.0/22"]
}

resource "google_compute_network" "this" {
  project     = var.project_id
  name        = "${var.name_prefix}-vpc"
  description = "Vaultra: serverless runtimes to Cloud SQL (private IP) and Ollama (internal LB)."

  # Custom mode: auto mode would carve a /20 in every region, ranges nobody uses that could
  # collide with the PSA range or a future peering.
  auto_create_subnetworks = false
  routing_mode            = "REGIONAL"

  lifecycle {
    precondition {
      condition     = length(local.overlapping_ranges) == 0
      error_message = "These ranges overlap: ${join("; ", local.overlapping_ranges)}."
    }
  }
}

resource "google_compute_subnetwork" "this" {
  project       = var.project_id
  name          = "${var.name_prefix}-${var.region}"
  region        = var.region
  network       = google_compute_network.this.id
  ip_cidr_range = var.subnet_cidr

  # Nodes without external IPs still reach Google APIs (Artifact Registry, Logging, the
  # Secret Manager and Cloud SQL Admin APIs) on Google's network.
  private_ip_google_access = true

  # Flow logs: the evidence to answer "what talked to what" after an incident.
  log_config {
    aggregation_interval = "INTERVAL_5_SEC"
    flow_sampling        = var.flow_log_sampling
    metadata             = "INCLUDE_ALL_METADATA"
  }

  dynamic "secondary_ip_range" {
    for_each = var.secondary_ranges
    content {
      range_name    = "${var.name_prefix}-${secondary_ip_range.key}"
      ip_cidr_range = secondary_ip_range.value
    }
  }
}

# Private services access: Cloud SQL's private IP lives in a Google-managed VPC peered to this
# one, addressed from this reserved range.
resource "google_compute_global_address" "psa" {
  project       = var.project_id
  name          = "${var.name_prefix}-psa"
  description   = "Private services access range (Cloud SQL private IP)."
  purpose       = "VPC_PEERING"
  address_type  = "INTERNAL"
  prefix_length = var.psa_prefix_length
  address       = var.psa_address
  network       = google_compute_network.this.id
}

resource "google_service_networking_connection" "psa" {
  network                 = google_compute_network.this.id
  service                 = "servicenetworking.googleapis.com"
  reserved_peering_ranges = [google_compute_global_address.psa.name]

  # Deleting the peering fails while Cloud SQL still holds addresses in it (the instance is
  # removed asynchronously), which would wedge `terraform destroy` of a dev environment.
  # Abandoning it leaves only the peering, which goes with the VPC.
  deletion_policy = "ABANDON"
}

# Functions (gen2) and Cloud Run reach private IPs only through a connector (or Direct VPC
# egress, which the design does not use). Its instances take addresses from connector_cidr.
resource "google_vpc_access_connector" "this" {
  project       = var.project_id
  name          = local.connector_name
  region        = var.region
  network       = google_compute_network.this.name
  ip_cidr_range = var.connector_cidr
  machine_type  = var.connector_machine_type
  min_instances = var.connector_min_instances
  max_instances = var.connector_max_instances

  lifecycle {
    precondition {
      condition     = var.connector_max_instances > var.connector_min_instances
      error_message = "connector_max_instances must be greater than connector_min_instances."
    }
  }
}

# Firewall. The VPC's implied rules already deny all ingress and allow all egress; these two
# rules open exactly what the design needs. Cloud SQL needs none here: it sits in the peered
# Google VPC, and egress to it is allowed. The connector needs none either: Serverless VPC
# Access creates its own rules for its instances when it is created.

# Serverless runtimes -> Ollama. Traffic through the connector arrives from the connector's
# /28, and nowhere else may call Ollama.
resource "google_compute_firewall" "connector_to_ollama" {
  project     = var.project_id
  name        = "${var.name_prefix}-allow-connector-ollama"
  description = "Functions and Cloud Run, through the VPC connector, to Ollama's internal load balancer."
  network     = google_compute_network.this.id
  direction   = "INGRESS"
  priority    = 1000

  source_ranges = [var.connector_cidr]
  target_tags   = length(var.ollama_target_tags) > 0 ? var.ollama_target_tags : null

  allow {
    protocol = "tcp"
    ports    = [tostring(var.ollama_port)]
  }

  log_config {
    metadata = "INCLUDE_ALL_METADATA"
  }
}

# Google's health checkers -> Ollama's nodes. An internal passthrough load balancer only sends
# to backends that pass its health check: on the serving port, or on kube-proxy's health port
# (10256) for a GKE Service with externalTrafficPolicy Cluster. GKE normally adds such a rule
# for its own load balancers; this one keeps the path open whatever GKE does.
resource "google_compute_firewall" "health_checks_to_ollama" {
  project     = var.project_id
  name        = "${var.name_prefix}-allow-health-checks"
  description = "Google Cloud load-balancer health checks to Ollama's nodes."
  network     = google_compute_network.this.id
  direction   = "INGRESS"
  priority    = 1000

  source_ranges = local.health_check_ranges
  target_tags   = length(var.ollama_target_tags) > 0 ? var.ollama_target_tags : null

  allow {
    protocol = "tcp"
    ports    = [tostring(var.ollama_port), "10256"]
  }
}

# Optional egress to the internet for instances without external IPs (Ollama's image and
# model downloads); nothing can reach in through it.
resource "google_compute_router" "nat" {
  count   = var.nat_enabled ? 1 : 0
  project = var.project_id
  name    = "${var.name_prefix}-router"
  region  = var.region
  network = google_compute_network.this.id
}

resource "google_compute_router_nat" "this" {
  count                              = var.nat_enabled ? 1 : 0
  project                            = var.project_id
  name                               = "${var.name_prefix}-nat"
  region                             = var.region
  router                             = google_compute_router.nat[0].name
  nat_ip_allocate_option             = "AUTO_ONLY"
  source_subnetwork_ip_ranges_to_nat = "LIST_OF_SUBNETWORKS"

  subnetwork {
    name                    = google_compute_subnetwork.this.self_link
    source_ip_ranges_to_nat = ["ALL_IP_RANGES"]
  }

  # Errors only: translation failures are what need looking at; every allowed flow is noise.
  log_config {
    enable = true
    filter = "ERRORS_ONLY"
  }
}
