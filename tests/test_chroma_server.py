"""The index on a real Chroma server (`chroma run`) instead of embedded Chroma."""

from __future__ import annotations

import socket
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from pathlib import Path

import chromadb
import pytest
from chromadb.config import Settings as ChromaSettings
from conftest import KL, N_DOCS, current_build, make_settings

from agent.config import Settings
from agent.index.build import build_index
from agent.index.search import Searcher
from agent.index.status import index_status
from agent.index.store import IndexLayout, Manifest

pytestmark = pytest.mark.server

HOST = "127.0.0.1"
CHROMA = Path(sys.executable).parent / "chroma"


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind((HOST, 0))
        return int(sock.getsockname()[1])


def _client(port: int) -> chromadb.ClientAPI:
    return chromadb.HttpClient(host=HOST, port=port, settings=ChromaSettings(anonymized_telemetry=False))


@pytest.fixture(scope="module")
def chroma_port(tmp_path_factory: pytest.TempPathFactory) -> Iterator[int]:
    """A `chroma run` server on a free local port for the tests of this module."""
    if not CHROMA.exists():
        pytest.skip(f"{CHROMA} is not installed")
    root = tmp_path_factory.mktemp("chroma-server")
    port = _free_port()
    log = (root / "server.log").open("wb")
    proc = subprocess.Popen(
        [str(CHROMA), "run", "--path", str(root / "db"), "--host", HOST, "--port", str(port)],
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    try:
        deadline = time.monotonic() + 30
        while True:
            if proc.poll() is not None:
                pytest.fail(f"chroma run exited with {proc.returncode}: {(root / 'server.log').read_text()}")
            try:
                _client(port).heartbeat()
                break
            except Exception:
                if time.monotonic() > deadline:
                    pytest.fail("the Chroma server did not answer within 30 s")
                time.sleep(0.2)
        yield port
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=15)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
        log.close()


@pytest.fixture
def server_settings(chroma_port: int, tmp_path: Path) -> Settings:
    # Each test has its own index name, so its collections are told apart on the shared server.
    name = f"t{uuid.uuid4().hex[:8]}"
    return make_settings(tmp_path / "data", chroma_host=HOST, chroma_port=chroma_port, index_name=name)


def _collections(settings: Settings) -> set[str]:
    prefix = f"remiss-{settings.index_name}-"
    return {c.name for c in _client(settings.chroma_port).list_collections() if c.name.startswith(prefix)}


def test_build_and_search_through_the_server(server_settings: Settings) -> None:
    report = build_index(server_settings)
    assert report.changed and report.count == N_DOCS

    build_dir = current_build(server_settings)
    manifest = Manifest.read(build_dir)
    assert manifest.chroma == f"http://{HOST}:{server_settings.chroma_port}"
    assert not (build_dir / "chroma").exists()  # vectors live on the server, not in the build folder
    assert _collections(server_settings) == {manifest.collection}
    collection = _client(server_settings.chroma_port).get_collection(manifest.collection)
    assert collection.count() == N_DOCS

    status = index_status(server_settings)
    assert status.ok and status.to_json()["chroma"] == manifest.chroma

    searcher = Searcher.open(server_settings)
    try:
        exact = searcher.search("2 kap. 2 § KL", k=3)
        assert exact[0].document.id == f"{KL}/2/2" and exact[0].match == "exact"
        free = searcher.search("Får kommunen ta hand om uppgifter som staten ska sköta?", k=5)
        assert len(free) == 5 and any(h.dense_rank is not None for h in free)
        dense = searcher.search("likställighetsprincipen kommunmedlemmar", k=5, mode="dense")
        assert len(dense) == 5 and all(h.match == "dense" and h.dense_rank for h in dense)
    finally:
        searcher.close()

    assert build_index(server_settings).changed is False


def test_forced_rebuilds_keep_only_current_and_previous_collections(server_settings: Settings) -> None:
    first = build_index(server_settings)
    second = build_index(server_settings, force=True)
    assert second.embedded == 0
    names = {b.name: Manifest.read(b).collection for b in IndexLayout(server_settings).complete_builds()}
    assert _collections(server_settings) == set(names.values())
    first_collection = names[first.build_id]

    third = build_index(server_settings, force=True)
    layout = IndexLayout(server_settings)
    assert {b.name for b in layout.complete_builds()} == {second.build_id, third.build_id}
    remaining = _collections(server_settings)
    assert first_collection not in remaining
    assert remaining == {Manifest.read(b).collection for b in layout.complete_builds()}
    assert index_status(server_settings).ok


def test_moving_an_embedded_index_to_the_server_rebuilds_it(
    chroma_port: int, fresh_settings: Settings
) -> None:
    on_server = make_settings(fresh_settings.data_dir, chroma_host=HOST, chroma_port=chroma_port)
    report = build_index(on_server)
    assert report.changed is True and report.embedded == 0
    assert Manifest.read(current_build(on_server)).chroma.startswith("http://")
    searcher = Searcher.open(on_server)
    try:
        assert searcher.search("KL 2:2", k=1)[0].document.id == f"{KL}/2/2"
    finally:
        searcher.close()
    # Clean up the collections this test made on the shared server.
    for name in _collections(on_server):
        _client(chroma_port).delete_collection(name)


def test_an_interrupted_build_leaves_no_collection_behind_on_the_server(
    server_settings: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    build_index(server_settings)

    def crash(*args: object, **kwargs: object) -> None:
        raise RuntimeError("simulated crash")

    with monkeypatch.context() as patch:
        patch.setattr(Manifest, "write", crash)
        with pytest.raises(RuntimeError):
            build_index(server_settings, force=True)
    assert len(_collections(server_settings)) == 2  # the interrupted build's collection exists now

    build_index(server_settings, force=True)  # removes the interrupted build
    layout = IndexLayout(server_settings)
    assert layout.incomplete_builds() == []
    assert _collections(server_settings) == {Manifest.read(b).collection for b in layout.complete_builds()}
