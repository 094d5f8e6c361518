"""cmake/check_layers.py on small trees: a clean one passes, each kind of violation fails and
names the file, the line and the edge."""
import subprocess
import sys
import tempfile
import unittest
from pathlib import Path

CHECKER = Path(__file__).resolve().parents[2] / "cmake" / "check_layers.py"

TABLE = """\
# folder | may use | packages
core     |         | fmt
db       | core    | sqlitecpp
http     | core    | httplib
main.cpp | core db |
"""

DOCS = """\
# Architecture
## Folders
| folder | owns | may use | packages |
|---|---|---|---|
| `core/` | vocabulary | — | fmt |
| `db/` | storage | core | sqlitecpp |
| `http/` | the server | core | httplib |
| `main.cpp` | the commands | core, db | — |

## Next
"""

SOURCES = {
    "core/result.h": "#pragma once\n#include <fmt/format.h>\n",
    "db/writer.h": '#pragma once\n#include <SQLiteCpp/SQLiteCpp.h>\n\n#include "core/result.h"\n',
    "db/writer.cpp": '#include "db/writer.h"\n#include <fmt/format.h>\n',
    "http/server.h": '#pragma once\n#include <httplib.h>\n#include "core/result.h"\n',
    "main.cpp": '#include "db/writer.h"\n',
}


class CheckLayersTest(unittest.TestCase):
    def setUp(self):
        self.tmp = tempfile.TemporaryDirectory()
        self.root = Path(self.tmp.name)
        self.write("src/layers.txt", TABLE)
        self.write("docs/architecture.md", DOCS)
        for name, text in SOURCES.items():
            self.write("src/" + name, text)

    def tearDown(self):
        self.tmp.cleanup()

    def write(self, name, text):
        path = self.root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)

    def check(self):
        run = subprocess.run([sys.executable, CHECKER, "--root", self.root],
                             capture_output=True, text=True)
        return run.returncode, run.stdout

    def test_a_tree_that_keeps_its_layers_passes(self):
        self.assertEqual(self.check(), (0, ""))

    def test_an_include_against_the_layers_fails_naming_file_line_and_edge(self):
        self.write("src/db/audit.cpp", '#include "db/writer.h"\n#include "http/server.h"\n')
        code, out = self.check()
        self.assertEqual(code, 1)
        self.assertIn("src/db/audit.cpp:2: db -> http is not an edge of the layers", out)

    def test_an_include_upwards_fails(self):
        self.write("src/core/clock.h", '#pragma once\n#include "db/writer.h"\n')
        code, out = self.check()
        self.assertEqual(code, 1)
        self.assertIn("src/core/clock.h:2: core -> db", out)

    def test_a_package_of_a_layer_not_used_fails(self):
        self.write("src/db/web.cpp", "#include <httplib.h>\n")
        code, out = self.check()
        self.assertEqual(code, 1)
        self.assertIn("src/db/web.cpp:1: db -> package httplib", out)

    def test_a_package_of_a_layer_used_passes(self):
        self.write("src/main.cpp", "#include <SQLiteCpp/SQLiteCpp.h>\n#include <fmt/format.h>\n")
        self.assertEqual(self.check(), (0, ""))

    def test_a_folder_without_a_row_fails(self):
        self.write("src/extra/thing.cpp", '#include "core/result.h"\n')
        code, out = self.check()
        self.assertEqual(code, 1)
        self.assertIn("extra: a folder with no row in layers.txt", out)

    def test_a_use_of_a_layer_declared_below_fails(self):
        self.write("src/layers.txt", TABLE.replace("core     |         |", "core     | db      |"))
        code, out = self.check()
        self.assertEqual(code, 1)
        self.assertIn("core uses db, not declared above it", out)

    def test_a_docs_table_that_differs_fails(self):
        self.write("docs/architecture.md", DOCS.replace("| storage | core |", "| storage | — |"))
        code, out = self.check()
        self.assertEqual(code, 1)
        self.assertIn("folder table: row `db/` (may use: —; packages: sqlitecpp) should be `db/` "
                      "(may use: core; packages: sqlitecpp)", out)

    def test_a_docs_table_missing_a_row_fails(self):
        self.write("docs/architecture.md", DOCS.replace("| `http/` | the server | core | httplib |\n", ""))
        code, out = self.check()
        self.assertEqual(code, 1)
        self.assertIn("folder table: row `main.cpp`", out)


if __name__ == "__main__":
    unittest.main()
