"""The clearance vocabulary: channels, declaration states, instruction kinds, states and results.

Dependency-free (the tables, the rule language and the HTTP schemas all import it).
"""

from __future__ import annotations

from enum import StrEnum

from smartinspect.domain.roles import Role


class Direction(StrEnum):
    import_ = "import"
    export = "export"


class TransportMode(StrEnum):
    waterway = "waterway"  # 江海运输
    rail = "rail"
    road = "road"
    air = "air"
    post = "post"
    other = "other"


class DocumentType(StrEnum):
    """Attached documents (随附单证) a declaration lists."""

    invoice = "invoice"
    packing_list = "packing_list"
    bill_of_lading = "bill_of_lading"
    contract = "contract"
    certificate_of_origin = "certificate_of_origin"
    cites_permit = "cites_permit"
    licence = "licence"
    other = "other"


class Channel(StrEnum):
    """ASYCUDA-style lanes. Blue releases at once like green but selects the declaration for later audit."""

    green = "green"  # release
    blue = "blue"  # release, post-clearance audit
    yellow = "yellow"  # non-intrusive check: documents, image review
    red = "red"  # physical inspection


# Higher wins when several rules fire; a reassessment never lowers a channel.
CHANNEL_RANK = {Channel.green: 0, Channel.blue: 1, Channel.yellow: 2, Channel.red: 3}
RELEASE_CHANNELS = frozenset({Channel.green, Channel.blue})


class DeclarationStatus(StrEnum):
    assessed = "assessed"  # a channel is set and instructions are open
    released = "released"
    held = "held"  # an instruction found a discrepancy or seized goods


class InstructionKind(StrEnum):
    """Targeted-control instructions (布控指令)."""

    image_review = "image_review"  # remote expert looks at the scan / images
    physical_inspection = "physical_inspection"  # open the container, with a focus area
    document_check = "document_check"
    sampling = "sampling"  # take a sample for a lab test
    hold = "hold"  # keep the goods until cleared (e.g. a CITES permit is shown)


class InstructionStatus(StrEnum):
    issued = "issued"
    in_progress = "in_progress"
    completed = "completed"
    cancelled = "cancelled"


OPEN_STATUSES = frozenset({InstructionStatus.issued, InstructionStatus.in_progress})


class InstructionResult(StrEnum):
    no_discrepancy = "no_discrepancy"
    discrepancy = "discrepancy"
    seized = "seized"


HOLDING_RESULTS = frozenset({InstructionResult.discrepancy, InstructionResult.seized})


def roles_for_kind(kind: InstructionKind | str) -> tuple[Role, ...]:
    """Who works an instruction: experts review images; officers do everything on the ground and on paper."""
    return (Role.expert,) if InstructionKind(kind) == InstructionKind.image_review else (Role.officer,)


def kinds_for_role(role: Role | str) -> tuple[InstructionKind, ...]:
    """The instruction kinds a role claims and completes (empty for roles that work none)."""
    return tuple(kind for kind in InstructionKind if Role(role) in roles_for_kind(kind))


class FindingSource(StrEnum):
    """Which capability handed clearance a finding."""

    xray = "xray"
    document = "document"
    wood = "wood"
