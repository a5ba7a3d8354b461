//! The byte level of JSON, pure Rust: the word-at-a-time byte tests, the
//! reader's scanner and the writer's strings and integers. The Python edge
//! walks Python objects over these; the core writes its headers with them.

pub mod scan;
pub mod swar;
pub mod write;

pub use scan::MAX_NESTING;

#[cfg(test)]
mod tests;
