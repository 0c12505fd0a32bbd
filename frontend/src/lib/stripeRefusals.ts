/**
 * What a founder can do about each way connecting Stripe can be refused, by the problem's kind:
 * the API's problem types (`…/already-connected`) and the OAuth callback's `?connect_error=`
 * kinds share their names, so the dashboard and the settings say the same thing.
 */
export const STRIPE_REFUSALS: Record<string, string> = {
  "access-denied": "Stripe access was not granted, so nothing was connected.",
  "scope-not-read-only": "Stripe granted more than read-only access, so Vaultra refused it.",
  "state-expired": "The connection took too long. Please try again.",
  "already-connected": "This business is already connected to Stripe.",
  "business-holds-other-data":
    "This business already holds other data (another account, or demo data). Create a new business to connect this account.",
  "account-linked-elsewhere": "That Stripe account is already linked to another business.",
  "connect-not-configured":
    "Connecting through Stripe's sign-in is not available here. Paste a restricted key instead.",
  "not-a-restricted-key":
    "That is not a restricted key. Paste a key that starts with rk_live_ or rk_test_ — never a secret key.",
  "stripe-key-refused": "Stripe refused this key. Check that it is active and was copied whole.",
  "stripe-unavailable": "Stripe could not be reached. Please try again in a moment.",
};
