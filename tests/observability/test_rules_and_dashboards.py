"""The shipped Prometheus rules and Grafana dashboards, checked offline (issue 16, C9):
`promtool check config`/`check rules`, `promtool test rules` (a unit test for every alert),
every dashboard query parsed by promtool, and the dashboards' structure as Grafana's
provisioning reads it. tests/lab/test_observability_e2e.py runs the same queries against a
real Prometheus scraping a lab server."""

from __future__ import annotations

import subprocess
from pathlib import Path
from typing import Any

import yaml

from tests.observability import promql

TOOL = promql.promtool()


def run_promtool(*args: str, cwd: Path = promql.PROMETHEUS) -> str:
    assert TOOL is not None, "promtool is missing: scripts/bootstrap.sh installs it"
    done = subprocess.run(
        [TOOL, *args], cwd=cwd, capture_output=True, text=True, timeout=120, check=False
    )
    assert done.returncode == 0, done.stdout + done.stderr
    return done.stdout + done.stderr


def test_the_config_and_its_rules_are_valid() -> None:
    out = run_promtool("check", "config", "prometheus.yml")
    assert "SUCCESS" in out and "rules found" in out, out


def test_every_alert_passes_its_unit_tests() -> None:
    out = run_promtool("test", "rules", "rules.test.yml")
    assert "SUCCESS" in out, out


def test_every_alert_has_a_firing_test_a_severity_a_summary_and_a_runbook() -> None:
    tests = yaml.safe_load((promql.PROMETHEUS / "rules.test.yml").read_text())["tests"]
    fired = {
        case["alertname"]
        for test in tests
        for case in test.get("alert_rule_test", [])
        if case.get("exp_alerts")
    }
    alerts = [r for r in promql.rules() if "alert" in r]
    assert len(alerts) >= 10
    for rule in alerts:
        assert rule["alert"] in fired, f"{rule['alert']} has no test in which it fires"
        assert rule["labels"]["severity"] in {"warning", "critical"}, rule["alert"]
        assert rule["annotations"]["summary"].strip(), rule["alert"]
        runbook = rule["annotations"]["runbook"].strip()
        assert runbook.endswith((".", "...")) and len(runbook) > 40, rule["alert"]


def test_every_dashboard_query_parses(tmp_path: Path) -> None:
    """promtool parses each query as a recording rule's expression: a typo is an error
    naming the panel."""
    queries = promql.dashboard_queries()
    group = [
        {"record": f"panel:q{i}", "expr": q.expr, "labels": {"where": q.where}}
        for i, q in enumerate(queries)
    ]
    checked = tmp_path / "panels.yml"
    checked.write_text(yaml.safe_dump({"groups": [{"name": "panels", "rules": group}]}))
    out = run_promtool("check", "rules", str(checked), cwd=tmp_path)
    assert f"{len(queries)} rules found" in out, out


def grid_cells(panel: dict[str, Any]) -> set[tuple[int, int]]:
    g = panel["gridPos"]
    assert g["x"] >= 0 and g["w"] >= 1 and g["x"] + g["w"] <= 24, panel["title"]
    return {(x, y) for x in range(g["x"], g["x"] + g["w"]) for y in range(g["y"], g["y"] + g["h"])}


def test_the_dashboards_are_what_grafana_provisions() -> None:
    datasource = yaml.safe_load((promql.DATASOURCES / "prometheus.yml").read_text())
    [uid] = [d["uid"] for d in datasource["datasources"] if d["type"] == "prometheus"]
    boards = promql.dashboards()
    assert set(boards) == {
        "queues.json",
        "agents.json",
        "campaigns.json",
        "compliance.json",
        "server.json",
    }
    uids = [b["uid"] for b in boards.values()]
    assert len(set(uids)) == len(uids)
    for name, board in boards.items():
        assert board["title"].startswith("CTI: ") and board["schemaVersion"] >= 36, name
        assert "cti" in board["tags"], name
        ids, cells = set(), set()
        for panel in promql.panels(board):
            where = f"{name}: {panel.get('title')}"
            assert panel["id"] not in ids, where
            ids.add(panel["id"])
            assert panel["type"] in {"stat", "timeseries", "bargauge", "table", "gauge"}, where
            assert panel["title"] and panel["description"], where
            assert panel["datasource"] == {"type": "prometheus", "uid": uid}, where
            taken = grid_cells(panel)
            assert not taken & cells, f"{where} overlaps another panel"
            cells |= taken
            refs = [t["refId"] for t in panel["targets"]]
            assert refs and len(set(refs)) == len(refs), where
            for target in panel["targets"]:
                assert target["expr"].strip() and target["datasource"]["uid"] == uid, where
                promql.substituted(target["expr"], board)  # every variable is defined
        for variable in board["templating"]["list"]:
            assert variable["datasource"]["uid"] == uid, name
            assert variable["query"]["query"].startswith("label_values("), name


def test_every_series_a_query_reads_is_exported_or_recorded() -> None:
    """A misspelt metric would be an empty panel: every name is one the server exports
    (the README's metric table) or a recording rule of rules.yml."""
    readme = (promql.REPO / "README.md").read_text()
    recorded = {r["record"] for r in promql.rules() if "record" in r}
    for query in promql.dashboard_queries() + promql.rule_queries():
        for name in promql.series_names(query.expr):
            base = name.removesuffix("_bucket").removesuffix("_sum").removesuffix("_count")
            known = name in recorded or name == "up" or f"`{base}`" in readme
            assert known, f"{query.where}: {name} is neither exported nor recorded"


def test_the_readme_shows_every_panels_query_and_every_rule() -> None:
    """The README's "Dashboards and alerts" documents what Grafana and Prometheus run."""
    readme = (promql.REPO / "README.md").read_text()

    def shown(expr: str) -> bool:
        return "`" + " ".join(expr.split()).replace("|", "\\|") + "`" in readme

    for name, board in promql.dashboards().items():
        assert f"**{board['title']}** (`{name}`)" in readme, name
        for panel in promql.panels(board):
            assert f"| {panel['title']} |" in readme, f"{name}: {panel['title']}"
            for target in panel["targets"]:
                assert shown(target["expr"]), f"{name}: {panel['title']}: {target['expr']}"
    for rule in promql.rules():
        assert f"`{rule.get('alert') or rule['record']}`" in readme
        assert shown(rule["expr"]), rule
