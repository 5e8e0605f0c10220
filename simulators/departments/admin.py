"""Admin API of the simulator, for tests and demos: sample the population, plant households with
exactly the records a test needs, look at a person's records, and set faults per department.
It has no authentication: the simulator is a development tool bound to the loopback interface."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, HTTPException, Query
from pydantic import BaseModel, Field, field_validator

from domain.departments import Department
from domain.identity import InvalidIdNumber, normalize_id_number
from simulators.departments.faults import FaultBook, FaultRequest, FaultSpec
from simulators.departments.household import Household, Member, Profile
from simulators.departments.population import Population
from simulators.departments.records import (
    Business,
    Holding,
    HousingFundAccount,
    Income,
    PersonRecords,
    Property,
    Settlement,
    Vehicle,
)


class MemberView(BaseModel):
    id_number: str
    name: str
    relation: str
    gender: str  # 男 / 女
    birth_date: str


class HouseholdView(BaseModel):
    household_id: str
    county_code: str
    community_code: str
    profile: Profile
    members: list[MemberView]

    @classmethod
    def of(cls, household: Household) -> HouseholdView:
        return cls(
            household_id=household.household_id,
            county_code=household.county_code,
            community_code=household.community_code,
            profile=household.profile,
            members=[
                MemberView(
                    id_number=m.id_number,
                    name=m.name,
                    relation=m.relation,
                    gender="男" if m.male else "女",
                    birth_date=m.birth_date.isoformat(),
                )
                for m in household.members
            ],
        )


class HouseholdList(BaseModel):
    total: int  # matching households (before limit/offset)
    households: list[HouseholdView]


class PlantMember(BaseModel):
    """A person and everything the departments should hold about them (amounts in fen, dates
    absolute: the simulator answers with exactly these)."""

    id_number: str
    name: str = "测试居民"
    relation: str = "self"
    incomes: list[Income] = Field(default_factory=list)
    settlements: list[Settlement] = Field(default_factory=list)
    properties: list[Property] = Field(default_factory=list)
    vehicles: list[Vehicle] = Field(default_factory=list)
    businesses: list[Business] = Field(default_factory=list)
    housing_fund: list[HousingFundAccount] = Field(default_factory=list)
    holdings: list[Holding] = Field(default_factory=list)

    @field_validator("id_number")
    @classmethod
    def _valid_id(cls, value: str) -> str:
        try:
            return normalize_id_number(value)
        except InvalidIdNumber as exc:
            raise ValueError(str(exc)) from None


class PlantHousehold(BaseModel):
    county_code: str = Field(default="440105", pattern=r"^[0-9]{6}$")
    community_code: str = Field(default="440105001001", pattern=r"^[0-9]{12}$")
    members: list[PlantMember] = Field(min_length=1, max_length=20)


def admin_router(population: Population, faults: FaultBook) -> APIRouter:
    router = APIRouter(prefix="/admin", tags=["模拟器管理"])

    @router.get("/households")
    async def list_households(
        limit: Annotated[int, Query(ge=1, le=1000)] = 20,
        offset: Annotated[int, Query(ge=0)] = 0,
        profile: Profile | None = None,
        county_code: str | None = None,
    ) -> HouseholdList:
        matching = list(population.households(profile=profile, county_code=county_code))
        page = matching[offset : offset + limit]
        return HouseholdList(total=len(matching), households=[HouseholdView.of(h) for h in page])

    @router.post("/households", status_code=201)
    async def plant_household(body: PlantHousehold) -> HouseholdView:
        members = [
            (
                Member(m.id_number, m.name, m.relation),
                PersonRecords(
                    list(m.incomes),
                    list(m.settlements),
                    list(m.properties),
                    list(m.vehicles),
                    list(m.businesses),
                    list(m.housing_fund),
                    list(m.holdings),
                ),
            )
            for m in body.members
        ]
        return HouseholdView.of(population.plant(body.county_code, body.community_code, members))

    @router.get("/people/{id_number}")
    async def person_records(id_number: str) -> PersonRecords:
        records = population.records_of(id_number)
        if records is None:
            raise HTTPException(404, "查无此人")
        return records

    @router.get("/faults")
    async def get_faults() -> dict[str, FaultSpec]:
        return faults.snapshot()

    @router.post("/faults")
    async def set_faults(body: FaultRequest) -> dict[str, FaultSpec]:
        faults.apply(body)
        return faults.snapshot()

    @router.delete("/faults")
    async def clear_faults(department: Department | None = None) -> dict[str, FaultSpec]:
        faults.clear(department)
        return faults.snapshot()

    return router
