//! Waivers: accepted incompatibilities, written in the subjects file
//! (`schemaflow-subjects.toml`) so that they are reviewed with the code and expire.
//!
//! ```toml
//! [[waiver]]
//! rule = "FIELD_SCALAR_KIND_CHANGED"    # required: the finding's rule id
//! file = "schemas/user.avsc"            # the finding's file, and/or
//! path = "shop.User.id"                 # the finding's path (the element), and/or
//! subject = "user-events-value"         # the file's subject: at least one of the three
//! reason = "no consumer reads id yet (JIRA-123)"   # required
//! expires = 2027-01-31                  # required: a TOML date
//! ```
//!
//! The rule must be one schemaflow reports ([`Rule`]); an unknown id is a usage error naming
//! the closest ids, since a misspelt waiver would otherwise waive nothing, silently.
//!
//! A waiver matches a finding when the rule and every key it gives are equal to the
//! finding's. It holds through its `expires` date (inclusive); from the day after, it is
//! expired and the finding fails again, its message saying so. "Today" is the system clock's
//! UTC date, or `SCHEMAFLOW_TODAY=YYYY-MM-DD` (for tests and for replaying a past run).

use std::fmt;
use std::time::{SystemTime, UNIX_EPOCH};

use schemaflow::compat::Rule;
use serde::Deserialize;

use super::super::common::CliError;

/// A `[[waiver]]` entry as written.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct WaiverEntry {
    rule: String,
    path: Option<String>,
    file: Option<String>,
    subject: Option<String>,
    reason: String,
    expires: toml::value::Datetime,
}

/// A calendar date (proleptic Gregorian, UTC).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub struct Date {
    year: i64,
    month: u8,
    day: u8,
}

impl fmt::Display for Date {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:04}-{:02}-{:02}", self.year, self.month, self.day)
    }
}

impl Date {
    /// Parse `YYYY-MM-DD`.
    pub fn parse(s: &str) -> Option<Date> {
        let mut parts = s.trim().splitn(3, '-');
        let year: i64 = parts.next()?.parse().ok()?;
        let month: u8 = parts.next()?.parse().ok()?;
        let day: u8 = parts.next()?.parse().ok()?;
        Date::new(year, month, day)
    }

    fn new(year: i64, month: u8, day: u8) -> Option<Date> {
        let leap = (year % 4 == 0 && year % 100 != 0) || year % 400 == 0;
        let days_in_month = match month {
            1 | 3 | 5 | 7 | 8 | 10 | 12 => 31,
            4 | 6 | 9 | 11 => 30,
            2 if leap => 29,
            2 => 28,
            _ => return None,
        };
        (1..=days_in_month)
            .contains(&day)
            .then_some(Date { year, month, day })
    }

    /// The date `days` days after 1970-01-01 (Howard Hinnant's `civil_from_days`), so that
    /// no date crate is needed for one conversion.
    fn from_unix_days(days: i64) -> Date {
        let z = days + 719_468;
        let era = z.div_euclid(146_097);
        let doe = z.rem_euclid(146_097);
        let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
        let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
        let mp = (5 * doy + 2) / 153;
        let day = (doy - (153 * mp + 2) / 5 + 1) as u8;
        let month = if mp < 10 { mp + 3 } else { mp - 9 } as u8;
        let year = yoe + era * 400 + i64::from(month <= 2);
        Date { year, month, day }
    }

    /// Today's UTC date: `SCHEMAFLOW_TODAY` (`YYYY-MM-DD`) when set, else the system clock.
    pub fn today() -> Result<Date, CliError> {
        if let Ok(s) = std::env::var("SCHEMAFLOW_TODAY") {
            return Date::parse(&s).ok_or_else(|| {
                CliError::usage(format!(
                    "SCHEMAFLOW_TODAY={s:?}: expected a date, YYYY-MM-DD"
                ))
            });
        }
        let secs = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map_err(|e| CliError::io(format!("system clock before 1970: {e}")))?
            .as_secs();
        Ok(Date::from_unix_days((secs / 86_400) as i64))
    }
}

/// A checked waiver.
#[derive(Debug, Clone)]
pub struct Waiver {
    /// The rule it waives.
    pub rule: Rule,
    /// The finding's path it is limited to.
    pub path: Option<String>,
    /// The file it is limited to (repository-relative).
    pub file: Option<String>,
    /// The subject it is limited to.
    pub subject: Option<String>,
    /// Why the incompatibility is accepted.
    pub reason: String,
    /// The last day it holds.
    pub expires: Date,
}

impl Waiver {
    /// Check an entry of the subjects file at `source` (its index for messages).
    pub fn from_entry(e: WaiverEntry, index: usize, source: &str) -> Result<Waiver, CliError> {
        let at = format!("{source}: [[waiver]] #{} (rule {:?})", index + 1, e.rule);
        if e.rule.trim().is_empty() {
            return Err(CliError::usage(format!("{at}: rule is empty")));
        }
        let rule: Rule = e
            .rule
            .parse()
            .map_err(|unknown| CliError::usage(format!("{at}: {unknown}")))?;
        if e.path.is_none() && e.file.is_none() && e.subject.is_none() {
            // A rule-wide waiver would silence every future instance of the rule too.
            return Err(CliError::usage(format!(
                "{at}: give at least one of path, file or subject, so that the waiver covers only the finding it was written for"
            )));
        }
        if e.reason.trim().is_empty() {
            return Err(CliError::usage(format!(
                "{at}: reason is empty: say why the change is accepted"
            )));
        }
        let expires = match (e.expires.date, e.expires.time, e.expires.offset) {
            (Some(d), None, None) => Date::new(i64::from(d.year), d.month, d.day),
            _ => None,
        }
        .ok_or_else(|| {
            CliError::usage(format!(
                "{at}: expires = {}: expected a date such as 2027-01-31",
                e.expires
            ))
        })?;
        Ok(Waiver {
            rule,
            path: e.path,
            file: e.file.map(|f| f.trim_start_matches("./").to_string()),
            subject: e.subject,
            reason: e.reason,
            expires,
        })
    }

    /// Whether the waiver names this finding (expired or not).
    pub fn matches(&self, f: &FindingKey<'_>) -> bool {
        let same = |want: &Option<String>, have: Option<&str>| match want {
            None => true,
            Some(w) => have == Some(w.as_str()),
        };
        self.rule == f.rule
            && same(&self.path, Some(f.path))
            && same(&self.file, Some(f.file.trim_start_matches("./")))
            && same(&self.subject, f.subject)
    }

    /// Whether the waiver still holds on `today`.
    pub fn is_live(&self, today: Date) -> bool {
        today <= self.expires
    }

    /// What a finding's message gains when only this (expired) waiver names it.
    pub fn expired_note(&self) -> String {
        format!("(waiver expired on {}: {})", self.expires, self.reason)
    }

    /// How stderr names the waiver.
    pub fn describe(&self) -> String {
        let mut s = format!("rule = {:?}", self.rule.id());
        for (k, v) in [
            ("file", &self.file),
            ("path", &self.path),
            ("subject", &self.subject),
        ] {
            if let Some(v) = v {
                s.push_str(&format!(", {k} = {v:?}"));
            }
        }
        s.push_str(&format!(", expires = {}", self.expires));
        s
    }
}

/// What a waiver is matched on.
pub struct FindingKey<'a> {
    /// The finding's rule.
    pub rule: Rule,
    /// The element path (the registry subject for registry findings).
    pub path: &'a str,
    /// The file the finding is placed in.
    pub file: &'a str,
    /// The subject of the finding's file, where one is known.
    pub subject: Option<&'a str>,
}

/// How a finding stands against the waivers.
#[derive(Debug, PartialEq)]
pub enum Verdict {
    /// No waiver names it: it fails.
    Fails,
    /// Waiver `n` holds: reported as waived, does not fail.
    Waived(usize),
    /// Only expired waivers name it (`n`, the one that expired last): it fails.
    Expired(usize),
}

/// The subjects file's waivers, judged against today's date: what `check` (every mode) and
/// `lock --add` ask about each finding, so that a finding `check` reports as waived is one
/// `lock --add` records, and an expired waiver fails both.
pub struct Waivers {
    list: Vec<Waiver>,
    /// `None` when there is no waiver (no clock or `SCHEMAFLOW_TODAY` is read then).
    today: Option<Date>,
    used: Vec<bool>,
}

impl Waivers {
    /// The waivers as of today ([`Date::today`]).
    pub fn new(list: Vec<Waiver>) -> Result<Self, CliError> {
        let today = if list.is_empty() {
            None
        } else {
            Some(Date::today()?)
        };
        Ok(Waivers {
            used: vec![false; list.len()],
            list,
            today,
        })
    }

    /// Whether there is no waiver at all.
    pub fn is_empty(&self) -> bool {
        self.list.is_empty()
    }

    /// Whether some waiver is limited to a subject (finding one is then worth the work).
    pub fn wants_subject(&self) -> bool {
        self.list.iter().any(|w| w.subject.is_some())
    }

    /// How the finding stands: the one rule of both commands (see [`judge`]). Every waiver
    /// that names it counts as used.
    pub fn judge(&mut self, f: &FindingKey<'_>) -> Standing<'_> {
        let verdict = match self.today {
            Some(today) => judge(&self.list, f, today, &mut self.used),
            None => Verdict::Fails,
        };
        match verdict {
            Verdict::Fails => Standing::Fails,
            Verdict::Waived(n) => self.list.get(n).map_or(Standing::Fails, Standing::Waived),
            Verdict::Expired(n) => self.list.get(n).map_or(Standing::Fails, Standing::Expired),
        }
    }

    /// The waivers that named no finding judged so far.
    pub fn unused(&self) -> impl Iterator<Item = &Waiver> {
        self.list
            .iter()
            .zip(&self.used)
            .filter(|(_, u)| !**u)
            .map(|(w, _)| w)
    }
}

/// How a finding stands against [`Waivers`].
#[derive(Debug)]
pub enum Standing<'a> {
    /// No waiver names it: it fails.
    Fails,
    /// This waiver holds: reported as waived, it does not fail.
    Waived(&'a Waiver),
    /// Only expired waivers name it (this one expired last): it fails, its message ending
    /// with [`Waiver::expired_note`].
    Expired(&'a Waiver),
}

/// Judge one finding; `used[n]` is set for every waiver that names it.
pub fn judge(waivers: &[Waiver], f: &FindingKey<'_>, today: Date, used: &mut [bool]) -> Verdict {
    let mut live = None;
    let mut expired: Option<usize> = None;
    for (n, w) in waivers.iter().enumerate() {
        if !w.matches(f) {
            continue;
        }
        if let Some(u) = used.get_mut(n) {
            *u = true;
        }
        if w.is_live(today) {
            live.get_or_insert(n);
        } else if expired.is_none_or(|e| waivers[e].expires < w.expires) {
            expired = Some(n);
        }
    }
    match (live, expired) {
        (Some(n), _) => Verdict::Waived(n),
        (None, Some(n)) => Verdict::Expired(n),
        (None, None) => Verdict::Fails,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn waiver(toml_text: &str) -> Result<Waiver, CliError> {
        #[derive(Deserialize)]
        struct Doc {
            waiver: WaiverEntry,
        }
        let doc: Doc = toml::from_str(toml_text).map_err(|e| CliError::usage(e.to_string()))?;
        Waiver::from_entry(doc.waiver, 0, "test")
    }

    #[test]
    fn dates() {
        assert_eq!(Date::from_unix_days(0).to_string(), "1970-01-01");
        assert_eq!(Date::from_unix_days(19_782).to_string(), "2024-02-29");
        assert_eq!(Date::from_unix_days(-1).to_string(), "1969-12-31");
        assert_eq!(
            Date::parse("2027-01-31").map(|d| d.to_string()).as_deref(),
            Some("2027-01-31")
        );
        assert!(Date::parse("2027-02-29").is_none());
        assert!(Date::parse("2027-13-01").is_none());
        assert!(Date::parse("tomorrow").is_none());
    }

    #[test]
    fn judging() -> Result<(), String> {
        let w = |t: &str| waiver(t).map_err(|e| e.message);
        let live = w("[waiver]\nrule = \"TYPE_MISMATCH\"\nfile = \"schemas/a.avsc\"\nreason = \"ok\"\nexpires = 2027-01-31\n")?;
        let old = w(
            "[waiver]\nrule = \"TYPE_MISMATCH\"\npath = \"a.b\"\nreason = \"was ok\"\nexpires = 2026-01-31\n",
        )?;
        let waivers = [live, old];
        let key = |file, path| FindingKey {
            rule: Rule::TypeMismatch,
            path,
            file,
            subject: None,
        };
        let today = Date::parse("2027-01-31").ok_or("date")?;
        let mut used = [false, false];
        assert_eq!(
            judge(&waivers, &key("schemas/a.avsc", "a.b"), today, &mut used),
            Verdict::Waived(0)
        );
        assert_eq!(
            judge(&waivers, &key("schemas/b.avsc", "a.b"), today, &mut used),
            Verdict::Expired(1)
        );
        assert_eq!(used, [true, true]);
        let mut used = [false, false];
        assert_eq!(
            judge(&waivers, &key("schemas/b.avsc", "x"), today, &mut used),
            Verdict::Fails
        );
        assert_eq!(used, [false, false]);
        let next_day = Date::parse("2027-02-01").ok_or("date")?;
        assert_eq!(
            judge(&waivers, &key("schemas/a.avsc", "x"), next_day, &mut used),
            Verdict::Expired(0)
        );
        Ok(())
    }

    #[test]
    fn an_unknown_rule_names_the_closest() {
        let e = waiver("[waiver]\nrule = \"TYPE_MISMATCHED\"\nfile = \"f\"\nreason = \"r\"\nexpires = 2027-01-31\n")
            .expect_err("unknown rule accepted");
        assert_eq!(e.code, crate::cli::EXIT_USAGE);
        assert!(
            e.message.contains("unknown rule \"TYPE_MISMATCHED\"")
                && e.message.contains("did you mean TYPE_MISMATCH"),
            "{}",
            e.message
        );
    }

    #[test]
    fn bad_waivers_are_usage_errors() {
        for bad in [
            "[waiver]\nrule = \"TYPE_MISMATCH\"\nreason = \"r\"\nexpires = 2027-01-31\n",
            "[waiver]\nrule = \"TYPE_MISMATCH\"\nfile = \"f\"\nreason = \" \"\nexpires = 2027-01-31\n",
            "[waiver]\nrule = \"TYPE_MISMATCH\"\nfile = \"f\"\nreason = \"r\"\nexpires = 2027-01-31T10:00:00\n",
            "[waiver]\nrule = \"TYPE_MISMATCH\"\nfile = \"f\"\nreason = \"r\"\n",
            "[waiver]\nrule = \"TYPE_MISMATCH\"\nfile = \"f\"\nreason = \"r\"\nexpires = 2027-01-31\nowner = \"me\"\n",
        ] {
            match waiver(bad) {
                Err(e) => assert_eq!(e.code, crate::cli::EXIT_USAGE, "{bad}"),
                Ok(w) => panic!("accepted {bad:?}: {w:?}"),
            }
        }
    }
}
