//! End-to-end throughput through a real broker (Apache Kafka), every row in one run on the same
//! broker, topic and records: 200,000 records of the 6-field Avro record `BenchSmall` (long,
//! string, double, boolean, `array<string>`, `map<long>`; `tests/avro_samples/bench_small.avsc`),
//! 3 partitions, a warm-up round then 3 timed rounds per row, the median, records/s from the
//! first record, and each row's peak RSS (each row runs in a process of its own).
//!
//! - produce: raw librdkafka `BaseProducer` of frames encoded ahead (poll-driven), `TypedProducer`
//!   (enqueue all, then await all), Confluent Python `Producer` + `AvroSerializer`, Java
//!   kafka-clients `KafkaProducer` + Apache Avro's `GenericDatumWriter` with Confluent framing;
//!   each round writes a fresh topic.
//! - consume (one topic, written once ahead by the raw producer; a fresh group per round): raw
//!   `BaseConsumer::poll` (payload read), raw poll + schemaflow's generated decoder (the floor
//!   for a typed consumer), raw poll + that decoder into one reused value (the floor for
//!   `run_ref`), `TypedConsumer::run`, `run_ref` and `run_batch`, Confluent Python `Consumer` +
//!   `AvroDeserializer`, Java `KafkaConsumer` + Apache Avro's `GenericDatumReader`.
//!
//! The producers share `ProducerConfig`'s settings (idempotent, acks=all, linger 5 ms, lz4); the
//! consumers librdkafka's / kafka-clients' defaults, except that every librdkafka consumer (raw,
//! typed, Python) has schemaflow's `fetch.queue.backoff.ms=10`. Prints the BENCHMARKS.md
//! section (tables, ratios, the issue-25 targets met or not); with `SCHEMAFLOW_BENCH_OUT=DIR`
//! also writes it to `DIR/pipeline.md` and every number to `DIR/pipeline.json`
//! (`scripts/pipeline-bench` runs this and splices the section into BENCHMARKS.md).
//!
//! Run: `cargo bench --bench pipeline`: on the broker in `SCHEMAFLOW_TEST_BROKERS` when set,
//! else on one it starts with `scripts/kafka start` (and stops at exit). Settings:
//! `SCHEMAFLOW_BENCH_RECORDS` (default 200000), `SCHEMAFLOW_BENCH_ROUNDS` (3),
//! `SCHEMAFLOW_BENCH_MODES` (a comma-separated subset of the rows' names, e.g.
//! `consume-raw,consume-raw-decode,consume-typed-run,consume-typed-ref`: no peers),
//! `SCHEMAFLOW_BENCH_WRAP` (a command to run each Rust row under, e.g. `valgrind
//! --tool=callgrind`). The Rust rows also report the process's CPU time per record of each
//! round (every thread, librdkafka's included): the evidence that holds when the machine is
//! shared.

mod common;
#[path = "pipeline/modes.rs"]
mod modes;
#[path = "pipeline/peers.rs"]
mod peers;
#[path = "pipeline/report.rs"]
mod report;

/// The 6-field record, generated ahead from `tests/avro_samples/` (as `benches/codec.rs` uses it).
#[allow(missing_docs, dead_code, clippy::all, clippy::pedantic)]
mod samples {
    include!("../tests/avro_samples/generated.rs");
}

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use common::{broker, services, status_mib};
use peers::Peer;
use report::{Outcome, Row};
use schemaflow::registry::{CacheConfig, CachedRegistry, ClientConfig, RegistryClient};

/// Set in a Rust row's child process: `MODE BROKERS REGISTRY N ROUNDS TOPIC[,TOPIC…]`.
const CHILD_ENV: &str = "SCHEMAFLOW_BENCH_PIPELINE_CHILD";
const PARTITIONS: i32 = 3;

/// Who runs a row.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Runner {
    Rust,
    Peer(Peer),
}

/// A row: its name (the child's mode), whether it produces, who runs it, its label.
pub struct Mode {
    pub name: &'static str,
    pub produce: bool,
    pub runner: Runner,
    pub label: &'static str,
}

const MODES: &[Mode] = &[
    Mode {
        name: "produce-raw",
        produce: true,
        runner: Runner::Rust,
        label: "raw librdkafka `BaseProducer` (frames encoded ahead, poll-driven)",
    },
    Mode {
        name: "produce-typed",
        produce: true,
        runner: Runner::Rust,
        label: "schemaflow `TypedProducer` (enqueue all, then await all)",
    },
    Mode {
        name: "produce-python",
        produce: true,
        runner: Runner::Peer(Peer::Python),
        label: "Confluent Python `Producer` + `AvroSerializer`",
    },
    Mode {
        name: "produce-java",
        produce: true,
        runner: Runner::Peer(Peer::Java),
        label: "Java kafka-clients `KafkaProducer` + Apache Avro `GenericDatumWriter`",
    },
    Mode {
        name: "consume-raw",
        produce: false,
        runner: Runner::Rust,
        label: "raw librdkafka `BaseConsumer::poll` (payload read)",
    },
    Mode {
        name: "consume-raw-decode",
        produce: false,
        runner: Runner::Rust,
        label: "raw `BaseConsumer::poll` + schemaflow's generated decoder",
    },
    Mode {
        name: "consume-raw-decode-into",
        produce: false,
        runner: Runner::Rust,
        label: "raw `BaseConsumer::poll` + the generated decoder into one reused value",
    },
    Mode {
        name: "consume-typed-run",
        produce: false,
        runner: Runner::Rust,
        label: "schemaflow `TypedConsumer::run` (a handler call per record)",
    },
    Mode {
        name: "consume-typed-ref",
        produce: false,
        runner: Runner::Rust,
        label: "schemaflow `TypedConsumer::run_ref` (the record lent, its value decoded in place)",
    },
    Mode {
        name: "consume-typed-batch",
        produce: false,
        runner: Runner::Rust,
        label: "schemaflow `TypedConsumer::run_batch`",
    },
    Mode {
        name: "consume-python",
        produce: false,
        runner: Runner::Peer(Peer::Python),
        label: "Confluent Python `Consumer` + `AvroDeserializer`",
    },
    Mode {
        name: "consume-java",
        produce: false,
        runner: Runner::Peer(Peer::Java),
        label: "Java kafka-clients `KafkaConsumer` + Apache Avro `GenericDatumReader`",
    },
];

fn env_usize(name: &str, default: usize) -> usize {
    std::env::var(name)
        .ok()
        .and_then(|v| v.trim().parse().ok())
        .unwrap_or(default)
}

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

fn main() {
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .expect("tokio runtime");
    match std::env::var(CHILD_ENV) {
        Ok(spec) => rt.block_on(child(&spec)),
        Err(_) => rt.block_on(parent()),
    }
}

/// A Rust row: warm-up + timed rounds, then one JSON line.
async fn child(spec: &str) {
    let f: Vec<&str> = spec.split(' ').collect();
    let &[mode, brokers, url, n, rounds, topics] = f.as_slice() else {
        panic!("bad {CHILD_ENV}: {spec}");
    };
    let n: usize = n.parse().expect("N");
    let all_rounds = rounds.parse::<usize>().expect("ROUNDS") + 1;
    let topics: Vec<String> = topics.split(',').map(str::to_string).collect();
    let reg = CachedRegistry::new(
        RegistryClient::new(ClientConfig::new(url)).expect("registry client"),
        CacheConfig::default(),
    );
    let topic = topics[0].as_str();
    let rates = match mode {
        "produce-raw" => modes::produce_raw(brokers, &reg, &topics, n).await,
        "produce-typed" => modes::produce_typed(brokers, &reg, &topics, n).await,
        "consume-raw" => modes::consume_raw(brokers, topic, n, all_rounds),
        "consume-raw-decode" => {
            modes::consume_raw_decode(brokers, &reg, topic, n, all_rounds, false).await
        }
        "consume-raw-decode-into" => {
            modes::consume_raw_decode(brokers, &reg, topic, n, all_rounds, true).await
        }
        "consume-typed-run" => {
            modes::consume_typed(brokers, &reg, topic, n, all_rounds, modes::Typed::Run).await
        }
        "consume-typed-ref" => {
            modes::consume_typed(brokers, &reg, topic, n, all_rounds, modes::Typed::RunRef).await
        }
        "consume-typed-batch" => {
            modes::consume_typed(brokers, &reg, topic, n, all_rounds, modes::Typed::Batch).await
        }
        other => panic!("unknown mode {other}"),
    };
    let cpu_us: Vec<f64> = rates.iter().map(|r| r.cpu_us).collect();
    let rates: Vec<f64> = rates.iter().map(|r| r.rate).collect();
    println!(
        "{}",
        serde_json::json!({
            "mode": mode, "rates": rates, "cpu_us": cpu_us, "peak_rss_mib": status_mib("VmHWM:")
        })
    );
}

/// Run one row's process and read its JSON line.
fn run_row(mode: &Mode, args: &[String]) -> Outcome {
    let mut cmd = match mode.runner {
        Runner::Rust => {
            let exe = std::env::current_exe().expect("current exe");
            // `SCHEMAFLOW_BENCH_WRAP="valgrind --tool=callgrind …"` runs each Rust row under
            // that command (instruction counts that other load on the machine does not move);
            // `{mode}` in it is the row's name (`perf record -o /tmp/{mode}.data`).
            let wrap: Vec<String> = std::env::var("SCHEMAFLOW_BENCH_WRAP")
                .unwrap_or_default()
                .split_whitespace()
                .map(|w| w.replace("{mode}", mode.name))
                .collect();
            let mut c = match wrap.split_first() {
                Some((tool, args)) => {
                    let mut c = Command::new(tool);
                    c.args(args).arg(exe);
                    c
                }
                None => Command::new(exe),
            };
            c.env(CHILD_ENV, format!("{} {}", mode.name, args.join(" ")));
            c
        }
        Runner::Peer(p) => {
            let verb = if mode.produce { "produce" } else { "consume" };
            match peers::command(&root(), p, verb) {
                Ok(mut c) => {
                    c.args(args);
                    c
                }
                Err(e) => return Outcome::NotRun(e),
            }
        }
    };
    eprintln!("pipeline: {} …", mode.name);
    let out = match cmd.stderr(Stdio::inherit()).output() {
        Ok(o) => o,
        Err(e) => return Outcome::NotRun(format!("could not start: {e}")),
    };
    let stdout = String::from_utf8_lossy(&out.stdout);
    let parsed = stdout
        .lines()
        .rev()
        .find_map(|l| serde_json::from_str::<serde_json::Value>(l.trim()).ok());
    match (out.status.success(), parsed) {
        (true, Some(v)) => {
            let rates: Vec<f64> = v["rates"]
                .as_array()
                .map(|a| a.iter().filter_map(serde_json::Value::as_f64).collect())
                .unwrap_or_default();
            if rates.len() < 2 {
                return Outcome::NotRun(format!("no rounds in its answer: {v}"));
            }
            // CPU µs a record of each timed round (the Rust rows measure it; the peers not).
            let cpu_us: Vec<f64> = v["cpu_us"]
                .as_array()
                .map(|a| {
                    a.iter()
                        .skip(1)
                        .filter_map(serde_json::Value::as_f64)
                        .collect()
                })
                .unwrap_or_default();
            let o = Outcome::Ran {
                warmup: rates[0],
                rounds: rates[1..].to_vec(),
                cpu_us,
                peak_rss_mib: v["peak_rss_mib"].as_f64().unwrap_or(f64::NAN),
            };
            eprintln!("pipeline: {} {o:?}", mode.name);
            o
        }
        (ok, _) => Outcome::NotRun(format!(
            "exited with {} (success {ok}) without a result line",
            out.status
        )),
    }
}

async fn parent() {
    let n = env_usize("SCHEMAFLOW_BENCH_RECORDS", 200_000);
    let rounds = env_usize("SCHEMAFLOW_BENCH_ROUNDS", 3).max(1);
    let only: Option<Vec<String>> = std::env::var("SCHEMAFLOW_BENCH_MODES")
        .ok()
        .filter(|s| !s.trim().is_empty())
        .map(|s| s.split(',').map(|m| m.trim().to_string()).collect());
    let load_start = report::load_average();
    let b = broker::broker();
    let (server, reg) = services::registry().await;
    let url = server.url().to_string();

    // The consumers' topic: the same N records, written once by the raw producer.
    let source = broker::rand_topic("bench-pipe-src");
    broker::create_topic(&b.bootstrap, &source, PARTITIONS).await;
    let id = modes::schema_id(&reg, &source).await;
    let frames = modes::frames(id, n);
    let frame_bytes = frames.iter().map(Vec::len).sum::<usize>() / n.max(1);
    modes::produce_raw_round(&modes::raw_producer(&b.bootstrap), &source, &frames);
    drop(frames);

    let mut rows = Vec::new();
    for mode in MODES {
        if only
            .as_ref()
            .is_some_and(|o| !o.iter().any(|m| m == mode.name))
        {
            continue;
        }
        let topics = if mode.produce {
            // A fresh topic a round (the first for the warm-up), the schema registered under
            // each subject (what the Java peer looks up; the others would register it).
            let mut t = Vec::new();
            for r in 0..=rounds {
                let topic = broker::rand_topic(&format!("bench-pipe-{}-{r}", mode.name));
                broker::create_topic(&b.bootstrap, &topic, PARTITIONS).await;
                modes::schema_id(&reg, &topic).await;
                t.push(topic);
            }
            t.join(",")
        } else {
            source.clone()
        };
        let args = [
            b.bootstrap.clone(),
            url.clone(),
            n.to_string(),
            rounds.to_string(),
            topics,
        ];
        rows.push(Row {
            name: mode.name,
            label: mode.label,
            produce: mode.produce,
            outcome: run_row(mode, &args),
        });
    }
    let load_end = report::load_average();
    let run = report::Run {
        records: n,
        rounds,
        partitions: PARTITIONS,
        frame_bytes,
        load_start,
        load_end,
        rows,
    };
    let section = report::markdown(&run);
    println!("{section}");
    if let Some(dir) = std::env::var_os("SCHEMAFLOW_BENCH_OUT") {
        write_out(Path::new(&dir), &section, &run);
    }
    server.stop().await.expect("stop the registry");
}

fn write_out(dir: &Path, section: &str, run: &report::Run) {
    std::fs::create_dir_all(dir).expect("create SCHEMAFLOW_BENCH_OUT");
    std::fs::write(dir.join("pipeline.md"), section).expect("write pipeline.md");
    std::fs::write(
        dir.join("pipeline.json"),
        serde_json::to_string_pretty(&run.to_json()).expect("json"),
    )
    .expect("write pipeline.json");
}
