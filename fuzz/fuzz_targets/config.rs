//! Fuzz target over the config parser (`chatkit.toml` is untrusted input): for any text, parsing
//! and resolving the dev profile never panics, and an error names the file.

#![no_main]

use std::path::Path;

use chatkit_inject::config;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    match config::parse(text, Some(Path::new("chatkit.toml"))) {
        Ok(loaded) => {
            for env in ["dev", "prod"] {
                if let Err(e) = config::resolve(&loaded, env) {
                    assert!(!e.to_string().is_empty());
                }
            }
        }
        Err(e) => assert!(
            format!("{e:#}").contains("chatkit.toml"),
            "a config error does not name the file: {e:#}"
        ),
    }
});
