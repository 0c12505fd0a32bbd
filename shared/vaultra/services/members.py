"""The members of a business — owners and viewers — and invitations by email.

An owner invites an address with a role (their own address verified first); the invitation's
single-use token (7 days, stored hashed) is mailed, and the signed-in user whose address it is
accepts it. Owners change roles and remove members; any member may leave. A business always keeps
an owner: the last one can be neither demoted nor removed (changes of ownership are serialized on
the business's row, so two owners demoting each other at once cannot both succeed).
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from datetime import UTC, datetime

from vaultra.db.invitations import InvitationRow
from vaultra.db.memberships import Member, MemberBusiness
from vaultra.db.unit_of_work import Database
from vaultra.services.accounts import normalize_email
from vaultra.services.auth_tokens import new_secret, secret_hash
from vaultra.services.email_verification import EmailVerification
from vaultra.services.mail import Mail, Mailer, deliver
from vaultra.services.mailed_tokens import (
    INVITATION_PREFIX,
    INVITATION_TTL,
    InvalidMailedToken,
    link,
)
from vaultra.services.tenancy import MAX_PAGE, Access, NotFound, Role

ROLES: tuple[Role, ...] = ("owner", "viewer")
MAX_PENDING = 50  # per business: a bound on the mail one owner can make us send


class AlreadyMember(ValueError):
    pass


class LastOwner(ValueError):
    """The business would be left without an owner."""


class TooManyInvitations(ValueError):
    pass


class InvitationForAnotherAddress(PermissionError):
    """The invitation names another address than the signed-in user's."""


def _role(role: str) -> Role:
    if role not in ROLES:
        raise ValueError(f"the role must be one of {', '.join(ROLES)}")
    return role


class Members:
    def __init__(
        self,
        db: Database,
        mailer: Mailer,
        verification: EmailVerification,
        *,
        public_url: str,
        clock: Callable[[], datetime] = lambda: datetime.now(UTC),
    ) -> None:
        self._db = db
        self._mailer = mailer
        self._verification = verification
        self._public_url = public_url
        self._clock = clock

    def of_business(
        self, access: Access, *, after: tuple[datetime, uuid.UUID] | None, limit: int
    ) -> list[Member]:
        """Every member may see who else is one."""
        with self._db.snapshot() as uow:
            return uow.members.of_business(
                access.business_id, after=after, limit=min(limit, MAX_PAGE + 1)
            )

    def invite(
        self, access: Access, email: str, role: str, *, ip: str | None = None
    ) -> InvitationRow:
        access.require_owner()
        self._verification.require_verified(access.user_id)
        email, role = normalize_email(email), _role(role)
        token = new_secret(INVITATION_PREFIX)
        now = self._clock()
        with self._db.transaction() as uow:
            if uow.members.has_email(access.business_id, email):
                raise AlreadyMember("this address is already a member of the business")
            if uow.invitations.count_pending(access.business_id, now=now) >= MAX_PENDING:
                raise TooManyInvitations(
                    f"at most {MAX_PENDING} invitations may be pending; revoke some first"
                )
            invitation = uow.invitations.create(
                access.business_id,
                email,
                role,
                secret_hash(token),
                invited_by=access.user_id,
                now=now,
                expires_at=now + INVITATION_TTL,
            )
            uow.audit.record(
                "member.invited",
                user_id=access.user_id,
                business_id=access.business_id,
                ip=ip,
                detail={"invitation_id": str(invitation.id), "role": role},
            )
            [business] = uow.memberships.businesses_of(
                access.user_id, only=access.business_id, limit=1
            )
            inviter = uow.users.by_id(access.user_id)
        url = link(self._public_url, "accept-invitation", token)
        by = inviter.email if inviter else "An owner"
        deliver(
            self._mailer,
            Mail(
                to=email,
                subject=f"You are invited to {business.name} on Vaultra",
                body=(
                    f"{by} invites you to see {business.name}'s funding readiness on Vaultra as "
                    f"{'an owner' if role == 'owner' else 'a viewer'}.\n\nSign in (or sign up) "
                    f"with this address, then open:\n\n{url}\n\nThe link works once, for 7 days.\n"
                ),
                link=url,
            ),
        )
        return invitation

    def invitations(
        self, access: Access, *, after: tuple[datetime, uuid.UUID] | None, limit: int
    ) -> list[InvitationRow]:
        """Pending invitations (their addresses are the owners' to see)."""
        access.require_owner()
        with self._db.snapshot() as uow:
            return uow.invitations.pending_of(
                access.business_id, now=self._clock(), after=after, limit=min(limit, MAX_PAGE + 1)
            )

    def revoke_invitation(
        self, access: Access, invitation_id: uuid.UUID, *, ip: str | None = None
    ) -> None:
        access.require_owner()
        with self._db.transaction() as uow:
            if not uow.invitations.revoke(access.business_id, invitation_id, now=self._clock()):
                raise NotFound("no such invitation")
            uow.audit.record(
                "invitation.revoked",
                user_id=access.user_id,
                business_id=access.business_id,
                ip=ip,
                detail={"invitation_id": str(invitation_id)},
            )

    def accept(self, user_id: uuid.UUID, token: str, *, ip: str | None = None) -> MemberBusiness:
        """Join the business the invitation names, if it names the user's own address (the
        invitation is then used up; otherwise it is left as it was)."""
        now = self._clock()
        with self._db.transaction() as uow:
            invitation = uow.invitations.pending_for_update(secret_hash(token), now=now)
            if invitation is None:
                raise InvalidMailedToken("the invitation is invalid, used, revoked or expired")
            user = uow.users.by_id(user_id)
            if user is None or user.email != invitation.email:
                raise InvitationForAnotherAddress(
                    "this invitation is for another email address: sign in with that one"
                )
            joined = uow.members.join(invitation.business_id, user.id, invitation.role)
            uow.invitations.accept(invitation.id, now=now)
            uow.audit.record(
                "member.joined" if joined else "invitation.accepted_as_member",
                user_id=user.id,
                business_id=invitation.business_id,
                ip=ip,
                detail={"invitation_id": str(invitation.id), "role": invitation.role},
            )
            [business] = uow.memberships.businesses_of(
                user.id, only=invitation.business_id, limit=1
            )
        return business

    def change_role(
        self, access: Access, member_id: uuid.UUID, role: str, *, ip: str | None = None
    ) -> Member:
        access.require_owner()
        role = _role(role)
        with self._db.transaction() as uow:
            uow.members.lock_business(access.business_id)
            member = self._member(uow.members.of_business(access.business_id, only=member_id))
            if member.role != role:
                if member.role == "owner" and uow.members.owner_count(access.business_id) <= 1:
                    raise LastOwner("the business's last owner cannot be demoted")
                uow.members.set_role(access.business_id, member_id, role)
                uow.audit.record(
                    "member.role_changed",
                    user_id=access.user_id,
                    business_id=access.business_id,
                    ip=ip,
                    detail={"member_id": str(member_id), "role": role},
                )
            [changed] = uow.members.of_business(access.business_id, only=member_id)
        return changed

    def remove(self, access: Access, member_id: uuid.UUID, *, ip: str | None = None) -> None:
        """An owner removes a member; any member may remove themselves (leave)."""
        if member_id != access.user_id:
            access.require_owner()
        with self._db.transaction() as uow:
            uow.members.lock_business(access.business_id)
            member = self._member(uow.members.of_business(access.business_id, only=member_id))
            if member.role == "owner" and uow.members.owner_count(access.business_id) <= 1:
                raise LastOwner("the business's last owner cannot be removed")
            uow.members.remove(access.business_id, member_id)
            uow.audit.record(
                "member.removed",
                user_id=access.user_id,
                business_id=access.business_id,
                ip=ip,
                detail={"member_id": str(member_id)},
            )

    @staticmethod
    def _member(found: list[Member]) -> Member:
        if not found:
            raise NotFound("no such member")
        return found[0]
