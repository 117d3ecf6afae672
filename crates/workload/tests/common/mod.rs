//! What the engine draws for a workload's jitter, recomputed here for the
//! generated programs' tests (Python and JavaScript): the engine crate cannot
//! be a dependency of this one.

use workload::{closed_form, jitter, task_rng, Options, Phase, Workload};

/// The concrete value of every io, cpu and block phase of every task, as
/// `engine::runner::steps` derives them (that crate cannot be a dependency
/// here): one stream per task, phase by phase in recipe order. incr draws nothing.
pub fn engine_values(w: &Workload, seed: u64) -> Vec<Vec<Option<u64>>> {
    w.tasks()
        .map(|t| {
            let mut rng = task_rng(seed, t.index);
            t.phases
                .iter()
                .map(|p| {
                    let pct = Options::resolve(p.opts(), t.group_opts).jitter_pct;
                    match p {
                        Phase::Io { dur, .. } | Phase::Block { dur, .. } => {
                            Some(jitter(*dur, pct, &mut rng))
                        }
                        Phase::Cpu { n, .. } => Some(jitter(*n, pct, &mut rng)),
                        Phase::Incr { .. } => None,
                    }
                })
                .collect()
        })
        .collect()
}

/// Σ closed_form(n) over every cpu phase of every task, with the engine's jitter.
pub fn expected_checksum(w: &Workload, seed: u64) -> u128 {
    let values = engine_values(w, seed);
    w.tasks()
        .zip(&values)
        .flat_map(|(t, v)| t.phases.iter().zip(v))
        .map(|(p, x)| match p {
            Phase::Cpu { .. } => closed_form(x.unwrap()),
            _ => 0,
        })
        .sum()
}
