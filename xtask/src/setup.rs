//! Installs what the project needs, pinned, skipping what is present.

use std::path::{Path, PathBuf};
use std::process::Command;

use crate::{run, TRUNK};

/// What a command needs installed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Need {
    /// Building and serving: the wasm target, Trunk, wasm-bindgen, wasm-opt.
    Build,
    /// Everything, including Chromium, ChromeDriver and Playwright.
    Everything,
}

/// The environment commands run in: PATH with the project's tools first.
pub struct Env {
    path: String,
    chromedriver: Option<PathBuf>,
    chromium: Option<PathBuf>,
}

impl Env {
    /// A command for `program` with the project's PATH (and browser paths) set.
    pub fn cmd(&self, program: &str) -> Command {
        let mut c = Command::new(program);
        c.env("PATH", &self.path);
        if let Some(d) = &self.chromedriver {
            c.env("CHROMEDRIVER", d);
        }
        if let Some(b) = &self.chromium {
            c.env("CHROMIUM", b);
        }
        c
    }
}

fn output(cmd: &mut Command) -> Option<String> {
    let out = cmd.output().ok()?;
    out.status
        .success()
        .then(|| String::from_utf8_lossy(&out.stdout).into_owned())
}

fn which(program: &str, path: &str) -> Option<PathBuf> {
    std::env::split_paths(path)
        .map(|d| d.join(program))
        .find(|p| p.is_file())
}

/// The `wasm-bindgen` version Cargo.lock pins (the CLI must equal it exactly).
fn locked_wasm_bindgen(root: &Path) -> Result<String, String> {
    let lock =
        std::fs::read_to_string(root.join("Cargo.lock")).map_err(|e| format!("Cargo.lock: {e}"))?;
    let mut lines = lock.lines();
    while let Some(line) = lines.next() {
        if line == "name = \"wasm-bindgen\"" {
            if let Some(v) = lines.next().and_then(|l| l.strip_prefix("version = \"")) {
                return Ok(v.trim_end_matches('"').to_string());
            }
        }
    }
    Err("Cargo.lock names no wasm-bindgen version".into())
}

/// Installs what `need` requires and returns the environment to run tools in.
pub fn all(root: &Path, need: Need) -> Result<Env, String> {
    let home = std::env::var("HOME").unwrap_or_else(|_| "/root".into());
    let path = format!(
        "{}:{}/.cargo/bin:{}",
        root.join("node_modules/.bin").display(),
        home,
        std::env::var("PATH").unwrap_or_default()
    );
    let env = Env {
        path: path.clone(),
        chromedriver: None,
        chromium: None,
    };

    // 1. The wasm target.
    let targets =
        output(Command::new("rustup").args(["target", "list", "--installed"])).unwrap_or_default();
    if !targets
        .lines()
        .any(|t| t.trim() == "wasm32-unknown-unknown")
    {
        println!("setup: adding the wasm32-unknown-unknown target");
        run(Command::new("rustup").args(["target", "add", "wasm32-unknown-unknown"]))?;
    }

    // 2. Trunk, pinned (0.22 needs a newer rustc than this project's).
    let trunk = output(env.cmd("trunk").arg("--version")).unwrap_or_default();
    if !trunk.contains(TRUNK) {
        println!("setup: installing trunk {TRUNK} (about 10 minutes on 2 cores, once)");
        run(env
            .cmd("cargo")
            .args(["install", "trunk", "--version", TRUNK, "--locked"]))?;
    }

    // 3. wasm-bindgen CLI, equal to the library in Cargo.lock.
    if !root.join("Cargo.lock").exists() {
        run(env
            .cmd("cargo")
            .args(["generate-lockfile"])
            .current_dir(root))?;
    }
    let wbg = locked_wasm_bindgen(root)?;
    let have = output(env.cmd("wasm-bindgen").arg("--version")).unwrap_or_default();
    if !have.split_whitespace().any(|w| w == wbg) {
        println!("setup: installing wasm-bindgen-cli {wbg}");
        let locked = run(env.cmd("cargo").args([
            "install",
            "wasm-bindgen-cli",
            "--version",
            &wbg,
            "--locked",
        ]));
        if locked.is_err() {
            // Its lock file names a dependency version the registry no longer
            // serves (seen here); resolve afresh within the same pinned CLI.
            println!("setup: retrying wasm-bindgen-cli {wbg} without its lock file");
            run(env
                .cmd("cargo")
                .args(["install", "wasm-bindgen-cli", "--version", &wbg]))?;
        }
    }

    // 4. npm packages: wasm-opt (binaryen) and Playwright, from package-lock.json.
    npm_ci(root, &env)?;

    if need == Need::Build {
        return Ok(env);
    }

    // 5. Debian's Chromium and ChromeDriver.
    if which("chromium", &path).is_none() || which("chromedriver", &path).is_none() {
        println!("setup: installing Debian's chromium and chromium-driver");
        let sudo: &[&str] = if output(Command::new("id").arg("-u")).is_some_and(|u| u.trim() == "0")
        {
            &[]
        } else {
            &["sudo"]
        };
        let apt = |args: &[&str]| {
            let mut all: Vec<&str> = sudo.to_vec();
            all.push("apt-get");
            all.extend_from_slice(args);
            let mut c = Command::new(all[0]);
            c.args(&all[1..]).env("DEBIAN_FRONTEND", "noninteractive");
            run(&mut c)
        };
        apt(&["update", "-qq"])?;
        apt(&["install", "-y", "-qq", "chromium", "chromium-driver"])?;
    }
    Ok(Env {
        path: path.clone(),
        chromedriver: which("chromedriver", &path),
        chromium: which("chromium", &path),
    })
}

/// `npm ci` when node_modules does not match package-lock.json.
fn npm_ci(root: &Path, env: &Env) -> Result<(), String> {
    let lock = std::fs::read(root.join("package-lock.json"))
        .map_err(|e| format!("package-lock.json: {e}"))?;
    let stamp_path = root.join("node_modules/.xtask-lock-stamp");
    let want = format!("{:016x}", fnv1a(&lock));
    if std::fs::read_to_string(&stamp_path).ok().as_deref() == Some(want.as_str()) {
        return Ok(());
    }
    println!("setup: npm ci (binaryen for wasm-opt, Playwright; no browser download)");
    run(env
        .cmd("npm")
        .args(["ci", "--no-audit", "--no-fund"])
        .env("PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD", "1")
        .current_dir(root))?;
    std::fs::write(&stamp_path, want).map_err(|e| format!("{}: {e}", stamp_path.display()))
}

/// FNV-1a: a stable fingerprint of the lock file (no dependency needed).
fn fnv1a(bytes: &[u8]) -> u64 {
    bytes.iter().fold(0xcbf29ce484222325, |h, &b| {
        (h ^ u64::from(b)).wrapping_mul(0x100000001b3)
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_the_locked_wasm_bindgen_version() {
        let dir = std::env::temp_dir().join(format!("xtask-lock-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        std::fs::write(
            dir.join("Cargo.lock"),
            "[[package]]\nname = \"wasm-bindgen-macro\"\nversion = \"9\"\n\n[[package]]\nname = \"wasm-bindgen\"\nversion = \"0.2.130\"\n",
        )
        .unwrap();
        assert_eq!(locked_wasm_bindgen(&dir).unwrap(), "0.2.130");
        std::fs::remove_dir_all(&dir).unwrap();
    }

    #[test]
    fn fingerprint_changes_with_content() {
        assert_ne!(fnv1a(b"a"), fnv1a(b"b"));
        assert_eq!(fnv1a(b""), 0xcbf29ce484222325);
    }
}
