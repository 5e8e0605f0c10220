"""What an uploaded evidence file is, judged by its content (magic bytes), never by its name or
the browser's Content-Type: an executable renamed `.jpg` is not a photo."""

from __future__ import annotations

from dataclasses import dataclass

MAX_EVIDENCE_BYTES = 5 * 1024 * 1024  # a phone photo or a scanned page; larger is refused

# (magic bytes at offset 0, the content type we record, the label a user reads)
_KINDS: tuple[tuple[bytes, str, str], ...] = (
    (b"\xff\xd8\xff", "image/jpeg", "JPEG 图片"),
    (b"\x89PNG\r\n\x1a\n", "image/png", "PNG 图片"),
    (b"%PDF-", "application/pdf", "PDF 文件"),
)
ACCEPTED_LABEL = "、".join(label for _, _, label in _KINDS)


@dataclass(frozen=True)
class EvidenceProblem:
    code: str
    message: str


def content_type_of(data: bytes) -> str | None:
    """The accepted type the bytes are, or None (anything else, an empty file included)."""
    for magic, content_type, _ in _KINDS:
        if data.startswith(magic):
            return content_type
    return None


def check_evidence(data: bytes) -> tuple[str | None, EvidenceProblem | None]:
    """(content type, None) for an acceptable file, else (None, the problem in Chinese)."""
    if len(data) > MAX_EVIDENCE_BYTES:
        limit = MAX_EVIDENCE_BYTES // (1024 * 1024)
        return None, EvidenceProblem("file_too_large", f"文件过大：证据文件不能超过 {limit} MB")
    kind = content_type_of(data)
    if kind is None:
        return None, EvidenceProblem(
            "file_type_not_allowed", f"文件类型不符：只接受 {ACCEPTED_LABEL}（按文件内容识别，而非文件名）"
        )
    return kind, None
