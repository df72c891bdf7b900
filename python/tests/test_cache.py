"""The local cache from Python: cached answers, and invalidation through the hub's events."""
import time

import pytest

import blockhub


def wait_for(cond, limit=10.0):
    deadline = time.monotonic() + limit
    while time.monotonic() < deadline:
        if cond():
            return True
        time.sleep(0.001)  # polling a counter, not synchronising on time
    return cond()


def test_cache_follows_events(start_hub):
    hub = start_hub("--key-format", "bytes", "--events-addr", "tcp://127.0.0.1:*")
    assert hub.events_addr
    with hub.client() as writer, hub.client(local_cache=100, events_addr=hub.events_addr) as reader:
        assert wait_for(lambda: reader.counters["events_live"])
        writer.register_sync([(b"k", b"v", b"")])
        assert reader.can_offload([b"k"]).already_stored == [b"k"]
        sent = reader.counters["requests_sent"]
        assert reader.can_offload([b"k"]).already_stored == [b"k"]
        assert reader.counters["requests_sent"] == sent  # answered by the cache
        assert reader.counters["cache_hits"] >= 1
        assert writer.remove([b"k"]) == 1
        assert wait_for(lambda: reader.counters["cache_invalidations"] >= 1)
        assert reader.can_offload([b"k"]).granted == [b"k"]
        assert reader.counters["requests_sent"] == sent + 1


def test_cache_options_are_checked(start_hub):
    hub = start_hub()
    with pytest.raises(blockhub.InvalidArgumentError):
        hub.client(events_addr="tcp://a:1,tcp://b:2")
