"""How large a return may be (bytes, rows, columns, characters in a cell, a workbook's
unpacked size), from the settings: the bounds every reader checks as it reads.
"""

from __future__ import annotations

from dataclasses import dataclass

from metrics.core.settings import setting

MB = 1024 * 1024


@dataclass(frozen=True)
class ReadLimits:
    """What a return file may hold; anything beyond is refused with a finding (R01)."""

    max_bytes: int
    max_rows: int
    max_columns: int
    max_cell_chars: int
    max_unpacked_bytes: int
    reader_memory_bytes: int
    reader_seconds: int

    @classmethod
    def from_settings(cls) -> ReadLimits:
        return cls(
            max_bytes=int(setting("OUTCOMES_MAX_UPLOAD_MB") * MB),
            max_rows=setting("OUTCOMES_MAX_ROWS"),
            max_columns=setting("OUTCOMES_MAX_COLUMNS"),
            max_cell_chars=setting("OUTCOMES_MAX_CELL_CHARS"),
            max_unpacked_bytes=int(setting("OUTCOMES_MAX_XLSX_UNPACKED_MB") * MB),
            reader_memory_bytes=setting("OUTCOMES_READER_MEMORY_MB") * MB,
            reader_seconds=setting("OUTCOMES_READER_SECONDS"),
        )

    @classmethod
    def unbounded_for(cls, data: bytes) -> ReadLimits:
        """Limits that admit ``data`` whatever its size (benchmarks of huge returns)."""
        base = cls.from_settings()
        big = max(len(data) * 2, base.max_bytes)
        return cls(
            max_bytes=big,
            max_rows=10**9,
            max_columns=base.max_columns,
            max_cell_chars=base.max_cell_chars,
            max_unpacked_bytes=big * 20,
            reader_memory_bytes=base.reader_memory_bytes * 8,
            reader_seconds=base.reader_seconds * 10,
        )
