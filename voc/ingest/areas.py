"""Small areas (census tracts or block groups) from a boundary file, with residents and median income."""

from __future__ import annotations

from dataclasses import dataclass

import sqlalchemy as sa

from voc.core.access import Role, require
from voc.core.errors import FileRefused
from voc.ingest.boundaries import read_boundaries
from voc.store.areas import save_areas
from voc.store.engine import record_audit, write_transaction
from voc.store.uploads import record_counts, sha256_of, start_upload


@dataclass(frozen=True)
class ImportedAreas:
    upload_id: int
    count: int
    code_field: str
    name_field: str | None
    population_field: str
    income_field: str | None
    population: int
    without_income: int  # areas whose income is missing (or a census sentinel)
    source_crs: str

    def report(self, file_name: str) -> list[str]:
        """Word the import for an analyst: what was read, then what the equity view will lack."""
        income = f"incomes from {self.income_field!r}" if self.income_field else "no incomes"
        lines = [
            f"Imported {self.count} small areas from {file_name} (upload {self.upload_id}; codes from "
            f"{self.code_field!r}, residents from {self.population_field!r}, {income}; {self.source_crs}).",
            f"They hold {self.population:,} residents.",
        ]
        if self.without_income:
            areas = "1 area has" if self.without_income == 1 else f"{self.without_income} areas have"
            lines.append(f"{areas} no median income and {'is' if self.without_income == 1 else 'are'} left out of the "
                         "income fifths.")  # fmt: skip
        return lines

    def as_json(self) -> dict[str, object]:
        return {name: getattr(self, name) for name in self.__dataclass_fields__}


def import_areas(
    engine: sa.Engine,
    data: bytes,
    file_name: str,
    *,
    user: str,
    role: Role,
    code_field: str | None = None,
    name_field: str | None = None,
    population_field: str | None = None,
    income_field: str | None = None,
) -> ImportedAreas:
    """Import small areas as a new upload, read by the districts' boundary reader; the previous set stays for undo.

    Raises FileRefused for a file without residents (rates per 1,000 need them); NotAllowed unless
    the role is analyst or admin.
    """
    require(role, Role.ANALYST, doing="import small areas")
    areas = read_boundaries(
        data, file_name, code_field=code_field, name_field=name_field,
        population_field=population_field, income_field=income_field,
    )  # fmt: skip
    attrs = areas.attrs
    if attrs["population_field"] is None or areas["population"].isna().all():
        raise FileRefused(
            f"{file_name!r} gives no residents for its areas: name the population field (--population-field). "
            f"Its fields are: {', '.join(attrs['fields'])}."
        )
    with write_transaction(engine) as connection:
        upload_id = start_upload(connection, kind="areas", file_name=file_name, sha256=sha256_of(data), user=user)
        save_areas(connection, areas, upload_id=upload_id)
        record_counts(connection, upload_id, rows_read=len(areas), inserted=len(areas))
        record_audit(connection, user=user, action="import areas", detail=f"{len(areas)} from {file_name}")
    return ImportedAreas(
        upload_id=upload_id,
        count=len(areas),
        code_field=attrs["code_field"],
        name_field=attrs["name_field"],
        population_field=attrs["population_field"],
        income_field=attrs["income_field"],
        population=int(areas["population"].sum()),
        without_income=int(areas["income"].isna().sum()),
        source_crs=attrs["source_crs"],
    )
