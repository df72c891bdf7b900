#!/usr/bin/env python3
"""A worker loop: can_offload -> "upload" the granted blocks -> register_sync, then Match a chain.

Configured by DYN_REGISTRY_CLIENT_* (or the defaults: a hub on localhost:5555/5556), bytes keys.
    python3 examples/python/worker_loop.py
"""
import hashlib
import sys

import blockhub


def block_keys(data: bytes, block_size: int = 4096) -> list[bytes]:
    """A chain of block hashes: each key covers its block and everything before it."""
    keys, h = [], hashlib.blake2b(digest_size=16)
    for i in range(0, len(data), block_size):
        h.update(data[i:i + block_size])
        keys.append(h.copy().digest())
    return keys


def upload(key: bytes) -> bytes:
    """Stands in for the storage write; returns where the block now lives."""
    return b"s3://bucket/" + key.hex().encode()


def main() -> int:
    data = bytes(range(256)) * 64  # 16 KiB: four blocks
    keys = block_keys(data)
    try:
        with blockhub.Client.from_env() as hub:
            answer = hub.can_offload(keys)
            entries = [(k, upload(k), b"") for k in answer.granted]
            statuses = hub.register_sync(entries) if entries else []
            print(f"granted {len(answer.granted)}, already stored {len(answer.already_stored)}, "
                  f"leased elsewhere {len(answer.leased)}, registered {len(statuses)}")
            # Any worker: how much of this chain is stored (the leading run)?
            for entry in hub.match(keys, prefix=True):
                print(entry.key.hex(), "->", entry.value.decode())
    except blockhub.Error as e:
        print(f"blockhub: {e} (code {e.code})", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
