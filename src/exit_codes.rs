//! Process exit codes: the contract between `chatkit-inject` and the CI job that runs it.

/// How a run ended, as the shell sees it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ExitCode {
    /// Every page is fine (injected, already up to date, or skipped on purpose).
    Success,
    /// One or more pages failed, or `--check` found pages that are out of date.
    PagesFailed,
    /// Usage, configuration or input-directory error, found before anything was written. From
    /// the first write on, a failure is a row of the report and the code is `PagesFailed`.
    UsageError,
}

impl ExitCode {
    /// The numeric status handed to the operating system.
    pub fn code(self) -> i32 {
        match self {
            ExitCode::Success => 0,
            ExitCode::PagesFailed => 1,
            ExitCode::UsageError => 2,
        }
    }
}

impl From<ExitCode> for std::process::ExitCode {
    fn from(code: ExitCode) -> Self {
        // The three codes all fit in a u8.
        std::process::ExitCode::from(code.code() as u8)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_are_the_documented_numbers() {
        assert_eq!(ExitCode::Success.code(), 0);
        assert_eq!(ExitCode::PagesFailed.code(), 1);
        assert_eq!(ExitCode::UsageError.code(), 2);
    }
}
