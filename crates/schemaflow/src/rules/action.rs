//! What happens after a rule ran: its `onSuccess` / `onFailure` action, as
//! confluent-kafka-python's `BaseSerde._run_action` picks it.
//!
//! A rule's action text is `NONE`, `ERROR` or `DLQ`, or, for the two-way modes (`WRITEREAD`,
//! `UPDOWN`), two of them separated by a comma: the first for write (and upgrade), the second
//! for read (and downgrade). No action given is `NONE` on success and `ERROR` on failure.
//! Python looks an unknown action up when the rule runs and fails then; here it is refused when
//! the rules are compiled, so a misspelt action stops a producer or consumer at start-up.

use crate::registry::{Rule, RuleMode};

use super::Direction;

/// A rule action.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Action {
    /// Go on (on failure: the record passes as it is).
    None,
    /// Fail the record: an error on produce; on consume the record's own fault (dead-lettered
    /// by the consumer's policy, never retried).
    Error,
    /// Fail the record and send it to the dead-letter topic with Confluent's `__rule.*`
    /// headers (the consumer's dead-letter topic; on produce an error naming the DLQ).
    Dlq,
}

impl Action {
    /// Confluent's name of the action.
    pub fn name(self) -> &'static str {
        match self {
            Action::None => "NONE",
            Action::Error => "ERROR",
            Action::Dlq => "DLQ",
        }
    }

    fn parse(name: &str) -> Option<Action> {
        match name.trim() {
            "NONE" => Some(Action::None),
            "ERROR" => Some(Action::Error),
            "DLQ" => Some(Action::Dlq),
            _ => None,
        }
    }
}

/// The action of `rule` running in `direction` for its text `text` (its `onSuccess` or
/// `onFailure`), `default` when it names none; `Err` with the unknown name.
pub(super) fn resolve(
    rule: &Rule,
    direction: Direction,
    text: Option<&str>,
    default: Action,
) -> Result<Action, String> {
    let Some(text) = text.filter(|t| !t.is_empty()) else {
        return Ok(default);
    };
    let two_way = matches!(rule.mode, RuleMode::Writeread | RuleMode::Updown);
    let name = match (two_way, text.split_once(',')) {
        (true, Some((write, read))) => match direction {
            Direction::Write | Direction::Upgrade => write,
            Direction::Read | Direction::Downgrade => read,
        },
        _ => text,
    };
    Action::parse(name).ok_or_else(|| format!("unknown rule action {name:?}"))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rule(mode: RuleMode) -> Rule {
        Rule {
            mode,
            ..Rule::default()
        }
    }

    #[test]
    fn two_way_rules_split_their_actions_by_direction() {
        let r = rule(RuleMode::Writeread);
        assert_eq!(
            resolve(&r, Direction::Write, Some("ERROR,DLQ"), Action::None),
            Ok(Action::Error)
        );
        assert_eq!(
            resolve(&r, Direction::Read, Some("ERROR,DLQ"), Action::None),
            Ok(Action::Dlq)
        );
        assert_eq!(
            resolve(&r, Direction::Read, None, Action::Error),
            Ok(Action::Error)
        );
        assert_eq!(
            resolve(&r, Direction::Read, Some(""), Action::None),
            Ok(Action::None)
        );
        assert_eq!(
            resolve(
                &rule(RuleMode::Write),
                Direction::Write,
                Some("DLQ"),
                Action::None
            ),
            Ok(Action::Dlq)
        );
        assert!(resolve(&r, Direction::Write, Some("EMAIL"), Action::None).is_err());
    }
}
