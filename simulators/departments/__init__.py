"""Department data simulator (税务、人社、医保、不动产、车辆、市场监管、公积金、金融).

`create_app(population, faults)` builds the HTTP service; `python -m simulators.departments` runs it.
"""

from simulators.departments.app import create_app, dev_api_key
from simulators.departments.faults import FaultBook, FaultRequest, FaultSpec
from simulators.departments.household import Household, Member, Profile
from simulators.departments.population import Population

__all__ = [
    "FaultBook",
    "FaultRequest",
    "FaultSpec",
    "Household",
    "Member",
    "Population",
    "Profile",
    "create_app",
    "dev_api_key",
]
