//! Procedural macros of distage-rs.
