//! Durations as the CLI prints them to people: rounded to what a reader can use (`6.6 s`,
//! `120 ms`, `2 min 5 s`), never `Debug`'s `6.578477838s`.

use std::fmt;
use std::time::Duration;

/// A [`Duration`] displayed for humans: under a millisecond in µs, under a second in whole
/// milliseconds, under ten seconds with one decimal, under a minute in whole seconds, then
/// minutes and seconds (hours and minutes from an hour). Rounded to the nearest unit shown.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Human(pub Duration);

/// `d` for humans (see [`Human`]).
pub fn human(d: Duration) -> Human {
    Human(d)
}

impl fmt::Display for Human {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let d = self.0;
        if d.is_zero() {
            return f.write_str("0 s");
        }
        let micros = d.as_micros();
        if micros == 0 {
            return f.write_str("< 1 µs");
        }
        if micros < 1_000 {
            return write!(f, "{micros} µs");
        }
        // Rounded to whole milliseconds first, so that 999.6 ms reads `1.0 s`, not `1000 ms`.
        let millis = (micros + 500) / 1_000;
        if millis < 1_000 {
            return write!(f, "{millis} ms");
        }
        // Tenths of a second, rounded: 6.578 s is 66 tenths.
        let tenths = (millis + 50) / 100;
        if tenths < 100 {
            return write!(f, "{}.{} s", tenths / 10, tenths % 10);
        }
        let secs = (millis + 500) / 1_000;
        if secs < 60 {
            return write!(f, "{secs} s");
        }
        if secs < 3_600 {
            return match secs % 60 {
                0 => write!(f, "{} min", secs / 60),
                s => write!(f, "{} min {s} s", secs / 60),
            };
        }
        let mins = (secs + 30) / 60;
        match mins % 60 {
            0 => write!(f, "{} h", mins / 60),
            m => write!(f, "{} h {m} min", mins / 60),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn show(d: Duration) -> String {
        human(d).to_string()
    }

    #[test]
    fn rounded_for_humans() {
        assert_eq!(show(Duration::from_nanos(6_578_477_838)), "6.6 s");
        assert_eq!(show(Duration::from_millis(120)), "120 ms");
        assert_eq!(show(Duration::from_micros(120_400)), "120 ms");
        assert_eq!(show(Duration::from_micros(999_600)), "1.0 s");
        assert_eq!(show(Duration::from_millis(9_949)), "9.9 s");
        assert_eq!(show(Duration::from_millis(9_950)), "10 s");
        assert_eq!(show(Duration::from_secs(2)), "2.0 s");
        assert_eq!(show(Duration::from_secs(30)), "30 s");
        assert_eq!(show(Duration::from_millis(59_600)), "1 min");
        assert_eq!(show(Duration::from_secs(125)), "2 min 5 s");
        assert_eq!(show(Duration::from_secs(3_600)), "1 h");
        assert_eq!(show(Duration::from_secs(5_400)), "1 h 30 min");
        assert_eq!(show(Duration::from_micros(250)), "250 µs");
        assert_eq!(show(Duration::from_nanos(10)), "< 1 µs");
        assert_eq!(show(Duration::ZERO), "0 s");
    }
}
