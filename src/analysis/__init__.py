"""PAR Reports: audited yearly indices, satisfaction and gaps, published in Vietnamese and English."""

__version__ = "0.1.0"
METHODOLOGY_VERSION = "1"
