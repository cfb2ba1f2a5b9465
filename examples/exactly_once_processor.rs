//! An exactly-once processor as a process of its own: reads `UserEvent`s (Avro) from `--input`
//! with `read_committed`, writes one Protobuf `events.v1.UserEvent` per input to `--output`, in
//! Kafka transactions that also commit the input offsets (`ExactlyOnceProcessor`). Each output
//! carries the instance that wrote it in its `attributes["processed_by"]`.
//!
//! It prints one line per event on stdout, flushed at once:
//!
//! ```text
//! ready transactional.id=<id> instance=<name>        transactions initialised (older instances with this id fenced)
//! transformed <n>                                     every --report-every transforms (n: all transforms so far, redone ones too)
//! committed inputs=<i> outputs=<o> dead_lettered=<d> commits=<c> aborts=<a> transformed=<n>
//! aborted inputs=… (same counters) error=<why>
//! stalled after <n> in_transaction=<k>                --stall-after: blocked mid-transaction, k outputs sent uncommitted
//! stopped inputs=… (same counters)                    after Ctrl-C / SIGTERM, between two transactions
//! fatal <error>                                       a fatal stop (e.g. fenced by another instance); also on stderr
//! ```
//!
//! Exit status: 0 after Ctrl-C / SIGTERM; 2 on a fatal stop (fenced, or the registry refuses
//! us); 1 on any other error. SIGKILL is a crash: the open transaction stays open until the
//! next instance with the same `--transactional-id` starts, which aborts it (its outputs never
//! reach `read_committed` readers) and resumes from the last committed input offsets.
//!
//! ```sh
//! cargo run --example exactly_once_processor -- --brokers localhost:9092 \
//!     --registry http://localhost:8081 --input user-events --output user-events-pb \
//!     --group eos --transactional-id eos-1
//! ```
//!
//! `tests/exactly_once.rs` runs it this way, SIGKILLs it mid-transaction and restarts it, and
//! starts a second instance with the same transactional.id to fence the first.
use std::io::Write;
use std::process::ExitCode;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::Duration;

use clap::Parser;
use schemaflow::exactly_once::{
    ExactlyOnceConfig, ExactlyOnceProcessor, ExactlyOnceStats, Progress,
};
use schemaflow::generated::avro::user_event::UserEvent;
use schemaflow::generated::proto::events::v1 as pb;
use schemaflow::registry::{CacheConfig, CachedRegistry, ClientConfig, RegistryClient};

#[derive(Parser)]
struct Args {
    /// Kafka bootstrap servers.
    #[arg(long, default_value = "localhost:9092")]
    brokers: String,
    /// Schema registry URL.
    #[arg(long, default_value = "http://localhost:8081")]
    registry: String,
    /// Input topic (Avro `UserEvent`s).
    #[arg(long, default_value = "user-events")]
    input: String,
    /// Output topic (Protobuf `events.v1.UserEvent`s).
    #[arg(long, default_value = "user-events-pb")]
    output: String,
    /// Consumer group of the inputs.
    #[arg(long, default_value = "eos")]
    group: String,
    /// `transactional.id`: the same for a restarted instance (it fences its predecessor).
    #[arg(long, default_value = "eos-1")]
    transactional_id: String,
    /// This instance's name, written into every output (`attributes["processed_by"]`).
    /// Default: the process id.
    #[arg(long)]
    instance: Option<String>,
    /// Records per transaction, at most.
    #[arg(long, default_value_t = 500)]
    batch_size: usize,
    /// How long to wait for more records before committing a partial batch, in milliseconds.
    #[arg(long, value_name = "MS", default_value_t = 100)]
    batch_wait_ms: u64,
    /// How long transforming one record takes (simulated work), in milliseconds.
    #[arg(long, value_name = "MS", default_value_t = 0)]
    work_ms: u64,
    /// Print `transformed <n>` every this many transforms (0: never).
    #[arg(long, value_name = "N", default_value_t = 0)]
    report_every: u64,
    /// Transform this many records, then block in the next transform that is not the first of
    /// its transaction (so the open transaction has sent outputs, none committed), printing
    /// `stalled after <transformed> in_transaction=<outputs in the open transaction>`, until
    /// killed: a process at a known point inside a transaction, for crash tests.
    #[arg(long, value_name = "N")]
    stall_after: Option<u64>,
    /// A librdkafka property for both clients, `KEY=VALUE` (repeatable), e.g.
    /// `-X session.timeout.ms=6000`.
    #[arg(short = 'X', value_name = "KEY=VALUE")]
    property: Vec<String>,
}

/// One line on stdout, flushed (a vanished stdout is ignored: the process goes on).
fn say(line: std::fmt::Arguments<'_>) {
    let mut out = std::io::stdout().lock();
    let _ = out
        .write_fmt(line)
        .and_then(|()| out.write_all(b"\n"))
        .and_then(|()| out.flush());
}

fn counters(s: &ExactlyOnceStats, transformed: u64) -> String {
    format!(
        "inputs={} outputs={} dead_lettered={} commits={} aborts={} transformed={transformed}",
        s.inputs, s.outputs, s.dead_lettered, s.commits, s.aborts
    )
}

#[tokio::main]
async fn main() -> ExitCode {
    tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_default_env()
                .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("warn")),
        )
        .with_writer(std::io::stderr)
        .init();
    let args = Args::parse();
    match run(args).await {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            let fatal = e.is_fatal() || e.fault() == schemaflow::Fault::Fatal;
            say(format_args!("fatal {e}"));
            eprintln!("error: {e}");
            ExitCode::from(if fatal { 2 } else { 1 })
        }
    }
}

async fn run(args: Args) -> Result<(), schemaflow::Error> {
    let registry = CachedRegistry::new(
        RegistryClient::new(ClientConfig::new(&args.registry))?,
        CacheConfig::default(),
    );
    let mut config = ExactlyOnceConfig::new(
        &args.brokers,
        &args.group,
        &args.input,
        &args.output,
        &args.transactional_id,
    );
    config.batch_size = args.batch_size;
    config.batch_wait = Duration::from_millis(args.batch_wait_ms);
    for p in &args.property {
        let (k, v) = p.split_once('=').unwrap_or_else(|| {
            eprintln!("-X {p}: expected KEY=VALUE");
            std::process::exit(64)
        });
        config.properties.insert(k.to_string(), v.to_string());
    }
    let instance = args
        .instance
        .clone()
        .unwrap_or_else(|| std::process::id().to_string());
    let processor = ExactlyOnceProcessor::<UserEvent, pb::UserEvent>::new(config, registry).await?;
    say(format_args!(
        "ready transactional.id={} instance={instance}",
        args.transactional_id
    ));

    // Transforms so far, and those in the open transaction (its outputs sent, not committed).
    let transformed = Arc::new(AtomicU64::new(0));
    let in_transaction = Arc::new(AtomicU64::new(0));
    let (t, open) = (transformed.clone(), in_transaction.clone());
    let (work, report_every, stall_after) = (args.work_ms, args.report_every, args.stall_after);
    let transform = move |e: &UserEvent| {
        let (n, k) = (t.load(Ordering::SeqCst), open.load(Ordering::SeqCst));
        // Not at a transaction's first record: the stall is always inside one that has sent
        // outputs.
        if stall_after.is_some_and(|s| n >= s) && k > 0 {
            say(format_args!("stalled after {n} in_transaction={k}"));
            loop {
                std::thread::sleep(Duration::from_secs(3600));
            }
        }
        if work > 0 {
            std::thread::sleep(Duration::from_millis(work));
        }
        open.fetch_add(1, Ordering::SeqCst);
        let n = t.fetch_add(1, Ordering::SeqCst) + 1;
        if report_every > 0 && n.is_multiple_of(report_every) {
            say(format_args!("transformed {n}"));
        }
        Ok::<_, String>(vec![pb::UserEvent {
            event_id: e.event_id.to_string(),
            user_id: e.user_id.clone(),
            attributes: [("processed_by".to_string(), instance.clone())].into(),
            ..Default::default()
        }])
    };
    let (t, open) = (transformed.clone(), in_transaction.clone());
    let stats = processor
        .run_with_progress(
            transform,
            |p| match p {
                Progress::Committed(s) => {
                    open.store(0, Ordering::SeqCst);
                    say(format_args!(
                        "committed {}",
                        counters(s, t.load(Ordering::SeqCst))
                    ));
                }
                Progress::Aborted(s, e) => {
                    open.store(0, Ordering::SeqCst);
                    say(format_args!(
                        "aborted {} error={e}",
                        counters(s, t.load(Ordering::SeqCst))
                    ))
                }
            },
            schemaflow::shutdown_signal(),
        )
        .await?;
    say(format_args!(
        "stopped {}",
        counters(&stats, transformed.load(Ordering::SeqCst))
    ));
    Ok(())
}
