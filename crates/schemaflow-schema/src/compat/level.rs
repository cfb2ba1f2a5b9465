//! The registry's compatibility levels.

use std::fmt;
use std::str::FromStr;

/// A subject's compatibility level, in the registry's vocabulary.
///
/// `BACKWARD`: the candidate can read data written with the previous schema. `FORWARD`: the
/// previous schema can read data written with the candidate. `FULL`: both. Plain levels
/// compare with the latest version only; `_TRANSITIVE` levels with every earlier version.
/// `NONE` accepts anything.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub enum CompatibilityLevel {
    /// No check.
    None,
    /// The candidate reads data written with the latest version (the registry's default).
    #[default]
    Backward,
    /// The candidate reads data written with every earlier version.
    BackwardTransitive,
    /// The latest version reads data written with the candidate.
    Forward,
    /// Every earlier version reads data written with the candidate.
    ForwardTransitive,
    /// Backward and forward against the latest version.
    Full,
    /// Backward and forward against every earlier version.
    FullTransitive,
}

impl CompatibilityLevel {
    /// All levels, in the registry's documentation order.
    pub const ALL: [CompatibilityLevel; 7] = [
        CompatibilityLevel::None,
        CompatibilityLevel::Backward,
        CompatibilityLevel::BackwardTransitive,
        CompatibilityLevel::Forward,
        CompatibilityLevel::ForwardTransitive,
        CompatibilityLevel::Full,
        CompatibilityLevel::FullTransitive,
    ];

    /// The registry's spelling: `BACKWARD_TRANSITIVE`, …
    pub fn as_str(self) -> &'static str {
        match self {
            CompatibilityLevel::None => "NONE",
            CompatibilityLevel::Backward => "BACKWARD",
            CompatibilityLevel::BackwardTransitive => "BACKWARD_TRANSITIVE",
            CompatibilityLevel::Forward => "FORWARD",
            CompatibilityLevel::ForwardTransitive => "FORWARD_TRANSITIVE",
            CompatibilityLevel::Full => "FULL",
            CompatibilityLevel::FullTransitive => "FULL_TRANSITIVE",
        }
    }

    /// Whether every earlier version is checked (not only the latest).
    pub fn is_transitive(self) -> bool {
        matches!(
            self,
            CompatibilityLevel::BackwardTransitive
                | CompatibilityLevel::ForwardTransitive
                | CompatibilityLevel::FullTransitive
        )
    }

    /// The same directions against every earlier version: `BACKWARD` → `BACKWARD_TRANSITIVE`,
    /// …; transitive levels and `NONE` stay as they are.
    pub fn transitive(self) -> Self {
        match self {
            CompatibilityLevel::Backward => CompatibilityLevel::BackwardTransitive,
            CompatibilityLevel::Forward => CompatibilityLevel::ForwardTransitive,
            CompatibilityLevel::Full => CompatibilityLevel::FullTransitive,
            other => other,
        }
    }

    /// Whether the candidate must read data written with previous versions.
    pub fn checks_backward(self) -> bool {
        matches!(
            self,
            CompatibilityLevel::Backward
                | CompatibilityLevel::BackwardTransitive
                | CompatibilityLevel::Full
                | CompatibilityLevel::FullTransitive
        )
    }

    /// Whether previous versions must read data written with the candidate.
    pub fn checks_forward(self) -> bool {
        matches!(
            self,
            CompatibilityLevel::Forward
                | CompatibilityLevel::ForwardTransitive
                | CompatibilityLevel::Full
                | CompatibilityLevel::FullTransitive
        )
    }
}

impl fmt::Display for CompatibilityLevel {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// The text given was not a compatibility level.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("unknown compatibility level {0:?}: expected NONE, BACKWARD, BACKWARD_TRANSITIVE, FORWARD, FORWARD_TRANSITIVE, FULL or FULL_TRANSITIVE")]
pub struct UnknownCompatibilityLevel(pub String);

impl FromStr for CompatibilityLevel {
    type Err = UnknownCompatibilityLevel;

    /// Case-insensitive; `-` may stand for `_` (`full-transitive`).
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let up = s.trim().to_ascii_uppercase().replace('-', "_");
        CompatibilityLevel::ALL
            .into_iter()
            .find(|l| l.as_str() == up)
            .ok_or_else(|| UnknownCompatibilityLevel(s.to_string()))
    }
}

impl serde::Serialize for CompatibilityLevel {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(self.as_str())
    }
}

impl<'de> serde::Deserialize<'de> for CompatibilityLevel {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let s = <String as serde::Deserialize>::deserialize(d)?;
        s.parse().map_err(serde::de::Error::custom)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trips_and_flags() {
        for l in CompatibilityLevel::ALL {
            assert_eq!(l.to_string().parse::<CompatibilityLevel>(), Ok(l));
            assert_eq!(
                l.as_str().to_lowercase().parse::<CompatibilityLevel>(),
                Ok(l)
            );
        }
        assert_eq!(CompatibilityLevel::default(), CompatibilityLevel::Backward);
        assert!("sideways".parse::<CompatibilityLevel>().is_err());
        assert!(CompatibilityLevel::FullTransitive.is_transitive());
        assert!(!CompatibilityLevel::Full.is_transitive());
        assert!(
            CompatibilityLevel::Full.checks_backward() && CompatibilityLevel::Full.checks_forward()
        );
        assert!(
            !CompatibilityLevel::None.checks_backward()
                && !CompatibilityLevel::None.checks_forward()
        );
        assert!(!CompatibilityLevel::Forward.checks_backward());
    }
}
