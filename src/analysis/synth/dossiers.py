"""Seeded generator of a synthetic dataset of dossier records (Decision 766/QĐ-TTg index).

`make_demo_dossiers` writes `demo-dossiers`: the 63 provinces until June 2025, the 34 from July
2025 (52 merged into 23 new units with new ids `n25_*`, named as in data/papi-provinces; the 11
unchanged keep their id and have no crosswalk row), 18 ministries and agencies, and one row per
dossier as partitioned Parquet (`dossiers/part-YYYY-MM.parquet`, one file per month, written in
row groups of at most `CHUNK` rows, so memory stays bounded at any size). Levels follow the
Government's 2023 review (DOMAIN.md): online submission ≈ 38%, online payment ≈ 27%, on time
≈ 91% in provinces and ≈ 55% in ministries, digitisation ≈ 39% / 29%, satisfaction ≈ 97%.
Each unit has its own level per indicator (logit-normal) that drifts month to month (a random
walk); a new province starts from the dossier-weighted mean of its former provinces. The same
seed and arguments give byte-identical files.
"""
from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
import yaml

from analysis.inputs.service_mapping import DEFAULT_SERVICE_INDEX
from analysis.synth import SYNTHETIC_PUBLISHER
from analysis.synth.demo_mps import REGIONS

MONTHS = tuple(f"{y}-{m:02d}" for y in (2024, 2025) for m in range(1, 13))
MERGER = "2025-07"   # Resolution 202/2025/QH15: 34 provinces from 1 July 2025
CHUNK = 1_000_000    # rows per Parquet row group, the most held in memory at once

# Former provinces: "id name_vi | name_en | region | new unit (empty: unchanged)".
PROVINCES = """\
01 Hà Nội | Ha Noi | red_river_delta |
02 Hà Giang | Ha Giang | northern_midlands_mountains | n25_tuyen_quang
04 Cao Bằng | Cao Bang | northern_midlands_mountains |
06 Bắc Kạn | Bac Kan | northern_midlands_mountains | n25_thai_nguyen
08 Tuyên Quang | Tuyen Quang | northern_midlands_mountains | n25_tuyen_quang
10 Lào Cai | Lao Cai | northern_midlands_mountains | n25_lao_cai
11 Điện Biên | Dien Bien | northern_midlands_mountains |
12 Lai Châu | Lai Chau | northern_midlands_mountains |
14 Sơn La | Son La | northern_midlands_mountains |
15 Yên Bái | Yen Bai | northern_midlands_mountains | n25_lao_cai
17 Hòa Bình | Hoa Binh | northern_midlands_mountains | n25_phu_tho
19 Thái Nguyên | Thai Nguyen | northern_midlands_mountains | n25_thai_nguyen
20 Lạng Sơn | Lang Son | northern_midlands_mountains |
22 Quảng Ninh | Quang Ninh | red_river_delta |
24 Bắc Giang | Bac Giang | northern_midlands_mountains | n25_bac_ninh
25 Phú Thọ | Phu Tho | northern_midlands_mountains | n25_phu_tho
26 Vĩnh Phúc | Vinh Phuc | red_river_delta | n25_phu_tho
27 Bắc Ninh | Bac Ninh | red_river_delta | n25_bac_ninh
30 Hải Dương | Hai Duong | red_river_delta | n25_hai_phong
31 Hải Phòng | Hai Phong | red_river_delta | n25_hai_phong
33 Hưng Yên | Hung Yen | red_river_delta | n25_hung_yen
34 Thái Bình | Thai Binh | red_river_delta | n25_hung_yen
35 Hà Nam | Ha Nam | red_river_delta | n25_ninh_binh
36 Nam Định | Nam Dinh | red_river_delta | n25_ninh_binh
37 Ninh Bình | Ninh Binh | red_river_delta | n25_ninh_binh
38 Thanh Hóa | Thanh Hoa | north_central_central_coast |
40 Nghệ An | Nghe An | north_central_central_coast |
42 Hà Tĩnh | Ha Tinh | north_central_central_coast |
44 Quảng Bình | Quang Binh | north_central_central_coast | n25_quang_tri
45 Quảng Trị | Quang Tri | north_central_central_coast | n25_quang_tri
46 Thừa Thiên Huế | Thua Thien Hue | north_central_central_coast |
48 Đà Nẵng | Da Nang | north_central_central_coast | n25_da_nang
49 Quảng Nam | Quang Nam | north_central_central_coast | n25_da_nang
51 Quảng Ngãi | Quang Ngai | north_central_central_coast | n25_quang_ngai
52 Bình Định | Binh Dinh | north_central_central_coast | n25_gia_lai
54 Phú Yên | Phu Yen | north_central_central_coast | n25_dak_lak
56 Khánh Hòa | Khanh Hoa | north_central_central_coast | n25_khanh_hoa
58 Ninh Thuận | Ninh Thuan | north_central_central_coast | n25_khanh_hoa
60 Bình Thuận | Binh Thuan | north_central_central_coast | n25_lam_dong
62 Kon Tum | Kon Tum | central_highlands | n25_quang_ngai
64 Gia Lai | Gia Lai | central_highlands | n25_gia_lai
66 Đắk Lắk | Dak Lak | central_highlands | n25_dak_lak
67 Đắk Nông | Dak Nong | central_highlands | n25_lam_dong
68 Lâm Đồng | Lam Dong | central_highlands | n25_lam_dong
70 Bình Phước | Binh Phuoc | south_east | n25_dong_nai
72 Tây Ninh | Tay Ninh | south_east | n25_tay_ninh
74 Bình Dương | Binh Duong | south_east | n25_ho_chi_minh
75 Đồng Nai | Dong Nai | south_east | n25_dong_nai
77 Bà Rịa - Vũng Tàu | Ba Ria - Vung Tau | south_east | n25_ho_chi_minh
79 TP. Hồ Chí Minh | Ho Chi Minh City | south_east | n25_ho_chi_minh
80 Long An | Long An | mekong_delta | n25_tay_ninh
82 Tiền Giang | Tien Giang | mekong_delta | n25_dong_thap
83 Bến Tre | Ben Tre | mekong_delta | n25_vinh_long
84 Trà Vinh | Tra Vinh | mekong_delta | n25_vinh_long
86 Vĩnh Long | Vinh Long | mekong_delta | n25_vinh_long
87 Đồng Tháp | Dong Thap | mekong_delta | n25_dong_thap
89 An Giang | An Giang | mekong_delta | n25_an_giang
91 Kiên Giang | Kien Giang | mekong_delta | n25_an_giang
92 Cần Thơ | Can Tho | mekong_delta | n25_can_tho
93 Hậu Giang | Hau Giang | mekong_delta | n25_can_tho
94 Sóc Trăng | Soc Trang | mekong_delta | n25_can_tho
95 Bạc Liêu | Bac Lieu | mekong_delta | n25_ca_mau
96 Cà Mau | Ca Mau | mekong_delta | n25_ca_mau"""
# New provinces: the former province whose name each takes. Their region is the former
# provinces' common region, empty where they span two (as in data/papi-provinces).
NAMESAKES = {"n25_an_giang": "89", "n25_bac_ninh": "27", "n25_ca_mau": "96", "n25_can_tho": "92",
             "n25_da_nang": "48", "n25_dak_lak": "66", "n25_dong_nai": "75", "n25_dong_thap": "87",
             "n25_gia_lai": "64", "n25_hai_phong": "31", "n25_ho_chi_minh": "79",
             "n25_hung_yen": "33", "n25_khanh_hoa": "56", "n25_lam_dong": "68",
             "n25_lao_cai": "10", "n25_ninh_binh": "37", "n25_phu_tho": "25",
             "n25_quang_ngai": "51", "n25_quang_tri": "45", "n25_tay_ninh": "72",
             "n25_thai_nguyen": "19", "n25_tuyen_quang": "08", "n25_vinh_long": "86"}
# Ministries, ministerial-level agencies and Vietnam Social Security, held at their 2025 set.
MINISTRIES = (
    ("m_cong_an", "Bộ Công an", "Ministry of Public Security"),
    ("m_quoc_phong", "Bộ Quốc phòng", "Ministry of National Defence"),
    ("m_ngoai_giao", "Bộ Ngoại giao", "Ministry of Foreign Affairs"),
    ("m_noi_vu", "Bộ Nội vụ", "Ministry of Home Affairs"),
    ("m_tu_phap", "Bộ Tư pháp", "Ministry of Justice"),
    ("m_tai_chinh", "Bộ Tài chính", "Ministry of Finance"),
    ("m_cong_thuong", "Bộ Công Thương", "Ministry of Industry and Trade"),
    ("m_nong_nghiep_moi_truong", "Bộ Nông nghiệp và Môi trường",
     "Ministry of Agriculture and Environment"),
    ("m_xay_dung", "Bộ Xây dựng", "Ministry of Construction"),
    ("m_van_hoa", "Bộ Văn hóa, Thể thao và Du lịch", "Ministry of Culture, Sports and Tourism"),
    ("m_khoa_hoc_cong_nghe", "Bộ Khoa học và Công nghệ", "Ministry of Science and Technology"),
    ("m_giao_duc", "Bộ Giáo dục và Đào tạo", "Ministry of Education and Training"),
    ("m_y_te", "Bộ Y tế", "Ministry of Health"),
    ("m_dan_toc_ton_giao", "Bộ Dân tộc và Tôn giáo", "Ministry of Ethnic and Religious Affairs"),
    ("m_ngan_hang_nha_nuoc", "Ngân hàng Nhà nước Việt Nam", "State Bank of Vietnam"),
    ("m_thanh_tra_chinh_phu", "Thanh tra Chính phủ", "Government Inspectorate"),
    ("m_van_phong_chinh_phu", "Văn phòng Chính phủ", "Office of the Government"),
    ("m_bhxh", "Bảo hiểm xã hội Việt Nam", "Vietnam Social Security"),
)
GROUPS = (("ministry", "Bộ, cơ quan ngang bộ và cơ quan có thủ tục hành chính",
           "Ministries, ministerial-level agencies and agencies with administrative procedures"),
          ("province", "Tỉnh, thành phố trực thuộc Trung ương", "Provinces and centrally-run cities"))
# January-2024 probability per indicator (ministries, provinces), yearly change on the logit
# scale, sd of the unit effect and of the monthly step, both on the logit scale.
LEVELS = {
    "published": ((0.80, 0.86), 0.25, 0.6, 0.06),
    "on_time": ((0.55, 0.91), 0.10, 0.5, 0.05),
    "digitised": ((0.29, 0.39), 0.15, 0.6, 0.08),
    "online": ((0.36, 0.38), 0.12, 0.5, 0.08),
    "paid_online": ((0.25, 0.27), 0.12, 0.5, 0.08),
    "dissatisfied": ((0.025, 0.02), -0.10, 0.4, 0.05),
    "complaint": ((0.006, 0.005), 0.0, 0.4, 0.05),
}
SEASON = np.array([1.0, 0.75, 1.05, 1.0, 1.0, 1.0, 1.0, 1.0, 1.0, 1.05, 1.05, 1.1])  # Tết in Feb
DEADLINES = (None, 1, 3, 5, 7, 10, 15, 20, 30)   # working days allowed, taken as calendar days
N_PROCEDURES = 60
PENDING = 0.02        # share still pending, except in the last month generated
PENDING_LAST = 0.25
SATISFIED = 0.25      # share rating "satisfied" (the rest of the non-dissatisfied leave it empty)
COMPLAINT_IF_DISSATISFIED = 0.15
DAY_MS = 86_400_000


def make_demo_dossiers(out_dir, seed: int = 766, dossiers_per_year: int = 200_000,
                       months=MONTHS) -> Path:
    """Write the dataset folder `out_dir` (dataset.yaml, units.csv, groups.csv, regions.csv,
    crosswalk.csv, dossiers/part-YYYY-MM.parquet) for `months` ("YYYY-MM", in order) with
    about `dossiers_per_year` dossiers a year; returns the folder."""
    out = Path(out_dir)
    (out / "dossiers").mkdir(parents=True, exist_ok=True)
    months = tuple(sorted(months))
    units = _units()
    _write_tables(out, units, seed, dossiers_per_year, months)
    rng = np.random.default_rng([seed, 0])
    paths = _paths(units, rng, len(months))
    volume = _volumes(units, rng)
    procedures = _procedures(rng)
    for i, month in enumerate(months):
        month_rng = np.random.default_rng([seed, 1, i])
        _write_month(out / "dossiers" / f"part-{month}.parquet", month, i, months, units, paths,
                     volume, procedures, dossiers_per_year, month_rng)
    return out


def _units() -> pd.DataFrame:
    """The registry: ministries, the 63 former provinces, the 23 new ones, plus `to` (the new
    unit of a merged province)."""
    rows = [_unit(u, vi, en, "ministry", "") for u, vi, en in MINISTRIES]
    for line in PROVINCES.splitlines():
        head, name_en, region, to = (part.strip() for part in line.split("|"))
        rows.append(_unit(*head.split(" ", 1), name_en, "province", region, to))
    old = pd.DataFrame(rows).set_index("unit_id")
    for new, namesake in NAMESAKES.items():
        former = old.loc[old["to"] == new, "region"].unique()
        rows.append(_unit(new, old.at[namesake, "name_vi"], old.at[namesake, "name_en"],
                          "province", former[0] if len(former) == 1 else ""))
    units = pd.DataFrame(rows)
    merged, new = units["to"] != "", units["unit_id"].isin(list(NAMESAKES))
    units["valid_from"] = np.where(new, MERGER[:4], "")
    units["valid_to"] = np.where(merged, MERGER[:4], "")
    units["valid_from_month"] = np.where(new, MERGER, "")
    units["valid_to_month"] = np.where(merged, _month_before(MERGER), "")
    return units


def _unit(unit_id, name_vi, name_en, group, region, to="") -> dict:
    return {"unit_id": unit_id, "name_vi": name_vi, "name_en": name_en, "group": group,
            "region": region, "to": to}


def _month_before(month: str) -> str:
    year, m = int(month[:4]), int(month[5:])
    return f"{year - 1}-12" if m == 1 else f"{year}-{m - 1:02d}"


def _write_tables(out: Path, units: pd.DataFrame, seed: int, per_year: int, months) -> None:
    columns = ["unit_id", "name_vi", "name_en", "group", "region", "valid_from", "valid_to",
               "valid_from_month", "valid_to_month"]
    units[columns].to_csv(out / "units.csv", index=False, lineterminator="\n")
    merged = units[units["to"] != ""]
    pd.DataFrame({"from_unit_id": merged["unit_id"], "to_unit_id": merged["to"],
                  "effective_year": MERGER[:4], "weight": 1,
                  "effective_from": f"{MERGER}-01"}).to_csv(out / "crosswalk.csv", index=False,
                                                           lineterminator="\n")
    pd.DataFrame(REGIONS, columns=["region", "label_vi", "label_en"]).to_csv(
        out / "regions.csv", index=False, lineterminator="\n")
    pd.DataFrame(GROUPS, columns=["group", "label_vi", "label_en"]).to_csv(
        out / "groups.csv", index=False, lineterminator="\n")
    settings = {
        "name": "demo-dossiers", "synthetic": True,
        "title_vi": "chất lượng phục vụ người dân, doanh nghiệp theo Quyết định 766/QĐ-TTg "
                    "(dữ liệu giả lập)",
        "title_en": "Service quality for citizens and businesses under Decision 766/QĐ-TTg "
                    "(synthetic data)",
        # the short name of the PDF's running header ("Báo cáo Bộ chỉ số 766 tháng 12/2025")
        "index_name_vi": "Bộ chỉ số 766", "index_name_en": "Decision 766 index",
        "seed": seed, "dossiers_per_year": per_year, "months": [months[0], months[-1]],
        "default_period": months[-1], "service_index": DEFAULT_SERVICE_INDEX,
        "publisher": SYNTHETIC_PUBLISHER,
    }
    header = ("# SYNTHETIC: made up by analysis.synth.dossiers.make_demo_dossiers; not real data.\n"
              "# Dossier records: dossiers/part-YYYY-MM.parquet (analysis/service_quality.py).\n")
    (out / "dataset.yaml").write_text(header + yaml.safe_dump(settings, sort_keys=False,
                                                              allow_unicode=True), encoding="utf-8")


def _paths(units: pd.DataFrame, rng: np.random.Generator, n_months: int) -> dict[str, np.ndarray]:
    """Per indicator, the logit of each unit's probability in each month (units × months):
    group level + yearly trend + unit effect + random walk. A new province: the mean of its
    former provinces' logits plus 0.3 × its own (centred) walk."""
    ministry = (units["group"] == "ministry").to_numpy()
    t = np.arange(n_months) / 12
    paths = {}
    for name, ((p_min, p_prov), trend, sd_unit, sd_step) in LEVELS.items():
        base = np.where(ministry, _logit(p_min), _logit(p_prov))[:, None]
        effect = rng.normal(0, sd_unit, (len(units), 1))
        walk = np.cumsum(rng.normal(0, sd_step, (len(units), n_months)), axis=1)
        paths[name] = base + trend * t[None, :] + effect + walk
    for k in np.flatnonzero(units["unit_id"].isin(list(NAMESAKES))):
        former = (units["to"] == units.at[k, "unit_id"]).to_numpy()
        for path in paths.values():
            own = path[k] - path[k].mean()
            path[k] = path[former].mean(axis=0) + 0.3 * own
    return paths


def _logit(p: float) -> float:
    return float(np.log(p / (1 - p)))


def _volumes(units: pd.DataFrame, rng: np.random.Generator) -> np.ndarray:
    """Relative dossier volume per unit: log-normal; Hanoi, Ho Chi Minh City and Vietnam Social
    Security large, ministries smaller; a new province has the sum of its former ones'."""
    volume = rng.lognormal(0, 0.6, len(units))
    volume[units["group"].to_numpy() == "ministry"] *= 0.4
    volume[units["unit_id"].isin(["01", "79", "m_bhxh"]).to_numpy()] *= 5
    for k in np.flatnonzero(units["unit_id"].isin(list(NAMESAKES))):
        volume[k] = volume[(units["to"] == units.at[k, "unit_id"]).to_numpy()].sum()
    return volume


def _procedures(rng: np.random.Generator) -> pd.DataFrame:
    """Procedure codes (portal style "1.00xxxx"), each with a deadline in days (or none) and
    a fee."""
    codes = [f"1.{c:06d}" for c in rng.choice(np.arange(100, 13000), N_PROCEDURES, replace=False)]
    days = rng.choice(np.array([np.nan if d is None else d for d in DEADLINES]), N_PROCEDURES,
                      p=[0.1] + [0.9 / (len(DEADLINES) - 1)] * (len(DEADLINES) - 1))
    return pd.DataFrame({"procedure": codes, "days": days,
                         "fee": (rng.random(N_PROCEDURES) < 0.45).astype(np.int8)})


def _valid(units: pd.DataFrame, month: str) -> np.ndarray:
    first = units["valid_from_month"].replace("", "0000-00")
    last = units["valid_to_month"].replace("", "9999-99")
    return ((first <= month) & (last >= month)).to_numpy()


def _write_month(path: Path, month: str, i: int, months, units, paths, volume, procedures,
                 per_year: int, rng: np.random.Generator) -> None:
    """One month's dossiers, unit by unit, written in row groups of at most CHUNK rows."""
    valid = np.flatnonzero(_valid(units, month))
    total = round(per_year * SEASON[int(month[5:]) - 1] / SEASON.sum())
    counts = rng.multinomial(total, volume[valid] / volume[valid].sum())
    unit_of_row = np.repeat(valid, counts)
    start_ms = pd.Timestamp(f"{month}-01").value // 1_000_000
    span_ms = (pd.Timestamp(f"{month}-01") + pd.offsets.MonthBegin(1)).value // 1_000_000 - start_ms
    pending = PENDING_LAST if month == months[-1] else PENDING
    unit_names = pa.array(units["unit_id"].tolist(), pa.string())
    probability = {name: 1 / (1 + np.exp(-paths[name][:, i])) for name in paths}
    with pq.ParquetWriter(path, _SCHEMA) as writer:
        for lo in range(0, max(len(unit_of_row), 1), CHUNK):
            rows = unit_of_row[lo:lo + CHUNK]
            chunk = _dossiers(rows, probability, procedures, start_ms, span_ms, pending, rng)
            chunk["unit_id"] = pa.DictionaryArray.from_arrays(pa.array(rows, pa.int32()),
                                                              unit_names)
            writer.write_table(pa.table(chunk, schema=_SCHEMA), row_group_size=CHUNK)


def _dossiers(rows: np.ndarray, p: dict, procedures: pd.DataFrame, start_ms: int, span_ms: int,
              pending: float, rng: np.random.Generator) -> dict:
    """Columns of the dossiers of `rows` (the unit index of each), drawn with the units'
    probabilities of the month."""
    n = len(rows)

    def draw(name):
        return rng.random(n) < p[name][rows]

    proc = rng.integers(0, len(procedures), n)
    days, fee = procedures["days"].to_numpy()[proc], procedures["fee"].to_numpy()[proc]
    received = start_ms + rng.integers(0, span_ms, n)
    online, paid = draw("online"), draw("paid_online")
    on_time, dissatisfied = draw("on_time"), draw("dissatisfied")
    has_due = ~np.isnan(days)
    allowed = np.where(has_due, days, 20) * DAY_MS
    took = np.where(on_time | ~has_due, rng.uniform(0.05, 1, n) * allowed,
                    allowed + rng.uniform(0.02, 10, n) * DAY_MS).astype(np.int64)
    satisfied = ~dissatisfied & (rng.random(n) < SATISFIED)
    complaint = rng.random(n) < np.where(dissatisfied, COMPLAINT_IF_DISSATISFIED,
                                         p["complaint"][rows])
    rating = np.where(dissatisfied, 1, np.where(satisfied, 0, -1)).astype(np.int8)
    return {
        "procedure": pa.DictionaryArray.from_arrays(
            pa.array(proc, pa.int32()), pa.array(procedures["procedure"].tolist(), pa.string())),
        "received_at": pa.array(received, pa.timestamp("ms")),
        "due_at": pa.array(received + np.nan_to_num(days * DAY_MS).astype(np.int64),
                           pa.timestamp("ms"), mask=~has_due),
        "resolved_at": pa.array(received + took, pa.timestamp("ms"),
                                mask=rng.random(n) < pending),
        "online": pa.array(online.astype(np.int8)),
        "fee": pa.array(fee),
        "paid_online": pa.array((paid & (fee == 1)).astype(np.int8), mask=fee == 0),
        "digitised": pa.array(draw("digitised").astype(np.int8)),
        "published": pa.array(draw("published").astype(np.int8)),
        "rating": pa.DictionaryArray.from_arrays(
            pa.array(rating, pa.int8(), mask=rating < 0), pa.array(["satisfied", "dissatisfied"])),
        "complaint": pa.array(complaint.astype(np.int8)),
    }


_SCHEMA = pa.schema([
    ("unit_id", pa.dictionary(pa.int32(), pa.string())),
    ("procedure", pa.dictionary(pa.int32(), pa.string())),
    ("received_at", pa.timestamp("ms")), ("due_at", pa.timestamp("ms")),
    ("resolved_at", pa.timestamp("ms")), ("online", pa.int8()), ("fee", pa.int8()),
    ("paid_online", pa.int8()), ("digitised", pa.int8()), ("published", pa.int8()),
    ("rating", pa.dictionary(pa.int8(), pa.string())), ("complaint", pa.int8()),
])
