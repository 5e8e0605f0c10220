"""Demo data for the embedded stack and the tests: regions and staff accounts.

Idempotent: running it twice leaves the same rows.
"""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from domain.enums import RegionLevel, UrbanRural
from domain.staff import Role
from infra.models import Region, Staff
from infra.passwords import hash_password

# Every demo account's password. Demo data only: a real deployment creates its own accounts.
DEMO_PASSWORD = "demo-2026"

# (code, name, level, parent). Two counties so that jurisdiction boundaries can be exercised.
DEMO_REGIONS: tuple[tuple[str, str, RegionLevel, str | None], ...] = (
    ("44", "广东省", RegionLevel.PROVINCE, None),  # the provincial operator's jurisdiction
    ("440105", "海珠区", RegionLevel.COUNTY, None),
    ("440105001", "赤岗街道", RegionLevel.TOWNSHIP, "440105"),
    ("440105001001", "赤岗社区", RegionLevel.COMMUNITY, "440105001"),
    ("440105001002", "珠江帝景社区", RegionLevel.COMMUNITY, "440105001"),
    ("440105002", "新港街道", RegionLevel.TOWNSHIP, "440105"),
    ("440105002001", "中大社区", RegionLevel.COMMUNITY, "440105002"),
    ("440106", "天河区", RegionLevel.COUNTY, None),
    ("440106001", "五山街道", RegionLevel.TOWNSHIP, "440106"),
    ("440106001001", "华农社区", RegionLevel.COMMUNITY, "440106001"),
)

# Rural communities (农村村委会) of the demo townships, so that the statistics' 城市/农村 split is
# real. Kept apart from DEMO_REGIONS: the simulated population lives in the communities above, and
# adding places to draw from would change every seeded household.
DEMO_VILLAGES: tuple[tuple[str, str, RegionLevel, str | None], ...] = (
    ("440105001003", "赤岗村村委会", RegionLevel.COMMUNITY, "440105001"),
    ("440105002002", "仑头村村委会", RegionLevel.COMMUNITY, "440105002"),
    ("440106001002", "岑村村委会", RegionLevel.COMMUNITY, "440106001"),
)


def urban_rural_of(code: str, level: RegionLevel) -> str | None:
    """Demo communities: the villages are rural, every other community urban."""
    if level is not RegionLevel.COMMUNITY:
        return None
    villages = {c for c, *_ in DEMO_VILLAGES}
    return (UrbanRural.RURAL if code in villages else UrbanRural.URBAN).value


async def seed_regions(sessions: async_sessionmaker[AsyncSession]) -> None:
    async with sessions.begin() as session:
        for code, name, level, parent in DEMO_REGIONS + DEMO_VILLAGES:
            await session.merge(
                Region(
                    code=code, name=name, level=level.value, parent_code=parent,
                    urban_rural=urban_rural_of(code, level),
                )
            )  # fmt: skip


# (username, display name, role, region). One of every role, in two counties, so that roles and
# jurisdiction boundaries can be exercised: township staff of 赤岗街道, county staff of 海珠区, and
# a second township and county (五山街道, 天河区) whose staff must see nothing of 海珠区.
DEMO_STAFF: tuple[tuple[str, str, Role, str], ...] = (
    ("clerk_chigang", "陈晓敏", Role.INTAKE_CLERK, "440105001"),
    ("inv_chigang_1", "李建华", Role.INVESTIGATOR, "440105001"),
    ("inv_chigang_2", "黄丽娟", Role.INVESTIGATOR, "440105001"),
    ("reviewer_chigang", "王志强", Role.TOWNSHIP_REVIEWER, "440105001"),
    ("head_chigang", "刘国栋", Role.TOWNSHIP_HEAD, "440105001"),
    ("inv_haizhu", "周永康", Role.INVESTIGATOR, "440105"),
    ("approver_haizhu", "吴海燕", Role.COUNTY_APPROVER, "440105"),
    ("finance_haizhu", "郑佩玲", Role.FINANCE_OFFICER, "440105"),
    ("supervisor_haizhu", "孙立新", Role.SUPERVISOR, "440105"),
    ("operator_haizhu", "何俊杰", Role.OPERATOR, "440105"),
    ("operator_province", "邓志远", Role.PROVINCIAL_OPERATOR, "44"),  # national calendar, global codec view
    ("clerk_wushan", "林小红", Role.INTAKE_CLERK, "440106001"),
    ("reviewer_wushan", "梁伟明", Role.TOWNSHIP_REVIEWER, "440106001"),
    ("approver_tianhe", "罗淑芬", Role.COUNTY_APPROVER, "440106"),
)


async def seed_staff(sessions: async_sessionmaker[AsyncSession]) -> None:
    """Adds missing accounts and resets role, region and name of existing ones. An existing
    password is kept: hashing is deliberately slow, and a changed demo password stays changed."""
    usernames = [row[0] for row in DEMO_STAFF]
    async with sessions() as session:
        known = set(await session.scalars(select(Staff.username).where(Staff.username.in_(usernames))))
    # Hashed outside the write transaction: scrypt takes tens of milliseconds per account.
    hashes = {u: hash_password(DEMO_PASSWORD) for u in usernames if u not in known}
    async with sessions.begin() as session:
        existing = {
            s.username: s for s in await session.scalars(select(Staff).where(Staff.username.in_(usernames)))
        }
        for username, name, role, region in DEMO_STAFF:
            staff = existing.get(username)
            if staff is None:
                password_hash = hashes.get(username) or hash_password(DEMO_PASSWORD)  # raced: rare
                staff = Staff(username=username, password_hash=password_hash, active=True)
                session.add(staff)
            staff.display_name, staff.role, staff.region_code = name, role.value, region


async def seed_demo(sessions: async_sessionmaker[AsyncSession]) -> None:
    await seed_regions(sessions)  # first: staff rows reference their region
    await seed_staff(sessions)
