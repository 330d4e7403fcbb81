//! The shipped example config, and config errors exactly as a user sees them.

use std::fs;

use chatkit_inject::config;

use crate::harness::{root, run_in};

#[test]
fn shipped_example_config_loads_for_every_profile() {
    let loaded = config::load(&root().join("chatkit.example.toml")).expect("example config parses");
    let dev = config::resolve(&loaded, "dev").expect("dev resolves");
    assert_eq!(dev.backend_url, "http://localhost:8000");
    assert_eq!(dev.title, "Textbook assistant");
    assert_eq!(dev.prompts.len(), 2);
    assert_eq!(
        dev.exclude,
        vec!["search/**".to_string(), "tags/**".to_string()]
    );
    assert_eq!(dev.replaces, vec!["#old-chat-button".to_string()]);
    assert_eq!(dev.position, config::Position::Auto);
    assert_eq!(dev.z_index, config::DEFAULT_Z_INDEX);
    let (tag, ur) = dev.locale_for(Some("ur"));
    assert_eq!(tag, "ur");
    assert_eq!(ur.strings.title, "درسی کتاب کا معاون");
    assert_eq!(ur.prompts.len(), 1);
    // Not set for Urdu: the built-in translation.
    assert_eq!(ur.strings.retry, "دوبارہ کوشش کریں");
    // Its prod profile holds the placeholder domain key: refused until a real one is set, at
    // the key's own line.
    let err = config::resolve(&loaded, "prod")
        .expect_err("the placeholder key is refused")
        .to_string();
    let text = fs::read_to_string(root().join("chatkit.example.toml")).expect("read example");
    let line = 1 + text
        .lines()
        .position(|l| l.starts_with("domain-key = \"domain_pk_replace"))
        .expect("the example sets the placeholder");
    assert!(
        err.contains(&format!(
            "chatkit.example.toml:{line}:14: `profiles.prod.domain-key`: is the placeholder"
        )),
        "{err}"
    );
    assert!(err.contains(config::DOMAIN_ALLOWLIST_URL), "{err}");
    let real = text.replace(config::EXAMPLE_DOMAIN_KEY, "domain_pk_68f0c0ffee");
    let loaded = config::parse(&real, Some(&root().join("chatkit.example.toml"))).expect("parses");
    let prod = config::resolve(&loaded, "prod").expect("prod resolves with a real key");
    assert_eq!(prod.backend_url, "https://chat.example.edu");
    assert_eq!(prod.domain_key, "domain_pk_68f0c0ffee");
}

#[test]
fn config_errors_name_file_line_and_key() {
    let cases: &[(&str, &str, &str)] = &[
        ("unknown key", "[widget]\ntitle = \"x\"\ncolour = \"red\"\n", "dev"),
        ("unknown table", "[widgets]\ntitle = \"x\"\n", "dev"),
        ("bad toml", "[widget\ntitle = \"x\"\n", "dev"),
        ("wrong type", "[widget]\nprompts = \"Summarise\"\n", "dev"),
        ("prod without backend", "[profiles.prod]\ndomain-key = \"domain_pk_x\"\n", "prod"),
        ("prod without domain key", "[profiles.prod]\nbackend-url = \"https://chat.example.edu\"\n", "prod"),
        ("prod on plain http", "[profiles.prod]\nbackend-url = \"http://chat.example.edu\"\ndomain-key = \"k\"\n", "prod"),
        ("prod on localhost", "[profiles.prod]\nbackend-url = \"https://localhost:8000\"\ndomain-key = \"k\"\n", "prod"),
        ("prod on LOCALHOST. (a trailing dot)", "[profiles.prod]\nbackend-url = \"https://LOCALHOST.:8000\"\ndomain-key = \"k\"\n", "prod"),
        ("prod on an IPv4-mapped loopback", "[profiles.prod]\nbackend-url = \"https://[::ffff:127.0.0.1]:8000\"\ndomain-key = \"k\"\n", "prod"),
        ("port out of range", "[profiles.prod]\nbackend-url = \"https://chat.example.edu:99999999\"\ndomain-key = \"k\"\n", "prod"),
        ("same url in a comment above", "# was: backend-url = \"http://chat.example.edu\"\n[profiles.prod]\nbackend-url = \"http://chat.example.edu\"\ndomain-key = \"k\"\n", "prod"),
        ("prod with the example's domain key", "[profiles.prod]\nbackend-url = \"https://chat.example.edu\"\ndomain-key = \"domain_pk_replace_with_your_key\"\n", "prod"),
        ("prod with local-dev", "[profiles.prod]\nbackend-url = \"https://chat.example.edu\"\ndomain-key = \"local-dev\"\n", "prod"),
        ("relative backend", "[profiles.dev]\nbackend-url = \"/api\"\n", "dev"),
        ("javascript url", "[widget]\nscript-url = \"javascript:alert(1)\"\n", "dev"),
        ("secret key", "[widget]\ntitle = \"Assistant\"\ngreeting = \"sk-proj-AbCdEfGhIjKlMnOpQrStUvWxYz0123456789\"\n", "dev"),
        ("undefined profile", "[profiles.staging]\nbackend-url = \"https://s.example.edu\"\ndomain-key = \"k\"\n", "prod"),
        ("bad color", "[theme]\naccent = \"red; } body { display: none\"\n", "dev"),
        ("bad position", "[widget]\nposition = \"top-left\"\n", "dev"),
        ("selector that breaks out", "[widget]\nreplaces = [\n  \"#old-chat\",\n  \".fab } body { display: none\",\n]\n", "dev"),
        ("unbalanced selector", "[widget]\nreplaces = [\"button[aria-label='Chat'\"]\n", "dev"),
        ("unknown locale key", "[locales.ur]\ntitle = \"x\"\nbutton = \"y\"\n", "dev"),
        ("bad locale tag", "[locales.\"en us\"]\ntitle = \"x\"\n", "dev"),
    ];
    let tmp = tempfile::tempdir().expect("tmp");
    let site = tmp.path().join("build");
    fs::create_dir(&site).expect("mkdir");
    fs::write(
        site.join("index.html"),
        "<html><head></head><body></body></html>",
    )
    .expect("page");
    let mut all = String::new();
    for (name, text, env) in cases {
        fs::write(tmp.path().join("chatkit.toml"), text).expect("config");
        let run = run_in(tmp.path(), &["build", "--env", env], tmp.path());
        assert_eq!(run.code, 2, "{name}: {}", run.render());
        assert!(
            run.stderr.contains("chatkit.toml"),
            "{name}: error does not name the file: {}",
            run.stderr
        );
        all.push_str(&format!("## {name} (--env {env})\n{}", run.stderr));
    }
    insta::assert_snapshot!("config_errors", all);
}
