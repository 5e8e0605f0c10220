"""Files the applicant uploads (photos and PDFs of materials): what they are is read from their
content, never from their name or the browser's Content-Type — an executable renamed `.jpg` is
refused. Size-limited. Nothing here stores anything: the portal service seals and saves only after
every file and field has passed."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass

MAX_BYTES = 5 * 1024 * 1024
MAX_FILES = 10
# The whole application form (api/body_limit.py refuses a larger one before anything reads it):
# a few photos at most size; more than that is sent in two goes or brought to the window.
PORTAL_FORM_LIMIT_BYTES = 24 * 1024 * 1024
# Magic bytes → (content type, label). JPEG, PNG and PDF are what a phone camera or a scan makes.
_SIGNATURES: tuple[tuple[bytes, str], ...] = (
    (b"\xff\xd8\xff", "image/jpeg"),
    (b"\x89PNG\r\n\x1a\n", "image/png"),
    (b"%PDF-", "application/pdf"),
)
ALLOWED_LABEL = "照片（JPG、PNG）或 PDF 文件"


@dataclass(frozen=True)
class CheckedFile:
    material: str
    content_type: str
    content: bytes
    sha256: str


def content_type_of(content: bytes) -> str | None:
    for magic, kind in _SIGNATURES:
        if content.startswith(magic):
            return kind
    return None


def check_file(material: str, content: bytes) -> CheckedFile | str:
    """The checked file, or the Chinese message to show beside its field."""
    if len(content) > MAX_BYTES:
        return f"文件太大：每个文件不能超过 {MAX_BYTES // (1024 * 1024)} MB，请压缩或分页后再传"
    if not content:
        return "文件是空的，请重新选择"
    kind = content_type_of(content)
    if kind is None:
        return f"只能上传{ALLOWED_LABEL}；这个文件不是照片或 PDF（与文件名无关，按内容识别）"
    return CheckedFile(material, kind, content, hashlib.sha256(content).hexdigest())
