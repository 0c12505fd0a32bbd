# --- Common inputs --------------------------------------------------------------------------

variable "project_id" {
  type        = string
  description = "The Google Cloud project of the cluster."

  validation {
    condition     = can(regex("^[a-z][a-z0-9-]{4,28}[a-z0-9]$", var.project_id))
    error_message = "project_id must be a Google Cloud project ID: 6-30 lowercase letters, digits and hyphens, starting with a letter."
  }
}

variable "region" {
  type        = string
  description = "Region of the subnet, the NAT and the internal load balancer, e.g. europe-west1 (the same region as the Serverless VPC Access connector that reaches Ollama)."

  validation {
    condition     = can(regex("^[a-z]+-[a-z]+[0-9]+$", var.region))
    error_message = "region must be a Google Cloud region such as europe-west1."
  }
}

variable "name_prefix" {
  type        = string
  description = "Prefix of every Google Cloud resource name, e.g. vaultra-prod (the cluster is <name_prefix>-ollama)."

  validation {
    condition     = can(regex("^[a-z][a-z0-9-]{1,20}$", var.name_prefix))
    error_message = "name_prefix must match ^[a-z][a-z0-9-]{1,20}$."
  }
}

variable "labels" {
  type        = map(string)
  description = "Labels added to the cluster (resource_labels) and its nodes."
  default     = {}

  validation {
    condition = alltrue([
      for k, v in var.labels : can(regex("^[a-z][a-z0-9_-]{0,62}$", k)) && can(regex("^[a-z0-9_-]{0,63}$", v))
    ])
    error_message = "Label keys must match ^[a-z][a-z0-9_-]{0,62}$ and values ^[a-z0-9_-]{0,63}$."
  }
}

# --- The contract -----------------------------------------------------------------------------

variable "network_id" {
  type        = string
  description = "The VPC (network module's network_id, projects/P/global/networks/N)."

  validation {
    condition     = can(regex("^projects/[^/]+/global/networks/[^/]+$", var.network_id))
    error_message = "network_id must look like projects/P/global/networks/NAME."
  }
}

variable "subnet_id" {
  type        = string
  description = "The subnet of the nodes and of the internal load balancer's address (network module's subnet_id, projects/P/regions/R/subnetworks/S)."

  validation {
    condition     = can(regex("^projects/[^/]+/regions/[^/]+/subnetworks/[^/]+$", var.subnet_id))
    error_message = "subnet_id must look like projects/P/regions/REGION/subnetworks/NAME."
  }
}

variable "model" {
  type        = string
  description = "The Ollama model pulled once onto the volume and served, e.g. llama3.1:8b (the runtimes' OLLAMA_MODEL)."
  default     = "llama3.1:8b"

  validation {
    condition     = can(regex("^[A-Za-z0-9][A-Za-z0-9._/-]{0,127}(:[A-Za-z0-9._-]{1,64})?$", var.model))
    error_message = "model must be an Ollama model name such as llama3.1:8b, namespace/name:tag or hf.co/user/repo:quant."
  }
}

variable "gpu_type" {
  type        = string
  description = "The GPU attached to each node, e.g. nvidia-l4 (with a g2 machine type), nvidia-tesla-t4 (n1), nvidia-a100-80gb (a2)."
  default     = "nvidia-l4"

  validation {
    condition     = can(regex("^nvidia-[a-z0-9-]+$", var.gpu_type))
    error_message = "gpu_type must be a GKE accelerator type such as nvidia-l4."
  }
}

variable "gpu_count" {
  type        = number
  description = "GPUs per node, all given to the Ollama pod (1 for g2-standard-8)."
  default     = 1

  validation {
    condition     = contains([1, 2, 4, 8], var.gpu_count)
    error_message = "gpu_count must be 1, 2, 4 or 8."
  }
}

variable "machine_type" {
  type        = string
  description = "Machine type of the GPU nodes; it must carry gpu_type (g2-standard-8: 1 × L4, 8 vCPU, 32 GB)."
  default     = "g2-standard-8"

  validation {
    condition     = can(regex("^[a-z][a-z0-9]*-[a-z0-9-]+$", var.machine_type))
    error_message = "machine_type must be a Compute Engine machine type such as g2-standard-8."
  }
}

variable "node_count" {
  type        = number
  description = "GPU nodes at creation, and the autoscaler's minimum (0 lets an idle dev environment scale to nothing with replicas = 0)."
  default     = 1

  validation {
    condition     = var.node_count >= 0 && var.node_count <= 10 && floor(var.node_count) == var.node_count
    error_message = "node_count must be a whole number from 0 to 10."
  }
}

variable "model_disk_gb" {
  type        = number
  description = "Size of the persistent volume holding the models (llama3.1:8b is about 5 GB; leave room for a second model during a change)."
  default     = 50

  validation {
    condition     = var.model_disk_gb >= 10 && var.model_disk_gb <= 2000 && floor(var.model_disk_gb) == var.model_disk_gb
    error_message = "model_disk_gb must be a whole number from 10 to 2000."
  }
}

# --- Optional additions: placement and size -------------------------------------------------------

variable "zone" {
  type        = string
  description = "Zone of the (zonal) cluster, its GPU nodes and the model's disk; it must offer gpu_type (L4 in europe-west1: b or c). Null means <region>-b."
  default     = null

  validation {
    condition     = var.zone == null || can(regex("^[a-z]+-[a-z]+[0-9]+-[a-z]$", var.zone))
    error_message = "zone must be a zone such as europe-west1-b, or null."
  }
}

variable "max_node_count" {
  type        = number
  description = "The autoscaler's maximum number of GPU nodes (at least node_count). Ollama runs one replica; more nodes only help a replacement schedule during repairs."
  default     = 1

  validation {
    condition     = var.max_node_count >= 1 && var.max_node_count <= 10 && floor(var.max_node_count) == var.max_node_count
    error_message = "max_node_count must be a whole number from 1 to 10."
  }
}

variable "replicas" {
  type        = number
  description = "Ollama pods: 1, or 0 to stop serving (and let the GPU pool scale down) without destroying anything."
  default     = 1

  validation {
    condition     = contains([0, 1], var.replicas)
    error_message = "replicas must be 0 or 1: the model volume is ReadWriteOnce and each pod takes the node's GPUs."
  }
}

variable "spot" {
  type        = bool
  description = "Use Spot VMs for the GPU nodes (much cheaper, may be preempted at any time: for dev)."
  default     = false
}

variable "node_disk_size_gb" {
  type        = number
  description = "Boot disk of each GPU node (the Ollama image with its CUDA libraries is several GB)."
  default     = 100

  validation {
    condition     = var.node_disk_size_gb >= 50 && var.node_disk_size_gb <= 1000 && floor(var.node_disk_size_gb) == var.node_disk_size_gb
    error_message = "node_disk_size_gb must be a whole number from 50 to 1000."
  }
}

variable "storage_class" {
  type        = string
  description = "GKE storage class of the model volume: premium-rwo (pd-ssd, loads a model fastest) or standard-rwo (pd-balanced)."
  default     = "premium-rwo"

  validation {
    condition     = contains(["premium-rwo", "standard-rwo"], var.storage_class)
    error_message = "storage_class must be premium-rwo or standard-rwo."
  }
}

variable "ollama_resources" {
  type = object({
    cpu_request    = string
    memory_request = string
    cpu_limit      = string
    memory_limit   = string
  })
  description = "CPU and memory of the Ollama container besides its GPUs (defaults fit g2-standard-8: 8 vCPU, 32 GB, minus what the node keeps)."
  default = {
    cpu_request    = "4"
    memory_request = "16Gi"
    cpu_limit      = "7"
    memory_limit   = "24Gi"
  }

  validation {
    condition = alltrue([
      can(regex("^[0-9]+(\\.[0-9]+)?m?$", var.ollama_resources.cpu_request)),
      can(regex("^[0-9]+(\\.[0-9]+)?m?$", var.ollama_resources.cpu_limit)),
      can(regex("^[0-9]+(Mi|Gi)$", var.ollama_resources.memory_request)),
      can(regex("^[0-9]+(Mi|Gi)$", var.ollama_resources.memory_limit)),
    ])
    error_message = "ollama_resources: cpu as 4 or 500m, memory as 16Gi or 512Mi."
  }
}

# --- Optional additions: the software ----------------------------------------------------------

variable "ollama_image" {
  type        = string
  description = "The Ollama image, pinned: ollama/ollama:VERSION, better ollama/ollama:VERSION@sha256:DIGEST (or a mirror in Artifact Registry). The same image runs the pull job."
  default     = "ollama/ollama:0.18.2"

  validation {
    condition     = can(regex("^[a-z0-9.-]+(:[0-9]+)?(/[a-z0-9._-]+)*(:[A-Za-z0-9._-]+(@sha256:[a-f0-9]{64})?|@sha256:[a-f0-9]{64})$", var.ollama_image)) && !can(regex(":latest($|@)", var.ollama_image))
    error_message = "ollama_image must be pinned by a version tag and/or a sha256 digest, and not :latest."
  }
}

variable "keep_alive" {
  type        = string
  description = "OLLAMA_KEEP_ALIVE: how long the model stays in GPU memory after a request (-1: always, so no request waits for a reload)."
  default     = "-1"

  validation {
    condition     = can(regex("^(-1|[0-9]+(ms|s|m|h)?)$", var.keep_alive))
    error_message = "keep_alive must be -1, a number of seconds, or a duration such as 30m or 24h."
  }
}

# --- Optional additions: the cluster's network and access -----------------------------------------

variable "deletion_protection" {
  type        = bool
  description = "Refuse `terraform destroy` of the cluster (set false in a throwaway environment)."
  default     = true
}

variable "release_channel" {
  type        = string
  description = "GKE release channel: upgrades (and GPU driver versions) arrive automatically from it."
  default     = "REGULAR"

  validation {
    condition     = contains(["RAPID", "REGULAR", "STABLE"], var.release_channel)
    error_message = "release_channel must be RAPID, REGULAR or STABLE."
  }
}

variable "master_ipv4_cidr_block" {
  type        = string
  description = "The /28 of the control plane's private endpoint; must not overlap the VPC's ranges."
  default     = "172.16.0.0/28"

  validation {
    condition     = can(cidrhost(var.master_ipv4_cidr_block, 0)) && endswith(var.master_ipv4_cidr_block, "/28")
    error_message = "master_ipv4_cidr_block must be a /28 CIDR block."
  }
}

variable "master_authorized_networks" {
  type = list(object({
    cidr_block   = string
    display_name = string
  }))
  description = "CIDR blocks allowed to reach the control plane's public endpoint: where Terraform (and an operator's kubectl) runs. Empty: nothing outside Google reaches it, and the kubernetes provider cannot either."
  default     = []

  validation {
    condition = alltrue([
      for n in var.master_authorized_networks : can(cidrhost(n.cidr_block, 0)) && !endswith(n.cidr_block, "/0")
    ])
    error_message = "master_authorized_networks must be CIDR blocks, never a /0."
  }
}

variable "enable_private_endpoint" {
  type        = bool
  description = "Give the control plane no public endpoint at all; then Terraform must run inside the VPC (or through a bastion) to manage the Kubernetes objects."
  default     = false
}

variable "pods_secondary_range_name" {
  type        = string
  description = "Name of the subnet's secondary range for pods, when the network module defines one; null lets GKE create the range (pods_cidr)."
  default     = null

  validation {
    condition     = var.pods_secondary_range_name == null || can(regex("^[a-z]([-a-z0-9]{0,61}[a-z0-9])?$", var.pods_secondary_range_name))
    error_message = "pods_secondary_range_name must be a secondary range name (RFC 1035) or null."
  }
}

variable "services_secondary_range_name" {
  type        = string
  description = "Name of the subnet's secondary range for Services, when the network module defines one; null lets GKE create the range (services_cidr)."
  default     = null

  validation {
    condition     = var.services_secondary_range_name == null || can(regex("^[a-z]([-a-z0-9]{0,61}[a-z0-9])?$", var.services_secondary_range_name))
    error_message = "services_secondary_range_name must be a secondary range name (RFC 1035) or null."
  }
}

variable "pods_cidr" {
  type        = string
  description = "Pod range GKE creates on the subnet when pods_secondary_range_name is null (null: GKE picks one)."
  default     = null

  validation {
    condition     = var.pods_cidr == null || can(cidrhost(var.pods_cidr, 0))
    error_message = "pods_cidr must be a CIDR block or null."
  }
}

variable "services_cidr" {
  type        = string
  description = "Service range GKE creates on the subnet when services_secondary_range_name is null (null: GKE picks one)."
  default     = null

  validation {
    condition     = var.services_cidr == null || can(cidrhost(var.services_cidr, 0))
    error_message = "services_cidr must be a CIDR block or null."
  }
}

variable "create_nat" {
  type        = bool
  description = "Create a Cloud Router and Cloud NAT for the subnet: private nodes have no external IP, and the image (Docker Hub) and the model (registry.ollama.ai) come from the internet. Set false when the network already NATs this subnet."
  default     = true
}

variable "allowed_client_cidrs" {
  type        = list(string)
  description = "Sources allowed to reach Ollama's internal load balancer (loadBalancerSourceRanges, enforced by VPC firewall rules), e.g. [the Serverless VPC Access connector's range]. Empty: the whole VPC (the address is internal either way)."
  default     = []

  validation {
    condition     = alltrue([for c in var.allowed_client_cidrs : can(cidrhost(c, 0)) && !endswith(c, "/0")])
    error_message = "allowed_client_cidrs must be CIDR blocks, never a /0."
  }
}

variable "enable_binary_authorization" {
  type        = bool
  description = "Enforce the project's Binary Authorization policy on the cluster (its default policy admits every image; tighten it to admit only attested ones)."
  default     = true
}

variable "node_service_account_roles" {
  type        = list(string)
  description = "Project roles of the node service account besides roles/container.defaultNodeServiceAccount, e.g. roles/artifactregistry.reader to pull a mirrored Ollama image."
  default     = []

  validation {
    condition = alltrue([
      for r in var.node_service_account_roles : can(regex("^roles/[a-zA-Z.]+$", r)) && !contains(["roles/owner", "roles/editor"], r)
    ])
    error_message = "node_service_account_roles must be predefined roles (roles/…), never owner or editor."
  }
}
