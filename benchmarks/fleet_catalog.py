"""Write the catalog of the fleet-scale benchmark (``scenarios/fleet20.yaml``).

The bundled catalog has one row per LLM, and a scenario's ``llms:`` has one entry per catalog
LLM, so two services of one model (a chat and a code assistant on Llama-3-8B, each with its
own SLOs and replicas) need two LLM ids. The benchmark names its services
``<llm>@<service>``; this script copies the bundled catalog (``models/``, every table
byte for byte) into the folder the scenario's ``catalog:`` names and appends, for every
service, a copy of its model's rows in ``llms.csv``, ``profiles.csv`` and
``cpu_profiles.csv`` under the service's id, the ``source`` column saying which row it
copies. No number is changed or added: the services are the real catalog's models.

Usage::

    python benchmarks/fleet_catalog.py                      # next to scenarios/fleet20.yaml
    python benchmarks/fleet_catalog.py path/to/scenario.yaml
"""

from __future__ import annotations

import argparse
import csv
import shutil
from pathlib import Path

import yaml

from ecoserve_opt.paths import catalog_dir

HERE = Path(__file__).resolve().parent
SCENARIO = HERE / "scenarios" / "fleet20.yaml"
SEP = "@"
#: Tables with one row (or rows) per LLM, keyed by the ``llm`` column.
LLM_TABLES = ("llms.csv", "profiles.csv", "cpu_profiles.csv")


def services(scenario: Path) -> dict[str, str]:
    """``{service id: catalog LLM id}`` for the scenario's ``<llm>@<service>`` entries."""
    doc = yaml.safe_load(scenario.read_text())
    return {k: k.split(SEP, 1)[0] for k in doc.get("llms", {}) if SEP in k}


def _append_aliases(src: Path, dest: Path, alias: dict[str, str]) -> int:
    """Copy ``src`` to ``dest`` with each alias's copy of its base LLM's rows appended."""
    with src.open(newline="") as f:
        rows = list(csv.reader(f))
    header, body = rows[0], rows[1:]
    i_llm, i_src = header.index("llm"), header.index("source")
    by_llm: dict[str, list[list[str]]] = {}
    for r in body:
        by_llm.setdefault(r[i_llm], []).append(r)
    extra: list[list[str]] = []
    for name, base in alias.items():
        for r in by_llm.get(base, []):
            c = list(r)
            c[i_llm] = name
            c[i_src] = (
                f"copy of the {base} row (service {name}, benchmarks/fleet_catalog.py); {r[i_src]}"
            )
            extra.append(c)
    shutil.copyfile(src, dest)
    with dest.open("a", newline="") as f:
        csv.writer(f, lineterminator="\n").writerows(extra)
    return len(extra)


def write_catalog(scenario: Path = SCENARIO, dest: Path | None = None) -> Path:
    """Write the benchmark catalog for ``scenario`` (default: the folder its ``catalog:``
    names, relative to the scenario file); returns the folder."""
    scenario = Path(scenario)
    if dest is None:
        name = yaml.safe_load(scenario.read_text()).get("catalog", "default")
        if name == "default":
            raise ValueError(f"{scenario}: catalog: must name a folder for the service copies")
        dest = scenario.parent / name
    alias = services(scenario)
    src = catalog_dir()
    unknown = sorted({b for b in alias.values()} - _llm_ids(src / "llms.csv"))
    if unknown:
        raise ValueError(f"{scenario}: services of LLMs not in the catalog: {unknown}")
    dest.mkdir(parents=True, exist_ok=True)
    for table in sorted(src.glob("*.csv")):
        if table.name in LLM_TABLES:
            _append_aliases(table, dest / table.name, alias)
        else:
            shutil.copyfile(table, dest / table.name)
    return dest


def _llm_ids(path: Path) -> set[str]:
    with path.open(newline="") as f:
        return {r["llm"] for r in csv.DictReader(f)}


def main() -> None:
    """Command line: write the catalog next to the scenario."""
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("scenario", nargs="?", type=Path, default=SCENARIO)
    ap.add_argument("--dest", type=Path, default=None, help="output folder")
    a = ap.parse_args()
    out = write_catalog(a.scenario, a.dest)
    print(f"wrote {out} ({len(services(a.scenario))} services)")  # noqa: T201


if __name__ == "__main__":
    main()
