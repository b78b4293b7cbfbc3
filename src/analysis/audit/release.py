"""Can an edition be signed? The reasons it stays a draft (issue 12, "draft until it can be
signed"): a figure the authority published for the year that the run does not reproduce
(`reconciliation.csv`, matches false), or a method mapping marked `confirmed: false` (today the
Decision 766 mapping of a dossier dataset, `service_index` in dataset.yaml).

The publication prints "DỰ THẢO"/"DRAFT" on every page of such an edition; `par-report run
--final` refuses to publish it and names each reason.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from analysis.inputs.service_mapping import service_mapping

if TYPE_CHECKING:   # imported where used: `par-report` starts its kernels before pandas
    import pandas as pd


@dataclass(frozen=True)
class Reason:
    """Why an edition is a draft: `code` ("unreconciled" or "unconfirmed") and a plain sentence."""
    code: str
    detail: str


class DraftError(Exception):
    """`--final` asked for an edition that is still a draft; the message names every reason."""

    def __init__(self, reasons: list[Reason]):
        self.reasons = reasons
        super().__init__("not published: the edition is still a draft (--final refuses it):\n"
                         + "\n".join(f"  - {r.detail}" for r in reasons))


def draft_reasons(ds, tables: dict[str, pd.DataFrame]) -> list[Reason]:
    """Every reason the edition of these result tables cannot be signed yet (empty: it can)."""
    import pandas as pd
    reasons = []
    rec = tables.get("reconciliation")
    if rec is not None and len(rec):
        for r in rec[rec["matches"].astype(str).str.lower() != "true"].itertuples():
            key = "" if pd.isna(r.key) or r.key == "" else f" {r.key}"
            reasons.append(Reason("unreconciled", f"published {r.metric} of {r.scope}{key} does not "
                                                  f"reconcile: published {r.published}, computed {r.computed} "
                                                  "(reconciliation.csv)"))
    if "service_index" in tables and not service_mapping(ds.config.raw.get("service_index")).get("confirmed", False):
        reasons.append(Reason("unconfirmed", "the Decision 766 mapping (service_index in dataset.yaml) is "
                                             "marked confirmed: false; confirm it against the Decision's annex"))
    return reasons
