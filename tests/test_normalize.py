"""Tests of the vectorised parsers in voc.ingest.normalize."""

from __future__ import annotations

import datetime as dt
import time

import numpy as np
import pandas as pd
import pytest

from tests.files import REAL
from voc.core.fields import CHANNELS
from voc.ingest.normalize import (
    normalize_channels,
    normalize_districts,
    normalize_ids,
    parse_datetimes,
    parse_location,
    parse_numbers,
    parse_times,
    redact_personal,
)


def load(name: str) -> pd.DataFrame:
    return pd.read_csv(REAL / name, dtype=str, keep_default_na=False, encoding="utf-8-sig")


def utc(text: str) -> pd.Timestamp:
    return pd.Timestamp(text, tz="UTC")


# (value, timezone, expected UTC instant or None, unreadable)
DATETIME_CASES = [
    ("2014-09-17T16:21:00.000", "America/New_York", "2014-09-17 20:21", False),
    ("2024-04-15 22:51:00", "America/New_York", "2024-04-16 02:51", False),
    ("10/21/2019 11:49:49 AM", "America/New_York", "2019-10-21 15:49:49", False),
    ("12/31/2017 11:59:58 PM", "America/Los_Angeles", "2018-01-01 07:59:58", False),
    ("09/25/2018 10:11:00", "America/New_York", "2018-09-25 14:11", False),
    ("1/1/20 0:05", "America/Los_Angeles", "2020-01-01 08:05", False),
    ("1/7/20", "America/Chicago", "2020-01-07 06:00", False),
    ("2020-01-07", "America/Chicago", "2020-01-07 06:00", False),
    ("Jan 5, 2020", "UTC", "2020-01-05 00:00", False),
    ("05-Jan-2020", "UTC", "2020-01-05 00:00", False),
    ("43831.5", "America/Chicago", "2020-01-01 18:00", False),
    (43831.5, "America/Chicago", "2020-01-01 18:00", False),
    (43831, "America/Chicago", "2020-01-01 06:00", False),
    ("2020-01-01T12:00:00Z", "America/Chicago", "2020-01-01 12:00", False),
    ("2010-04-14T06:37:38-08:00", "America/New_York", "2010-04-14 14:37:38", False),
    ("2020-01-01 10:00 UTC", "America/Chicago", "2020-01-01 10:00", False),
    ("10/21/2019 11:49 -05:00", "America/Chicago", "2019-10-21 16:49", False),
    (dt.datetime(2020, 1, 1, 8, 30), "America/Chicago", "2020-01-01 14:30", False),
    (dt.date(2020, 1, 2), "America/Chicago", "2020-01-02 06:00", False),
    (pd.Timestamp("2020-01-01 10:00", tz="America/New_York"), "America/Chicago", "2020-01-01 15:00", False),
    # DST gap: 02:30 does not exist on 2020-03-08 in New York; shifted to 03:00 EDT.
    ("2020-03-08 02:30:00", "America/New_York", "2020-03-08 07:00", False),
    # DST overlap with nothing to infer from: the first 01:30 (EDT).
    ("2020-11-01 01:30:00", "America/New_York", "2020-11-01 05:30", False),
    ("", "America/Chicago", None, False),
    ("   ", "America/Chicago", None, False),
    ("NA", "America/Chicago", None, False),
    ("N/A", "America/Chicago", None, False),
    ("NULL", "America/Chicago", None, False),
    ("None", "America/Chicago", None, False),
    (None, "America/Chicago", None, False),
    (np.nan, "America/Chicago", None, False),
    ("not a date", "America/Chicago", None, True),
    ("12:59 PM", "America/Chicago", None, True),  # a time without a date
    ("12", "America/Chicago", None, True),
    ("150000", "America/Chicago", None, True),  # a number far outside Excel serials
    (dt.time(12, 59), "America/Chicago", None, True),
    ("12/31/9999", "America/Chicago", None, True),  # a CRM's "never" is outside datetime64[ns]
    (dt.datetime(9999, 12, 31), "America/Chicago", None, True),
]


@pytest.mark.parametrize(("value", "timezone", "expected", "unreadable"), DATETIME_CASES)
def test_parse_datetimes(value: object, timezone: str, expected: str | None, unreadable: bool):
    parsed, bad = parse_datetimes(pd.Series([value], dtype=object), timezone=timezone)
    assert str(parsed.dtype) == "datetime64[ns, UTC]"
    if expected is None:
        assert pd.isna(parsed[0])
    else:
        assert parsed[0] == utc(expected)
    assert bool(bad[0]) is unreadable


def test_parse_datetimes_mixed_column_keeps_index_and_name():
    values = pd.Series(
        ["1/7/20", "2020-01-08T09:00:00.000", "", "junk", 43831.5],
        index=[10, 11, 12, 13, 14],
        name="opened",
        dtype=object,
    )
    parsed, bad = parse_datetimes(values, timezone="America/Chicago")
    assert parsed.index.tolist() == [10, 11, 12, 13, 14]
    assert parsed.name == "opened"
    assert parsed.tolist()[:2] == [utc("2020-01-07 06:00"), utc("2020-01-08 15:00")]
    assert pd.isna(parsed[12]) and pd.isna(parsed[13])
    assert parsed[14] == utc("2020-01-01 18:00")
    assert bad.tolist() == [False, False, False, True, False]


def test_parse_datetimes_infers_repeated_hour_in_sorted_files():
    # 01:15 and 01:45 come first in EDT, then again (01:10, 01:40) in EST.
    wall = ["00:30", "01:15", "01:45", "01:10", "01:40", "02:30"]
    instants = ["04:30", "05:15", "05:45", "06:10", "06:40", "07:30"]
    values = pd.Series([f"2020-11-01 {time}" for time in wall])
    expected = [utc(f"2020-11-01 {time}") for time in instants]
    parsed, _ = parse_datetimes(values, timezone="America/New_York")
    assert parsed.tolist() == expected
    newest_first, _ = parse_datetimes(values[::-1], timezone="America/New_York")
    assert newest_first.tolist() == expected[::-1]


def test_parse_datetimes_typed_columns():
    naive = pd.Series(pd.to_datetime(["2020-01-01 08:00", None]))
    parsed, bad = parse_datetimes(naive, timezone="America/Chicago")
    assert parsed[0] == utc("2020-01-01 14:00") and pd.isna(parsed[1])
    assert not bad.any()
    aware = naive.dt.tz_localize("America/New_York")
    parsed, _ = parse_datetimes(aware, timezone="America/Chicago")
    assert parsed[0] == utc("2020-01-01 13:00")
    far = pd.Series(pd.to_datetime(["9999-12-31", "2020-01-01"]).as_unit("us"))
    parsed, bad = parse_datetimes(far, timezone="UTC")
    assert pd.isna(parsed[0]) and parsed[1] == utc("2020-01-01")
    assert bad.tolist() == [True, False]


# (date, time, expected UTC instant or None, unreadable), all in America/Chicago
DATE_AND_TIME_CASES = [
    ("1/7/20", "12:59 PM", "2020-01-07 18:59", False),
    ("1/7/20", "0:05", "2020-01-07 06:05", False),
    ("1/7/20", "13:05:00", "2020-01-07 19:05", False),
    ("1/7/20", dt.time(12, 59), "2020-01-07 18:59", False),
    ("1/7/20", 0.5, "2020-01-07 18:00", False),
    ("1/7/20", "0.5", "2020-01-07 18:00", False),
    (dt.datetime(2020, 1, 7), dt.time(8, 0, 30), "2020-01-07 14:00:30", False),
    (43837.0, 0.75, "2020-01-08 00:00", False),
    ("1/7/20", "", "2020-01-07 06:00", False),  # no time: midnight
    ("", "12:59 PM", None, False),  # no date: missing
    ("1/7/20", "25:99", None, True),
    ("1/7/20", "soon", None, True),
]


@pytest.mark.parametrize(("date", "time_of_day", "expected", "unreadable"), DATE_AND_TIME_CASES)
def test_parse_datetimes_with_time_column(date: object, time_of_day: object, expected: str | None, unreadable: bool):
    parsed, bad = parse_datetimes(
        pd.Series([date], dtype=object),
        timezone="America/Chicago",
        times=pd.Series([time_of_day], dtype=object),
    )
    if expected is None:
        assert pd.isna(parsed[0])
    else:
        assert parsed[0] == utc(expected)
    assert bool(bad[0]) is unreadable


def test_parse_times():
    times, bad = parse_times(pd.Series(["12:59 PM", "0:05", "13:05:00", "", "noon", dt.time(1, 2)]))
    assert times.tolist()[:3] == [
        pd.Timedelta(hours=12, minutes=59),
        pd.Timedelta(minutes=5),
        pd.Timedelta(hours=13, minutes=5),
    ]
    assert pd.isna(times[3]) and pd.isna(times[4])
    assert times[5] == pd.Timedelta(hours=1, minutes=2)
    assert bad.tolist() == [False, False, False, False, True, False]


REAL_DATE_COLUMNS = [
    ("nyc311_2024-04_sample.csv", "created_date", "America/New_York", "2024-04-16 07:03:15"),
    ("nyc311_2024-04_sample.csv", "closed_date", "America/New_York", None),
    ("myla311_2017_subset.csv", "CreatedDate", "America/Los_Angeles", "2018-01-01 07:59:58"),
    ("myla311_2017_subset.csv", "ClosedDate", "America/Los_Angeles", "2018-04-09 16:18:35"),
    ("myla311_2018_mini.csv", "CreatedDate", "America/Los_Angeles", "2018-01-01 08:00:09"),
    ("myla311_2018_mini.csv", "ClosedDate", "America/Los_Angeles", "2018-01-06 18:18:29"),
    ("myla311_2020_requests_seed.csv", "createddate", "America/Los_Angeles", "2020-01-01 08:05"),
    ("myla311_2020_requests_seed.csv", "closeddate", "America/Los_Angeles", "2020-01-02 16:43"),
    ("baltimore311_2019-10_sample.csv", "CreatedDate", "America/New_York", "2019-10-21 15:49:49"),
    ("baltimore311_2019-10_sample.csv", "CloseDate", "America/New_York", None),
    ("gainesville_mygnv_311_sample5000.csv", "created", "America/New_York", "2014-09-17 20:21"),
    ("gainesville_mygnv_311_sample5000.csv", "closed", "America/New_York", None),
    (
        "miami_dade_311_sample5000.csv",
        "Ticket Created Date / Time",
        "America/New_York",
        "2015-03-20 13:18:36",
    ),
    ("miami_dade_311_sample5000.csv", "Ticket Closed Date / Time", "America/New_York", "2015-03-25 18:08:39"),
    ("kc311_potholes_2020JanFeb.csv", "CLOSED DATE", "America/Chicago", "2020-02-12 06:00"),
]


@pytest.mark.parametrize(("name", "column", "timezone", "first"), REAL_DATE_COLUMNS)
def test_real_date_columns_parse_without_unreadable_values(name: str, column: str, timezone: str, first: str | None):
    values = load(name)[column]
    parsed, bad = parse_datetimes(values, timezone=timezone)
    assert int(bad.sum()) == 0
    present = values.str.strip().ne("") & values.ne("NA")
    assert parsed.notna().tolist() == present.tolist()
    if first is None:
        assert pd.isna(parsed.iloc[0])
    else:
        assert parsed.iloc[0] == utc(first)


def test_real_kansas_city_split_date_and_time():
    kc = load("kc311_potholes_2020JanFeb.csv")
    parsed, bad = parse_datetimes(kc["CREATION DATE"], timezone="America/Chicago", times=kc["CREATION TIME"])
    assert int(bad.sum()) == 0
    assert parsed.notna().all()
    # Case 2020002530: created 1/7/20 at 12:59 PM Central.
    assert parsed.iloc[0] == utc("2020-01-07 18:59")
    assert parsed.min() == utc("2020-01-01 07:39")  # 1:39 AM on New Year's Day, Central
    assert parsed.max() == utc("2020-02-26 04:45")  # 10:45 PM on 2/25/20, Central


def test_parse_datetimes_100k_rows():
    kc = load("kc311_potholes_2020JanFeb.csv")
    rows = 100_000
    repeats = rows // len(kc) + 1
    dates = pd.Series(np.tile(kc["CREATION DATE"].to_numpy(), repeats)[:rows], dtype="str")
    times = pd.Series(np.tile(kc["CREATION TIME"].to_numpy(), repeats)[:rows], dtype="str")
    started = time.perf_counter()
    parsed, bad = parse_datetimes(dates, timezone="America/Chicago", times=times)
    elapsed = time.perf_counter() - started
    print(f"\nparse_datetimes, 100k rows (date + time columns): {elapsed * 1000:.0f} ms")
    small, _ = parse_datetimes(kc["CREATION DATE"], timezone="America/Chicago", times=kc["CREATION TIME"])
    assert int(bad.sum()) == 0
    assert parsed.iloc[: len(kc)].tolist() == small.tolist()
    assert parsed.iloc[len(kc) : 2 * len(kc)].tolist() == small.tolist()


NUMBER_CASES = [
    ("1,234.5", 1234.5, False),
    (" 12 ", 12.0, False),
    ("-94.527365", -94.527365, False),
    ("+3", 3.0, False),
    ("", None, False),
    ("NA", None, False),
    ("twelve", None, True),
    ("12 ft", None, True),
]


@pytest.mark.parametrize(("value", "expected", "unreadable"), NUMBER_CASES)
def test_parse_numbers(value: str, expected: float | None, unreadable: bool):
    numbers, bad = parse_numbers(pd.Series([value]))
    assert str(numbers.dtype) == "float64"
    if expected is None:
        assert np.isnan(numbers[0])
    else:
        assert numbers[0] == expected
    assert bool(bad[0]) is unreadable


def test_parse_numbers_of_numeric_column():
    numbers, bad = parse_numbers(pd.Series([1, 2, 3]))
    assert numbers.tolist() == [1.0, 2.0, 3.0] and not bad.any()


LOCATION_CASES = [
    ("(34.07, -118.26)", 34.07, -118.26, False),
    ("POINT (-118.29 34.06)", 34.06, -118.29, False),  # WKT is (lon lat)
    ("{'type': 'Point', 'coordinates': [-82.3, 29.6]}", 29.6, -82.3, False),
    ("{'latitude': '29.65', 'longitude': '-82.32', 'human_address': '{}'}", 29.65, -82.32, False),
    ("4900 E 63rd St64130\n(39.014495, -94.527365)", 39.014495, -94.527365, False),
    ("\n,  \n(40.67679280229251, -73.7379342313789)", 40.67679280229251, -73.7379342313789, False),
    ("39.01, -94.52", 39.01, -94.52, False),
    ("", None, None, False),
    ("NA", None, None, False),
    ("13621 SW 108TH STREET CIR S\nMIAMI 33186\n", None, None, False),  # never geocoded
    ("POINT (east north)", None, None, True),
    ("(39.01; -94.52)", None, None, True),
    ("(139.0, -94.5)", None, None, True),  # latitude out of range
]


@pytest.mark.parametrize(("text", "lat", "lon", "unreadable"), LOCATION_CASES)
def test_parse_location(text: str, lat: float | None, lon: float | None, unreadable: bool):
    latitudes, longitudes, bad = parse_location(pd.Series([text]))
    if lat is None:
        assert np.isnan(latitudes[0]) and np.isnan(longitudes[0])
    else:
        assert (latitudes[0], longitudes[0]) == (lat, lon)
    assert bool(bad[0]) is unreadable


REAL_LOCATION_COLUMNS = [
    ("kc311_potholes_2020JanFeb.csv", "ADDRESS WITH GEOCODE", "LATITUDE", "LONGITUDE"),
    ("miami_dade_311_sample5000.csv", "Location Geo. Coded", "Latitude", "Longitude"),
    ("myla311_2017_subset.csv", "Location", "Latitude", "Longitude"),
    ("myla311_2018_mini.csv", "Location", "Latitude", "Longitude"),
    ("nyc311_2024-04_sample.csv", "location", "latitude", "longitude"),
    ("gainesville_mygnv_311_sample5000.csv", "location", "latitude", "longitude"),
    ("baltimore311_2019-10_sample.csv", "GeoLocation", "Latitude", "Longitude"),
]


@pytest.mark.parametrize(("name", "location", "lat", "lon"), REAL_LOCATION_COLUMNS)
def test_real_locations_agree_with_lat_lon_columns(name: str, location: str, lat: str, lon: str):
    frame = load(name)
    latitudes, longitudes, bad = parse_location(frame[location])
    assert int(bad.sum()) == 0
    expected_lat, _ = parse_numbers(frame[lat])
    expected_lon, _ = parse_numbers(frame[lon])
    assert latitudes.notna().tolist() == expected_lat.notna().tolist()
    # Baltimore's GeoLocation carries more decimals than its Latitude column.
    assert np.allclose(latitudes.dropna(), expected_lat.dropna(), atol=1e-9)
    assert np.allclose(longitudes.dropna(), expected_lon.dropna(), atol=1e-9)


def test_real_kansas_city_geocode_first_row():
    text = load("kc311_potholes_2020JanFeb.csv")["ADDRESS WITH GEOCODE"].iloc[:1]
    assert text.iloc[0] == "4900 E 63rd St64130\n(39.014495, -94.527365)"
    latitudes, longitudes, _ = parse_location(text)
    assert (latitudes[0], longitudes[0]) == (39.014495, -94.527365)


def test_normalize_ids():
    values = pd.Series(["00123", " 2020002530.0 ", "19-00711545", "1-870704831", "", "NA", None])
    assert normalize_ids(values).tolist()[:4] == ["00123", "2020002530", "19-00711545", "1-870704831"]
    assert normalize_ids(values).isna().tolist() == [False] * 4 + [True] * 3
    floats = normalize_ids(pd.Series([2020002530.0, np.nan, 7.0]))
    assert floats.tolist()[0] == "2020002530" and floats.tolist()[2] == "7"
    assert pd.isna(floats[1])


DISTRICT_CASES = [
    ("District 8", "8"),
    ("8", "8"),
    ("8.0", "8"),
    (8.0, "8"),
    (8, "8"),
    ("Council District 08", "8"),
    ("CD 8", "8"),
    ("CD8", "8"),
    ("Ward 3", "3"),
    ("Dist. 4", "4"),
    ("Commission District 13", "13"),
    ("district 2", "2"),
    ("PAC 1", "PAC 1"),
    ("District", None),
    ("", None),
    ("NA", None),
]


@pytest.mark.parametrize(("value", "expected"), DISTRICT_CASES)
def test_normalize_districts(value: object, expected: str | None):
    districts, unknown = normalize_districts(pd.Series([value], dtype=object))
    if expected is None:
        assert pd.isna(districts[0])
    else:
        assert districts[0] == expected
    assert not unknown[0]


def test_normalize_districts_against_known_codes():
    values = pd.Series(["District 8", "08", "cd 8", "15", "", "District", "north", "NORTH"])
    districts, unknown = normalize_districts(values, known_codes=["01", "08", "North"])
    assert districts.tolist()[:4] == ["08", "08", "08", "15"]
    assert districts.isna().tolist()[4:6] == [True, True]
    assert districts.tolist()[6:] == ["North", "North"]
    assert unknown.tolist() == [False, False, False, True, False, False, False, False]


def test_normalize_real_districts():
    miami = load("miami_dade_311_sample5000.csv")["Neighborhood / District / Ward / etc."]
    districts, unknown = normalize_districts(miami, known_codes=[str(n) for n in range(1, 14)])
    assert districts.iloc[0] == "8"
    assert set(districts.dropna()) <= {str(n) for n in range(1, 14)}
    assert not unknown.any()
    baltimore = load("baltimore311_2019-10_sample.csv")["CouncilDistrict"]
    districts, _ = normalize_districts(baltimore)
    assert districts.iloc[0] == "7" and pd.isna(districts.iloc[1])


# Every channel value of the real files (full shared copies), and common other spellings.
CHANNEL_CASES = {
    "phone": ["PHONE", "Phone", "Call", "Phone Call", "Voicemail", "PHONC", "Telephone"],
    "web": ["WEB", "Self Service", "Online", "ONLINE", "Internet", "Website", "API"],
    "app": ["Mobile App", "App", "iPhone", "IPHONE", "Android", "ANDROID", "MOBILE", "iOS"],
    "e-mail": ["Email", "EMAIL", "E-Mail", "e-mail"],
    "walk-in": ["Walk In", "Walk-in", "WALKIN", "WALK", "Counter"],
    "social media": ["Twitter", "TWIR", "Facebook", "Social", "Social Media"],
    "other": [
        "Driver Self Report",
        "Council's Office",
        "Letter",
        "Mail",
        "MAIL",
        "FAX",
        "System",
        "Internal",
        "INHOUSE",
        "XTERFACE",
        "XTERNEAT",
        "PROACT",
        "SRVCDRCT",
        "MAYOFF",
        "ZAPATA",
        "OTHER",
        "BOT",
    ],
}


@pytest.mark.parametrize(
    ("value", "expected"),
    [(value, channel) for channel, values in CHANNEL_CASES.items() for value in values],
)
def test_normalize_channels(value: str, expected: str):
    assert expected in CHANNELS
    assert normalize_channels(pd.Series([value]))[0] == expected


@pytest.mark.parametrize("value", ["", "  ", "NA", None, "UNKNOWN", "Unspecified"])
def test_normalize_channels_blank_is_missing(value: object):
    assert pd.isna(normalize_channels(pd.Series([value], dtype=object))[0])


REAL_CHANNEL_COUNTS = [
    (
        "kc311_potholes_2020JanFeb.csv",
        "SOURCE",
        {"web": 2095, "phone": 1586, "e-mail": 575, "social media": 167, "other": 69, "walk-in": 1},
    ),
    ("nyc311_2024-04_sample.csv", "open_data_channel_type", {"web": 112, "phone": 92, "app": 67}),
    ("myla311_2017_subset.csv", "RequestSource", {"web": 138, "app": 92, "phone": 60, "other": 10}),
    ("myla311_2018_mini.csv", "RequestSource", {"app": 129, "phone": 85, "web": 82, "other": 4}),
    (
        "myla311_2020_requests_seed.csv",
        "requestsource",
        {"app": 132, "phone": 98, "web": 39, "e-mail": 31},
    ),
    (
        "baltimore311_2019-10_sample.csv",
        "MethodReceived",
        {"other": 164, "phone": 109, "web": 23, "e-mail": 4},
    ),
    (
        "miami_dade_311_sample5000.csv",
        "Method Received",
        {"phone": 170, "other": 110, "app": 7, "e-mail": 6, "web": 5, "walk-in": 2},
    ),
]


@pytest.mark.parametrize(("name", "column", "counts"), REAL_CHANNEL_COUNTS)
def test_real_channel_columns(name: str, column: str, counts: dict[str, int]):
    channels = normalize_channels(load(name)[column])
    assert channels.value_counts().to_dict() == counts


def test_real_nyc_unknown_channel_is_missing():
    raw = load("nyc311_2024-04_sample.csv")["open_data_channel_type"]
    channels = normalize_channels(raw)
    assert channels.isna().tolist() == raw.eq("UNKNOWN").tolist()


REDACTION_CASES = [
    ("Call me at 727-555-0143 please", "Call me at [phone] please"),
    ("(727) 555-0143", "[phone]"),
    ("(727)555-0143", "[phone]"),
    ("727.555.0143", "[phone]"),
    ("+1 727 555 0143", "[phone]"),
    ("1-727-555-0143", "[phone]"),
    ("mail jo.smith+311@example.org now", "mail [e-mail] now"),
    ("J_Doe@county.fl.us, 727-555-0143", "[e-mail], [phone]"),
    # Not personal: addresses, dates, case numbers, ZIP+4, coordinates.
    ("1234 Main St", "1234 Main St"),
    ("opened 10/21/2019 11:49:49 AM", "opened 10/21/2019 11:49:49 AM"),
    ("2024-04-16T03:03:15.000", "2024-04-16T03:03:15.000"),
    ("case 2020002530", "case 2020002530"),
    ("SR 19-00711545 and 1-870704831", "SR 19-00711545 and 1-870704831"),
    ("ZIP 64130-1234", "ZIP 64130-1234"),
    ("(39.014495, -94.527365)", "(39.014495, -94.527365)"),
    ("pothole 3 ft wide, 2 in deep", "pothole 3 ft wide, 2 in deep"),
    ("the non-emergency line at 955-1818", "the non-emergency line at [phone]"),
    ("blocks 1300-1900 of Main", "blocks 1300-1900 of Main"),
]


@pytest.mark.parametrize(("text", "expected"), REDACTION_CASES)
def test_redact_personal(text: str, expected: str):
    assert redact_personal(pd.Series([text]))[0] == expected


def test_redact_personal_keeps_missing():
    assert pd.isna(redact_personal(pd.Series([None], dtype=object))[0])


def test_redact_personal_on_real_descriptions():
    gainesville = load("gainesville_mygnv_311_sample5000.csv").set_index("id")["description"]
    redacted = redact_personal(gainesville)
    changed = redacted[redacted != gainesville].index.tolist()
    assert changed == ["2686211", "3539277", "5184306", "5244259"]
    assert redacted["5244259"] == "All kinds of cats by Outreach. Lauren Cava can be reached at [phone]"
    # A CAD call number and a police case number are not phone numbers.
    assert redacted["5184306"].startswith("REFERENCE CAD CALL 120618-1077  \nGPD CASE NUMBER GPD18-0022446\n")
    assert redacted["5184306"].endswith("ANY QUESTIONS PLEASE CONTACT [phone]")
    assert "From: E K Sommer [mailto:[e-mail]] " in redacted["3539277"]
