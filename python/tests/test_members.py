"""Worker membership from Python: announce, members with filters, multicast counts, withdraw."""
import pytest

import blockhub


def test_announce_members_multicast_withdraw(start_hub):
    hub = start_hub("--events-addr", "tcp://127.0.0.1:*")
    with hub.client(client_id=11) as a, hub.client(client_id=12) as b, hub.client(client_id=13) as c:
        assert a.announce({"tier": "ssd", "rack": "r1"}, ttl_ms=30000)["member_id"] == 11
        assert b.announce("tier=ssd,rack=r2")["existed"] is False
        assert b.announce("tier=ssd,rack=r2")["existed"] is True
        ids = lambda f=None: sorted(m["client_id"] for m in c.members(f))
        assert ids() == [11, 12]
        assert ids({"rack": "r2"}) == [12]
        assert ids("rack") == [11, 12]
        assert ids({"tier": "hdd"}) == []
        member = [m for m in c.members({"rack": "r1"})][0]
        assert member["metadata"] == {"tier": "ssd", "rack": "r1"}
        assert member["ttl_ms"] == 30000
        assert c.multicast(b"flush", {"tier": "ssd"}) == 2
        assert c.multicast("to r1", "rack=r1") == 1
        assert a.withdraw()["ttl_ms"] == 0
        assert ids() == [12]


def test_automatic_membership_and_errors(start_hub):
    hub = start_hub("--events-addr", "tcp://127.0.0.1:*")
    with hub.client(client_id=21) as observer:
        with hub.client(client_id=22, member_ttl_ms=5000):
            # Announced by the client library itself (bounded wait on the hub's view).
            for _ in range(1000):
                if [m["client_id"] for m in observer.members()] == [22]:
                    break
            assert [m["client_id"] for m in observer.members()] == [22]
        assert observer.members() == []  # withdrawn on close
        with pytest.raises(blockhub.InvalidArgumentError):
            observer.members({"tier": 5})
        with pytest.raises(blockhub.InvalidArgumentError):
            observer.announce("tier")
