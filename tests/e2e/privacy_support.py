"""For the payload-privacy test: a Temporal dev server of its own on an on-disk SQLite file, a
household whose personal data cannot occur anywhere by accident, and scanners for raw bytes."""

from __future__ import annotations

import base64
import json
import random
from collections.abc import AsyncIterator, Iterable, Iterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from google.protobuf.descriptor import FieldDescriptor
from google.protobuf.message import Message
from temporalio.api.common.v1 import Payload
from temporalio.api.history.v1 import HistoryEvent
from temporalio.api.workflowservice.v1 import DescribeWorkflowExecutionResponse
from temporalio.client import Client
from temporalio.converter import PayloadCodec
from temporalio.testing import WorkflowEnvironment

from infra.settings import load_settings
from infra.temporal_client import make_data_converter
from infra.temporal_tuning import dev_server_args
from tests.conftest import temporal_cli
from tests.e2e.support import DIBAO_MATERIALS
from tests.factories import id_number
from tests.raw_files import raw_bytes
from workflows import search_attributes as sa

# Uncommon characters, drawn at random per run: a compound surname followed by two of them (names), or
# four in a row (the free-text token), occur in no fixture, message or label of the product.
_RARE = "璇瑾琰瑜琛璟玥珂瑶翊翎曦旻昀晗暄煜炜烨焱熠灏澈泓湛漪涟沅汐潇芃苡荞蓁蘅萱茜菡薇禾穗"
_SURNAMES = ("欧阳", "司马", "上官", "诸葛", "东方", "皇甫", "尉迟", "公孙", "慕容", "令狐")


def _rare(rng: random.Random, n: int) -> str:
    return "".join(rng.choice(_RARE) for _ in range(n))


def _luhn_complete(body: str) -> str:
    total = 0
    for i, ch in enumerate(reversed(body)):
        d = int(ch)
        if i % 2 == 0:  # doubled: the check digit will sit to the right of this one
            d = d * 2 - 9 if d > 4 else d * 2
        total += d
    return body + str((10 - total % 10) % 10)


@dataclass(frozen=True)
class Household:
    """The case's people and what was written about them; every value unique to this run."""

    number: str
    names: tuple[str, str, str]  # applicant, spouse, child
    id_numbers: tuple[str, str, str]
    phone: str
    account: str  # the payee's bank account (19 digits, Luhn)
    attendees: tuple[str, ...]  # residents at the democratic review: personal data too
    token: str  # in every free text below, so that any of them is found by one search
    illness: str
    objection: str
    change: str

    @classmethod
    def generate(cls, number: str) -> Household:
        rng = random.Random()
        names = tuple(rng.choice(_SURNAMES) + _rare(rng, 2) for _ in range(3))
        births = (f"19{rng.randint(60, 89)}0{rng.randint(1, 9)}1{rng.randint(0, 9)}", "19860214", "20130921")
        ids = tuple(id_number(birth=b, seq=rng.randint(0, 999)) for b in births)
        token = _rare(rng, 4)
        return cls(
            number=number, names=names, id_numbers=ids,  # type: ignore[arg-type]
            phone=f"139{rng.randint(0, 99_999_999):08d}",
            account=_luhn_complete("622202" + "".join(rng.choice("0123456789") for _ in range(12))),
            attendees=tuple(rng.choice(_SURNAMES) + _rare(rng, 2) for _ in range(2)),
            token=token,
            illness=f"申请人患{token}综合征，每周透析三次，自付医疗费用较高",
            objection=f"邻居反映{names[0]}在{token}批发市场经营摊位，有固定收入",
            change=f"{names[1]}自本月起在{token}超市做收银员，月收入约九百元",
        )  # fmt: skip

    def application(self) -> dict[str, Any]:
        incomes = (30_000, 15_000, 0)
        relations = ("self", "spouse", "child")
        return {
            "application_number": self.number, "assistance_type": "dibao", "channel": "walk_in",
            "region": {"county_code": "440105", "township_code": "440105001", "community_code": "440105001001"},
            "applicant": {"name": self.names[0], "id_number": self.id_numbers[0], "phone": self.phone},
            "members": [
                {"name": n, "id_number": i, "relation": r, "monthly_income_fen": f}
                for n, i, r, f in zip(self.names, self.id_numbers, relations, incomes, strict=True)
            ],
            "materials": DIBAO_MATERIALS, "reason": f"家庭困难，{self.illness}",
        }  # fmt: skip

    def secrets(self) -> dict[str, str]:
        """What must never be readable in Temporal: label → value."""
        found: dict[str, str] = {"phone": self.phone, "account": self.account, "token": self.token}
        for i, (name, number) in enumerate(zip(self.names, self.id_numbers, strict=True)):
            found[f"name {i}"] = name
            found[f"id {i}"] = number
            found[f"id {i} without check digit"] = number[:17]
        for i, name in enumerate(self.attendees):
            found[f"attendee {i}"] = name
        found |= {"illness": self.illness, "objection": self.objection, "change": self.change}
        return found


def encodings(value: str) -> list[bytes]:
    """The byte forms a string takes when stored: UTF-8, JSON's \\u escapes, UTF-16."""
    forms = [value.encode(), value.encode("utf-16-le"), value.encode("utf-16-be")]
    escaped = json.dumps(value)[1:-1].encode()
    if escaped not in forms:
        forms += [escaped, escaped.upper().replace(b"\\U", b"\\u")]
    return forms


def leaks(blob: bytes, secrets: dict[str, str]) -> list[str]:
    """The labels of the secrets that occur in `blob` in any of their byte forms."""
    return [label for label, value in secrets.items() if any(form in blob for form in encodings(value))]


# -- the server ------------------------------------------------------------------------------------
@asynccontextmanager
async def disk_dev_server(db_file: Path) -> AsyncIterator[WorkflowEnvironment]:
    """`temporal server start-dev` as the product's `make run` starts it (infra/devstack.py): an
    on-disk SQLite file in WAL mode, the search attributes registered, the product's converter."""
    env = await WorkflowEnvironment.start_local(
        dev_server_existing_path=temporal_cli(),
        dev_server_database_filename=str(db_file),
        dev_server_extra_args=[
            "--sqlite-pragma",
            "journal_mode=wal",
            "--sqlite-pragma",
            "synchronous=normal",
            *dev_server_args(),
        ],
        search_attributes=sa.ALL_KEYS,
        data_converter=make_data_converter(load_settings()),
        dev_server_log_level="error",
    )
    try:
        yield env
    finally:
        await env.shutdown()


def database_bytes(directory: Path) -> dict[str, bytes]:
    """Every file the server keeps there (the database, its -wal and -shm), by name."""
    return {p.name: raw_bytes(p) for p in sorted(directory.iterdir()) if p.is_file()}


# -- histories -------------------------------------------------------------------------------------
@dataclass
class Run:
    workflow_id: str
    run_id: str
    raw_info: bytes  # the visibility record as listed (search attributes, memo)
    description: bytes  # describe(): pending activities with their last failure, children, …
    events: list[HistoryEvent]


async def every_run(client: Client) -> list[Run]:
    """Every execution the server knows, each with its full history, raw as the server returns it."""
    runs = []
    async for listed in client.list_workflows():
        handle = client.get_workflow_handle(listed.id, run_id=listed.run_id)
        history = await handle.fetch_history()
        description = await handle.describe()
        runs.append(
            Run(
                listed.id, listed.run_id, listed.raw_info.SerializeToString(),
                description.raw_description.SerializeToString(), list(history.events),
            )
        )  # fmt: skip
    return runs


async def listed(client: Client, wanted: set[str]) -> bool:
    """Whether the server's visibility lists all these workflow ids (it is eventually consistent)."""
    return wanted <= {wf.id async for wf in client.list_workflows()}


async def settled(client: Client, workflow_id: str) -> bool:
    """True when the workflow has nothing in flight: no activity running, no workflow task pending,
    so it has taken in everything it was told and is waiting (on people or a timer)."""
    raw = (await client.get_workflow_handle(workflow_id).describe()).raw_description
    return not raw.pending_activities and not raw.HasField("pending_workflow_task")


async def failed_attempt(client: Client, workflow_id: str) -> DescribeWorkflowExecutionResponse | None:
    """The workflow's description as the server keeps it, once an activity is being retried after a
    failure (the failure is stored with it)."""
    raw = (await client.get_workflow_handle(workflow_id).describe()).raw_description
    return raw if any(a.HasField("last_failure") for a in raw.pending_activities) else None


def payloads_in(message: Message) -> Iterator[Payload]:
    """Every Payload anywhere inside a message (inputs, results, headers, failures' attributes)."""
    if isinstance(message, Payload):
        yield message
        return
    for field, value in message.ListFields():
        if field.type != FieldDescriptor.TYPE_MESSAGE:
            continue
        items: Iterable[Any]
        if field.message_type is not None and field.message_type.GetOptions().map_entry:
            items = value.values()
        elif field.is_repeated:
            items = value
        else:
            items = [value]
        for item in items:
            if isinstance(item, Message):
                yield from payloads_in(item)


async def decrypted_text(codec: PayloadCodec, events: Iterable[Message]) -> str:
    """All payloads of the events, decrypted: what an operator sees through the codec."""
    texts = []
    for event in events:
        for payload in payloads_in(event):
            [plain] = await codec.decode([payload])
            texts.append(plain.data.decode("utf-8", "replace"))
    return "\n".join(texts)


def codec_request(payload: Payload) -> dict[str, Any]:
    """Temporal's remote-codec protocol, as the Web UI sends it."""
    metadata = {k: base64.b64encode(v).decode() for k, v in payload.metadata.items()}
    return {"payloads": [{"metadata": metadata, "data": base64.b64encode(payload.data).decode()}]}
