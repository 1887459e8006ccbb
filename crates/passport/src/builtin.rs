//! The profiles every node ships (`profiles/*.json`), installed by `junkan serve` and the demo
//! when missing or older. Each has a complete example in `profiles/examples/`.

/// Each shipped profile: its document and a complete example of its data.
pub const PROFILES: &[(&str, &str)] = &[];
