"""Seeded generators of synthetic datasets.

`make_demo_mps` writes the demo dataset of the Ministry of Public Security (MPS): about 100
units, three years of index scores and satisfaction ballots at realistic levels, with planted
cases (invalid and duplicate ballots, a real and an insignificant decline, a tiny unit, a change
of survey method, copied forms, straight-lining, a burst) listed in `planted.csv`. The same seed
gives byte-identical files.
"""
from __future__ import annotations

import unicodedata
from pathlib import Path

import numpy as np
import pandas as pd
import yaml

from analysis.synth import SYNTHETIC_PUBLISHER

YEARS = (2023, 2024, 2025)

GROUPS = (
    ("no_procedures", "Khối đơn vị thuộc Bộ không có chức năng giải quyết thủ tục hành chính",
     "MPS units without administrative-procedure functions"),
    ("procedures", "Khối đơn vị thuộc Bộ có chức năng giải quyết thủ tục hành chính",
     "MPS units with administrative-procedure functions"),
    ("provincial", "Công an các địa phương", "Provincial-level police"),
)

# The General Statistics Office's six socio-economic regions.
REGIONS = (
    ("red_river_delta", "Đồng bằng sông Hồng", "Red River Delta"),
    ("northern_midlands_mountains", "Trung du và miền núi phía Bắc",
     "Northern Midlands and Mountains"),
    ("north_central_central_coast", "Bắc Trung Bộ và Duyên hải miền Trung",
     "North Central and Central Coast"),
    ("central_highlands", "Tây Nguyên", "Central Highlands"),
    ("south_east", "Đông Nam Bộ", "South East"),
    ("mekong_delta", "Đồng bằng sông Cửu Long", "Mekong River Delta"),
)

# The 63 provinces before July 2025 (GSO code and name), by region.
PROVINCES = {
    "red_river_delta": "01 Hà Nội; 22 Quảng Ninh; 26 Vĩnh Phúc; 27 Bắc Ninh; 30 Hải Dương; "
    "31 Hải Phòng; 33 Hưng Yên; 34 Thái Bình; 35 Hà Nam; 36 Nam Định; 37 Ninh Bình",
    "northern_midlands_mountains": "02 Hà Giang; 04 Cao Bằng; 06 Bắc Kạn; 08 Tuyên Quang; "
    "10 Lào Cai; 11 Điện Biên; 12 Lai Châu; 14 Sơn La; 15 Yên Bái; 17 Hòa Bình; 19 Thái Nguyên; "
    "20 Lạng Sơn; 24 Bắc Giang; 25 Phú Thọ",
    "north_central_central_coast": "38 Thanh Hóa; 40 Nghệ An; 42 Hà Tĩnh; 44 Quảng Bình; "
    "45 Quảng Trị; 46 Thừa Thiên Huế; 48 Đà Nẵng; 49 Quảng Nam; 51 Quảng Ngãi; 52 Bình Định; "
    "54 Phú Yên; 56 Khánh Hòa; 58 Ninh Thuận; 60 Bình Thuận",
    "central_highlands": "62 Kon Tum; 64 Gia Lai; 66 Đắk Lắk; 67 Đắk Nông; 68 Lâm Đồng",
    "south_east": "70 Bình Phước; 72 Tây Ninh; 74 Bình Dương; 75 Đồng Nai; 77 Bà Rịa - Vũng Tàu; "
    "79 Hồ Chí Minh",
    "mekong_delta": "80 Long An; 82 Tiền Giang; 83 Bến Tre; 84 Trà Vinh; 86 Vĩnh Long; "
    "87 Đồng Tháp; 89 An Giang; 91 Kiên Giang; 92 Cần Thơ; 93 Hậu Giang; 94 Sóc Trăng; "
    "95 Bạc Liêu; 96 Cà Mau",
}
CITIES = {"Hà Nội": "Hanoi", "Hải Phòng": "Hai Phong", "Đà Nẵng": "Da Nang",
          "Hồ Chí Minh": "Ho Chi Minh", "Cần Thơ": "Can Tho"}
BIG_CITIES = {"CA01": 1500, "CA79": 1500}  # 2023 ballot volumes of Hanoi and Ho Chi Minh City

# Departments: the named ones first, the rest numbered ("Đơn vị nghiệp vụ số NN").
DEPARTMENTS_NO_PROCEDURES = (
    ("Văn phòng Bộ Công an", "Ministry Office"),
    ("Cục Tổ chức cán bộ", "Personnel Department"),
    ("Cục Pháp chế và cải cách hành chính, tư pháp",
     "Department of Legal Affairs and Administrative and Judicial Reform"),
    ("Thanh tra Bộ Công an", "Ministry Inspectorate"),
    ("Cục Kế hoạch và tài chính", "Department of Planning and Finance"),
    ("Cục Hợp tác quốc tế", "Department of International Cooperation"),
    ("Cục Công tác đảng và công tác chính trị", "Department of Party and Political Affairs"),
    ("Cục Viễn thông và cơ yếu", "Department of Telecommunications and Cryptography"),
    ("Cục Y tế", "Health Department"),
    ("Cục Truyền thông Công an nhân dân", "People's Public Security Communications Department"),
)
DEPARTMENTS_PROCEDURES = (
    ("Cục Cảnh sát quản lý hành chính về trật tự xã hội",
     "Police Department for Administrative Management of Social Order"),
    ("Cục Cảnh sát giao thông", "Traffic Police Department"),
    ("Cục Quản lý xuất nhập cảnh", "Immigration Department"),
    ("Cục Cảnh sát phòng cháy, chữa cháy và cứu nạn, cứu hộ",
     "Fire Prevention, Firefighting and Rescue Police Department"),
    ("Cục Cảnh sát quản lý trại giam, cơ sở giáo dục bắt buộc, trường giáo dưỡng",
     "Police Department for the Management of Prisons, Compulsory Education Centres and "
     "Reformatories"),
    ("Cục An ninh mạng và phòng, chống tội phạm sử dụng công nghệ cao",
     "Department of Cybersecurity and High-Tech Crime Prevention"),
    ("Cục Cảnh sát quản lý tạm giữ, tạm giam và thi hành án hình sự tại cộng đồng",
     "Police Department for the Management of Custody, Detention and Community Sentences"),
    ("Cục Hồ sơ nghiệp vụ", "Department of Operational Records"),
    ("Cục Công nghiệp an ninh", "Department of Security Industry"),
)
N_NO_PROCEDURES, N_PROCEDURES = 25, 12

COMPONENTS = (  # code, label_vi, label_en, max_points, relative shortfall (digital lags most)
    ("direction", "Công tác chỉ đạo, điều hành cải cách hành chính",
     "Direction and management of administrative reform", 15, 0.6),
    ("institutions", "Cải cách thể chế", "Institutional reform", 15, 0.9),
    ("procedures", "Cải cách thủ tục hành chính", "Administrative procedure reform", 25, 0.8),
    ("organisation", "Cải cách tổ chức bộ máy", "Organisational reform", 15, 0.8),
    ("digital", "Chuyển đổi số", "Digital transformation", 30, 1.4),
)
BANDS = ((95, "Xuất sắc", "Excellent"), (80, "Tốt", "Good"), (70, "Khá", "Fair"),
         (50, "Hoàn thành nhiệm vụ", "Duty completed"))
INDEX_MEAN_2023 = {"no_procedures": 83.18, "procedures": 86.72, "provincial": 91.16}
GAP_TREND = {2024: -0.20, 2025: -0.10}  # mean log change of the shortfall from 100 points

QUESTIONS = (  # code, label_vi, label_en, logit effect on satisfaction, blank rate
    ("access", "Tiếp cận dịch vụ", "Access to services", 0.3, 0.01),
    ("procedure", "Thủ tục hành chính", "Administrative procedures", 0.0, 0.01),
    ("staff", "Công chức giải quyết công việc", "Civil servants handling the case", 0.3, 0.01),
    ("result", "Kết quả cung ứng dịch vụ", "Service results", 0.2, 0.02),
    ("feedback", "Tiếp nhận, xử lý góp ý, phản ánh, kiến nghị", "Handling of feedback", -0.4,
     0.10),
)
Q_COLS = [f"q_{q[0]}" for q in QUESTIONS]
SATISFACTION = {2023: 0.9771, 2024: 0.9874, 2025: 0.9637}  # published MPS-wide shares
BALLOTS_MEDIAN = 200  # ballots of a typical unit in 2023
VOLUME = {2023: 1.0, 2024: 1.05, 2025: 3.0}  # 2025 in VNeID: 18x in reality, scaled down to 3x
CHANNELS = {2023: {"paper": 0.86, "qr": 0.09, "kiosk": 0.05},
            2024: {"paper": 0.80, "qr": 0.13, "kiosk": 0.07},
            2025: {"vneid": 0.95, "qr": 0.03, "kiosk": 0.02}}
WINDOW_START = {2023: "2023-09-15", 2024: "2024-10-01", 2025: "2025-10-01"}  # 31-day windows
WINDOW_DAYS = 31

# Planted cases: which units, and fixed (ballots, share satisfied) for their unit-years.
DECLINE, SMALL_DROP, TINY, CLOSED = "CA40", "CA62", "P10", "P11"
COPIED, STRAIGHT, BURST = ("CA35", 2023), ("CA37", 2024), ("CA79", 2025)
FIXED = {(DECLINE, 2023): (1450, 0.975), (DECLINE, 2024): (1500, 0.98),
         (DECLINE, 2025): (1500, 0.85),
         (SMALL_DROP, 2023): (35, 0.97), (SMALL_DROP, 2024): (40, 0.975),
         (SMALL_DROP, 2025): (50, 0.945),
         (TINY, 2023): (9, 0.96), (TINY, 2024): (11, 0.98), (TINY, 2025): (7, 1.0)}
COPIED_PATTERN = (5, 4, 5, 5, np.nan)
N_COPIED, N_BURST, STRAIGHT_SHARE = 60, 200, 0.85
N_OUT_OF_SCALE, N_BLANK, N_MISSING_YEAR, N_DUPLICATES = 12, 15, 6, 36
UNKNOWN_UNITS = ("CA03", "CA99", "P13", "CA00")  # two ballots each, one year after another
N_OUTSIDE_VALIDITY = 12
PLANTED_UNITS = {DECLINE, SMALL_DROP, TINY, CLOSED, COPIED[0], STRAIGHT[0], BURST[0]}

CHANNEL_LABELS = (
    ("paper", "Phiếu giấy", "Paper form"),
    ("qr", "Mã QR", "QR code"),
    ("kiosk", "Thiết bị đánh giá tại bộ phận một cửa", "Rating kiosk at the one-stop desk"),
    ("vneid", "Ứng dụng VNeID", "VNeID app"),
)
PAPER = {"method": "paper", "label_vi": "Phát phiếu khảo sát giấy",
         "label_en": "Paper survey forms"}
COLLECTION = {2023: PAPER, 2024: PAPER,
              2025: {"method": "vneid_app", "label_vi": "Khảo sát trên ứng dụng VNeID",
                     "label_en": "Survey in the VNeID app"}}

CASES = (  # the case codes of planted.csv, in the order it lists them
    "invalid_out_of_scale", "invalid_blank", "invalid_unknown_unit", "invalid_outside_validity",
    "invalid_missing_year", "duplicate_ballot_id", "real_decline", "nonsignificant_drop",
    "tiny_unit_all_satisfied", "method_change", "copied_forms", "straight_lining", "burst",
)
BALLOT_COLUMNS = ["year", "unit_id", "ballot_id", "channel", "submitted_at", *Q_COLS]
PLANTED_COLUMNS = ["year", "unit_id", "ballot_id", "case", "description"]


def make_demo_mps(out_dir: Path, seed: int = 20231115) -> pd.DataFrame:
    """Write the synthetic MPS dataset into `out_dir`; return (and write) the planted cases."""
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    rng = np.random.default_rng(seed)
    units = _units()
    scores = _index_scores(units, rng)
    ballots = _ballots(units, rng)
    planted = _planted(ballots)
    (out_dir / "dataset.yaml").write_text(_config_yaml(seed), encoding="utf-8")
    tables = {
        "groups": pd.DataFrame(GROUPS, columns=["group", "label_vi", "label_en"]),
        "regions": pd.DataFrame(REGIONS, columns=["region", "label_vi", "label_en"]),
        "units": units,
        "index_scores": scores,
        "ballots": _format_ballots(ballots),
        "planted": planted,
    }
    for name, table in tables.items():
        table.to_csv(out_dir / f"{name}.csv", index=False, lineterminator="\n", encoding="utf-8")
    return planted


def _sigmoid(x):
    return 1.0 / (1.0 + np.exp(-x))


def _ascii(text: str) -> str:
    text = text.replace("Đ", "D").replace("đ", "d")
    return "".join(c for c in unicodedata.normalize("NFD", text) if not unicodedata.combining(c))


def _units() -> pd.DataFrame:
    """Departments without (D01…) and with (P01…) procedures, then provincial police (CA + the
    province's GSO code)."""
    numbered = ((f"Đơn vị nghiệp vụ số {i:02d}", f"Operational unit no. {i:02d}")
                for i in range(1, 100))
    rows = []
    for prefix, group, named, count in (
            ("D", "no_procedures", DEPARTMENTS_NO_PROCEDURES, N_NO_PROCEDURES),
            ("P", "procedures", DEPARTMENTS_PROCEDURES, N_PROCEDURES)):
        names = list(named) + [next(numbered) for _ in range(count - len(named))]
        rows += [(f"{prefix}{i:02d}", vi, en, group, "") for i, (vi, en) in enumerate(names, 1)]
    provinces = sorted([*entry.split(" ", 1), region]
                       for region, text in PROVINCES.items() for entry in text.split("; "))
    for code, name, region in provinces:
        if name in CITIES:
            vi, en = f"Công an thành phố {name}", f"{CITIES[name]} City Police"
        else:
            vi, en = f"Công an tỉnh {name}", f"{_ascii(name)} Provincial Police"
        rows.append((f"CA{code}", vi, en, "provincial", region))
    units = pd.DataFrame(rows, columns=["unit_id", "name_vi", "name_en", "group", "region"])
    units["valid_from"] = ""
    units["valid_to"] = np.where(units["unit_id"] == CLOSED, str(YEARS[1]), "")
    return units


def _index_scores(units: pd.DataFrame, rng: np.random.Generator) -> pd.DataFrame:
    """Component points per unit and year. A unit's shortfall from 100 is log-normal (a few
    laggards, many near the top), scaled to the published 2023 group mean, and shrinks over the
    years; it is split over the components with digital transformation lagging most."""
    codes = [c[0] for c in COMPONENTS]
    maxima = np.array([c[3] for c in COMPONENTS], dtype=float)
    lag = np.array([c[4] for c in COMPONENTS])
    gaps: dict[str, np.ndarray] = {}
    parts = []
    for year in YEARS:
        for group, mean in INDEX_MEAN_2023.items():
            ids = units.loc[units["group"] == group, "unit_id"].to_numpy()
            if year in GAP_TREND:
                gap = gaps[group] * np.exp(rng.normal(GAP_TREND[year], 0.15, len(ids)))
            else:
                gap = rng.lognormal(0.0, 0.45, len(ids))
                gap *= (100 - mean) / gap.mean()
            gaps[group] = gap
            loss = gap.clip(0.2, 45.0) / 100  # totals between 55 and 99.8
            weight = lag * rng.gamma(8.0, 1 / 8.0, (len(ids), len(codes)))
            weight *= 100 / (weight @ maxima)[:, None]
            points = maxima * (1 - np.minimum(loss[:, None] * weight, 1.0))
            part = pd.DataFrame({
                "year": year,
                "unit_id": np.repeat(ids, len(codes)),
                "component": np.tile(codes, len(ids)),
                "points": np.char.mod("%.2f", points.ravel()),
                "max_points": np.tile(maxima.astype(int), len(ids)),
            })
            parts.append(part[(part["unit_id"] != CLOSED) | (year <= YEARS[1])])
    return pd.concat(parts, ignore_index=True)


def _ballots(units: pd.DataFrame, rng: np.random.Generator) -> pd.DataFrame:
    """All ballots with their planted cases (columns `case` and `description`), in file order."""
    frame = _regular_ballots(units, rng)
    copied = _plant_patterns(frame, rng)
    frame = pd.concat([frame, copied, *_stray_ballots(rng)], ignore_index=True)
    position = {u: i for i, u in enumerate(units["unit_id"])}
    frame = _sorted(frame, position, frame["submitted_at"].to_numpy(dtype=str))
    frame["year"] = frame["year"].astype("Int64")
    number = frame.groupby("year").cumcount() + 1
    frame["ballot_id"] = [f"{y}-{i:06d}" for y, i in zip(frame["year"], number)]
    frame["_seq"] = np.arange(len(frame))
    frame = _plant_invalid(frame, rng)
    return _sorted(frame, position, frame["_seq"].to_numpy())


def _sorted(frame: pd.DataFrame, position: dict[str, int], within: np.ndarray) -> pd.DataFrame:
    """Rows by year (missing last), unit (unknown last), then `within`; a stable order."""
    year_key = frame["year"].map({y: i for i, y in enumerate(YEARS)}).fillna(len(YEARS))
    unit_key = frame["unit_id"].map(position).fillna(len(position))
    order = np.lexsort((within, unit_key.to_numpy(dtype=float), year_key.to_numpy(dtype=float)))
    return frame.iloc[order].reset_index(drop=True)


def _regular_ballots(units: pd.DataFrame, rng: np.random.Generator) -> pd.DataFrame:
    """Ballots of every unit that serves citizens: log-normal volumes, unit shares satisfied
    around the year's published share (or fixed for planted units)."""
    ids = units.loc[units["group"] != "no_procedures", "unit_id"].to_numpy()
    size = rng.lognormal(np.log(BALLOTS_MEDIAN), 0.8, len(ids))
    size = np.array([BIG_CITIES.get(u, s) for u, s in zip(ids, size)])
    effect = rng.normal(0.0, 0.6, len(ids))
    frames = []
    for year in YEARS:
        n = np.maximum(12, np.round(size * VOLUME[year] * np.exp(rng.normal(0, 0.15, len(ids)))))
        n[(ids == CLOSED) & (year > YEARS[1])] = 0
        logit = effect + rng.normal(0.0, 0.3, len(ids))
        fixed = np.full(len(ids), np.nan)
        for i, unit in enumerate(ids):
            if (unit, year) in FIXED:
                n[i], fixed[i] = FIXED[unit, year]
        share = _shares(n, logit, fixed, SATISFACTION[year])
        frames += [_unit_ballots(rng, year, unit, int(k), p)
                   for unit, k, p in zip(ids, n, share) if k > 0]
    return pd.concat(frames, ignore_index=True)


def _shares(n: np.ndarray, logit: np.ndarray, fixed: np.ndarray, target: float) -> np.ndarray:
    """Unit shares satisfied: `fixed` where given, else sigmoid(offset + logit), with the offset
    (found by bisection) that makes the ballot-weighted mean equal `target`."""
    low, high = -10.0, 20.0
    for _ in range(60):
        offset = (low + high) / 2
        share = np.where(np.isnan(fixed), _sigmoid(offset + logit), fixed)
        low, high = (offset, high) if share @ n < target * n.sum() else (low, offset)
    return share


def _unit_ballots(rng: np.random.Generator, year: int, unit: str, n: int,
                  share: float) -> pd.DataFrame:
    """n ballots of one unit-year, not yet in file order and without ballot ids."""
    channels = rng.choice(list(CHANNELS[year]), size=n, p=list(CHANNELS[year].values()))
    frame = pd.DataFrame(_answers(rng, n, share), columns=Q_COLS)
    frame.insert(0, "submitted_at", _timestamps(rng, year, channels))
    frame.insert(0, "channel", channels)
    frame.insert(0, "unit_id", unit)
    frame.insert(0, "year", year)
    frame["case"] = ""
    frame["description"] = ""
    return frame


def _answers(rng: np.random.Generator, n: int, share: float) -> np.ndarray:
    """n ballots × 5 answers (NaN = blank). A ballot-level propensity plus a question effect plus
    noise ranks the answers; the top `share` of them are satisfied (4 or 5, 5 more often for a
    high propensity), the others 3, 2 or 1."""
    effect = np.array([q[3] for q in QUESTIONS])
    blank = rng.random((n, len(QUESTIONS))) < np.array([q[4] for q in QUESTIONS])
    blank[blank.all(axis=1), 0] = False
    propensity = rng.normal(0.0, 1.0, n)
    latent = propensity[:, None] + effect + rng.logistic(size=blank.shape)
    latent[blank] = -np.inf
    satisfied = np.zeros(blank.size, dtype=bool)
    satisfied[np.argsort(-latent, axis=None, kind="stable")[:round(share * (~blank).sum())]] = True
    very = rng.random(blank.shape) < _sigmoid(0.3 + 1.2 * propensity)[:, None]
    low = rng.choice([3, 2, 1], size=blank.shape, p=[0.6, 0.25, 0.15])
    answers = np.where(satisfied.reshape(blank.shape), np.where(very, 5, 4), low).astype(float)
    answers[blank] = np.nan
    return answers


def _timestamps(rng: np.random.Generator, year: int, channels: np.ndarray) -> np.ndarray:
    """Local time (UTC+7) within the survey window: a date for paper forms, date and time
    otherwise (office hours at the office, 06:00–22:00 in the app)."""
    n = len(channels)
    start = np.datetime64(WINDOW_START[year])
    day = start + rng.integers(0, WINDOW_DAYS, n).astype("timedelta64[D]")
    office = rng.integers(7 * 3600 + 1800, 17 * 3600, n)
    anytime = rng.integers(6 * 3600, 22 * 3600, n)
    seconds = np.where(channels == "vneid", anytime, office).astype("timedelta64[s]")
    return np.where(channels == "paper", np.datetime_as_string(day, unit="D"),
                    np.datetime_as_string(day + seconds, unit="s"))


def _label(frame: pd.DataFrame, rows, case: str, description) -> None:
    """Mark `rows` as a planted case (in place)."""
    frame.loc[rows, "case"] = case
    frame.loc[rows, "description"] = description


def _plant_patterns(frame: pd.DataFrame, rng: np.random.Generator) -> pd.DataFrame:
    """The tiny unit's all-5 ballots, straight-lining and a burst, in place; return the block of
    copied forms to add."""
    frame.loc[(frame["unit_id"] == TINY) & (frame["year"] == YEARS[-1]), Q_COLS] = 5.0

    unit, year = STRAIGHT
    rows = frame.index[(frame["unit_id"] == unit) & (frame["year"] == year)]
    rows = rows[rng.random(len(rows)) < STRAIGHT_SHARE]
    first = frame.loc[rows, "q_access"].fillna(5).to_numpy()
    for col in Q_COLS:
        frame.loc[rows, col] = first

    unit, year = BURST
    rows = rng.choice(frame.index[(frame["unit_id"] == unit) & (frame["year"] == year)], N_BURST,
                      replace=False)
    start = np.datetime64(f"{WINDOW_START[year]}T14:02:00") + np.timedelta64(16, "D")
    stamps = start + np.sort(rng.integers(0, 600, N_BURST)).astype("timedelta64[s]")
    frame.loc[rows, "channel"] = "vneid"
    frame.loc[rows, "submitted_at"] = np.datetime_as_string(stamps, unit="s")
    _label(frame, rows, "burst", f"one of {N_BURST} ballots submitted between {stamps[0]} and "
           f"{stamps[-1]}")

    unit, year = COPIED
    day = str(np.datetime64(WINDOW_START[year]) + 12)
    block = pd.DataFrame([COPIED_PATTERN] * N_COPIED, columns=Q_COLS)
    block.insert(0, "submitted_at", day)
    block.insert(0, "channel", "paper")
    block.insert(0, "unit_id", unit)
    block.insert(0, "year", year)
    block["case"] = "copied_forms"
    block["description"] = (f"one of {N_COPIED} paper forms dated {day} answered 5, 4, 5, 5, "
                            "blank")
    return block


def _stray_ballots(rng: np.random.Generator) -> list[pd.DataFrame]:
    """Ballots for unknown units and for a unit after its last valid year."""
    frames = []
    for i, unit in enumerate(UNKNOWN_UNITS):
        frame = _unit_ballots(rng, YEARS[i % len(YEARS)], unit, 2, 0.97)
        _label(frame, frame.index, "invalid_unknown_unit", f"unit {unit} is not in units.csv")
        frames.append(frame)
    frame = _unit_ballots(rng, YEARS[-1], CLOSED, N_OUTSIDE_VALIDITY, 0.97)
    _label(frame, frame.index, "invalid_outside_validity",
           f"{CLOSED} is valid until {YEARS[1]} (valid_to) but has a ballot in {YEARS[-1]}")
    return [*frames, frame]


def _plant_invalid(frame: pd.DataFrame, rng: np.random.Generator) -> pd.DataFrame:
    """Data-entry faults on paper ballots of ordinary units: answers out of scale, blank ballots,
    missing years and re-entered copies (appended; they keep the ballot_id)."""
    pool = frame.index[(frame["channel"] == "paper") & (frame["case"] == "")
                       & ~frame["unit_id"].isin(PLANTED_UNITS)]
    picks = rng.choice(pool, N_OUT_OF_SCALE + N_BLANK + N_MISSING_YEAR + N_DUPLICATES,
                       replace=False)
    out_of_scale, blank, missing, copied = np.split(
        picks, np.cumsum([N_OUT_OF_SCALE, N_BLANK, N_MISSING_YEAR]))
    for k, row in enumerate(out_of_scale):
        col, value = Q_COLS[rng.integers(len(Q_COLS))], (0, 6, 9)[k % 3]
        frame.loc[row, col] = value
        _label(frame, row, "invalid_out_of_scale", f"{col} = {value}, outside the 1–5 scale")
    frame.loc[blank, Q_COLS] = np.nan
    _label(frame, blank, "invalid_blank", "no answer at all")
    _label(frame, missing, "invalid_missing_year",
           [f"year is empty; collected in {y}" for y in frame.loc[missing, "year"]])
    frame.loc[missing, "year"] = pd.NA
    copies = frame.loc[np.sort(copied)].copy()
    copies["_seq"] += len(frame)
    _label(copies, copies.index, "duplicate_ballot_id",
           "exact copy of an earlier ballot, re-entered")
    return pd.concat([frame, copies], ignore_index=True)


def _satisfied(frame: pd.DataFrame, unit: str, year: int) -> tuple[float, int]:
    """Share satisfied (4–5 of valid answers) and number of ballots of one unit-year."""
    answers = frame.loc[(frame["unit_id"] == unit) & (frame["year"] == year), Q_COLS].to_numpy()
    valid = (answers >= 1) & (answers <= 5)
    return (valid & (answers >= 4)).sum() / valid.sum(), len(answers)


def _straight_lined(frame: pd.DataFrame) -> pd.Series:
    """Per ballot: all five questions answered, with one answer."""
    answers = frame[Q_COLS]
    return answers.notna().all(axis=1) & answers.eq(answers["q_access"], axis=0).all(axis=1)


def _planted(frame: pd.DataFrame) -> pd.DataFrame:
    """The labels: ballot-level cases from the ballots, unit-level ones measured on them."""
    rows = frame.loc[frame["case"] != "", PLANTED_COLUMNS]
    cases = [rows.assign(year=rows["year"].astype("string").fillna(""))]

    def change(unit: str, case: str) -> None:
        (p_prev, n_prev), (p, n) = (_satisfied(frame, unit, y) for y in YEARS[1:])
        cases.append(_case_row(YEARS[-1], unit, case,
                               f"share satisfied {p_prev:.1%} in {YEARS[1]} ({n_prev} ballots), "
                               f"{p:.1%} in {YEARS[-1]} ({n} ballots)"))

    change(DECLINE, "real_decline")
    change(SMALL_DROP, "nonsignificant_drop")
    cases.append(_case_row(YEARS[-1], TINY, "tiny_unit_all_satisfied",
                           f"{_satisfied(frame, TINY, YEARS[-1])[1]} ballots, every answer 5"))
    paper = (frame.loc[frame["year"] < YEARS[-1], "channel"] == "paper").mean()
    vneid = (frame.loc[frame["year"] == YEARS[-1], "channel"] == "vneid").mean()
    cases.append(_case_row(YEARS[-1], "", "method_change",
                           f"{paper:.0%} of {YEARS[0]}–{YEARS[1]} ballots on paper, {vneid:.1%} "
                           f"of {YEARS[-1]} ballots in the VNeID app (survey.collection)"))
    unit, year = STRAIGHT
    of_year = frame[frame["year"] == year]
    rate = _straight_lined(of_year).groupby(of_year["unit_id"]).agg(["mean", "size"])
    peers = rate.loc[(rate["size"] >= 30) & (rate.index != unit), "mean"].median()
    cases.append(_case_row(year, unit, "straight_lining",
                           f"{rate.loc[unit, 'mean']:.0%} of ballots give one answer to all five "
                           f"questions; median of the other units: {peers:.0%}"))
    planted = pd.concat(cases, ignore_index=True)
    order = planted["case"].map({c: i for i, c in enumerate(CASES)})
    keys = (planted["ballot_id"].to_numpy(dtype=str), planted["unit_id"].to_numpy(dtype=str),
            planted["year"].to_numpy(dtype=str), order.to_numpy())
    return planted.iloc[np.lexsort(keys)].reset_index(drop=True)


def _case_row(year: int, unit: str, case: str, description: str) -> pd.DataFrame:
    return pd.DataFrame([[str(year), unit, "", case, description]], columns=PLANTED_COLUMNS)


def _format_ballots(frame: pd.DataFrame) -> pd.DataFrame:
    """The contract's columns as text: whole-number answers, empty for a blank."""
    out = frame[BALLOT_COLUMNS].copy()
    for col in ["year", *Q_COLS]:
        out[col] = out[col].astype("Float64").astype("Int64").astype("string").fillna("")
    return out


def _config_yaml(seed: int) -> str:
    def labelled(rows):
        return [{"code": code, "label_vi": vi, "label_en": en} for code, vi, en, *_ in rows]

    elements = labelled(QUESTIONS)
    questions = [{"code": e["code"], "element": e["code"],
                  "label_vi": f"Mức độ hài lòng về {e['label_vi'][0].lower()}{e['label_vi'][1:]}",
                  "label_en": f"Satisfaction with {e['label_en'][0].lower()}{e['label_en'][1:]}"}
                 for e in elements]
    config = {
        "name": "demo-mps",
        "title_vi": "Chỉ số cải cách hành chính và mức độ hài lòng — Bộ Công an (dữ liệu giả lập)",
        "title_en": "Administrative reform index and satisfaction — Ministry of Public Security "
                    "(synthetic data)",
        "synthetic": True,
        "default_year": YEARS[-1],
        "publisher": SYNTHETIC_PUBLISHER,
        "methodology": {"components": [{**c, "max_points": m} for c, m in
                                       zip(labelled(COMPONENTS), (c[3] for c in COMPONENTS))]},
        "bands": [{"min_score": s, "label_vi": vi, "label_en": en} for s, vi, en in BANDS],
        "satisfied_answers": [4, 5],
        "leader_share": 0.25,
        "alpha": 0.05,
        "bootstrap": 10000,
        "seed": seed,
        "survey": {"scale": [1, 5], "elements": elements, "questions": questions,
                   "channels": labelled(CHANNEL_LABELS),
                   "collection": {year: dict(c) for year, c in COLLECTION.items()}},
    }
    return yaml.safe_dump(config, allow_unicode=True, sort_keys=False, width=120)
