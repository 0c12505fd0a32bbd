import { useState } from "preact/hooks";
import { auth, messageOf } from "../lib/api";

/** "Sign out": ends the session (its refresh tokens are revoked), then the landing page. */
export default function SignOut() {
  const [signingOut, setSigningOut] = useState(false);
  const [error, setError] = useState("");

  async function signOut() {
    setSigningOut(true);
    setError("");
    try {
      await auth.logout();
      window.location.assign("/");
    } catch (err) {
      setError(messageOf(err));
      setSigningOut(false);
    }
  }

  return (
    <>
      <button
        type="button"
        class="button secondary small"
        onClick={signOut}
        disabled={signingOut}
        aria-busy={signingOut}
      >
        {signingOut ? "Signing out…" : "Sign out"}
      </button>
      <span role="alert" class="sign-out-error">
        {error && <span class="alert">{error}</span>}
      </span>
    </>
  );
}
