//! The workload as data: groups of identical tasks, each a recipe of phases,
//! with the limits the parser enforces.

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
/// Longest `io` or `block` phase, and longest `incr(await=…)` (600 s).
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
            yield_every: phase
                .yield_every
                .or(group.yield_every)
                .unwrap_or(DEFAULT_YIELD_EVERY),
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
            Phase::Io { opts, .. }
            | Phase::Cpu { opts, .. }
            | Phase::Block { opts, .. }
            | Phase::Incr { opts, .. } => opts,
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
                    .map(|p| {
                        if let Phase::Cpu { n, .. } = p {
                            u128::from(*n)
                        } else {
                            0
                        }
                    })
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
                        Phase::Incr {
                            mode: IncrMode::AwaitFor(d),
                            ..
                        } => u128::from(*d),
                        _ => 0,
                    })
                    .sum();
                per_task * u128::from(g.count)
            })
            .sum()
    }

    /// Every task in order, lazily: nothing is allocated, so a million tasks
    /// cost nothing up front. The iterator knows its exact length and skips
    /// whole groups in `nth`, so jumping to task k is O(groups).
    pub fn tasks(&self) -> impl Iterator<Item = TaskSpec<'_>> + '_ {
        Tasks {
            groups: &self.groups,
            group: 0,
            within: 0,
            index: 0,
            remaining: self.task_count(),
        }
    }
}

/// The iterator behind [`Workload::tasks`].
struct Tasks<'a> {
    groups: &'a [Group],
    /// The group of the next task.
    group: usize,
    /// The next task's position inside its group.
    within: u64,
    /// The next task's global index.
    index: u64,
    /// Tasks not yet yielded.
    remaining: u64,
}

impl<'a> Iterator for Tasks<'a> {
    type Item = TaskSpec<'a>;

    fn next(&mut self) -> Option<TaskSpec<'a>> {
        self.nth(0)
    }

    fn nth(&mut self, mut skip: usize) -> Option<TaskSpec<'a>> {
        loop {
            let g = self.groups.get(self.group)?;
            let left = u64::from(g.count).saturating_sub(self.within);
            // usize → u64 never truncates on the 32- and 64-bit targets we build.
            let step = skip as u64;
            if step < left {
                self.within += step;
                let spec = TaskSpec {
                    index: self.index + step,
                    group: self.group,
                    phases: &g.phases,
                    group_opts: &g.opts,
                };
                self.index += step + 1;
                self.remaining -= step + 1;
                self.within += 1;
                if self.within >= u64::from(g.count) {
                    self.group += 1;
                    self.within = 0;
                }
                return Some(spec);
            }
            // Skip the rest of this group in one step.
            skip -= left as usize;
            self.index += left;
            self.remaining -= left;
            self.group += 1;
            self.within = 0;
        }
    }

    fn size_hint(&self) -> (usize, Option<usize>) {
        match usize::try_from(self.remaining) {
            Ok(n) => (n, Some(n)),
            Err(_) => (usize::MAX, None),
        }
    }
}

impl std::iter::FusedIterator for Tasks<'_> {}

#[cfg(test)]
mod tests {
    use super::*;

    fn cpu(n: u64) -> Phase {
        Phase::Cpu {
            n,
            opts: Options::default(),
        }
    }

    fn group(count: u32, phases: Vec<Phase>) -> Group {
        Group {
            count,
            phases,
            opts: Options::default(),
        }
    }

    #[test]
    fn tasks_expand_groups_in_order_with_global_indices() {
        let w = Workload {
            groups: vec![
                group(2, vec![cpu(1)]),
                group(0, vec![cpu(9)]),
                group(3, vec![cpu(2), cpu(3)]),
            ],
        };
        let got: Vec<(u64, usize, usize)> = w
            .tasks()
            .map(|t| (t.index, t.group, t.phases.len()))
            .collect();
        assert_eq!(got, [(0, 0, 1), (1, 0, 1), (2, 2, 2), (3, 2, 2), (4, 2, 2)]);
        assert_eq!(w.tasks().size_hint(), (5, Some(5)));
        let mut it = w.tasks();
        assert_eq!(it.nth(2).map(|t| (t.index, t.group)), Some((2, 2)));
        assert_eq!(it.size_hint(), (2, Some(2)));
        assert_eq!(it.next().map(|t| t.index), Some(3));
        assert_eq!(it.nth(1), None);
        assert_eq!(it.next(), None);
        assert_eq!(w.task_count(), 5);
        assert_eq!(w.total_cpu_iterations(), 2 + 3 * 5);
    }

    #[test]
    fn a_million_tasks_are_cheap() {
        let w = Workload {
            groups: vec![
                group(1_000_000, vec![cpu(10_000_000_000)]),
                group(1_000_000, vec![cpu(1)]),
            ],
        };
        // nth skips whole groups arithmetically: no million-step walk here.
        let t = w.tasks().nth(1_999_999).unwrap();
        assert_eq!((t.index, t.group), (1_999_999, 1));
        assert_eq!(w.tasks().count(), 2_000_000);
        assert_eq!(w.total_cpu_iterations(), 10_000_000_000_000_000 + 1_000_000);
    }

    #[test]
    fn options_resolve_phase_then_group_then_defaults() {
        let phase = Options {
            jitter_pct: Some(5),
            ..Options::default()
        };
        let group = Options {
            jitter_pct: Some(50),
            payload_kib: Some(64),
            yield_every: None,
        };
        assert_eq!(
            Options::resolve(&phase, &group),
            Resolved {
                yield_every: DEFAULT_YIELD_EVERY,
                jitter_pct: 5,
                payload_kib: 64
            }
        );
        let never = Options {
            yield_every: Some(0),
            ..Options::default()
        };
        assert_eq!(Options::resolve(&never, &Options::default()).yield_every, 0);
        assert_eq!(DEFAULT_YIELD_EVERY, 100_000);
    }

    #[test]
    fn phases_name_themselves() {
        let o = Options {
            payload_kib: Some(1),
            ..Options::default()
        };
        let phases = [
            Phase::Io { dur: 1, opts: o },
            Phase::Cpu { n: 1, opts: o },
            Phase::Block { dur: 1, opts: o },
            Phase::Incr {
                mode: IncrMode::Atomic,
                opts: o,
            },
        ];
        let names: Vec<_> = phases.iter().map(Phase::kind_name).collect();
        assert_eq!(names, ["io", "cpu", "block", "incr"]);
        assert!(phases.iter().all(|p| *p.opts() == o));
    }
}
