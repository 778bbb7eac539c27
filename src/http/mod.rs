//! The HTTP side of the server: the read-only web console (and, beside it, the JSON API).

pub mod console;
