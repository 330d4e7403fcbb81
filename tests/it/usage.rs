//! `--help` is part of the interface: snapshot it, and keep the README's copy in step.

use crate::harness::{cli, root};

fn help() -> String {
    let out = cli().arg("--help").output().expect("run --help");
    assert!(out.status.success());
    String::from_utf8(out.stdout).expect("utf-8 help")
}

#[test]
fn help_snapshot() {
    insta::assert_snapshot!("help", help());
}

#[test]
fn readme_usage_matches_help() {
    let readme = std::fs::read_to_string(root().join("README.md")).expect("README.md");
    let start = readme
        .find("<!-- usage:start -->")
        .expect("README has a usage block");
    let end = readme
        .find("<!-- usage:end -->")
        .expect("README usage block ends");
    let block = &readme[start..end];
    let block = block
        .split_once("```text\n")
        .and_then(|(_, rest)| rest.rsplit_once("```"))
        .map(|(body, _)| body)
        .expect("usage block is a ```text fence");
    assert_eq!(
        block.trim_end(),
        help().trim_end(),
        "README usage is out of date: paste `chatkit-inject --help`"
    );
}
