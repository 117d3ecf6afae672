//! Refining the cost model from a real run's own trace.
//!
//! After every measured run, the page hands its trace here: the CPU spans say
//! what an iteration cost on that thread, the loop driver's statistics say what
//! a poll, a hop and a timer cost, and the runtime's own direct observations
//! (a job's round trip, a GIL message) say the rest. The next prediction then
//! pays what this machine, in this state, really pays.

use workload::{Options, Phase, Workload};

use crate::costs::{Calibration, Cost, Origin};
use crate::model::{Model, RunConfig};
use crate::runner::{Action, Steps};
use crate::time::Nanos;
use crate::trace::{PhaseKind, Span, SpanState, Trace, MAIN_LANE, NO_LANE};
use crate::warmup::warm_rate;

/// Σ of every CPU phase's iterations over the workload, with jitter applied
/// exactly as the run applied it. A group whose CPU phases have no jitter
/// counts as `count ×` its recipe's iterations, without drawing each task's
/// steps: at a million tasks that walk took 40 ms, twice at every run's end.
pub fn cpu_iterations(workload: &Workload, seed: u64) -> u128 {
    let mut total = 0u128;
    let mut index = 0u64;
    for g in &workload.groups {
        let count = u64::from(g.count);
        let cpu = || {
            g.phases.iter().filter_map(|p| {
                if let Phase::Cpu { n, opts } = p {
                    Some((*n, opts))
                } else {
                    None
                }
            })
        };
        if cpu().all(|(_, opts)| Options::resolve(opts, &g.opts).jitter_pct == 0) {
            total += cpu().map(|(n, _)| u128::from(n)).sum::<u128>() * u128::from(count);
        } else {
            for i in index..index + count {
                for step in Steps::new(&g.phases, &g.opts, seed, i) {
                    if let Action::Cpu { n, .. } = step.action {
                        total += u128::from(n);
                    }
                }
            }
        }
        index += count;
    }
    total
}

/// Least CPU time a run must have spent for its spans to teach a CPU figure.
pub const MIN_CPU_TIME: Nanos = 5_000_000;
/// Least mean CPU span for the same (the loop's slices of 100k iterations are
/// a few tens of µs: fine on an isolated page's 5 µs clock, not on 100 µs).
pub const MIN_MEAN_SPAN: Nanos = 20_000;

/// Time the trace spent running CPU phases on the main lane (`workers`
/// false) or on the workers' lanes, and in how many spans.
fn cpu_time(trace: &Trace, workers: bool) -> (Nanos, u64) {
    let mut total = 0;
    let mut spans = 0;
    for s in cpu_spans(trace, workers) {
        total += s.duration();
        spans += 1;
    }
    (total, spans)
}

fn cpu_spans(trace: &Trace, workers: bool) -> impl Iterator<Item = &crate::trace::Span> {
    trace.spans.iter().filter(move |s| {
        let on = if workers {
            s.lane != MAIN_LANE && s.lane != NO_LANE
        } else {
            s.lane == MAIN_LANE
        };
        on && s.state == SpanState::Running && s.kind == PhaseKind::Cpu
    })
}

/// How long the page's thread had something to do in a run of one thread
/// (`js`): every instant from the start to the last task's end but those at
/// which every unfinished task was waiting. A task counts from the run's
/// start (before its first span it is still being started). A wait's span
/// lasts until its task ran again, which may be long after it was due (the
/// page was busy): it counts as waiting only until `due(task, phase, span)`,
/// the end of the wait the workload asked for.
pub fn page_busy_time(trace: &Trace, due: impl Fn(u32, u8, &Span) -> Nanos) -> Nanos {
    // Tasks are numbered from 0: each one's end, by number (None: no span).
    let mut ends: Vec<Option<Nanos>> = vec![None; trace.tasks as usize];
    for s in &trace.spans {
        if let Some(e) = ends.get_mut(s.task as usize) {
            *e = Some(e.map_or(s.end, |e| e.max(s.end)));
        }
    }
    let ends: Vec<Nanos> = ends.into_iter().flatten().collect();
    // (instant, change in unfinished tasks, change in waiting ones)
    let mut edges: Vec<(Nanos, i64, i64)> = ends.iter().map(|&e| (e, -1, 0)).collect();
    for s in trace.spans.iter().filter(|s| s.state == SpanState::Waiting) {
        let until = due(s.task, s.phase, s).clamp(s.start, s.end);
        edges.push((s.start, 0, 1));
        edges.push((until, 0, -1));
    }
    edges.sort_unstable();
    let (mut live, mut waiting) = (ends.len() as i64, 0i64);
    let (mut last, mut busy) = (trace.start, 0);
    for (t, d_live, d_waiting) in edges {
        let t = t.max(last);
        if live > 0 && live > waiting {
            busy += t - last;
        }
        live += d_live;
        waiting += d_waiting;
        last = t;
    }
    busy
}

/// Each task's waits, by task number then phase (`None`: no wait there).
fn waits_of(workload: &Workload, seed: u64) -> Vec<Vec<Option<Nanos>>> {
    workload
        .tasks()
        .map(|t| {
            crate::runner::Steps::new(t.phases, t.group_opts, seed, t.index)
                .map(|s| match s.action {
                    Action::Io(d) => Some(d),
                    _ => None,
                })
                .collect()
        })
        .collect()
}

/// The iterations of each lane's first CPU phase in `trace` (the main lane,
/// or each worker lane): the call a fresh script or worker makes cold.
fn first_calls(trace: &Trace, workload: &Workload, seed: u64, workers: bool) -> Vec<u64> {
    let mut first: Vec<(u16, Nanos, u32, u8)> = Vec::new();
    for s in cpu_spans(trace, workers) {
        match first.iter_mut().find(|f| f.0 == s.lane) {
            Some(f) if s.start < f.1 => *f = (s.lane, s.start, s.task, s.phase),
            Some(_) => {}
            None => first.push((s.lane, s.start, s.task, s.phase)),
        }
    }
    first
        .into_iter()
        .filter_map(|(_, _, task, phase)| {
            let t = workload.tasks().nth(task as usize)?;
            match Steps::new(t.phases, t.group_opts, seed, t.index)
                .nth(usize::from(phase))?
                .action
            {
                Action::Cpu { n, .. } => Some(n),
                _ => None,
            }
        })
        .collect()
}

/// How the workers' CPU time was spent: `profile[n]` is the CPU lane-time
/// (summed over lanes) during which exactly `n` worker lanes held a core at
/// once. A blocking call spinning on a worker holds a core too (as
/// [`crate::cpu::SharedCpu::occupy`] charges it), but adds no CPU time.
pub fn concurrency_profile(trace: &Trace) -> Vec<Nanos> {
    // (instant, change in busy lanes, change in computing lanes)
    let mut edges: Vec<(Nanos, i32, i32)> = trace
        .spans
        .iter()
        .filter(|s| {
            s.lane != MAIN_LANE
                && s.lane != NO_LANE
                && s.state == SpanState::Running
                && matches!(s.kind, PhaseKind::Cpu | PhaseKind::Block)
        })
        .filter(|s| s.end > s.start)
        .flat_map(|s| {
            let cpu = i32::from(s.kind == PhaseKind::Cpu);
            [(s.start, 1, cpu), (s.end, -1, -cpu)]
        })
        .collect();
    // Ends before starts at the same instant: a span that begins where
    // another ends on one lane is not two at once.
    edges.sort_unstable();
    let mut profile = vec![0; 2];
    let (mut busy, mut computing, mut last) = (0i32, 0i32, 0);
    for (t, d_busy, d_cpu) in edges {
        if computing > 0 && t > last {
            let n = busy as usize;
            if profile.len() <= n {
                profile.resize(n + 1, 0);
            }
            profile[n] += (t - last) * computing as Nanos;
        }
        busy += d_busy;
        computing += d_cpu;
        last = t;
    }
    profile
}

/// The single-core time the CPU work of `profile` stands for, at `parallel`
/// (see [`crate::cpu::rate`]): what one worker alone would have spent.
fn solo_time(profile: &[Nanos], cores: u16, parallel: f64) -> f64 {
    profile
        .iter()
        .enumerate()
        .map(|(n, &t)| t as f64 * crate::cpu::rate(cores, parallel, n as u32))
        .sum()
}

/// Least share of the workers' CPU time spent with two or more computing at
/// once for a run to teach the parallel slow-down rather than the
/// single-worker figure.
pub const MIN_PARALLEL_SHARE: f64 = 0.25;
pub use crate::cpu::MAX_PARALLEL;

/// The parallel slow-down at which `profile`'s CPU time does `iterations` at
/// `ns_per_iter` alone: the one figure the run leaves unknown. `None` if it
/// lies beyond [`MAX_PARALLEL`], or if the run was clearly faster than
/// `ns_per_iter` allows.
fn fit_parallel(profile: &[Nanos], cores: u16, iterations: f64, ns_per_iter: f64) -> Option<f64> {
    let want = iterations * ns_per_iter;
    // As fast as one worker alone, with company: no slow-down. Clearly
    // faster: the single figure is stale (the machine is not super-linear),
    // and the run says nothing about the slow-down.
    let unslowed = solo_time(profile, cores, 1.0);
    if unslowed <= want {
        return (unslowed >= 0.95 * want).then_some(1.0);
    }
    if solo_time(profile, cores, MAX_PARALLEL) > want {
        return None;
    }
    let (mut lo, mut hi) = (1.0, MAX_PARALLEL);
    for _ in 0..40 {
        let mid = (lo + hi) / 2.0;
        if solo_time(profile, cores, mid) > want {
            lo = mid;
        } else {
            hi = mid;
        }
    }
    Some((lo + hi) / 2.0)
}

/// Which CPU figure a model's running spans measure (and its predictions of
/// CPU work rest on), and whether it runs in workers.
pub fn cpu_cost_of(model: Model) -> Option<(Cost, bool)> {
    match model {
        Model::Sequential | Model::Loop => Some((Cost::CpuMain, false)),
        Model::Pool | Model::Hybrid | Model::Gil | Model::Free => Some((Cost::CpuWorker, true)),
        Model::Js => Some((Cost::CpuJs, false)),
        Model::JsWorker => Some((Cost::CpuJsWorker, true)),
        Model::Py | Model::PyAsync => Some((Cost::CpuPy, false)),
    }
}

/// Whether a prediction of `workload` under `model` with `cal` rests on a
/// typical CPU figure rather than one measured on this machine: the page
/// labels such predictions provisional (a workload without CPU work does not
/// need the figure).
pub fn is_provisional(cal: &Calibration, model: Model, workload: &Workload) -> bool {
    workload.total_cpu_iterations() > 0
        && cpu_cost_of(model).is_some_and(|(c, _)| cal.provenance(c).origin == Origin::Default)
}

/// Updates `cal` from a measured `trace` of `workload` run with `cfg`, at
/// `at_ms` (epoch ms). Cancelled or failed runs teach nothing and are skipped.
/// Returns the figures it changed.
pub fn refine(
    cal: &mut Calibration,
    trace: &Trace,
    workload: &Workload,
    cfg: &RunConfig,
    at_ms: f64,
) -> Vec<Cost> {
    refine_as(cal, trace, workload, cfg, at_ms, Origin::Run)
}

/// [`refine`], recording the figures as coming from `origin` (a probe is a
/// small real run made for calibration: [`Origin::Probe`]).
pub fn refine_as(
    cal: &mut Calibration,
    trace: &Trace,
    workload: &Workload,
    cfg: &RunConfig,
    at_ms: f64,
    origin: Origin,
) -> Vec<Cost> {
    let mut changed = Vec::new();
    if trace.cancelled || !trace.failures.is_empty() {
        return changed;
    }
    let Some(model) = trace.model else {
        return changed;
    };
    let mut observe = |cal: &mut Calibration, c: Cost, v: f64, samples: u64| {
        if samples > 0 && v.is_finite() {
            cal.observe(c, v, samples, origin, at_ms);
            changed.push(c);
        }
    };

    // CPU per iteration, from the spans that ran CPU phases. On the workers
    // the spans also hold what computing together cost (cores shared, or
    // slowed by each other): a run mostly on one worker at a time teaches
    // the single-worker figure, corrected for the rest by the model's own
    // formula; a run mostly in parallel teaches the parallel slow-down,
    // given the single-worker figure (one run cannot tell both apart).
    if let Some((cost, workers)) = cpu_cost_of(model) {
        let iterations = cpu_iterations(workload, cfg.seed);
        let (time, spans) = cpu_time(trace, workers);
        // Tiny phases measure the clock more than the kernel: a page that is
        // not cross-origin isolated reads time in steps of 0.1 ms, so only
        // runs with enough CPU time, in spans long enough, teach the figure.
        let mean_span = time.checked_div(spans).unwrap_or(0);
        // The JavaScript models' spans also hold each fresh script's (or
        // worker's) warm-up, which the simulation charges apart.
        let js = matches!(model, Model::Js | Model::JsWorker);
        let warmup = if js {
            cal.costs.get(Cost::JsWarmup)
        } else {
            0.0
        };
        if iterations >= 1_000_000 && time >= MIN_CPU_TIME && mean_span >= MIN_MEAN_SPAN {
            // Each context's first, cold call (none outside JavaScript).
            let firsts = if js {
                first_calls(trace, workload, cfg.seed, workers)
            } else {
                Vec::new()
            };
            if !workers {
                if let Some(c) = warm_rate(time as f64, iterations as f64, &firsts, warmup) {
                    observe(cal, cost, c, spans.max(1));
                }
            } else {
                let profile = concurrency_profile(trace);
                // What the spans would have held, warm throughout.
                let warm_share = |solo: f64| {
                    warm_rate(solo, iterations as f64, &firsts, warmup)
                        .map_or(1.0, |c| c * iterations as f64 / solo)
                };
                let together: Nanos = profile.iter().skip(2).sum();
                let parallel = cal.costs.get(Cost::CpuParallel);
                let solo = solo_time(&profile, cfg.cores, parallel);
                let share = warm_share(solo);
                let single = solo * share / iterations as f64;
                if cfg.cores < 2 || (together as f64) < MIN_PARALLEL_SHARE * time as f64 {
                    observe(cal, cost, single, spans.max(1));
                } else if cal.provenance(cost).origin != Origin::Default {
                    // The spans' warm-up is no slow-down of computing together.
                    let warm_profile: Vec<Nanos> = profile
                        .iter()
                        .map(|&t| (t as f64 * share) as Nanos)
                        .collect();
                    if let Some(m) = fit_parallel(
                        &warm_profile,
                        cfg.cores,
                        iterations as f64,
                        cal.costs.get(cost),
                    ) {
                        observe(cal, Cost::CpuParallel, m, spans.max(1));
                    }
                } else if cal.provenance(Cost::CpuParallel).origin != Origin::Default {
                    // The other way round: a single figure never measured
                    // (a page whose JavaScript-worker probe could not run)
                    // is learnt from a parallel run, given the measured
                    // slow-down.
                    observe(cal, cost, single, spans.max(1));
                }
            }
        }
    }

    // A JavaScript task's turns (its start, each wake-up): what the page's
    // thread was busy with beyond the phases' own running. Without it the
    // figure stayed at its typical value, and `3000*[io(10ms),cpu(50k)]`
    // was predicted 15–27 % short, run after run (6 µs a turn here, not 1.5).
    // A limit makes tasks wait for a slot without a span: not learnt then.
    // (Up to 50,000 tasks: the pass sorts every span's ends, and runs on the
    // page's thread at the end of a run.)
    if model == Model::Js && cfg.limit.is_none() && (100..=50_000).contains(&trace.tasks) {
        let turns = trace.tasks
            + trace
                .spans
                .iter()
                .filter(|s| s.state == SpanState::Waiting)
                .count() as u64;
        let work: Nanos = trace
            .spans
            .iter()
            .filter(|s| s.lane == MAIN_LANE && s.state == SpanState::Running)
            .map(|s| s.duration())
            .sum();
        // A wait ends when it is due and its timer fires (timers fire a
        // little late even on an idle page): busy only after that.
        let waits = waits_of(workload, cfg.seed);
        let late = cal.costs.ns(Cost::TimerLate);
        let busy = page_busy_time(trace, |task, phase, s| {
            waits
                .get(task as usize)
                .and_then(|w| w.get(usize::from(phase)).copied().flatten())
                .map_or(s.end, |d| s.start + d + late)
        });
        if busy > work {
            observe(
                cal,
                Cost::JsTask,
                (busy - work) as f64 / turns as f64,
                turns,
            );
        }
    }

    // The JavaScript workers' start: from the run's start to each worker's
    // first job (it is sent once the worker says it is ready).
    if model == Model::JsWorker {
        let mut firsts: Vec<Nanos> = Vec::new();
        for lane in 1..trace.lanes {
            if let Some(first) = trace
                .spans
                .iter()
                .filter(|s| s.lane == lane && s.state != SpanState::Startup)
                .map(|s| s.start)
                .min()
            {
                firsts.push(first.saturating_sub(trace.start));
            }
        }
        if !firsts.is_empty() {
            firsts.sort_unstable();
            let median = firsts[firsts.len() / 2];
            observe(cal, Cost::JsWorkerStart, median as f64, firsts.len() as u64);
        }
    }

    // The loop's own costs, from what its driver measured.
    if let (Model::Loop, Some(d)) = (model, trace.driver) {
        let main_work: Nanos = trace
            .spans
            .iter()
            .filter(|s| s.lane == MAIN_LANE && s.state == SpanState::Running)
            .map(|s| s.duration())
            .sum();
        let polls = d.polls + d.spawns;
        // A poll's cost shows only where polls, not CPU work, fill the slices:
        // beside long CPU spans the subtraction is all noise.
        if polls >= 100 && d.busy > main_work && main_work * 2 < d.busy {
            observe(
                cal,
                Cost::Poll,
                (d.busy - main_work) as f64 / polls as f64,
                polls,
            );
        }
        if d.hops > 0 {
            observe(cal, Cost::Hop, d.hop_time as f64 / d.hops as f64, d.hops);
        }
        if d.timers > 0 {
            observe(
                cal,
                Cost::TimerLate,
                d.timer_late as f64 / d.timers as f64,
                d.timers,
            );
        }
    }

    // The GIL in shared memory: each hand-off shows in the trace as the gap
    // between the holder's letting go and the waiter's running.
    if model == Model::Gil && cfg.shared_memory {
        let (median, count) = gil_handoffs(trace, cfg.switch_interval);
        if count > 0 {
            observe(cal, Cost::GilHandoff, median as f64, count);
        }
    }

    // Whatever the runtime measured directly (job round trips, GIL messages, probes).
    for o in &trace.observed {
        if o.count > 0 && !(o.cost == Cost::Dispatch && oversubscribed(trace, cfg)) {
            observe(cal, o.cost, o.total / o.count as f64, o.count);
        }
    }
    changed
}

/// The hand-offs of a GIL in shared memory in `trace`: (the median one, how
/// many). A hand-off is a wait for the GIL during which its holder let it go,
/// from that release to the wait's end. A thread lets the GIL go where its
/// running ends and where it begins to wait on I/O (a thread that takes the
/// GIL only to start a wait leaves no running span); one thread runs at a time
/// under the GIL, so the last release on another lane before the wait ends is
/// the holder's. A wait that began after that release found the lock free:
/// no hand-off. The median, and only gaps within a switch interval: each end
/// of a gap is read on another worker's clock, and the two may be tens of µs
/// apart.
pub fn gil_handoffs(trace: &Trace, switch: Nanos) -> (Nanos, u64) {
    let mut releases: Vec<(Nanos, u16)> = trace
        .spans
        .iter()
        .filter(|s| s.lane != MAIN_LANE && s.lane != NO_LANE)
        .filter_map(|s| match s.state {
            SpanState::Running => Some((s.end, s.lane)),
            SpanState::Waiting => Some((s.start, s.lane)),
            _ => None,
        })
        .collect();
    releases.sort_unstable();
    let mut gaps: Vec<Nanos> = trace
        .spans
        .iter()
        .filter(|s| s.state == SpanState::GilBlocked && s.end > s.start)
        .filter_map(|wait| {
            let before = &releases[..releases.partition_point(|&(t, _)| t <= wait.end)];
            let (released, _) = *before
                .iter()
                .rev()
                .take_while(|&&(t, _)| t >= wait.start)
                .find(|&&(_, lane)| lane != wait.lane)?;
            Some(wait.end - released)
        })
        .filter(|&gap| gap <= switch)
        .collect();
    if gaps.is_empty() {
        return (0, 0);
    }
    let mid = gaps.len() / 2;
    let (_, median, _) = gaps.select_nth_unstable(mid);
    (*median, gaps.len() as u64)
}

/// Whether a run computed on more workers at once than there are cores for
/// more than a tenth of its CPU time. A job's round trip beyond its own work
/// then also holds its waits for a core (the worker is handed its message, or
/// finishes, while the other workers hold every core), which the simulation
/// already charges as shared CPU ([`crate::cpu::SharedCpu`]): learnt as
/// dispatch, 4 workers computing on 2 cores read 5–6 ms a job, and the next
/// prediction of `4*cpu(20M)` on free threads doubled (14.6 → 30.6 ms, for
/// 16.4 measured).
fn oversubscribed(trace: &Trace, cfg: &RunConfig) -> bool {
    let profile = concurrency_profile(trace);
    let total: Nanos = profile.iter().sum();
    let over: Nanos = profile.iter().skip(usize::from(cfg.cores.max(1)) + 1).sum();
    over.saturating_mul(10) > total
}

/// A figure the runtime measured directly during a run: `total` over `count`
/// occurrences (for example 40 job round trips totalling 3.1 ms).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Observation {
    /// Which figure.
    pub cost: Cost,
    /// Sum of the measured values, in the figure's unit (ns).
    pub total: f64,
    /// How many were measured.
    pub count: u64,
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::costs::Costs;
    use crate::sim::simulate;

    #[test]
    fn cpu_iterations_apply_jitter_like_the_run() {
        let w: Workload = "3*cpu(1M)+2*[io(1ms),cpu(500k)]".parse().unwrap();
        assert_eq!(cpu_iterations(&w, 1), 4_000_000);
        let j: Workload = "10*cpu(1M,jitter=50)".parse().unwrap();
        assert_ne!(cpu_iterations(&j, 1), 10_000_000);
    }

    #[test]
    fn cpu_iterations_match_every_task_drawn_one_by_one() {
        // The shortcut for groups without jitter, and the jittered groups
        // after it, keep their global task indices (so their draws).
        for text in [
            "4*io(1ms)+3*[cpu(1M),io(2ms,jitter=30),cpu(2k)]+5*cpu(300k,jitter=20)",
            "2*[io(1ms),cpu(7)]{jitter=40}+6*cpu(5)+1*[cpu(9),cpu(1M,jitter=0)]{jitter=50}",
        ] {
            let w: Workload = text.parse().unwrap();
            for seed in [1, 7] {
                let drawn: u128 = w
                    .tasks()
                    .flat_map(|t| crate::runner::steps(t.phases, t.group_opts, seed, t.index))
                    .filter_map(|s| {
                        if let Action::Cpu { n, .. } = s.action {
                            Some(u128::from(n))
                        } else {
                            None
                        }
                    })
                    .sum();
                assert_eq!(cpu_iterations(&w, seed), drawn, "{text} seed {seed}");
            }
        }
    }

    #[test]
    fn a_simulated_run_teaches_back_the_costs_it_was_made_with() {
        // A prediction is a trace like any other: refining from it must give
        // back the figures that made it.
        let w: Workload = "20*[io(2ms),cpu(1M)]".parse().unwrap();
        let truth = Costs::default()
            .with(Cost::CpuMain, 1.7)
            .with(Cost::Poll, 900.0)
            .with(Cost::Hop, 70_000.0)
            .with(Cost::TimerLate, 250_000.0);
        let cfg = RunConfig::new(Model::Loop);
        let t = simulate(&w, &cfg, &truth);
        let mut cal = Calibration::default();
        let changed = refine(&mut cal, &t, &w, &cfg, 1.0);
        assert!(changed.contains(&Cost::CpuMain) && changed.contains(&Cost::TimerLate));
        assert!((cal.costs.get(Cost::CpuMain) - 1.7).abs() < 1e-9);
        assert!((cal.costs.get(Cost::TimerLate) - 250_000.0).abs() < 1.0);
        // Beside that much CPU a poll's cost is noise: it is left alone...
        assert!(!changed.contains(&Cost::Poll));
        // ...and learned where polls fill the slices: what they spent beyond the CPU spans, per poll.
        let many: Workload = "2000*io(1ms)".parse().unwrap();
        let t = simulate(&many, &cfg, &truth);
        assert!(refine(&mut cal, &t, &many, &cfg, 1.5).contains(&Cost::Poll));
        assert!(
            (cal.costs.get(Cost::Poll) / 900.0 - 1.0).abs() < 0.01,
            "{}",
            cal.costs.get(Cost::Poll)
        );

        // One worker: the single-worker figure.
        let pool_cfg = RunConfig {
            workers: 1,
            cores: 2,
            ..RunConfig::new(Model::Pool)
        };
        let t = simulate(
            &"8*cpu(2M)".parse().unwrap(),
            &pool_cfg,
            &truth.clone().with(Cost::CpuWorker, 0.9),
        );
        refine(&mut cal, &t, &"8*cpu(2M)".parse().unwrap(), &pool_cfg, 2.0);
        assert!((cal.costs.get(Cost::CpuWorker) - 0.9).abs() < 1e-9);
    }

    #[test]
    fn parallel_runs_teach_the_slow_down_and_lone_workers_the_single_figure() {
        // The machine: 0.8 ns an iteration alone, 1.4× slower with both cores busy.
        let truth = Costs::cpu_only(0.8).with(Cost::CpuParallel, 1.4);
        let mut cal = Calibration::default();
        cal.observe(Cost::CpuWorker, 0.8, 3, Origin::Probe, 1.0);
        let two = RunConfig {
            workers: 2,
            cores: 2,
            ..RunConfig::new(Model::Free)
        };
        let w: Workload = "4*cpu(20M)".parse().unwrap();
        let t = simulate(&w, &two, &truth);
        let profile = concurrency_profile(&t);
        assert_eq!(
            profile.iter().sum::<Nanos>(),
            profile[2],
            "both lanes compute all along: {profile:?}"
        );
        let changed = refine(&mut cal, &t, &w, &two, 2.0);
        assert!(
            changed.contains(&Cost::CpuParallel) && !changed.contains(&Cost::CpuWorker),
            "{changed:?}"
        );
        assert!(
            (cal.costs.get(Cost::CpuParallel) - 1.4).abs() < 1e-3,
            "{}",
            cal.costs.get(Cost::CpuParallel)
        );
        // Four workers on two cores: each gets half a core, slowed; the same figure.
        let four = RunConfig {
            workers: 4,
            cores: 2,
            ..RunConfig::new(Model::Pool)
        };
        let t = simulate(&w, &four, &truth);
        refine(&mut cal, &t, &w, &four, 3.0);
        assert!(
            (cal.costs.get(Cost::CpuParallel) - 1.4).abs() < 1e-3,
            "{}",
            cal.costs.get(Cost::CpuParallel)
        );
        // A worker spinning in a blocking call holds a core: the other's CPU
        // span beside it counts as two at once, not alone.
        let spin: Workload = "1*block(30ms)+1*cpu(20M)".parse().unwrap();
        let pool_two = RunConfig {
            workers: 2,
            cores: 2,
            ..RunConfig::new(Model::Pool)
        };
        let p = concurrency_profile(&simulate(&spin, &pool_two, &truth));
        assert_eq!((p[1], p[2]), (0, 22_400_000), "{p:?}");
        // One worker at a time (a GIL): the single figure, untouched by the slow-down.
        let gil = RunConfig {
            workers: 2,
            cores: 2,
            ..RunConfig::new(Model::Gil)
        };
        let t = simulate(&w, &gil, &truth.clone().with(Cost::CpuWorker, 0.7));
        let changed = refine(&mut cal, &t, &w, &gil, 4.0);
        assert!(
            changed.contains(&Cost::CpuWorker) && !changed.contains(&Cost::CpuParallel),
            "{changed:?}"
        );
        let blended = cal.costs.get(Cost::CpuWorker);
        assert!(
            (0.7..0.75).contains(&blended),
            "blended, the run weighing at least half: {blended}"
        );
    }

    #[test]
    fn a_parallel_run_teaches_a_single_figure_never_measured_given_the_slow_down() {
        // JavaScript workers: 1.5 ns an iteration alone, 1.4x slower together;
        // the slow-down was probed (on our workers), their figure never.
        let truth = Costs::default()
            .with(Cost::CpuJsWorker, 1.5)
            .with(Cost::CpuParallel, 1.4);
        let mut cal = Calibration::default();
        cal.observe(Cost::CpuParallel, 1.4, 3, Origin::Probe, 1.0);
        let cfg = RunConfig {
            workers: 2,
            cores: 2,
            ..RunConfig::new(Model::JsWorker)
        };
        let w: Workload = "4*cpu(20M)".parse().unwrap();
        let changed = refine(&mut cal, &simulate(&w, &cfg, &truth), &w, &cfg, 2.0);
        assert!(changed.contains(&Cost::CpuJsWorker), "{changed:?}");
        let got = cal.costs.get(Cost::CpuJsWorker);
        assert!((got - 1.5).abs() < 0.02, "{got}");
    }

    #[test]
    fn javascript_runs_teach_the_warm_figure_and_the_workers_start() {
        // Each fresh script or worker loses 15 ms to its warm-up; the
        // workers take 30 ms to start. A run teaches the warm figure (the
        // warm-up is charged apart) and the start, so that the next
        // prediction of another size is right too.
        let truth = Costs::default()
            .with(Cost::CpuJs, 0.7)
            .with(Cost::CpuJsWorker, 0.8)
            .with(Cost::JsWarmup, 15_000_000.0)
            .with(Cost::JsWorkerStart, 30_000_000.0);
        let mut cal = Calibration::default();
        cal.observe(Cost::JsWarmup, 15_000_000.0, 1, Origin::Probe, 1.0);
        cal.observe(Cost::CpuParallel, 1.0, 1, Origin::Probe, 1.0);
        let w: Workload = "16*[io(20ms),cpu(5M)]".parse().unwrap();
        for model in [Model::Js, Model::JsWorker] {
            let cfg = RunConfig {
                workers: 2,
                cores: 2,
                ..RunConfig::new(model)
            };
            refine(&mut cal, &simulate(&w, &cfg, &truth), &w, &cfg, 2.0);
        }
        let (js, jsw) = (cal.costs.get(Cost::CpuJs), cal.costs.get(Cost::CpuJsWorker));
        assert!((js - 0.7).abs() < 0.01, "{js}");
        assert!((jsw - 0.8).abs() < 0.01, "{jsw}");
        let start = cal.costs.get(Cost::JsWorkerStart);
        assert!((start - 30e6).abs() < 1e6, "{start}");
        let other: Workload = "4*cpu(30M)".parse().unwrap();
        for model in [Model::Js, Model::JsWorker] {
            let cfg = RunConfig {
                workers: 2,
                cores: 2,
                ..RunConfig::new(model)
            };
            let (want, got) = (
                simulate(&other, &cfg, &truth).wall() as f64,
                simulate(&other, &cfg, &cal.costs).wall() as f64,
            );
            assert!(
                (got / want - 1.0).abs() < 0.02,
                "{model:?}: {got} for {want}"
            );
        }
    }

    #[test]
    fn a_javascript_run_teaches_the_cost_of_a_task_s_turn() {
        let truth = Costs::default()
            .with(Cost::CpuJs, 0.7)
            .with(Cost::JsTask, 6_000.0);
        let cfg = RunConfig::new(Model::Js);
        let w: Workload = "3000*[io(10ms),cpu(50k)]".parse().unwrap();
        let mut cal = Calibration::default();
        cal.observe(Cost::CpuJs, 0.7, 1, Origin::Probe, 1.0);
        let changed = refine(&mut cal, &simulate(&w, &cfg, &truth), &w, &cfg, 2.0);
        assert!(changed.contains(&Cost::JsTask), "{changed:?}");
        let got = cal.costs.get(Cost::JsTask);
        assert!((got - 6_000.0).abs() < 300.0, "{got}");
        // Too few tasks, or a limit (tasks wait for a slot unseen): not learnt.
        for (w, limit) in [
            ("50*[io(10ms),cpu(50k)]", None),
            ("3000*[io(10ms),cpu(50k)]", Some(10)),
        ] {
            let w: Workload = w.parse().unwrap();
            let cfg = RunConfig {
                limit,
                ..RunConfig::new(Model::Js)
            };
            let changed = refine(
                &mut Calibration::default(),
                &simulate(&w, &cfg, &truth),
                &w,
                &cfg,
                2.0,
            );
            assert!(!changed.contains(&Cost::JsTask), "{w}: {changed:?}");
        }
    }

    #[test]
    fn the_page_is_busy_except_while_every_task_waits() {
        let span = |task, state, start, end| Span {
            task,
            lane: MAIN_LANE,
            phase: 0,
            kind: PhaseKind::Cpu,
            state,
            start,
            end,
        };
        let trace = Trace {
            start: 0,
            tasks: 2,
            spans: vec![
                span(0, SpanState::Waiting, 1, 10),
                span(1, SpanState::Waiting, 2, 12),
                span(0, SpanState::Running, 11, 13),
                span(1, SpanState::Running, 14, 16),
            ],
            ..Trace::default()
        };
        // Busy 0–2 (starting the tasks), idle 2–10 (both wait), busy 10–16
        // (task 0 ready from 10, task 1 from 12, until the last ends).
        assert_eq!(page_busy_time(&trace, |_, _, s| s.end), 2 + 6);
        // Waits due 6 after they began (task 0's at 7, task 1's at 8; their
        // tasks ran later because the page was busy): busy from 7 on.
        assert_eq!(page_busy_time(&trace, |_, _, s| s.start + 6), 2 + 9);
    }

    #[test]
    fn a_fresh_script_pays_its_warm_up_once_and_each_fresh_worker_its_own() {
        let costs = Costs::zero()
            .with(Cost::CpuJs, 1.0)
            .with(Cost::CpuJsWorker, 1.0)
            .with(Cost::JsWarmup, 10_000_000.0)
            .with(Cost::JsWorkerStart, 20_000_000.0);
        let w: Workload = "4*cpu(5M)".parse().unwrap();
        // The page: 20 ms warm, and 10 ms lost once (cold code runs 5× slower
        // for the first 2.5 M iterations).
        let js = simulate(&w, &RunConfig::new(Model::Js), &costs);
        assert_eq!(js.wall(), 30_000_000);
        // Two workers, each started (20 ms), each warming up (10 ms), each
        // computing two tasks (10 ms).
        let cfg = RunConfig {
            workers: 2,
            cores: 2,
            ..RunConfig::new(Model::JsWorker)
        };
        assert_eq!(simulate(&w, &cfg, &costs).wall(), 40_000_000);
    }

    #[test]
    fn the_slow_down_needs_a_measured_single_figure_and_cancelled_runs_teach_nothing() {
        let w: Workload = "8*cpu(2M)".parse().unwrap();
        let cfg = RunConfig {
            workers: 4,
            cores: 2,
            ..RunConfig::new(Model::Pool)
        };
        let t = simulate(&w, &cfg, &Costs::default().with(Cost::CpuParallel, 1.5));
        let mut cal = Calibration::default();
        let changed = refine(&mut cal, &t, &w, &cfg, 1.0);
        assert!(
            !changed.contains(&Cost::CpuWorker) && !changed.contains(&Cost::CpuParallel),
            "{changed:?}"
        );
        let mut c = t.clone();
        c.cancelled = true;
        assert!(refine(&mut cal, &c, &w, &cfg, 1.0).is_empty());
    }

    #[test]
    fn round_trips_of_more_workers_computing_than_cores_teach_no_dispatch_cost() {
        let learnt = |w: &str, workers: u16| {
            let w: Workload = w.parse().unwrap();
            let cfg = RunConfig {
                workers,
                cores: 2,
                ..RunConfig::new(Model::Pool)
            };
            let mut trace = simulate(&w, &cfg, &Costs::cpu_only(1.0));
            trace.observed = vec![
                Observation {
                    cost: Cost::Dispatch,
                    total: 24_000_000.0,
                    count: 4,
                },
                Observation {
                    cost: Cost::GilMessage,
                    total: 1_200_000.0,
                    count: 4,
                },
            ];
            let mut cal = Calibration::default();
            refine(&mut cal, &trace, &w, &cfg, 1.0);
            (
                cal.provenance(Cost::Dispatch).origin,
                cal.provenance(Cost::GilMessage).origin,
            )
        };
        // As many computing as there are cores: the round trips are dispatch.
        assert_eq!(learnt("4*cpu(1M)", 2), (Origin::Run, Origin::Run));
        // More workers than cores, but only waiting: still dispatch.
        assert_eq!(learnt("4*io(1ms)", 4), (Origin::Run, Origin::Run));
        // Four computing on two cores: the round trips held waits for a core.
        // (The GIL's messages are one thread at a time: still learnt.)
        assert_eq!(learnt("4*cpu(1M)", 4), (Origin::Default, Origin::Run));
    }

    #[test]
    fn the_shared_memory_gils_hand_off_cost_is_learnt_back_from_its_trace() {
        // Simulated with a hand-off of 300 µs, the trace teaches 300 µs to a
        // calibration that assumed the default.
        let w: Workload = "4*cpu(20M)".parse().unwrap();
        let cfg = RunConfig {
            workers: 4,
            cores: 2,
            ..RunConfig::new(Model::Gil)
        };
        let costs = Costs::cpu_only(0.4).with(Cost::GilHandoff, 300_000.0);
        let trace = simulate(&w, &cfg, &costs);
        let (median, count) = gil_handoffs(&trace, cfg.switch_interval);
        assert!(count >= 3, "{count} hand-offs");
        assert_eq!(median, 300_000);
        // Threads that take the GIL only to start a wait, beside CPU-bound
        // ones: each wait's start is a release too.
        let mixed: Workload = "2*[io(1ms),cpu(5M),io(1ms),io(2ms)]+2*cpu(20M)"
            .parse()
            .unwrap();
        let (median, count) = gil_handoffs(&simulate(&mixed, &cfg, &costs), cfg.switch_interval);
        assert!(count >= 3, "{count} hand-offs");
        assert_eq!(median, 300_000);
        let mut cal = Calibration::default();
        refine(&mut cal, &trace, &w, &cfg, 1.0);
        assert_eq!(cal.provenance(Cost::GilHandoff).origin, Origin::Run);
        assert!((cal.costs.get(Cost::GilHandoff) - 300_000.0).abs() < 1.0);
        // Free threads, and the GIL by messages, have no such hand-off.
        for cfg in [
            RunConfig {
                model: Model::Free,
                ..cfg.clone()
            },
            RunConfig {
                shared_memory: false,
                ..cfg.clone()
            },
        ] {
            let mut cal = Calibration::default();
            refine(&mut cal, &simulate(&w, &cfg, &costs), &w, &cfg, 1.0);
            assert_eq!(cal.provenance(Cost::GilHandoff).origin, Origin::Default);
        }
    }

    #[test]
    fn a_prediction_is_provisional_until_its_models_cpu_figure_is_measured() {
        let cpu: Workload = "4*cpu(1M)".parse().unwrap();
        let waits: Workload = "4*io(10ms)".parse().unwrap();
        let mut cal = Calibration::default();
        assert!(is_provisional(&cal, Model::Loop, &cpu));
        assert!(is_provisional(&cal, Model::Pool, &cpu));
        // Waits need no CPU figure.
        assert!(!is_provisional(&cal, Model::Loop, &waits));
        cal.observe(Cost::CpuMain, 1.1, 5, Origin::Probe, 1.0);
        assert!(!is_provisional(&cal, Model::Loop, &cpu));
        assert!(!is_provisional(&cal, Model::Sequential, &cpu));
        // The workers' figure is its own.
        assert!(is_provisional(&cal, Model::Pool, &cpu));
        cal.observe(Cost::CpuWorker, 1.0, 5, Origin::Probe, 1.0);
        assert!(!is_provisional(&cal, Model::Hybrid, &cpu));
        assert!(is_provisional(&cal, Model::Js, &cpu));
    }
}
