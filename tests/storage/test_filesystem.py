"""The default storage's durable writes (caducee/storage/filesystem.py)."""

from __future__ import annotations

import stat
from pathlib import Path

from django.core.files.base import ContentFile

from caducee.storage.config import PRIVATE_FILES
from caducee.storage.filesystem import DurableFileSystemStorage


def test_saves_complete_files_and_leaves_no_temporary(tmp_path: Path) -> None:
    storage = DurableFileSystemStorage(location=tmp_path, **PRIVATE_FILES)
    name = storage.save("coordination/1/2/doc.pdf", ContentFile(b"%PDF contenu"))
    assert name == "coordination/1/2/doc.pdf"
    assert (tmp_path / name).read_bytes() == b"%PDF contenu"
    assert [p.name for p in (tmp_path / "coordination/1/2").iterdir()] == ["doc.pdf"]
    assert stat.S_IMODE((tmp_path / name).stat().st_mode) == 0o600  # owner only (PRIVATE_FILES)
    assert stat.S_IMODE((tmp_path / "coordination/1/2").stat().st_mode) == 0o700


def test_never_overwrites_an_existing_file(tmp_path: Path) -> None:
    storage = DurableFileSystemStorage(location=tmp_path)
    first = storage.save("exports/liste.csv", ContentFile(b"un"))
    second = storage.save("exports/liste.csv", ContentFile(b"deux"))
    assert first != second and second.startswith("exports/liste_")
    assert storage.open(first).read() == b"un" and storage.open(second).read() == b"deux"
    assert sorted(p.name for p in (tmp_path / "exports").iterdir()) == sorted(
        [Path(first).name, Path(second).name]
    )


def test_replaces_when_told_to(tmp_path: Path) -> None:
    storage = DurableFileSystemStorage(location=tmp_path, allow_overwrite=True)
    storage.save("a.txt", ContentFile(b"un"))
    assert storage.save("a.txt", ContentFile(b"deux")) == "a.txt"
    assert (tmp_path / "a.txt").read_bytes() == b"deux"
    assert [p.name for p in tmp_path.iterdir()] == ["a.txt"]


def test_text_content_is_written_as_utf8(tmp_path: Path) -> None:
    storage = DurableFileSystemStorage(location=tmp_path)
    name = storage.save("note.txt", ContentFile("données"))
    assert (tmp_path / name).read_bytes() == "données".encode()
