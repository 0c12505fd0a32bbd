terraform {
  required_version = ">= 1.6.0, < 2.0.0"

  # The state bucket is given at init (`terraform init -backend-config=bucket=…`, docs/DEPLOY.md):
  # it is made before the first apply, outside this state, with versioning on.
  backend "gcs" {
    prefix = "vaultra/dev"
  }

  required_providers {
    google = {
      source  = "hashicorp/google"
      version = ">= 6.10.0, < 7.0.0"
    }
    kubernetes = {
      source  = "hashicorp/kubernetes"
      version = ">= 2.30.0, < 3.0.0"
    }
  }
}
