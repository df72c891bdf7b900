"""Fixtures: a real blockhubd on 127.0.0.1 ephemeral ports, always stopped.

BLOCKHUBD (the hub binary) is set by scripts/test.sh; the blockhub module comes from PYTHONPATH
(build/python) or the installed package.
"""
import os
import selectors
import signal
import subprocess
import time

import pytest

import blockhub


class Hub:
    def __init__(self, *args):
        binary = os.environ.get("BLOCKHUBD")
        if not binary:
            pytest.fail("set BLOCKHUBD to the blockhubd binary (scripts/test.sh does)")
        env = {k: v for k, v in os.environ.items() if not k.startswith("DYN_REGISTRY_")}
        self.proc = subprocess.Popen(
            [binary, "--query-addr", "tcp://127.0.0.1:*", "--register-addr", "tcp://127.0.0.1:*",
             "--metrics-addr", "off", "--log-level", "warn", *args],
            stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, env=env, text=True)
        self.query_addr = self.register_addr = self.events_addr = None
        # Poll the stdout pipe for the ready line, bounded (no sleeps).
        sel = selectors.DefaultSelector()
        sel.register(self.proc.stdout, selectors.EVENT_READ)
        deadline = time.monotonic() + 20
        try:
            while time.monotonic() < deadline:
                if not sel.select(timeout=deadline - time.monotonic()):
                    continue
                line = self.proc.stdout.readline()
                if not line:
                    break
                if line.startswith("ready "):
                    fields = dict(f.split("=", 1) for f in line.split()[1:])
                    self.query_addr, self.register_addr = fields["query"], fields["register"]
                    self.events_addr = fields.get("events")
                    return
        finally:
            sel.close()
        self.stop()
        pytest.fail("blockhubd did not print its ready line")

    def client(self, **kw):
        kw.setdefault("timeout_ms", 5000)
        return blockhub.Client(query_addr=self.query_addr, register_addr=self.register_addr, **kw)

    def stop(self):
        if self.proc.poll() is None:
            try:
                self.proc.send_signal(signal.SIGCONT)  # in case a test stopped it
            except ProcessLookupError:
                pass
            self.proc.kill()
        self.proc.wait(timeout=10)
        self.proc.stdout.close()


@pytest.fixture
def start_hub(request):
    """start_hub(*blockhubd_args) -> Hub; every hub is stopped at teardown."""
    hubs = []

    def start(*args):
        hub = Hub(*args)
        hubs.append(hub)
        return hub

    def stop_all():
        for hub in hubs:
            hub.stop()

    request.addfinalizer(stop_all)
    return start


@pytest.fixture
def u64_hub(start_hub):
    return start_hub("--key-format", "u64")


@pytest.fixture
def bytes_hub(start_hub):
    return start_hub()


@pytest.fixture(autouse=True)
def _clean_env(monkeypatch):
    for k in list(os.environ):
        if k.startswith("DYN_REGISTRY_"):
            monkeypatch.delenv(k)
