//! The versioned envelope every report kind shares (DESIGN.md section 3): `Explanation`,
//! `CheckReport`, `ReachabilityMatrix`, `ExplanationDiff`. A leaf: any consumer may use it.

pub const API_VERSION: &str = "ambient-policy/v1alpha1";
