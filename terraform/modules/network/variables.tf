variable "project_id" {
  type        = string
  description = "The Google Cloud project that owns the network."

  validation {
    condition     = can(regex("^[a-z][a-z0-9-]{4,28}[a-z0-9]$", var.project_id))
    error_message = "project_id must be a project ID: 6-30 lowercase letters, digits or hyphens, starting with a letter."
  }
}

variable "region" {
  type        = string
  description = "The region of the subnet, the Serverless VPC Access connector and (if enabled) the NAT, e.g. europe-west1. It must be the region of the functions and Cloud Run services that use the connector."

  validation {
    condition     = can(regex("^[a-z]+-[a-z]+[0-9]+$", var.region))
    error_message = "region must be a Google Cloud region such as europe-west1."
  }
}

variable "name_prefix" {
  type        = string
  description = "Prefix of every resource name, e.g. vaultra-prod."

  validation {
    condition     = can(regex("^[a-z][a-z0-9-]{1,20}$", var.name_prefix))
    error_message = "name_prefix must match ^[a-z][a-z0-9-]{1,20}$ (2-21 characters) so that every derived name stays within Google Cloud's limits."
  }
}

variable "labels" {
  type        = map(string)
  description = "Accepted for the common module interface. Networks, subnets, firewall rules, connectors and routers take no labels, and the PSA address is left unlabelled because its labels argument is not in every provider version this module allows."
  default     = {}

  validation {
    condition = alltrue([
      for k, v in var.labels : can(regex("^[a-z][a-z0-9_-]{0,62}$", k)) && can(regex("^[a-z0-9_-]{0,63}$", v))
    ])
    error_message = "Label keys must match ^[a-z][a-z0-9_-]{0,62}$ and values ^[a-z0-9_-]{0,63}$."
  }
}

variable "subnet_cidr" {
  type        = string
  description = "Primary IPv4 range of the regional subnet (the GKE nodes running Ollama live here)."
  default     = "10.10.0.0/24"

  validation {
    condition     = can(cidrhost(var.subnet_cidr, 0)) && can(regex("^[0-9.]+/([89]|1[0-9]|2[0-9])$", var.subnet_cidr))
    error_message = "subnet_cidr must be an IPv4 CIDR with a prefix length between /8 and /29, e.g. 10.10.0.0/24."
  }
}

variable "connector_cidr" {
  type        = string
  description = "The /28 the Serverless VPC Access connector's instances take their addresses from. Traffic from functions and Cloud Run reaches the VPC from this range, so the Ollama firewall rule admits it. It must not overlap the subnet or its secondary ranges."
  default     = "10.8.0.0/28"

  validation {
    condition     = can(cidrhost(var.connector_cidr, 0)) && endswith(var.connector_cidr, "/28") && cidrhost(var.connector_cidr, 0) == split("/", var.connector_cidr)[0]
    error_message = "connector_cidr must be an unused /28 given by its network address, e.g. 10.8.0.0/28 (Serverless VPC Access requires exactly a /28)."
  }
}

variable "psa_prefix_length" {
  type        = number
  description = "Prefix length of the range reserved for private services access (the Cloud SQL instance's private IP comes from it). /16 leaves room for more instances and other Google-managed services."
  default     = 16

  validation {
    condition     = var.psa_prefix_length >= 8 && var.psa_prefix_length <= 24 && floor(var.psa_prefix_length) == var.psa_prefix_length
    error_message = "psa_prefix_length must be a whole number between 8 and 24 (private services access needs at least a /24)."
  }
}

variable "psa_address" {
  type        = string
  description = "First address of the private services access range. null lets Google pick a free block in the VPC; set it when the range must fit an address plan (VPN, peering)."
  default     = null

  validation {
    condition     = var.psa_address == null || can(cidrhost("${coalesce(var.psa_address, "0.0.0.0")}/32", 0))
    error_message = "psa_address must be an IPv4 address such as 10.100.0.0, or null."
  }
}

variable "secondary_ranges" {
  type        = map(string)
  description = "Secondary ranges of the subnet, name suffix => CIDR (e.g. { pods = \"10.20.0.0/16\", services = \"10.30.0.0/20\" } for a VPC-native GKE cluster); each is named <name_prefix>-<suffix>. Empty (the default) leaves secondary ranges unmanaged, so GKE may create its own without Terraform undoing them."
  default     = {}

  validation {
    condition = alltrue([
      for k, v in var.secondary_ranges : can(regex("^[a-z][a-z0-9-]{0,30}[a-z0-9]$", k)) && can(cidrhost(v, 0))
    ])
    error_message = "secondary_ranges keys must be short lowercase names (^[a-z][a-z0-9-]{0,30}[a-z0-9]$) and values IPv4 CIDRs."
  }
}

variable "connector_machine_type" {
  type        = string
  description = "Machine type of the Serverless VPC Access connector's instances. e2-micro carries roughly 100-200 Mbps per instance, plenty for SQL and LLM calls."
  default     = "e2-micro"

  validation {
    condition     = contains(["f1-micro", "e2-micro", "e2-standard-4"], var.connector_machine_type)
    error_message = "connector_machine_type must be one of f1-micro, e2-micro, e2-standard-4 (the types Serverless VPC Access supports)."
  }
}

variable "connector_min_instances" {
  type        = number
  description = "Minimum connector instances. 2 is the floor Serverless VPC Access allows; the connector never scales back down, so keep it low."
  default     = 2

  validation {
    condition     = var.connector_min_instances >= 2 && var.connector_min_instances <= 9 && floor(var.connector_min_instances) == var.connector_min_instances
    error_message = "connector_min_instances must be a whole number between 2 and 9."
  }
}

variable "connector_max_instances" {
  type        = number
  description = "Maximum connector instances (3-10, above connector_min_instances). Scale-out is permanent until the connector is recreated, so this caps the standing cost."
  default     = 3

  validation {
    condition     = var.connector_max_instances >= 3 && var.connector_max_instances <= 10 && floor(var.connector_max_instances) == var.connector_max_instances
    error_message = "connector_max_instances must be a whole number between 3 and 10."
  }
}

variable "ollama_port" {
  type        = number
  description = "TCP port of Ollama's internal load balancer, opened to the connector range."
  default     = 11434

  validation {
    condition     = var.ollama_port >= 1 && var.ollama_port <= 65535 && floor(var.ollama_port) == var.ollama_port
    error_message = "ollama_port must be a TCP port (1-65535)."
  }
}

variable "ollama_target_tags" {
  type        = list(string)
  description = "Network tags of the GKE nodes that serve Ollama. The firewall rules apply only to instances carrying one of them; empty (the default) applies them to every instance in this VPC, which holds only those nodes."
  default     = []

  validation {
    condition     = alltrue([for t in var.ollama_target_tags : can(regex("^[a-z]([a-z0-9-]{0,61}[a-z0-9])?$", t))])
    error_message = "ollama_target_tags must be valid network tags (lowercase, digits, hyphens, up to 63 characters)."
  }
}

variable "nat_enabled" {
  type        = bool
  description = "Create a Cloud Router and Cloud NAT for the region, so instances without external IPs (the private GKE nodes) can pull the Ollama image and model. Leave false if another module already provides NAT for this VPC and region: two NATs cannot cover the same subnet."
  default     = false
}

variable "flow_log_sampling" {
  type        = number
  description = "Fraction of subnet flows sampled into VPC Flow Logs (0 < x <= 1). 0.5 keeps forensics useful at half the log volume."
  default     = 0.5

  validation {
    condition     = var.flow_log_sampling > 0 && var.flow_log_sampling <= 1
    error_message = "flow_log_sampling must be greater than 0 and at most 1."
  }
}
