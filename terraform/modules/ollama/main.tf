# Ollama, self-hosted: a private, zonal GKE cluster whose only node pool has GPUs; the model is
# pulled once onto a persistent volume by a Job, served by one Deployment, and reached through an
# internal passthrough load balancer that only the VPC (the runtimes, through the Serverless VPC
# Access connector) can address.

locals {
  name = "${var.name_prefix}-ollama"

  # Zonal: the GPU nodes and the model's persistent disk live in one zone anyway, and a zonal
  # control plane is the cheaper one.
  zone = coalesce(var.zone, "${var.region}-b")

  labels = merge(var.labels, { component = "ollama" })

  port      = 11434
  namespace = "ollama"

  # Where the Ollama server keeps its models inside the pods: the persistent volume.
  models_dir = "/models"
  # Ollama writes a key pair under $HOME/.ollama on start; the root filesystem is read-only, so
  # HOME is a small emptyDir.
  home_dir = "/home/ollama"

  server_labels = {
    "app.kubernetes.io/name"      = "ollama"
    "app.kubernetes.io/component" = "server"
  }
  pull_labels = {
    "app.kubernetes.io/name"      = "ollama"
    "app.kubernetes.io/component" = "model-pull"
  }

  # Accelerator-optimized machine families carry fixed GPUs: refuse a mismatch at plan time rather
  # than after a 10-minute node pool failure.
  gpu_machine_prefix = {
    "nvidia-l4"         = "g2-"
    "nvidia-tesla-t4"   = "n1-"
    "nvidia-tesla-v100" = "n1-"
    "nvidia-tesla-a100" = "a2-highgpu-"
    "nvidia-a100-80gb"  = "a2-ultragpu-"
    "nvidia-h100-80gb"  = "a3-"
  }

  # An unprivileged user for the Ollama container; the volume is group-owned by it (fsGroup).
  uid = 1000
}

# --- Node identity: least privilege -----------------------------------------------------------

# The nodes' own identity (logging, monitoring, image pulls), never the Compute Engine default
# account with its Editor role. Pods get no Google identity at all: Workload Identity hides this
# one from them (GKE_METADATA) and Ollama needs none.
resource "google_service_account" "nodes" {
  project      = var.project_id
  account_id   = "${var.name_prefix}-gke"
  display_name = "GKE nodes of ${local.name}"
  description  = "Least-privilege node identity of the Ollama GKE cluster."
}

resource "google_project_iam_member" "nodes" {
  for_each = toset(concat(["roles/container.defaultNodeServiceAccount"], var.node_service_account_roles))

  project = var.project_id
  role    = each.value
  member  = google_service_account.nodes.member
}

# --- Egress for private nodes -------------------------------------------------------------------

# Private nodes have no external IP: the Ollama image (Docker Hub) and the model
# (registry.ollama.ai) come through Cloud NAT, for this subnet only.
resource "google_compute_router" "nat" {
  count = var.create_nat ? 1 : 0

  project = var.project_id
  region  = var.region
  name    = "${local.name}-router"
  network = var.network_id
}

resource "google_compute_router_nat" "nat" {
  count = var.create_nat ? 1 : 0

  project                            = var.project_id
  region                             = var.region
  name                               = "${local.name}-nat"
  router                             = google_compute_router.nat[0].name
  nat_ip_allocate_option             = "AUTO_ONLY"
  source_subnetwork_ip_ranges_to_nat = "LIST_OF_SUBNETWORKS"

  subnetwork {
    name                    = var.subnet_id
    source_ip_ranges_to_nat = ["ALL_IP_RANGES"]
  }

  log_config {
    enable = true
    filter = "ERRORS_ONLY"
  }
}

# --- The cluster ----------------------------------------------------------------------------------

resource "google_container_cluster" "ollama" {
  # checkov:skip=CKV_GCP_65: Google Groups for RBAC needs a Google Workspace gke-security-groups group; nobody is granted in-cluster RBAC here (Terraform and operators use IAM roles), so there is no group to name.
  project     = var.project_id
  name        = local.name
  description = "Ollama on GPUs for ${var.name_prefix}"
  location    = local.zone

  network    = var.network_id
  subnetwork = var.subnet_id

  deletion_protection = var.deletion_protection

  # Node pools are managed as their own resources: the default pool is created (GKE requires one)
  # and removed at once. node_config below only shapes that short-lived pool (least-privilege
  # account, shielded, metadata server), and is ignored afterwards.
  remove_default_node_pool = true
  initial_node_count       = 1

  node_config {
    machine_type    = "e2-medium"
    image_type      = "COS_CONTAINERD"
    service_account = google_service_account.nodes.email
    oauth_scopes    = ["https://www.googleapis.com/auth/cloud-platform"]
    metadata = {
      disable-legacy-endpoints = "true"
    }

    shielded_instance_config {
      enable_secure_boot          = true
      enable_integrity_monitoring = true
    }

    workload_metadata_config {
      mode = "GKE_METADATA"
    }
  }

  # VPC-native: pods and Services get alias IP ranges of the subnet, routable in the VPC.
  networking_mode = "VPC_NATIVE"
  ip_allocation_policy {
    cluster_secondary_range_name  = var.pods_secondary_range_name
    services_secondary_range_name = var.services_secondary_range_name
    cluster_ipv4_cidr_block       = var.pods_secondary_range_name == null ? var.pods_cidr : null
    services_ipv4_cidr_block      = var.services_secondary_range_name == null ? var.services_cidr : null
  }

  # Nodes have internal IPs only. The control plane keeps a public endpoint (unless
  # enable_private_endpoint) so Terraform can create the Kubernetes objects, but only from
  # master_authorized_networks.
  private_cluster_config {
    enable_private_nodes    = true
    enable_private_endpoint = var.enable_private_endpoint
    master_ipv4_cidr_block  = var.master_ipv4_cidr_block

    master_global_access_config {
      enabled = false
    }
  }

  master_authorized_networks_config {
    gcp_public_cidrs_access_enabled = false

    dynamic "cidr_blocks" {
      for_each = var.master_authorized_networks
      content {
        cidr_block   = cidr_blocks.value.cidr_block
        display_name = cidr_blocks.value.display_name
      }
    }
  }

  # Authentication through IAM only: no static client certificate, no legacy ABAC.
  master_auth {
    client_certificate_config {
      issue_client_certificate = false
    }
  }
  enable_legacy_abac = false

  workload_identity_config {
    workload_pool = "${var.project_id}.svc.id.goog"
  }

  release_channel {
    channel = var.release_channel
  }

  # GKE Dataplane V2 enforces NetworkPolicy itself (eBPF), so the Calico network_policy add-on
  # stays off: the two are mutually exclusive.
  datapath_provider = "ADVANCED_DATAPATH"
  network_policy {
    enabled = false
  }

  enable_shielded_nodes       = true
  enable_intranode_visibility = true

  binary_authorization {
    evaluation_mode = var.enable_binary_authorization ? "PROJECT_SINGLETON_POLICY_ENFORCE" : "DISABLED"
  }

  addons_config {
    # The model's volume is a Compute Engine persistent disk (premium-rwo / standard-rwo).
    gce_persistent_disk_csi_driver_config {
      enabled = true
    }
  }

  logging_config {
    enable_components = ["SYSTEM_COMPONENTS", "WORKLOADS"]
  }

  monitoring_config {
    enable_components = ["SYSTEM_COMPONENTS"]

    managed_prometheus {
      enabled = true
    }
  }

  # Automatic upgrades happen in a quiet hour (UTC).
  maintenance_policy {
    daily_maintenance_window {
      start_time = "03:00"
    }
  }

  resource_labels = local.labels

  timeouts {
    create = "45m"
    update = "45m"
    delete = "45m"
  }

  lifecycle {
    # The default pool is gone after creation; its node_config (and count) would otherwise show
    # as a change that replaces the cluster.
    ignore_changes = [node_config, initial_node_count]

    precondition {
      condition     = startswith(local.zone, "${var.region}-")
      error_message = "zone must be in region (the subnet, the NAT and the internal load balancer are regional)."
    }
  }

  depends_on = [google_project_iam_member.nodes]
}

# --- The GPU node pool ----------------------------------------------------------------------------

resource "google_container_node_pool" "gpu" {
  project  = var.project_id
  name     = "${var.name_prefix}-gpu"
  location = local.zone
  cluster  = google_container_cluster.ollama.id

  initial_node_count = var.node_count

  autoscaling {
    min_node_count = var.node_count
    max_node_count = var.max_node_count
  }

  management {
    auto_repair  = true
    auto_upgrade = true
  }

  # GPU quota is usually the node count: upgrade by replacing a node in place (a short outage of
  # the single Ollama replica) rather than surging a node the quota may not allow.
  upgrade_settings {
    strategy        = "SURGE"
    max_surge       = 0
    max_unavailable = 1
  }

  node_config {
    machine_type    = var.machine_type
    image_type      = "COS_CONTAINERD"
    disk_type       = "pd-balanced"
    disk_size_gb    = var.node_disk_size_gb
    spot            = var.spot
    service_account = google_service_account.nodes.email
    oauth_scopes    = ["https://www.googleapis.com/auth/cloud-platform"]
    resource_labels = local.labels
    labels = {
      "vaultra.io/pool" = "gpu"
    }
    metadata = {
      disable-legacy-endpoints = "true"
    }

    # GKE installs the NVIDIA driver itself (signed, so Secure Boot stays on).
    guest_accelerator {
      type  = var.gpu_type
      count = var.gpu_count

      gpu_driver_installation_config {
        gpu_driver_version = "LATEST"
      }
    }

    # Only pods that tolerate the GPU taint (Ollama and its pull job) land on these expensive
    # nodes; GKE adds the same taint to GPU pools, stating it keeps the plan stable.
    taint {
      key    = "nvidia.com/gpu"
      value  = "present"
      effect = "NO_SCHEDULE"
    }

    shielded_instance_config {
      enable_secure_boot          = true
      enable_integrity_monitoring = true
    }

    # The GKE metadata server: pods cannot read the node's credentials.
    workload_metadata_config {
      mode = "GKE_METADATA"
    }
  }

  timeouts {
    create = "45m"
    update = "45m"
    delete = "45m"
  }

  lifecycle {
    # The autoscaler owns the live count.
    ignore_changes = [initial_node_count]

    precondition {
      condition     = var.max_node_count >= var.node_count
      error_message = "max_node_count must be at least node_count."
    }
    precondition {
      condition     = !contains(keys(local.gpu_machine_prefix), var.gpu_type) || startswith(var.machine_type, lookup(local.gpu_machine_prefix, var.gpu_type, ""))
      error_message = "machine_type does not carry gpu_type (nvidia-l4 needs g2-*, nvidia-tesla-t4 n1-*, nvidia-a100-80gb a2-ultragpu-*, …)."
    }
  }
}

# --- A stable internal address --------------------------------------------------------------------

# Reserved so that OLLAMA_BASE_URL survives a re-created Service or cluster.
resource "google_compute_address" "ollama" {
  project      = var.project_id
  region       = var.region
  name         = "${local.name}-ilb"
  description  = "Internal load balancer address of Ollama"
  address_type = "INTERNAL"
  purpose      = "GCE_ENDPOINT"
  subnetwork   = var.subnet_id
  labels       = local.labels
}

# --- Kubernetes objects ---------------------------------------------------------------------------

resource "kubernetes_namespace_v1" "ollama" {
  metadata {
    name = local.namespace
    labels = {
      # Every pod here meets the "restricted" Pod Security Standard (non-root, no capabilities,
      # seccomp RuntimeDefault, no privilege escalation); the admission controller keeps it so.
      "pod-security.kubernetes.io/enforce" = "restricted"
      "pod-security.kubernetes.io/audit"   = "restricted"
      "pod-security.kubernetes.io/warn"    = "restricted"
    }
  }

  depends_on = [google_container_node_pool.gpu]
}

# Ollama calls no Kubernetes or Google API: its own account, with no token mounted.
resource "kubernetes_service_account_v1" "ollama" {
  metadata {
    name      = "ollama"
    namespace = kubernetes_namespace_v1.ollama.metadata[0].name
  }
  automount_service_account_token = false
}

# Only Ollama's port is open to ingress; the load balancer's firewall rules narrow the sources
# (allowed_client_cidrs).
resource "kubernetes_network_policy_v1" "default_deny_ingress" {
  metadata {
    name      = "default-deny-ingress"
    namespace = kubernetes_namespace_v1.ollama.metadata[0].name
  }
  spec {
    pod_selector {}
    policy_types = ["Ingress"]
  }
}

resource "kubernetes_network_policy_v1" "ollama_api" {
  metadata {
    name      = "ollama-api"
    namespace = kubernetes_namespace_v1.ollama.metadata[0].name
  }
  spec {
    pod_selector {
      match_labels = local.server_labels
    }
    policy_types = ["Ingress"]
    ingress {
      ports {
        port     = tostring(local.port)
        protocol = "TCP"
      }
    }
  }
}

# The models live on a persistent disk, so a restarted pod (or a replaced node) serves at once
# instead of downloading gigabytes again.
resource "kubernetes_persistent_volume_claim_v1" "models" {
  metadata {
    name      = "ollama-models"
    namespace = kubernetes_namespace_v1.ollama.metadata[0].name
  }
  spec {
    access_modes       = ["ReadWriteOnce"]
    storage_class_name = var.storage_class
    resources {
      requests = {
        storage = "${var.model_disk_gb}Gi"
      }
    }
  }
  # GKE's classes bind on first use (WaitForFirstConsumer): the disk is created in the zone of
  # the first pod that mounts it, so there is nothing to wait for here.
  wait_until_bound = false
}

# Pulls var.model onto the volume once, before the server starts (and again, as a new Job, when
# the model changes). `ollama pull` talks to a server, so the Job runs one on localhost for the
# duration.
resource "kubernetes_job_v1" "model_pull" {
  metadata {
    name      = "model-pull-${substr(sha1(var.model), 0, 10)}"
    namespace = kubernetes_namespace_v1.ollama.metadata[0].name
    labels    = local.pull_labels
    annotations = {
      "vaultra.io/model" = var.model
    }
  }

  spec {
    backoff_limit           = 3
    active_deadline_seconds = 3600

    template {
      metadata {
        labels = local.pull_labels
      }

      spec {
        restart_policy                  = "Never"
        service_account_name            = kubernetes_service_account_v1.ollama.metadata[0].name
        automount_service_account_token = false

        # The GPU nodes are the only nodes; the Job needs no GPU but must tolerate their taint.
        node_selector = {
          "cloud.google.com/gke-accelerator" = var.gpu_type
        }
        toleration {
          key      = "nvidia.com/gpu"
          operator = "Exists"
          effect   = "NoSchedule"
        }

        # The volume is ReadWriteOnce: when the model changes while Ollama runs, pull on Ollama's
        # node so both pods can mount the disk.
        affinity {
          pod_affinity {
            preferred_during_scheduling_ignored_during_execution {
              weight = 100
              pod_affinity_term {
                topology_key = "kubernetes.io/hostname"
                label_selector {
                  match_labels = local.server_labels
                }
              }
            }
          }
        }

        security_context {
          run_as_non_root        = true
          run_as_user            = local.uid
          run_as_group           = local.uid
          fs_group               = local.uid
          fs_group_change_policy = "OnRootMismatch"
          seccomp_profile {
            type = "RuntimeDefault"
          }
        }

        container {
          name              = "pull"
          image             = var.ollama_image
          image_pull_policy = "IfNotPresent"
          command           = ["/bin/sh", "-c"]
          args = [<<-EOT
            set -eu
            ollama serve &
            server=$!
            tries=0
            until ollama list >/dev/null 2>&1; do
              tries=$((tries + 1))
              if [ "$tries" -ge 60 ]; then echo "ollama serve did not start" >&2; exit 1; fi
              sleep 1
            done
            ollama pull "$MODEL"
            ollama list
            kill "$server"
            wait "$server" || true
          EOT
          ]

          env {
            name  = "MODEL"
            value = var.model
          }
          env {
            name  = "OLLAMA_HOST"
            value = "127.0.0.1:${local.port}"
          }
          env {
            name  = "OLLAMA_MODELS"
            value = local.models_dir
          }
          env {
            name  = "HOME"
            value = local.home_dir
          }

          resources {
            requests = {
              cpu    = "500m"
              memory = "1Gi"
            }
            limits = {
              cpu    = "2"
              memory = "4Gi"
            }
          }

          security_context {
            allow_privilege_escalation = false
            privileged                 = false
            read_only_root_filesystem  = true
            run_as_non_root            = true
            capabilities {
              drop = ["ALL"]
            }
          }

          volume_mount {
            name       = "models"
            mount_path = local.models_dir
          }
          volume_mount {
            name       = "home"
            mount_path = local.home_dir
          }
          volume_mount {
            name       = "tmp"
            mount_path = "/tmp"
          }
        }

        volume {
          name = "models"
          persistent_volume_claim {
            claim_name = kubernetes_persistent_volume_claim_v1.models.metadata[0].name
          }
        }
        volume {
          name = "home"
          empty_dir {
            size_limit = "64Mi"
          }
        }
        volume {
          name = "tmp"
          empty_dir {
            size_limit = "1Gi"
          }
        }
      }
    }
  }

  # The apply waits for the model to be on the volume (a GPU node may first have to be created).
  wait_for_completion = true

  timeouts {
    create = "60m"
    update = "60m"
  }
}

resource "kubernetes_deployment_v1" "ollama" {
  # checkov:skip=CKV_K8S_43: Pinned by version tag by default (var.ollama_image); the digest of the public image is not known when this module is written, so the environment pins it by passing ollama/ollama:VERSION@sha256:DIGEST.
  # checkov:skip=CKV_K8S_15: The image is pinned (tag, or tag@digest), so IfNotPresent pulls exactly what Always would; Always would also make every restart of the GPU pod depend on Docker Hub being reachable through NAT.
  metadata {
    name      = "ollama"
    namespace = kubernetes_namespace_v1.ollama.metadata[0].name
    labels    = local.server_labels
    annotations = {
      "vaultra.io/model" = var.model
    }
  }

  spec {
    replicas = var.replicas

    selector {
      match_labels = local.server_labels
    }

    # One replica, a ReadWriteOnce volume and all of a node's GPUs: the old pod must go before
    # the new one can start.
    strategy {
      type = "Recreate"
    }

    template {
      # (No model annotation here: a new model needs no restart, the server reads it from the
      # volume on its first request.)
      metadata {
        labels = local.server_labels
      }

      spec {
        service_account_name             = kubernetes_service_account_v1.ollama.metadata[0].name
        automount_service_account_token  = false
        termination_grace_period_seconds = 30

        node_selector = {
          "cloud.google.com/gke-accelerator" = var.gpu_type
        }
        toleration {
          key      = "nvidia.com/gpu"
          operator = "Exists"
          effect   = "NoSchedule"
        }

        # Ollama runs unprivileged: it needs only a writable models directory (the volume,
        # group-owned through fsGroup), a writable HOME and /tmp (emptyDirs) and the GPU device
        # files, which the NVIDIA driver creates world-accessible by default. The root filesystem
        # stays read-only and no capability is kept.
        security_context {
          run_as_non_root        = true
          run_as_user            = local.uid
          run_as_group           = local.uid
          fs_group               = local.uid
          fs_group_change_policy = "OnRootMismatch"
          seccomp_profile {
            type = "RuntimeDefault"
          }
        }

        container {
          name              = "ollama"
          image             = var.ollama_image
          image_pull_policy = "IfNotPresent"
          args              = ["serve"]

          port {
            name           = "http"
            container_port = local.port
            protocol       = "TCP"
          }

          env {
            name  = "OLLAMA_HOST"
            value = "0.0.0.0:${local.port}"
          }
          env {
            name  = "OLLAMA_MODELS"
            value = local.models_dir
          }
          env {
            name  = "OLLAMA_KEEP_ALIVE"
            value = var.keep_alive
          }
          env {
            name  = "HOME"
            value = local.home_dir
          }

          resources {
            requests = {
              cpu    = var.ollama_resources.cpu_request
              memory = var.ollama_resources.memory_request
            }
            limits = {
              cpu              = var.ollama_resources.cpu_limit
              memory           = var.ollama_resources.memory_limit
              "nvidia.com/gpu" = tostring(var.gpu_count)
            }
          }

          # Ready once the API answers and lists the models on the volume.
          readiness_probe {
            http_get {
              path = "/api/tags"
              port = local.port
            }
            initial_delay_seconds = 5
            period_seconds        = 10
            timeout_seconds       = 5
            failure_threshold     = 3
          }

          # "/" answers "Ollama is running"; generous, since a long generation must not look
          # like a hang.
          liveness_probe {
            http_get {
              path = "/"
              port = local.port
            }
            initial_delay_seconds = 30
            period_seconds        = 20
            timeout_seconds       = 10
            failure_threshold     = 6
          }

          security_context {
            allow_privilege_escalation = false
            privileged                 = false
            read_only_root_filesystem  = true
            run_as_non_root            = true
            capabilities {
              drop = ["ALL"]
            }
          }

          volume_mount {
            name       = "models"
            mount_path = local.models_dir
          }
          volume_mount {
            name       = "home"
            mount_path = local.home_dir
          }
          volume_mount {
            name       = "tmp"
            mount_path = "/tmp"
          }
        }

        volume {
          name = "models"
          persistent_volume_claim {
            claim_name = kubernetes_persistent_volume_claim_v1.models.metadata[0].name
          }
        }
        volume {
          name = "home"
          empty_dir {
            size_limit = "64Mi"
          }
        }
        volume {
          name = "tmp"
          empty_dir {
            size_limit = "1Gi"
          }
        }
      }
    }
  }

  # A GPU node may have to be created and the image (several GB) pulled first.
  wait_for_rollout = true

  timeouts {
    create = "45m"
    update = "45m"
  }

  # The model is on the volume before the first rollout.
  depends_on = [kubernetes_job_v1.model_pull]
}

# The internal passthrough load balancer: an address in the subnet, reachable only from the VPC
# (the Cloud Run services and functions through their connector), and within it only from
# allowed_client_cidrs when set. Ollama has no authentication of its own; this is its boundary.
resource "kubernetes_service_v1" "ollama" {
  metadata {
    name      = "ollama"
    namespace = kubernetes_namespace_v1.ollama.metadata[0].name
    labels    = local.server_labels
    annotations = {
      "networking.gke.io/load-balancer-type" = "Internal"
    }
  }

  spec {
    type             = "LoadBalancer"
    selector         = local.server_labels
    load_balancer_ip = google_compute_address.ollama.address
    # Local: only the node running Ollama answers the load balancer's health check, so packets
    # go straight to it, and the client's address is preserved for the firewall.
    external_traffic_policy     = "Local"
    load_balancer_source_ranges = length(var.allowed_client_cidrs) > 0 ? var.allowed_client_cidrs : null

    port {
      name        = "http"
      port        = local.port
      target_port = local.port
      protocol    = "TCP"
    }
  }

  wait_for_load_balancer = true

  timeouts {
    create = "20m"
  }
}
