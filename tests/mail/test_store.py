from __future__ import annotations

from pathlib import Path

from caducee.mail import store


def test_it_writes_durably_into_cur_and_reads_back(mail_home: Path) -> None:
    path = store.write("42", b"Subject: x\r\n\r\nbody\r\n")
    assert path.startswith("42/cur/")
    assert store.read(path) == b"Subject: x\r\n\r\nbody\r\n"
    assert list((mail_home / "mail" / "42" / "tmp").iterdir()) == []
    assert (mail_home / "mail" / "42" / "new").is_dir()


def test_it_gives_unique_names(mail_home: Path) -> None:
    paths = {store.write("1", b"x") for _ in range(50)}
    assert len(paths) == 50


def test_it_refuses_paths_outside_the_store(mail_home: Path) -> None:
    import pytest

    with pytest.raises(ValueError, match="hors du stockage"):
        store.read("../secret_key")


def test_it_deletes_quietly(mail_home: Path) -> None:
    path = store.write("1", b"x")
    store.delete(path)
    store.delete(path)
    assert not store.full_path(path).exists()
