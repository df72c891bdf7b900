#!/usr/bin/env python3
"""Many requests in flight on one connection from asyncio, u64 keys as NumPy arrays.

Needs a hub started with --key-format u64. Configured by DYN_REGISTRY_CLIENT_*.
    python3 examples/python/async_worker.py
"""
import asyncio
import sys

import numpy as np

import blockhub


async def offload(hub: blockhub.Client, batch: np.ndarray) -> int:
    answer = await hub.can_offload_async(batch)
    granted = answer.granted  # a uint64 array
    if len(granted):
        await hub.register_sync_async([(int(k), int(k).to_bytes(8, "little")) for k in granted])
    return len(granted)


async def main() -> int:
    batches = np.arange(10_000, dtype=np.uint64).reshape(100, 100)
    with blockhub.Client.from_env() as hub:
        counts = await asyncio.gather(*(offload(hub, b) for b in batches))
        print(f"uploaded and registered {sum(counts)} of {batches.size} blocks")
    return 0


if __name__ == "__main__":
    try:
        sys.exit(asyncio.run(main()))
    except blockhub.Error as e:
        print(f"blockhub: {e}", file=sys.stderr)
        sys.exit(1)
