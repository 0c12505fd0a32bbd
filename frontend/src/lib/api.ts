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
  /** The criterion as a person reads it ("monthly growth"). */
  label: string;
  status: "scored" | "no_data";
  metric: string | null;
  value: number | null;
  /** Set when too few events stand behind a ratio for the lines it crossed: the value scored. */
  counted_as?: number | null;
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
  /** When Stripe was last heard from (a webhook, a completed import): the score's freshness. */
  last_synced_at?: string | null;
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
  kind:
    | "money"
    | "money_by_key"
    | "rate_by_key"
    | "ratio"
    | "multiple"
    | "count"
    | "index"
    | "timestamp";
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

export interface StripeConnected {
  account_id: string;
  livemode: boolean;
}

export interface ScoreHistory {
  model_version: string;
  points: { as_of: string; score: number; confidence: Confidence }[];
}

// what-if

/** One change: exactly one of `set`, `change_by` or `change_by_percent`. */
export interface Change {
  metric: string;
  set?: number | string;
  change_by?: number | string;
  change_by_percent?: number | string;
}

export interface WhatIf {
  as_of: string;
  model_version: string;
  currency: string | null;
  score_before: number;
  score_after: number;
  score_change: number;
  confidence_before: Confidence;
  confidence_after: Confidence;
  components: {
    key: string;
    title: string;
    points_before: number;
    points_after: number;
    max_points: number;
    explanation: string;
  }[];
  lender_fit: {
    key: string;
    lender: string;
    product: string;
    status_before: FitStatus;
    status_after: FitStatus;
    unmet: Gap[];
    offer: Offer | null;
  }[];
  inputs_changed: { metric: string; before: MetricValue; after: MetricValue }[];
  saved: false;
}

// notifications

export interface Notification {
  id: string;
  kind:
    | "score_drop"
    | "dispute_early_warning"
    | "dispute_vamp"
    | "payout_failed"
    | "stale_data"
    | "stripe_access_revoked";
  severity: "info" | "warning" | "critical";
  as_of: string;
  title: string;
  body: string;
  data: Record<string, unknown>;
  created_at: string;
  read_at: string | null;
}

export interface NotificationsPage extends Page<Notification> {
  unread: number;
}

// reports and sharing

export interface Period {
  start: string;
  end: string;
}

export interface Report {
  id: string;
  business_id: string;
  as_of: string;
  score: number;
  period: Period;
  data_through: string | null;
  model_version: string;
  created_at: string;
}

export interface ReportDetail extends Report {
  summary: Record<string, unknown>;
  downloads: { pdf_url: string; csv_url: string; expires_at: string };
}

export type ShareStatus = "active" | "expired" | "revoked";

export interface ShareLink {
  id: string;
  report_id: string;
  label: string;
  status: ShareStatus;
  created_at: string;
  expires_at: string;
  revoked_at: string | null;
  views: number;
  last_viewed_at: string | null;
}

export interface ShareLinkCreated extends ShareLink {
  token: string;
  url: string;
  summary_url: string;
  pdf_url: string;
  csv_url: string;
}

export interface ShareView {
  id: string;
  viewed_at: string;
  ip: string | null;
  user_agent: string | null;
  what: "summary" | "pdf" | "csv";
}

export interface ReportSummary {
  business_name: string;
  as_of: string;
  period: Period;
  data_through: string | null;
  /** When Stripe was last heard from, as of the report's day (absent from older reports). */
  last_synced_at?: string | null;
  currency: string | null;
  score: number;
  confidence: string;
  components: { key: string; title: string; points: number; max_points: number; explanation: string }[];
  lender_fit: { lender: string; product: string; status: FitStatus; gaps: unknown[]; offer: unknown }[];
  versions: Record<string, string>;
  disclaimer: string;
  offer_disclaimer: string;
}

export interface SharedReport {
  label: string;
  expires_at: string;
  report_id: string;
  created_at: string;
  summary: ReportSummary;
  pdf_path: string;
  csv_path: string;
}

// members, invitations, tokens

export interface Member {
  user_id: string;
  email: string;
  role: Role;
  since: string;
}

export interface Invitation {
  id: string;
  email: string;
  role: Role;
  created_at: string;
  expires_at: string;
}

export interface PersonalToken {
  id: string;
  name: string;
  prefix: string;
  scope: "read";
  created_at: string;
  expires_at: string;
  last_used_at: string | null;
}

export interface PersonalTokenCreated extends PersonalToken {
  token: string;
}

// the agent's chat

export interface Citation {
  kind: "tool" | "article";
  ref: string;
}

export interface ToolCall {
  name: string;
  arguments: Record<string, unknown>;
}

export type ChatEvent =
  | { type: "delta"; text: string }
  | { type: "tool"; name: string; arguments: Record<string, unknown> }
  | { type: "regenerating"; unverified: string[] }
  | {
      type: "done";
      answer: string;
      conversation_id: string;
      tool_calls: ToolCall[];
      citations: Citation[];
      unverified: string[];
    }
  | { type: "error"; message: string };

export interface Conversation {
  id: string;
  title: string;
  created_at: string;
  updated_at: string;
  messages: number;
}

export interface ChatMessage {
  id: string;
  role: "user" | "assistant";
  content: string;
  tool_calls: ToolCall[];
  citations: Citation[];
  unverified: string[];
  created_at: string;
}

export interface ConversationDetail extends Conversation {
  items: ChatMessage[];
}

export interface KnowledgeArticle {
  id: string;
  title: string;
  updated: string;
  sources: string[];
  sections: { heading: string | null; body: string }[];
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
  /** What to accept (default JSON; the chat asks for an event stream). */
  accept?: string;
}

async function send(method: Method, path: string, options: RequestOptions): Promise<Response> {
  const headers: Record<string, string> = { Accept: options.accept ?? "application/json" };
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

/** The response to a call, renewing the access token once on a 401; a problem is thrown. */
async function respond(method: Method, path: string, options: RequestOptions): Promise<Response> {
  let response = await send(method, path, options);
  if (response.status === 401 && options.auth !== false) {
    if (await renew()) response = await send(method, path, options);
    if (response.status === 401) {
      accessToken = null;
      sessionLost();
    }
  }
  if (!response.ok) throw await problemOf(response);
  return response;
}

async function request<T>(method: Method, path: string, options: RequestOptions = {}): Promise<T> {
  return parse<T>(await respond(method, path, options));
}

/**
 * Server-sent events of a response, one parsed `data:` payload at a time. Chunks may split an
 * event anywhere, so text is buffered up to each blank line (the event's end).
 */
async function* events<T>(response: Response): AsyncGenerator<T> {
  if (!response.body) return;
  const reader = response.body.pipeThrough(new TextDecoderStream()).getReader();
  let buffer = "";
  for (;;) {
    const { value, done } = await reader.read();
    if (done) break;
    buffer += value.replace(/\r\n?/g, "\n");
    let end: number;
    while ((end = buffer.indexOf("\n\n")) >= 0) {
      const block = buffer.slice(0, end);
      buffer = buffer.slice(end + 2);
      const data = block
        .split("\n")
        .filter((line) => line.startsWith("data:"))
        .map((line) => line.slice(5).replace(/^ /, ""))
        .join("\n");
      if (data) yield JSON.parse(data) as T;
    }
  }
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
 * none (401). A refresh token works once: concurrent callers of a page share one request, and
 * the pages of this site renew one at a time (a Web Lock shared by every tab), so a tab sends the
 * cookie the tab before it was given. Without Web Locks, the server forgives a retry of the token
 * used last, for a few seconds.
 */
export function renew(): Promise<boolean> {
  renewing ??= (async () => {
    try {
      return await oneTabAtATime(async () => {
        const response = await send("POST", "/auth/refresh", { auth: false });
        if (response.status === 401) {
          accessToken = null;
          return false;
        }
        if (!response.ok) throw await problemOf(response);
        accessToken = (await parse<TokenOut>(response)).access_token;
        return true;
      });
    } finally {
      renewing = null;
    }
  })();
  return renewing;
}

const RENEWAL_LOCK = "vaultra-session-renewal";

async function oneTabAtATime<T>(renewal: () => Promise<T>): Promise<T> {
  if (!navigator.locks) return renewal(); // an older browser, or an insecure origin
  return await navigator.locks.request(RENEWAL_LOCK, renewal);
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

  /** Always accepted (202), whether or not the address has an account. */
  requestPasswordReset: (email: string) =>
    request<void>("POST", "/auth/password-reset", { body: { email }, auth: false }),

  confirmPasswordReset: (token: string, newPassword: string) =>
    request<void>("POST", "/auth/password-reset/confirm", {
      body: { token, new_password: newPassword },
      auth: false,
    }),

  verifyEmail: (token: string) =>
    request<User>("POST", "/auth/verify-email", { body: { token }, auth: false }),
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

  scoreHistory: (businessId: string) =>
    request<ScoreHistory>("GET", `${biz(businessId)}/score-history`),

  whatIf: (businessId: string, changes: Change[], signal?: AbortSignal) =>
    request<WhatIf>("POST", `${biz(businessId)}/what-if`, { body: { changes }, signal }),

  // notifications

  notifications: (businessId: string, cursor?: string | null) =>
    request<NotificationsPage>(
      "GET",
      `${biz(businessId)}/notifications?limit=20${cursor ? `&cursor=${enc(cursor)}` : ""}`,
    ),

  markNotificationRead: (businessId: string, id: string) =>
    request<Notification>("POST", `${biz(businessId)}/notifications/${enc(id)}/read`),

  markAllNotificationsRead: (businessId: string) =>
    request<{ marked: number }>("POST", `${biz(businessId)}/notifications/read-all`),

  // reports and sharing

  createReport: (businessId: string) =>
    request<ReportDetail>("POST", `${biz(businessId)}/reports`),

  reports: (businessId: string) =>
    request<Page<Report>>("GET", `${biz(businessId)}/reports?limit=20`),

  report: (businessId: string, reportId: string) =>
    request<ReportDetail>("GET", `${biz(businessId)}/reports/${enc(reportId)}`),

  shareReport: (businessId: string, reportId: string, label: string, expiresInDays: number) =>
    request<ShareLinkCreated>("POST", `${biz(businessId)}/reports/${enc(reportId)}/share`, {
      body: { label, expires_in_days: expiresInDays },
    }),

  shares: (businessId: string, reportId?: string) =>
    request<Page<ShareLink>>(
      "GET",
      `${biz(businessId)}/shares?limit=50${reportId ? `&report_id=${enc(reportId)}` : ""}`,
    ),

  shareViews: (businessId: string, shareId: string) =>
    request<Page<ShareView>>("GET", `${biz(businessId)}/shares/${enc(shareId)}/views?limit=20`),

  revokeShare: (businessId: string, shareId: string) =>
    request<ShareLink>("POST", `${biz(businessId)}/shares/${enc(shareId)}/revoke`),

  /** What a lender's link shows (public: the token is the credential). */
  shared: (token: string) => request<SharedReport>("GET", `/shared/${enc(token)}`, { auth: false }),

  // the agent

  /**
   * Asks the agent; yields its events as they stream. Refusals (404, 422, 429, 403) are thrown
   * as `ApiError` before the first event; a model that fails mid-answer ends with an `error` event.
   */
  async *chat(
    businessId: string,
    message: string,
    conversationId: string | null,
    signal?: AbortSignal,
  ): AsyncGenerator<ChatEvent> {
    const response = await respond("POST", `${biz(businessId)}/chat`, {
      body: { message, conversation_id: conversationId },
      accept: "text/event-stream",
      signal,
    });
    yield* events<ChatEvent>(response);
  },

  conversations: (businessId: string) =>
    request<Page<Conversation>>("GET", `${biz(businessId)}/conversations?limit=20`),

  conversation: (businessId: string, conversationId: string) =>
    request<ConversationDetail>("GET", `${biz(businessId)}/conversations/${enc(conversationId)}`),

  deleteConversation: (businessId: string, conversationId: string) =>
    request<void>("DELETE", `${biz(businessId)}/conversations/${enc(conversationId)}`),

  /** A knowledge-base article the agent cited (Vaultra's own writing, not tenant data). */
  article: (articleId: string) =>
    request<KnowledgeArticle>("GET", `/knowledge/articles/${enc(articleId)}`),

  // settings: the business, its members, its Stripe connection

  renameBusiness: (businessId: string, name: string) =>
    request<Business>("PATCH", biz(businessId), { body: { name } }),

  deleteBusiness: (businessId: string) => request<void>("DELETE", biz(businessId)),

  members: (businessId: string) =>
    request<Page<Member>>("GET", `${biz(businessId)}/members?limit=100`),

  setMemberRole: (businessId: string, userId: string, role: Role) =>
    request<Member>("PATCH", `${biz(businessId)}/members/${enc(userId)}`, { body: { role } }),

  removeMember: (businessId: string, userId: string) =>
    request<void>("DELETE", `${biz(businessId)}/members/${enc(userId)}`),

  invitations: (businessId: string) =>
    request<Page<Invitation>>("GET", `${biz(businessId)}/invitations?limit=100`),

  invite: (businessId: string, email: string, role: Role) =>
    request<Invitation>("POST", `${biz(businessId)}/invitations`, { body: { email, role } }),

  revokeInvitation: (businessId: string, invitationId: string) =>
    request<void>("DELETE", `${biz(businessId)}/invitations/${enc(invitationId)}`),

  acceptInvitation: (token: string) =>
    request<Business>("POST", "/invitations/accept", { body: { token } }),

  connectRestrictedKey: (businessId: string, key: string) =>
    request<StripeConnected>("POST", `${biz(businessId)}/stripe/restricted-key`, { body: { key } }),

  disconnectStripe: (businessId: string) => request<void>("DELETE", `${biz(businessId)}/stripe`),

  // the account: tokens, password, export, deletion

  tokens: () => request<Page<PersonalToken>>("GET", "/tokens?limit=100"),

  createToken: (name: string, expiresInDays: number) =>
    request<PersonalTokenCreated>("POST", "/tokens", {
      body: { name, expires_in_days: expiresInDays },
    }),

  revokeToken: (tokenId: string) => request<void>("DELETE", `/tokens/${enc(tokenId)}`),

  async changePassword(currentPassword: string, newPassword: string): Promise<TokenOut> {
    const token = await request<TokenOut>("POST", "/me/password", {
      body: { current_password: currentPassword, new_password: newPassword },
    });
    accessToken = token.access_token;
    return token;
  },

  resendVerification: () => request<void>("POST", "/auth/verify-email/resend"),

  /** The caller's data as a ZIP (a Blob to save). */
  async exportMyData(): Promise<Blob> {
    return (await respond("GET", "/me/export", { accept: "application/zip" })).blob();
  },

  async deleteAccount(password: string): Promise<void> {
    await request<void>("DELETE", "/me", { body: { password } });
    accessToken = null;
  },
};
