"""CPython 3.11 peers for the benchmark table (P1, P2, P5).

Prints one JSON object: medians of several runs, in nanoseconds (memory in bytes).
"""
import asyncio
import json
import statistics
import time
import tracemalloc


def median(f, runs=5):
    return statistics.median(f() for _ in range(runs))


def sleep0_round_trip(n=200_000):
    async def main():
        t = time.perf_counter_ns()
        for _ in range(n):
            await asyncio.sleep(0)
        return (time.perf_counter_ns() - t) / n
    return asyncio.run(main())


def create_task_cost(n=100_000):
    async def noop():
        pass

    async def main():
        t = time.perf_counter_ns()
        tasks = [asyncio.create_task(noop()) for _ in range(n)]
        await asyncio.gather(*tasks)
        return (time.perf_counter_ns() - t) / n
    return asyncio.run(main())


def memory_per_task(n=1_000_000):
    async def sleeper(ev):
        await ev.wait()

    async def main():
        ev = asyncio.Event()
        tracemalloc.start()
        before = tracemalloc.get_traced_memory()[0]
        tasks = [asyncio.create_task(sleeper(ev)) for _ in range(n)]
        await asyncio.sleep(0)  # every task started and suspended
        after = tracemalloc.get_traced_memory()[0]
        tracemalloc.stop()
        ev.set()
        await asyncio.gather(*tasks)
        return (after - before) / n
    return asyncio.run(main())


def sum_squares(n=10_000_000):
    t = time.perf_counter_ns()
    s = sum(i * i for i in range(n))
    ns = time.perf_counter_ns() - t
    assert s == (n - 1) * n * (2 * n - 1) // 6
    return ns


print(json.dumps({
    "py_sleep0_ns": median(sleep0_round_trip),
    "py_create_task_ns": median(create_task_cost),
    "py_task_bytes": memory_per_task(),
    "py_sum_squares_ns": median(sum_squares, runs=3),
}))
