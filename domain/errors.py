"""Domain rule violations. Each carries a stable ``code`` that edges map to responses."""

from __future__ import annotations

from uuid import UUID


class DomainError(Exception):
    """A command broke a domain rule; retrying the same command will fail the same way."""

    code = "domain-error"
    retryable = False


class InvalidCommand(DomainError):
    """A command's arguments make no sense (unknown role, status or cadence…)."""

    code = "invalid-command"


class UnknownProgram(DomainError):
    """A command named a program that was never launched."""

    code = "unknown-program"

    def __init__(self, program_id: UUID) -> None:
        super().__init__(f"program {program_id} is unknown")


class UnknownGroup(DomainError):
    """A command named a group that was never formed."""

    code = "unknown-group"

    def __init__(self, group_id: UUID, external_id: str | None = None) -> None:
        named = f" (the sender's {external_id!r})" if external_id else ""
        super().__init__(f"group {group_id}{named} is unknown")


class UnknownMember(DomainError):
    """A command named a person who was never registered."""

    code = "unknown-member"

    def __init__(self, member_id: UUID) -> None:
        super().__init__(f"member {member_id} is unknown")


class AlreadyExists(DomainError):
    """A create command repeated an id with different data."""

    code = "already-exists"


class NotAMember(DomainError):
    """Attendance, a commitment or a departure named someone outside the group."""

    code = "not-a-member"

    def __init__(self, group_id: UUID, member_id: UUID, session_id: UUID | None = None) -> None:
        where = f" (session {session_id})" if session_id else ""
        super().__init__(f"member {member_id} is not a member of group {group_id}{where}")


class AlreadyAMember(DomainError):
    """A member joined a group they already belong to, with another role."""

    code = "already-a-member"


class UnknownSession(DomainError):
    """A command named a session the group has not held."""

    code = "unknown-session"

    def __init__(self, group_id: UUID, session_id: UUID, member_id: UUID | None = None) -> None:
        who = f" (member {member_id})" if member_id else ""
        super().__init__(f"session {session_id} of group {group_id} has not been held{who}")


class SessionAlreadyHeld(DomainError):
    """A session was reported held twice with different attendance, or cancelled after."""

    code = "session-already-held"


class SessionCancelled(DomainError):
    """A cancelled session was reported held or re-cancelled for another reason."""

    code = "session-cancelled"


class UnknownCommitment(DomainError):
    """A command named a commitment the group never made."""

    code = "unknown-commitment"


class CommitmentConflict(DomainError):
    """A commitment id was reused, or a resolved commitment resolved differently."""

    code = "commitment-conflict"


class GroupClosed(DomainError):
    """Anything but an identical repeat on a concluded or dissolved group."""

    code = "group-concluded"

    def __init__(self, group_id: UUID, state: str, what: str) -> None:
        super().__init__(f"group {group_id} is {state}: cannot {what}")
        if state == "dissolved":
            self.code = "group-dissolved"


class NotACoordinator(DomainError):
    """A coordinator command named someone not assigned to the program."""

    code = "not-a-coordinator"


class MemberForgotten(DomainError):
    """A command needs personal data of a member who asked to be forgotten."""

    code = "member-forgotten"


class ConcurrentModification(DomainError):
    """Another writer changed the same aggregate first; run the command again."""

    code = "concurrent-modification"
    retryable = True


class UnknownUnmatched(DomainError):
    """A map or reject named an unmatched item that is not open (never held, or resolved)."""

    code = "unknown-unmatched"

    def __init__(self, item: str) -> None:
        super().__init__(f"unmatched item {item!r} is not open (resolved already, or unknown)")
