"""What a federated search found, as a notebook and the command line hold it.

Kept apart from the engine (:mod:`esap.data.searches`) so that ``import
esap.data`` stays light: astropy is imported only when a table is combined.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from astropy.table import Table


@dataclass
class SearchResult:
    """What a federated search found: a table per service, their errors, and all combined."""

    tables: dict[str, Table] = field(default_factory=dict)
    errors: dict[str, str] = field(default_factory=dict)
    resolved: dict[str, Any] | None = None
    elapsed: float = 0.0

    @property
    def combined(self) -> Table:
        """Every service's rows in one table, with a ``service`` column first."""
        from astropy.table import Column, Table, vstack

        parts = []
        for name, table in self.tables.items():
            part = Table(table, copy=True)
            # typed as text even when the service found no rows (an empty list is float)
            part.add_column(Column([name] * len(part), dtype=str), name="service", index=0)
            parts.append(part)
        if not parts:
            return Table(names=["service"], dtype=[str])
        try:
            return vstack(parts, join_type="outer", metadata_conflicts="silent")
        except (TypeError, ValueError):  # astropy's TableMergeError is a ValueError
            # same column name, incompatible types: fall back to text columns
            for part in parts:
                for name in part.colnames:
                    part[name] = Column([str(v) for v in part[name]], dtype=str)
            return vstack(parts, join_type="outer", metadata_conflicts="silent")

    def __repr__(self) -> str:
        lines = [
            f"SearchResult: {sum(len(t) for t in self.tables.values())} rows "
            f"from {len(self.tables)} service(s) in {self.elapsed:.1f} s"
        ]
        lines += [f"  {name}: {len(table)} rows" for name, table in self.tables.items()]
        lines += [f"  {name}: error: {message}" for name, message in self.errors.items()]
        return "\n".join(lines)


__all__ = ["SearchResult"]
