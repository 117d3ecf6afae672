//! The workload as data: groups of identical tasks, each a recipe of phases.

/// Nanoseconds; every duration in a workload is stored in ns.
pub type Nanos = u64;

/// Most tasks in one workload, over all groups.
pub const MAX_TASKS: u64 = 2_000_000;
/// Most phases in one recipe.
pub const MAX_PHASES_PER_GROUP: usize = 64;
/// Most groups in one workload.
pub const MAX_GROUPS: usize = 64;
/// Largest `cpu(n)`.
pub const MAX_CPU_N: u64 = 10_000_000_000;
/// Longest `io` or `block` phase (600 s).
pub const MAX_DURATION: Nanos = 600_000_000_000;
/// Largest jitter, in percent.
pub const MAX_JITTER: u32 = 100;
/// Largest payload, in KiB (64 MiB).
pub const MAX_PAYLOAD_KIB: u32 = 65_536;
/// Longest workload text accepted, in bytes.
pub const MAX_INPUT: usize = 10_000;

/// Default iterations between cooperative yields in a CPU phase.
pub const DEFAULT_YIELD_EVERY: u64 = 100_000;

/// A workload: task groups, run in the order written.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Workload {
    /// The groups.
    pub groups: Vec<Group>,
}

/// `count` identical tasks, each running `phases` in order.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Group {
    /// How many tasks (≥ 1).
    pub count: u32,
    /// The recipe every task of the group follows.
    pub phases: Vec<Phase>,
    /// Options for every phase of the group (a phase's own options win).
    pub opts: Options,
}

/// One step of a recipe.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Phase {
    /// A cooperative wait (`await asyncio.sleep`).
    Io {
        /// How long.
        dur: Nanos,
        /// Phase options.
        opts: Options,
    },
    /// Σ i² for i in 0..n, exactly.
    Cpu {
        /// Iterations.
        n: u64,
        /// Phase options.
        opts: Options,
    },
    /// A blocking wait (`time.sleep` inside `async def`).
    Block {
        /// How long.
        dur: Nanos,
        /// Phase options.
        opts: Options,
    },
    /// Read a shared counter, maybe await, write it back plus one.
    Incr {
        /// What happens between the read and the write.
        mode: IncrMode,
        /// Phase options.
        opts: Options,
    },
}

/// What sits between an `incr` phase's read and its write.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum IncrMode {
    /// Nothing: read and write back to back.
    Plain,
    /// An `await` (a yield to the loop).
    Await,
    /// An `await asyncio.sleep(d)`.
    AwaitFor(Nanos),
    /// An atomic add: never loses an update.
    Atomic,
}

/// Phase or group options; `None` = not given here.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Options {
    /// CPU iterations between cooperative yields; 0 = never yield.
    pub yield_every: Option<u64>,
    /// Random variation of sizes and durations, ± percent.
    pub jitter_pct: Option<u32>,
    /// Payload carried to and from a worker, KiB.
    pub payload_kib: Option<u32>,
}

/// Options with every default filled in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Resolved {
    /// CPU iterations between yields; 0 = never.
    pub yield_every: u64,
    /// ± percent.
    pub jitter_pct: u32,
    /// KiB.
    pub payload_kib: u32,
}

impl Options {
    /// `phase`'s options, else `group`'s, else the defaults.
    pub fn resolve(phase: &Options, group: &Options) -> Resolved {
        Resolved {
            yield_every: phase.yield_every.or(group.yield_every).unwrap_or(DEFAULT_YIELD_EVERY),
            jitter_pct: phase.jitter_pct.or(group.jitter_pct).unwrap_or(0),
            payload_kib: phase.payload_kib.or(group.payload_kib).unwrap_or(0),
        }
    }

    /// Whether no option is set.
    pub fn is_empty(&self) -> bool {
        *self == Options::default()
    }
}

impl Phase {
    /// The phase's options.
    pub fn opts(&self) -> &Options {
        match self {
            Phase::Io { opts, .. } | Phase::Cpu { opts, .. } | Phase::Block { opts, .. } | Phase::Incr { opts, .. } => opts,
        }
    }

    /// `io`, `cpu`, `block` or `incr`.
    pub fn kind_name(&self) -> &'static str {
        match self {
            Phase::Io { .. } => "io",
            Phase::Cpu { .. } => "cpu",
            Phase::Block { .. } => "block",
            Phase::Incr { .. } => "incr",
        }
    }
}

/// One task of a workload, as [`Workload::tasks`] yields it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TaskSpec<'a> {
    /// Global index, 0-based, in the order written.
    pub index: u64,
    /// Which group it belongs to.
    pub group: usize,
    /// Its recipe.
    pub phases: &'a [Phase],
    /// Its group's options.
    pub group_opts: &'a Options,
}

impl Workload {
    /// Tasks over all groups.
    pub fn task_count(&self) -> u64 {
        self.groups.iter().map(|g| u64::from(g.count)).sum()
    }

    /// Σ of every CPU phase's `n` over all tasks (before jitter).
    pub fn total_cpu_iterations(&self) -> u128 {
        self.groups
            .iter()
            .map(|g| {
                let per_task: u128 = g
                    .phases
                    .iter()
                    .map(|p| if let Phase::Cpu { n, .. } = p { u128::from(*n) } else { 0 })
                    .sum();
                per_task * u128::from(g.count)
            })
            .sum()
    }

    /// Σ of every blocking or waiting phase's duration over all tasks (before jitter).
    pub fn total_wait(&self) -> u128 {
        self.groups
            .iter()
            .map(|g| {
                let per_task: u128 = g
                    .phases
                    .iter()
                    .map(|p| match p {
                        Phase::Io { dur, .. } | Phase::Block { dur, .. } => u128::from(*dur),
                        Phase::Incr { mode: IncrMode::AwaitFor(d), .. } => u128::from(*d),
                        _ => 0,
                    })
                    .sum();
                per_task * u128::from(g.count)
            })
            .sum()
    }

    /// Every task in order, lazily (a million tasks cost nothing up front).
    pub fn tasks(&self) -> impl Iterator<Item = TaskSpec<'_>> + '_ {
        let mut index = 0u64;
        self.groups.iter().enumerate().flat_map(move |(group, g)| {
            let first = index;
            index += u64::from(g.count);
            (0..u64::from(g.count)).map(move |i| TaskSpec {
                index: first + i,
                group,
                phases: &g.phases,
                group_opts: &g.opts,
            })
        })
    }
}
