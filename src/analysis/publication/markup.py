"""Small pieces shared by the publication's sections: escaping and signed wording."""
from __future__ import annotations

import html

import numpy as np
import pandas as pd


def esc(value) -> str:
    """HTML-escaped text; nothing for a missing value."""
    return html.escape("" if value is None or (isinstance(value, float) and np.isnan(value))
                       else str(value))


def direction(change: float) -> str:
    """The catalog key of a change's direction (below half a hundredth: unchanged)."""
    if abs(change) < 0.005:
        return "word.unchanged"
    return "word.up" if change > 0 else "word.down"


def signed_int(value) -> str:
    """+3, 0, −2 (a true minus sign); – when missing."""
    if value is None or pd.isna(value):
        return "–"
    value = int(value)
    return f"+{value}" if value > 0 else ("0" if value == 0 else f"−{abs(value)}")
