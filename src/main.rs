//! The `matchledger` binary: server, client, demo and offline tools in one executable.

fn main() -> std::process::ExitCode {
    matchledger::cli::main()
}
