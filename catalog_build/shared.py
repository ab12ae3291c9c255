"""Read-only access to the shared field-data folder (GreenSKU, ACT, splitwise-sim power)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml


def _load_yaml(path: Path) -> Any:
    with path.open(encoding="utf-8") as fh:
        return yaml.safe_load(fh)


def _qty(text: str | float | int) -> float:
    """Number of an ACT quantity string such as ``'2.750 kWh / cm2'``, ``'65 g / GB'``."""
    if isinstance(text, int | float):
        return float(text)
    return float(str(text).split()[0])


def _watts(text: str) -> float:
    return float(str(text).rstrip("W"))


def _round(x: float, nd: int = 4) -> float:
    return float(round(x, nd))


class Shared:
    """Read-only access to the shared field data folder."""

    def __init__(self, root: Path) -> None:
        self.root = Path(root)
        if not (self.root / "embodied").is_dir():
            raise FileNotFoundError(f"shared data folder not found or incomplete: {self.root}")
        self.gs = self.root / "embodied" / "greensku"
        self.act = self.root / "embodied" / "act"
        self.splitwise = _load_yaml(self.root / "perf" / "splitwise_power_constant.yaml")
        self.params = _load_yaml(self.gs / "params.yaml")
        self.cpu_yaml = _load_yaml(self.gs / "CPU.yaml")
        self.dram = _load_yaml(self.gs / "DRAM.yaml")
        self.ssd = _load_yaml(self.gs / "SSD.yaml")
        self.nic = _load_yaml(self.gs / "NIC.yaml")
        self.server = _load_yaml(self.gs / "server.yaml")

    # --- GreenSKU ------------------------------------------------------------------------
    def dimm(self, gen: str, size: str) -> dict[str, Any]:
        for freq in self.dram[gen]["frequencies"]:
            for s in freq["sizes"]:
                if s["size"] == size:
                    return {
                        "gb": float(size.rstrip("GB")),
                        "w": _watts(s["power"]),
                        "kg": float(s["carbon"]),
                        "freq": freq["frequency"],
                    }
        raise KeyError(f"{gen} {size} not in GreenSKU DRAM.yaml")

    def ssd_drive(self, tb: int) -> dict[str, float]:
        for form in self.ssd:
            for s in form["sizes"]:
                if s["size"] == f"{tb}TB":
                    return {"w": _watts(s["power"]), "kg": float(s["carbon"])}
        raise KeyError(f"{tb} TB not in GreenSKU SSD.yaml")

    def greensku_cpu(self, name: str) -> dict[str, float]:
        for vendor in self.cpu_yaml:
            for t in vendor["types"]:
                if t["type"].lower() == name:
                    cc = t["core_counts"][0]
                    return {"cores": cc["count"], "w": _watts(cc["power"]), "kg": cc["carbon"]}
        raise KeyError(name)

    def cpu_derate(self, pct: int) -> float:
        return float(self.cpu_yaml[0]["spec_derates"][pct])

    def server_items(self, rack_units: int) -> dict[str, float]:
        name = "Server-1U" if rack_units == 1 else "Server-2U"
        for s in self.server:
            if s["type"] == name:
                it = s["items"]
                return {
                    "server_kg": float(it["server"]["carbon"]),
                    "server_w": _watts(it["server"]["power"]),
                    "fan_kg": float(it["fan"]["carbon"]),
                    "fan_w": _watts(it["fan"]["power"]),
                }
        raise KeyError(name)

    def nic_item(self) -> dict[str, float]:
        b = self.nic["bandwidths"][0]
        return {"kg": float(b["carbon"]), "w": _watts(b["power"]), "bw": b["bandwidth"]}

    # --- ACT -----------------------------------------------------------------------------
    def act_table(self, name: str) -> dict[str, Any]:
        return _load_yaml(self.act / f"{name}.yaml")

    def act_ci_file(self) -> str:
        """ACT's default location table: ``carbon_intensity_location.yaml`` names the file."""
        pointer = (self.act / "carbon_intensity_location.yaml").read_text().strip()
        return "carbon_intensity_" + pointer.removesuffix(".yaml")
