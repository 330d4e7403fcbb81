//! `chatkit-inject`: inject an OpenAI ChatKit assistant widget into every page of a built
//! Docusaurus site.
//!
//! The binary (`src/main.rs`) only parses the command line and maps the outcome to an exit code;
//! the work lives here, in modules named for what they own.

pub mod assets;
pub mod cli;
pub mod config;
pub mod corpus;
pub mod csp;
pub mod doctor;
pub mod exit_codes;
#[cfg(debug_assertions)]
mod failpoint;
pub mod fsx;
pub mod i18n;
pub mod inject;
pub mod journal;
pub mod lock;
pub mod page;
pub mod report;
pub mod run;
pub mod runtime_config;
pub mod settings;
pub mod site;
pub mod tally;
pub mod theme;
pub mod walk;
pub mod widget;
