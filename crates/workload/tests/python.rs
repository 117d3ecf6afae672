//! The generated Python programs run under CPython and print the shape the
//! playground predicts: the same exact checksum, asyncio overlapping waits,
//! and a race losing updates when an await sits between read and write.

use std::process::Command;

use workload::python::{program, Flavour};
use workload::{closed_form, parse};

fn run(src: &str) -> (f64, String) {
    static NEXT: std::sync::atomic::AtomicUsize = std::sync::atomic::AtomicUsize::new(0);
    let n = NEXT.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
    let dir = std::env::temp_dir().join(format!("nogil-py-{}-{n}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let file = dir.join("prog.py");
    std::fs::write(&file, src).unwrap();
    let out = Command::new("python3").arg(&file).output().expect("python3 is on every machine of this project");
    let stdout = String::from_utf8_lossy(&out.stdout).into_owned();
    assert!(out.status.success(), "python failed:\n{src}\n{}", String::from_utf8_lossy(&out.stderr));
    let wall = stdout
        .lines()
        .find_map(|l| l.strip_prefix("wall: ")?.strip_suffix(" s")?.parse().ok())
        .unwrap_or_else(|| panic!("no wall line in {stdout}"));
    (wall, stdout)
}

#[test]
fn every_flavour_runs_and_prints_the_exact_checksum() {
    let w = parse("2*io(200ms)+2*cpu(10k)+3*incr").unwrap();
    let want = format!("checksum: {}", 2 * closed_form(10_000));
    let mut walls = Vec::new();
    for f in Flavour::ALL {
        let (wall, out) = run(&program(&w, f, 4, None));
        assert!(out.contains(&want), "{f:?}: {out}");
        assert!(out.contains("of 3"), "{f:?}: {out}");
        walls.push(wall);
    }
    let (seq, asy) = (walls[0], walls[1]);
    assert!(seq >= 0.4, "sequential sleeps 2 × 200 ms: {seq}");
    assert!(asy < 0.35, "asyncio overlaps the two sleeps: {asy}");
    assert!(walls[2] < 0.35, "threads overlap the sleeps too: {}", walls[2]);
}

#[test]
fn an_await_between_read_and_write_loses_updates_in_python_too() {
    let (_, out) = run(&program(&parse("50*incr(await)").unwrap(), Flavour::Asyncio, 4, None));
    assert!(out.contains("counter: 1 of 50"), "{out}");
    let (_, out) = run(&program(&parse("50*incr").unwrap(), Flavour::Asyncio, 4, None));
    assert!(out.contains("counter: 50 of 50"), "{out}");
}

#[test]
fn a_limit_becomes_a_semaphore() {
    let src = program(&parse("6*io(100ms)").unwrap(), Flavour::Asyncio, 4, Some(2));
    assert!(src.contains("asyncio.Semaphore(2)"));
    let (wall, _) = run(&src);
    assert!(wall >= 0.3, "three rounds of 100 ms: {wall}");
}
