"""The session key (issue 11): web workers starting at once all sign with one key."""

from __future__ import annotations

import multiprocessing

import app as app_module


def _key(barrier, out) -> None:
    barrier.wait(timeout=30)
    out.put(app_module._secret_key())


def test_workers_starting_together_share_one_generated_key(tmp_path, monkeypatch):
    monkeypatch.delenv("MINGCRM_SECRET_KEY", raising=False)
    monkeypatch.setattr(app_module, "INSTANCE_DIR", tmp_path / "instance")
    ctx = multiprocessing.get_context("fork")
    barrier, out = ctx.Barrier(12), ctx.Queue()
    workers = [ctx.Process(target=_key, args=(barrier, out)) for _ in range(12)]
    for w in workers:
        w.start()
    keys = {out.get(timeout=30) for _ in workers}
    for w in workers:
        w.join(timeout=30)
    assert len(keys) == 1
    assert keys == {(tmp_path / "instance" / "secret_key").read_text()}
    assert (tmp_path / "instance" / "secret_key").stat().st_mode & 0o777 == 0o600
