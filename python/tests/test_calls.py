"""Every call of both protocol versions against a real blockhubd."""
import time

import numpy as np
import pytest

import blockhub
from blockhub import OffloadStatus as O, RegisterStatus as R, RenewStatus as N


def test_version():
    assert isinstance(blockhub.__version__, str) and blockhub.__version__.count(".") == 2


@pytest.mark.parametrize("protocol", [1, 2])
def test_common_calls(bytes_hub, protocol):
    keys = [b"block-01", b"block-02", b"block-03"]
    with bytes_hub.client(protocol=protocol, client_id=10 + protocol) as c:
        assert c.protocol == protocol
        r = c.can_offload(keys)
        assert r.granted == keys and r.already_stored == [] and r.leased == []
        assert r.statuses == [O.GRANTED] * 3 and len(r) == 3
        assert r.lease_ttl_ms == (30000 if protocol == 2 else 0)
        c.register([(keys[0], b"loc-0", b"m0"), (keys[1], b"loc-1")])
        c.flush()
        # Fire-and-forget: poll (bounded by a deadline) until the hub has applied it.
        deadline = time.monotonic() + 10
        while len(c.match(keys)) < 2 and time.monotonic() < deadline:
            pass
        entries = c.match(keys)
        assert entries == [(keys[0], b"loc-0", b"m0"), (keys[1], b"loc-1", b"")]
        assert entries[0].key is keys[0] and entries[1].value == b"loc-1"
        assert c.match([keys[0], keys[2], keys[1]], prefix=True) == [(keys[0], b"loc-0", b"m0")]
        r = c.can_offload(keys)
        assert r.already_stored == keys[:2] and r.granted == [keys[2]]
        assert r.granted_indices == [2] and r.already_stored_indices == [0, 1]
        assert c.touch(keys) == 2
        assert c.remove([keys[0]]) == 1
        assert c.match(keys) == [(keys[1], b"loc-1", b"")]
        assert c.counters["requests_sent"] > 0


def test_v2_calls(bytes_hub):
    with bytes_hub.client(client_id="worker-a") as c:
        info = c.hello(name="pytest", metadata=b"x")
        assert info.key_format == "bytes" and info.lease_ttl_ms == 30000 and info.hub_version
        assert c.can_offload([b"k1", b"k2", b"k3"]).granted == [b"k1", b"k2", b"k3"]
        assert c.renew([b"k1", b"zz"]) == [N.RENEWED, N.NOT_HELD]
        assert c.release([b"k2"]) == 1
        assert c.register_sync([(b"k1", b"v1", b"m"), (b"k1", b"v1", None)]) == [
            R.STORED, R.ALREADY_STORED]
        assert c.renew([b"k1"]) == [N.ALREADY_STORED]
        stats = c.stats()
        assert stats["leases_granted"] == 3 and isinstance(stats, dict)


def test_v1_rejects_v2_calls(bytes_hub):
    with bytes_hub.client(protocol=1) as c:
        for call in (lambda: c.register_sync([(b"k", b"v")]), lambda: c.renew([b"k"]),
                     lambda: c.release([b"k"]), c.hello, c.stats):
            with pytest.raises(blockhub.InvalidArgumentError) as e:
                call()
            assert e.value.code == "invalid_argument"


def test_leases_across_two_clients(bytes_hub):
    with bytes_hub.client(client_id=1) as a, bytes_hub.client(client_id=2) as b:
        assert a.can_offload([b"x", b"y"]).granted == [b"x", b"y"]
        r = b.can_offload([b"x", b"y", b"z"])
        assert r.leased == [b"x", b"y"] and r.granted == [b"z"]
        assert b.renew([b"x"]) == [N.NOT_HELD]
        assert a.release([b"x"]) == 1
        assert b.can_offload([b"x"]).granted == [b"x"]
        assert a.register_sync([(b"y", b"loc")]) == [R.STORED]
        assert b.can_offload([b"y"]).already_stored == [b"y"]
    # A client re-created with the same id keeps its leases.
    with bytes_hub.client(client_id=2) as b2:
        assert b2.can_offload([b"z"]).granted == [b"z"]


def test_numpy_u64_batch(u64_hub):
    keys = np.arange(1, 2001, dtype=np.uint64) * np.uint64(0x9E3779B97F4A7C15 % 2**63)
    with u64_hub.client() as c:
        stored = keys[::2]
        assert c.register_sync([(int(k), int(k).to_bytes(8, "little")) for k in stored]) == [
            R.STORED] * len(stored)
        r = c.can_offload(keys)
        assert isinstance(r.granted, np.ndarray) and r.granted.dtype == np.uint64
        np.testing.assert_array_equal(r.already_stored, keys[::2])
        np.testing.assert_array_equal(r.granted, keys[1::2])
        np.testing.assert_array_equal(r.statuses, np.tile(np.array([1, 0], np.uint8), 1000))
        np.testing.assert_array_equal(r.granted_indices, np.arange(1, 2000, 2))
        assert len(r.leased) == 0
        hits = c.match(keys[:10])
        assert [e.key for e in hits] == [int(k) for k in keys[:10:2]]
        assert all(e.value == e.key.to_bytes(8, "little") for e in hits)
        assert c.match(keys[:10], prefix=True) == hits[:1]
        # A strided view and a signed array work too; ints in a list as well.
        assert c.touch(keys[::2][:5]) == 5
        assert c.remove(np.array([int(keys[0])], dtype=np.int64)) == 1
        assert c.match([int(keys[0]), int(keys[2])]) == [(int(keys[2]), hits[1].value, b"")]
        np.testing.assert_array_equal(c.renew(keys[1:4:2]), np.array([0, 0], np.uint8))


def test_fixed_width_array_keys(start_hub):
    hub = start_hub("--key-format", "key128")
    keys = np.arange(32, dtype=np.uint8).reshape(2, 16)
    with hub.client() as c:
        r = c.can_offload(keys)
        assert r.granted.shape == (2, 16)
        assert c.register_sync([(bytes(keys[0]), b"v")]) == [R.STORED]
        assert c.match(keys) == [(bytes(keys[0]), b"v", b"")]


def test_can_offload_many(u64_hub):
    batches = [np.arange(i * 100, i * 100 + 100, dtype=np.uint64) for i in range(40)]
    with u64_hub.client(client_id=7) as owner, u64_hub.client(client_id=8) as other:
        assert owner.register_sync([(5, b"v5"), (1234, b"v")]) == [R.STORED, R.STORED]
        results = owner.can_offload_many(batches, inflight=3)
        assert len(results) == 40 and all(len(r) == 100 for r in results)
        for i, r in enumerate(results):
            stored = [k for k in (5, 1234) if i * 100 <= k < i * 100 + 100]
            assert list(r.already_stored) == stored
            assert list(r.granted) == [k for k in batches[i] if k not in stored]
        # The same keys from another owner, in a list of lists: now leased, in order.
        again = other.can_offload_many([[int(k) for k in b] for b in batches[:2]])
        assert [list(r.leased) for r in again] == [[k for k in range(100) if k != 5],
                                                  list(range(100, 200))]
        assert owner.can_offload_many([]) == []
        with pytest.raises(blockhub.InvalidArgumentError):
            owner.can_offload_many(batches, inflight=0)
        with pytest.raises(blockhub.InvalidArgumentError):
            owner.can_offload_many([[b"ok"], [-1]])
