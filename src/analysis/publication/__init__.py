"""Publication: the result tables turned into the VI and EN editions.

Sections and their templates (`templates/`), the string catalog (`catalog.yaml`, `i18n`),
number/date formats and Vietnamese collation (`formatting`), charts, and the HTML/PDF/XLSX
writers (`publish`, `xlsx`). It reads result tables; it computes no statistic of its own.
May import: `analysis.inputs`, `analysis.stats`, `analysis.audit`, `analysis.indices`.
"""
