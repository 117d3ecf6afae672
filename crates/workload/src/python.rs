//! The equivalent Python program for a workload, in four flavours, ready to
//! copy and run with CPython. Each prints `wall: S s`, `checksum: N` (the exact
//! Σi² total, the same number the playground shows) and, when the workload
//! has `incr` phases, `counter: C of N`.

use std::fmt::Write;

use crate::ast::{IncrMode, Nanos, Options, Phase, Workload};

/// Which Python concurrency style to generate.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Flavour {
    /// A plain loop.
    Sequential,
    /// `asyncio.gather`.
    Asyncio,
    /// `concurrent.futures.ThreadPoolExecutor`.
    Threading,
    /// `multiprocessing.Pool`.
    Multiprocessing,
}

impl Flavour {
    /// All four, in tab order.
    pub const ALL: [Flavour; 4] = [Flavour::Sequential, Flavour::Asyncio, Flavour::Threading, Flavour::Multiprocessing];

    /// A short name.
    pub fn name(self) -> &'static str {
        match self {
            Flavour::Sequential => "sequential",
            Flavour::Asyncio => "asyncio",
            Flavour::Threading => "threading",
            Flavour::Multiprocessing => "multiprocessing",
        }
    }
}

fn secs(ns: Nanos) -> String {
    let s = format!("{:.6}", ns as f64 / 1e9);
    let s = s.trim_end_matches('0').trim_end_matches('.');
    if s.is_empty() { "0".into() } else { s.to_string() }
}

fn py_int(n: u64) -> String {
    // Python accepts 10_000_000: keep big numbers readable.
    let digits = n.to_string();
    let mut out = String::new();
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push('_');
        }
        out.push(c);
    }
    out
}

/// The Python program for `w` in `flavour`, with `workers` threads or
/// processes and an optional concurrency `limit`.
pub fn program(w: &Workload, flavour: Flavour, workers: u16, limit: Option<u32>) -> String {
    let is_async = flavour == Flavour::Asyncio;
    let mut o = String::new();
    let _ = writeln!(o, "\"\"\"No-GIL Playground workload {w}, {} version.", flavour.name());
    let _ = writeln!(o, "Run with: python3 this_file.py\"\"\"");
    o.push_str(match flavour {
        Flavour::Sequential => "import time\n",
        Flavour::Asyncio => "import asyncio\nimport time\n",
        Flavour::Threading => "import threading\nimport time\nfrom concurrent.futures import ThreadPoolExecutor\n",
        Flavour::Multiprocessing => "import multiprocessing\nimport time\n",
    });
    let jitter = w.groups.iter().any(|g| g.opts.jitter_pct.is_some() || g.phases.iter().any(|p| p.opts().jitter_pct.is_some()));
    if jitter {
        o.push_str("import random\n");
    }
    o.push_str("\n\ndef cpu(n):\n    \"\"\"Σ i² for i < n, exactly.\"\"\"\n    return sum(i * i for i in range(n))\n\n\n");
    if jitter {
        o.push_str("def jitter(x, pct):\n    return x * random.uniform(1 - pct / 100, 1 + pct / 100)\n\n\n");
    }
    o.push_str("counter = 0\n");
    if flavour == Flavour::Threading {
        o.push_str("lock = threading.Lock()\n");
    }
    if flavour == Flavour::Multiprocessing && w.groups.iter().any(|g| g.phases.iter().any(|p| matches!(p, Phase::Incr { .. }))) {
        o.push_str("# Each process has its own copy of `counter`: the parent's never moves.\n");
    }
    o.push('\n');
    let sleep = if is_async { "await asyncio.sleep" } else { "time.sleep" };
    for (gi, g) in w.groups.iter().enumerate() {
        let def = if is_async { "async def" } else { "def" };
        let _ = writeln!(o, "\n{def} task_{gi}(i):");
        let _ = writeln!(o, "    global counter");
        let _ = writeln!(o, "    total = 0");
        for p in &g.phases {
            let pct = Options::resolve(p.opts(), &g.opts).jitter_pct;
            let val = |s: String| if pct > 0 { format!("jitter({s}, {pct})") } else { s };
            match p {
                Phase::Io { dur, .. } => {
                    let _ = writeln!(o, "    {sleep}({})  # io: a wait{}", val(secs(*dur)), if is_async { " that lets others run" } else { " that blocks" });
                }
                Phase::Cpu { n, .. } => {
                    let n = if pct > 0 { format!("int({})", val(py_int(*n))) } else { py_int(*n) };
                    let _ = writeln!(o, "    total += cpu({n})");
                }
                Phase::Block { dur, .. } => {
                    let _ = writeln!(o, "    time.sleep({})  # block: a blocking call{}", val(secs(*dur)), if is_async { " stalls the loop" } else { "" });
                }
                Phase::Incr { mode, .. } => {
                    let pause = match mode {
                        IncrMode::Plain | IncrMode::Atomic => None,
                        IncrMode::Await => Some("0".to_string()),
                        IncrMode::AwaitFor(d) => Some(secs(*d)),
                    };
                    if *mode == IncrMode::Atomic && flavour == Flavour::Threading {
                        o.push_str("    with lock:\n        counter += 1\n");
                    } else {
                        o.push_str("    value = counter\n");
                        if let Some(p) = pause {
                            let _ = writeln!(o, "    {sleep}({p})  # the gap between read and write");
                        }
                        o.push_str("    counter = value + 1\n");
                    }
                }
            }
        }
        o.push_str("    return total\n");
    }
    let incrs: u64 = w
        .groups
        .iter()
        .map(|g| u64::from(g.count) * g.phases.iter().filter(|p| matches!(p, Phase::Incr { .. })).count() as u64)
        .sum();
    let jobs: Vec<String> = w.groups.iter().enumerate().map(|(gi, g)| format!("({gi}, {})", g.count)).collect();
    let _ = writeln!(o, "\n\nGROUPS = [{}]  # (group, count)", jobs.join(", "));
    o.push_str("TASKS = [(g, i) for g, count in GROUPS for i in range(count)]\n");
    let funcs: Vec<String> = (0..w.groups.len()).map(|gi| format!("task_{gi}")).collect();
    let _ = writeln!(o, "FUNCS = [{}]\n", funcs.join(", "));
    match flavour {
        Flavour::Sequential => {
            o.push_str("\ndef main():\n    return [FUNCS[g](i) for g, i in TASKS]\n");
        }
        Flavour::Asyncio => {
            match limit {
                Some(l) => {
                    let _ = writeln!(o, "\nasync def main():\n    sem = asyncio.Semaphore({l})  # a concurrency limit\n\n    async def limited(g, i):\n        async with sem:\n            return await FUNCS[g](i)\n\n    return await asyncio.gather(*(limited(g, i) for g, i in TASKS))");
                }
                None => o.push_str("\nasync def main():\n    return await asyncio.gather(*(FUNCS[g](i) for g, i in TASKS))\n"),
            }
        }
        Flavour::Threading => {
            let _ = writeln!(o, "\ndef main():\n    with ThreadPoolExecutor(max_workers={workers}) as pool:\n        return list(pool.map(lambda t: FUNCS[t[0]](t[1]), TASKS))");
        }
        Flavour::Multiprocessing => {
            let _ = writeln!(o, "\ndef run(t):\n    return FUNCS[t[0]](t[1])\n\n\ndef main():\n    with multiprocessing.Pool({workers}) as pool:\n        return pool.map(run, TASKS)");
        }
    }
    let call = if is_async { "asyncio.run(main())" } else { "main()" };
    let _ = writeln!(
        o,
        "\n\nif __name__ == \"__main__\":\n    start = time.perf_counter()\n    results = {call}\n    print(f\"wall: {{time.perf_counter() - start:.3f}} s\")\n    print(f\"checksum: {{sum(results)}}\")"
    );
    if incrs > 0 {
        let _ = writeln!(o, "    print(f\"counter: {{counter}} of {incrs}\")");
    }
    o
}
