//! One member of a consumer group as a process of its own: consumes `UserEvent`s (Avro) at
//! least once and prints one line per handled record, flushed at once:
//!
//! ```text
//! handled <user_id> <partition> <offset>
//! ```
//!
//! so that whoever reads its output knows exactly what it handled. Ctrl-C or SIGTERM stops it
//! cleanly: what it handled is committed and it leaves the group. SIGKILL is a crash: nothing
//! more is committed, the group notices only when the member's session times out, and the
//! records it handled since its last commit are delivered again to the partitions' next owner.
//! Run two or more with the same `--group` to watch partitions move between them.
//!
//! ```sh
//! cargo run --example group_member -- --brokers localhost:9092 --registry http://localhost:8081 \
//!     --topic user-events --group my-group
//! ```
//!
//! `tests/consumer_groups.rs` runs members this way and SIGKILLs them between two commits.
use std::io::Write;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::Duration;

use clap::Parser;
use schemaflow::consumer::{shutdown_signal, ConsumerConfig, Message, StopConsumer, TypedConsumer};
use schemaflow::generated::avro::user_event::UserEvent;
use schemaflow::registry::{CacheConfig, CachedRegistry, ClientConfig, RegistryClient};

#[derive(Parser)]
struct Args {
    /// Kafka bootstrap servers.
    #[arg(long, default_value = "localhost:9092")]
    brokers: String,
    /// Schema registry URL.
    #[arg(long, default_value = "http://localhost:8081")]
    registry: String,
    /// Topic.
    #[arg(long, default_value = "user-events")]
    topic: String,
    /// Consumer group.
    #[arg(long, default_value = "my-group")]
    group: String,
    /// Commit the handled records' offsets after this many records…
    #[arg(long, default_value_t = 500)]
    commit_every: usize,
    /// …or after this many milliseconds.
    #[arg(long, value_name = "MS", default_value_t = 1000)]
    commit_interval_ms: u64,
    /// How long handling one record takes (simulated work), in milliseconds.
    #[arg(long, value_name = "MS", default_value_t = 0)]
    work_ms: u64,
    /// Handle this many records, then print `stalled after N` and handle no more (the member
    /// stays in the group, holding its partitions) until it is stopped or killed: a process at
    /// a known point between two commits, for crash tests.
    #[arg(long, value_name = "N")]
    stall_after: Option<u64>,
    /// A librdkafka property, `KEY=VALUE` (repeatable), e.g. `-X session.timeout.ms=6000`.
    #[arg(short = 'X', value_name = "KEY=VALUE")]
    property: Vec<String>,
}

/// One line on stdout, flushed, or the reason the consumer must stop (stdout is gone).
fn say(line: std::fmt::Arguments<'_>) -> Result<(), StopConsumer> {
    let mut out = std::io::stdout().lock();
    out.write_fmt(line)
        .and_then(|()| out.write_all(b"\n"))
        .and_then(|()| out.flush())
        .map_err(|e| StopConsumer(format!("writing to stdout: {e}")))
}

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let args = Args::parse();
    let registry = CachedRegistry::new(
        RegistryClient::new(ClientConfig::new(&args.registry))?,
        CacheConfig::default(),
    );
    let mut config = ConsumerConfig::new(&args.brokers, &args.group, &[&args.topic]);
    config.commit_every = args.commit_every;
    config.commit_interval = Duration::from_millis(args.commit_interval_ms);
    for p in &args.property {
        let (k, v) = p
            .split_once('=')
            .ok_or_else(|| format!("-X {p}: expected KEY=VALUE"))?;
        config.properties.insert(k.to_string(), v.to_string());
    }
    let consumer = TypedConsumer::<UserEvent>::new(config, registry)?;
    let handled = Arc::new(AtomicU64::new(0));
    let (work, stall_after) = (Duration::from_millis(args.work_ms), args.stall_after);
    let stats = consumer
        .run(
            move |m: Message<UserEvent>| {
                let handled = handled.clone();
                async move {
                    if stall_after.is_some_and(|n| handled.load(Ordering::SeqCst) >= n) {
                        say(format_args!(
                            "stalled after {}",
                            handled.load(Ordering::SeqCst)
                        ))?;
                        // Stopped here, this record is not handled: it is not committed either.
                        shutdown_signal().await;
                        return Err(StopConsumer("stopped while stalled".into()));
                    }
                    if !work.is_zero() {
                        tokio::time::sleep(work).await;
                    }
                    let id = m.value.as_ref().map_or("-", |e| e.user_id.as_str());
                    say(format_args!("handled {id} {} {}", m.partition, m.offset))?;
                    handled.fetch_add(1, Ordering::SeqCst);
                    Ok(())
                }
            },
            shutdown_signal(),
        )
        .await?;
    say(format_args!("stopped {stats:?}")).map_err(|e| e.0)?;
    Ok(())
}
