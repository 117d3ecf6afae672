"""CPython 3.11 peers for the benchmark table (P1, P2, P5, P10).

Prints one JSON object: medians of several runs, in nanoseconds (memory in
bytes), each figure `k` beside `k_n`, the number of runs behind it.

P10's peers are asyncio's own scale: 100,000 tasks each `await
asyncio.sleep(0.1)` and 1,000,000 tasks each `await asyncio.sleep(1)`, all
started together with `asyncio.gather`, wall time from before the first task
is created to the end of the gather. The million takes about 25 s and 1 GB,
so it runs once (`PY_SLEEP_1M_RUNS` to change that; 0 skips it, and the
figure is then not measured).
"""
import asyncio
import json
import os
import statistics
import time
import tracemalloc


RESULTS = {}


def measure(key, f, runs=5):
    """Records the median of `runs` calls of `f` as `key`, with `key_n`."""
    samples = [f() for _ in range(runs)]
    samples = [s for s in samples if s == s and s > 0]  # no NaN, no zero
    if samples:
        RESULTS[key] = statistics.median(samples)
        RESULTS[key + "_n"] = len(samples)


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


def gather_sleeps(n, seconds):
    """Wall time of `n` tasks sleeping `seconds` each, gathered, in ns."""
    async def main():
        t = time.perf_counter_ns()
        await asyncio.gather(*(asyncio.sleep(seconds) for _ in range(n)))
        return time.perf_counter_ns() - t
    return asyncio.run(main())


measure("py_sleep0_ns", sleep0_round_trip)
measure("py_create_task_ns", create_task_cost)
measure("py_task_bytes", memory_per_task, runs=1)
measure("py_sum_squares_ns", sum_squares, runs=3)
measure("py_sleep_100k_100ms_ns", lambda: gather_sleeps(100_000, 0.1), runs=3)
measure("py_sleep_1m_1s_ns", lambda: gather_sleeps(1_000_000, 1.0), runs=int(os.environ.get("PY_SLEEP_1M_RUNS", "1")))
print(json.dumps(RESULTS))
