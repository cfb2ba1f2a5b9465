//! What one registration costs with the Kafka store (issue 28): each write is a transaction,
//! then a plain `NOOP` after its commit marker (`log/kafka.rs`, `seal`), read back before the
//! answer. This measures it — 200 registrations of distinct schemas, one at a time, over real
//! HTTP on the test broker — and prints the median and 90th percentile wall time and this
//! process's CPU time per registration (the registry and its client; the broker apart).
//!
//! A measurement, not a check of speed: it asserts only that every registration succeeded
//! with a new id. Run it on purpose:
//! `cargo test --test registry -- kafka_write_cost --ignored --nocapture`.

use std::sync::Arc;
use std::time::{Duration, Instant};

use crate::common::broker::{broker, rand_topic};
use crate::http::Http;
use schemaflow_registry::{CompatibilityEngine, EmbeddedRegistry, KafkaStoreConfig, ServerConfig};
use serde_json::json;

/// Registrations measured (after a few unmeasured ones that warm the connections up).
const N: usize = 200;
const WARM_UP: usize = 5;

/// This process's CPU time so far, user + system, every thread (`/proc/self/stat` fields 14
/// and 15, in clock ticks of 1/100 s on Linux); `None` where it cannot be read.
fn cpu_secs() -> Option<f64> {
    let stat = std::fs::read_to_string("/proc/self/stat").ok()?;
    // The command name (field 2) may hold spaces: count fields after its closing paren.
    let after = stat.rsplit_once(')')?.1;
    let fields: Vec<&str> = after.split_whitespace().collect();
    let utime: f64 = fields.get(11)?.parse().ok()?;
    let stime: f64 = fields.get(12)?.parse().ok()?;
    Some((utime + stime) / 100.0)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "a measurement: run with --ignored --nocapture"]
async fn registration_latency_with_the_kafka_store() {
    let config = ServerConfig::default()
        .listen("127.0.0.1:0".parse().expect("address"))
        .kafka_store(
            KafkaStoreConfig::new(broker().bootstrap.clone())
                .topic(rand_topic("write-cost"))
                .timeout(Duration::from_secs(30)),
        );
    let server = EmbeddedRegistry::start(config, Arc::new(CompatibilityEngine))
        .await
        .expect("the registry starts");
    let h = Http::new(server.url());
    let mut ids = Vec::with_capacity(N);
    let mut times = Vec::with_capacity(N);
    let mut cpu_start = None;
    for i in 0..N + WARM_UP {
        if i == WARM_UP {
            cpu_start = cpu_secs();
        }
        let schema = json!({"type": "record", "name": format!("Cost{i}"), "fields": [{"name": "a", "type": "string"}]});
        let start = Instant::now();
        let (status, body) = h
            .post(
                &format!("/subjects/write-cost-{i}/versions"),
                json!({ "schema": schema.to_string() }),
            )
            .await;
        let took = start.elapsed();
        assert_eq!(status, 200, "registration {i}: {body}");
        if i >= WARM_UP {
            times.push(took);
            ids.push(body["id"].as_u64().expect("an id"));
        }
    }
    let cpu = cpu_start.zip(cpu_secs()).map(|(a, b)| b - a);
    let mut distinct = ids.clone();
    distinct.sort_unstable();
    distinct.dedup();
    assert_eq!(distinct.len(), N, "every registration is a new id");
    times.sort_unstable();
    let ms = |d: Duration| d.as_secs_f64() * 1000.0;
    println!(
        "kafka store, {N} registrations: median {:.2} ms, p90 {:.2} ms, max {:.2} ms; CPU {} per registration",
        ms(times[N / 2]),
        ms(times[N * 9 / 10]),
        ms(times[N - 1]),
        cpu.map_or("unknown".to_owned(), |c| format!("{:.0} µs", c * 1e6 / N as f64)),
    );
    server.stop().await.expect("stops");
}
