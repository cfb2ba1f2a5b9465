//! End-to-end throughput through a real broker (Apache Kafka): typed produce+consume of
//! `UserEvent` (Avro, registry ids, decode into the type) versus raw rdkafka produce+consume
//! of the same frame bytes on the same broker. Prints msgs/s and the ratio (target ≥ 0.9×).
//!
//! Run: `cargo bench --bench pipeline`: on the broker in `SCHEMAFLOW_TEST_BROKERS` when set,
//! else on one it starts with `scripts/kafka start` (and stops at exit).

mod common;

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use common::samples::avro::user_event::UserEvent;
use common::{broker, event, services};
use rdkafka::consumer::{Consumer, StreamConsumer};
use rdkafka::producer::{FutureProducer, FutureRecord};
use schemaflow::codec::RegistryCodec;
use schemaflow::consumer::{ConsumerConfig, HandlerError, Message, TypedConsumer};
use schemaflow::producer::{ProducerConfig, Record, TypedProducer};

const N: usize = 50_000;
const ROUNDS: usize = 3;

fn median(mut v: Vec<f64>) -> f64 {
    v.sort_by(|a, b| a.total_cmp(b));
    v[v.len() / 2]
}

#[tokio::main(flavor = "multi_thread", worker_threads = 2)]
async fn main() {
    let b = broker::broker();
    let (server, reg) = services::registry().await;
    let events: Vec<UserEvent> = (0..N).map(event).collect();

    let typed = TypedProducer::new(ProducerConfig::new(&b.bootstrap), reg.clone()).unwrap();
    let id = {
        let t = broker::rand_topic("warm");
        broker::create_topic(&b.bootstrap, &t, 1).await;
        typed.preload::<UserEvent>(&t).await.unwrap()
    };
    let frames: Vec<Vec<u8>> = events
        .iter()
        .map(|e| {
            let mut f = Vec::new();
            e.encode_frame(id, &mut f).unwrap();
            f
        })
        .collect();
    let raw: FutureProducer = ProducerConfig::new(&b.bootstrap)
        .kafka_config()
        .create()
        .unwrap();

    let (mut rp, mut rc, mut tp, mut tc) = (vec![], vec![], vec![], vec![]);
    for round in 0..ROUNDS {
        // Raw bytes.
        let topic = broker::rand_topic("raw");
        broker::create_topic(&b.bootstrap, &topic, 3).await;
        let t = Instant::now();
        let mut pending = Vec::with_capacity(N);
        for f in &frames {
            let mut rec = FutureRecord::<(), _>::to(&topic).payload(f);
            loop {
                match raw.send_result(rec) {
                    Ok(d) => break pending.push(d),
                    Err((_, back)) => {
                        rec = back;
                        tokio::time::sleep(Duration::from_millis(1)).await;
                    }
                }
            }
        }
        for p in pending {
            p.await.unwrap().unwrap();
        }
        rp.push(N as f64 / t.elapsed().as_secs_f64());
        let c: StreamConsumer = rdkafka::ClientConfig::new()
            .set("bootstrap.servers", &b.bootstrap)
            .set("group.id", broker::rand_topic("raw-g"))
            .set("auto.offset.reset", "earliest")
            .set("enable.auto.commit", "false")
            .create()
            .unwrap();
        c.subscribe(&[&topic]).unwrap();
        let t = Instant::now();
        let mut n = 0;
        let mut bytes = 0usize;
        while n < N {
            let m = c.recv().await.unwrap();
            bytes += rdkafka::message::Message::payload(&m).map_or(0, <[u8]>::len);
            n += 1;
        }
        rc.push(N as f64 / t.elapsed().as_secs_f64());
        drop(c);

        // Typed.
        let topic = broker::rand_topic("typed");
        broker::create_topic(&b.bootstrap, &topic, 3).await;
        let t = Instant::now();
        let mut pending = Vec::with_capacity(N);
        for e in &events {
            pending.push(typed.enqueue(Record::to(&topic).value(e)).await.unwrap());
        }
        for p in pending {
            p.await.unwrap();
        }
        tp.push(N as f64 / t.elapsed().as_secs_f64());
        let consumer = TypedConsumer::<UserEvent>::new(
            ConsumerConfig::new(&b.bootstrap, broker::rand_topic("typed-g"), &[&topic]),
            reg.clone(),
        )
        .unwrap();
        let count = Arc::new(AtomicUsize::new(0));
        let done = Arc::new(tokio::sync::Notify::new());
        let (c2, d2) = (count.clone(), done.clone());
        let t = Instant::now();
        consumer
            .run(
                move |m: Message<UserEvent>| {
                    let (c2, d2) = (c2.clone(), d2.clone());
                    async move {
                        std::hint::black_box(m.value);
                        if c2.fetch_add(1, Ordering::Relaxed) + 1 == N {
                            d2.notify_one();
                        }
                        Ok::<(), HandlerError>(())
                    }
                },
                async move { done.notified().await },
            )
            .await
            .unwrap();
        tc.push(N as f64 / t.elapsed().as_secs_f64());
        eprintln!(
            "round {round}: raw {:.0}/{:.0} typed {:.0}/{:.0} msgs/s (produce/consume), {} bytes",
            rp[round], rc[round], tp[round], tc[round], bytes
        );
    }
    let (rp, rc, tp, tc) = (median(rp), median(rc), median(tp), median(tc));
    println!("| path | produce msgs/s | consume msgs/s |");
    println!("|---|---:|---:|");
    println!("| raw rdkafka bytes | {rp:.0} | {rc:.0} |");
    println!("| schemaflow typed (Avro) | {tp:.0} | {tc:.0} |");
    println!("| ratio typed/raw | {:.2}× | {:.2}× |", tp / rp, tc / rc);
    server.stop().await.unwrap();
}
