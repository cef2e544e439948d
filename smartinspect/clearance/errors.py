"""Specific errors of the clearance workflow. Each carries an HTTP status and a stable code for the API."""

from __future__ import annotations

from typing import Any


class ClearanceError(Exception):
    status = 400
    code = "clearance_error"

    def __init__(self, message: str, details: Any = None) -> None:
        super().__init__(message)
        self.message = message
        self.details = details


class DeclarationNotFound(ClearanceError):
    status, code = 404, "declaration_not_found"


class DeclarationConflict(ClearanceError):
    """The number exists with other content (a retry of the same content is not a conflict)."""

    status, code = 409, "declaration_exists"


class InstructionNotFound(ClearanceError):
    status, code = 404, "instruction_not_found"


class InstructionConflict(ClearanceError):
    """The instruction is not in a state that allows the change (completed, cancelled, claimed by another)."""

    status = 409

    def __init__(self, code: str, message: str, details: Any = None) -> None:
        super().__init__(message, details)
        self.code = code


class InstructionForbidden(ClearanceError):
    """The caller's role does not work this kind of instruction (experts review images; officers do the rest)."""

    status, code = 403, "instruction_kind_forbidden"


class RuleSetNotFound(ClearanceError):
    status, code = 404, "rule_set_not_found"


class AuditChainBroken(ClearanceError):
    """The chain cannot be appended to (its head row is missing while events exist)."""

    status, code = 500, "audit_chain_broken"
