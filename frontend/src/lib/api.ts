/**
 * The one client of Vaultra's API (/api/v1) used by every island.
 *
 * - JSON in and out; errors are RFC 9457 problem details, thrown as `ApiError`.
 * - The access token lives in this module's memory only (never in storage). The refresh token is
 *   an HttpOnly cookie scoped to /api/v1/auth that the browser sends by itself.
 * - A 401 on a bearer call renews the access token once through POST /auth/refresh and retries.
 *   Refresh tokens rotate and one used twice revokes the session, so concurrent renewals share a
 *   single in-flight request.
 */

export const API_BASE = "/api/v1";

// --- errors --------------------------------------------------------------------------------------

export interface FieldError {
  location: string;
  message: string;
}

export class ApiError extends Error {
  readonly status: number;
  readonly type: string;
  readonly title: string;
  readonly detail: string;
  readonly errors: FieldError[];
  /** Seconds to wait, from `Retry-After` on a 429. */
  readonly retryAfter: number | null;

  constructor(init: {
    status: number;
    type?: string;
    title?: string;
    detail?: string;
    errors?: FieldError[];
    retryAfter?: number | null;
  }) {
    const detail = init.detail || init.title || `The request failed (${init.status}).`;
    super(detail);
    this.name = "ApiError";
    this.status = init.status;
    this.type = init.type ?? "about:blank";
    this.title = init.title ?? "";
    this.detail = detail;
    this.errors = init.errors ?? [];
    this.retryAfter = init.retryAfter ?? null;
  }

  /** The last segment of the problem type, e.g. `email-taken`. */
  get kind(): string {
    return this.type.split("/").pop() ?? "";
  }
}

/** A message a person can read, for any error a call may throw. */
export function messageOf(error: unknown): string {
  if (error instanceof ApiError) {
    if (error.status === 429 && error.retryAfter) {
      const minutes = Math.ceil(error.retryAfter / 60);
      return `${error.detail} Try again in ${minutes === 1 ? "a minute" : `${minutes} minutes`}.`;
    }
    return error.detail;
  }
  return "Something went wrong. Please try again.";
}

// --- response types ------------------------------------------------------------------------------

export type Role = "owner" | "viewer";
export type Confidence = "high" | "medium" | "low";
export type MetricValue = number | string | Record<string, number> | null;

export interface TokenOut {
  access_token: string;
  token_type: "bearer";
  expires_in: number;
}

export interface User {
  id: string;
  email: string;
  created_at: string;
  email_verified: boolean;
}

export interface Business {
  id: string;
  name: string;
  role: Role;
  created_at: string;
  stripe: { account_id: string; livemode: boolean } | null;
}

export interface Page<T> {
  items: T[];
  next_cursor: string | null;
}

export interface Band {
  limit: number;
  points: number;
  meaning: string;
}

export interface Threshold {
  criterion: string;
  status: "scored" | "no_data";
  metric: string | null;
  value: number | null;
  points: number;
  max_points: number;
  applied: string | null;
  unit: "money" | "ratio" | "count" | "months" | "hours" | null;
  currency?: string | null;
  bands: Band[];
}

export interface Component {
  key: string;
  title: string;
  /** Negative for a ceiling: the points it holds back. */
  points: number;
  max_points: number;
  explanation: string;
  inputs: Record<string, MetricValue>;
  thresholds: Threshold[];
}

export interface Factor {
  key: string;
  title: string;
  points_lost: number;
  could_gain: number;
}

export interface SummarySync {
  stripe_account: string | null;
  livemode: boolean | null;
  last_event_at: string | null;
  backfill: "not_started" | "running" | "succeeded" | "failed";
  backfill_started_at: string | null;
  backfill_finished_at: string | null;
  months_imported: number;
  objects_imported: number;
}

export interface Summary {
  as_of: string | null;
  model_version: string;
  score: number | null;
  confidence: Confidence | null;
  components: Component[];
  top_factors: Factor[];
  missing: string[];
  currency: string | null;
  scored_at: string | null;
  data_through: string | null;
  sync: SummarySync;
}

export type SyncState = "idle" | "importing" | "ready" | "failed";

export interface SyncProgress {
  state: SyncState;
  resources: Record<string, { months_done: number; objects: number }>;
  months_done: number;
  first_score_ready: boolean;
  last_event_at: string | null;
  error: string | null;
  connection: {
    account_id: string;
    livemode: boolean;
    demo: boolean;
    linked_at: string;
    disconnected_at: string | null;
  } | null;
}

export type Scenario = "steady_saas" | "seasonal_ecommerce" | "risky_merchant" | "early_stage";

export interface DemoDataAccepted {
  scenario: Scenario;
  account_id: string;
  history_until: string;
  progress: string;
}

export type RecommendationStatus = "open" | "done" | "dismissed";

export interface Recommendation {
  key: string;
  title: string;
  trigger: string | null;
  rank: number;
  status: RecommendationStatus;
  this_week: boolean;
  expected_gain: number;
  effort: "low" | "medium" | "high";
  takes_effect: string;
  article: string;
  unlocks: string[];
  as_of: string;
  status_changed_at: string | null;
}

export interface Gap {
  criterion: string;
  metric: string | null;
  have: number | string | null;
  need: number | string | null;
  gap: string;
}

export interface Offer {
  low: number;
  high: number;
  currency: string;
  basis: string;
  disclaimer: string;
}

export type FitStatus = "eligible" | "not_yet" | "not_a_fit";

export interface LenderProduct {
  key: string;
  lender: string;
  product: string;
  status: FitStatus;
  unmet: Gap[];
  to_confirm: string[];
  offer: Offer | null;
  offer_note: string;
  sources: string[];
  read_on: string;
}

export interface LenderFit {
  as_of: string;
  model_version: string;
  criteria_version: string;
  currency: string | null;
  products: LenderProduct[];
}

export type MetricRange = "30d" | "90d" | "6m" | "12m" | "24m" | "all";
export type Granularity = "monthly" | "daily";

export interface MetricSeries {
  metric: string;
  kind: "money" | "money_by_key" | "ratio" | "multiple" | "count" | "index" | "timestamp";
  granularity: Granularity;
  range: MetricRange;
  start: string | null;
  end: string | null;
  currency: string | null;
  points: { as_of: string; value: MetricValue; note: string | null }[];
}

export interface ConnectStart {
  authorize_url: string;
  expires_at: string;
}

// --- transport -----------------------------------------------------------------------------------

let accessToken: string | null = null;
let renewing: Promise<boolean> | null = null;

type Method = "GET" | "POST" | "PUT" | "PATCH" | "DELETE";

interface RequestOptions {
  body?: unknown;
  /** Send the bearer token and renew it on a 401 (default true). */
  auth?: boolean;
  signal?: AbortSignal;
}

async function send(method: Method, path: string, options: RequestOptions): Promise<Response> {
  const headers: Record<string, string> = { Accept: "application/json" };
  if (options.body !== undefined) headers["Content-Type"] = "application/json";
  if (options.auth !== false && accessToken) headers.Authorization = `Bearer ${accessToken}`;
  try {
    return await fetch(API_BASE + path, {
      method,
      headers,
      body: options.body === undefined ? undefined : JSON.stringify(options.body),
      credentials: "same-origin",
      cache: "no-store",
      signal: options.signal,
    });
  } catch (error) {
    if (error instanceof DOMException && error.name === "AbortError") throw error;
    throw new ApiError({
      status: 0,
      type: "network-error",
      title: "Network error",
      detail: "Vaultra could not be reached. Check your connection and try again.",
    });
  }
}

async function problemOf(response: Response): Promise<ApiError> {
  const retry = Number(response.headers.get("Retry-After"));
  const retryAfter = Number.isFinite(retry) && retry > 0 ? retry : null;
  let body: Record<string, unknown> = {};
  try {
    body = (await response.json()) as Record<string, unknown>;
  } catch {
    // not JSON (a proxy's page): fall back to the status
  }
  const text = (v: unknown) => (typeof v === "string" ? v : undefined);
  return new ApiError({
    status: response.status,
    type: text(body.type),
    title: text(body.title) ?? response.statusText,
    detail: text(body.detail),
    errors: Array.isArray(body.errors) ? (body.errors as FieldError[]) : [],
    retryAfter,
  });
}

async function parse<T>(response: Response): Promise<T> {
  if (response.status === 204) return undefined as T;
  const text = await response.text();
  return (text ? JSON.parse(text) : undefined) as T;
}

async function request<T>(method: Method, path: string, options: RequestOptions = {}): Promise<T> {
  let response = await send(method, path, options);
  if (response.status === 401 && options.auth !== false) {
    if (await renew()) response = await send(method, path, options);
    if (response.status === 401) {
      accessToken = null;
      sessionLost();
    }
  }
  if (!response.ok) throw await problemOf(response);
  return parse<T>(response);
}

// --- session -------------------------------------------------------------------------------------

const lostListeners = new Set<() => void>();

/** Called when the session cannot be renewed (the refresh cookie is gone, expired or revoked). */
export function onSessionLost(listener: () => void): () => void {
  lostListeners.add(listener);
  return () => lostListeners.delete(listener);
}

function sessionLost(): void {
  for (const listener of lostListeners) listener();
}

/**
 * A new access token from the refresh cookie. True when there is a session, false when there is
 * none (401). Concurrent callers share one request: a refresh token works once.
 */
export function renew(): Promise<boolean> {
  renewing ??= (async () => {
    try {
      const response = await send("POST", "/auth/refresh", { auth: false });
      if (response.status === 401) {
        accessToken = null;
        return false;
      }
      if (!response.ok) throw await problemOf(response);
      accessToken = (await parse<TokenOut>(response)).access_token;
      return true;
    } finally {
      renewing = null;
    }
  })();
  return renewing;
}

export function hasAccessToken(): boolean {
  return accessToken !== null;
}

// --- routes --------------------------------------------------------------------------------------

const enc = encodeURIComponent;
const biz = (id: string) => `/businesses/${enc(id)}`;

export const auth = {
  signup: (email: string, password: string) =>
    request<User>("POST", "/auth/signup", { body: { email, password }, auth: false }),

  async login(email: string, password: string): Promise<TokenOut> {
    const token = await request<TokenOut>("POST", "/auth/login", {
      body: { email, password },
      auth: false,
    });
    accessToken = token.access_token;
    return token;
  },

  async logout(): Promise<void> {
    await request<void>("POST", "/auth/logout", { auth: false });
    accessToken = null;
  },
};

export const api = {
  me: () => request<User>("GET", "/me"),

  businesses: (cursor?: string | null) =>
    request<Page<Business>>(
      "GET",
      `/businesses?limit=100${cursor ? `&cursor=${enc(cursor)}` : ""}`,
    ),

  createBusiness: (name: string) => request<Business>("POST", "/businesses", { body: { name } }),

  loadDemoData: (businessId: string, scenario: Scenario) =>
    request<DemoDataAccepted>("POST", `${biz(businessId)}/demo-data`, { body: { scenario } }),

  sync: (businessId: string, signal?: AbortSignal) =>
    request<SyncProgress>("GET", `${biz(businessId)}/stripe/sync`, { signal }),

  connectStripe: (businessId: string) =>
    request<ConnectStart>("POST", `${biz(businessId)}/stripe/connect`),

  summary: (businessId: string) => request<Summary>("GET", `${biz(businessId)}/summary`),

  recommendations: (businessId: string) =>
    request<{ items: Recommendation[] }>("GET", `${biz(businessId)}/recommendations`),

  setRecommendationStatus: (businessId: string, key: string, status: RecommendationStatus) =>
    request<Recommendation>(
      "PUT",
      `${biz(businessId)}/recommendations/${enc(key)}/status`,
      { body: { status } },
    ),

  lenderFit: (businessId: string) => request<LenderFit>("GET", `${biz(businessId)}/lender-fit`),

  metric: (
    businessId: string,
    metric: string,
    range: MetricRange = "12m",
    granularity: Granularity = "monthly",
  ) =>
    request<MetricSeries>(
      "GET",
      `${biz(businessId)}/metrics/${enc(metric)}?range=${range}&granularity=${granularity}`,
    ),
};
