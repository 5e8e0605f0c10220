"""脱敏: masking of names, ID numbers, phones and bank accounts for publicity and disclosure."""

from __future__ import annotations

from domain.staff import Role


def mask_name(name: str) -> str:
    """张三 → 张*, 张小明 → 张*明, 欧阳小明 → 欧**明."""
    name = name.strip()
    if len(name) <= 1:
        return "*"
    if len(name) == 2:
        return name[0] + "*"
    return name[0] + "*" * (len(name) - 2) + name[-1]


def mask_id_number(id_number: str) -> str:
    """440106199001011234 → 4401**********1234 (first 4 and last 4 kept)."""
    if len(id_number) <= 8:
        return "*" * len(id_number)
    return id_number[:4] + "*" * (len(id_number) - 8) + id_number[-4:]


def mask_phone(phone: str) -> str:
    """13812345678 → 138****5678."""
    if len(phone) < 7:
        return "*" * len(phone)
    return phone[:3] + "*" * (len(phone) - 7) + phone[-4:]


def mask_account(account: str) -> str:
    """Bank account: only the last 4 digits remain."""
    if len(account) <= 4:
        return "*" * len(account)
    return "*" * (len(account) - 4) + account[-4:]


# Who needs an applicant's full ID number and phone for their work (SPEC, "Users"): the window
# registers and contacts the applicant, investigators identify the household at the visit and
# query the departments, the township reviewer sends notices (refusal reasons, objections) and
# the county approver signs the decision. Everyone else — township head, finance (bank accounts
# are a separate record), operators, supervisors — works with the masked forms. Every full read
# goes through the personal-data endpoint, which is audited.
PERSONAL_DATA_ROLES: frozenset[Role] = frozenset(
    {Role.INTAKE_CLERK, Role.INVESTIGATOR, Role.TOWNSHIP_REVIEWER, Role.COUNTY_APPROVER}
)
