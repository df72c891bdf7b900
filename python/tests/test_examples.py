"""The examples in examples/python run against a real hub."""
import os
import pathlib
import subprocess
import sys

EXAMPLES = pathlib.Path(__file__).resolve().parents[2] / "examples" / "python"


def run(example, hub):
    env = dict(os.environ, DYN_REGISTRY_CLIENT_QUERY_ADDR=hub.query_addr,
               DYN_REGISTRY_CLIENT_REGISTER_ADDR=hub.register_addr)
    return subprocess.run([sys.executable, str(EXAMPLES / example)], env=env, capture_output=True,
                          text=True, timeout=60)


def test_worker_loop(bytes_hub):
    first = run("worker_loop.py", bytes_hub)
    assert first.returncode == 0, first.stderr
    assert first.stdout.startswith("granted 4, already stored 0, leased elsewhere 0, registered 4")
    assert first.stdout.count(" -> s3://bucket/") == 4
    second = run("worker_loop.py", bytes_hub)
    assert second.stdout.startswith("granted 0, already stored 4")


def test_async_worker(u64_hub):
    r = run("async_worker.py", u64_hub)
    assert r.returncode == 0, r.stderr
    assert r.stdout.strip() == "uploaded and registered 10000 of 10000 blocks"
