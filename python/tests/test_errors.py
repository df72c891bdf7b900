"""Errors: the right class and code."""
import time

import numpy as np
import pytest

import blockhub


def test_bad_key_for_the_format(u64_hub):
    with u64_hub.client() as c:
        with pytest.raises(blockhub.HubError) as e:
            c.can_offload([b"abc"])
        assert e.value.code == "bad_key" and e.value.hub_code == 5
        assert isinstance(e.value, blockhub.Error)
    with u64_hub.client(protocol=1) as c:
        with pytest.raises(blockhub.HubError):
            c.match([b"abc"])


def test_bad_python_keys(u64_hub):
    with u64_hub.client() as c:
        for keys in (b"one-bytes-object", [b"ok", "str"], [-1], [2**64], [1.5],
                     np.zeros((2, 2), dtype=np.float32), 42):
            with pytest.raises(blockhub.InvalidArgumentError) as e:
                c.can_offload(keys)
            assert e.value.code == "invalid_argument"
        with pytest.raises(blockhub.InvalidArgumentError):
            c.register_sync([(1,)])
        with pytest.raises(blockhub.InvalidArgumentError):
            c.register_sync([(1, "not bytes")])


def test_hub_down_times_out_within_the_request_timeout(start_hub):
    hub = start_hub()
    hub.stop()
    with hub.client(timeout_ms=300) as c:
        t0 = time.monotonic()
        with pytest.raises(blockhub.TimeoutError) as e:
            c.can_offload([b"k"])
        elapsed = time.monotonic() - t0
        assert e.value.code == "timeout"
        assert isinstance(e.value, TimeoutError)  # also the builtin
        assert 0.25 <= elapsed < 2.0
        # A window of requests fails as a whole with the first failure, after one request
        # timeout (the failed first window sends no more batches), not one timeout per batch.
        t0 = time.monotonic()
        with pytest.raises(blockhub.TimeoutError):
            c.can_offload_many([[b"a"], [b"b"], [b"c"], [b"d"], [b"e"]], inflight=2)
        assert time.monotonic() - t0 < 1.5


def test_bad_environment_value_names_the_variable(monkeypatch):
    monkeypatch.setenv("DYN_REGISTRY_CLIENT_REQUEST_TIMEOUT_MS", "soon")
    for make in (blockhub.Client.from_env, blockhub.Client):
        with pytest.raises(blockhub.InvalidArgumentError) as e:
            make()
        assert "DYN_REGISTRY_CLIENT_REQUEST_TIMEOUT_MS" in str(e.value)
    monkeypatch.setenv("DYN_REGISTRY_CLIENT_REQUEST_TIMEOUT_MS", "100")
    monkeypatch.setenv("DYN_REGISTRY_CLIENT_PROTOCOL", "3")
    with pytest.raises(blockhub.InvalidArgumentError) as e:
        blockhub.Client.from_env()
    assert "DYN_REGISTRY_CLIENT_PROTOCOL" in str(e.value)


def test_environment_is_the_default_and_keywords_win(bytes_hub, monkeypatch):
    monkeypatch.setenv("DYN_REGISTRY_CLIENT_QUERY_ADDR", bytes_hub.query_addr)
    monkeypatch.setenv("DYN_REGISTRY_CLIENT_REGISTER_ADDR", bytes_hub.register_addr)
    monkeypatch.setenv("DYN_REGISTRY_CLIENT_ID", "77")
    with blockhub.Client.from_env() as c:
        assert c.client_id == 77 and c.can_offload([b"e"]).granted == [b"e"]
    with blockhub.Client(client_id=78) as c:
        assert c.client_id == 78
    with pytest.raises(blockhub.InvalidArgumentError):
        blockhub.Client(timeout_ms=0)
    with pytest.raises(blockhub.InvalidArgumentError):
        blockhub.Client(no_such_option=1)
    with pytest.raises(TypeError):
        blockhub.Client(bytes_hub.query_addr)  # keyword-only


def test_closed_client(bytes_hub):
    c = bytes_hub.client()
    c.close()
    c.close()  # idempotent
    with pytest.raises(blockhub.Error):
        c.can_offload([b"k"])
