"""Property-based fuzzing of the candle reader and validator: whatever a file holds (wrong
types, missing or repeated columns, NaN, negative, huge, unsorted, duplicate or mixed-zone
timestamps, ragged or empty rows), loading it gives candles or a DataError that names the
file and where the problem is, never another exception."""

from __future__ import annotations

import re
import tempfile
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tradewind.data import COLUMNS, load, validate
from tradewind.exceptions import DataError

HEADER = ["timestamp", *COLUMNS]
FUZZ = settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])

_BAD_NUMBERS = ["", " ", "abc", "nan", "NaN", "NA", "null", "-5", "0", "-0", "1e308", "1e400",
                "-1e400", "inf", "-inf", "Infinity", "1,000", "12 USD", "0x1A", "True", "1e-320",
                "99999999999999999999999999", "--1", "1..2", "\u00a0", "٣", '"1"', "'2'"]
_BAD_TIMES = ["", "not a date", "2024-13-45 00:00:00", "2024-01-01T00:00:00+05:00",
              "2024-01-01 00:00:00Z", "2024-01-01T00:00:00-08:00", "1704067200", "1704067200000",
              "1e20", "-1", "99999999999999999999", "20240101", "0", "NaT", "2024-02-30",
              "01/02/2024", "2024-01-01 25:00", "inf", "nan", "1704067200.5", "9999-12-31",
              "1e30", "-99999999999", "0001-01-01", "-1e300"]


def _good_rows(n: int) -> list[list[str]]:
    times = pd.date_range("2024-01-01", periods=n, freq="1h")
    return [[t.strftime("%Y-%m-%d %H:%M:%S"), "100", "101", "99", "100.5", "10"] for t in times]


@st.composite
def malformed_csv(draw: st.DrawFn) -> str:
    """A CSV text: valid hourly bars broken by a random set of edits."""
    n = draw(st.integers(0, 12))
    header = list(HEADER)
    rows = _good_rows(n)
    cell_text = st.one_of(st.sampled_from(_BAD_NUMBERS), st.text(max_size=8))
    time_text = st.one_of(st.sampled_from(_BAD_TIMES), st.text(max_size=12))
    for _ in range(draw(st.integers(0, 6))):
        edit = draw(st.sampled_from([
            "cell", "time", "swap", "duplicate", "drop_column", "repeat_column", "rename_column",
            "extra_field", "extra_field_everywhere", "short_row", "blank_row", "extra_column",
        ]))
        if edit.endswith("_column"):
            if not header:
                continue
            k = draw(st.integers(0, len(header) - 1))
            if edit == "drop_column":
                header.pop(k)
                rows = [r[:k] + r[k + 1:] for r in rows]
            elif edit == "repeat_column":
                header.append(header[k].upper())
                rows = [[*r, r[k] if k < len(r) else ""] for r in rows]
            elif edit == "rename_column":
                header[k] = draw(st.sampled_from(["", "Date", "TIME", "unnamed: 0", "price", "vol"]))
            else:
                header.append(draw(st.sampled_from(["note", "datetime", "index"])))
                rows = [[*r, draw(time_text)] for r in rows]
            continue
        if edit == "extra_field_everywhere":  # pandas would take surplus fields for an index
            rows = [[*r, "1"] for r in rows]
            continue
        if not rows:
            continue
        i = draw(st.integers(0, len(rows) - 1))
        if edit == "cell" and len(rows[i]) > 1:
            rows[i][draw(st.integers(1, len(rows[i]) - 1))] = draw(cell_text)
        elif edit == "time" and rows[i]:
            rows[i][0] = draw(time_text)
        elif edit == "swap":
            j = draw(st.integers(0, len(rows) - 1))
            rows[i], rows[j] = rows[j], rows[i]
        elif edit == "duplicate":
            rows.insert(i, list(rows[i]))
        elif edit == "extra_field":
            rows[i].append(draw(cell_text))
        elif edit == "short_row":
            rows[i] = rows[i][: draw(st.integers(0, max(len(rows[i]) - 1, 0)))]
        elif edit == "blank_row":
            rows[i] = []
    lines = [",".join(header), *(",".join(r) for r in rows)]
    return "\n".join(lines) + draw(st.sampled_from(["\n", "", "\r\n"]))


def _names_where(message: str) -> bool:
    """The message points at the problem: a row, a line, a column, or the file as a whole."""
    where = ("row", "line", "column", "empty", "no bars", "header")
    return any(word in message for word in where)


@FUZZ
@given(text=malformed_csv())
def test_any_csv_loads_or_gives_a_data_error_naming_file_and_place(text: str) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "candles.csv"
        path.write_text(text, encoding="utf-8")
        try:
            frame = load(path)
        except DataError as err:
            message = str(err)
            assert "candles.csv" in message, message
            assert _names_where(message), message
            return
    assert list(frame.columns) == list(COLUMNS)
    assert frame.index.is_monotonic_increasing and frame.index.is_unique
    assert np.isfinite(frame.to_numpy()).all() and (frame[["open", "high", "low", "close"]] > 0).all().all()


_VALUES = st.one_of(
    st.floats(allow_nan=True, allow_infinity=True),
    st.sampled_from([0.0, -1.0, 1e308, -1e308, 5e-324, np.nan, np.inf]),
)


@st.composite
def malformed_frame(draw: st.DrawFn) -> pd.DataFrame:
    """A canonical-looking frame with random values and random (possibly bad) timestamps."""
    n = draw(st.integers(0, 10))
    base = pd.Timestamp("2024-01-01", tz="UTC")
    offsets = draw(st.lists(st.integers(-5, 40), min_size=n, max_size=n))
    unit = draw(st.sampled_from(["1min", "1h", "7min", "1D"]))
    stamps = [base + k * pd.Timedelta(unit) for k in offsets]
    if n and draw(st.booleans()):
        stamps[draw(st.integers(0, n - 1))] = pd.NaT
    index = pd.DatetimeIndex(stamps, name="timestamp")
    if draw(st.booleans()):
        index = index.tz_localize(None)
    data = {c: draw(st.lists(_VALUES, min_size=n, max_size=n)) for c in COLUMNS}
    return pd.DataFrame(data, index=index, dtype=np.float64)


@FUZZ
@given(frame=malformed_frame())
def test_validate_reports_every_frame_and_its_errors_name_rule_column_and_time(
    frame: pd.DataFrame,
) -> None:
    report = validate(frame)
    assert report.n_rows == len(frame)
    for finding in report.findings:
        assert finding.count >= 0 and finding.message and finding.fix
    if report.ok:
        return
    try:
        report.raise_for_errors("fuzz.csv")
    except DataError as err:
        message = str(err)
    else:
        raise AssertionError("a report with errors did not raise")
    assert message.startswith("fuzz.csv: ")
    for finding in report.errors:
        assert re.search(rf"{finding.rule} \(error\): \d+ ", message)
        assert f"column {finding.column or '-'}" in message
        first = "-" if finding.first is None else finding.first.isoformat()
        assert f"first at {first}" in message


HEAD = "timestamp,open,high,low,close,volume\n"


@pytest.mark.parametrize(
    ("body", "expected"),
    [
        # every row one field too many: pandas would have taken the first field for an index
        ("2024-01-01 00:00,1,2,0.5,1,1,7\n2024-01-01 01:00,1,2,0.5,1,1,7\n",
         r"data row 1 \(file line 2\) has 7 fields but the header names 6 columns"),
        ("-1,1,2,0.5,1,1\n2024-01-01 01:00,1,2,0.5,1,1\n",
         r"timestamp '-1' at data row 1 \(file line 2\) is -001-01-01 00:00:00, outside"),
        ("1e30,1,2,0.5,1,1\n", r"timestamp '1e30' at data row 1 \(file line 2\) is outside .* ns"),
        ("2024-01-01 00:00,1,2,0.5,1,1\n9999-12-31,1,2,0.5,1,1\n",
         r"'9999-12-31' at data row 2 \(file line 3\) is 9999-12-31 00:00:00, outside"),
    ],
)
def test_what_the_fuzzing_found_is_a_named_data_error(tmp_path: Path, body: str,
                                                      expected: str) -> None:
    path = tmp_path / "found.csv"
    path.write_text(HEAD + body)
    with pytest.raises(DataError, match=expected) as err:
        load(path)
    assert str(err.value).startswith(f"{path}: ")
