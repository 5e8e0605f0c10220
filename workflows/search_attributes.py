"""Custom search attributes for operators (Temporal Web UI, `temporal workflow list --query`).

They are stored unencrypted by the Temporal server, so they never hold names or ID numbers —
only codes, stages and dates. `DEFINITIONS` is what `make run` and the test servers register.
"""

from __future__ import annotations

from temporalio.common import SearchAttributeKey, SearchAttributePair, TypedSearchAttributes

STAGE = SearchAttributeKey.for_keyword("Stage")
ASSISTANCE_TYPE = SearchAttributeKey.for_keyword("AssistanceType")
COUNTY_CODE = SearchAttributeKey.for_keyword("CountyCode")
GREEN_CHANNEL = SearchAttributeKey.for_bool("GreenChannel")
DEADLINE = SearchAttributeKey.for_datetime("Deadline")
OVERDUE = SearchAttributeKey.for_bool("Overdue")
# Departments whose systems the case is waiting for (信息核对), e.g. ["tax"]: empty when none.
WAITING_FOR = SearchAttributeKey.for_keyword_list("WaitingFor")

ALL_KEYS = (STAGE, ASSISTANCE_TYPE, COUNTY_CODE, GREEN_CHANNEL, DEADLINE, OVERDUE, WAITING_FOR)

# name → Temporal indexed value type, in the CLI's spelling (`--search-attribute Stage=Keyword`).
DEFINITIONS: dict[str, str] = {
    "Stage": "Keyword",
    "AssistanceType": "Keyword",
    "CountyCode": "Keyword",
    "GreenChannel": "Bool",
    "Deadline": "Datetime",
    "Overdue": "Bool",
    "WaitingFor": "KeywordList",
}


def initial(assistance_type: str, county_code: str, green_channel: bool) -> TypedSearchAttributes:
    """Set when the workflow is started, so the UI finds a case before its first task runs."""
    return TypedSearchAttributes(
        [
            SearchAttributePair(STAGE, "intake"),
            SearchAttributePair(ASSISTANCE_TYPE, assistance_type),
            SearchAttributePair(COUNTY_CODE, county_code),
            SearchAttributePair(GREEN_CHANNEL, green_channel),
            SearchAttributePair(OVERDUE, False),
        ]
    )


# SQL visibility (the production topology's PostgreSQL; MySQL and SQLite alike) keeps custom search
# attributes in a fixed set of generated columns per type, shared by all attributes of a namespace
# (schema postgresql/v12/visibility of server 1.29: Bool01-03 … Keyword01-10 …). Registering one
# more attribute of a full type fails, so tests/unit/test_search_attribute_columns.py checks ours fit.
SQL_VISIBILITY_COLUMNS: dict[str, int] = {
    "Bool": 3,
    "Datetime": 3,
    "Double": 3,
    "Int": 3,
    "Keyword": 10,
    "KeywordList": 3,
    "Text": 3,
}
