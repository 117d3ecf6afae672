//! The equivalent JavaScript program for a workload, in two flavours: on the
//! page's own event loop (model `js`) and in plain Web Workers (model
//! `jsworker`). Like the [`crate::python`] programs, each is ready to copy: pasted
//! into a browser's console it prints `wall: X ms`, `checksum: N` (the exact
//! Σi² total, the number the playground shows) and, when the workload has
//! `incr` phases, `counter: C of N`. The event-loop flavour also runs under
//! `node`; the workers flavour needs a browser's `Worker`.
//!
//! The playground runs the very same text and gets the results back.
//!
//! # Runtime contract
//!
//! When it starts, the program reads two globals, both optional:
//!
//! - `globalThis.nogilSignal`: an `AbortSignal`. Once aborted, every phase
//!   that has not started yet is skipped (each task checks between phases),
//!   sleeping tasks wake at once, and the workers flavour terminates its
//!   workers. A CPU phase or a blocking wait already running on the page's
//!   thread cannot be interrupted (the abort cannot even be delivered until it
//!   returns).
//! - `globalThis.nogilReport`: a function, called exactly once at the end,
//!   with either the result below or, if the run failed (say a page whose
//!   Content-Security-Policy forbids `blob:` workers), `{ error: "message" }`.
//!
//! And it sets one: `globalThis.nogilSpans`, its timeline array (the
//! result's `spans`, below) as it grows, which the playground reads while
//! the run goes on to draw it live.
//!
//! The program is an async arrow function called at once, so evaluating the
//! text (`eval`, `new Function`, a `<script>`) also yields a promise of the
//! same result (it rejects on failure). The result:
//!
//! - `model`: `"js"` or `"jsworker"`;
//! - `wallMs`, `startMs`, `endMs`: the run on the page's `performance.now()`
//!   clock, in ms (`wallMs = endMs - startMs`); for workers, `startMs` is
//!   before the workers are created, so the wall time includes their start-up;
//! - `checksum`: Σ of every CPU phase that ran, exactly, as a decimal string;
//! - `counter`: the shared counter's final value; `increments`: how many
//!   `incr` phases ran (`increments - counter` updates were lost to a race);
//! - `spans`: `[task, phase, state, startMs, endMs, lane]` arrays: `task` the
//!   global task index (workload order, group by group, from 0), `phase` the
//!   phase's index in its recipe, `state` one of `"running"` (cpu, block, an
//!   incr without a gap), `"waiting"` (io, an incr with a gap) or `"transfer"`
//!   (workers: from posting a task until the worker starts it, tagged with the
//!   first phase it runs; from its end until the page has the answer, tagged
//!   with the last), times on the page's `performance.now()` clock, `lane` 0
//!   for the page's thread, `1..=N` for worker N, `null` for a wait on the
//!   page's event loop (nothing runs). Worker times are taken as
//!   `performance.timeOrigin + performance.now()` in the worker, converted by
//!   subtracting the page's `performance.timeOrigin`, and clamped into
//!   [posted, answered] (two threads' clocks may disagree by a few µs);
//! - `lanes`: 1 (the page's thread) plus the workers;
//! - `cancelled`: whether `nogilSignal` was aborted.
//!
//! Jitter is drawn exactly as `engine::runner::steps` draws it: the same
//! SplitMix64 stream per task ([`crate::task_rng`]) and the same
//! [`crate::jitter`] formula, ported to JavaScript with BigInt for the 64-bit
//! arithmetic, phase by phase in recipe order, for io, cpu and block. Without
//! jitter, the program has no random number code at all.

use std::fmt::Write;

use crate::ast::{Group, IncrMode, Nanos, Options, Phase, Workload};
use crate::rng::phase_jitter_pct;

/// Which JavaScript concurrency style to generate.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum JsFlavour {
    /// Every task an `async function` on the page's own event loop.
    EventLoop,
    /// The tasks in N Web Workers, one task per worker at a time.
    Workers,
}

impl JsFlavour {
    /// Both, in tab order.
    pub const ALL: [JsFlavour; 2] = [JsFlavour::EventLoop, JsFlavour::Workers];

    /// A short name for people.
    pub fn name(self) -> &'static str {
        match self {
            JsFlavour::EventLoop => "event loop",
            JsFlavour::Workers => "workers",
        }
    }

    /// The playground model that runs this flavour (`engine::Model`'s name).
    pub fn model_id(self) -> &'static str {
        match self {
            JsFlavour::EventLoop => "js",
            JsFlavour::Workers => "jsworker",
        }
    }
}

/// `n` with `_` between groups of three digits: `10_000_000`.
fn int(n: u64) -> String {
    crate::units::group_digits(n, '_')
}

/// `ns` in ms, exactly, as a JavaScript number literal: `200`, `0.25`, `1_500.000001`.
fn ms(ns: Nanos) -> String {
    let (whole, frac) = (ns / 1_000_000, ns % 1_000_000);
    if frac == 0 {
        int(whole)
    } else {
        let frac = format!("{frac:06}");
        format!("{}.{}", int(whole), frac.trim_end_matches('0'))
    }
}

/// `text` with every non-empty line indented by `by` spaces.
fn indent(text: &str, by: usize) -> String {
    let pad = " ".repeat(by);
    text.lines()
        .map(|l| {
            if l.is_empty() {
                "\n".to_string()
            } else {
                format!("{pad}{l}\n")
            }
        })
        .collect()
}

/// `text` as `//` comment lines of at most about 110 characters; a `~` is a
/// space that does not break.
fn comment(text: &str) -> String {
    let mut out = String::new();
    let mut line = String::from("//");
    for word in text.split_whitespace() {
        if line.len() > 2 && line.chars().count() + 1 + word.chars().count() > 110 {
            out.push_str(&line);
            out.push('\n');
            line = String::from("//");
        }
        line.push(' ');
        line.push_str(&word.replace('~', " "));
    }
    out.push_str(&line);
    out.push('\n');
    out
}

/// The call that runs phase `index` of `g`, as a statement. On the page the
/// helpers take the task first; in a worker they need no task.
fn phase_call(g: &Group, index: usize, in_worker: bool) -> String {
    let p = &g.phases[index];
    let pct = phase_jitter_pct(p, g);
    let head = if in_worker {
        format!("{index}")
    } else {
        format!("task, {index}")
    };
    let dur = |d: Nanos| {
        if pct > 0 {
            format!("ms(jitter({}n, {pct}, rng))", int(d))
        } else {
            ms(d)
        }
    };
    match p {
        Phase::Io { dur: d, .. } => format!("await io({head}, {});", dur(*d)),
        Phase::Cpu { n, .. } => {
            let n = if pct > 0 { format!("Number(jitter({}n, {pct}, rng))", int(*n)) } else { int(*n) };
            format!("sum += cpu({head}, {n});")
        }
        Phase::Block { dur: d, .. } => format!("block({head}, {});", dur(*d)),
        Phase::Incr { mode, .. } => match mode {
            IncrMode::Plain => format!("await incr({head});"),
            IncrMode::Atomic => format!("await incr({head}); // atomic: nothing can come between a read and a write without an await"),
            IncrMode::Await => format!("await incr({head}, 0);"),
            IncrMode::AwaitFor(d) => format!("await incr({head}, {});", ms(*d)),
        },
    }
}

/// The body of one task function: the calls for the phases `keep` selects, then the sum.
fn task_body(g: &Group, in_worker: bool, keep: impl Fn(&Phase) -> bool) -> String {
    let mut o = String::new();
    let kept: Vec<usize> = (0..g.phases.len())
        .filter(|&i| keep(&g.phases[i]))
        .collect();
    if kept.iter().any(|&i| phase_jitter_pct(&g.phases[i], g) > 0) {
        o.push_str("const rng = taskRng(task);\n");
    }
    let has_cpu = kept
        .iter()
        .any(|&i| matches!(g.phases[i], Phase::Cpu { .. }));
    if has_cpu {
        o.push_str("let sum = 0n;\n");
    }
    for &i in &kept {
        o.push_str(&phase_call(g, i, in_worker));
        o.push('\n');
    }
    o.push_str(if has_cpu {
        "return sum;\n"
    } else {
        "return 0n;\n"
    });
    o
}
// The fixed parts of the programs, as JavaScript at the left margin; `indent`
// moves them to their place. `@NAME@` marks what `program` fills in.

const RNG: &str = r#"// Jitter, drawn exactly as the playground draws it: from the run's seed, one SplitMix64 stream per task,
// with the 64-bit arithmetic in BigInt (plain numbers are exact only up to 2⁵³).
const SEED = @SEED@n;
function splitMix64(state) {
  return () => {
    state = BigInt.asUintN(64, state + 0x9e3779b97f4a7c15n);
    let z = state;
    z = BigInt.asUintN(64, (z ^ (z >> 30n)) * 0xbf58476d1ce4e5b9n);
    z = BigInt.asUintN(64, (z ^ (z >> 27n)) * 0x94d049bb133111ebn);
    return z ^ (z >> 31n);
  };
}
// Task `task`'s own stream, so its jitter never depends on the order in which the tasks run.
function taskRng(task) {
  const mix = splitMix64(SEED ^ BigInt.asUintN(64, BigInt(task) * 0xd1b54a32d192ed03n));
  return splitMix64(mix());
}
// `value` (whole ns or iterations) moved by a uniform integer in ±⌊value·pct/100⌋ (no draw if that is 0).
function jitter(value, pct, rng) {
  const spread = (value * BigInt(pct)) / 100n;
  if (spread === 0n) return value;
  const wide = (rng() << 64n) | rng(); // 128 random bits: their remainder is uniform to within 2⁻⁶²
  return value - spread + (wide % (2n * spread + 1n));
}
const ms = (ns) => Number(ns) / 1e6; // whole ns to ms
"#;

/// The programs' Σi² kernel, `function sumSquares(n)` (returns a BigInt):
/// the page times it at start-up to predict the JavaScript models.
pub fn kernel() -> &'static str {
    SUM_SQUARES
}

const SUM_SQUARES: &str = r#"// Σ i² for 0 ≤ i < n, exactly, as a BigInt: the checksum must match the playground's to the last digit.
// Plain numbers (doubles) are exact only up to 2⁵³, which i² passes at i ≈ 9.5 × 10⁷ (the sum far sooner),
// and BigInt arithmetic in the loop is ~50× slower. So split i = h·65536 + l with 0 ≤ l < 65536:
// i² = h²·2³² + hl·2¹⁷ + l². For one h at a time the loop adds up l² and l as doubles (the sums stay below
// 2⁴⁸ and 2³², so they are exact); then the block, count·h²·2³² + (Σl)·h·2¹⁷ + Σl², goes into a BigInt,
// once per 65536 i. As fast as an inexact `s += i * i`, and exact for every n below 2⁵³.
function sumSquares(n) {
  let total = 0n;
  for (let h = 0; h * 65536 < n; h++) {
    const count = Math.min(n - h * 65536, 65536);
    let squares = 0;
    let sum = 0;
    for (let l = 0; l < count; l++) {
      squares += l * l;
      sum += l;
    }
    const H = BigInt(h);
    total += ((BigInt(count) * H * H) << 32n) + ((BigInt(sum) * H) << 17n) + BigInt(squares);
  }
  return total;
}
"#;

/// The page's globals and shared state, for both flavours.
const PAGE_STATE: &str = r#"// Set by the playground before it runs this text; a console has neither.
const report = globalThis.nogilReport; // called once, with the results (see the end)
const signal = globalThis.nogilSignal; // an AbortSignal that cancels the run
const cancelled = () => signal?.aborted === true;
const onCancel = new Set(); // what to call on a cancel: @ON_CANCEL@
signal?.addEventListener("abort", () => onCancel.forEach((f) => f()), { once: true });
// The timeline: [task, phase, state, startMs, endMs, lane], by performance.now() (ms). Lane 0 is the
// page's thread@LANES@
const spans = [];
globalThis.nogilSpans = spans; // the playground reads it while the run goes on, to draw it live
"#;

/// `sleep` on the page: a cancel wakes it at once.
const PAGE_SLEEP: &str = r#"// Waits at least `ms` by performance.now(), letting other tasks run; a cancel wakes it at once. setTimeout
// takes whole ms and may fire a little early by this clock (timers keep their own), so it rounds up and
// sleeps again for whatever is left: a wait never ends early.
async function sleep(ms) {
  const due = performance.now() + ms;
  while (performance.now() < due && !cancelled()) {
    await new Promise((resolve) => {
      const wake = () => (clearTimeout(timer), onCancel.delete(wake), resolve());
      const timer = setTimeout(wake, Math.ceil(due - performance.now()));
      onCancel.add(wake);
    });
  }
}
"#;

const PAGE_PHASES: &str = r#"// The phases. Each records its span, and does nothing once the run is cancelled, so a cancelled task
// runs to its end at once. `phase` is the phase's place in its task's recipe, from 0.
"#;

const PAGE_IO: &str = r#"async function io(task, phase, ms) { // a wait that lets other tasks run, like `await asyncio.sleep`
  if (cancelled()) return;
  const start = performance.now();
  await sleep(ms);
  spans.push([task, phase, "waiting", start, performance.now(), null]);
}
"#;

const PAGE_CPU: &str = r#"function cpu(task, phase, n) { // one synchronous call: nothing else runs on the page meanwhile
  if (cancelled()) return 0n;
  const start = performance.now();
  const sum = sumSquares(n);
  spans.push([task, phase, "running", start, performance.now(), 0]);
  return sum;
}
"#;

const PAGE_BLOCK: &str = r#"function block(task, phase, ms) { // a blocking call (time.sleep in async code): the whole page waits
  if (cancelled()) return;
  const start = performance.now();
  while (performance.now() < start + ms); // a busy wait
  spans.push([task, phase, "running", start, performance.now(), 0]);
}
"#;

const INCR: &str = r#"// Reads the shared counter, waits `gap` (undefined: not at all; 0: one turn of the event loop, like
// `await asyncio.sleep(0)`; else that many ms), then writes back what it read plus one: an update another
// task made during the gap is lost.
async function incr(task, phase, gap) {
  if (cancelled()) return;
  const start = performance.now();
  const value = counter;
  if (gap === 0) await new Promise((resolve) => setTimeout(resolve, 0));
  else if (gap !== undefined) await sleep(gap);
  counter = value + 1;
  increments++;
  const [state, lane] = gap === undefined ? ["running", 0] : ["waiting", null];
  spans.push([task, phase, state, start, performance.now(), lane]);
}
"#;

const LIMIT: &str = r#"
// At most @LIMIT@ tasks at a time, like asyncio.Semaphore(@LIMIT@): the others wait for a permit, in order.
let permits = @LIMIT@;
const waiting = [];
let served = 0;
async function limited(run, task) {
  if (permits > 0) permits--;
  else await new Promise((resolve) => waiting.push(resolve));
  try {
    return await run(task);
  } finally {
    if (served < waiting.length) waiting[served++](); // hand the permit on
    else permits++;
  }
}
"#;

const LOOP_RUN: &str = r#"
let result;
try {
  const startMs = performance.now();
  const runs = [];
  for (const [task, run] of tasks()) runs.push(@START@);
  const sums = await Promise.all(runs);
  const endMs = performance.now();
  const checksum = sums.reduce((a, b) => a + b, 0n);
"#;

/// The worker's own clock and span list, and its `sleep`.
const WORKER_STATE: &str = r#"// Times on the one clock this worker and the page share, ms since 1970: each has its own performance.now().
const clock = () => performance.timeOrigin + performance.now();
let spans = []; // the current task's [phase, state, start, end], by that clock
"#;

/// `sleep` in a worker: a cancel terminates the whole worker instead.
const WORKER_SLEEP: &str = r#"// Waits at least `ms` by performance.now(). setTimeout takes whole ms and may fire a little early by this
// clock (timers keep their own), so it rounds up and sleeps again for whatever is left.
async function sleep(ms) {
  const due = performance.now() + ms;
  while (performance.now() < due) {
    await new Promise((resolve) => setTimeout(resolve, Math.ceil(due - performance.now())));
  }
}
"#;

const WORKER_IO: &str = r#"async function io(phase, ms) { // a wait: this worker idles
  const start = clock();
  await sleep(ms);
  spans.push([phase, "waiting", start, clock()]);
}
"#;

const WORKER_CPU: &str = r#"function cpu(phase, n) { // one synchronous call
  const start = clock();
  const sum = sumSquares(n);
  spans.push([phase, "running", start, clock()]);
  return sum;
}
"#;

const WORKER_BLOCK: &str = r#"function block(phase, ms) { // a blocking call: this worker does nothing else meanwhile
  const start = clock();
  const end = performance.now() + ms;
  while (performance.now() < end); // a busy wait
  spans.push([phase, "running", start, clock()]);
}
"#;

const WORKER_MAIN: &str = r#"self.onmessage = async ({ data }) => {
  const received = clock();
  spans = [];
  const sum = await WORK[data.group](data.task);
  self.postMessage({ sum, spans, received, finished: clock()@ECHO@ });
};
self.postMessage("ready");
"#;

const WORKER_INCR: &str = r#"
// The counter lives here, on the page: workers share no memory with it or with each other. So a task's incr
// phases all run here, before the rest of it goes to a worker, the way the tasks of a process pool would see
// their parent's counter.
//
"#;

const POOL: &str = r#"
// Every task in workload order, numbered from 0: [task, group].
function* tasks() {
  let task = 0;
  for (const [group, { count }] of GROUPS.entries()) {
    for (let i = 0; i < count; i++) yield [task++, group];
  }
}
const queue = tasks(); // shared by the workers: each takes the next task

// The next message from worker `w`, or null if the run is cancelled first.
function reply(w) {
  return new Promise((resolve, reject) => {
    const stop = () => resolve(null);
    onCancel.add(stop);
    w.onmessage = (e) => (onCancel.delete(stop), resolve(e.data));
    w.onerror = (e) => (onCancel.delete(stop), reject(new Error(`worker: ${e.message}`)));
  });
}

// Runs task `task` of `group` with worker `w` on lane `lane`: its incr phases here, the rest there.
async function runTask(task, group, w, lane) {
  const g = GROUPS[group];
@INCRS@  if (!g.remote || cancelled()) return 0n;
  const sent = performance.now();
  const answer = reply(w);
@POST@  const r = await answer;
  if (r === null) return 0n; // cancelled: the worker was stopped mid-task
  const answered = performance.now();
  // A worker's time on the page's clock, kept within [sent, answered]: two threads' clocks may differ by µs.
  const at = (t) => Math.min(Math.max(t - performance.timeOrigin, sent), answered);
  let cursor = at(r.received);
  spans.push([task, r.spans[0][0], "transfer", sent, cursor, lane]);
  for (const [phase, state, start, end] of r.spans) {
    const from = Math.max(at(start), cursor);
    cursor = Math.max(at(end), from);
    spans.push([task, phase, state, from, cursor, lane]);
  }
  spans.push([task, r.spans.at(-1)[0], "transfer", cursor, answered, lane]);
  return r.sum;
}

// One worker's loop: once it has started, it takes the next task whenever it is idle.
async function serve(w, lane) {
  let sum = 0n;
  if ((await reply(w)) === null) return sum; // its "ready"
  while (!cancelled()) {
    const { value, done } = queue.next();
    if (done) break;
    sum += await runTask(...value, w, lane);
  }
  return sum;
}

let result;
try {
  const startMs = performance.now();
  const url = URL.createObjectURL(new Blob([`(${worker})();`], { type: "text/javascript" }));
  const pool = Array.from({ length: @WORKERS@ }, () => new Worker(url));
  onCancel.add(() => pool.forEach((w) => w.terminate())); // before the wake-ups: stop the workers first
@LIMIT@  let sums;
  try {
    sums = await Promise.all(@BUSY@.map((w, i) => serve(w, i + 1)));
  } finally {
    pool.forEach((w) => w.terminate()); // done, or failed: either way they go
    URL.revokeObjectURL(url);
  }
  const endMs = performance.now();
  const checksum = sums.reduce((a, b) => a + b, 0n);
"#;

/// The end of both flavours: print, then report.
const END: &str = r#"  const wallMs = endMs - startMs;
  console.log(`wall: ${wallMs.toFixed(1)} ms`);
  console.log(`checksum: ${checksum}`);
@COUNTER_LINE@  if (cancelled()) console.log("cancelled: these numbers cover only what ran");
  // What the playground gets (globalThis.nogilReport), and what this program's promise resolves to:
  // wallMs, startMs, endMs: the run, in ms by performance.now(); checksum: Σ of every cpu phase, as a
  // decimal string (it outgrows a number); counter: the shared counter; increments: the incr phases that
  // ran (the difference was lost to the race); spans: the timeline (above); lanes: 1 + the workers;
  // cancelled: whether nogilSignal stopped the run early. If the run fails, nogilReport gets { error }.
  result = { model: "@MODEL@", wallMs, startMs, endMs, checksum: String(checksum),
    @COUNTS@, spans, lanes: @LANES@, cancelled: cancelled() };
} catch (error) {
  report?.({ error: String(error?.message ?? error) });
  throw error;
}
report?.(result);
return result;
"#;

/// What the phases of `w` need.
#[derive(Default)]
struct Needs {
    io: bool,
    cpu: bool,
    block: bool,
    incr: bool,
    /// An `incr(await=d)`: a sleep on the page.
    incr_sleep: bool,
    jitter: bool,
    yield_set: bool,
    payload: bool,
}

impl Needs {
    fn of(w: &Workload) -> Needs {
        let mut n = Needs::default();
        for g in &w.groups {
            n.yield_set |= g.opts.yield_every.is_some();
            for p in &g.phases {
                n.jitter |= phase_jitter_pct(p, g) > 0;
                n.yield_set |= p.opts().yield_every.is_some();
                n.payload |= remote(p) && Options::resolve(p.opts(), &g.opts).payload_kib > 0;
                match p {
                    Phase::Io { .. } => n.io = true,
                    Phase::Cpu { .. } => n.cpu = true,
                    Phase::Block { .. } => n.block = true,
                    Phase::Incr { mode, .. } => {
                        n.incr = true;
                        n.incr_sleep |= matches!(mode, IncrMode::AwaitFor(_));
                    }
                }
            }
        }
        n
    }
}

/// Whether a phase runs in a worker (workers flavour): all but incr.
fn remote(p: &Phase) -> bool {
    !matches!(p, Phase::Incr { .. })
}

/// The JavaScript program for `w` in `flavour`, with `workers` Web Workers
/// (workers flavour; at least 1), an optional concurrency `limit` (at least 1)
/// and the run's `seed` for jitter. See the [module docs](self) for what it
/// reads and reports.
pub fn program(
    w: &Workload,
    flavour: JsFlavour,
    workers: u16,
    limit: Option<u32>,
    seed: u64,
) -> String {
    let needs = Needs::of(w);
    let incrs: u64 = w
        .groups
        .iter()
        .map(|g| u64::from(g.count) * g.phases.iter().filter(|p| !remote(p)).count() as u64)
        .sum();
    let workers = workers.max(1);
    let limit = limit.map(|l| l.max(1));
    let rng = RNG.replace("@SEED@", &seed.to_string());

    // The header: the workload on a line of its own, then two wrapped paragraphs.
    let mut o = format!("// No-GIL Playground workload {w}\n");
    let mut what = match flavour {
        JsFlavour::EventLoop => "as JavaScript on the page's own event loop (model \"js\"): every task is an async function, and all \
                                 of them start at once with Promise.all."
            .to_string(),
        JsFlavour::Workers => format!(
            "as JavaScript in {workers} Web Workers (model \"jsworker\"): each idle worker takes the next task, like a process \
             pool; the page hands the tasks out."
        ),
    };
    if needs.jitter {
        let _ = write!(
            what,
            " Jitter is drawn from the seed {seed}, exactly as the playground draws it."
        );
    }
    let mut run = match flavour {
        JsFlavour::EventLoop => "Run it: paste it into the console of any web page (DevTools), or save it as workload.js and run \
                                 `node~workload.js`.",
        JsFlavour::Workers => "Run it: paste it into the console of a web page (DevTools); it needs a browser's Web Workers \
                               (not Node), and a page whose Content-Security-Policy allows blob: workers.",
    }
    .to_string();
    run.push_str(
        " It prints the wall time, the checksum (the exact Σ i², the number the playground shows)",
    );
    run.push_str(if incrs > 0 {
        " and the shared counter."
    } else {
        "."
    });
    run.push_str(" The playground runs this very text; see the end for what it hands back.");
    o.push_str(&comment(&what));
    o.push_str("//\n");
    o.push_str(&comment(&run));
    o.push_str("(async () => {\n");

    // The page's state, then its helpers. The body of the arrow function is `s`, indented at the end.
    let (on_cancel, lanes) = match flavour {
        JsFlavour::EventLoop => (
            "wakes the sleeping tasks at once",
            "; a wait has no lane (null): nothing runs.",
        ),
        JsFlavour::Workers => (
            "stops the workers, wakes what waits for them",
            ", 1 to N the workers; a wait on the page has no lane (null).",
        ),
    };
    let mut s = PAGE_STATE
        .replace("@ON_CANCEL@", on_cancel)
        .replace("@LANES@", lanes);
    if needs.incr {
        s.push_str("let counter = 0; // the shared counter of the incr phases\nlet increments = 0; // incr phases run\n");
    }
    let page_sleep = match flavour {
        JsFlavour::EventLoop => needs.io || needs.incr_sleep,
        JsFlavour::Workers => needs.incr_sleep,
    };
    match flavour {
        JsFlavour::EventLoop => {
            for (need, text) in [
                (needs.jitter, rng.as_str()),
                (needs.cpu, SUM_SQUARES),
                (page_sleep, PAGE_SLEEP),
            ] {
                if need {
                    s.push('\n');
                    s.push_str(text);
                }
            }
            s.push('\n');
            s.push_str(PAGE_PHASES);
            if needs.cpu && needs.yield_set {
                s.push_str("// (yield= has no equivalent here: a synchronous JavaScript loop cannot give the event loop a turn.)\n");
            }
            for (need, text) in [
                (needs.io, PAGE_IO),
                (needs.cpu, PAGE_CPU),
                (needs.block, PAGE_BLOCK),
                (needs.incr, INCR),
            ] {
                if need {
                    s.push_str(text);
                }
            }
            event_loop(&mut s, w, limit);
        }
        JsFlavour::Workers => {
            if page_sleep {
                s.push('\n');
                s.push_str(PAGE_SLEEP);
            }
            s.push('\n');
            s.push_str(&worker_source(w, &needs, &rng));
            if needs.incr {
                s.push_str(WORKER_INCR);
                s.push_str(INCR);
            }
            pool(&mut s, w, &needs, workers, limit);
        }
    }
    let counts = if needs.incr {
        "counter, increments"
    } else {
        "counter: 0, increments: 0"
    };
    let lanes = match flavour {
        JsFlavour::EventLoop => 1,
        JsFlavour::Workers => u32::from(workers) + 1,
    };
    s.push_str(
        &END.replace(
            "@COUNTER_LINE@",
            if incrs > 0 {
                "  console.log(`counter: ${counter} of ${increments}`);\n"
            } else {
                ""
            },
        )
        .replace("@MODEL@", flavour.model_id())
        .replace("@COUNTS@", counts)
        .replace("@LANES@", &lanes.to_string()),
    );
    o.push_str(&indent(&s, 2));
    o.push_str("})();\n");
    o
}

/// The event-loop flavour after its helpers: a task function per group, the
/// task list, the limit, and the run up to the report.
fn event_loop(s: &mut String, w: &Workload, limit: Option<u32>) {
    for (gi, g) in w.groups.iter().enumerate() {
        let _ = writeln!(s, "\n// {g}\nasync function task{gi}(task) {{");
        s.push_str(&indent(&task_body(g, false, |_| true), 2));
        s.push_str("}\n");
    }
    let list: Vec<String> = w
        .groups
        .iter()
        .enumerate()
        .map(|(gi, g)| format!("[{}, task{gi}]", int(u64::from(g.count))))
        .collect();
    s.push_str("\n// Every task in workload order, numbered from 0: [task, its function].\nfunction* tasks() {\n  let task = 0;\n");
    let _ = writeln!(s, "  for (const [count, run] of [{}]) {{", list.join(", "));
    s.push_str("    for (let i = 0; i < count; i++) yield [task++, run];\n  }\n}\n");
    if let Some(l) = limit {
        s.push_str(&LIMIT.replace("@LIMIT@", &int(u64::from(l))));
    }
    s.push_str(&LOOP_RUN.replace(
        "@START@",
        if limit.is_some() {
            "limited(run, task)"
        } else {
            "run(task)"
        },
    ));
}

/// The `worker` function: the source every worker runs (its text goes into a
/// Blob), with a task function per group for every phase but incr.
fn worker_source(w: &Workload, needs: &Needs, rng: &str) -> String {
    let mut k = String::new();
    for (need, text) in [(needs.jitter, rng), (needs.cpu, SUM_SQUARES)] {
        if need {
            k.push_str(text);
            k.push('\n');
        }
    }
    k.push_str(WORKER_STATE);
    if needs.io {
        k.push_str(WORKER_SLEEP);
    }
    k.push_str("// The phases; `phase` is the phase's place in its task's recipe, from 0.\n");
    if needs.cpu && needs.yield_set {
        k.push_str("// (yield= has no equivalent here: a synchronous JavaScript loop cannot give its thread a turn.)\n");
    }
    for (need, text) in [
        (needs.io, WORKER_IO),
        (needs.cpu, WORKER_CPU),
        (needs.block, WORKER_BLOCK),
    ] {
        if need {
            k.push_str(text);
        }
    }
    k.push_str("// What runs here of each group's tasks: every phase but incr (that runs on the page); null: nothing.\n");
    k.push_str("const WORK = [\n");
    for g in &w.groups {
        if g.phases.iter().any(remote) {
            let _ = writeln!(k, "  // {g}\n  async (task) => {{");
            k.push_str(&indent(&task_body(g, true, remote), 4));
            k.push_str("  },\n");
        } else {
            let _ = writeln!(k, "  // {g}\n  null,");
        }
    }
    k.push_str("];\n");
    k.push_str(&WORKER_MAIN.replace(
        "@ECHO@",
        if needs.payload {
            ", payload: data.payload"
        } else {
            ""
        },
    ));
    format!(
        "// The code of every worker. It becomes the text of a Blob below, so it can use only what it defines itself.\n\
         function worker() {{\n{}}}\n",
        indent(&k, 2)
    )
}

/// The workers flavour after the worker source: the groups as data, the pool,
/// and the run up to the report.
fn pool(s: &mut String, w: &Workload, needs: &Needs, workers: u16, limit: Option<u32>) {
    s.push_str("\n// Each group: its task count, its incr phases as [phase, gap] (see incr), whether a worker has work in it");
    s.push_str(if needs.payload {
        ",\n// and the payload (KiB) that goes to the worker and back with each task.\n"
    } else {
        ".\n"
    });
    s.push_str("const GROUPS = [\n");
    for g in &w.groups {
        let incrs: Vec<String> = g
            .phases
            .iter()
            .enumerate()
            .filter_map(|(i, p)| match p {
                Phase::Incr {
                    mode: IncrMode::Plain | IncrMode::Atomic,
                    ..
                } => Some(format!("[{i}]")),
                Phase::Incr {
                    mode: IncrMode::Await,
                    ..
                } => Some(format!("[{i}, 0]")),
                Phase::Incr {
                    mode: IncrMode::AwaitFor(d),
                    ..
                } => Some(format!("[{i}, {}]", ms(*d))),
                Phase::Io { .. } | Phase::Cpu { .. } | Phase::Block { .. } => None,
            })
            .collect();
        let payload = if needs.payload {
            // As in the engine: a job carries the largest payload of the phases it runs.
            let kib = g
                .phases
                .iter()
                .filter(|p| remote(p))
                .map(|p| Options::resolve(p.opts(), &g.opts).payload_kib)
                .max();
            format!(", payloadKib: {}", int(u64::from(kib.unwrap_or(0))))
        } else {
            String::new()
        };
        let (count, incrs, work) = (
            int(u64::from(g.count)),
            incrs.join(", "),
            g.phases.iter().any(remote),
        );
        let _ = writeln!(
            s,
            "  // {g}\n  {{ count: {count}, incrs: [{incrs}], remote: {work}{payload} }},"
        );
    }
    s.push_str("];\n");
    let post = if needs.payload {
        "  // The payload is copied both ways (structured clone), as a process pool pickles its arguments.\n  \
         w.postMessage({ task, group, payload: new Uint8Array(g.payloadKib * 1024) });\n"
    } else {
        "  w.postMessage({ task, group });\n"
    };
    let (limit_line, busy) = match limit {
        Some(l) if l < u32::from(workers) => (
            format!("  // A limit of {l}: only {l} of the workers take tasks.\n"),
            format!("pool.slice(0, {l})"),
        ),
        _ => (String::new(), "pool".to_string()),
    };
    s.push_str(
        &POOL
            .replace(
                "@INCRS@",
                if needs.incr {
                    "  for (const [phase, gap] of g.incrs) await incr(task, phase, gap);\n"
                } else {
                    ""
                },
            )
            .replace("@POST@", post)
            .replace("@WORKERS@", &workers.to_string())
            .replace("@LIMIT@", &limit_line)
            .replace("@BUSY@", &busy),
    );
}
