"""Businesses as their members reach them.

The tenant is derived from the caller, never from the path: `access` answers a business id with the
caller's role in it, or `NotFound` — the same answer for a business that does not exist and for one
that is another tenant's, so ids cannot be probed.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Literal, TypeVar

from vaultra.db.callers import CallerRow
from vaultra.db.memberships import MemberBusiness
from vaultra.db.unit_of_work import Database, UnitOfWork

if TYPE_CHECKING:  # accounts imports this module (through personal_tokens)
    from vaultra.services.accounts import Accounts, Bearer

T = TypeVar("T")

Role = Literal["owner", "viewer"]
MAX_NAME = 200
MAX_PAGE = 100


class NotFound(LookupError):
    """No such object for this caller (whether it exists for someone else is not said)."""


class Forbidden(PermissionError):
    """The caller may see this business but not do this (a viewer, or a read-only token)."""


class InvalidName(ValueError):
    pass


@dataclass(frozen=True)
class Access:
    business_id: uuid.UUID
    user_id: uuid.UUID
    role: Role

    def require_owner(self) -> None:
        if self.role != "owner":
            raise Forbidden("only an owner of the business may do this")


def _just_the_access(uow: UnitOfWork, access: Access) -> Access:
    return access


def clean_name(name: str) -> str:
    name = " ".join(name.split())
    if not name:
        raise InvalidName("the name must not be empty")
    if len(name) > MAX_NAME:
        raise InvalidName(f"the name must be at most {MAX_NAME} characters")
    if any(ord(c) < 32 for c in name):
        raise InvalidName("the name must not contain control characters")
    return name


class Tenancy:
    def __init__(self, db: Database, accounts: Accounts) -> None:
        self._db = db
        self._accounts = accounts

    def access(self, bearer: Bearer, business_id: uuid.UUID) -> Access:
        """The caller's access to a business: `InvalidToken` if the token is no longer accepted
        (exactly as `Accounts.principal` decides), then `NotFound` unless they are a member.
        One statement."""
        return self.read_as(bearer, business_id, _just_the_access)

    def read_as(
        self,
        bearer: Bearer,
        business_id: uuid.UUID,
        read: Callable[[UnitOfWork, Access], T],
    ) -> T:
        """`read(uow, access)` once the caller's access is established, on the same connection:
        one checkout, the access in one statement and the read's in the next. Both run outside a
        transaction (`Database.reads`), so `read` must be one statement (consistent in itself) or
        open a snapshot of its own. Nothing is cached between requests: a member removed, a
        password changed or a token revoked is refused by the next statement that checks it."""
        admitted: CallerRow | None = None
        try:
            with self._db.reads() as uow:
                caller = self._accounts.caller(uow, bearer, business_id)
                principal = self._accounts.admit(bearer, caller)  # InvalidToken: not admitted
                admitted = caller
                role = caller.role if caller is not None else None
                if role not in ("owner", "viewer"):
                    raise NotFound("no such business")
                return read(uow, Access(business_id, principal.user_id, role))  # type: ignore[arg-type]
        finally:
            # A personal access token's last use, as `Accounts.principal` records it: a write
            # of its own, once the reading connection is back in the pool.
            self._accounts.record_use(admitted)

    def create_business(self, user_id: uuid.UUID, name: str) -> MemberBusiness:
        name = clean_name(name)
        with self._db.transaction() as uow:
            business_id = uow.businesses.create(name)
            uow.memberships.add(business_id, user_id, "owner")
            uow.audit.record("business.created", user_id=user_id, business_id=business_id)
            [created] = uow.memberships.businesses_of(user_id, only=business_id, limit=1)
        return created

    def businesses(
        self, user_id: uuid.UUID, *, after: tuple[datetime, uuid.UUID] | None, limit: int
    ) -> list[MemberBusiness]:
        with self._db.snapshot() as uow:
            return uow.memberships.businesses_of(user_id, after=after, limit=min(limit, MAX_PAGE))

    def business(self, access: Access) -> MemberBusiness:
        with self._db.snapshot() as uow:
            found = uow.memberships.businesses_of(access.user_id, only=access.business_id, limit=1)
        if not found:
            raise NotFound("no such business")
        return found[0]

    def rename(self, access: Access, name: str) -> MemberBusiness:
        access.require_owner()
        name = clean_name(name)
        with self._db.transaction() as uow:
            uow.businesses.rename(access.business_id, name)
        return self.business(access)

    def delete(self, access: Access) -> None:
        """The business and all its data, for good."""
        access.require_owner()
        with self._db.transaction() as uow:
            # Kept, without its business (the log outlives what it speaks of): who deleted what.
            uow.audit.record(
                "business.deleted",
                user_id=access.user_id,
                detail={"business_id": str(access.business_id)},
            )
            uow.businesses.delete(access.business_id)
