#!/usr/bin/env python3
"""Build the SYNTHETIC CLC 2012 demo raster of the SCoT Flandre-Dunkerque from the 2018 one.

Output: ``landcover/demo_flandre_dunkerque_clc2012_20m.tif``. It uses the same grid, dtype
(uint16 = CLC level-3 code), nodata (0) and tiling as ``demo_flandre_dunkerque_clc2018_20m.tif``.

What is real
------------
* the CLC 2012 -> 2018 change areas (ha over the 6 years) per EPCI, from the ALDO table
  ``aldo/clc12_clc18_changements_ha_epci_59_62.csv``. The three ``Déboisement ...`` columns are
  ignored;
* the communes in which each change happened, with their areas, from the ALDO table
  ``aldo/clc12_clc18_changements_ha_communes_59_62.csv``, as far as it agrees with the EPCI
  table (see ``reconcile``).

What is invented
----------------
* where the changed pixels lie. The 2012 raster starts as a copy of the 2018 raster. For each
  transition c12 -> c18 with area A, N = round(A / 0.04 ha) pixels that are c18 in 2018 are
  set back to c12. They are chosen as a few compact patches: seeds drawn among the best-scoring
  c18 pixels (urbanisation at the edge of built-up areas next to farmland, 324 -> 311 inside
  forests...), then the c18 pixels nearest to the seeds.
* RPG 2021 parcel pixels are never picked unless there is no other choice (then reported),
  so the parcels are identical at both dates. No pixel is picked twice.

Deterministic: fixed seed, no timestamps. Runs in a few seconds.
Run from the repository root: ``python landcover/build_demo_landcover_2012.py``.
Optional ``--preview PNG`` writes a map of the changed pixels.
"""
from __future__ import annotations

import argparse
import hashlib
import sys
import time
from pathlib import Path

import numpy as np
import pandas as pd
import rasterio
from rasterio.features import rasterize

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
import build_demo_landcover as b18  # noqa: E402  (grid constants, territory, RPG and blur helpers)

ROOT = HERE.parent
SRC = b18.OUT  # the 2018 raster (read only)
OUT = HERE / "demo_flandre_dunkerque_clc2012_20m.tif"
CHANGES_EPCI = HERE / "aldo" / "clc12_clc18_changements_ha_epci_59_62.csv"
CHANGES_COM = HERE / "aldo" / "clc12_clc18_changements_ha_communes_59_62.csv"

SEED = 20122018
PIXEL_HA = b18.PIXEL_HA  # 20 m x 20 m = 400 m2 = 0.04 ha
EPCIS = b18.EPCIS
PATCH_HA = 5.0  # typical patch of change (the CLC change layer has a 5 ha minimum mapping unit)
FOREST_PATCH_HA = 10.0  # 324 -> 31x forest maturation: larger patches
SEED_POOL = 0.2  # seeds are drawn among the best 20 % of the candidates (by score)


def n_px(ha: float) -> int:
    """Pixel count of an area: round half up of ha / 0.04."""
    return int(np.floor(ha / PIXEL_HA + 0.5))


# --------------------------------------------------------------------------- inputs
def load_changes_epci() -> dict[str, dict[tuple[int, int], float]]:
    """ALDO EPCI change table -> {siren: {(c12, c18): ha}}; empty = 0; Déboisement ignored."""
    t = pd.read_csv(CHANGES_EPCI, dtype={"siren": str}).set_index("siren")
    cols = [c for c in t.columns if "-" in c and not c.startswith("D")]
    out = {}
    for siren in EPCIS:
        row = t.loc[siren, cols].fillna(0.0)
        out[siren] = {tuple(int(x) for x in c.split("-")): float(v) for c, v in row.items() if v > 0}
    return out


def load_changes_communes(com) -> pd.DataFrame:
    c = pd.read_csv(CHANGES_COM, dtype={"commune": str})
    c = c.merge(com[["code", "epci"]], left_on="commune", right_on="code")  # territory only
    return c[["code12", "code18", "commune", "epci", "area"]].astype(
        {"code12": int, "code18": int, "area": float})


def largest_remainder(weights: np.ndarray, total: int) -> np.ndarray:
    q = weights / weights.sum() * total
    n = np.floor(q).astype(int)
    rest = total - n.sum()
    if rest > 0:
        n[np.argsort(-(q - n), kind="stable")[:rest]] += 1
    return n


def reconcile(epci_ch, com_ch):
    """Per EPCI and transition: pixel target, commune allocations and residual.

    The EPCI table is authoritative (it is what the tests check):
    * commune sum >= EPCI area - 1/2 px: the EPCI pixel count is split between the communes in
      proportion to their areas (largest remainder), no residual;
    * commune sum < EPCI area: each commune gets round(area / 0.04) and the residual goes to
      the other communes of the EPCI;
    * transitions that appear only in the commune table are not placed (they would be
      transitions the EPCI table does not list).
    """
    plan, consistency, skipped = {}, [], []
    for siren in EPCIS:
        rows = com_ch[com_ch["epci"] == siren]
        for (c12, c18), a in sorted(epci_ch[siren].items()):
            r = rows[(rows["code12"] == c12) & (rows["code18"] == c18)].sort_values("commune")
            n = n_px(a)
            sa = float(r["area"].sum())
            consistency.append((siren, c12, c18, a, sa))
            if r.empty:
                alloc = {}
            elif sa >= a - PIXEL_HA / 2:
                alloc = dict(zip(r["commune"], largest_remainder(r["area"].to_numpy(), n)))
            else:
                alloc = {k: n_px(v) for k, v in zip(r["commune"], r["area"])}
            alloc = {k: int(v) for k, v in alloc.items()}
            plan[(siren, c12, c18)] = {
                "ha": a, "n": n, "communes": alloc, "com_ha": dict(zip(r["commune"], r["area"])),
                "residual": n - sum(alloc.values()),
            }
        listed = set(epci_ch[siren])
        for (c12, c18), g in rows.groupby(["code12", "code18"]):
            if (c12, c18) not in listed:
                for insee, a in zip(g["commune"], g["area"]):
                    skipped.append((siren, int(c12), int(c18), insee, float(a)))
    return plan, consistency, skipped


# --------------------------------------------------------------------------- placement
class Placer:
    def __init__(self, a18, rpg_mask, com_idx, epci_idx, rng):
        self.a18 = a18.ravel()
        self.shape = a18.shape
        self.W = a18.shape[1]
        self.rpg = rpg_mask.ravel()
        self.com = com_idx.ravel()
        self.epci = epci_idx.ravel()
        self.used = np.zeros(self.a18.size, dtype=bool)
        self.rng = rng
        self._frac = {}

    def frac(self, codes, r_px) -> np.ndarray:
        """Share of pixels (2018) whose code is in `codes` within a (2 r + 1)^2 px window."""
        key = (tuple(sorted(codes)), r_px)
        if key not in self._frac:
            m = np.isin(self.a18, list(codes)).reshape(self.shape).astype(np.float64)
            f = b18.box_blur(b18.box_blur(m, r_px, 0), r_px, 1)
            self._frac[key] = f.ravel().astype(np.float32)
        return self._frac[key]

    def score(self, c12: int, c18: int) -> np.ndarray:
        codes = np.unique(self.a18)
        agri = [int(c) for c in codes if 200 <= c < 300]
        if c18 // 100 == 1 and c12 // 100 == 2:  # urbanisation of farmland: urban edge
            return self.frac(agri, 5)
        if c18 // 100 == 1 and c12 // 100 in (1, 3):  # construction site / quarry -> built: fringe
            return self.frac(agri + [int(c) for c in codes if 300 <= c < 400], 5)
        if c12 == 324 and c18 in (311, 312, 313):  # forest maturation: inside forests
            return self.frac([311, 312, 313], 10)
        return self.frac([c18], 5)  # otherwise: inside the c18 patches (compact)

    def candidates(self, c18, region, allow_rpg=False):
        m = region & (self.a18 == c18) & ~self.used
        if not allow_rpg:
            m &= ~self.rpg
        return np.flatnonzero(m)

    def pick(self, cand, n, score, patch_px, anchor=None) -> np.ndarray:
        """n of the candidate pixels as compact patches (all of them if there are not enough)."""
        if n <= 0 or cand.size == 0:
            return cand[:0]
        if cand.size <= n:
            return cand
        r, c = np.divmod(cand, self.W)
        r = r.astype(np.float32)
        c = c.astype(np.float32)
        if anchor is not None:  # spill-over: the c18 pixels nearest to the anchor (a commune)
            key = np.hypot(r - anchor[0], c - anchor[1])
        else:
            s = score[cand]
            k = int(np.clip(n // patch_px, 1, 60))
            pool = np.flatnonzero(s >= np.quantile(s, 1 - SEED_POOL))
            pool = self.rng.permutation(pool)
            radius = np.sqrt(patch_px / np.pi)
            seeds = []
            for sep in (3 * radius, 1.5 * radius, 0.0):  # spread the seeds, relax if needed
                for i in pool:
                    if len(seeds) == k:
                        break
                    if i in seeds:
                        continue
                    if all(np.hypot(r[i] - r[j], c[i] - c[j]) > sep for j in seeds):
                        seeds.append(i)
                if len(seeds) == k:
                    break
            d = np.full(cand.size, np.inf, dtype=np.float32)
            for j in seeds:
                d = np.minimum(d, np.hypot(r - r[j], c - c[j]))
            key = d - radius * s  # patches stretch towards high-score pixels (e.g. the edge)
        return cand[np.argsort(key, kind="stable")[:n]]

    def take(self, sel, out12, c12):
        assert not self.used[sel].any()
        self.used[sel] = True
        out12[sel] = c12


# --------------------------------------------------------------------------- main build
def build() -> dict:
    t0 = time.perf_counter()
    com = b18.load_territory()
    rpg = b18.load_rpg()
    epci_ch = load_changes_epci()
    com_ch = load_changes_communes(com)
    plan, consistency, skipped = reconcile(epci_ch, com_ch)

    with rasterio.open(SRC) as src:
        a18 = src.read(1)
        profile = src.profile.copy()
        transform = src.transform
    shape = a18.shape
    com_idx = rasterize(
        ((g, i + 1) for i, g in enumerate(com.geometry)),
        out_shape=shape, transform=transform, fill=0, all_touched=False, dtype="int32",
    )
    epci_of_com = np.array([0] + [1 + EPCIS.index(e) for e in com["epci"]], dtype=np.uint8)
    epci_idx = epci_of_com[com_idx]
    assert np.array_equal(epci_idx > 0, a18 > 0)
    rpg_mask = rasterize(
        ((g, 1) for g in rpg.geometry),
        out_shape=shape, transform=transform, fill=0, all_touched=False, dtype="uint8",
    ).astype(bool) & (a18 > 0)
    code_to_idx = {c: i + 1 for i, c in enumerate(com["code"])}
    centroid_rc = {}
    for insee, i in code_to_idx.items():
        rr, cc = np.nonzero(com_idx == i)
        centroid_rc[insee] = (rr.mean(), cc.mean())
    names = dict(zip(com["code"], com["nom"])) if "nom" in com else {}
    if not names:
        ce = pd.read_csv(b18.COMMUNES_EPCI, dtype=str)
        names = dict(zip(ce["insee"], ce["nom"]))

    rng = np.random.default_rng(SEED)
    P = Placer(a18, rpg_mask, com_idx, epci_idx, rng)
    out12 = a18.ravel().copy()
    placed_in = {}  # (siren, c12, c18, insee or None) -> px placed there
    notes = []

    def place(key, n, region, anchor=None, label=""):
        siren, c12, c18 = key
        patch = n_px(FOREST_PATCH_HA if c12 == 324 else PATCH_HA)
        cand = P.candidates(c18, region)
        sel = P.pick(cand, n, P.score(c12, c18), patch, anchor)
        P.take(sel, out12, c12)
        return sel

    def record(key, sel):
        ins = P.com[sel]
        for i, cnt in zip(*np.unique(ins, return_counts=True)):
            k = (*key, com["code"].iloc[i - 1])
            placed_in[k] = placed_in.get(k, 0) + int(cnt)

    # phase 1: commune targets, inside their commune
    spills = []
    for key, p in plan.items():
        siren, c12, c18 = key
        for insee, n in p["communes"].items():
            sel = place(key, n, P.com == code_to_idx[insee])
            record(key, sel)
            if sel.size < n:
                spills.append((key, insee, n - sel.size))
    # phase 2: spill-over of communes that lack c18 pixels (nearest c18 pixels of the EPCI,
    # outside the communes that have their own target for this transition), then residuals
    tasks = [(key, n, insee) for key, insee, n in spills]
    tasks += [(key, p["residual"], None) for key, p in plan.items() if p["residual"] > 0]
    for key, n, insee in tasks:
        siren, c12, c18 = key
        e = 1 + EPCIS.index(siren)
        listed = [code_to_idx[i] for i in plan[key]["communes"]]
        in_e = P.epci == e
        outside = in_e & ~np.isin(P.com, listed)
        anchor = centroid_rc[insee] if insee else None
        sel = place(key, n, outside, anchor)
        rest = n - sel.size
        if rest > 0:  # fall back on the whole EPCI (commune counts then move)
            sel2 = place(key, rest, in_e, anchor)
            sel = np.concatenate([sel, sel2])
            rest -= sel2.size
        if rest > 0:  # last resort: RPG parcel pixels
            cand = P.candidates(c18, in_e, allow_rpg=True)
            sel3 = P.pick(cand, rest, P.score(c12, c18), n_px(PATCH_HA), anchor)
            P.take(sel3, out12, c12)
            if sel3.size:
                notes.append(f"{siren} {c12}-{c18}: {sel3.size} RPG pixels used")
            sel = np.concatenate([sel, sel3])
            rest -= sel3.size
        record(key, sel)
        if insee:
            notes.append(f"{siren} {c12}-{c18}: commune {insee} {names.get(insee, '')} lacks "
                         f"{n} px of non-RPG {c18}; {sel.size} of them placed in the nearest "
                         f"{c18} pixels outside it")

    out12 = out12.reshape(shape)
    changed = out12 != a18
    rpg_changed = int((changed & rpg_mask).sum())  # > 0 only if the last resort was needed
    # ---- report per EPCI x transition
    table = []
    for key, p in plan.items():
        siren, c12, c18 = key
        e = 1 + EPCIS.index(siren)
        got = int(((epci_idx == e) & (out12 == c12) & (a18 == c18)).sum())
        table.append((siren, c12, c18, p["ha"], p["n"], got))
    unplaced = [(s, c12, c18, ha, n, g) for s, c12, c18, ha, n, g in table if g < n]

    # ---- write
    sha18 = hashlib.sha256(a18.tobytes()).hexdigest()
    profile.update(driver="GTiff", dtype="uint16", nodata=0, tiled=True, blockxsize=256,
                   blockysize=256, compress="DEFLATE", predictor=2, zlevel=9, interleave="band")
    unplaced_txt = "; ".join(f"EPCI {s} {c12}-{c18}: {g} of {n} px ({(n - g) * PIXEL_HA:.2f} ha "
                             f"not placed, too few {c18} pixels in 2018)"
                             for s, c12, c18, ha, n, g in unplaced) or "none"
    with rasterio.open(OUT, "w", **profile) as dst:
        dst.write(out12, 1)
        dst.set_band_description(1, "CLC 2012 code (synthetic, calibrated changes)")
        dst.update_tags(
            SYNTHETIC="yes",
            DATE="2012",
            TERRITORY="SCoT Flandre-Dunkerque: EPCI 245900428 (CU de Dunkerque) + 200040954 "
                      "(CC des Hauts de Flandre), communes COG 2018",
            ENCODING="pixel value = CLC level-3 code (e.g. 211); 0 = nodata (outside territory)",
            METHOD="copy of the synthetic 2018 raster in which, for each EPCI and each CLC "
                   "2012->2018 transition c12-c18 of area A (ALDO, ha over 6 years), "
                   "round(A/0.04) pixels that are c18 in 2018 are set back to c12; placed in the "
                   "communes that the ALDO commune table names (commune areas as targets), as "
                   "compact patches around seeds (urban edge for urbanisation, forest interior "
                   "for 324->311); RPG 2021 parcel pixels kept identical. Change areas are real, "
                   "their location is invented.",
            SOURCES="landcover/aldo/clc12_clc18_changements_ha_epci_59_62.csv (ALDO, "
                    "incubateur-ademe/aldo data/dataByEpci/clc18-change.csv; Deboisement columns "
                    "ignored); landcover/aldo/clc12_clc18_changements_ha_communes_59_62.csv "
                    "(data/dataByCommune/clc18-change.csv); landcover/rpg/"
                    "rpg_2021_flandre_dunkerque.gpkg; base: " + SRC.name,
            BASE_2018=SRC.name,
            BASE_2018_PIXELS_SHA256=sha18,
            UNPLACED=unplaced_txt,
            SEED=str(SEED),
            PIXEL_AREA_HA="0.04",
        )
    return {
        "runtime_s": time.perf_counter() - t0, "table": table, "unplaced": unplaced,
        "consistency": consistency, "skipped": skipped, "plan": plan, "placed_in": placed_in,
        "notes": notes, "names": names, "changed_px": int(changed.sum()), "rpg_changed": rpg_changed,
        "a18": a18, "a12": out12, "epci_idx": epci_idx, "com_idx": com_idx,
    }


def preview(rep: dict, path: Path) -> None:
    """PNG: territory in grey, changed pixels coloured by their 2018 class group."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    from matplotlib.patches import Patch

    a18, a12, com_idx = rep["a18"], rep["a12"], rep["com_idx"]
    h, w = a18.shape
    img = np.ones((h, w, 3), dtype=np.float32)
    img[a18 > 0] = 0.82
    # commune and EPCI borders
    edge = np.zeros_like(a18, dtype=bool)
    edge[1:, :] |= com_idx[1:, :] != com_idx[:-1, :]
    edge[:, 1:] |= com_idx[:, 1:] != com_idx[:, :-1]
    img[edge] = 0.55
    eb = np.zeros_like(edge)
    e = rep["epci_idx"]
    eb[1:, :] |= e[1:, :] != e[:-1, :]
    eb[:, 1:] |= e[:, 1:] != e[:, :-1]
    img[eb] = 0.15
    groups = [
        ("farmland 2xx -> artificial 1xx", lambda c12, c18: (c12 // 100 == 2) & (c18 // 100 == 1), (0.85, 0.1, 0.1)),
        ("construction/quarry -> artificial", lambda c12, c18: (c12 // 100 == 1) & (c18 // 100 == 1), (0.95, 0.55, 0.0)),
        ("324 -> 311 forest maturation", lambda c12, c18: (c12 == 324) & (c18 // 10 == 31), (0.0, 0.5, 0.1)),
        ("other", lambda c12, c18: np.ones_like(c12, dtype=bool), (0.3, 0.2, 0.9)),
    ]
    ch = a12 != a18
    done = np.zeros_like(ch)
    for _, f, col in groups:
        m = ch & ~done & f(a12.astype(int), a18.astype(int))
        img[m] = col
        done |= m
    fig, ax = plt.subplots(figsize=(12, 10.5), dpi=110)
    ax.imshow(img, interpolation="nearest")
    ax.set_axis_off()
    ax.set_title("SYNTHETIC demo: pixels changed between CLC 2012 and 2018 "
                 f"({rep['changed_px']} px = {rep['changed_px'] * PIXEL_HA:.0f} ha)")
    ax.legend(handles=[Patch(color=c, label=l) for l, _, c in groups], loc="lower left")
    fig.tight_layout()
    fig.savefig(path)
    plt.close(fig)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--preview", type=Path, help="also write a PNG map of the changed pixels")
    args = ap.parse_args()
    rep = build()
    names = rep["names"]
    print(f"wrote {OUT.relative_to(ROOT)}  ({OUT.stat().st_size / 1e3:.0f} kB, "
          f"{rep['changed_px']} changed px, {rep['rpg_changed']} of them on RPG parcels)")
    print("\nper EPCI x transition (1 px = 0.04 ha):")
    print(f"{'EPCI':10} {'c12-c18':8} {'ALDO ha':>9} {'target px':>9} {'placed px':>9} {'placed ha':>9}")
    for s, c12, c18, ha, n, g in rep["table"]:
        print(f"{s:10} {c12}-{c18:<4} {ha:9.2f} {n:9d} {g:9d} {g * PIXEL_HA:9.2f}")
    print("\ncommune x transition (ALDO commune ha, allocated px, placed in commune px):")
    for key, p in rep["plan"].items():
        for insee, n in p["communes"].items():
            got = rep["placed_in"].get((*key, insee), 0)
            print(f"  {key[0]} {key[1]}-{key[2]} {insee} {names.get(insee, ''):30} "
                  f"{p['com_ha'][insee]:8.2f} ha  {n:5d} px  {got:5d} px")
    print("\ncommune table vs EPCI table (ha):")
    for s, c12, c18, a, sa in rep["consistency"]:
        flag = "" if abs(a - sa) < 0.01 else f"  diff {sa - a:+.3f}"
        print(f"  {s} {c12}-{c18}: EPCI {a:8.3f}  sum of communes {sa:8.3f}{flag}")
    for s, c12, c18, insee, a in rep["skipped"]:
        print(f"  only in the commune table (not placed): {s} {c12}-{c18} {insee} "
              f"{names.get(insee, '')} {a:.2f} ha")
    for n in rep["notes"]:
        print("note:", n)
    for s, c12, c18, ha, n, g in rep["unplaced"]:
        print(f"NOT PLACEABLE: {s} {c12}-{c18}: {g}/{n} px placed ({(n - g) * PIXEL_HA:.2f} ha short)")
    if args.preview:
        preview(rep, args.preview)
        print(f"preview: {args.preview}")
    print(f"runtime {rep['runtime_s']:.1f} s")


if __name__ == "__main__":
    main()
