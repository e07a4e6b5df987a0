"""Build ``admin_units.json`` from the data shipped in the ``vietnamadminunits`` wheel (MIT).

Run once by hand when the upstream data changes::

    pip download --no-deps vietnamadminunits==1.0.4 -d /tmp/vau && unzip /tmp/vau/*.whl -d /tmp/vau/x
    python -m normalizer.fields.data.build_admin_units /tmp/vau/x/vietnamadminunits/data

Only ``dataset.db`` (sqlite) and ``converter_2025.json`` are read, with the standard library: the
package itself is never imported, because importing it builds an online geocoder (geopy ArcGIS) and
its converter calls that geocoder for split wards.  Split wards get the upstream default new ward.
"""

from __future__ import annotations

import json
import sqlite3
import sys
from pathlib import Path
from typing import Any

OUT = Path(__file__).with_name("admin_units.json")


def _rows(db: sqlite3.Connection, sql: str) -> list[dict[str, Any]]:
    db.row_factory = sqlite3.Row
    return [dict(r) for r in db.execute(sql).fetchall()]


def _aliases(raw: str | None) -> list[str]:
    return list(json.loads(raw)) if raw else []


def build(src: Path) -> dict[str, Any]:
    db = sqlite3.connect(src / "dataset.db")
    conv = json.loads((src / "converter_2025.json").read_text(encoding="utf-8"))
    new = _rows(db, "SELECT * FROM admin_units ORDER BY provinceCode, wardCode")
    old = _rows(db, "SELECT * FROM admin_units_legacy ORDER BY provinceCode, districtCode, wardCode")

    provinces: dict[str, list[Any]] = {}
    new_prov_code_by_key: dict[str, str] = {}
    commune_code: dict[tuple[str, str], str] = {}
    communes: list[list[Any]] = []
    for r in new:
        if r["provinceCode"] not in provinces:
            provinces[r["provinceCode"]] = [r["provinceCode"], r["province"], _aliases(r["provinceAlias"])]
            new_prov_code_by_key[r["provinceKey"]] = r["provinceCode"]
        commune_code[(r["provinceKey"], r["wardKey"])] = r["wardCode"]
        communes.append([r["wardCode"], r["provinceCode"], r["ward"], _aliases(r["wardAlias"])])

    old_prov_to_new = {
        old_key: new_prov_code_by_key[new_key] for new_key, olds in conv["DICT_PROVINCE"].items() for old_key in olds
    }
    # old "province_district_ward" key -> (new commune code, other candidate codes)
    old_to_new: dict[str, tuple[str, list[str]]] = {}
    for new_pkey, wards in conv["DICT_PROVINCE_WARD_NO_DIVIDED"].items():
        for new_wkey, old_keys in wards.items():
            for k in old_keys:
                old_to_new[k] = (commune_code[(new_pkey, new_wkey)], [])
    for new_pkey, wards in conv["DICT_PROVINCE_WARD_DIVIDED"].items():
        for old_key, cands in wards.items():
            codes = [commune_code[(new_pkey, c["newWardKey"])] for c in cands]
            default = next(commune_code[(new_pkey, c["newWardKey"])] for c in cands if c["isDefaultNewWard"])
            old_to_new[old_key] = (default, [c for c in codes if c != default])

    legacy_provinces: dict[str, list[Any]] = {}
    legacy_districts: dict[str, list[Any]] = {}
    legacy_wards: list[list[Any]] = []
    for r in old:
        pc, dc = r["provinceCode"], r["districtCode"]
        if pc not in legacy_provinces:
            legacy_provinces[pc] = [pc, r["province"], old_prov_to_new[r["provinceKey"]], _aliases(r["provinceAlias"])]
        key = f"{r['provinceKey']}_{r['districtKey']}_{r['wardKey'] or ''}"
        if dc not in legacy_districts:
            legacy_districts[dc] = [dc, pc, r["district"], _aliases(r["districtAlias"]), None]
        if not r["ward"]:
            legacy_districts[dc][4] = old_to_new[key][0]  # island district -> special zone
            continue
        target, others = old_to_new[key]
        legacy_wards.append([r["wardCode"], dc, r["ward"], _aliases(r["wardAlias"]), target, others])

    return {
        "source": "vietnamadminunits 1.0.4 (MIT, (c) 2025 Tran Ngoc Minh Hieu): dataset.db, converter_2025.json",
        "provinces": list(provinces.values()),
        "communes": communes,
        "legacy_provinces": list(legacy_provinces.values()),
        "legacy_districts": list(legacy_districts.values()),
        "legacy_wards": legacy_wards,
    }


def main(argv: list[str]) -> None:
    data = build(Path(argv[1]))
    OUT.write_text(json.dumps(data, ensure_ascii=False, separators=(",", ":")) + "\n", encoding="utf-8")
    print(f"wrote {OUT} ({OUT.stat().st_size} bytes)")


if __name__ == "__main__":
    main(sys.argv)
