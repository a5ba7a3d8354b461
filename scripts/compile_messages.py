"""Compile the translation catalogues (``python/simplejwt_rs/locale/*/LC_MESSAGES/django.po``) to ``.mo``.

    python scripts/compile_messages.py          # write every django.mo next to its django.po
    python scripts/compile_messages.py --check  # exit 1 if a django.mo is not what its django.po compiles to

Standard library only, so that no GNU gettext (``msgfmt``, which Django's ``compilemessages``
calls) has to be installed.  The output is GNU's ``.mo`` format as ``msgfmt --no-hash`` writes it:
the entries sorted by msgid, the header entry (empty msgid) first, no hash table.  Entries marked
``#, fuzzy`` and entries with an empty ``msgstr`` are left out, as ``msgfmt`` does.  Our catalogues
have no plural forms and no contexts; a ``msgid_plural`` or ``msgctxt`` is an error here.
"""

from __future__ import annotations

import argparse
import ast
import struct
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
LOCALE = ROOT / "python" / "simplejwt_rs" / "locale"
MAGIC = 0x950412DE


class PoError(ValueError):
    pass


def _string(line: str, where: str) -> str:
    """A quoted PO string, with C escapes (``\\n``, ``\\"``, ``\\\\``, ...)."""
    line = line.strip()
    if len(line) < 2 or not (line.startswith('"') and line.endswith('"')):
        raise PoError(f"{where}: expected a quoted string, got {line!r}")
    # A PO string's escapes are Python's for the ones that occur (\n \t \" \\); decoded as a Python literal.
    value = ast.literal_eval(line)
    if not isinstance(value, str):
        raise PoError(f"{where}: not a string: {line!r}")
    return value


def parse(path: Path, *, untranslated: bool = False) -> dict[str, str]:
    """The translated entries of a ``.po`` file: msgid -> msgstr (the header under ``""``).

    With ``untranslated``, fuzzy and empty entries too (every msgid the file has).
    """
    entries: dict[str, str] = {}
    msgid: str | None = None
    msgstr: str | None = None
    fuzzy = False
    current: str | None = None

    def finish() -> None:
        nonlocal msgid, msgstr, fuzzy, current
        if msgid is not None:
            if msgstr is None:
                raise PoError(f"{path}: msgid {msgid!r} has no msgstr")
            if msgid in entries:
                raise PoError(f"{path}: msgid {msgid!r} appears twice")
            if untranslated or (msgstr and not (fuzzy and msgid)):
                entries[msgid] = msgstr
        msgid, msgstr, fuzzy, current = None, None, False, None

    for number, raw in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
        where = f"{path}:{number}"
        line = raw.strip()
        if not line:
            finish()
        elif line.startswith("#,"):
            if msgid is not None:
                finish()
            fuzzy = "fuzzy" in (flag.strip() for flag in line[2:].split(","))
        elif line.startswith("#"):
            if msgid is not None and msgstr is not None:
                finish()
        elif line.startswith(("msgctxt", "msgid_plural", "msgstr[")):
            raise PoError(f"{where}: contexts and plural forms are not supported")
        elif line.startswith("msgid "):
            if msgid is not None:
                finish()
            msgid, current = _string(line[len("msgid ") :], where), "msgid"
        elif line.startswith("msgstr "):
            if msgid is None:
                raise PoError(f"{where}: msgstr without msgid")
            msgstr, current = _string(line[len("msgstr ") :], where), "msgstr"
        elif line.startswith('"'):
            if current == "msgid" and msgid is not None:
                msgid += _string(line, where)
            elif current == "msgstr" and msgstr is not None:
                msgstr += _string(line, where)
            else:
                raise PoError(f"{where}: a continuation line outside an entry")
        else:
            raise PoError(f"{where}: cannot read {raw!r}")
    finish()
    return entries


def compile_mo(entries: dict[str, str]) -> bytes:
    """GNU ``.mo`` bytes (little-endian, revision 0, no hash table) for ``entries``."""
    items = sorted((key.encode("utf-8"), value.encode("utf-8")) for key, value in entries.items())
    count = len(items)
    header_size = 7 * 4
    ids_table = header_size
    strs_table = ids_table + count * 8
    data_start = strs_table + count * 8
    ids = b""
    strs = b""
    id_offsets = []
    for key, _value in items:
        id_offsets.append((len(key), data_start + len(ids)))
        ids += key + b"\0"
    str_start = data_start + len(ids)
    str_offsets = []
    for _key, value in items:
        str_offsets.append((len(value), str_start + len(strs)))
        strs += value + b"\0"
    out = struct.pack("<7I", MAGIC, 0, count, ids_table, strs_table, 0, data_start)
    out += b"".join(struct.pack("<2I", length, offset) for length, offset in id_offsets)
    out += b"".join(struct.pack("<2I", length, offset) for length, offset in str_offsets)
    return out + ids + strs


def catalogues(locale: Path = LOCALE) -> list[Path]:
    return sorted(locale.glob("*/LC_MESSAGES/django.po"))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--check", action="store_true", help="only compare; exit 1 on a stale or missing .mo")
    args = parser.parse_args(argv)
    stale = []
    for po in catalogues():
        mo = po.with_suffix(".mo")
        compiled = compile_mo(parse(po))
        if args.check:
            if not mo.exists() or mo.read_bytes() != compiled:
                stale.append(mo)
        elif not mo.exists() or mo.read_bytes() != compiled:
            mo.write_bytes(compiled)
            print(f"wrote {mo.relative_to(ROOT)}")
    for mo in stale:
        print(f"stale: {mo.relative_to(ROOT)} (run: python scripts/compile_messages.py)", file=sys.stderr)
    return 1 if stale else 0


if __name__ == "__main__":
    sys.exit(main())
