#!/usr/bin/env python3
"""Holds src/ to the layers of src/layers.txt, the table the build links by.

A file of src/<folder>/ may include "<other>/..." only when <other> is its own folder or one its
row names, and a package's headers (<httplib.h>, <uv.h>, ...) only when its row, or the row of a
folder it may use (directly or not), names the package: the libraries link exactly that way.
Every folder of src/ needs a row, and the table under "## Folders" in docs/architecture.md must
list the same rows, uses and packages in the same order.

    check_layers.py --root REPO   exits 1 and names file:line and the edge for each violation
"""
import argparse
import re
import sys
from pathlib import Path

# The headers by which a file shows it uses a package of the table.
PACKAGE_HEADERS = {
    "fmt": ("fmt/",),
    "json": ("nlohmann/",),
    "libuv": ("uv.h",),
    "sqlitecpp": ("SQLiteCpp/",),
    "sqlite3": ("sqlite3.h",),
    "libcurl": ("curl/",),
    "re2": ("re2/",),
    "openssl": ("openssl/",),
    "c-ares": ("ares.h",),
    "sodium": ("sodium.h",),
    "zlib": ("zlib.h",),
    "httplib": ("httplib.h",),
    "cli11": ("CLI/",),
    "date-tz": ("date/",),
}

QUOTED = re.compile(r'^\s*#\s*include\s+"([^"/]+)/[^"]*"')
ANGLED = re.compile(r"^\s*#\s*include\s+<([^>]+)>")
SOURCE_SUFFIXES = {".h", ".hpp", ".cpp", ".cc"}


class Layer:
    def __init__(self, name, uses, packages):
        self.name, self.uses, self.packages = name, uses, packages
        self.reach = set(packages)  # its packages and those of every layer it may use


def read_table(path):
    """The rows of layers.txt, in order; raises ValueError on a malformed table."""
    layers = {}
    for number, line in enumerate(path.read_text().splitlines(), 1):
        if not line.strip() or line.lstrip().startswith("#"):
            continue
        cells = [c.split() for c in line.split("|")]
        if len(cells) != 3 or len(cells[0]) != 1:
            raise ValueError(f"{path}:{number}: not 'folder | may use | packages'")
        layer = Layer(cells[0][0], cells[1], cells[2])
        for dep in layer.uses:
            if dep not in layers:
                raise ValueError(f"{path}:{number}: {layer.name} uses {dep}, not declared above it")
            layer.reach |= layers[dep].reach
        for package in layer.packages:
            if package not in PACKAGE_HEADERS and package != "threads":
                raise ValueError(f"{path}:{number}: unknown package {package}")
        layers[layer.name] = layer
    return layers


def package_of(header):
    for package, prefixes in PACKAGE_HEADERS.items():
        if header.startswith(prefixes):
            return package
    return None


def check_sources(src, layers):
    problems = []
    for folder in sorted(p for p in src.iterdir() if p.is_dir()):
        if folder.name not in layers:
            problems.append(f"{folder}: a folder with no row in layers.txt")
    for path in sorted(src.rglob("*")):
        if path.suffix not in SOURCE_SUFFIXES:
            continue
        relative = path.relative_to(src)
        layer = layers.get(relative.parts[0])
        if layer is None:
            if len(relative.parts) == 1:
                problems.append(f"{path}: a file with no row in layers.txt")
            continue
        allowed = {layer.name, *layer.uses}
        for number, line in enumerate(path.read_text(errors="replace").splitlines(), 1):
            if m := QUOTED.match(line):
                used = m.group(1)
                if used in layers and used not in allowed:
                    problems.append(f"{path}:{number}: {layer.name} -> {used} is not an edge of "
                                    f"the layers ({layer.name} may use: "
                                    f"{', '.join(layer.uses) or 'nothing'})")
            elif m := ANGLED.match(line):
                package = package_of(m.group(1))
                if package and package not in layer.reach:
                    problems.append(f"{path}:{number}: {layer.name} -> package {package} "
                                    f"(<{m.group(1)}>) is not declared for {layer.name} "
                                    f"or a layer it uses")
    return problems


def docs_rows(text):
    """(folder, may use, packages) of each row of the table under "## Folders"."""
    section = text.split("\n## Folders", 1)
    if len(section) < 2:
        return None
    rows = []
    for line in section[1].split("\n## ", 1)[0].splitlines():
        cells = [c.strip() for c in line.strip().strip("|").split("|")]
        if len(cells) == 4 and cells[0].startswith("`"):
            rows.append((cells[0], cells[2], cells[3]))
    return rows


def expected_row(layer):
    folder = layer.name if "." in layer.name else layer.name + "/"
    return (f"`{folder}`", ", ".join(layer.uses) or "—", ", ".join(layer.packages) or "—")


def check_docs(path, layers):
    rows = docs_rows(path.read_text())
    if rows is None:
        return [f"{path}: no '## Folders' section"]
    expected = [expected_row(layer) for layer in layers.values()]
    problems = []
    for got, want in zip(rows, expected):
        if got != want:
            problems.append(f"{path}: folder table: row {got[0]} (may use: {got[1]}; packages: "
                            f"{got[2]}) should be {want[0]} (may use: {want[1]}; packages: "
                            f"{want[2]}), as in layers.txt")
    for want in expected[len(rows):]:
        problems.append(f"{path}: folder table: missing row {want[0]} (may use: {want[1]}; "
                        f"packages: {want[2]})")
    for got in rows[len(expected):]:
        problems.append(f"{path}: folder table: row {got[0]} is not in layers.txt")
    return problems


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--root", type=Path, required=True, help="the repository")
    args = parser.parse_args()
    try:
        layers = read_table(args.root / "src/layers.txt")
    except ValueError as e:
        print(e)
        return 1
    problems = check_sources(args.root / "src", layers)
    problems += check_docs(args.root / "docs/architecture.md", layers)
    for p in problems:
        print(p)
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
