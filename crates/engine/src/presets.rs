//! The gallery: named scenarios, each with what to look for. The names are
//! part of the link contract (`preset=NAME`) and never change.

use crate::model::Model;

/// A named scenario.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Preset {
    /// The stable name used in links.
    pub name: &'static str,
    /// A title for people.
    pub title: &'static str,
    /// The workload text.
    pub workload: &'static str,
    /// Models to run.
    pub models: &'static [Model],
    /// Workers, if the preset needs a particular number.
    pub workers: Option<u16>,
    /// Concurrency limit, if any.
    pub limit: Option<u32>,
    /// GIL switch interval in ms, if not the default.
    pub switch_ms: Option<u32>,
    /// Two sentences: the claim, and what to look for.
    pub look_for: &'static str,
}

use Model::*;

/// Every preset, in gallery order.
pub const PRESETS: &[Preset] = &[
    Preset {
        name: "gather",
        title: "Gather two sleeps",
        workload: "1*io(1s)+1*io(2s)",
        models: &[Sequential, Loop],
        workers: None,
        limit: None,
        switch_ms: None,
        look_for: "asyncio.gather of a 1 s and a 2 s sleep takes 2 s, not 3 s. Look at the wall times: the loop waits for the longest sleep, sequential for the sum.",
    },
    Preset {
        name: "sumsq20",
        title: "Σi² ×20",
        workload: "20*cpu(10M)",
        models: &[Sequential, Loop, Pool, Hybrid],
        workers: None,
        limit: None,
        switch_ms: None,
        look_for: "CPU-bound work does not speed up on one thread, but does with processes. Look for the loop matching sequential while the pool divides the time by its workers, start-up and transfer included.",
    },
    Preset {
        name: "blocking-call",
        title: "A blocking call in a coroutine",
        workload: "10*io(200ms)+1*block(500ms)",
        models: &[Loop],
        workers: None,
        limit: None,
        switch_ms: None,
        look_for: "One requests.get inside async def stalls every task on the loop. Look at the main lane frozen for 500 ms and at the other tasks' waits stretched past their 200 ms.",
    },
    Preset {
        name: "c10k",
        title: "10,000 connections",
        workload: "10000*io(100ms)",
        models: &[Loop],
        workers: None,
        limit: None,
        switch_ms: None,
        look_for: "Ten thousand cheap tasks each wait 100 ms on one thread. Look for a wall time near 100 ms and a small event-loop lag: waiting costs a timer, not a thread.",
    },
    Preset {
        name: "race-await",
        title: "A race with an await",
        workload: "1000*incr(await)",
        models: &[Loop],
        workers: None,
        limit: None,
        switch_ms: None,
        look_for: "asyncio does not prevent races: every task reads the counter, awaits, then writes. Look at lost updates, then remove the await (1000*incr) and see none lost.",
    },
    Preset {
        name: "gil-cpu",
        title: "CPU-bound under the GIL",
        workload: "4*cpu(20M)",
        models: &[Sequential, Gil, Free],
        workers: Some(4),
        limit: None,
        switch_ms: None,
        look_for: "The GIL pins Python bytecode to one CPU at a time. Look for GIL threads taking as long as sequential, while free threads spread over the cores.",
    },
    Preset {
        name: "gil-io",
        title: "I/O-bound under the GIL",
        workload: "4*io(500ms)",
        models: &[Sequential, Gil],
        workers: Some(4),
        limit: None,
        switch_ms: None,
        look_for: "Threads drop the GIL while they wait, so I/O overlaps. Look for GIL threads finishing in about 500 ms, not 2 s.",
    },
    Preset {
        name: "convoy",
        title: "The convoy effect",
        workload: "1*[io(5ms),io(5ms),io(5ms),io(5ms),io(5ms),io(5ms),io(5ms),io(5ms)]+1*cpu(300M)",
        models: &[Gil],
        workers: Some(2),
        limit: None,
        switch_ms: Some(5),
        look_for: "An I/O thread must win the GIL back after every wait while a CPU thread holds it. Look at the I/O thread's GIL-blocked stretches: its 40 ms of waiting takes far longer.",
    },
    Preset {
        name: "few-connections",
        title: "A database with few connections",
        workload: "100*io(100ms)",
        models: &[Loop],
        workers: None,
        limit: Some(10),
        switch_ms: None,
        look_for: "A semaphore of 10 stands for a database that allows ten connections. Look for a wall time of about 1 s (ten rounds of 100 ms) and tasks queued for a slot.",
    },
    Preset {
        name: "yield-granularity",
        title: "Yield granularity",
        workload: "1*cpu(200M,yield=0)+20*io(5ms)",
        models: &[Loop],
        workers: None,
        limit: None,
        switch_ms: None,
        look_for: "A CPU task that never yields holds the loop until it ends, so every timer fires late. Look at the lag, then set yield=10k and see the timers fire on time.",
    },
    Preset {
        name: "ten-x-myth",
        title: "\"asyncio is 10× faster than threading?\"",
        workload: "40*io(50ms)",
        models: &[Loop, Gil, Pool],
        workers: Some(4),
        limit: None,
        switch_ms: None,
        look_for: "Both asyncio and threads overlap waits, but a pool of four threads overlaps only four at a time. Look at the wall times against the worker count: the 10× comes from cheap tasks versus few threads, not from faster waiting.",
    },
];

/// The preset called `name`.
pub fn find(name: &str) -> Option<&'static Preset> {
    PRESETS.iter().find(|p| p.name == name)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_preset_parses_and_has_a_unique_name() {
        let mut names = std::collections::HashSet::new();
        for p in PRESETS {
            assert!(names.insert(p.name), "{} twice", p.name);
            assert!(
                workload::parse(p.workload).is_ok(),
                "{}: {}",
                p.name,
                p.workload
            );
            assert!(!p.models.is_empty());
            assert_eq!(
                p.look_for.matches(". ").count() + 1,
                2,
                "{}: two sentences",
                p.name
            );
        }
        for name in [
            "gather",
            "sumsq20",
            "blocking-call",
            "c10k",
            "race-await",
            "gil-cpu",
            "gil-io",
            "convoy",
            "few-connections",
            "yield-granularity",
            "ten-x-myth",
        ] {
            assert!(find(name).is_some(), "{name} is in the link contract");
        }
    }
}
