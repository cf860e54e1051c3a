//! Records the git commit FA Lab is built from, for the provenance of exported
//! figures (`fa_lab::provenance::COMMIT`): `FA_LAB_COMMIT` if set (CI passes
//! the commit it checked out), else `git rev-parse`, else "unknown".

use std::process::Command;

fn git(args: &[&str]) -> Option<String> {
    let out = Command::new("git").args(args).output().ok()?;
    let text = String::from_utf8(out.stdout).ok()?.trim().to_string();
    (out.status.success() && !text.is_empty()).then_some(text)
}

fn main() {
    println!("cargo:rerun-if-env-changed=FA_LAB_COMMIT");
    let commit = match std::env::var("FA_LAB_COMMIT") {
        Ok(c) if !c.trim().is_empty() => c.trim().to_string(),
        _ => {
            // Rebuild when HEAD moves (a checkout, or a commit on the branch).
            let branch = git(&["symbolic-ref", "-q", "HEAD"]);
            let watched = ["HEAD", "refs/heads"].into_iter().map(str::to_string).chain(branch);
            for path in watched.filter_map(|p| git(&["rev-parse", "--git-path", &p])) {
                if std::path::Path::new(&path).exists() {
                    println!("cargo:rerun-if-changed={path}");
                }
            }
            git(&["rev-parse", "--short=12", "HEAD"]).unwrap_or_else(|| "unknown".into())
        }
    };
    println!("cargo:rustc-env=FA_LAB_COMMIT={commit}");
}
