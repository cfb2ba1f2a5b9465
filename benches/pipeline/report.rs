//! The pipeline benchmark's BENCHMARKS.md section: the run's machine, date and load, one table
//! for produce and one for consume (median of the timed rounds, every round, peak RSS, ratios),
//! and each issue-25 target met or not — all from the numbers of this run.

use std::fmt::Write as _;
use std::path::Path;
use std::process::Command;

/// Where the marked section of BENCHMARKS.md starts and ends.
pub const BEGIN: &str = "<!-- pipeline-bench:begin -->";
pub const END: &str = "<!-- pipeline-bench:end -->";

/// What a row's process answered.
#[derive(Debug, Clone)]
pub enum Outcome {
    Ran {
        warmup: f64,
        rounds: Vec<f64>,
        /// CPU µs per record of each timed round (empty for the peers).
        cpu_us: Vec<f64>,
        peak_rss_mib: f64,
    },
    /// It could not run (a peer missing, a failure), and why.
    NotRun(String),
}

/// One row of the run.
pub struct Row {
    pub name: &'static str,
    pub label: &'static str,
    pub produce: bool,
    pub outcome: Outcome,
}

/// Everything one run measured.
pub struct Run {
    pub records: usize,
    pub rounds: usize,
    pub partitions: i32,
    pub frame_bytes: usize,
    pub load_start: String,
    pub load_end: String,
    pub rows: Vec<Row>,
}

fn median(v: &[f64]) -> f64 {
    let mut v = v.to_vec();
    v.sort_by(f64::total_cmp);
    match v.len() {
        0 => f64::NAN,
        n if n % 2 == 1 => v[n / 2],
        n => (v[n / 2 - 1] + v[n / 2]) / 2.0,
    }
}

impl Run {
    /// The median records/s of row `name`, if it ran.
    pub fn rate(&self, name: &str) -> Option<f64> {
        self.rows
            .iter()
            .find(|r| r.name == name)
            .and_then(|r| match &r.outcome {
                Outcome::Ran { rounds, .. } => Some(median(rounds)),
                Outcome::NotRun(_) => None,
            })
    }

    /// Every number, for `pipeline.json`.
    pub fn to_json(&self) -> serde_json::Value {
        let rows: Vec<serde_json::Value> = self
            .rows
            .iter()
            .map(|r| match &r.outcome {
                Outcome::Ran {
                    warmup,
                    rounds,
                    cpu_us,
                    peak_rss_mib,
                } => serde_json::json!({
                    "name": r.name, "label": r.label, "warmup": warmup, "rounds": rounds,
                    "median": median(rounds), "cpu_us": cpu_us,
                    "cpu_us_median": (!cpu_us.is_empty()).then(|| median(cpu_us)),
                    "peak_rss_mib": peak_rss_mib,
                }),
                Outcome::NotRun(why) => {
                    serde_json::json!({ "name": r.name, "label": r.label, "not_run": why })
                }
            })
            .collect();
        serde_json::json!({
            "date": command_line("date", &["-u", "+%Y-%m-%d %H:%M UTC"]),
            "machine": machine(),
            "rustc": command_line("rustc", &["-V"]),
            "records": self.records, "rounds": self.rounds, "partitions": self.partitions,
            "frame_bytes": self.frame_bytes,
            "load_start": self.load_start, "load_end": self.load_end, "rows": rows,
        })
    }
}

/// `/proc/loadavg`'s 1, 5 and 15 minute averages.
pub fn load_average() -> String {
    std::fs::read_to_string("/proc/loadavg")
        .map(|s| s.split_whitespace().take(3).collect::<Vec<_>>().join(" "))
        .unwrap_or_else(|_| "unknown".into())
}

fn command_line(cmd: &str, args: &[&str]) -> String {
    Command::new(cmd)
        .args(args)
        .output()
        .ok()
        .map(|o| String::from_utf8_lossy(&o.stdout).trim().to_string())
        .filter(|s| !s.is_empty())
        .unwrap_or_else(|| "unknown".into())
}

fn machine() -> String {
    let cores = std::thread::available_parallelism().map_or(0, usize::from);
    let cpu = std::fs::read_to_string("/proc/cpuinfo")
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with("model name"))
                .and_then(|l| l.split_once(':'))
                .map(|(_, m)| m.trim().to_string())
        })
        .unwrap_or_else(|| "unknown CPU".into());
    format!("{cores} cores, {cpu}")
}

/// `1234567.8` → `1,234,568`.
fn thousands(x: f64) -> String {
    if !x.is_finite() {
        return "–".into();
    }
    let s = format!("{:.0}", x.round());
    let (sign, digits) = s.strip_prefix('-').map_or(("", s.as_str()), |d| ("-", d));
    let mut out = String::new();
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i) % 3 == 0 {
            out.push(',');
        }
        out.push(c);
    }
    format!("{sign}{out}")
}

fn ratio(a: Option<f64>, b: Option<f64>) -> Option<f64> {
    match (a, b) {
        (Some(a), Some(b)) if b > 0.0 => Some(a / b),
        _ => None,
    }
}

fn fmt_ratio(r: Option<f64>) -> String {
    r.map_or_else(|| "–".into(), |r| format!("{r:.2}×"))
}

/// A table of one direction's rows, with the ratio of each `of` row to every row.
fn table(out: &mut String, run: &Run, produce: bool, of: &[(&str, &str)]) {
    let _ = write!(
        out,
        "| {} | records/s (median) | rounds (warm-up) | CPU µs/record (median) | peak RSS |",
        if produce { "producer" } else { "consumer" }
    );
    for (_, head) in of {
        let _ = write!(out, " {head} ÷ row |");
    }
    out.push('\n');
    out.push_str("|---|---:|---|---:|---:|");
    for _ in of {
        out.push_str("---:|");
    }
    out.push('\n');
    for row in run.rows.iter().filter(|r| r.produce == produce) {
        match &row.outcome {
            Outcome::Ran {
                warmup,
                rounds,
                cpu_us,
                peak_rss_mib,
            } => {
                let all: Vec<String> = rounds.iter().map(|r| thousands(*r)).collect();
                let cpu = if cpu_us.is_empty() {
                    "–".to_string()
                } else {
                    format!("{:.2}", median(cpu_us))
                };
                let _ = write!(
                    out,
                    "| {} | **{}** | {} ({}) | {cpu} | {:.1} MiB |",
                    row.label,
                    thousands(median(rounds)),
                    all.join(" / "),
                    thousands(*warmup),
                    peak_rss_mib
                );
                for (name, _) in of {
                    let _ = write!(
                        out,
                        " {} |",
                        fmt_ratio(ratio(run.rate(name), run.rate(row.name)))
                    );
                }
            }
            Outcome::NotRun(why) => {
                let _ = write!(
                    out,
                    "| {} | not run: {} | | | |",
                    row.label,
                    why.replace('|', "/")
                );
                for _ in of {
                    out.push_str(" |");
                }
            }
        }
        out.push('\n');
    }
}

/// One target: its text, the typed row and the baseline row, and the least ratio.
fn target(out: &mut String, run: &Run, text: &str, typed: &str, base: &str, least: f64) {
    let r = ratio(run.rate(typed), run.rate(base));
    let verdict = match r {
        Some(r) if r >= least => "met ✔",
        Some(_) => "unmet ✘",
        None => "not measured (a row did not run)",
    };
    let _ = writeln!(out, "| {text} | {} | {verdict} |", fmt_ratio(r));
}

/// The section between [`BEGIN`] and [`END`] (both included).
pub fn markdown(run: &Run) -> String {
    let meta = run.to_json();
    let mut out = String::new();
    let _ = writeln!(out, "{BEGIN}");
    let _ = writeln!(
        out,
        "<!-- generated by `scripts/pipeline-bench` from one run of `cargo bench --bench pipeline`; do not edit by hand -->\n"
    );
    let broker = if std::env::var(common_broker_env()).is_ok_and(|b| !b.trim().is_empty()) {
        "the broker of `SCHEMAFLOW_TEST_BROKERS`".to_string()
    } else {
        "Apache Kafka from `scripts/kafka start` (one KRaft node, loopback)".to_string()
    };
    let _ = writeln!(
        out,
        "Run of {} on {}, {}; {broker}. {} records of the 6-field record ({} bytes framed), {} partitions, a warm-up round then {} timed rounds per row (median shown), records/s from the first record, each row in a process of its own (its peak RSS is VmHWM). Load average (1/5/15 min) {} at the start, {} at the end.\n",
        meta["date"].as_str().unwrap_or("?"),
        meta["machine"].as_str().unwrap_or("?"),
        meta["rustc"].as_str().unwrap_or("?"),
        thousands(run.records as f64),
        run.frame_bytes,
        run.partitions,
        run.rounds,
        run.load_start,
        run.load_end,
    );
    out.push_str("**Produce**\n\n");
    table(&mut out, run, true, &[("produce-typed", "typed")]);
    out.push_str("\n**Consume**\n\n");
    table(
        &mut out,
        run,
        false,
        &[
            ("consume-typed-run", "`run`"),
            ("consume-typed-ref", "`run_ref`"),
            ("consume-typed-batch", "`run_batch`"),
        ],
    );
    out.push_str(
        "\n**Targets (issue 25), from this run**\n\n| target | measured | |\n|---|---:|---|\n",
    );
    for (typed, name) in [
        ("consume-typed-run", "`run`"),
        ("consume-typed-ref", "`run_ref`"),
        ("consume-typed-batch", "`run_batch`"),
    ] {
        target(
            &mut out,
            run,
            &format!("typed consume ({name}) ≥ 0.6× raw poll"),
            typed,
            "consume-raw",
            0.6,
        );
        target(
            &mut out,
            run,
            &format!("typed consume ({name}) ≥ 0.9× raw poll + our decoder"),
            typed,
            "consume-raw-decode",
            0.9,
        );
        if typed == "consume-typed-ref" {
            // The like-for-like floor of a consumer decoding in place.
            target(
                &mut out,
                run,
                &format!(
                    "typed consume ({name}) ≥ 0.9× raw poll + our decoder into a reused value"
                ),
                typed,
                "consume-raw-decode-into",
                0.9,
            );
        }
        target(
            &mut out,
            run,
            &format!("typed consume ({name}) ≥ 20× Confluent Python"),
            typed,
            "consume-python",
            20.0,
        );
        target(
            &mut out,
            run,
            &format!("typed consume ({name}) ≥ 1× Java"),
            typed,
            "consume-java",
            1.0,
        );
    }
    target(
        &mut out,
        run,
        "typed produce ≥ 0.95× raw `BaseProducer`",
        "produce-typed",
        "produce-raw",
        0.95,
    );
    target(
        &mut out,
        run,
        "typed produce ≥ 5× Confluent Python",
        "produce-typed",
        "produce-python",
        5.0,
    );
    target(
        &mut out,
        run,
        "typed produce ≥ 1× Java",
        "produce-typed",
        "produce-java",
        1.0,
    );
    if let Some(memory) = memory_rows() {
        out.push('\n');
        out.push_str(&memory);
    }
    let _ = writeln!(out, "{END}");
    out
}

fn common_broker_env() -> &'static str {
    crate::common::broker::BROKERS_ENV
}

/// The memory rows `benches/consumer_memory.rs` wrote to `$SCHEMAFLOW_BENCH_OUT` (when
/// `scripts/pipeline-bench` ran it before this bench).
fn memory_rows() -> Option<String> {
    let dir = std::env::var_os("SCHEMAFLOW_BENCH_OUT")?;
    std::fs::read_to_string(Path::new(&dir).join("consumer_memory.md")).ok()
}
