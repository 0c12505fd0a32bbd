import { useEffect, useState } from "preact/hooks";
import { ApiError, api, auth, messageOf, renew, type Business } from "../lib/api";
import { useLinkToken } from "../lib/linkToken";
import { Checking, StateHeading, isInvalidToken } from "./LinkPage";

type State =
  | { kind: "checking" }
  | { kind: "signed-out" }
  | { kind: "confirm"; email: string }
  | { kind: "joined"; business: Business }
  | { kind: "invalid" }
  | { kind: "another-address"; email: string }
  | { kind: "failed"; message: string };

/**
 * The page an invitation mail links to. An invitation is accepted by the account of the address
 * it was sent to, so the page needs a session, and asks before it joins: the person sees which
 * account they are about to join with.
 */
export default function AcceptInvitation() {
  const token = useLinkToken();
  const [state, setState] = useState<State>({ kind: "checking" });

  async function checkSession() {
    setState({ kind: "checking" });
    try {
      if (!(await renew())) {
        setState({ kind: "signed-out" });
        return;
      }
      setState({ kind: "confirm", email: (await api.me()).email });
    } catch (err) {
      setState({ kind: "failed", message: messageOf(err) });
    }
  }

  useEffect(() => {
    if (token) checkSession();
  }, [token]);

  if (token === null) return <MissingLink />;
  if (token === undefined || state.kind === "checking") {
    return (
      <>
        <StateHeading key="checking" id="invite-title" focus={false}>
          Accept an invitation
        </StateHeading>
        <Checking what="Checking whether you are logged in" />
      </>
    );
  }
  switch (state.kind) {
    case "signed-out":
      return <SignInFirst />;
    case "confirm":
      return <Confirm token={token} email={state.email} onDone={setState} />;
    case "joined":
      return <Joined business={state.business} />;
    case "invalid":
      return <InvalidInvitation />;
    case "another-address":
      return (
        <AnotherAddress email={state.email} onSignedOut={() => setState({ kind: "signed-out" })} />
      );
    case "failed":
      return (
        <>
          <StateHeading key="failed" id="invite-title">
            The invitation could not be checked
          </StateHeading>
          <p role="alert" class="alert">
            {state.message}
          </p>
          <button type="button" class="button" onClick={checkSession}>
            Try again
          </button>
        </>
      );
  }
}

function Confirm({
  token,
  email,
  onDone,
}: {
  token: string;
  email: string;
  onDone: (state: State) => void;
}) {
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState("");

  async function accept() {
    setBusy(true);
    setError("");
    try {
      onDone({ kind: "joined", business: await api.acceptInvitation(token) });
      return;
    } catch (err) {
      if (isInvalidToken(err)) return onDone({ kind: "invalid" });
      if (err instanceof ApiError && err.kind === "invitation-for-another-address") {
        return onDone({ kind: "another-address", email });
      }
      setError(messageOf(err));
    }
    setBusy(false);
  }

  return (
    <>
      <StateHeading id="invite-title">Accept the invitation</StateHeading>
      <p>
        You are logged in as <strong>{email}</strong>. Accept with this account if the invitation
        was sent to this address.
      </p>
      <div role="alert">{error && <p class="alert">{error}</p>}</div>
      <button type="button" class="button" onClick={accept} disabled={busy} aria-busy={busy}>
        {busy ? "Accepting…" : "Accept invitation"}
      </button>
    </>
  );
}

function Joined({ business }: { business: Business }) {
  const role =
    business.role === "owner"
      ? "an owner: you can do everything the person who invited you can"
      : "a viewer: you can see the score, lender fit and plan, and change nothing";
  return (
    <>
      <StateHeading id="invite-title">You have joined {business.name}</StateHeading>
      <p>You are {role}.</p>
      <p>
        <a class="button" href={`/app?business=${encodeURIComponent(business.id)}`}>
          Open {business.name}
        </a>
      </p>
    </>
  );
}

function SignInFirst() {
  return (
    <>
      <StateHeading id="invite-title">Log in to accept the invitation</StateHeading>
      <p>
        An invitation is accepted by the account of the address it was sent to. Log in with that
        address, or sign up with it if you have no account yet.
      </p>
      <p>
        Then open the link in the invitation email again: for your security, this page does not
        keep the link.
      </p>
      <p class="link-actions">
        <a class="button" href="/login">
          Log in
        </a>
        <a class="button secondary" href="/signup">
          Sign up
        </a>
      </p>
    </>
  );
}

function AnotherAddress({ email, onSignedOut }: { email: string; onSignedOut: () => void }) {
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState("");

  async function signOut() {
    setBusy(true);
    setError("");
    try {
      await auth.logout();
      onSignedOut();
      return;
    } catch (err) {
      setError(messageOf(err));
    }
    setBusy(false);
  }

  return (
    <>
      <StateHeading id="invite-title">This invitation is for another address</StateHeading>
      <p>
        You are logged in as <strong>{email}</strong>, and the invitation was sent to a different
        address. It still works: log out, log in with the address it was sent to, then open the
        link in the email again.
      </p>
      <div role="alert">{error && <p class="alert">{error}</p>}</div>
      <button type="button" class="button" onClick={signOut} disabled={busy} aria-busy={busy}>
        {busy ? "Logging out…" : "Log out"}
      </button>
    </>
  );
}

function InvalidInvitation() {
  return (
    <>
      <StateHeading id="invite-title">This invitation no longer works</StateHeading>
      <p>
        It was used already, revoked, replaced by a newer invitation, or it expired (an invitation
        lasts 7 days). Ask the person who invited you to send a new one.
      </p>
      <p>
        <a class="button" href="/app">
          Go to your dashboard
        </a>
      </p>
    </>
  );
}

function MissingLink() {
  return (
    <>
      <StateHeading id="invite-title">Open the link from your invitation</StateHeading>
      <p>
        This page accepts an invitation with the link in the invitation email, and that link is not
        here. Open it again from the email: the page forgets it once it has read it.
      </p>
    </>
  );
}
