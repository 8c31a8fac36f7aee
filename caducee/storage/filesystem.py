"""The default storage: files under MEDIA_ROOT (CADUCEE_HOME/files), written durably.

Django's FileSystemStorage writes the final file in place and never syncs it: a crash
just after a document's row is committed could leave the row pointing at a short or
empty file. Here the content goes to a hidden temporary file in the same folder, is
fsync'd, then linked under its name (never over an existing file) and the folder is
fsync'd, so once `save` returns the file is complete and survives a crash of the
machine; a reader never sees a partial file.
"""

from __future__ import annotations

import contextlib
import os
import tempfile
from typing import Any

from django.core.files.storage import FileSystemStorage
from django.utils._os import safe_makedirs


def fsync_dir(path: str) -> None:
    fd = os.open(path, os.O_RDONLY | os.O_DIRECTORY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


class DurableFileSystemStorage(FileSystemStorage):
    def _save(self, name: str, content: Any) -> str:
        full_path = self.path(name)
        directory = os.path.dirname(full_path)
        if self.directory_permissions_mode is not None:
            safe_makedirs(directory, self.directory_permissions_mode, exist_ok=True)
        else:
            os.makedirs(directory, exist_ok=True)
        fd, temporary = tempfile.mkstemp(dir=directory, prefix=".", suffix=".part")
        try:
            with os.fdopen(fd, "wb") as out:
                for chunk in content.chunks():
                    out.write(chunk if isinstance(chunk, bytes) else chunk.encode())
                out.flush()
                os.fsync(out.fileno())
            if self.file_permissions_mode is not None:
                os.chmod(temporary, self.file_permissions_mode)
            while True:
                try:
                    if getattr(self, "_allow_overwrite", False):  # Django 5.1+
                        os.replace(temporary, full_path)
                    else:
                        os.link(temporary, full_path)
                    break
                except FileExistsError:
                    name = self.get_available_name(name)
                    full_path = self.path(name)
        finally:
            with contextlib.suppress(FileNotFoundError):
                os.unlink(temporary)
        fsync_dir(directory)
        same_group = getattr(self, "_ensure_location_group_id", None)  # as Django's
        if same_group is not None:
            same_group(full_path)
        return os.path.relpath(full_path, self.location).replace("\\", "/")
