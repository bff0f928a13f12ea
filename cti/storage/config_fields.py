"""Fields of imported configuration: each kind's readers, derived from the core's values.

Rule 1: the fields of a kind are its value's settings (QueueConfig, AgentProfile,
NotReadyReason), each read by the reader its declared type has (cti/schema/cells.py): a
setting added to the core is a YAML key and a CSV column at once.
Rule 2: an absent value (missing key, YAML null, empty CSV cell) means "keep the default";
readers never see one.
Rule 3: a PIN is not a setting of the core (secrets stay out of it) but an agent's field
of the import; it must be text: YAML reads 0042 as the number 34 (octal), which would be
a different PIN, so a number is refused with a hint to quote it.
"""

from __future__ import annotations

from collections.abc import Mapping
from enum import StrEnum
from typing import Final

from cti.domain.config import AgentProfile, NotReadyReason, QueueConfig
from cti.schema.cells import Reader, given, readers, with_key
from cti.storage import credentials

Value = QueueConfig | AgentProfile | NotReadyReason


class Kind(StrEnum):
    QUEUES = "queues"
    AGENTS = "agents"
    REASONS = "reasons"

    @property
    def noun(self) -> str:
        return {"queues": "queue", "agents": "agent", "reasons": "reason"}[self.value]

    @property
    def key(self) -> str:
        return "code" if self is Kind.REASONS else "id"


VALUE_OF: Final[Mapping[Kind, type[Value]]] = {
    Kind.QUEUES: QueueConfig,
    Kind.AGENTS: AgentProfile,
    Kind.REASONS: NotReadyReason,
}


def pin(value: object) -> str:
    """Rule 3."""
    if not isinstance(value, str):
        raise ValueError("write the PIN in quotes (YAML reads 0042 as a number)")
    return credentials.check_pin(value.strip())


FIELDS: Final[Mapping[Kind, Mapping[str, Reader]]] = {
    Kind.QUEUES: readers(QueueConfig),
    Kind.AGENTS: {**readers(AgentProfile), "pin": pin},
    Kind.REASONS: readers(NotReadyReason),
}


def build(kind: Kind, values: Mapping[str, object]) -> Value:
    """The value the parsed fields describe (key field present), validated on its own."""
    key = values.get(kind.key)
    settings = {name: found for name, found in values.items() if name not in (kind.key, "pin")}
    return given(with_key(VALUE_OF[kind], kind.key, key), settings).validate()
