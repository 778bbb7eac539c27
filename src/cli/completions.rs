//! `matchledger completions bash|zsh|fish|elvish|powershell`: a shell completion script
//! generated from the same clap grammar the binary parses, so it never drifts from it.

use clap::{Args, CommandFactory};
use clap_complete::Shell;

/// Arguments of `matchledger completions`.
#[derive(Debug, Args)]
pub struct CompletionsArgs {
    /// The shell to complete for.
    #[arg(value_enum)]
    pub shell: Shell,
}

/// Writes the completion script for `args.shell` to standard output.
pub fn completions(args: &CompletionsArgs) -> anyhow::Result<()> {
    let mut command = super::Cli::command();
    let mut script = Vec::new();
    clap_complete::generate(args.shell, &mut command, "matchledger", &mut script);
    use std::io::Write;
    std::io::stdout().write_all(&script)?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn script(shell: Shell) -> String {
        let mut command = crate::cli::Cli::command();
        let mut script = Vec::new();
        clap_complete::generate(shell, &mut command, "matchledger", &mut script);
        String::from_utf8(script).expect("scripts are UTF-8")
    }

    #[test]
    fn every_shell_script_completes_the_subcommands() {
        for shell in [Shell::Bash, Shell::Zsh, Shell::Fish] {
            let script = script(shell);
            for subcommand in ["serve", "contribute", "verify-match", "completions"] {
                assert!(script.contains(subcommand), "{shell:?} lacks {subcommand}");
            }
        }
    }
}
