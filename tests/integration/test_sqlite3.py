"""Debian's sqlite3 shell under Kernite: a database on a host-mounted directory and in tmpfs."""

from conftest import run_sandboxed

SQLITE = "/usr/bin/sqlite3"
ROWS = 10_000


def write_workload(directory):
    """SQL that creates a table, inserts ROWS rows in one transaction, and queries them."""
    lines = ["CREATE TABLE items (id INTEGER PRIMARY KEY, name TEXT NOT NULL, "
             "category TEXT NOT NULL, price REAL NOT NULL);",
             "BEGIN;"]
    categories = ["tools", "books", "garden", "kitchen", "toys"]
    for i in range(1, ROWS + 1):
        lines.append(f"INSERT INTO items VALUES ({i}, 'item-{i:05d}', "
                     f"'{categories[i % 5]}', {(i * 37) % 1000 / 10:.1f});")
    lines.append("COMMIT;")
    lines.append("CREATE INDEX items_by_category ON items(category);")
    (directory / "load.sql").write_text("\n".join(lines) + "\n")
    (directory / "query.sql").write_text("""
.mode list
SELECT count(*), sum(id), round(sum(price), 1) FROM items;
SELECT category, count(*), round(avg(price), 2), min(name), max(name)
  FROM items GROUP BY category ORDER BY category;
SELECT name, price FROM items WHERE price > 99.5 ORDER BY price DESC, id LIMIT 5;
UPDATE items SET price = price * 2 WHERE category = 'books';
DELETE FROM items WHERE id % 10 = 0;
SELECT count(*), round(sum(price), 1) FROM items;
PRAGMA integrity_check;
""")


def test_create_insert_10000_rows_and_query_on_host_mount(compare):
    def setup(work):
        write_workload(work)

    native, _ = compare(SQLITE, ["-batch", "items.db", ".read load.sql", ".read query.sql"],
                        setup=setup, files=True)
    assert native.stdout.startswith(f"{ROWS}|{ROWS * (ROWS + 1) // 2}|")
    assert native.stdout.rstrip().endswith("ok")


def test_database_persists_between_runs_on_host_mount(compare):
    def setup(work):
        write_workload(work)
        made = run_sandboxed([SQLITE, "-batch", work / "items.db", f".read {work / 'load.sql'}"])
        assert made.returncode == 0, made.describe("native setup")

    compare(SQLITE, ["-batch", "items.db", ".read query.sql"], setup=setup, files=True)


def test_create_insert_10000_rows_and_query_in_tmpfs(sandbox, tmp_path):
    sql = tmp_path / "sql"
    sql.mkdir()
    write_workload(sql)
    args = ["-batch", "items.db", f".read {sql / 'load.sql'}", f".read {sql / 'query.sql'}"]
    native, kern = sandbox.compare(SQLITE, args, mounts=[sql, {"type": "tmpfs", "path": "/ramdisk"}],
                                   start_dir="/ramdisk")
    assert native.stdout.startswith(f"{ROWS}|")
    assert sorted(p.name for p in sandbox.work.iterdir()) == [], \
        "the Kernite run wrote to the host instead of tmpfs"
