"""Places: match an address, or find one in free text, against the post-2025 administrative units.

Since 1 July 2025 Vietnam has 34 provinces and two levels (province, commune); citizens still write
pre-2025 addresses (``phường Lộc Thọ, TP Nha Trang``), so old wards, districts and provinces are
mapped to the new units.  The data (``data/admin_units.json``) is built offline from the MIT-licensed
``vietnamadminunits`` wheel by ``data/build_admin_units.py``; that package is *not* imported at run
time (its import builds an online geocoder and its converter calls it for split wards), so nothing
here can reach the network.  A split old ward maps to the upstream default new ward.

Matching is done on a folded copy of the text (diacritics stripped, lower case, same length) so that
"phuong Loc Tho" matches, while the text the citizen wrote is kept as is in ``PlaceMatch.text``.
"""

from __future__ import annotations

import json
import re
import unicodedata
from bisect import bisect_left
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from functools import cache, lru_cache, partial
from itertools import accumulate
from pathlib import Path
from typing import NamedTuple

from normalizer.fields.folding import fold
from pakn.records import PlaceMatch

__all__ = ["find_place", "fold", "is_in_jurisdiction", "match_place"]

DATA_FILE = Path(__file__).parent / "data" / "admin_units.json"


_TOKEN = re.compile(r"[a-z]+|[0-9]+")
_TONES = frozenset("\u0300\u0301\u0303\u0309\u0323")


def _key(folded_tokens: Iterable[str]) -> str:
    return "".join(str(int(t)) if t.isdigit() else t for t in folded_tokens)


def _name_key(name: str) -> str:
    return _key(_TOKEN.findall(fold(unicodedata.normalize("NFC", name))))


@lru_cache(maxsize=16384)
def _tone_key(text: str) -> str:
    """Compare-only form that ignores where the tone mark sits (``Hoà`` = ``Hòa``, ``thuỷ`` = ``thủy``)."""
    out = []
    for word in unicodedata.normalize("NFD", text.lower()).split():
        tones = [c for c in word if c in _TONES]
        base = "".join(c for c in word if c not in _TONES and (c.isalnum() or unicodedata.combining(c)))
        out.append(unicodedata.normalize("NFC", base) + "".join(tones))
    return " ".join(out)


# Unit kinds: new province, legacy province, legacy district, new commune, legacy ward.
P, LP, LD, C, LW = "P", "LP", "LD", "C", "LW"
_TYPES = ("Thành phố", "Tỉnh", "Quận", "Huyện", "Thị xã", "Phường", "Xã", "Thị trấn", "Đặc khu")


@dataclass(frozen=True, slots=True)
class _Unit:
    kind: str
    code: str
    name: str  # full official name, e.g. "Phường Lộc Thọ"
    type: str  # "Phường", "Tỉnh", ...
    short: str  # name without its type
    province: str  # code of the NEW province it lies in (now)
    parent: str | None = None  # legacy: district code of a ward, province code of a district
    target: str | None = None  # legacy ward / island district: code of the new commune


def _split_type(name: str) -> tuple[str, str]:
    for t in _TYPES:
        if name.startswith(t + " "):
            return t, name[len(t) + 1 :]
    return "", name


@dataclass(frozen=True, slots=True)
class _Gazetteer:
    units: dict[tuple[str, str], _Unit]
    province_idx: dict[str, tuple[_Unit, ...]]
    district_idx: dict[str, tuple[_Unit, ...]]
    commune_idx: dict[str, tuple[_Unit, ...]]
    new_code_of_legacy: dict[str, str]
    # Every leading part of a province key ("k", "kh", … "khanhhoa"): a word that is none of them cannot
    # start a province name, which settles most words of a text at once.  (Small for provinces only.)
    province_prefixes: frozenset[str]


# Spellings citizens use that the upstream data lacks (keys are folded, spaces removed).
_EXTRA_PROVINCE_ALIASES = {
    "79": ("tphcm", "hcm", "hcmc", "saigon", "thanhphohcm"),
    "01": ("hn",),
    "46": ("thuathienhue",),
    "66": ("daklak", "daclac", "daclak", "daklac"),
}
_EXTRA_LEGACY_PROVINCE_ALIASES = {"77": ("brvt", "bariavungtau"), "67": ("daknong", "dacnong")}
_TYPE_PREFIX_KEYS = tuple(sorted((_name_key(t) for t in _TYPES), key=len, reverse=True))


def _alias_keys(aliases: Iterable[str]) -> set[str]:
    """Upstream alias keys sometimes carry the type (``phuong1baoloc``): index them without it too."""
    out = set()
    for a in aliases:
        out.add(a)
        for p in _TYPE_PREFIX_KEYS:
            if a.startswith(p) and len(a) > len(p):
                out.add(a[len(p) :])
                break
    return out


@cache
def _gazetteer() -> _Gazetteer:
    """Load the data file and index every unit by its folded name; built once, on first use."""
    raw = json.loads(DATA_FILE.read_text(encoding="utf-8"))
    units: dict[tuple[str, str], _Unit] = {}
    prov: dict[str, list[_Unit]] = {}
    dist: dict[str, list[_Unit]] = {}
    comm: dict[str, list[_Unit]] = {}

    def add(idx: dict[str, list[_Unit]], unit: _Unit, aliases: Iterable[str] = ()) -> None:
        units[(unit.kind, unit.code)] = unit
        for k in {_name_key(unit.short), *_alias_keys(aliases)}:
            if k:
                idx.setdefault(k, []).append(unit)

    for code, name, aliases in raw["provinces"]:
        t, short = _split_type(name)
        add(prov, _Unit(P, code, name, t, short, code), [*aliases, *_EXTRA_PROVINCE_ALIASES.get(code, ())])
    new_code_of_legacy: dict[str, str] = {}
    for code, name, new_code, aliases in raw["legacy_provinces"]:
        new_code_of_legacy[code] = new_code
        if code == new_code and (P, code) in units and units[(P, code)].name == name:
            continue  # same province, same name: already indexed as a new province
        t, short = _split_type(name)
        add(prov, _Unit(LP, code, name, t, short, new_code), [*aliases, *_EXTRA_LEGACY_PROVINCE_ALIASES.get(code, ())])
    for code, prov_code, name, aliases in raw["communes"]:
        t, short = _split_type(name)
        add(comm, _Unit(C, code, name, t, short, prov_code), aliases)
    for code, lprov, name, aliases, island_target in raw["legacy_districts"]:
        t, short = _split_type(name)
        add(dist, _Unit(LD, code, name, t, short, new_code_of_legacy[lprov], lprov, island_target), aliases)
    for code, dcode, name, aliases, target, _others in raw["legacy_wards"]:
        t, short = _split_type(name)
        d = units[(LD, dcode)]
        add(comm, _Unit(LW, code, name, t, short, d.province, dcode, target), aliases)
    return _Gazetteer(
        units,
        {k: tuple(v) for k, v in prov.items()},
        {k: tuple(v) for k, v in dist.items()},
        {k: tuple(v) for k, v in comm.items()},
        new_code_of_legacy,
        frozenset(k[:n] for k in prov for n in range(1, len(k) + 1)),
    )


# Markers: folded token sequence -> (levels it introduces, unit type it names).
_COMMUNE, _DISTRICT, _PROVINCE = "commune", "district", "province"
_MARKERS: dict[tuple[str, ...], tuple[frozenset[str], str]] = {
    ("phuong",): (frozenset({_COMMUNE}), "Phường"),
    ("p",): (frozenset({_COMMUNE}), "Phường"),
    ("xa",): (frozenset({_COMMUNE}), "Xã"),
    ("x",): (frozenset({_COMMUNE}), "Xã"),
    ("thi", "tran"): (frozenset({_COMMUNE}), "Thị trấn"),
    ("tt",): (frozenset({_COMMUNE}), "Thị trấn"),
    ("dac", "khu"): (frozenset({_COMMUNE}), "Đặc khu"),
    ("quan",): (frozenset({_DISTRICT}), "Quận"),
    ("q",): (frozenset({_DISTRICT}), "Quận"),
    ("huyen",): (frozenset({_DISTRICT}), "Huyện"),
    ("h",): (frozenset({_DISTRICT}), "Huyện"),
    ("thi", "xa"): (frozenset({_DISTRICT}), "Thị xã"),
    ("tx",): (frozenset({_DISTRICT}), "Thị xã"),
    ("thanh", "pho"): (frozenset({_DISTRICT, _PROVINCE}), "Thành phố"),
    ("tp",): (frozenset({_DISTRICT, _PROVINCE}), "Thành phố"),
    ("tinh",): (frozenset({_PROVINCE}), "Tỉnh"),
}
_MARKER_FIRST_WORDS = frozenset(seq[0] for seq in _MARKERS)
_LEVEL_RANK = {_COMMUNE: 0, _DISTRICT: 1, _PROVINCE: 2}
_ALL_LEVELS = frozenset(_LEVEL_RANK)
# The levels a name chained after a mention of level rank r may have (r = -1: no mention before).
_LEVELS_ABOVE = {r: frozenset(lvl for lvl, rank in _LEVEL_RANK.items() if rank > r) for r in (-1, 0, 1, 2)}
_DISTRICT_OR_PROVINCE = frozenset({_DISTRICT, _PROVINCE})
_PROVINCE_ONLY = frozenset({_PROVINCE})
_KIND_LEVEL = {P: _PROVINCE, LP: _PROVINCE, LD: _DISTRICT, C: _COMMUNE, LW: _COMMUNE}
_LOCATIVES = frozenset({"o", "tai", "thuoc"})
_LOCATIVE_PAIRS = frozenset({("khu", "vuc"), ("dia", "ban")})
_MAX_NAME_TOKENS = 5
_SEGMENT_END = re.compile(r"[,;\n]")
_NAME_GAP = re.compile(r"[\s\-–]*")  # what may sit between the syllables of one name
_CHAIN_GAP = re.compile(r"[\s,\-–.()]*(?:thuoc\s*|cua\s*)?[\s,\-–.()]*")


class _Tok(NamedTuple):
    """A folded token (a tuple: made once per token of every address, so it must be cheap to make)."""

    text: str  # folded, digits as written
    start: int
    end: int
    key: str  # its part of a name key: digits without leading zeros (see ``_key``)


@dataclass(frozen=True, slots=True)
class _Mention:
    start: int
    end: int
    level: int  # lowest level rank among its candidates
    marker_type: str | None
    candidates: tuple[_Unit, ...]
    exact: frozenset[tuple[str, str]]  # candidates whose diacritics match what was written


# ``_Tok(...)`` runs the Python ``__new__`` that NamedTuple generates; ``tuple.__new__`` through a partial
# builds the same _Tok in C, without a Python frame per token.
_new_tok: Callable[[tuple[str, int, int, str]], _Tok] = partial(tuple.__new__, _Tok)


def _tokens(folded: str) -> list[_Tok]:
    out = []
    for m in _TOKEN.finditer(folded):
        text = m.group()
        out.append(_new_tok((text, m.start(), m.end(), str(int(text)) if text.isdigit() else text)))
    return out


def _lookup(g: _Gazetteer, levels: frozenset[str], key: str) -> tuple[_Unit, ...]:
    out: tuple[_Unit, ...] = ()
    if _PROVINCE in levels:
        out += g.province_idx.get(key, ())
    if _DISTRICT in levels:
        out += g.district_idx.get(key, ())
    if _COMMUNE in levels:
        out += g.commune_idx.get(key, ())
    return out


def _match_name(
    g: _Gazetteer,
    text: str,
    folded: str,
    toks: list[_Tok],
    i: int,
    levels: frozenset[str],
    marker_type: str | None,
    start: int,
    whole_segment_end: int | None = None,
) -> _Mention | None:
    """Longest known name starting at token ``i``; names do not cross commas or other punctuation."""
    if levels == _PROVINCE_ONLY and toks[i].key not in g.province_prefixes:
        return None
    n_max = 1
    while (
        n_max < _MAX_NAME_TOKENS
        and i + n_max < len(toks)
        and _NAME_GAP.fullmatch(folded, toks[i + n_max - 1].end, toks[i + n_max].start)
    ):
        n_max += 1
    keys = list(accumulate(t.key for t in toks[i : i + n_max]))  # the keys of the first 1, 2, … tokens
    for n in range(n_max, 0, -1):
        end = toks[i + n - 1].end
        if whole_segment_end is not None and end != whole_segment_end:
            continue
        cands = _lookup(g, levels, keys[n - 1])
        if not cands:
            continue
        written = text[toks[i].start : end]
        exact: frozenset[tuple[str, str]] = frozenset()
        if not written.isascii():
            wk = _tone_key(written)
            exact = frozenset((u.kind, u.code) for u in cands if _tone_key(u.short) == wk)
        level = min(_LEVEL_RANK[_KIND_LEVEL[u.kind]] for u in cands)
        return _Mention(start, end, level, marker_type, cands, exact)
    return None


def _marker_at(text: str, folded: str, toks: list[_Tok], i: int) -> tuple[int, frozenset[str], str] | None:
    """(number of tokens, levels, type) when a unit-type word starts at token ``i``."""
    if toks[i].text not in _MARKER_FIRST_WORDS:  # most tokens: no marker can start here
        return None
    for n in (2, 1):
        seq = tuple(t.text for t in toks[i : i + n])
        if len(seq) != n or seq not in _MARKERS:
            continue
        if n == 2 and not _NAME_GAP.fullmatch(folded, toks[i].end, toks[i + 1].start):
            continue
        levels, mtype = _MARKERS[seq]
        tok = toks[i + n - 1]
        if len(seq[0]) == 1 or seq == ("tt",) or seq == ("tx",) or seq == ("tp",):
            # abbreviations: "P.", "Q1", "TP " — not the stray letter of a word or a time like 14h30
            after = folded[tok.end : tok.end + 1]
            upper = text[tok.start].isupper()
            if not (
                after == "."
                or upper
                or (i + n < len(toks) and toks[i + n].text.isdigit() and toks[i + n].start == tok.end)
            ):
                continue
            if seq == ("h",) and i > 0 and toks[i - 1].end == tok.start and toks[i - 1].text.isdigit():
                continue
        if i + n >= len(toks):
            return None
        return n, levels, mtype
    return None


def _is_capitalised(text: str, toks: list[_Tok]) -> bool:
    return all(text[t.start].isupper() or t.text.isdigit() for t in toks)


def _mentions(text: str, folded: str, segments: bool) -> list[_Mention]:
    """Every administrative-unit mention, in order of appearance.

    Named units ("phường X", "TP. X") are always taken.  Bare names are taken only where an address
    continues ("…, Nha Trang, Khánh Hòa"), after ``ở``/``tại``, as a capitalised province name, or —
    for an address field (``segments``) — when a comma-separated part is exactly a known name.
    """
    g = _gazetteer()
    toks = _tokens(folded)
    out: list[_Mention] = []
    seg_starts: dict[int, int] = {}
    if segments:  # index of the first token of each comma-separated part -> where its last token ends
        separators = [m.start() for m in _SEGMENT_END.finditer(folded)]
        first, part = 0, -1
        for index, t in enumerate(toks):
            if (t_part := bisect_left(separators, t.start)) != part:  # how many separators come before it
                first, part = index, t_part
            seg_starts[first] = t.end
    i = 0
    prev_end = -1
    prev_level = -1
    while i < len(toks):
        tok = toks[i]
        mention = None
        mk = _marker_at(text, folded, toks, i)
        if mk is not None:
            n, levels, mtype = mk
            mention = _match_name(g, text, folded, toks, i + n, levels, mtype, tok.start)
        if mention is None:
            chained = prev_end >= 0 and _CHAIN_GAP.fullmatch(folded, prev_end, tok.start) is not None
            all_levels = _LEVELS_ABOVE[prev_level]
            if chained and all_levels:
                mention = _match_name(g, text, folded, toks, i, all_levels, None, tok.start)
            elif i in seg_starts:
                mention = _match_name(
                    g, text, folded, toks, i, _ALL_LEVELS, None, tok.start, whole_segment_end=seg_starts[i]
                )
            elif (i > 0 and toks[i - 1].text in _LOCATIVES) or (
                i > 1 and (toks[i - 2].text, toks[i - 1].text) in _LOCATIVE_PAIRS
            ):
                mention = _match_name(g, text, folded, toks, i, _DISTRICT_OR_PROVINCE, None, tok.start)
            else:
                m = _match_name(g, text, folded, toks, i, _PROVINCE_ONLY, None, tok.start)
                if m is not None and _is_capitalised(text, [t for t in toks if m.start <= t.start < m.end]):
                    mention = m
        if mention is None:
            i += 1
            continue
        out.append(mention)
        prev_end, prev_level = mention.end, mention.level
        while i < len(toks) and toks[i].start < mention.end:
            i += 1
    return out


def _chains(folded: str, mentions: list[_Mention]) -> list[list[_Mention]]:
    chains: list[list[_Mention]] = []
    for m in mentions:
        if chains and _CHAIN_GAP.fullmatch(folded, chains[-1][-1].end, m.start):
            chains[-1].append(m)
        else:
            chains.append([m])
    return chains


@dataclass(frozen=True, slots=True)
class _Resolved:
    province: _Unit | None
    commune: _Unit | None
    old_text: str | None
    rank: int  # 2 = commune, 1 = province only, 0 = nothing

    def as_match(self, text: str) -> PlaceMatch:
        return PlaceMatch(
            text=text,
            province=self.province.name if self.province else None,
            province_code=self.province.code if self.province else None,
            commune=self.commune.name if self.commune else None,
            commune_code=self.commune.code if self.commune else None,
            old_text=self.old_text,
        )


def _old_name(g: _Gazetteer, unit: _Unit) -> str:
    parts = [unit.name]
    if unit.kind == LW and unit.parent:
        unit = g.units[(LD, unit.parent)]
        parts.append(unit.name)
    if unit.kind == LD and unit.parent:
        lp = g.units.get((LP, unit.parent)) or g.units[(P, unit.parent)]
        parts.append(lp.name)
    return ", ".join(parts)


def _resolve(chain: list[_Mention], hint_province: str | None) -> _Resolved:
    """Pick the most consistent reading: a ward in the named district and province beats a namesake."""
    g = _gazetteer()
    prov_votes: dict[str, float] = {}
    legacy_provs: set[str] = set()
    for m in chain:
        pcands = [u for u in m.candidates if u.kind in (P, LP)]
        if pcands and m.marker_type in (None, "Tỉnh", "Thành phố"):
            for u in pcands:
                prov_votes[u.province] = prov_votes.get(u.province, 0) + 1 / len(pcands)
                if u.kind == LP:
                    legacy_provs.add(u.code)
    districts: list[_Unit] = []
    for m in chain:
        for u in m.candidates:
            if (
                u.kind == LD
                and (not prov_votes or u.province in prov_votes)
                and m.marker_type in (None, "Thành phố", u.type)
            ):
                districts.append(u)
    district_codes = {d.code for d in districts}

    best: tuple[float, _Unit] | None = None
    tie = False
    for m in chain:
        for u in m.candidates:
            if u.kind not in (C, LW) or (m.marker_type is None and _names_province(m)):
                continue  # a bare "Khánh Hòa", "Sài Gòn" names the province, not a namesake ward
            s = 0.0
            if u.kind == LW and u.parent in district_codes:
                s += 4
            if u.province in prov_votes:
                s += 2
            elif prov_votes:
                continue  # contradicts the province the citizen named
            if m.marker_type is not None:
                s += 1 if m.marker_type == u.type else -0.5
            if (u.kind, u.code) in m.exact:
                s += 1.5
            if u.kind == C and not district_codes:
                s += 0.5
            if u.kind == LW and (district_codes or u.province in legacy_provs):
                s += 0.5
            if hint_province is not None and u.province == hint_province:
                s += 0.75
            if m.marker_type is None and s < 2 and len(m.candidates) > 1:
                continue  # a bare ambiguous name needs support from the rest of the address
            if best is None or s > best[0]:
                best, tie = (s, u), False
            elif s == best[0] and _target(u) != _target(best[1]):
                tie = True
    commune_unit: _Unit | None = None
    old: _Unit | None = None
    if best is not None and not tie:
        u = best[1]
        if u.kind == LW:
            commune_unit, old = g.units[(C, u.target or "")], u
        else:
            commune_unit = u
    if commune_unit is not None:
        return _Resolved(g.units[(P, commune_unit.province)], commune_unit, _old_name(g, old) if old else None, 2)
    # no commune: a district (old) or a province
    if districts:
        provs = {d.province for d in districts}
        if hint_province in provs and len(provs) > 1:
            districts = [d for d in districts if d.province == hint_province]
            provs = {hint_province}
        if len(provs) == 1:
            d = districts[0]
            island = g.units.get((C, d.target)) if d.target else None
            return _Resolved(
                g.units[(P, d.province)], island, _old_name(g, d) if len(districts) == 1 else None, 2 if island else 1
            )
    if prov_votes:
        top = max(prov_votes.values())
        winners = [p for p, v in prov_votes.items() if v == top]
        if len(winners) > 1 and hint_province in winners:
            winners = [hint_province]
        if len(winners) == 1:
            old_name = next(
                (g.units[(LP, c)].name for c in sorted(legacy_provs) if g.units[(LP, c)].province == winners[0]), None
            )
            return _Resolved(g.units[(P, winners[0])], None, old_name, 1)
    if best is not None and tie:
        return _Resolved(None, None, None, 0)
    return _Resolved(None, None, None, 0)


def _names_province(m: _Mention) -> bool:
    return any(u.kind in (P, LP) for u in m.candidates)


def _target(u: _Unit) -> str:
    return u.target or u.code if u.kind == LW else u.code


def _norm_text(text: str) -> str:
    return unicodedata.normalize("NFC", text)


def match_place(text: str, *, hint_province: str | None = None) -> PlaceMatch | None:
    """The unit an address field names, or None when no unit is recognised.

    ``text`` is a whole address ("12 Trần Phú, P. Lộc Thọ, TP Nha Trang"), so each comma-separated
    part may be a bare name.  ``hint_province`` (a new province code, e.g. the gateway's own) only
    breaks ties between namesakes; it never overrides a province the citizen wrote.
    """
    text = _norm_text(text).strip()
    if not text:
        return None
    folded = fold(text)
    chains = _chains(folded, _mentions(text, folded, segments=True))
    best: _Resolved | None = None
    for chain in chains:
        r = _resolve(chain, hint_province)
        if r.rank and (best is None or r.rank > best.rank):
            best = r
    if best is None:
        merged = [m for c in chains for m in c]
        if merged:
            r = _resolve(merged, hint_province)
            best = r if r.rank else None
    return best.as_match(text) if best else None


_STREET_WORDS = (
    "số|số nhà|đường|phố|hẻm|kiệt|ngõ|ngách|tdp|tổ|tổ dân phố|thôn|ấp|khu phố|kp|khóm|buôn|làng|xóm|"
    "chung cư|khu dân cư|khu đô thị|kdc|kđt|chợ|cầu|công viên|bệnh viện|trường|bãi biển|quảng trường|"
    "ngã ba|ngã tư|ngã năm|vòng xoay|bùng binh|chân cầu"
)
_STREETS = fold(_STREET_WORDS)
# With diacritics the word must be written as such ("chợ", not "cho" = "for"); folded only for ASCII text.
_LANDMARK_MARKED = re.compile(rf"(?<!\w)(?:{_STREET_WORDS})(?!\w)", re.IGNORECASE)
_LANDMARK_ASCII = re.compile(rf"\b(?:{_STREETS})\b")
_BOUNDARY = re.compile(r"(?:\b(?:tai|o|khu vuc|gan|truoc|tren|doan|thuoc|dia chi|noi)\b|[.;:!?\n(\"])\s*")
_STREET_START_MARKED = re.compile(rf"(?:{_STREET_WORDS})(?!\w)|[0-9]", re.IGNORECASE)
_STREET_START_ASCII = re.compile(rf"(?:{_STREETS})\b|[0-9]")
_PROPER = re.compile(r"\s*(?:[A-ZĐ\u00c0-\u1ef9][\w\u00c0-\u1ef9]*|[0-9][0-9/]*)", re.UNICODE)


def _landmark_re(text: str) -> re.Pattern[str]:
    return _LANDMARK_ASCII if text.isascii() else _LANDMARK_MARKED


def _street_start(text: str, folded: str, start: int) -> int:
    """Extend a place back over the street part written before it ("đường Trần Phú, phường …")."""
    window_start = max(0, start - 100)
    prefix = folded[window_start:start]
    cut = 0
    for m in _BOUNDARY.finditer(prefix):
        cut = m.end()
    piece = text[window_start + cut : start]
    stripped = piece.lstrip()
    street = _STREET_START_ASCII if piece.isascii() else _STREET_START_MARKED
    if stripped and street.match(stripped):
        return window_start + cut + (len(piece) - len(stripped))
    return start


def _landmark(text: str, folded: str) -> PlaceMatch | None:
    """A named landmark or street ("chợ Đầm", "đường Trần Phú") when no unit is named."""
    for m in _landmark_re(text).finditer(text if not text.isascii() else folded):
        end = m.end()
        n = 0
        while n < 6:
            p = _PROPER.match(text, end)
            if p is None or (p.group().strip()[0].islower()):
                break
            end, n = p.end(), n + 1
        if n:
            return PlaceMatch(text=text[m.start() : end])
    return None


def find_place(text: str, *, hint_province: str | None = None) -> PlaceMatch | None:
    """The first place a free text names, with the unit it is in when one is recognised.

    Returns the place as written (street included, e.g. "đường Trần Phú, phường Lộc Thọ, TP Nha
    Trang"); a landmark with no unit ("chợ Đầm") comes back with only ``text``.  None = no place.
    """
    text = _norm_text(text)
    folded = fold(text)
    best: tuple[_Resolved, list[_Mention]] | None = None
    for chain in _chains(folded, _mentions(text, folded, segments=False)):
        r = _resolve(chain, hint_province)
        if r.rank and (best is None or r.rank > best[0].rank):
            best = (r, chain)
    if best is None:
        return _landmark(text, folded)
    r, chain = best
    start = _street_start(text, folded, chain[0].start)
    return r.as_match(text[start : chain[-1].end])


def is_in_jurisdiction(match: PlaceMatch | None, province_code: str) -> bool | None:
    """Whether the place lies in the (new) province ``province_code``; None when that is unknown.

    An old province code (e.g. "58", Ninh Thuận) is read as the new province it merged into.
    """
    if match is None or not match.province_code:
        return None
    code = province_code.strip().zfill(2)
    g = _gazetteer()
    if (P, code) not in g.units:
        mapped = g.new_code_of_legacy.get(code)
        if mapped is None:
            return None
        code = mapped
    return match.province_code == code


def load_gazetteer() -> None:
    """Build the gazetteer now rather than on first use: a parent about to fork the processes that
    normalize (`pakn run`'s supervisor) builds it once, and its children share its ~14 MB."""
    _gazetteer()


def province_name(province_code: str) -> str | None:
    """The official name of a (new) province, e.g. "56" → "Tỉnh Khánh Hòa"."""
    unit = _gazetteer().units.get((P, province_code.strip().zfill(2)))
    return unit.name if unit else None
