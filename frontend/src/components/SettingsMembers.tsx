import { useRef, useState } from "preact/hooks";
import { api, type Business, type Invitation, type Member, type Role, type User } from "../lib/api";
import { dateTime } from "../lib/format";
import { useLoad } from "../lib/hooks";
import {
  CardError,
  CardLoading,
  ConfirmDialog,
  FeedbackRegions,
  OwnersOnly,
  ResendVerification,
  fieldErrorsOf,
  isKind,
  useFeedback,
} from "./SettingsParts";

const ROLES: { value: Role; label: string }[] = [
  { value: "viewer", label: "Viewer (reads)" },
  { value: "owner", label: "Owner (changes everything)" },
];

const roleName = (role: Role) => (role === "owner" ? "Owner" : "Viewer");
const aRole = (role: Role) => (role === "owner" ? "an owner" : "a viewer");

// --- members ------------------------------------------------------------------------------------

interface MembersProps {
  business: Business;
  me: User;
  onChanged: (business: Business) => void;
  onLeft: (business: Business) => void;
}

/** Who can see the business. Owners change roles and remove people; anyone may leave. */
export function MembersCard({ business, me, onChanged, onLeft }: MembersProps) {
  const { load, reload, set } = useLoad(
    () => api.members(business.id).then((page) => page.items),
    [business.id],
  );
  const [removing, setRemoving] = useState<Member | null>(null);
  // Stepping down to viewer is confirmed first: it takes away this very page's controls.
  const [steppingDown, setSteppingDown] = useState(false);
  const [saving, setSaving] = useState<string | null>(null);
  const feedback = useFeedback();
  const heading = useRef<HTMLHeadingElement>(null);
  const owner = business.role === "owner";
  const members = load.state === "ready" ? load.data : [];
  const self = members.find((m) => m.user_id === me.id) ?? null;

  /** Throws what the API refused, for the caller to show where it was asked. */
  async function saveRole(member: Member, role: Role) {
    const updated = await api.setMemberRole(business.id, member.user_id, role);
    set(members.map((m) => (m.user_id === updated.user_id ? updated : m)));
    feedback.ok(
      updated.user_id === me.id
        ? `You are now ${aRole(updated.role)} of ${business.name}.`
        : `${updated.email} is now ${aRole(updated.role)}.`,
    );
    if (updated.user_id === me.id) onChanged({ ...business, role: updated.role });
  }

  async function changeRole(member: Member, role: Role) {
    setSaving(member.user_id);
    feedback.clear();
    try {
      await saveRole(member, role);
    } catch (err) {
      feedback.fail(err);
    }
    setSaving(null);
  }

  async function remove(member: Member) {
    await api.removeMember(business.id, member.user_id);
    if (member.user_id === me.id) {
      onLeft(business);
      return;
    }
    set(members.filter((m) => m.user_id !== member.user_id));
    feedback.ok(`${member.email} no longer has access to ${business.name}.`);
  }

  function pickRole(member: Member, role: Role) {
    if (member.user_id === me.id && role === "viewer") setSteppingDown(true);
    else void changeRole(member, role);
  }

  const leaving = removing !== null && removing.user_id === me.id;

  return (
    <section class="card settings-card" aria-labelledby="members-title">
      <h3 id="members-title" ref={heading} tabIndex={-1}>
        Members
      </h3>
      <FeedbackRegions feedback={feedback} />
      {load.state === "loading" && <CardLoading what="the members" />}
      {load.state === "error" && <CardError what="The members" error={load.error} retry={reload} />}
      {load.state === "ready" && (
        <>
          <ul class="settings-list" aria-label={`Members of ${business.name}`}>
            {members.map((member) => (
              <MemberRow
                key={member.user_id}
                member={member}
                isMe={member.user_id === me.id}
                canManage={owner}
                saving={saving === member.user_id}
                onRole={(role) => pickRole(member, role)}
                onRemove={() => setRemoving(member)}
              />
            ))}
          </ul>
          {!owner && <OwnersOnly>Only owners can change roles or remove members.</OwnersOnly>}
          {self && (
            <div class="settings-actions">
              <button type="button" class="button quiet small" onClick={() => setRemoving(self)}>
                Leave this business…
              </button>
            </div>
          )}
        </>
      )}

      {removing && (
        <ConfirmDialog
          title={leaving ? `Leave ${business.name}?` : `Remove ${removing.email}?`}
          confirm={leaving ? "Leave business" : "Remove member"}
          busyLabel={leaving ? "Leaving…" : "Removing…"}
          danger
          onConfirm={() => remove(removing)}
          onClose={() => setRemoving(null)}
          fallbackFocus={heading}
        >
          <p>
            {leaving
              ? "You lose access to its dashboard, reports and settings. An owner can invite you again."
              : `${removing.email} loses access to ${business.name} at once. You can invite them again.`}
          </p>
        </ConfirmDialog>
      )}
      {steppingDown && self && (
        <ConfirmDialog
          title="Become a viewer?"
          confirm="Make me a viewer"
          busyLabel="Saving…"
          onConfirm={() => saveRole(self, "viewer")}
          onClose={() => setSteppingDown(false)}
          fallbackFocus={heading}
        >
          <p>You will no longer be able to change {business.name}'s settings. Another owner can make you an owner again.</p>
        </ConfirmDialog>
      )}
    </section>
  );
}

interface MemberRowProps {
  member: Member;
  isMe: boolean;
  canManage: boolean;
  saving: boolean;
  onRole: (role: Role) => void;
  onRemove: () => void;
}

function MemberRow({ member, isMe, canManage, saving, onRole, onRemove }: MemberRowProps) {
  const selectId = `role-${member.user_id}`;
  return (
    <li class="settings-item">
      <div class="settings-item-main">
        <p class="settings-item-title">
          <span class="break">{member.email}</span> {isMe && <span class="pill">You</span>}
        </p>
        <p class="muted small">Member since {dateTime(member.since)}</p>
      </div>
      <div class="settings-item-actions">
        {canManage ? (
          <div class="inline-field">
            <label class="visually-hidden" for={selectId}>
              Role of {member.email}
            </label>
            <select
              id={selectId}
              value={member.role}
              disabled={saving}
              aria-busy={saving}
              onChange={(e) => onRole((e.currentTarget as HTMLSelectElement).value as Role)}
            >
              {ROLES.map((r) => (
                <option key={r.value} value={r.value}>
                  {roleName(r.value)}
                </option>
              ))}
            </select>
          </div>
        ) : (
          <span class="pill">{roleName(member.role)}</span>
        )}
        {canManage && !isMe && (
          <button type="button" class="button quiet small" onClick={onRemove}>
            Remove<span class="visually-hidden"> {member.email}</span>
          </button>
        )}
      </div>
    </li>
  );
}

// --- invitations --------------------------------------------------------------------------------

interface InvitationsProps {
  business: Business;
  me: User;
  onVerified: () => void;
}

/** Pending invitations, and inviting someone by email (owners only). */
export function InvitationsCard(props: InvitationsProps) {
  if (props.business.role !== "owner") {
    return (
      <section class="card settings-card" aria-labelledby="invitations-title">
        <h3 id="invitations-title">Invitations</h3>
        <OwnersOnly>Only owners can invite people and see pending invitations.</OwnersOnly>
      </section>
    );
  }
  return <OwnerInvitations {...props} />;
}

function OwnerInvitations({ business, me, onVerified }: InvitationsProps) {
  const { load, reload, set } = useLoad(
    () => api.invitations(business.id).then((page) => page.items),
    [business.id],
  );
  const [revoking, setRevoking] = useState<string | null>(null);
  const feedback = useFeedback();
  const listHeading = useRef<HTMLHeadingElement>(null);
  const pending = load.state === "ready" ? load.data : [];

  async function revoke(invitation: Invitation) {
    setRevoking(invitation.id);
    feedback.clear();
    try {
      await api.revokeInvitation(business.id, invitation.id);
      set(pending.filter((i) => i.id !== invitation.id));
      feedback.ok(`The invitation for ${invitation.email} is revoked; its link no longer works.`);
      // The row and its button are gone: keep the keyboard in this list.
      listHeading.current?.focus();
    } catch (err) {
      feedback.fail(err);
    }
    setRevoking(null);
  }

  function invited(invitation: Invitation) {
    set([...pending.filter((i) => i.email !== invitation.email), invitation]);
  }

  return (
    <section class="card settings-card" aria-labelledby="invitations-title">
      <h3 id="invitations-title">Invitations</h3>
      <InviteForm business={business} me={me} onVerified={onVerified} onInvited={invited} />

      <h4 id="pending-title" ref={listHeading} tabIndex={-1}>
        Pending invitations
      </h4>
      <FeedbackRegions feedback={feedback} />
      {load.state === "loading" && <CardLoading what="the invitations" />}
      {load.state === "error" && <CardError what="The invitations" error={load.error} retry={reload} />}
      {load.state === "ready" &&
        (pending.length === 0 ? (
          <p class="muted">No pending invitations.</p>
        ) : (
          <ul class="settings-list" aria-labelledby="pending-title">
            {pending.map((invitation) => (
              <li key={invitation.id} class="settings-item">
                <div class="settings-item-main">
                  <p class="settings-item-title">
                    <span class="break">{invitation.email}</span>{" "}
                    <span class="pill">{roleName(invitation.role)}</span>
                  </p>
                  <ul class="facts muted">
                    <li>Sent {dateTime(invitation.created_at)}</li>
                    <li>Link expires {dateTime(invitation.expires_at)}</li>
                  </ul>
                </div>
                <button
                  type="button"
                  class="button quiet small"
                  onClick={() => revoke(invitation)}
                  disabled={revoking === invitation.id}
                  aria-busy={revoking === invitation.id}
                >
                  {revoking === invitation.id ? "Revoking…" : "Revoke"}
                  <span class="visually-hidden"> the invitation for {invitation.email}</span>
                </button>
              </li>
            ))}
          </ul>
        ))}
    </section>
  );
}

interface InviteFormProps extends InvitationsProps {
  onInvited: (invitation: Invitation) => void;
}

function InviteForm({ business, me, onVerified, onInvited }: InviteFormProps) {
  const [email, setEmail] = useState("");
  const [role, setRole] = useState<Role>("viewer");
  const [busy, setBusy] = useState(false);
  const [fieldError, setFieldError] = useState("");
  // The API said the address is unverified: offer the link again right where it was refused.
  const [needsVerification, setNeedsVerification] = useState(false);
  const feedback = useFeedback();

  async function submit(event: Event) {
    event.preventDefault();
    setBusy(true);
    setFieldError("");
    setNeedsVerification(false);
    feedback.clear();
    try {
      const invitation = await api.invite(business.id, email.trim(), role);
      onInvited(invitation);
      setEmail("");
      feedback.ok(`Invitation sent to ${invitation.email}. The link works for 7 days.`);
    } catch (err) {
      setNeedsVerification(isKind(err, "email-not-verified"));
      setFieldError(fieldErrorsOf(err).email ?? "");
      feedback.fail(err);
    }
    setBusy(false);
  }

  return (
    <form class="settings-form" onSubmit={submit}>
      <p class="muted">
        We email them a link that works for 7 days. They join once they sign in with that address.
        {!me.email_verified && " You need a verified email address of your own to invite people."}
      </p>
      <div class="field-row">
        <div class="field">
          <label for="invite-email">Email address to invite</label>
          <input
            id="invite-email"
            type="email"
            inputMode="email"
            autocomplete="off"
            spellcheck={false}
            required
            maxLength={320}
            value={email}
            aria-invalid={fieldError ? "true" : undefined}
            aria-describedby={fieldError ? "invite-email-error" : undefined}
            onInput={(e) => setEmail((e.currentTarget as HTMLInputElement).value)}
          />
          {fieldError && (
            <p id="invite-email-error" class="field-error">
              {fieldError}
            </p>
          )}
        </div>
        <div class="field field-role">
          <label for="invite-role">Role</label>
          <select
            id="invite-role"
            value={role}
            onChange={(e) => setRole((e.currentTarget as HTMLSelectElement).value as Role)}
          >
            {ROLES.map((r) => (
              <option key={r.value} value={r.value}>
                {r.label}
              </option>
            ))}
          </select>
        </div>
      </div>
      <FeedbackRegions feedback={feedback} />
      {needsVerification && <ResendVerification me={me} onVerified={onVerified} />}
      <div>
        <button type="submit" class="button secondary" disabled={busy} aria-busy={busy}>
          {busy ? "Sending…" : "Send invitation"}
        </button>
      </div>
    </form>
  );
}
