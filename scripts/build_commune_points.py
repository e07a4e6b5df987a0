"""Build ``config/data/commune_points.json``: one point per post-2025 commune, for the live map's commune layer.

Run once by hand when the upstream data changes (the same wheel as the normalizer's place data,
``normalizer/fields/data/build_admin_units.py``)::

    pip download --no-deps vietnamadminunits==1.0.4 -d /tmp/vau && unzip /tmp/vau/*.whl -d /tmp/vau/x
    python scripts/build_commune_points.py /tmp/vau/x/vietnamadminunits/data

Reads ``dataset.db`` (sqlite) with the standard library: ``wardLat``/``wardLon`` of the 3,321 communes of
the 34 provinces, keyed by the same commune codes the normalizer resolves places to.  Upstream collected
them from sapnhap.bando.com.vn (the national mapping agency's portal of the 2025 merger) and geocoding:
a representative point of each commune, not a computed centroid of its shape (the data has no shapes).
"""

from __future__ import annotations

import json
import sqlite3
import sys
from pathlib import Path

OUT = Path(__file__).resolve().parent.parent / "config" / "data" / "commune_points.json"
SOURCE = (
    "vietnamadminunits 1.0.4 (MIT, (c) 2025 Tran Ngoc Minh Hieu; licence: LICENSE-vietnamadminunits.txt "
    "beside this file): dataset.db admin_units.wardLat/wardLon, collected upstream from "
    "sapnhap.bando.com.vn, danhmuchanhchinh.gso.gov.vn and geocoding. Built by scripts/build_commune_points.py."
)


def build(src: Path) -> dict[str, object]:
    db = sqlite3.connect(src / "dataset.db")
    rows = db.execute("SELECT wardCode, wardLat, wardLon FROM admin_units ORDER BY wardCode").fetchall()
    points = {code: [round(lat, 5), round(lon, 5)] for code, lat, lon in rows if lat is not None and lon is not None}
    return {
        "source": SOURCE,
        "note": "A representative point per commune (post-2025 code), not the centroid of its shape.",
        "points": points,
    }


def main(argv: list[str]) -> None:
    data = build(Path(argv[1]))
    text = json.dumps(data, ensure_ascii=False, separators=(",", ":"))
    OUT.write_text(text.replace('],"', '],\n"') + "\n", encoding="utf-8")
    print(f"wrote {OUT} ({OUT.stat().st_size} bytes, {len(data['points'])} communes)")  # type: ignore[arg-type]


if __name__ == "__main__":
    main(sys.argv)
