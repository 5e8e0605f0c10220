"""Our search attributes fit SQL visibility's fixed columns (issue 12, item 1): on PostgreSQL the
server has 3 Bool, 3 Datetime, 10 Keyword and 3 KeywordList columns per namespace for custom
attributes, and refuses to register one more of a full type."""

from __future__ import annotations

from collections import Counter

from workflows.search_attributes import ALL_KEYS, DEFINITIONS, SQL_VISIBILITY_COLUMNS


def test_every_type_we_use_has_a_column_left_on_sql_visibility() -> None:
    used = Counter(DEFINITIONS.values())
    assert set(used) <= set(SQL_VISIBILITY_COLUMNS), used
    for kind, count in used.items():
        assert count <= SQL_VISIBILITY_COLUMNS[kind], (
            f"{count} {kind} attributes, SQL visibility has {SQL_VISIBILITY_COLUMNS[kind]}"
        )
    # The definitions the servers register are the keys the workflows set.
    assert {key.name for key in ALL_KEYS} == set(DEFINITIONS)
