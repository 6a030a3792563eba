"""District boundaries from an uploaded file (GeoJSON, zipped shapefile, GeoPackage), checked and imported."""

from __future__ import annotations

import codecs
import io
import re
import shutil
import tempfile
import warnings
import zipfile
import zlib
from dataclasses import dataclass
from pathlib import Path, PurePosixPath

import geopandas as gpd
import numpy as np
import pandas as pd
import pyogrio
import pyproj
import shapely
import sqlalchemy as sa

from voc.core.access import Role, require
from voc.core.errors import FileRefused
from voc.ingest.child import run_limited
from voc.ingest.limits import check_boundary_size, size_text
from voc.store.districts import DISTRICTS, WGS84, replace_districts
from voc.store.engine import record_audit, write_transaction
from voc.store.models import MonthlyCount

WEB_MERCATOR = "EPSG:3857"
# The projection's extent in metres: GeoJSON written in Web Mercator has coordinates inside it.
WEB_MERCATOR_LIMIT = 20_037_508.35
MAX_CODE_LENGTH = 40
FORMATS = "GeoJSON (.geojson), a zipped shapefile (.zip holding .shp, .shx, .dbf and .prj) or a GeoPackage (.gpkg)"
# Field names tried in order when none is given; case is ignored.
CODE_FIELDS = (
    "district", "district_code", "district_id", "district_no", "dist", "dist_no", "council_district",
    "councildistrict", "council_dist", "cd", "ward", "nc_id", "geoid", "code", "id", "external_id", "number", "num",
    "name",
)  # fmt: skip
NAME_FIELDS = ("name", "district_name", "label", "nc_name", "ncname", "nameshort", "title")
POPULATION_FIELDS = (
    "population", "pop", "total_pop", "pop_total", "tot_pop", "totpop", "residents",
    "b01003_001e", "pop100", "p1_001n", "dp05_0001e",  # census: ACS total population, decennial P1 total
)  # fmt: skip
# Median household income: ACS table B19013 first, then names GIS offices give it.
INCOME_FIELDS = ("b19013_001e", "median_income", "medhhinc", "med_hh_inc", "mhi", "median_hh_income", "medinc")
_SYSTEM_FIELD_PREFIXES = ("objectid", "fid", "ogc_fid", "gid", "globalid", "shape_", "shape__")
_SHAPEFILE_PARTS = frozenset({".shp", ".shx", ".dbf", ".prj", ".cpg"})
_ZIP_MAGIC = b"PK\x03\x04"
_SQLITE_MAGIC = b"SQLite format 3\x00"
_SHAPEFILE_MAGIC = b"\x00\x00\x27\x0a"  # file code 9994, big-endian
_TOPOLOGY = re.compile(rb'"type"\s*:\s*"Topology"')
# A county's district shapes unpack to a few megabytes; a zip declaring more is damaged or hostile.
MAX_UNZIPPED_BYTES = 256 * 1024 * 1024


@dataclass(frozen=True)
class ImportedDistricts:
    count: int
    code_field: str
    name_field: str | None
    population_field: str | None
    source_crs: str
    repaired: int  # features whose invalid geometry was repaired
    merged: int  # features merged into another one with the same code
    bounds: tuple[float, float, float, float]  # min lon, min lat, max lon, max lat
    codes_without_boundary: tuple[str, ...]  # district codes of stored contacts that no polygon has

    def report(self, file_name: str) -> list[str]:
        """Word the import for an analyst: what was read, then anything repaired or left without a boundary."""
        fields = f"codes from {self.code_field!r}, names from {self.name_field or 'the codes'!r}"
        population = f"populations from {self.population_field!r}" if self.population_field else "no populations"
        lines = [f"Imported {self.count} districts from {file_name} ({fields}, {population}; {self.source_crs})."]
        if self.repaired or self.merged:
            lines.append(f"Repaired {self.repaired} invalid shapes; merged {self.merged} parts sharing a code.")
        if self.codes_without_boundary:
            codes = ", ".join(self.codes_without_boundary)
            lines.append(f"Stored contacts name districts that have no boundary now: {codes}.")
        return lines


def read_boundaries(
    data: bytes,
    file_name: str,
    *,
    name_field: str | None,
    population_field: str | None,
    code_field: str | None = None,
    income_field: str | None = None,
) -> gpd.GeoDataFrame:
    """Read district polygons as parse_boundaries does, in a child process with memory and time limits.

    Raises FileRefused, also for a file whose reading needs more memory or time than one upload may use.
    """
    return run_limited(
        file_name,
        parse_boundaries,
        data,
        file_name,
        name_field=name_field,
        population_field=population_field,
        code_field=code_field,
        income_field=income_field,
    )


def parse_boundaries(
    data: bytes,
    file_name: str,
    *,
    name_field: str | None,
    population_field: str | None,
    code_field: str | None = None,
    income_field: str | None = None,
) -> gpd.GeoDataFrame:
    """Read polygons (code, name, population, income, geometry in WGS84) from GeoJSON, a zipped shapefile or GPKG.

    A field left as None is guessed; without a population field, populations stay empty, and so do
    median household incomes without an income field (negative census sentinels read as missing). Invalid
    geometry is repaired and features sharing a code are merged. `attrs` holds the fields chosen
    ("code_field", "name_field", "population_field", "income_field"), all "fields", "source_crs", "repaired" and
    "merged". Raises FileRefused for a file that holds no usable polygons or names an unknown field.
    """
    raw = _to_wgs84(_read_layer(data, file_name), file_name)
    fields = [str(c) for c in raw.columns if c != raw.geometry.name]
    code_field, name_field, population_field = _choose_fields(
        raw, fields, file_name, code_field=code_field, name_field=name_field, population_field=population_field
    )
    income_field = _field(fields, income_field, file_name) if income_field else _guess(fields, INCOME_FIELDS, "")
    codes = _codes(raw[code_field], code_field, file_name)
    features = gpd.GeoDataFrame(
        {
            "code": codes,
            "name": _names(raw[name_field] if name_field else None, codes),
            "population": _populations(raw[population_field], population_field, file_name)
            if population_field
            else pd.Series(np.nan, index=raw.index),
            "income": _incomes(raw[income_field], income_field, file_name)
            if income_field
            else pd.Series(np.nan, index=raw.index),
        },
        geometry=raw.geometry.make_valid(),
    )
    parts = features.explode(index_parts=False)
    parts = parts[parts.geom_type == "Polygon"]
    if parts.empty:
        kinds = ", ".join(sorted(set(raw.geom_type.dropna())))
        raise FileRefused(f"{file_name!r} holds no polygons (only {kinds}): district boundaries must be areas.")
    # Features sharing a code are parts of one district, which keeps its first name and population.
    districts = parts.dissolve(by="code", aggfunc="first", as_index=False)[
        ["code", "name", "population", "income", "geometry"]
    ]
    districts.attrs = {
        "code_field": code_field,
        "name_field": name_field,
        "population_field": population_field,
        "income_field": income_field,
        "fields": fields,
        "source_crs": raw.attrs["source_crs"],
        "repaired": int((~raw.geometry.is_valid).sum()),
        "merged": parts.index.nunique() - len(districts),
    }
    return districts


def _choose_fields(
    raw: gpd.GeoDataFrame,
    fields: list[str],
    file_name: str,
    *,
    code_field: str | None,
    name_field: str | None,
    population_field: str | None,
) -> tuple[str, str | None, str | None]:
    """Return the file's code, name and population fields: the analyst's, or guessed ones."""
    code_field = _field(fields, code_field, file_name) if code_field else _guess_code_field(raw, fields, file_name)
    if name_field:
        name_field = _field(fields, name_field, file_name)
    else:
        # A code field of names ("Name" of the Los Angeles neighbourhood councils) names the districts too.
        name_field = code_field if code_field.casefold() in NAME_FIELDS else _guess(fields, NAME_FIELDS, code_field)
    if population_field:
        return code_field, name_field, _field(fields, population_field, file_name)
    guessed = _guess(fields, POPULATION_FIELDS, code_field)
    return code_field, name_field, guessed if guessed and _holds_populations(raw[guessed]) else None


def _read_layer(data: bytes, file_name: str) -> gpd.GeoDataFrame:
    """Read the first layer of a spatial file with the one GDAL driver its bytes call for.

    GDAL left to choose would also open a VRT (XML naming any local file or URL to read) or a
    /vsi path: the file is written to a private folder and opened with its driver forced.
    """
    kind = _boundary_format(data, file_name)
    with tempfile.TemporaryDirectory(prefix="voc-boundaries-") as folder:
        if kind == "shapefile":
            path = _extract_shapefile(data, file_name, Path(folder))
        else:
            path = Path(folder) / f"districts.{kind.lower()}"
            path.write_bytes(data)
        source = str(path) if kind == "shapefile" else f"{kind}:{path}"
        try:
            with warnings.catch_warnings():
                # GDAL warns of harmless oddities (a GeoPackage's missing extension, non-conformities).
                warnings.simplefilter("ignore", RuntimeWarning)
                # The count first, from the layer's metadata: 20,000 districts are refused unread.
                check_boundary_size(file_name, districts=pyogrio.read_info(source)["features"])
                frame = pyogrio.read_dataframe(source)
        except (pyogrio.errors.DataSourceError, pyogrio.errors.DataLayerError) as error:
            raise FileRefused(f"{file_name!r} is not a boundary file voc can read. Upload {FORMATS}.") from error
    if frame.empty or frame.geometry.isna().all():
        raise FileRefused(f"{file_name!r} holds no features with a geometry: it has no districts to import.")
    # Before repairing, reprojecting and merging, which cost in proportion to the vertices.
    check_boundary_size(
        file_name, districts=len(frame), vertices=int(shapely.get_num_coordinates(frame.geometry.values).sum())
    )
    frame.attrs["shapefile"] = kind == "shapefile"
    return frame


def _boundary_format(data: bytes, file_name: str) -> str:
    """Tell the format from the first bytes: "GeoJSON", "TopoJSON", "GPKG" or "shapefile" (a zip)."""
    if data.startswith(_ZIP_MAGIC):
        return "shapefile"
    if data.startswith(_SQLITE_MAGIC):
        return "GPKG"
    text = data.removeprefix(codecs.BOM_UTF8).lstrip()
    if text.startswith(b"{"):
        return "TopoJSON" if _TOPOLOGY.search(data) else "GeoJSON"
    hint = " A shapefile is several files: zip them together." if file_name.lower().endswith(".shp") else ""
    if text.startswith(b"<"):
        hint = " It is XML (KML, GML or another format): save it as GeoJSON in a GIS program."
    raise FileRefused(f"{file_name!r} is not a boundary file voc can read. Upload {FORMATS}.{hint}")


def _extract_shapefile(data: bytes, file_name: str, folder: Path) -> Path:
    """Unpack the one shapefile in a zip into the folder as districts.shp (.shx, .dbf...), checked first."""
    try:
        archive = zipfile.ZipFile(io.BytesIO(data))
    except zipfile.BadZipFile as error:
        raise FileRefused(f"{file_name!r} is not a readable zip file.") from error
    entries = [e for e in archive.infolist() if not e.filename.startswith("__MACOSX/")]
    shapefiles = [e.filename for e in entries if e.filename.lower().endswith(".shp")]
    if len(shapefiles) != 1:
        found = "no shapefile (.shp)" if not shapefiles else f"{len(shapefiles)} shapefiles ({', '.join(shapefiles)})"
        raise FileRefused(f"{file_name!r} holds {found}: zip exactly one shapefile with its .shx, .dbf and .prj.")
    stem = shapefiles[0][: -len(".shp")]
    parts = {}
    for entry in entries:
        suffix = PurePosixPath(entry.filename).suffix
        if suffix.lower() in _SHAPEFILE_PARTS and entry.filename[: -len(suffix)] == stem:
            parts[suffix.lower()] = entry
    unpacked = sum(entry.file_size for entry in parts.values())
    if unpacked > MAX_UNZIPPED_BYTES:
        raise FileRefused(
            f"The shapefile in {file_name!r} would unpack to {size_text(unpacked)}, more than the "
            f"{size_text(MAX_UNZIPPED_BYTES)} district boundaries ever need: simplify the shapes or "
            "export the districts again."
        )
    try:
        for suffix, entry in parts.items():
            # zipfile stops at an entry's declared size, which the total above has bounded.
            with archive.open(entry) as part, open(folder / f"districts{suffix}", "wb") as out:
                shutil.copyfileobj(part, out)
    except (zipfile.BadZipFile, zlib.error, NotImplementedError, EOFError) as error:
        raise FileRefused(f"{file_name!r} is not a readable zip file ({error}).") from error
    shp = folder / "districts.shp"
    with open(shp, "rb") as head:
        if head.read(4) != _SHAPEFILE_MAGIC:
            raise FileRefused(f"{shapefiles[0]!r} in {file_name!r} is not a shapefile: export the districts again.")
    return shp


def _to_wgs84(frame: gpd.GeoDataFrame, file_name: str) -> gpd.GeoDataFrame:
    """Reproject to WGS84, reading coordinates in metres without a projected CRS as Web Mercator.

    Such GeoJSON is common (ArcGIS exports, the Los Angeles neighbourhood councils); a shapefile
    without its .prj could be in any projection, so it is refused rather than guessed.
    """
    crs = frame.crs
    min_x, min_y, max_x, max_y = frame.total_bounds
    in_degrees = max(abs(min_x), abs(max_x)) <= 180 and max(abs(min_y), abs(max_y)) <= 90
    in_mercator = max(abs(min_x), abs(max_x), abs(min_y), abs(max_y)) <= WEB_MERCATOR_LIMIT
    if crs is not None and not crs.is_geographic:
        source = crs
    elif in_degrees:
        source = crs or WGS84
    elif in_mercator and not (crs is None and frame.attrs["shapefile"]):
        source = WEB_MERCATOR
    else:
        raise FileRefused(
            f"{file_name!r} has coordinates in an unknown projection. For a shapefile, put its .prj file "
            "in the zip; otherwise save the file in WGS84 (EPSG:4326)."
        )
    reprojected = frame.set_crs(source, allow_override=True).to_crs(WGS84)
    reprojected.attrs = {"source_crs": pyproj.CRS.from_user_input(source).to_string()}
    return reprojected


def _field(fields: list[str], wanted: str, file_name: str) -> str:
    """Return the file's spelling of a field named by the analyst (case ignored)."""
    by_key = {f.casefold(): f for f in fields}
    if wanted in fields:
        return wanted
    if wanted.casefold() in by_key:
        return by_key[wanted.casefold()]
    raise FileRefused(f"{file_name!r} has no field {wanted!r}. Its fields are: {', '.join(fields)}.")


def _guess(fields: list[str], names: tuple[str, ...], exclude: str) -> str | None:
    by_key = {f.casefold(): f for f in fields if f != exclude}
    return next((by_key[name] for name in names if name in by_key), None)


def _guess_code_field(frame: gpd.GeoDataFrame, fields: list[str], file_name: str) -> str:
    """Pick the field that holds district codes: a known name first, then any short unique field.

    A code may repeat (the parts of one district, merged later) but not miss, nor be shared by
    features with different names: that is two districts, and the field is no code.
    """
    name_field = _guess(fields, NAME_FIELDS, "")
    names = frame[name_field] if name_field else None
    usable = [f for f in fields if not _is_system_field(f) and _could_be_codes(frame[f], names, MAX_CODE_LENGTH)]
    chosen = _guess(usable, CODE_FIELDS, "")
    if chosen is None:
        chosen = next((f for f in usable if frame[f].is_unique and _could_be_codes(frame[f], names, 12)), None)
    if chosen is None:
        raise FileRefused(
            f"No field of {file_name!r} holds a short code for each district. Name the code field "
            f"(--code-field). Its fields are: {', '.join(fields) or 'none'}."
        )
    return chosen


def _is_system_field(field: str) -> bool:
    """Tell identifiers GIS software adds to every feature: unique, but they say nothing about the district."""
    return field.casefold().startswith(_SYSTEM_FIELD_PREFIXES)


def _could_be_codes(values: pd.Series, names: pd.Series | None, max_length: int) -> bool:
    """Tell whether values look like codes: present, nearly all distinct, short text or whole numbers."""
    try:
        if values.isna().any() or values.nunique() < 0.9 * len(values):
            return False
        if (
            names is not None
            and len(pd.DataFrame({"code": values, "name": names}).drop_duplicates()) > values.nunique()
        ):
            return False
    except TypeError:  # nested values (GeoJSON properties holding objects) are never codes
        return False
    if pd.api.types.is_numeric_dtype(values):
        return bool((values % 1 == 0).all())
    return bool((values.astype("str").str.len() <= max_length).all())


def _codes(values: pd.Series, field: str, file_name: str) -> pd.Series:
    """Turn code values into text, without the ".0" of whole numbers read as floats."""
    if values.isna().any():
        raise FileRefused(f"{values.isna().sum()} features of {file_name!r} have no {field!r}: fill it in.")
    if pd.api.types.is_numeric_dtype(values) and (values % 1 == 0).all():
        values = values.astype("int64")
    codes = values.astype("str").str.strip()
    too_long = codes[codes.str.len() > MAX_CODE_LENGTH]
    if len(too_long):
        raise FileRefused(
            f"The codes in {field!r} are too long (e.g. {too_long.iloc[0][:60]!r}): "
            f"choose a field of short codes (at most {MAX_CODE_LENGTH} characters)."
        )
    return codes


def _names(values: pd.Series | None, codes: pd.Series) -> pd.Series:
    """Return display names; a numeric code stands for "District <code>" where the file gives no other name."""
    fallback = codes.mask(codes.str.fullmatch(r"\d+"), "District " + codes)
    if values is None:
        return fallback
    names = values.astype("str").str.strip().where(values.notna())
    return names.mask(names.isna() | (names == "") | (names == codes), fallback)


def _holds_populations(values: pd.Series) -> bool:
    numbers = pd.to_numeric(values, errors="coerce")
    return bool(numbers.notna().any() and (numbers.dropna() >= 0).all())


def _populations(values: pd.Series, field: str, file_name: str) -> pd.Series:
    if not _holds_populations(values):
        raise FileRefused(f"The field {field!r} of {file_name!r} does not hold populations (whole numbers, 0 or more).")
    return pd.to_numeric(values, errors="coerce").round()


def _incomes(values: pd.Series, field: str, file_name: str) -> pd.Series:
    """Read incomes in dollars; the census's negative sentinels (-666666666: too few sampled) are missing."""
    numbers = pd.to_numeric(values, errors="coerce")
    if numbers.isna().all() and values.notna().any():
        raise FileRefused(f"The field {field!r} of {file_name!r} does not hold incomes (amounts in dollars).")
    return numbers.where(numbers >= 0)


def import_districts(
    engine: sa.Engine,
    data: bytes,
    file_name: str,
    *,
    user: str,
    role: Role,
    name_field: str | None = None,
    population_field: str | None = None,
    code_field: str | None = None,
) -> ImportedDistricts:
    """Replace the stored districts with those of a boundary file, in one transaction (see read_boundaries).

    A district whose file gives no population keeps the one stored for its code, so populations
    entered by hand survive a corrected boundary file. Contacts keep their district codes. Raises
    NotAllowed unless the role is analyst or admin.
    """
    require(role, Role.ANALYST, doing="replace the district boundaries")
    districts = read_boundaries(
        data, file_name, name_field=name_field, population_field=population_field, code_field=code_field
    )
    with write_transaction(engine) as connection:
        stored = dict(connection.execute(sa.select(DISTRICTS.c.code, DISTRICTS.c.population)).all())
        districts["population"] = districts["population"].fillna(districts["code"].map(stored))
        replace_districts(connection, districts)
        used = connection.execute(sa.select(MonthlyCount.__table__.c.district_code).distinct()).scalars()
        record_audit(connection, user=user, action="import districts", detail=f"{len(districts)} from {file_name}")
    attrs = districts.attrs
    return ImportedDistricts(
        count=len(districts),
        code_field=attrs["code_field"],
        name_field=attrs["name_field"],
        population_field=attrs["population_field"],
        source_crs=attrs["source_crs"],
        repaired=attrs["repaired"],
        merged=attrs["merged"],
        bounds=tuple(float(v) for v in districts.total_bounds),  # type: ignore[arg-type]
        codes_without_boundary=tuple(sorted(set(used) - set(districts["code"]) - {""})),
    )
