"""Copy the template schema into a new tenant's schema, in a time that does not grow
with the number of tenants (hand-written: see why below; bench/provision.py measures
it against django-tenants' clone_schema and plain migrations).

Why: django-tenants' ``clone_schema`` (a 4,600-line PL/pgSQL function) finds what to
copy with queries over ``pg_indexes``, ``pg_sequences`` and ``information_schema``
filtered by schema and table *name*. Every tenant has tables, indexes and sequences
of the same names, so those queries read every tenant's catalog rows; and once the
names fall out of the planner's most-common-values list, the index-renaming query
(``pg_indexes old, pg_indexes new``) becomes a nested loop over all tenants' indexes
calling ``pg_get_indexdef`` for each pair (31 s per tenant seen at 160 tenants).
It also renames Django's unique_together constraints to PostgreSQL's default names,
so its clones differ from the template (bench/README.md).

How: one scan of ``pg_class`` for the template's relations (it has no index on the
schema), then only index lookups by OID, then one script of DDL; at 200 tenants the
reads take some 40 ms. Tables are created with ``LIKE ... INCLUDING ALL EXCLUDING
INDEXES`` (columns, defaults, identity, generated columns, CHECK and NOT NULL
constraints, comments, storage), rows are copied, identity
sequences continue where the template's are, and primary keys, unique and exclusion
constraints, indexes and foreign keys are re-created from ``pg_get_constraintdef`` /
``pg_get_indexdef`` under the template's original names, which later migrations
refer to. GRANTs are not copied (all tables belong to the one database role, as with
``clone_schema(..., 'NOACL')``). Everything runs in one transaction.

Only what Django migrations create is handled. A template holding anything else
(views, functions, triggers, sequences not owned by an identity column, column
defaults that call ``nextval``, partitioned or foreign tables, types of its own,
row-level security) raises ``Unsupported``, and the caller falls back to
``clone_schema``. ``schema_fingerprint`` describes a schema with the schema name
left out, so a copy can be compared with its template.
"""

from __future__ import annotations

from typing import Any

from django.db import connection, transaction

# The SQL here names schemas, tables, columns and sequences read from the catalog,
# each quoted by _ident (text by _literal); it carries no value from a request.
# Statements built that way carry `# nosec B608` for bandit's "SQL built from strings".


class Unsupported(Exception):
    """The template holds objects this copy does not reproduce."""


def _ident(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def _literal(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"


def _reads(cursor: Any, source: str) -> dict[str, Any]:
    """Everything the copy needs to know about `source`, read with one scan of
    pg_class (it has no index on the schema) and index lookups by OID after that."""
    cursor.execute("SELECT oid FROM pg_namespace WHERE nspname = %s", [source])
    row = cursor.fetchone()
    if row is None:
        raise Unsupported(f'there is no schema "{source}"')
    (namespace,) = row
    problems: list[str] = []

    cursor.execute(
        "SELECT oid, relname, relkind, relrowsecurity FROM pg_class WHERE relnamespace = %s",
        [namespace],
    )
    relations = cursor.fetchall()
    problems += [
        f"relation {name} of kind {kind}"
        for _oid, name, kind, _rls in relations
        if kind not in ("r", "i", "S")
    ]
    problems += [f"row-level security on {name}" for _oid, name, _kind, rls in relations if rls]
    tables = sorted((name, oid) for oid, name, kind, _rls in relations if kind == "r")
    table_oids = [oid for _name, oid in tables]
    sequence_oids = [oid for oid, _name, kind, _rls in relations if kind == "S"]

    # Functions, types, collations...: whatever else lives in the schema depends on it.
    # (The row and array types of tables depend on their table instead.)
    cursor.execute(
        "SELECT classid::regclass::text, objid FROM pg_depend "
        "WHERE refclassid = 'pg_namespace'::regclass AND refobjid = %s "
        "AND classid <> 'pg_class'::regclass",
        [namespace],
    )
    problems += [f"{catalog} object {oid}" for catalog, oid in cursor.fetchall()]

    cursor.execute(
        """
        SELECT s.relname, c.relname, a.attname
          FROM pg_depend d
          JOIN pg_class s ON s.oid = d.objid
          JOIN pg_class c ON c.oid = d.refobjid
          JOIN pg_attribute a ON a.attrelid = d.refobjid AND a.attnum = d.refobjsubid
         WHERE d.classid = 'pg_class'::regclass AND d.objid = ANY(%s)
           AND d.refclassid = 'pg_class'::regclass AND d.deptype = 'i'
        """,
        [sequence_oids],
    )
    owners = {sequence: (table, column) for sequence, table, column in cursor.fetchall()}
    problems += [
        f"sequence {name} not owned by an identity column"
        for oid, name, kind, _rls in relations
        if kind == "S" and name not in owners
    ]

    cursor.execute(
        """
        SELECT c.relname, a.attname, pg_get_expr(d.adbin, d.adrelid) LIKE '%%nextval(%%'
          FROM pg_attribute a
          JOIN pg_class c ON c.oid = a.attrelid
          LEFT JOIN pg_attrdef d ON d.adrelid = a.attrelid AND d.adnum = a.attnum
         WHERE a.attrelid = ANY(%s) AND a.attnum > 0 AND NOT a.attisdropped
           AND a.attgenerated = ''
         ORDER BY c.relname, a.attnum
        """,
        [table_oids],
    )
    columns: dict[str, list[str]] = {}
    for table, column, uses_sequence in cursor.fetchall():
        columns.setdefault(table, []).append(column)
        if uses_sequence:
            problems.append(f"default of {table}.{column} uses a sequence")

    cursor.execute(
        "SELECT tgname FROM pg_trigger WHERE tgrelid = ANY(%s) AND NOT tgisinternal",
        [table_oids],
    )
    problems += [f"trigger {name}" for (name,) in cursor.fetchall()]
    if problems:
        raise Unsupported("; ".join(problems))

    # Definitions are read with only the template on the search path, so that they
    # name its own tables without a schema (and anything elsewhere, such as the public
    # schema, with one); they are replayed with only the new schema on it.
    cursor.execute(f"SET LOCAL search_path = {_ident(source)}")
    cursor.execute(
        """
        SELECT c.relname, k.conname, pg_get_constraintdef(k.oid, true)
          FROM pg_constraint k JOIN pg_class c ON c.oid = k.conrelid
         WHERE k.conrelid = ANY(%s) AND k.contype IN ('p', 'u', 'x', 'f')
         ORDER BY k.contype = 'f', c.relname, k.conname
        """,
        [table_oids],
    )
    constraints = cursor.fetchall()
    cursor.execute(
        """
        SELECT pg_get_indexdef(i.indexrelid, 0, true)
          FROM pg_index i JOIN pg_class c ON c.oid = i.indexrelid
         WHERE i.indrelid = ANY(%s)
           AND NOT EXISTS (SELECT 1 FROM pg_constraint k
                            WHERE k.conindid = i.indexrelid AND k.conrelid = i.indrelid
                              AND k.contype IN ('p', 'u', 'x'))
         ORDER BY c.relname
        """,
        [table_oids],
    )
    indexes = [definition for (definition,) in cursor.fetchall()]

    sequences: list[tuple[str, str, int, bool]] = []
    if owners:
        names = sorted(owners)
        cursor.execute(
            " UNION ALL ".join(
                f"(SELECT last_value, is_called FROM {_ident(source)}.{_ident(name)})"  # nosec B608
                for name in names
            )
        )
        sequences = [
            (*owners[name], last_value, is_called)
            for name, (last_value, is_called) in zip(names, cursor.fetchall(), strict=True)
        ]
    return {
        "tables": [name for name, _oid in tables],
        "columns": columns,
        "sequences": sequences,
        "constraints": constraints,
        "indexes": indexes,
    }


def schema_copy(*, source: str, target: str) -> None:
    """Create schema `target` as a copy of `source`: structure, rows and names."""
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("SELECT current_setting('search_path')")
        (search_path,) = cursor.fetchone()
        reads = _reads(cursor, source)
        tables, columns = reads["tables"], reads["columns"]
        sequences, constraints, indexes = (
            reads["sequences"],
            reads["constraints"],
            reads["indexes"],
        )

        # One script, one round trip: the statements are many and each is quick.
        src, dst = _ident(source), _ident(target)
        script = [f"CREATE SCHEMA {dst}", f"SET LOCAL search_path = {dst}"]
        for table in tables:
            name = _ident(table)
            script.append(
                f"CREATE TABLE {dst}.{name} (LIKE {src}.{name} INCLUDING ALL EXCLUDING INDEXES)"
            )
            column_list = ", ".join(_ident(column) for column in columns.get(table, []))
            if column_list:
                script.append(
                    f"INSERT INTO {dst}.{name} ({column_list}) OVERRIDING SYSTEM VALUE "
                    f"SELECT {column_list} FROM {src}.{name}"  # nosec B608
                )
        for table, column, last_value, is_called in sequences:
            # The new identity sequence continues where the template's stands.
            target_table = _literal(f"{dst}.{_ident(table)}")
            script.append(
                f"SELECT setval(pg_get_serial_sequence({target_table}, {_literal(column)}), "
                f"{int(last_value)}, {'true' if is_called else 'false'})"
            )
        for table, name, definition in constraints:
            script.append(
                f"ALTER TABLE {dst}.{_ident(table)} ADD CONSTRAINT {_ident(name)} {definition}"
            )
        script += indexes
        cursor.execute(";\n".join(script))
        # SET LOCAL would last until the end of an enclosing transaction, if any;
        # django-tenants expects the search path it set itself.
        cursor.execute("SELECT set_config('search_path', %s, true)", [search_path])


def schema_fingerprint(schema: str) -> dict[str, Any]:
    """Tables, columns, constraints, indexes, sequences and row counts of `schema`,
    with its name replaced by <schema>, for comparing a copy with its template."""
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("SELECT oid FROM pg_namespace WHERE nspname = %s", [schema])
        (oid,) = cursor.fetchone()
        cursor.execute("SELECT current_setting('search_path')")
        (search_path,) = cursor.fetchone()
        # Definitions mention the schema only where it is not on the search path.
        cursor.execute("SET LOCAL search_path = pg_catalog")

        def rows(sql: str) -> list[tuple[Any, ...]]:
            cursor.execute(sql, {"oid": oid})
            prefix = _ident(schema) + "."
            plain = schema + "."
            return sorted(
                tuple(
                    value.replace(prefix, "<schema>.").replace(plain, "<schema>.")
                    if isinstance(value, str)
                    else value
                    for value in row
                )
                for row in cursor.fetchall()
            )

        fingerprint: dict[str, Any] = {
            "relations": rows("SELECT relname, relkind FROM pg_class WHERE relnamespace = %(oid)s"),
            "columns": rows(
                """
                SELECT c.relname, a.attname, format_type(a.atttypid, a.atttypmod),
                       a.attnotnull, a.attidentity, a.attgenerated,
                       pg_get_expr(d.adbin, d.adrelid)
                  FROM pg_attribute a JOIN pg_class c ON c.oid = a.attrelid
                  LEFT JOIN pg_attrdef d ON d.adrelid = a.attrelid AND d.adnum = a.attnum
                 WHERE c.relnamespace = %(oid)s AND c.relkind = 'r' AND a.attnum > 0
                   AND NOT a.attisdropped
                """
            ),
            "constraints": rows(
                """
                SELECT c.relname, k.conname, k.contype, pg_get_constraintdef(k.oid),
                       k.condeferrable, k.condeferred
                  FROM pg_constraint k JOIN pg_class c ON c.oid = k.conrelid
                 WHERE k.connamespace = %(oid)s
                """
            ),
            "indexes": rows(
                """
                SELECT c.relname, pg_get_indexdef(i.indexrelid)
                  FROM pg_index i JOIN pg_class c ON c.oid = i.indexrelid
                 WHERE c.relnamespace = %(oid)s
                """
            ),
        }
        cursor.execute(
            "SELECT relname, relkind FROM pg_class WHERE relnamespace = %s "
            "AND relkind IN ('r', 'S') ORDER BY relname",
            [oid],
        )
        contents = []
        for name, kind in cursor.fetchall():
            relation = f"{_ident(schema)}.{_ident(name)}"
            cursor.execute(
                f"SELECT last_value::text || ' ' || is_called::text FROM {relation}"  # nosec B608
                if kind == "S"
                else f"SELECT count(*)::text || ' rows' FROM {relation}"  # nosec B608
            )
            contents.append((name, cursor.fetchone()[0]))
        fingerprint["contents"] = contents
        cursor.execute("SELECT set_config('search_path', %s, true)", [search_path])
        return fingerprint


def fingerprint_differences(left: dict[str, Any], right: dict[str, Any]) -> list[str]:
    differences = []
    for key in left:
        only_left = sorted(set(left[key]) - set(right[key]))
        only_right = sorted(set(right[key]) - set(left[key]))
        differences += [f"{key}: only in the first: {item}" for item in only_left]
        differences += [f"{key}: only in the second: {item}" for item in only_right]
    return differences
