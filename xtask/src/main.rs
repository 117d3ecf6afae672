//! Project automation, run as `cargo xtask <command>`:
//!
//! - `setup`: install what is missing, pinned (idempotent, quiet when done).
//! - `serve`: set up, then serve the playground on http://127.0.0.1:8080 with
//!   cross-origin isolation headers.
//! - `test`: set up, then run every test: native, wasm-bindgen-test in
//!   headless Chromium, and Playwright against the release `dist/`.
//! - `dist`: set up, then build the release `dist/`.
//! - `bench`: every performance target beside its peer (see BENCHMARKS.md).
//! - `fidelity`: predictions against measurements, every preset and context.
//!
//! Everything comes from the package registries (crates.io, npm, Debian);
//! nothing downloads a binary from elsewhere.

mod bench;
mod fidelity;
mod setup;

use std::path::{Path, PathBuf};
use std::process::{Command, ExitCode};

/// Pinned tool versions (see the shared toolchain notes for why these).
pub const TRUNK: &str = "0.21.14";

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let root = project_root();
    let result = match args.first().map(String::as_str) {
        Some("setup") => setup::all(&root, setup::Need::Everything).map(|_| ()),
        Some("serve") => setup::all(&root, setup::Need::Build).and_then(|env| serve(&root, &env)),
        Some("dist") => setup::all(&root, setup::Need::Build).and_then(|env| dist(&root, &env)),
        Some("test") => setup::all(&root, setup::Need::Everything).and_then(|env| test(&root, &env, &args[1..])),
        Some("bench") => setup::all(&root, setup::Need::Everything).and_then(|env| bench::run(&root, &env)),
        Some("fidelity") => setup::all(&root, setup::Need::Everything).and_then(|env| fidelity::run(&root, &env)),
        _ => Err("usage: cargo xtask <setup|serve|test|dist|bench|fidelity>\n  test accepts --skip-wasm / --skip-e2e / --skip-native".into()),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("xtask: {e}");
            ExitCode::FAILURE
        }
    }
}

fn project_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .expect("xtask lives in the project root")
        .to_path_buf()
}

/// Runs `cmd`, failing with its description if it fails.
pub fn run(cmd: &mut Command) -> Result<(), String> {
    let shown = format!("{cmd:?}");
    let status = cmd
        .status()
        .map_err(|e| format!("could not run {shown}: {e}"))?;
    if status.success() {
        Ok(())
    } else {
        Err(format!("{shown} failed ({status})"))
    }
}

fn step(title: &str) {
    println!("\n==> {title}");
}

pub(crate) fn dist(root: &Path, env: &setup::Env) -> Result<(), String> {
    step("trunk build --release (app + worker in one run)");
    run(env
        .cmd("trunk")
        .args(["build", "--release", "--offline"])
        .current_dir(root))
}

fn serve(root: &Path, env: &setup::Env) -> Result<(), String> {
    step("serving on http://127.0.0.1:8080 (Ctrl-C to stop)");
    run(env
        .cmd("trunk")
        .args(["serve", "--release", "--offline"])
        .current_dir(root))
}

fn test(root: &Path, env: &setup::Env, args: &[String]) -> Result<(), String> {
    let skip = |what: &str| args.iter().any(|a| a == what);
    if !skip("--skip-native") {
        step("native tests: the pure crates, on a virtual clock");
        run(env
            .cmd("cargo")
            .args([
                "test", "-p", "workload", "-p", "engine", "-p", "protocol", "-p", "urlstate", "-p",
                "xtask",
            ])
            .current_dir(root))?;
    }
    if !skip("--skip-wasm") {
        step("browser-binding tests: wasm-bindgen-test in headless Chromium");
        run(env
            .cmd("cargo")
            .args([
                "test",
                "--release",
                "--target",
                "wasm32-unknown-unknown",
                "-p",
                "nogil-playground",
                "--test",
                "web",
            ])
            .current_dir(root))?;
    }
    if !skip("--skip-e2e") {
        dist(root, env)?;
        step("end-to-end tests: Playwright against dist/, with and without COOP/COEP");
        run(env
            .cmd("npx")
            .args([
                "playwright",
                "test",
                "--config",
                "e2e/playwright.config.mjs",
            ])
            .current_dir(root))?;
    }
    Ok(())
}

#[cfg(test)]
mod invariants {
    //! The invariants ARCHITECTURE.md states as absences, checked.

    use super::project_root;

    /// The pure crates never depend on the browser or the UI framework.
    #[test]
    fn pure_crates_know_nothing_of_the_browser() {
        let banned = ["web-sys", "js-sys", "wasm-bindgen", "leptos", "gloo"];
        for krate in ["engine", "workload", "protocol", "urlstate"] {
            let manifest = std::fs::read_to_string(
                project_root().join("crates").join(krate).join("Cargo.toml"),
            )
            .unwrap();
            for line in manifest.lines() {
                let name = line.split(['=', ' ', '.']).next().unwrap_or("");
                assert!(
                    !banned.contains(&name),
                    "crates/{krate} depends on {name}: the pure crates must not"
                );
            }
        }
    }

    /// `.ci/run` runs exactly the test command the README gives first.
    #[test]
    fn ci_runs_the_readme_test_command() {
        let readme = std::fs::read_to_string(project_root().join("README.md")).unwrap();
        let ci = std::fs::read_to_string(project_root().join(".ci/run")).unwrap();
        let command = ci
            .lines()
            .rfind(|l| !l.trim().is_empty() && !l.starts_with('#'))
            .unwrap()
            .trim();
        assert_eq!(command, "cargo xtask test");
        let first_block = readme.split("```").nth(1).unwrap();
        assert!(
            first_block.contains(command),
            "the README's first code block names {command}"
        );
        assert!(first_block.contains("cargo xtask serve"));
    }
}
