# --- Common inputs (terraform/README.md) ---------------------------------------------------------

variable "project_id" {
  type        = string
  description = "The Google Cloud project that is watched and budgeted (its number is looked up for the budget)."

  validation {
    condition     = can(regex("^[a-z][a-z0-9-]{4,28}[a-z0-9]$", var.project_id))
    error_message = "project_id must be a project ID: 6-30 lowercase letters, digits or hyphens, starting with a letter."
  }
}

variable "region" {
  type        = string
  description = "Region of the functions: the Cloud Run request alerts only count series from this location."

  validation {
    condition     = can(regex("^[a-z]+-[a-z]+[0-9]+$", var.region))
    error_message = "region must be a Google Cloud region such as europe-west1."
  }
}

variable "name_prefix" {
  type        = string
  description = "Prefix of every display name, e.g. vaultra-prod (alert policies and channels have server-assigned ids)."

  validation {
    condition     = can(regex("^[a-z][a-z0-9-]{1,20}$", var.name_prefix))
    error_message = "name_prefix must match ^[a-z][a-z0-9-]{1,20}$."
  }
}

variable "labels" {
  type        = map(string)
  description = "User labels put on the notification channels and alert policies."
  default     = {}

  validation {
    condition = alltrue([
      for k, v in var.labels : can(regex("^[a-z][a-z0-9_-]{0,62}$", k)) && can(regex("^[a-z0-9_-]{0,63}$", v))
    ])
    error_message = "Label keys must match ^[a-z][a-z0-9_-]{0,62}$ and values ^[a-z0-9_-]{0,63}$."
  }
}

# --- Contract inputs -----------------------------------------------------------------------------

variable "notification_emails" {
  type        = list(string)
  description = "Addresses paged by every alert and by the budget. At most 5: a budget notifies at most 5 channels."

  validation {
    condition     = length(var.notification_emails) >= 1 && length(var.notification_emails) <= 5
    error_message = "notification_emails must hold between 1 and 5 addresses."
  }

  validation {
    condition = alltrue([
      for e in var.notification_emails : can(regex("^[A-Za-z0-9._%+-]+@[A-Za-z0-9-]+(\\.[A-Za-z0-9-]+)*\\.[A-Za-z]{2,}$", e))
    ])
    error_message = "Every entry of notification_emails must be an email address."
  }

  validation {
    condition     = length(distinct([for e in var.notification_emails : lower(e)])) == length(var.notification_emails)
    error_message = "notification_emails must not repeat an address."
  }
}

# The pubsub module may give ids (projects/P/subscriptions/NAME) or names; both are accepted and
# main.tf keeps the name.
variable "dead_letter_subscriptions" {
  type        = list(string)
  description = "The subscriptions on the dead-letter topics (the ones the dead_letters function is pushed from), by name or id. An empty list creates no backlog alert."

  validation {
    condition = alltrue([
      for s in var.dead_letter_subscriptions : can(regex("^(projects/[^/]+/subscriptions/)?[A-Za-z][A-Za-z0-9._~+%-]{2,254}$", s))
    ])
    error_message = "Every entry of dead_letter_subscriptions must be a Pub/Sub subscription name or id."
  }
}

variable "function_services" {
  type        = map(string)
  description = "Function name -> the Cloud Run service behind it (pass the functions module's service_names). The 5xx-ratio alert covers every one; bare names and projects/P/locations/L/services/NAME are both accepted."

  validation {
    condition = alltrue([
      for s in values(var.function_services) : can(regex("^(projects/[^/]+/locations/[^/]+/services/)?[a-z]([-a-z0-9]{0,61}[a-z0-9])?$", s))
    ])
    error_message = "Every value of function_services must be a Cloud Run service name (or its full resource name)."
  }
}

variable "webhook_service" {
  type        = string
  description = "The Cloud Run service behind the stripe_webhook function (a name or projects/P/locations/L/services/NAME)."

  validation {
    condition     = can(regex("^(projects/[^/]+/locations/[^/]+/services/)?[a-z]([-a-z0-9]{0,61}[a-z0-9])?$", var.webhook_service))
    error_message = "webhook_service must be a Cloud Run service name (or its full resource name)."
  }
}

variable "database_instance" {
  type        = string
  description = "Cloud SQL instance name (the database module's instance_name), without the project."

  validation {
    condition     = can(regex("^[a-z]([-a-z0-9]{0,96}[a-z0-9])?$", var.database_instance))
    error_message = "database_instance must be a Cloud SQL instance name: lowercase letters, digits and hyphens, starting with a letter."
  }
}

variable "billing_account" {
  type        = string
  description = "The billing account paying for the project, as XXXXXX-XXXXXX-XXXXXX. The identity applying needs Billing Account Costs Manager (or Administrator) on it."

  validation {
    condition     = can(regex("^[0-9A-F]{6}-[0-9A-F]{6}-[0-9A-F]{6}$", var.billing_account))
    error_message = "billing_account must look like 012345-6789AB-CDEF01 (uppercase hex, no billingAccounts/ prefix)."
  }
}

variable "monthly_budget" {
  type        = number
  description = "The project's monthly budget, in the billing account's currency."

  validation {
    condition     = var.monthly_budget > 0 && var.monthly_budget < 100000000
    error_message = "monthly_budget must be a positive amount."
  }
}

# --- Optional inputs (additions to the contract) -------------------------------------------------

variable "budget_currency_code" {
  type        = string
  description = "ISO 4217 code of monthly_budget. Leave null to use the billing account's currency (a different one is refused by the API)."
  default     = null

  validation {
    condition     = var.budget_currency_code == null || can(regex("^[A-Z]{3}$", var.budget_currency_code))
    error_message = "budget_currency_code must be a three-letter ISO 4217 code such as EUR, or null."
  }
}

variable "budget_thresholds" {
  type        = list(number)
  description = "Fractions of monthly_budget, on actual spend, at which the budget mails the channels."
  default     = [0.5, 0.9, 1.0]

  validation {
    condition     = length(var.budget_thresholds) >= 1 && alltrue([for t in var.budget_thresholds : t > 0 && t <= 10])
    error_message = "budget_thresholds must hold at least one fraction, each above 0 and at most 10 (1.0 = 100 %)."
  }
}

variable "budget_forecast_alert" {
  type        = bool
  description = "Also notify when the month's forecast spend reaches 100 % of the budget (days before actual spend does)."
  default     = true
}

variable "error_ratio_threshold" {
  type        = number
  description = "Share of 5xx answers (over 5 minutes) above which a function alerts: 0.02 is 2 %."
  default     = 0.02

  validation {
    condition     = var.error_ratio_threshold > 0 && var.error_ratio_threshold < 1
    error_message = "error_ratio_threshold must be a fraction between 0 and 1 (0.02 = 2 %)."
  }
}

variable "error_ratio_min_requests" {
  type        = number
  description = "Requests a function must have answered in the 5-minute window before its 5xx ratio can alert (one failure out of three is not a trend)."
  default     = 10

  validation {
    condition     = var.error_ratio_min_requests >= 1 && floor(var.error_ratio_min_requests) == var.error_ratio_min_requests
    error_message = "error_ratio_min_requests must be a whole number of at least 1."
  }
}

variable "webhook_failure_threshold" {
  type        = number
  description = "Failed (4xx or 5xx) webhook deliveries within webhook_failure_window_minutes above which the webhook alerts."
  default     = 5

  validation {
    condition     = var.webhook_failure_threshold >= 0 && floor(var.webhook_failure_threshold) == var.webhook_failure_threshold
    error_message = "webhook_failure_threshold must be a whole number of at least 0."
  }
}

variable "webhook_failure_window_minutes" {
  type        = number
  description = "Window over which webhook failures are counted. Long enough to see Stripe's spaced-out retries, short enough to act well inside their three days."
  default     = 30

  validation {
    condition     = var.webhook_failure_window_minutes >= 5 && var.webhook_failure_window_minutes <= 1440 && floor(var.webhook_failure_window_minutes) == var.webhook_failure_window_minutes
    error_message = "webhook_failure_window_minutes must be a whole number between 5 and 1440."
  }
}

variable "database_cpu_threshold" {
  type        = number
  description = "Cloud SQL CPU utilization (0-1) that, held for 10 minutes, alerts."
  default     = 0.8

  validation {
    condition     = var.database_cpu_threshold > 0 && var.database_cpu_threshold < 1
    error_message = "database_cpu_threshold must be a fraction between 0 and 1 (0.8 = 80 %)."
  }
}

variable "database_disk_threshold" {
  type        = number
  description = "Cloud SQL disk utilization (0-1) above which the disk alert fires."
  default     = 0.85

  validation {
    condition     = var.database_disk_threshold > 0 && var.database_disk_threshold < 1
    error_message = "database_disk_threshold must be a fraction between 0 and 1 (0.85 = 85 %)."
  }
}
