//! Fuzz target over the Content-Security-Policy check (the policy comes from the page): for any
//! policy text, checking it against what the widget loads and describing the result never
//! panics, and a policy that blocks something says what.

#![no_main]

use chatkit_inject::csp;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let policy = String::from_utf8_lossy(data).into_owned();
    let needs = csp::Needs {
        chatkit_origin: csp::origin_of("https://cdn.platform.openai.com/deployments/chatkit/chatkit.js"),
        backend_origin: csp::origin_of("http://localhost:8000"),
    };
    let blocked = csp::check(std::slice::from_ref(&policy), &needs);
    if !blocked.is_empty() {
        assert!(!csp::describe(&blocked).is_empty());
    }
    // Two policies: each one applies, so the second can only add to what is blocked.
    let both = csp::check(&[policy.clone(), policy], &needs);
    assert!(both.len() >= blocked.len());
});
