//! A seeded, realistic programme: commands for tests, benches and the demo.
