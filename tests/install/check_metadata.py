"""Check the metadata PyPI will show, from the built wheel and sdist: the README is the project page.

    python tests/install/check_metadata.py [--dist dist]

(`make test-install` runs it after ``twine check --strict``.)  Fails unless, in the wheel's METADATA
and the sdist's PKG-INFO alike:
- the description is the README, as Markdown, whose links and images are all absolute (a relative one
  is broken on PyPI) and whose install section puts ``pip install simplejwt-rs`` first;
- the project URLs, authors and keywords are there, every URL absolute and under one repository;
- the classifiers say Typed, CPython, Python 3.10 to 3.14, a development status, an audience, and exactly
  the Django versions `make matrix` tests (noxfile.py's MATRIX);
- the ``django`` extra bounds djangorestframework-simplejwt below its next major, and a ``redis`` extra exists.

Standard library only.
"""

from __future__ import annotations

import argparse
import ast
import re
import sys
import tarfile
import zipfile
from email.message import Message
from email.parser import Parser
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent.parent
REPOSITORY = "https://github.com/simplejwt-rs/simplejwt-rs"
PYTHONS = ["3.10", "3.11", "3.12", "3.13", "3.14"]
REQUIRED_CLASSIFIERS = {
    "Typing :: Typed",
    "Programming Language :: Python :: Implementation :: CPython",
    "Intended Audience :: Developers",
    "Framework :: Django",
    *(f"Programming Language :: Python :: {v}" for v in PYTHONS),
}
# [text](target) and ![alt](target), and <img src="..."> / href="..." in inline HTML.
MARKDOWN_LINK = re.compile(r"!?\[[^\]]*\]\(\s*<?([^)\s>]+)>?(?:\s+\"[^\"]*\")?\s*\)")
HTML_LINK = re.compile(r"""\b(?:src|href)\s*=\s*["']([^"']+)["']""")
REFERENCE_LINK = re.compile(r"^\s*\[[^\]]+\]:\s*(\S+)", re.MULTILINE)
FENCE = re.compile(r"^```.*?^```", re.MULTILINE | re.DOTALL)


def tested_django_versions() -> set[str]:
    """The Django column of noxfile.py's MATRIX, read without importing nox."""
    tree = ast.parse((ROOT / "noxfile.py").read_text())
    for node in tree.body:
        if isinstance(node, ast.Assign) and any(getattr(t, "id", None) == "MATRIX" for t in node.targets):
            return {row[2] for row in ast.literal_eval(node.value)}
    raise AssertionError("noxfile.py has no MATRIX")


def relative_links(markdown: str) -> list[str]:
    prose = FENCE.sub("", markdown)  # code blocks are not links
    targets = [*MARKDOWN_LINK.findall(prose), *HTML_LINK.findall(prose), *REFERENCE_LINK.findall(prose)]
    return [t for t in targets if not t.startswith(("https://", "http://", "mailto:", "#"))]


def install_section(markdown: str) -> str:
    match = re.search(r"^## Install\n(.*?)^## ", markdown, re.MULTILINE | re.DOTALL)
    assert match, "the README has no '## Install' section"
    return match.group(1)


def check(metadata: Message, what: str) -> list[str]:
    problems = []
    description = metadata.get_payload() or metadata.get("Description", "")
    if metadata.get("Description-Content-Type", "").split(";")[0] != "text/markdown":
        problems.append(f"{what}: Description-Content-Type is {metadata.get('Description-Content-Type')!r}")
    if description.strip() != (ROOT / "README.md").read_text().strip():
        problems.append(f"{what}: the long description is not the README")
    relative = relative_links(description)
    if relative:
        problems.append(f"{what}: relative links or images in the README (broken on PyPI): {relative[:5]}")
    section = install_section(description)
    table = set(re.findall(r"^\| (\d+\.\d+)(?: LTS)? \|", section, re.MULTILINE))
    if table != tested_django_versions():
        problems.append(f"{what}: the install section's Django table {sorted(table)} != noxfile.py's MATRIX")
    commands = re.findall(r"^\s*pip install (\S+)", section, re.MULTILINE)
    if not commands or commands[0].strip("\"'") not in ("simplejwt-rs", "simplejwt-rs[django]"):
        problems.append(f"{what}: the install section's first pip command is {commands[:1]}, not simplejwt-rs")

    urls = dict(u.split(", ", 1) for u in metadata.get_all("Project-URL") or [])
    for label in ("Homepage", "Source", "Changelog", "Issues"):
        if not urls.get(label, "").startswith(REPOSITORY):
            problems.append(f"{what}: Project-URL {label} is {urls.get(label)!r}, not under {REPOSITORY}")
    if not (metadata.get("Author") or metadata.get("Author-email")):
        problems.append(f"{what}: no author")
    keywords = {k.strip() for k in re.split(r"[,\s]+", metadata.get("Keywords", "")) if k.strip()}
    if not {"django", "jwt", "simplejwt"} <= keywords:
        problems.append(f"{what}: keywords {sorted(keywords)}")

    classifiers = set(metadata.get_all("Classifier") or [])
    missing = REQUIRED_CLASSIFIERS - classifiers
    if missing:
        problems.append(f"{what}: classifiers lack {sorted(missing)}")
    if not any(c.startswith("Development Status :: ") for c in classifiers):
        problems.append(f"{what}: no Development Status classifier")
    declared = {c.rsplit(" :: ", 1)[1] for c in classifiers if re.fullmatch(r"Framework :: Django :: [\d.]+", c)}
    tested = tested_django_versions()
    if declared != tested:
        problems.append(f"{what}: Django classifiers {sorted(declared)} != versions noxfile.py tests {sorted(tested)}")
    if any(c.startswith("License :: ") for c in classifiers):
        problems.append(f"{what}: a License classifier beside License-Expression (PEP 639 forbids both)")

    requires = [r.replace("'", '"') for r in metadata.get_all("Requires-Dist") or []]
    simplejwt = [r for r in requires if r.lower().startswith("djangorestframework-simplejwt")]
    if not simplejwt or not re.search(r"<\s*6\b", simplejwt[0]) or 'extra == "django"' not in simplejwt[0]:
        problems.append(f"{what}: the django extra's simplejwt requirement {simplejwt} has no bound below 6")
    if "redis" not in (metadata.get_all("Provides-Extra") or []) or not any(
        r.startswith("redis") and 'extra == "redis"' in r for r in requires
    ):
        problems.append(f"{what}: no redis extra")
    return problems


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--dist", type=Path, default=ROOT / "dist")
    options = parser.parse_args()
    [wheel] = sorted(options.dist.glob("simplejwt_rs-*.whl"))
    [sdist] = sorted(options.dist.glob("simplejwt_rs-*.tar.gz"))
    with zipfile.ZipFile(wheel) as zf:
        name = next(n for n in zf.namelist() if n.endswith(".dist-info/METADATA"))
        wheel_metadata = Parser().parsestr(zf.read(name).decode())
    with tarfile.open(sdist) as tar:
        member = next(m for m in tar.getmembers() if m.name.count("/") == 1 and m.name.endswith("/PKG-INFO"))
        sdist_metadata = Parser().parsestr(tar.extractfile(member).read().decode())  # type: ignore[union-attr]
    problems = check(wheel_metadata, wheel.name) + check(sdist_metadata, sdist.name)
    for problem in problems:
        print(f"FAIL: {problem}", file=sys.stderr)
    if problems:
        sys.exit(1)
    classifiers = wheel_metadata.get_all("Classifier") or []
    print(f"metadata ok: {wheel.name} and {sdist.name}, {len(classifiers)} classifiers, README as the project page")


if __name__ == "__main__":
    main()
