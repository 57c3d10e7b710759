"""Attachments on disk: the limits, the storage folder, and nothing reachable by a public URL.

Files are kept under HUTOR_SUPPORT_FILES_DIR, a folder no web server serves; the only way to
read one is a view that checks the reader is the ticket's customer or staff (panel and desk).
The stored name is random; the name the sender gave is only a label. The type is decided from
the file's extension against a short list, never from what the sender's browser claimed, and
the file is always served as a download (Content-Disposition: attachment, nosniff).
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from django.conf import settings
from django.core.files.uploadedfile import UploadedFile
from django.http import Http404, HttpResponse
from django.utils.http import content_disposition_header
from django.utils.translation import gettext as _

from hutor.support.exceptions import BadAttachment

if TYPE_CHECKING:
    from hutor.support.models import Attachment

# Accepted extensions and the type each is served as.
TYPES: dict[str, str] = {
    "png": "image/png",
    "jpg": "image/jpeg",
    "jpeg": "image/jpeg",
    "gif": "image/gif",
    "webp": "image/webp",
    "pdf": "application/pdf",
    "txt": "text/plain",
    "log": "text/plain",
    "csv": "text/csv",
    "zip": "application/zip",
    "docx": "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
}


@dataclass(frozen=True)
class Incoming:
    """A file as the actions take it: from a form's upload or from an email's part."""

    name: str
    content: bytes


@dataclass(frozen=True)
class Stored:
    file_name: str
    path: str
    content_type: str
    size: int


def root() -> Path:
    return Path(settings.HUTOR_SUPPORT_FILES_DIR)


def from_uploads(uploads: Iterable[UploadedFile]) -> list[Incoming]:
    """Read uploaded files, refusing a too large one before reading it whole."""
    limit = max_bytes()
    result = []
    for upload in uploads:
        if upload.size is not None and upload.size > limit:
            raise BadAttachment(too_large(upload.name or ""))
        result.append(Incoming(name=upload.name or "file", content=upload.read()))
    return result


def max_bytes() -> int:
    return int(settings.HUTOR_SUPPORT_MAX_FILE_MB) * 1024 * 1024


def too_large(name: str) -> str:
    return _("The file %(name)s is larger than %(mb)s MB.") % {
        "name": name,
        "mb": settings.HUTOR_SUPPORT_MAX_FILE_MB,
    }


def clean_name(name: str) -> str:
    """The sender's file name as a label: no folders, no control characters, not too long."""
    base = os.path.basename(str(name).replace("\\", "/")).strip()
    base = "".join(ch for ch in base if ch.isprintable() and ch not in '"<>')
    return base[-120:] or "file"


def check(files: list[Incoming]) -> None:
    """Refuse the set of files with a clear message, before anything is stored."""
    if len(files) > int(settings.HUTOR_SUPPORT_MAX_FILES):
        raise BadAttachment(
            _("Attach at most %(n)s files to one message.")
            % {"n": settings.HUTOR_SUPPORT_MAX_FILES}
        )
    for item in files:
        name = clean_name(item.name)
        if len(item.content) > max_bytes():
            raise BadAttachment(too_large(name))
        if not item.content:
            raise BadAttachment(_("The file %(name)s is empty.") % {"name": name})
        if extension(name) not in TYPES:
            raise BadAttachment(
                _("Files of this type are not accepted: %(name)s. Accepted: %(types)s.")
                % {"name": name, "types": ", ".join(sorted(TYPES))}
            )


def extension(name: str) -> str:
    return name.rsplit(".", 1)[-1].lower() if "." in name else ""


def store(files: list[Incoming], *, folder: str) -> list[Stored]:
    """Write checked files under a random name in `folder` (the ticket's number)."""
    stored = []
    for item in files:
        name = clean_name(item.name)
        relative = f"{folder}/{uuid.uuid4().hex}.{extension(name)}"
        target = root() / relative
        target.parent.mkdir(parents=True, exist_ok=True)
        with open(target, "xb") as out:
            out.write(item.content)
        stored.append(
            Stored(
                file_name=name,
                path=relative,
                content_type=TYPES[extension(name)],
                size=len(item.content),
            )
        )
    return stored


def discard(stored: list[Stored]) -> None:
    """Remove files whose rows were never written (the transaction failed)."""
    for item in stored:
        (root() / item.path).unlink(missing_ok=True)


def open_file(path: str) -> Path:
    """The file of an attachment row, refusing any path that leaves the storage folder."""
    base = root().resolve()
    target = (base / path).resolve()
    if base not in target.parents:
        raise FileNotFoundError(path)
    return target


def download(attachment: Attachment) -> HttpResponse:
    """The file as a download of its recorded type, for a view that has checked the reader may
    see it; a file gone from disk is a 404. Read whole: files are small (the size limit)."""
    try:
        content = open_file(attachment.path).read_bytes()
    except OSError:
        raise Http404("the file is missing from the support storage") from None
    response = HttpResponse(content, content_type=attachment.content_type)
    response["Content-Disposition"] = content_disposition_header(True, attachment.file_name) or ""
    response["X-Content-Type-Options"] = "nosniff"
    response["Content-Security-Policy"] = "default-src 'none'; sandbox"
    return response
