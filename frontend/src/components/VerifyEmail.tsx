import { useEffect, useState } from "preact/hooks";
import { auth, messageOf, type User } from "../lib/api";
import { useLinkToken } from "../lib/linkToken";
import { Checking, StateHeading, isInvalidToken } from "./LinkPage";

type State =
  | { kind: "verifying" }
  | { kind: "verified"; user: User }
  | { kind: "invalid" }
  | { kind: "failed"; message: string };

/**
 * The page a verification mail links to: it confirms the address as it opens. No session is
 * needed, since the link may be opened on another device than the one signed in.
 */
export default function VerifyEmail() {
  const token = useLinkToken();
  const [state, setState] = useState<State>({ kind: "verifying" });

  async function verify(linkToken: string) {
    setState({ kind: "verifying" });
    try {
      setState({ kind: "verified", user: await auth.verifyEmail(linkToken) });
    } catch (err) {
      const invalid = isInvalidToken(err);
      setState(invalid ? { kind: "invalid" } : { kind: "failed", message: messageOf(err) });
    }
  }

  useEffect(() => {
    if (token) verify(token);
  }, [token]);

  if (token === null) return <MissingLink />;
  if (token === undefined || state.kind === "verifying") {
    return (
      <>
        <StateHeading key="verifying" id="verify-title" focus={false}>
          Confirming your email address
        </StateHeading>
        <Checking what="One moment" />
      </>
    );
  }
  if (state.kind === "verified") return <Verified user={state.user} />;
  if (state.kind === "invalid") return <InvalidLink />;
  return (
    <>
      <StateHeading key="failed" id="verify-title">
        Your address is not confirmed yet
      </StateHeading>
      <p role="alert" class="alert">
        {state.message}
      </p>
      <button type="button" class="button" onClick={() => verify(token)}>
        Try again
      </button>
    </>
  );
}

function Verified({ user }: { user: User }) {
  return (
    <>
      <StateHeading id="verify-title">Email address confirmed</StateHeading>
      <p>
        Thank you: <strong>{user.email}</strong> is confirmed. You can now connect Stripe, invite
        members and share reports with lenders.
      </p>
      <p>
        <a class="button" href="/app">
          Go to your dashboard
        </a>
      </p>
    </>
  );
}

function InvalidLink() {
  return (
    <>
      <StateHeading id="verify-title">This link no longer works</StateHeading>
      <p>
        A confirmation link works once, for 24 hours, and only the newest one we sent works. If you
        have confirmed your address already, there is nothing more to do; if not, ask for a new link
        in your settings.
      </p>
      <p>
        <a class="button" href="/settings">
          Open your settings
        </a>
      </p>
    </>
  );
}

function MissingLink() {
  return (
    <>
      <StateHeading id="verify-title">Open the link from your email</StateHeading>
      <p>
        This page confirms your address with the link we mailed you, and that link is not here.
        Open it again from the email: the page forgets it once it has read it.
      </p>
    </>
  );
}
