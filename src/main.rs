//! The `matchledger` binary: server, client, demo and offline tools in one executable.

/// The writer and the gRPC stack allocate and free many small values per event.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() -> std::process::ExitCode {
    matchledger::cli::main()
}
