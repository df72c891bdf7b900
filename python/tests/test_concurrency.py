"""asyncio on one client, and the GIL released while a call blocks."""
import asyncio
import signal
import threading

import numpy as np
import pytest

import blockhub


def test_asyncio_1000_concurrent_requests_on_one_client(u64_hub):
    with u64_hub.client() as c:
        async def main():
            futures = [c.can_offload_async(np.array([i, i + 1_000_000], dtype=np.uint64))
                       for i in range(1000)]
            return await asyncio.gather(*futures)

        results = asyncio.run(main())
        assert len(results) == 1000
        for i, r in enumerate(results):
            np.testing.assert_array_equal(r.granted, [i, i + 1_000_000])

        async def more():
            stored = await c.register_sync_async([(5, b"v")])
            hits = await c.match_async([5, 6])
            return stored, hits

        assert asyncio.run(more()) == ([blockhub.RegisterStatus.STORED], [(5, b"v", b"")])


def test_async_errors_and_no_loop(u64_hub):
    with u64_hub.client() as c:
        async def bad():
            return await c.can_offload_async([b"abc"])

        with pytest.raises(blockhub.HubError):
            asyncio.run(bad())
        with pytest.raises(blockhub.InvalidArgumentError):
            c.can_offload_async([1])  # no running loop


def test_gil_released_while_waiting_on_a_stalled_hub(bytes_hub):
    with bytes_hub.client(timeout_ms=3000) as c:
        assert c.can_offload([b"warm"]).granted == [b"warm"]
        bytes_hub.proc.send_signal(signal.SIGSTOP)  # the conftest's stop() sends SIGCONT
        outcome = {}
        started = threading.Event()

        def waiter():
            started.set()
            try:
                c.can_offload([b"stalled"])
                outcome["error"] = None
            except blockhub.Error as e:
                outcome["error"] = e

        sent = c.counters["requests_sent"]
        t = threading.Thread(target=waiter)
        t.start()
        started.wait(5)
        # Wait (bounded) until the other thread's request is on the wire, then keep running
        # Python code here: with the GIL held by the waiting call, none of this could run until
        # the request timed out (3 s), so the thread would no longer be alive.
        spins = 0
        while c.counters["requests_sent"] == sent and spins < 10_000_000:
            spins += 1
        assert c.counters["requests_sent"] == sent + 1
        progress = sum(i for i in range(200_000))  # ~10 ms of bytecode
        assert progress > 0
        assert t.is_alive(), "the waiting call held the GIL"
        t.join(10)
        assert not t.is_alive()
        assert isinstance(outcome["error"], blockhub.TimeoutError)
        bytes_hub.proc.send_signal(signal.SIGCONT)
