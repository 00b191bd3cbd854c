"""What a dashboard shows, independent of how: a figure is a titled table of plain values.

The page draws each figure as a chart (ECharts) with the same table beside it, the export
writes exactly those rows, and the API returns them as JSON: one object, three renderings,
so the chart, the table, the download and the API can never disagree.
"""

from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from typing import Any, Literal

# How a value is shown and exported: money in yuan (Decimal), a share between 0 and 1,
# working hours, seconds, a month, a whole count, or text.
ValueKind = Literal["text", "int", "money", "share", "hours", "seconds", "ms", "month"]
ChartKind = Literal["kpi", "bar", "line", "pie", "table"]


@dataclass(frozen=True)
class Column:
    key: str
    label: str
    kind: ValueKind = "text"


@dataclass
class Kpi:
    """One headline number (a tile on the overview)."""

    key: str
    label: str
    value: Any
    kind: ValueKind = "int"
    link: str = ""


@dataclass
class Figure:
    key: str
    title: str
    chart: ChartKind
    columns: list[Column] = field(default_factory=list)
    rows: list[list[Any]] = field(default_factory=list)
    kpis: list[Kpi] = field(default_factory=list)
    # Filters the figure cannot honour (e.g. "policy" on approval figures), shown as a note.
    ignores: tuple[str, ...] = ()
    note: str = ""
    link: str = ""  # the list behind the figure, with the same filters where it has them

    def table(self) -> tuple[list[str], list[list[Any]]]:
        """Header and rows exactly as shown: the export writes these."""
        if self.chart == "kpi":
            return [str(self.columns[0].label), str(self.columns[1].label)], [
                [kpi.label, kpi.value] for kpi in self.kpis
            ]
        return [str(column.label) for column in self.columns], [list(row) for row in self.rows]

    def as_json(self) -> dict[str, Any]:
        """For the API and the chart script: numbers as numbers, money as strings with two
        places (exact), months as YYYY-MM."""
        payload: dict[str, Any] = {
            "key": self.key,
            "title": str(self.title),
            "chart": self.chart,
            "ignores": list(self.ignores),
            "note": str(self.note),
            "link": self.link,
        }
        if self.chart == "kpi":
            payload["kpis"] = [
                {
                    "key": kpi.key,
                    "label": str(kpi.label),
                    "value": json_value(kpi.value),
                    "kind": kpi.kind,
                    "link": kpi.link,
                }
                for kpi in self.kpis
            ]
        else:
            payload["columns"] = [
                {"key": column.key, "label": str(column.label), "kind": column.kind}
                for column in self.columns
            ]
            payload["rows"] = [[json_value(value) for value in row] for row in self.rows]
        return payload


def json_value(value: Any) -> Any:
    if isinstance(value, Decimal):
        return f"{value:.2f}"
    if isinstance(value, date):
        return value.strftime("%Y-%m")
    if isinstance(value, float):
        return round(value, 3)
    if value is None or isinstance(value, int | str | bool):
        return value
    return str(value)


@dataclass
class Section:
    key: str
    title: str
    figures: list[Figure]
