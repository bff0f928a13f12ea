"""Importing configuration from YAML and CSV (C2, C3, C4, P5 values an operator writes):
every bad entry is named with its file, line and reason, and nothing is applied unless
everything is right."""

from __future__ import annotations

from pathlib import Path
from textwrap import dedent

import pytest
from sqlalchemy import text

from cti.domain.config import MaxWaitAction, Strategy
from cti.domain.ids import AgentId
from cti.storage.config_import import ImportFailed, import_files
from cti.storage.config_store import ChangeSummary, ConfigStore, Counts
from cti.storage.database import Database

GOOD_YAML = """\
queues:
  - id: support
    name: Support
    ring_limit: 4
    ring_cadence: 5
    max_wrap_up: 30
    dispositions: [solved, callback]
    disposition_required: true
  - id: sales
    strategy: skills
    skill: french
    min_skill_level: 2
    overflow_after: 90
    overflow_queue: support
    max_wait: 600
    max_wait_action: voicemail
agents:
  - id: 1001
    name: Alice
    pin: "0042"
    skills: {french: 5, billing: 3}
    queues: {support: 0, sales: 1}
  - id: "1002"
    name: Bob
    queues: {support: 2}
reasons:
  - code: lunch
    label: Lunch
    max_seconds: 3600
  - code: training
"""

GOOD_AGENTS_CSV = """\
id,name,pin,skills,queues
2001,Carol,123456,billing:3;sales:1,support:0;sales:1
2002,Dan,,,
"""

BAD_QUEUES_CSV = """\
id,name,strategy,ring_limit,ring_cadence,dispositions
support,Support,,3,5,
sales,Sales,roundrobin,3,5,sale;no sale
vip,VIP,longest_idle,0,5,
,Nameless,,,,
support,Again,,,,
"""

BAD_AGENTS_CSV = """\
id,name,pin,skills,queues
1001,Alice,0042,billing:3;sales:1,support:0
1002,Bob,12,,support:0
1003,Carol,,billing:12,support:0

1004,Dave,,billing:x,
1005,Eve,,,nowhere:1
1001,Alice again,,,
"""


@pytest.fixture
def store(database: Database) -> ConfigStore:
    return ConfigStore(database)


def write(directory: Path, name: str, content: str) -> Path:
    path = directory / name
    path.write_text(dedent(content))
    return path


async def row_counts(database: Database) -> dict[str, int]:
    counts = {}
    async with database.engine.connect() as connection:
        for table in ("queues", "agents", "not_ready_reasons"):
            counts[table] = (
                await connection.execute(text(f"SELECT count(*) FROM {table}"))
            ).scalar()
    return counts


async def test_a_csv_file_full_of_bad_rows_names_each_and_changes_nothing(
    store: ConfigStore, database: Database, tmp_path: Path
) -> None:
    await import_files(store, [write(tmp_path, "base.yaml", "queues:\n  - id: existing\n")])
    before, counts = await store.snapshot(), await row_counts(database)
    files = [
        write(tmp_path, "queues.csv", BAD_QUEUES_CSV),
        write(tmp_path, "agents.csv", BAD_AGENTS_CSV),
    ]

    with pytest.raises(ImportFailed) as failed:
        await import_files(store, files)

    assert failed.value.errors == (
        "queues.csv:3: queue sales: strategy: 'roundrobin' is not one of longest_idle, "
        "fewest_calls, skills",
        "queues.csv:4: queue vip: ring_limit must be 1-50",
        "queues.csv:5: queue: missing id",
        "queues.csv:6: queue support: duplicate id (first at queues.csv:2)",
        "agents.csv:3: agent 1002: pin: a PIN is 4 to 12 digits (0-9)",
        "agents.csv:4: agent 1003: skills.billing must be 0-9",
        "agents.csv:6: agent 1004: skills: expected a whole number, got 'x'",
        "agents.csv:7: agent 1005: queue nowhere is not configured",
        "agents.csv:8: agent 1001: duplicate id (first at agents.csv:2)",
    )
    assert str(failed.value).splitlines() == list(failed.value.errors)
    assert await store.snapshot() == before
    assert await row_counts(database) == counts


async def test_yaml_errors_name_the_line_and_the_entry(store: ConfigStore, tmp_path: Path) -> None:
    bad = write(
        tmp_path,
        "staff.yaml",
        """\
        queues:
          - id: support
            ring_limit: many
            colour: blue
        agents:
          - name: No id
          - id: 1001
            pin: 0042
            queues: {support: -1}
          - just a string
        reasons:
          - code: lunch
            max_seconds: 0
        teams: []
        """,
    )

    with pytest.raises(ImportFailed) as failed:
        await import_files(store, [bad])

    assert failed.value.errors == (
        "staff.yaml: unknown section 'teams' (expected queues, agents, reasons)",
        "staff.yaml:2: queues[0]: queue support: unknown field 'colour'",
        "staff.yaml:2: queues[0]: queue support: ring_limit: expected a whole number, got 'many'",
        "staff.yaml:6: agents[0]: agent: missing id",
        "staff.yaml:7: agents[1]: agent 1001: pin: write the PIN in quotes (YAML reads 0042 as "
        "a number)",
        "staff.yaml:10: agents[2]: expected a mapping of fields, got 'just a string'",
        "staff.yaml:12: reasons[0]: reason lunch: max_seconds must be in (0, 86400] s",
    )


@pytest.mark.parametrize(
    ("name", "content", "error"),
    [
        ("x.yaml", "queues: [\n", "x.yaml:2: not valid YAML: expected the node content"),
        ("x.yaml", "- 1\n", "x.yaml: expected sections queues, agents and reasons"),
        ("x.yaml", "queues: {a: 1}\n", "x.yaml: queues must be a list of entries"),
        ("x.csv", "", "x.csv:1: no header row: the first row names the columns"),
        (
            "x.csv",
            "id,name\n",
            "x.csv:1: cannot tell agents from queues by id,name: name the "
            "file agents.csv or queues.csv",
        ),
        ("agents.csv", "id,nick\n", "agents.csv:1: unknown agent column(s) 'nick'"),
        ("r.csv", "code,label,colour\n", "r.csv:1: unknown reason column(s) 'colour'"),
        ("q.csv", "id,ring_limit\nq,3,4\n", "q.csv:2: 3 values for 2 columns"),
    ],
)
async def test_files_that_are_not_configuration_are_refused_with_the_reason(
    store: ConfigStore, tmp_path: Path, name: str, content: str, error: str
) -> None:
    with pytest.raises(ImportFailed) as failed:
        await import_files(store, [write(tmp_path, name, content)])

    assert len(failed.value.errors) == 1
    assert failed.value.errors[0].startswith(error)


async def test_a_file_that_cannot_be_read_is_an_error(store: ConfigStore, tmp_path: Path) -> None:
    with pytest.raises(ImportFailed, match=r"missing\.yaml: cannot read"):
        await import_files(store, [tmp_path / "missing.yaml"])


async def test_a_good_file_applied_twice_updates_and_duplicates_nothing(
    store: ConfigStore, database: Database, tmp_path: Path
) -> None:
    files = [
        write(tmp_path, "config.yaml", GOOD_YAML),
        write(tmp_path, "agents.csv", GOOD_AGENTS_CSV),
    ]

    first = await import_files(store, files)
    counts = await row_counts(database)
    second = await import_files(store, files)

    assert first == ChangeSummary(
        queues=Counts(created=2), agents=Counts(created=4), reasons=Counts(created=2)
    )
    assert second == ChangeSummary(
        queues=Counts(updated=2), agents=Counts(updated=4), reasons=Counts(updated=2)
    )
    assert (
        await row_counts(database) == counts == {"queues": 2, "agents": 4, "not_ready_reasons": 2}
    )
    config = await store.load()
    sales, support = config.queues["sales"], config.queues["support"]
    assert (sales.strategy, sales.overflow_queue, sales.max_wait_action) == (
        Strategy.SKILLS,
        "support",
        MaxWaitAction.VOICEMAIL,
    )
    assert (support.ring_limit, support.ring_cadence, support.dispositions) == (
        4,
        5.0,
        ("solved", "callback"),
    )
    assert config.agents["1001"].skills == {"french": 5, "billing": 3}
    assert config.agents["2001"].queues == {"support": 0, "sales": 1}
    assert config.reasons["training"].max_seconds is None
    assert await store.verify_pin(AgentId("1001"), "0042")
    assert await store.verify_pin(AgentId("2001"), "123456")
    assert not await store.verify_pin(AgentId("2002"), "123456")


async def test_agents_may_name_queues_already_stored(store: ConfigStore, tmp_path: Path) -> None:
    await import_files(store, [write(tmp_path, "config.yaml", GOOD_YAML)])

    summary = await import_files(store, [write(tmp_path, "staff.csv", GOOD_AGENTS_CSV)])

    assert summary.agents == Counts(created=2)
