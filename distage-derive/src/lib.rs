//! Macro logic of distage-rs.
