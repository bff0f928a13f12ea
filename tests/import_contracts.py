"""Custom import-linter contracts for the layout (pyproject.toml, [tool.importlinter]).

`allowlist`: the source package may import, outside itself, only the listed modules, and
its code may not read a clock (`datetime.now()`, `date.today()`, ...): the core's purity
(cti/domain) stated as what it may use rather than as what it may not.
"""

from __future__ import annotations

import ast
from pathlib import Path
from typing import Any

import grimp
from importlinter import Contract, ContractCheck, fields, output

CLOCK_READS = frozenset({"now", "utcnow", "today", "time", "monotonic", "perf_counter"})
CLOCK_OWNERS = frozenset({"datetime", "date", "time"})


class AllowlistContract(Contract):
    type_name = "allowlist"

    source_package = fields.StringField()
    allowed_modules = fields.ListField(subfield=fields.StringField())

    def check(self, graph: grimp.ImportGraph, verbose: bool) -> ContractCheck:
        source = str(self.source_package)
        allowed = {str(m) for m in self.allowed_modules}  # type: ignore[attr-defined]
        modules = {source} | graph.find_descendants(source)
        illegal: list[dict[str, Any]] = []
        for module in sorted(modules):
            for imported in sorted(graph.find_modules_directly_imported_by(module)):
                if imported == source or imported.startswith(source + "."):
                    continue
                if imported.split(".")[0] in allowed:
                    continue
                lines = [
                    d["line_number"]
                    for d in graph.get_import_details(importer=module, imported=imported)
                ]
                illegal.append({"module": module, "what": f"imports {imported}", "lines": lines})
        illegal.extend(_clock_reads(source, modules))
        return ContractCheck(kept=not illegal, metadata={"illegal": illegal})

    def render_broken_contract(self, check: ContractCheck) -> None:
        for item in check.metadata["illegal"]:
            lines = ", ".join(str(n) for n in item["lines"])
            output.print_error(f"{item['module']} {item['what']} (l. {lines})", bold=False)
            output.new_line()


def _clock_reads(source: str, modules: set[str]) -> list[dict[str, Any]]:
    """Calls such as datetime.now() or time.time(): a clock read in code that must not."""
    found = []
    for module in sorted(modules):
        path = _path_of(module)
        if path is None:
            continue
        for node in ast.walk(ast.parse(path.read_text(), str(path))):
            if not (isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute)):
                continue
            owner = node.func.value
            name = owner.id if isinstance(owner, ast.Name) else getattr(owner, "attr", "")
            if node.func.attr in CLOCK_READS and name in CLOCK_OWNERS:
                what = f"reads a clock: {name}.{node.func.attr}()"
                found.append({"module": module, "what": what, "lines": [node.lineno]})
    return found


def _path_of(module: str) -> Path | None:
    base = Path(__file__).resolve().parent.parent.joinpath(*module.split("."))
    for candidate in (base.with_suffix(".py"), base / "__init__.py"):
        if candidate.is_file():
            return candidate
    return None
