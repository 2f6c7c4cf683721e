"""Loading from something that is not a regular file is refused at once (issue 10, item 9).

``open()`` on a FIFO blocks until a writer appears, and /dev/zero never ends: before the
fix, ``nerve.load("pipe")`` hung forever. Each test here that could hang has a helper thread
that, should the reader block in ``open``, connects as a writer and lets it go on, so that a
regression fails the test instead of hanging the suite.
"""

from __future__ import annotations

import errno
import os
import socket
import stat
import threading
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pytest

import nerve
from nerve.io import load_file, load_tree, save_file
from nerve.io.safetensors import SafetensorsError, open_regular

needs_fifo = pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="no named pipes on this OS")


@pytest.fixture
def fifo(tmp_path: Path) -> Iterator[Path]:
    """A named pipe, with a guard that unblocks a reader stuck opening it."""
    path = tmp_path / "model.safetensors"
    os.mkfifo(path)
    done = threading.Event()

    def release_blocked_reader() -> None:
        while not done.wait(0.05):
            try:  # succeeds only while some reader has the pipe open (or is opening it)
                fd = os.open(path, os.O_WRONLY | os.O_NONBLOCK)
            except OSError as exc:
                if exc.errno != errno.ENXIO:
                    return
                continue
            os.close(fd)  # the reader sees end of file: a wrong message, not a hang

    guard = threading.Thread(target=release_blocked_reader, daemon=True)
    guard.start()
    yield path
    done.set()
    guard.join()


@needs_fifo
@pytest.mark.parametrize("reader", [nerve.load, load_file, load_tree, open_regular])
def test_a_fifo_is_refused_without_blocking(fifo: Path, reader) -> None:
    with pytest.raises(SafetensorsError, match=r"it is a FIFO \(named pipe\), not a regular file"):
        reader(fifo)


@needs_fifo
def test_a_symlink_to_a_fifo_is_refused(fifo: Path, tmp_path: Path) -> None:
    link = tmp_path / "link.safetensors"
    link.symlink_to(fifo)
    with pytest.raises(SafetensorsError, match="FIFO"):
        nerve.load(link)


@pytest.mark.skipif(not os.path.exists("/dev/zero"), reason="no /dev/zero on this OS")
def test_a_device_is_refused() -> None:
    assert stat.S_ISCHR(os.stat("/dev/zero").st_mode)
    with pytest.raises(SafetensorsError, match="'/dev/zero': it is a character device"):
        nerve.load("/dev/zero")


@pytest.mark.skipif(not hasattr(socket, "AF_UNIX"), reason="no Unix sockets on this OS")
def test_a_socket_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "s"
    if len(str(path)) > 100:  # sun_path is about 108 bytes
        pytest.skip("temporary path too long for a Unix socket")
    server = socket.socket(socket.AF_UNIX)
    try:
        server.bind(str(path))
        with pytest.raises(SafetensorsError, match="it is a socket"):
            nerve.load(path)
    finally:
        server.close()


def test_a_directory_is_an_is_a_directory_error(tmp_path: Path) -> None:
    with pytest.raises(IsADirectoryError, match="Is a directory"):
        nerve.load(tmp_path)
    with pytest.raises(IsADirectoryError):
        load_file(tmp_path)


def test_missing_files_still_say_so(tmp_path: Path) -> None:
    with pytest.raises(FileNotFoundError, match="no such file"):
        nerve.load(tmp_path / "absent.safetensors")
    with pytest.raises(FileNotFoundError):
        load_file(tmp_path / "absent.safetensors")


def test_regular_files_and_links_to_them_still_load(tmp_path: Path) -> None:
    path = tmp_path / "w.safetensors"
    save_file({"w": np.arange(3, dtype=np.float32)}, path)
    link = tmp_path / "link.safetensors"
    link.symlink_to(path)
    for source in (path, link, str(link)):
        np.testing.assert_array_equal(load_file(source)[0]["w"], [0, 1, 2])
    assert nerve.load(link)["w"].tolist() == [0.0, 1.0, 2.0]
    with open_regular(path) as file:  # blocking again once opened: reads go on normally
        assert os.get_blocking(file.fileno())
        assert len(file.read()) == os.path.getsize(path)
