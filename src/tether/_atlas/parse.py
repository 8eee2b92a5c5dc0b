"""Reading SIPRI's trade-register export as users download it.

The export is a CSV file: Latin-1, a preamble of notes, a header of 16 columns (three of them
unnamed '?' flag columns), then one row per deal. Releases differ in small ways, and this
reader takes each in its stride:

- the encoding is Latin-1 (UTF-8, with or without a byte-order mark, is read too);
- the preamble has any number of lines: the header is the line that starts
  ``Recipient,Supplier,Year of order``;
- a comment may hold line breaks, and some releases then break the row across physical
  lines without quoting it: the pieces are joined back (a *repaired* row);
- a row with spare empty fields at its end (a trailing comma) is trimmed (repaired);
- a row that cannot be made into a deal (wrong number of fields, a year that is not a
  year, ...) is *reported* with its line number and left out of the store;
- delivery years are written ``2018; 2019``; '*' marks non-state recipients and '**'
  organisations; a delivered TIV of ``0`` means below 0.5 million.

Input that is not a register at all (another file, a truncated download, UTF-16 or binary
data) raises :class:`~tether.InputError` with the file and line: nothing is stored.

Pure Python: no numpy or pandas here.
"""

from __future__ import annotations

import csv
import hashlib
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import NamedTuple

from tether._errors import Diagnostic, InputError

__all__ = ["COLUMNS", "Deal", "Register", "parse_bytes", "parse_file"]

#: The 16 columns of the export; ``None`` stands for an unnamed '?' flag column.
COLUMNS: tuple[str | None, ...] = (
    "Recipient",
    "Supplier",
    "Year of order",
    None,
    "Number ordered",
    None,
    "Weapon designation",
    "Weapon description",
    "Number delivered",
    None,
    "Year(s) of delivery",
    "status",
    "Comments",
    "SIPRI TIV per unit",
    "SIPRI TIV for total order",
    "SIPRI TIV of delivered weapons",
)
NCOL = len(COLUMNS)
#: The largest file read (SIPRI's full register is about 4 MB).
MAX_BYTES = 256_000_000
#: Lines searched for the header before a file is declared not to be a register.
HEADER_SEARCH = 60
#: Free-text columns (designation, description, comments): the only ones a line break may
#: fall in when a release breaks a row across lines.
TEXT_FIELDS = frozenset({6, 7, 12})

_YEAR = re.compile(r"(1[89]|20|21)[0-9][0-9]")
_YEARS_SEP = re.compile(r"\s*[;/]\s*")
_INT = re.compile(r"[0-9]+")
_CONTROLS = re.compile(rb"[\x01-\x08\x0b\x0e-\x1f]")
_NUM = re.compile(r"[0-9]+(\.[0-9]*)?|\.[0-9]+")


class Deal(NamedTuple):
    """One row of the register (one deal), typed."""

    line: int  # physical line (1-based) on which the row starts
    recipient: str  # as SIPRI writes it, markers included
    supplier: str
    order_year: int
    order_year_uncertain: bool
    number_ordered: int | None  # None: "data not yet available"
    number_ordered_uncertain: bool
    designation: str
    description: str
    number_delivered: int
    number_delivered_uncertain: bool
    delivery_years: tuple[int, ...]
    status: str
    comments: str
    tiv_unit: float | None
    tiv_order: float | None
    tiv_delivered: float | None  # None: no deliveries identified; 0: below 0.5 million


@dataclass
class Register:
    """A parsed export: the deals, and an account of every row read."""

    file: str
    sha256: str
    generated: str  # the preamble's "Data generated" line, or ""
    deals: list[Deal] = field(default_factory=list)
    repaired: list[tuple[int, str]] = field(default_factory=list)  # (line, what was done)
    reported: list[tuple[int, str, str]] = field(default_factory=list)  # (line, text, why)

    @property
    def rows_read(self) -> int:
        return len(self.deals) + len(self.reported)


def parse_file(path: Path) -> Register:
    """Parse the export at ``path`` (see the module docstring)."""
    try:
        size = path.stat().st_size
        if size > MAX_BYTES:
            raise _fail(
                str(path),
                0,
                f"{size / 1e6:,.0f} MB is far larger than a trade register "
                f"(about 4 MB in 2026; at most {MAX_BYTES // 1_000_000} MB is read)",
            )
        data = path.read_bytes()
    except OSError as exc:
        raise InputError(
            [Diagnostic(str(path), 0, 0, "", f"cannot read: {exc.strerror}")]
        ) from None
    return parse_bytes(data, str(path))


def _fail(file: str, line: int, message: str) -> InputError:
    return InputError([Diagnostic(file, line, 1 if line else 0, "", message)])


def _decode(data: bytes, file: str) -> str:
    if not data.strip():
        raise _fail(file, 0, "empty file: not a SIPRI trade-register export")
    if data[:2] in (b"\xff\xfe", b"\xfe\xff") or data[:4] in (b"\x00\x00\xfe\xff",):
        raise _fail(
            file,
            0,
            "the file is UTF-16 (a byte-order mark): save the export as Latin-1 or UTF-8 CSV, "
            "or download it again from SIPRI",
        )
    nul = data.find(b"\x00")
    if nul >= 0:
        line = data.count(b"\n", 0, nul) + 1
        kind = "UTF-16 text" if data[1:200:2].count(0) > 50 else "binary data"
        raise _fail(
            file,
            line,
            f"the file holds NUL bytes ({kind}), not a SIPRI trade-register export "
            "(a Latin-1 CSV text file)",
        )
    controls = len(_CONTROLS.findall(data)) if _CONTROLS.search(data) else 0
    if controls > max(8, len(data) // 1000):
        raise _fail(file, 0, "the file holds binary data, not a SIPRI trade-register export")
    if data.startswith(b"\xef\xbb\xbf"):
        data = data[3:]
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        return data.decode("latin-1")


def _split(text: str) -> list[str]:
    """The fields of one record (CSV rules: quotes, if a release uses them)."""
    if '"' not in text:
        return text.split(",")
    return next(csv.reader([text], strict=False), [])


def _find_header(lines: list[str], file: str) -> int:
    for i, raw in enumerate(lines[:HEADER_SEARCH]):
        fields = [f.strip() for f in _split(raw)]
        if len(fields) >= 2 and [f.lower() for f in fields[:2]] == ["recipient", "supplier"]:
            _check_header(fields, file, i + 1)
            return i
    raise _fail(
        file,
        0,
        "not a SIPRI trade-register export: no header line starting "
        f"'Recipient,Supplier,Year of order' in the first {HEADER_SEARCH} lines "
        "(export the trade register as CSV from https://www.sipri.org/databases/armstransfers)",
    )


def _check_header(fields: list[str], file: str, line: int) -> None:
    while len(fields) > NCOL and not fields[-1]:
        fields.pop()
    names = [f for f in fields if f not in ("", "?")]
    want = [c for c in COLUMNS if c is not None]
    if len(fields) != NCOL or [n.lower() for n in names] != [w.lower() for w in want]:
        raise _fail(
            file,
            line,
            f"not a SIPRI trade-register export: the header has {len(fields)} columns "
            f"({', '.join(repr(f) for f in fields[:6])}, ...); a trade register has {NCOL}: "
            + ", ".join(c or "?" for c in COLUMNS),
        )


def parse_bytes(data: bytes, file: str = "<register>") -> Register:
    """Parse an export given as bytes; ``file`` names it in messages."""
    text = _decode(data, file)
    lines = text.splitlines()
    head = _find_header(lines, file)
    generated = next(
        (ln.split(":", 1)[1].strip() for ln in lines[:head] if ln.startswith("Data generated")),
        "",
    )
    reg = Register(file, hashlib.sha256(data).hexdigest(), generated)
    i, n = head + 1, len(lines)
    while i < n:
        if not lines[i].strip():
            i += 1
            continue
        start = i
        record = lines[i]
        fields = _split(record)
        i += 1
        # A row broken across lines: join while it is short (or inside quotes) and the
        # joined text does not run past the 16 columns.
        while (len(fields) < NCOL or record.count('"') % 2) and i < n:
            if not record.count('"') % 2 and len(fields) - 1 not in TEXT_FIELDS:
                break  # a break outside a free-text field: not a broken comment
            joined = record + "\n" + lines[i]
            jf = _split(joined)
            if len(jf) > NCOL and not joined.count('"') % 2:
                break
            record, fields = joined, jf
            i += 1
        if len(fields) < NCOL and i >= n:
            raise _fail(
                file,
                start + 1,
                f"the file ends inside a row ({len(fields)} of {NCOL} fields): "
                "a truncated download? Download the export again",
            )
        if record.count('"') % 2:
            raise _fail(file, start + 1, "a quote opened here is never closed: a truncated file?")
        _add(reg, start + 1, i - start, record, fields)
    if not reg.rows_read:
        raise _fail(file, head + 1, "no rows after the header: a truncated download?")
    return reg


def _add(reg: Register, line: int, nlines: int, record: str, fields: list[str]) -> None:
    fixes: list[str] = []
    if nlines > 1:
        fixes.append(f"joined {nlines} lines broken inside a field")
    if len(fields) > NCOL and not any(f.strip() for f in fields[NCOL:]):
        fixes.append(f"dropped {len(fields) - NCOL} empty trailing field(s)")
        fields = fields[:NCOL]
    if len(fields) != NCOL:
        reg.reported.append((line, record, f"{len(fields)} fields, not {NCOL}"))
        return
    try:
        deal = _deal(line, fields)
    except ValueError as exc:
        reg.reported.append((line, record, str(exc)))
        return
    reg.deals.append(deal)
    if fixes:
        reg.repaired.append((line, "; ".join(fixes)))


def _flag(value: str, column: str) -> bool:
    if value not in ("", "?"):
        raise ValueError(f"{column} flag is {value!r}, not '?' or empty")
    return value == "?"


def _int(value: str, column: str, empty: int | None = None) -> int | None:
    if not value:
        return empty
    if not _INT.fullmatch(value):
        raise ValueError(f"{column} is {value!r}, not a whole number")
    return int(value)


def _num(value: str, column: str) -> float | None:
    if not value:
        return None
    if not _NUM.fullmatch(value):
        raise ValueError(f"{column} is {value!r}, not a number")
    return float(value)


_FLAGS = {"": False, "?": True}


def _plain_num(value: str) -> float | None:
    """A number written plainly (``12``, ``0.35``) or empty; anything else raises."""
    if not value:
        return None
    if not value.replace(".", "", 1).isdigit() or not value.isascii():
        raise ValueError
    return float(value)


def _deal(line: int, f: list[str]) -> Deal:
    """The deal of one row: a fast path for rows written as SIPRI writes them, and
    :func:`_checked_deal` (which names what is wrong) for anything else."""
    try:
        yo, no, nd, yd = f[2], f[4], f[8], f[10]
        clean = (
            f[0].strip()
            and f[1].strip()
            and len(yo) == 4
            and yo.isdigit()
            and (not no or no.isdigit())
            and (not nd or nd.isdigit())
            and (yo + no + nd + yd).isascii()
        )
        if not clean:
            raise ValueError
        years = tuple(map(int, yd.split("; "))) if yd else ()
        if not all(1800 <= y <= 2199 for y in years) or not 1800 <= int(yo) <= 2199:
            raise ValueError
        return Deal(
            line,
            f[0].strip(),
            f[1].strip(),
            int(yo),
            _FLAGS[f[3]],
            int(no) if no else None,
            _FLAGS[f[5]],
            f[6].strip(),
            f[7].strip(),
            int(nd) if nd else 0,
            _FLAGS[f[9]],
            years,
            f[11].strip(),
            f[12].strip(),
            _plain_num(f[13]),
            _plain_num(f[14]),
            _plain_num(f[15]),
        )
    except (ValueError, KeyError):
        return _checked_deal(line, f)


def _checked_deal(line: int, raw: list[str]) -> Deal:
    f = [x.strip() for x in raw]
    if not f[0] or not f[1]:
        raise ValueError("the recipient or the supplier is empty")
    if not _YEAR.fullmatch(f[2]):
        raise ValueError(f"year of order is {f[2]!r}, not a year")
    years: tuple[int, ...] = ()
    if f[10]:
        parts = _YEARS_SEP.split(f[10])
        if not all(_YEAR.fullmatch(p) for p in parts):
            raise ValueError(f"year(s) of delivery is {f[10]!r}, not years like '2018; 2019'")
        years = tuple(int(p) for p in parts)
    delivered = _int(f[8], "number delivered", 0)
    assert delivered is not None
    return Deal(
        line,
        f[0],
        f[1],
        int(f[2]),
        _flag(f[3], "year of order"),
        _int(f[4], "number ordered"),
        _flag(f[5], "number ordered"),
        f[6],
        f[7],
        delivered,
        _flag(f[9], "number delivered"),
        years,
        f[11],
        f[12],
        _num(f[13], "TIV per unit"),
        _num(f[14], "TIV for total order"),
        _num(f[15], "TIV of delivered weapons"),
    )
