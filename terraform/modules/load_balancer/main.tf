# One HTTPS origin for everything Vaultra serves: a global external Application Load Balancer
# (Envoy-based, EXTERNAL_MANAGED) routing by path to three serverless backends and the site bucket.
# One origin is what the product needs: the dashboard calls /api/v1 with the refresh cookie
# (SameSite=Strict, path /api/v1/auth) and no CORS, and MCP clients find the protected-resource
# metadata on the same host as /mcp.
#
#   https://domain/api/*                                  -> api function (Cloud Armor: api policy)
#   https://domain/mcp, /mcp/*                            -> agent service (Cloud Armor: edge policy)
#   https://domain/.well-known/oauth-protected-resource*  -> agent service (RFC 9728 metadata)
#   https://domain/stripe/webhook                         -> stripe_webhook function (edge policy)
#   https://domain/anything else                          -> site bucket through Cloud CDN
#   http://anything                                       -> 301 to https
#
# The health probes (/healthz, /readyz) are deliberately not routed: they stay reachable on the
# services themselves, not from the internet.

locals {
  # Keep the last path segment, so either a bare service name or a full
  # projects/P/locations/L/services/NAME resource name can be passed in.
  services = {
    api     = reverse(split("/", var.api_service))[0]
    webhook = reverse(split("/", var.webhook_service))[0]
    agent   = reverse(split("/", var.agent_service))[0]
  }

  backend_descriptions = {
    api     = "Vaultra API (/api/*): the api Cloud Function"
    webhook = "Stripe webhook (POST /stripe/webhook): the stripe_webhook Cloud Function"
    agent   = "MCP agent (/mcp, protected-resource metadata): Cloud Run"
  }

  # Headers the local stack's site server (vaultra.web.site) sends with every file; the bucket
  # cannot send them, so the load balancer adds them. HSTS is added here because the site is the
  # first thing a browser loads. The per-page Content-Security-Policy (hashes of each page's
  # inline scripts) cannot be set per object here: the built HTML has to carry it.
  site_response_headers = [
    "X-Content-Type-Options: nosniff",
    "X-Frame-Options: DENY",
    "Referrer-Policy: same-origin",
    "Cross-Origin-Opener-Policy: same-origin",
    "Strict-Transport-Security: max-age=31536000",
  ]

  # Paths carrying passwords or single-use tokens in their bodies: a strong password is exactly
  # the kind of string a SQL-injection signature matches, so the WAF rules skip them. They are
  # rate-limited instead, here and in the app.
  waf_skip = "!request.path.startsWith('/api/v1/auth/') && request.path != '/api/v1/me/password'"

  waf_rules = var.waf_mode == "off" ? {} : {
    sqli = { priority = 2000, rule_set = "sqli-v33-stable" }
    xss  = { priority = 2001, rule_set = "xss-v33-stable" }
  }
}

# --- Frontend: address, certificate, TLS policy ----------------------------------------------------

resource "google_compute_global_address" "this" {
  project      = var.project_id
  name         = "${var.name_prefix}-lb-ip"
  description  = "The one public IPv4 address of ${var.domain}; its DNS A record points here."
  address_type = "EXTERNAL"
  ip_version   = "IPV4"
  labels       = var.labels
}

resource "google_compute_managed_ssl_certificate" "this" {
  project = var.project_id
  # The name carries a digest of the domain: a new domain makes a new certificate, created before
  # the old one is removed, so the proxy is never without one.
  name = "${var.name_prefix}-cert-${substr(sha1(var.domain), 0, 8)}"

  managed {
    domains = [var.domain]
  }

  lifecycle {
    create_before_destroy = true
  }
}

resource "google_compute_ssl_policy" "this" {
  project         = var.project_id
  name            = "${var.name_prefix}-tls"
  description     = "TLS 1.2 or newer with ${var.ssl_policy_profile} ciphers: browsers, Stripe and MCP clients all speak it."
  profile         = var.ssl_policy_profile
  min_tls_version = "TLS_1_2"
}

# --- Cloud Armor -----------------------------------------------------------------------------------

# The API's policy: the outer layer in front of the app's own rate limits (vaultra.services.rate_limits).
resource "google_compute_security_policy" "api" {
  project     = var.project_id
  name        = "${var.name_prefix}-api-armor"
  description = "Vaultra API: Log4j canary, per-IP limits on /api/v1/auth/, sqli/xss (${var.waf_mode}), default allow."
  type        = "CLOUD_ARMOR"

  # JSON bodies are parsed, so the WAF signatures look at field values rather than at the JSON
  # punctuation around them (fewer false positives on an all-JSON API).
  advanced_options_config {
    json_parsing = "STANDARD"
    log_level    = "NORMAL"
  }

  adaptive_protection_config {
    layer_7_ddos_defense_config {
      enable          = var.adaptive_protection
      rule_visibility = "STANDARD"
    }
  }

  # Enforced, not previewed: its signatures (${jndi:…}) have no business in any request to this
  # API, and it costs nothing to keep. The expression is the exact one checkov's CKV_GCP_73 expects.
  rule {
    action      = "deny(403)"
    priority    = 100
    description = "Log4j CVE-2021-44228 canary"
    preview     = false

    match {
      expr {
        expression = "evaluatePreconfiguredWaf('cve-canary')"
      }
    }
  }

  # Sign-in, sign-up, refresh, password reset and verification: each attempt costs a password hash
  # or a mail. Above the limit a client IP gets 429 (as the app answers); above three times the
  # limit it is banned for auth_ban_duration_sec. The key is the connecting IP: the load balancer
  # is the edge, so no X-Forwarded-For can be forged into it.
  rule {
    action      = "rate_based_ban"
    priority    = 1000
    description = "Per-IP limit on /api/v1/auth/"

    match {
      expr {
        expression = "request.path.startsWith('/api/v1/auth/')"
      }
    }

    rate_limit_options {
      conform_action   = "allow"
      exceed_action    = "deny(429)"
      enforce_on_key   = "IP"
      ban_duration_sec = var.auth_ban_duration_sec

      rate_limit_threshold {
        count        = var.auth_rate_limit_per_minute
        interval_sec = 60
      }

      ban_threshold {
        count        = var.auth_rate_limit_per_minute * 3
        interval_sec = 60
      }
    }
  }

  # Preconfigured WAF rules, previewed by default. The API binds every SQL parameter and answers
  # JSON only, so these are defence in depth; enforcing them blind risks 403s on legitimate free
  # text (business names, notes, questions). Run in preview, read the preview hits in the load
  # balancer's logs (jsonPayload.previewSecurityPolicy), then set waf_mode = "enforce".
  dynamic "rule" {
    for_each = local.waf_rules

    content {
      action      = "deny(403)"
      priority    = rule.value.priority
      description = "${rule.key} (${var.waf_mode}), outside auth and password routes"
      preview     = var.waf_mode == "preview"

      match {
        expr {
          expression = "${local.waf_skip} && evaluatePreconfiguredWaf('${rule.value.rule_set}', {'sensitivity': ${var.waf_sensitivity}})"
        }
      }
    }
  }

  rule {
    action      = "allow"
    priority    = 2147483647
    description = "Default: allow"

    match {
      versioned_expr = "SRC_IPS_V1"

      config {
        src_ip_ranges = ["*"]
      }
    }
  }
}

# The agent's and the webhook's policy: Adaptive Protection, a per-IP limit on /mcp and a method
# check on the webhook, and nothing that reads a body. Stripe's event bodies carry text anyone can
# put into Stripe (customer names, descriptions, metadata): a WAF signature matching it would turn
# a signed, legitimate delivery into a 403, and Stripe would retry it until it gave up. The
# webhook authenticates deliveries by their Stripe-Signature over the raw body, which passes
# through untouched (Cloud Armor never rewrites a body).
resource "google_compute_security_policy" "edge" {
  # checkov:skip=CKV_GCP_73: the Log4j canary inspects bodies; this policy fronts the Stripe webhook (attacker-influenced text inside signed events must not be refused) and the MCP agent, neither of which runs Java. The API's policy has the canary.
  project     = var.project_id
  name        = "${var.name_prefix}-edge-armor"
  description = "Vaultra MCP agent and Stripe webhook: Adaptive Protection, per-IP limit on /mcp, POST-only webhook, no body inspection."
  type        = "CLOUD_ARMOR"

  advanced_options_config {
    json_parsing = "DISABLED"
    log_level    = "NORMAL"
  }

  adaptive_protection_config {
    layer_7_ddos_defense_config {
      enable          = var.adaptive_protection
      rule_visibility = "STANDARD"
    }
  }

  # Stripe only POSTs. Anything else is a scanner: answered at the edge, it costs no function
  # instance and does not count as a webhook failure in monitoring.
  rule {
    action      = "deny(404)"
    priority    = 900
    description = "The webhook takes POST only"

    match {
      expr {
        expression = "request.path == '/stripe/webhook' && request.method != 'POST'"
      }
    }
  }

  # Every MCP call may spend LLM tokens and database time (OWASP LLM10, unbounded consumption).
  dynamic "rule" {
    for_each = var.mcp_rate_limit_per_minute > 0 ? [var.mcp_rate_limit_per_minute] : []

    content {
      action      = "throttle"
      priority    = 1000
      description = "Per-IP limit on /mcp"

      match {
        expr {
          expression = "request.path.startsWith('/mcp')"
        }
      }

      rate_limit_options {
        conform_action = "allow"
        exceed_action  = "deny(429)"
        enforce_on_key = "IP"

        rate_limit_threshold {
          count        = rule.value
          interval_sec = 60
        }
      }
    }
  }

  rule {
    action      = "allow"
    priority    = 2147483647
    description = "Default: allow"

    match {
      versioned_expr = "SRC_IPS_V1"

      config {
        src_ip_ranges = ["*"]
      }
    }
  }
}

# --- Backends --------------------------------------------------------------------------------------

# Cloud Functions (gen2) are Cloud Run services, so all three serverless NEGs use cloud_run.
resource "google_compute_region_network_endpoint_group" "serverless" {
  for_each = local.services

  project = var.project_id
  # A NEG is replaced when its service changes; the digest gives the new one a new name so it can
  # be created before the old one (still used by its backend service) is deleted.
  name                  = "${var.name_prefix}-${each.key}-neg-${substr(sha1(each.value), 0, 8)}"
  region                = var.region
  network_endpoint_type = "SERVERLESS"

  cloud_run {
    service = each.value
  }

  lifecycle {
    create_before_destroy = true
  }
}

resource "google_compute_backend_service" "serverless" {
  for_each = local.services

  project               = var.project_id
  name                  = "${var.name_prefix}-${each.key}-backend"
  description           = local.backend_descriptions[each.key]
  load_balancing_scheme = "EXTERNAL_MANAGED"
  # Serverless NEGs take no health check, port name or timeout: Cloud Run scales and times out
  # requests itself. HTTP is the protocol Google's serverless-NEG examples use: it names how the
  # proxy talks to the serverless platform inside Google's network (encrypted in transit there);
  # the client's TLS ends at the proxy either way. The API and MCP answers are per user and
  # no-store, so no CDN here.
  protocol        = "HTTP"
  enable_cdn      = false
  security_policy = each.key == "api" ? google_compute_security_policy.api.id : google_compute_security_policy.edge.id

  backend {
    group = google_compute_region_network_endpoint_group.serverless[each.key].id
  }

  # Request logs carry the Cloud Armor verdict (enforced and preview) and the status, per backend.
  log_config {
    enable      = true
    sample_rate = var.log_sample_rate
  }
}

resource "google_compute_backend_bucket" "site" {
  project                 = var.project_id
  name                    = "${var.name_prefix}-site"
  description             = "The built dashboard (${var.site_bucket}) through Cloud CDN."
  bucket_name             = var.site_bucket
  enable_cdn              = true
  compression_mode        = "AUTOMATIC"
  custom_response_headers = local.site_response_headers

  cdn_policy {
    # The site decides: /_astro/* is fingerprinted and sent "public, max-age=31536000, immutable",
    # pages "no-cache" so a deploy is seen at once. Honouring origin headers keeps both right;
    # CACHE_ALL_STATIC would hold pages for its default TTL.
    cache_mode         = "USE_ORIGIN_HEADERS"
    request_coalescing = true
    negative_caching   = true

    negative_caching_policy {
      code = 404
      ttl  = var.cdn_negative_ttl_seconds
    }

    negative_caching_policy {
      code = 410
      ttl  = var.cdn_negative_ttl_seconds
    }
  }
}

# --- Routing ---------------------------------------------------------------------------------------

resource "google_compute_url_map" "https" {
  project     = var.project_id
  name        = "${var.name_prefix}-https"
  description = "https://${var.domain}: API, MCP, Stripe webhook, and the site."

  # A Host other than the domain (the bare IP, a stale name) is sent to the canonical origin.
  default_url_redirect {
    host_redirect          = var.domain
    https_redirect         = true
    redirect_response_code = "MOVED_PERMANENTLY_DEFAULT"
    strip_query            = false
  }

  host_rule {
    hosts        = [var.domain]
    path_matcher = "vaultra"
  }

  path_matcher {
    name            = "vaultra"
    default_service = google_compute_backend_bucket.site.id

    # "/api/*" matches /api/ and everything under it (the API lives under /api/v1).
    path_rule {
      paths   = ["/api/*"]
      service = google_compute_backend_service.serverless["api"].id
    }

    # A path rule's only wildcard is a trailing "/*", so the RFC 9728 metadata is listed in both
    # forms MCP clients ask for: /.well-known/oauth-protected-resource/mcp (path-based, what the
    # agent serves) and /.well-known/oauth-protected-resource (the root fallback).
    path_rule {
      paths = [
        "/mcp",
        "/mcp/*",
        "/.well-known/oauth-protected-resource",
        "/.well-known/oauth-protected-resource/*",
      ]
      service = google_compute_backend_service.serverless["agent"].id
    }

    # Exact path: the webhook has one route and nothing else reaches that function.
    path_rule {
      paths   = ["/stripe/webhook"]
      service = google_compute_backend_service.serverless["webhook"].id
    }
  }
}

# Port 80 only redirects: nothing is served in clear text. A Stripe endpoint must be registered
# with https://, since Stripe counts a 3xx as a failed delivery.
resource "google_compute_url_map" "http_redirect" {
  project     = var.project_id
  name        = "${var.name_prefix}-http-redirect"
  description = "http://${var.domain}: 301 to https."

  default_url_redirect {
    https_redirect         = true
    redirect_response_code = "MOVED_PERMANENTLY_DEFAULT"
    strip_query            = false
  }
}

# --- Proxies and forwarding rules ------------------------------------------------------------------

resource "google_compute_target_https_proxy" "this" {
  project          = var.project_id
  name             = "${var.name_prefix}-https-proxy"
  url_map          = google_compute_url_map.https.id
  ssl_certificates = [google_compute_managed_ssl_certificate.this.id]
  ssl_policy       = google_compute_ssl_policy.this.id
}

resource "google_compute_target_http_proxy" "redirect" {
  project = var.project_id
  name    = "${var.name_prefix}-http-proxy"
  url_map = google_compute_url_map.http_redirect.id
}

resource "google_compute_global_forwarding_rule" "https" {
  project               = var.project_id
  name                  = "${var.name_prefix}-https"
  load_balancing_scheme = "EXTERNAL_MANAGED"
  ip_protocol           = "TCP"
  ip_address            = google_compute_global_address.this.address
  port_range            = "443"
  target                = google_compute_target_https_proxy.this.id
  labels                = var.labels
}

resource "google_compute_global_forwarding_rule" "http" {
  project               = var.project_id
  name                  = "${var.name_prefix}-http"
  load_balancing_scheme = "EXTERNAL_MANAGED"
  ip_protocol           = "TCP"
  ip_address            = google_compute_global_address.this.address
  port_range            = "80"
  target                = google_compute_target_http_proxy.redirect.id
  labels                = var.labels
}
