//! Subject name strategies: which subject a record's schema is registered under.

use std::fmt;
use std::str::FromStr;

/// How a subject name is made from the topic and the record's full name (Confluent's
/// `key.subject.name.strategy` / `value.subject.name.strategy`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub enum SubjectNameStrategy {
    /// `<topic>-key` / `<topic>-value` (the default): one schema lineage per topic.
    #[default]
    TopicName,
    /// `<record full name>`: one lineage per type, across topics.
    RecordName,
    /// `<topic>-<record full name>`: one lineage per type per topic.
    TopicRecordName,
}

impl SubjectNameStrategy {
    /// The subject for `topic` and a record of `full_name`, for the key or the value.
    pub fn subject(self, topic: &str, full_name: &str, is_key: bool) -> String {
        match self {
            SubjectNameStrategy::TopicName => {
                format!("{topic}-{}", if is_key { "key" } else { "value" })
            }
            SubjectNameStrategy::RecordName => full_name.to_string(),
            SubjectNameStrategy::TopicRecordName => format!("{topic}-{full_name}"),
        }
    }
}

impl fmt::Display for SubjectNameStrategy {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            SubjectNameStrategy::TopicName => "TopicNameStrategy",
            SubjectNameStrategy::RecordName => "RecordNameStrategy",
            SubjectNameStrategy::TopicRecordName => "TopicRecordNameStrategy",
        })
    }
}

/// The text given was not a strategy.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("unknown subject name strategy {0:?}: expected TopicNameStrategy, RecordNameStrategy or TopicRecordNameStrategy")]
pub struct UnknownStrategy(pub String);

impl FromStr for SubjectNameStrategy {
    type Err = UnknownStrategy;
    /// Accepts Confluent's class names (with or without package) and short forms
    /// (`topic`, `record`, `topic-record`), case-insensitive.
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let last = s
            .rsplit('.')
            .next()
            .unwrap_or(s)
            .to_ascii_lowercase()
            .replace(['-', '_'], "");
        match last.trim_end_matches("strategy").trim_end_matches("name") {
            "topic" => Ok(SubjectNameStrategy::TopicName),
            "record" => Ok(SubjectNameStrategy::RecordName),
            "topicrecord" => Ok(SubjectNameStrategy::TopicRecordName),
            _ => Err(UnknownStrategy(s.to_string())),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn subjects() {
        let e = "com.example.events.UserEvent";
        assert_eq!(
            SubjectNameStrategy::TopicName.subject("user-events", e, false),
            "user-events-value"
        );
        assert_eq!(
            SubjectNameStrategy::TopicName.subject("user-events", e, true),
            "user-events-key"
        );
        assert_eq!(
            SubjectNameStrategy::RecordName.subject("user-events", e, false),
            e
        );
        assert_eq!(
            SubjectNameStrategy::TopicRecordName.subject("user-events", e, false),
            "user-events-com.example.events.UserEvent"
        );
    }

    #[test]
    fn parses_confluent_names() {
        for (s, want) in [
            (
                "io.confluent.kafka.serializers.subject.TopicNameStrategy",
                SubjectNameStrategy::TopicName,
            ),
            ("RecordNameStrategy", SubjectNameStrategy::RecordName),
            ("topic-record", SubjectNameStrategy::TopicRecordName),
            ("topic_name", SubjectNameStrategy::TopicName),
        ] {
            assert_eq!(s.parse::<SubjectNameStrategy>().unwrap(), want, "{s}");
        }
        assert!("sideways".parse::<SubjectNameStrategy>().is_err());
    }
}
