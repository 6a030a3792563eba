"""The row-by-row problem report of an import: which spreadsheet row, which column, what, and what was done."""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import pandas as pd

PROBLEM_COLUMNS = ["row", "column", "message", "severity"]
# A message, or a function wording it for the rows a mask selects (given that boolean mask):
# most checks flag no row, and wording a message for every row of a large file is slow.
Message = str | Callable[[np.ndarray], pd.Series]


class Report:
    """Collects problems as whole columns: one boolean mask and one message series per check."""

    def __init__(self, row_numbers: np.ndarray) -> None:
        self.row_numbers = row_numbers
        self.parts: list[pd.DataFrame] = []
        self.rejected = np.zeros(len(row_numbers), dtype=bool)

    @property
    def index(self) -> pd.RangeIndex:
        return pd.RangeIndex(len(self.row_numbers))

    def add(self, mask: pd.Series, column: str, message: Message, *, reject: bool = True) -> None:
        mask_array = mask.to_numpy(dtype=bool, na_value=False)
        if not mask_array.any():
            return
        messages = message if isinstance(message, str) else message(mask_array).to_numpy()
        part = pd.DataFrame({"row": self.row_numbers[mask_array], "column": column, "message": messages})
        part["severity"] = "rejected" if reject else "warning"
        self.parts.append(part)
        if reject:
            self.rejected |= mask_array

    def frame(self) -> pd.DataFrame:
        if not self.parts:
            return pd.DataFrame(columns=PROBLEM_COLUMNS)
        problems = pd.concat(self.parts, ignore_index=True)
        return problems.sort_values(["row", "severity"], kind="stable").reset_index(drop=True)


def quoted(values: pd.Series) -> pd.Series:
    return "'" + values.astype("str").str.slice(0, 60) + "'"
