//! The durable event log on sled.
