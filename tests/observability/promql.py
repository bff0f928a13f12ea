"""The PromQL the repository ships (issue 16, C9): every query of every Grafana dashboard
(deploy/grafana/dashboards) and every expression of the Prometheus rules
(deploy/prometheus/rules.yml), ready to run against a real Prometheus.

A dashboard's variables are set to every value (`$queue` to `.*`) and `$__rate_interval`
to RATE_INTERVAL, as Grafana would for a 1 s scrape.
"""

from __future__ import annotations

import json
import re
import shutil
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Final

import yaml

REPO: Final = Path(__file__).resolve().parents[2]
DASHBOARDS: Final = REPO / "deploy" / "grafana" / "dashboards"
DATASOURCES: Final = REPO / "deploy" / "grafana" / "provisioning" / "datasources"
PROMETHEUS: Final = REPO / "deploy" / "prometheus"
RULES: Final = PROMETHEUS / "rules.yml"
RATE_INTERVAL: Final = "1m"
VARIABLE: Final = re.compile(r"\$(\w+)|\$\{(\w+)\}")
# A series name in PromQL: an identifier not followed by "(" (a function) and not a
# keyword or label name inside braces; good enough for the expressions shipped here.
NAME: Final = re.compile(
    r"(?<![\w:{,=~\"])([a-z_][a-z0-9_]*:[a-z0-9_:]+|cti_[a-z0-9_]+|up)\b(?!\s*\()"
)


@dataclass(frozen=True, slots=True)
class Query:
    where: str  # "queues.json: Callers waiting (A)" or "rules.yml: alert CtiAmiLinkDown"
    expr: str
    alert: bool = False  # an alert's condition: empty while it does not fire


def dashboards() -> dict[str, dict[str, Any]]:
    return {path.name: json.loads(path.read_text()) for path in sorted(DASHBOARDS.glob("*.json"))}


def rules() -> list[dict[str, Any]]:
    loaded = yaml.safe_load(RULES.read_text())
    return [rule for group in loaded["groups"] for rule in group["rules"]]


def panels(board: dict[str, Any]) -> list[dict[str, Any]]:
    return [p for p in board["panels"] if p.get("type") != "row"]


def substituted(expr: str, board: dict[str, Any]) -> str:
    """The query as Grafana sends it with every variable at "All"."""
    known = {v["name"]: str(v.get("allValue", ".*")) for v in board["templating"]["list"]}
    known["__rate_interval"] = RATE_INTERVAL

    def value(match: re.Match[str]) -> str:
        name = match.group(1) or match.group(2)
        if name not in known:
            raise KeyError(f"variable ${name} is not defined by the dashboard")
        return known[name]

    return VARIABLE.sub(value, expr)


def dashboard_queries() -> list[Query]:
    found = []
    for name, board in dashboards().items():
        for panel in panels(board):
            for target in panel["targets"]:
                where = f"{name}: {panel['title']} ({target['refId']})"
                found.append(Query(where, substituted(target["expr"], board)))
    return found


def rule_queries() -> list[Query]:
    found = []
    for rule in rules():
        if "record" in rule:
            found.append(Query(f"rules.yml: record {rule['record']}", rule["record"]))
            found.append(Query(f"rules.yml: expr of {rule['record']}", rule["expr"].strip()))
        else:
            found.append(Query(f"rules.yml: alert {rule['alert']}", rule["expr"].strip(), True))
    return found


def series_names(expr: str) -> set[str]:
    """The metric and recorded series an expression reads."""
    inside_braces = re.sub(r"\{[^}]*\}", "{}", expr)
    return set(NAME.findall(inside_braces))


def promtool() -> str | None:
    return shutil.which("promtool")
