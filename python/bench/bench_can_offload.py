#!/usr/bin/env python3
"""Can-offload keys/s from Python vs `blockhub-bench hub`, side by side in one run.

The workload of scripts/bench.sh: u64 keys, batch 100, 1,000,000 keys, 50% pre-loaded, queried
keys drawn from the stored half with probability 0.5; 4 clients x 16 requests in flight. Each
round runs both load generators alternately (C++ then Python), each on a freshly started blockhubd
(empty, then the pre-load). The Python side: --mode many (the default: one thread per client, each
calling client.can_offload_many(--chunk batches, inflight=--inflight) in a loop, the GIL released
for the whole call), --mode threads (one thread per client, each with its
own asyncio loop keeping --inflight requests in flight; --inflight 1: plain blocking calls) or
--mode asyncio (all clients on one loop). Keys are NumPy uint64 arrays of Mix64(index), generated
before timing (a pool of batches per client, cycled), as the C++ generator derives them.
Prints RESULT lines per run, then the medians and RATIO python/cpp.

usage: bench_can_offload.py --build-dir build [--rounds 5] [--duration 5] [--mode many]
"""
import argparse
import asyncio
import os
import re
import statistics
import subprocess
import sys
import threading
import time

import numpy as np

MASK = np.uint64(0xFFFFFFFFFFFFFFFF)


def mix64(x):
    """splitmix64's finalizer on a uint64 array (tools/bench/loadgen_workload.h: Mix64)."""
    with np.errstate(over="ignore"):
        x = x + np.uint64(0x9E3779B97F4A7C15)
        x = (x ^ (x >> np.uint64(30))) * np.uint64(0xBF58476D1CE4E5B9)
        x = (x ^ (x >> np.uint64(27))) * np.uint64(0x94D049BB133111EB)
        return x ^ (x >> np.uint64(31))


class Hub:
    def __init__(self, hubd):
        self.proc = subprocess.Popen(
            ["timeout", "600", hubd, "--query-addr", "tcp://127.0.0.1:*", "--register-addr",
             "tcp://127.0.0.1:*", "--metrics-addr", "off", "--key-format", "u64",
             "--capacity", "100000000", "--lease-timeout-ms", "30000", "--log-level", "warn"],
            stdout=subprocess.PIPE, text=True)
        line = self.proc.stdout.readline()
        if not line.startswith("ready "):
            self.stop()
            sys.exit("blockhubd did not start")
        fields = dict(f.split("=", 1) for f in line.split()[1:])
        self.query, self.register = fields["query"], fields["register"]

    def stop(self):
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()


def run_cpp(args, hub):
    out = subprocess.run(
        ["timeout", "600", args.bench, "hub", "--op", "can-offload", "--clients",
         str(args.clients), "--inflight", str(args.inflight), "--batch", str(args.batch),
         "--keys", str(args.keys), "--stored-ratio", str(args.stored_ratio), "--duration",
         str(args.duration), "--no-progress", "--query-addr", hub.query, "--register-addr",
         hub.register], capture_output=True, text=True, check=True).stdout
    m = re.search(r"^RESULT blockhub can-offload keys_per_s=(\d+)", out, re.M)
    if not m:
        sys.exit("no RESULT line from blockhub-bench:\n" + out)
    return float(m.group(1))


def run_python(args, hub):
    import blockhub

    stored = round(args.stored_ratio * args.keys)
    with blockhub.Client(query_addr=hub.query, register_addr=hub.register,
                         timeout_ms=30000) as c:
        ids = mix64(np.arange(stored, dtype=np.uint64))
        for i in range(0, stored, 1000):
            chunk = [int(k) for k in ids[i:i + 1000]]
            c.register_sync([(k, k.to_bytes(8, "little")) for k in chunk])
    rng = np.random.default_rng(args.seed)

    def pool():
        n = args.pool * args.batch
        want = rng.random(n) < args.stored_ratio
        idx = np.where(want, rng.integers(0, stored, n), stored + rng.integers(0, args.keys - stored, n))
        return list(mix64(idx.astype(np.uint64)).reshape(args.pool, args.batch))

    pools = [pool() for _ in range(args.clients)]
    clients = [blockhub.Client(query_addr=hub.query, register_addr=hub.register,
                               client_id=1000 + i, timeout_ms=30000)
               for i in range(1 if args.shared_client else args.clients)]
    if args.shared_client:  # one Client (one I/O thread, one connection) for every thread
        clients = clients * args.clients
    counts = [0] * args.clients
    stop_at = [0.0]

    async def client_tasks(i):
        c, batches = clients[i], pools[i]

        async def one(j):
            n = 0
            while time.monotonic() < stop_at[0]:
                await c.can_offload_async(batches[j % len(batches)])
                j += args.inflight
                n += args.batch
            return n

        return sum(await asyncio.gather(*(one(j) for j in range(args.inflight))))

    def many_main(i):
        # One can_offload_many call per --chunk batches: the GIL is released for the whole call,
        # so the four threads' requests overlap; the window drains only at a call's end.
        c, batches, j, n = clients[i], pools[i], 0, 0
        while time.monotonic() < stop_at[0]:
            chunk = [batches[(j + k) % len(batches)] for k in range(args.chunk)]
            results = c.can_offload_many(chunk, inflight=args.inflight)
            j += args.chunk
            n += sum(len(r) for r in results)
        counts[i] = n

    def thread_main(i):
        if args.mode == "many":
            many_main(i)
        elif args.inflight == 1:
            c, batches, j, n = clients[i], pools[i], 0, 0
            while time.monotonic() < stop_at[0]:
                c.can_offload(batches[j % len(batches)])
                j += 1
                n += args.batch
            counts[i] = n
        else:
            counts[i] = asyncio.run(client_tasks(i))

    async def all_on_one_loop():
        return await asyncio.gather(*(client_tasks(i) for i in range(args.clients)))

    try:
        start = time.monotonic()
        stop_at[0] = start + args.duration
        if args.mode in ("threads", "many"):
            threads = [threading.Thread(target=thread_main, args=(i,)) for i in range(args.clients)]
            for t in threads:
                t.start()
            for t in threads:
                t.join()
        else:
            counts[:] = asyncio.run(all_on_one_loop())
        elapsed = time.monotonic() - start
    finally:
        for c in set(clients):
            c.close()
    return sum(counts) / elapsed


def main():
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--build-dir", default="build")
    p.add_argument("--rounds", type=int, default=5)
    p.add_argument("--duration", type=float, default=5.0)
    p.add_argument("--mode", choices=["many", "threads", "asyncio"], default="many")
    p.add_argument("--chunk", type=int, default=256,
                   help="--mode many: batches per can_offload_many call")
    p.add_argument("--clients", type=int, default=4)
    p.add_argument("--shared-client", action="store_true",
                   help="the Python threads share one blockhub.Client instead of one each")
    p.add_argument("--inflight", type=int, default=16)
    p.add_argument("--batch", type=int, default=100)
    p.add_argument("--keys", type=int, default=1_000_000)
    p.add_argument("--stored-ratio", type=float, default=0.5)
    p.add_argument("--pool", type=int, default=2048, help="pre-generated batches per client")
    p.add_argument("--seed", type=int, default=1)
    args = p.parse_args()
    build = os.path.abspath(args.build_dir)
    sys.path.insert(0, os.path.join(build, "python"))
    args.bench = os.path.join(build, "tools", "blockhub-bench")
    hubd = os.path.join(build, "hub", "blockhubd")
    cpp, py = [], []
    for r in range(args.rounds):
        for name, fn, out in (("cpp", run_cpp, cpp), ("python", run_python, py)):
            hub = Hub(hubd)
            try:
                out.append(fn(args, hub))
            finally:
                hub.stop()
            print(f"RESULT round {r + 1} {name} can-offload keys_per_s={out[-1]:.0f}", flush=True)
    mc, mp = statistics.median(cpp), statistics.median(py)
    print(f"# {args.clients} clients x {args.inflight} in flight, batch {args.batch}, "
          f"{args.keys} u64 keys, {args.stored_ratio:.0%} stored, {args.duration:g} s x "
          f"{args.rounds} rounds, python mode {args.mode}")
    print(f"MEDIAN cpp(blockhub-bench hub)={mc:.0f} python={mp:.0f} keys/s")
    print(f"RATIO python/cpp={mp / mc:.2f}")


if __name__ == "__main__":
    main()
