//! The thin async driver of the [`Engine`]: it waits for the next event (a record, a job
//! finishing, a timer, the shutdown), hands it to the engine, and carries out the actions
//! the engine returns on the [`Source`]. The handler futures run on this task, polled by
//! [`InFlight`] (not spawned: a handler needs no `Send + 'static`).

use std::future::Future;
use std::time::Duration;

use rdkafka::consumer::CommitMode;
use tokio::time::Instant;

use std::pin::Pin;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::task::{Context, Wake, Waker};

use super::backoff::Backoff;
use super::engine::{Action, Engine, Finished, Job, JobStop, Ticket};
use super::events::Counters;
use super::parallel::InFlight;
use super::retry::StopSignal;
use super::source::{CommitFailure, Source};
use crate::error::Result;

/// How long the commit at shutdown retries a retriable error (the coordinator moving or
/// loading) before the run reports it.
const FINAL_COMMIT_RETRY: Duration = Duration::from_secs(10);

/// What woke the loop.
enum Event<T> {
    Shutdown,
    Polled(Result<()>),
    Done(T),
    CommitDue,
    Idle,
    DrainTimeout,
    Tick,
}

/// What a job hands to the work: its records, their topic (shared), and whether to stop
/// early (a run).
pub(crate) struct Work<R> {
    pub(crate) records: Vec<R>,
    pub(crate) topic: Arc<str>,
    pub(crate) stop: JobStop,
    /// Set when the shutdown future was woken: a run yields before its next record, so the
    /// loop sees the shutdown (and the run's stop) before it starts another one.
    pub(crate) shutdown_woken: Arc<AtomicBool>,
}

/// A waker that notes the wake in a flag, then wakes the task.
struct FlagWaker {
    flag: Arc<AtomicBool>,
    task: Waker,
}

impl Wake for FlagWaker {
    fn wake(self: Arc<Self>) {
        self.wake_by_ref();
    }
    fn wake_by_ref(self: &Arc<Self>) {
        self.flag.store(true, Ordering::Relaxed);
        self.task.wake_by_ref();
    }
}

/// [`drive_jobs`] with a work that finishes all of its records or none (`Err`).
#[cfg(test)]
pub(crate) async fn drive<S, W, WF>(
    source: &S,
    engine: Engine<S::Record>,
    work: W,
    shutdown: impl Future<Output = ()>,
    counters: &Counters,
    stop: &StopSignal,
) -> Result<()>
where
    S: Source,
    W: Fn(Vec<S::Record>) -> WF,
    WF: Future<Output = Result<()>>,
{
    let work = |w: Work<S::Record>| {
        let n = w.records.len();
        let run = work(w.records);
        async move {
            let result = run.await;
            Finished {
                records: if result.is_ok() { n } else { 0 },
                result,
            }
        }
    };
    drive_jobs(source, engine, work, shutdown, counters, stop).await
}

/// Run the loop until the engine is finished, then let held partitions go, commit what is
/// committable (whatever stopped the loop: never past an unfinished record, their offsets
/// were not stored), and leave the group. Returns the engine's result, or the final
/// commit's error.
pub(crate) async fn drive_jobs<S, W, WF>(
    source: &S,
    mut engine: Engine<S::Record>,
    work: W,
    shutdown: impl Future<Output = ()>,
    counters: &Counters,
    stop: &StopSignal,
) -> Result<()>
where
    S: Source,
    W: Fn(Work<S::Record>) -> WF,
    WF: Future<Output = Finished>,
{
    tokio::pin!(shutdown);
    let shutdown_woken = Arc::new(AtomicBool::new(false));
    let mut flag_waker: Option<(Waker, Waker)> = None;
    let mut in_flight = InFlight::new();
    let mut actions: Vec<Action<S::Record>> = Vec::new();
    let mut polled: Vec<S::Record> = Vec::new();
    let start = |job: Job<S::Record>| {
        let Job {
            ticket,
            records,
            topic,
            stop,
        } = job;
        let run = work(Work {
            records,
            topic,
            stop,
            shutdown_woken: shutdown_woken.clone(),
        });
        async move {
            let started = Instant::now();
            let finished = run.await;
            (ticket, finished, started.elapsed())
        }
    };
    // A year stands for "never": `select!` evaluates a disabled branch's future too.
    let never = Duration::from_secs(365 * 24 * 3600);
    loop {
        let now = Instant::now();
        if let Some(held) = source.held_revoke() {
            engine.revoke_held(&held, now, &mut actions);
        }
        apply(
            source,
            &mut engine,
            &mut actions,
            now,
            counters,
            stop,
            |job| in_flight.push(start(job)),
        );
        engine.revoked(source.take_revoked());
        engine.schedule(now, &mut actions);
        apply(
            source,
            &mut engine,
            &mut actions,
            now,
            counters,
            stop,
            |job| in_flight.push(start(job)),
        );
        if engine.is_finished() {
            break;
        }
        counters.set_load(engine.waiting(), in_flight.len());
        // A revoke arriving inside `poll` now waits for these (see `rebalance`).
        source.defer_revokes(engine.defers_revokes());
        let w = engine.waits();
        let limit = engine.poll_limit();
        let far = now + never;
        let event = tokio::select! {
            biased;
            () = watch(shutdown.as_mut(), &shutdown_woken, &mut flag_waker), if w.shutdown => Event::Shutdown,
            done = in_flight.next(), if !in_flight.is_empty() => Event::Done(done),
            r = source.poll_batch(&mut polled, limit), if w.receive => Event::Polled(r),
            () = tokio::time::sleep(w.commit_after.unwrap_or(never)), if w.commit_after.is_some() => Event::CommitDue,
            () = tokio::time::sleep_until(w.idle_at.unwrap_or(far)), if w.idle_at.is_some() => Event::Idle,
            () = tokio::time::sleep(w.tick_after.unwrap_or(never)), if w.tick_after.is_some() => Event::Tick,
            () = tokio::time::sleep_until(w.drain_at.unwrap_or(far)), if w.drain_at.is_some() => Event::DrainTimeout,
            () = tokio::time::sleep_until(w.revoke_at.unwrap_or(far)), if w.revoke_at.is_some() => Event::Tick,
        };
        let now = Instant::now();
        match event {
            Event::Shutdown => engine.shutdown(now, &mut actions),
            Event::Done((ticket, finished, took)) => {
                let ticket: Ticket = ticket;
                let Finished { records, result } = finished;
                engine.job_took(records, took);
                engine.done_prefix(ticket, records, result, now, &mut actions);
            }
            Event::Polled(Ok(())) => {
                // A revoke may have run inside `poll`: forget those partitions first (the
                // source dropped its records read before the revoke).
                let revoked = source.take_revoked();
                engine.revoked(revoked);
                engine.records(polled.drain(..), now, &mut actions);
            }
            Event::Polled(Err(e)) => {
                tracing::warn!(error = %e, "consumer error");
                engine.poll_failed(e, now);
            }
            Event::CommitDue => engine.commit_due(now, &mut actions),
            Event::Idle => engine.idle(now),
            Event::DrainTimeout => engine.drain_timed_out(),
            Event::Tick => {}
        }
        apply(
            source,
            &mut engine,
            &mut actions,
            now,
            counters,
            stop,
            |job| in_flight.push(start(job)),
        );
    }
    drop(in_flight);
    // Nothing is in flight any more: a revoke still held lets its partitions go now.
    source.defer_revokes(false);
    source.let_revoked_go();
    counters.set_load(0, 0);
    let commit = engine.commits_offsets();
    let result = engine.finish();
    let final_commit = if commit {
        final_commit(source, counters).await
    } else {
        Ok(())
    };
    source.leave();
    result.and(final_commit)
}

/// The shutdown future, polled with a waker that sets `flag` when it is woken (then wakes
/// the task): a run in flight looks at the flag between its records.
/// `made` keeps the flag's waker (with the task's it wraps) from one turn of the loop to the
/// next: made once per task waker, not on every poll.
fn watch<'a, F: Future<Output = ()>>(
    mut shutdown: Pin<&'a mut F>,
    flag: &'a Arc<AtomicBool>,
    made: &'a mut Option<(Waker, Waker)>,
) -> impl Future<Output = ()> + 'a {
    std::future::poll_fn(move |cx| {
        flag.store(false, Ordering::Relaxed);
        if !made
            .as_ref()
            .is_some_and(|(task, _)| task.will_wake(cx.waker()))
        {
            *made = None;
        }
        let (_, waker) = made.get_or_insert_with(|| {
            let waker = Waker::from(Arc::new(FlagWaker {
                flag: flag.clone(),
                task: cx.waker().clone(),
            }));
            (cx.waker().clone(), waker)
        });
        shutdown.as_mut().poll(&mut Context::from_waker(waker))
    })
}

/// Carry out the engine's actions.
fn apply<S: Source>(
    source: &S,
    engine: &mut Engine<S::Record>,
    actions: &mut Vec<Action<S::Record>>,
    now: Instant,
    counters: &Counters,
    stop: &StopSignal,
    mut start: impl FnMut(Job<S::Record>),
) {
    for action in actions.drain(..) {
        match action {
            Action::Start(job) => start(job),
            Action::Store(tp, next) => {
                if let Err(e) = source.store(&tp, next) {
                    // The partition may have been revoked meanwhile: redelivered.
                    tracing::warn!(error = %e, "storing offset failed");
                }
            }
            Action::Commit => match source.commit(CommitMode::Async) {
                Ok(committed) => Counters::add(&counters.commits, u64::from(committed)),
                // The offsets stay stored and the next commit carries them.
                Err(CommitFailure::Retriable(e)) | Err(CommitFailure::Rebalance(e)) => {
                    tracing::warn!(error = %e, "commit failed; the next commit carries its offsets");
                }
                Err(CommitFailure::Other(e)) => engine.commit_failed(e, now),
            },
            Action::Pause(tp) => match source.pause(&tp) {
                Ok(()) => {
                    tracing::debug!(topic = %tp.0, partition = tp.1, "look-ahead full: partition paused");
                    Counters::add(&counters.pauses, 1);
                }
                Err(e) => {
                    tracing::warn!(error = %e, "pausing a partition failed");
                    engine.pause_failed(&tp);
                }
            },
            Action::Resume(tp) => {
                if let Err(e) = source.resume(&tp) {
                    tracing::debug!(error = %e, "resuming a partition failed");
                }
            }
            Action::CutRetries => stop.fire(),
            Action::LetRevokedGo => source.let_revoked_go(),
        }
    }
}

/// The last commit, at shutdown: retries what is retriable for up to [`FINAL_COMMIT_RETRY`]
/// (as Java's `commitSync` retries until its timeout). If the group is rebalancing, the
/// partitions are no longer ours to commit: their next owner reads the uncommitted records
/// again (at-least-once holds), and that is not an error.
async fn final_commit<S: Source>(source: &S, counters: &Counters) -> Result<()> {
    let deadline = Instant::now() + FINAL_COMMIT_RETRY;
    let mut backoff = Backoff::new(Duration::from_millis(100), Duration::from_secs(1));
    loop {
        match source.commit(CommitMode::Sync) {
            Ok(committed) => {
                Counters::add(&counters.commits, u64::from(committed));
                return Ok(());
            }
            Err(CommitFailure::Rebalance(e)) => {
                tracing::warn!(error = %e, "final commit refused by a rebalance; the partitions' next owner reads the uncommitted records again");
                return Ok(());
            }
            Err(CommitFailure::Retriable(e)) if Instant::now() < deadline => {
                tracing::warn!(error = %e, "final commit failed; retrying");
                tokio::time::sleep(backoff.next()).await;
            }
            Err(CommitFailure::Retriable(e)) | Err(CommitFailure::Other(e)) => return Err(e),
        }
    }
}

#[cfg(test)]
mod tests {
    use std::cell::{Cell, RefCell};
    use std::collections::{HashSet, VecDeque};
    use std::rc::Rc;

    use tokio::sync::Notify;

    use super::*;
    use crate::consumer::engine::{Settings, SourceRecord};
    use crate::consumer::offset_tracker::TopicPartition;
    use crate::consumer::{BoxError, ConsumerConfig, ProcessingOrder};
    use crate::error::{kafka_error, Error};

    #[derive(Debug, Clone, PartialEq, Eq)]
    struct Rec(i32, i64);

    impl SourceRecord for Rec {
        fn topic(&self) -> &str {
            "t"
        }
        fn partition(&self) -> i32 {
            self.0
        }
        fn offset(&self) -> i64 {
            self.1
        }
        fn key(&self) -> Option<&[u8]> {
            None
        }
    }

    /// A source over a queue of records; it records what the driver does with it.
    #[derive(Default)]
    struct Fake {
        queue: RefCell<VecDeque<Rec>>,
        paused: RefCell<HashSet<i32>>,
        /// What happened, in order: `store P N`, `commit`, `commit sync`, `pause P`,
        /// `resume P`, `let go`, `leave`.
        log: RefCell<Vec<String>>,
        /// Answers to the next commits (then `Ok`).
        commit_answers: RefCell<VecDeque<CommitFailure>>,
        defer: Cell<bool>,
        held: RefCell<Option<Vec<TopicPartition>>>,
        revoked: RefCell<Vec<TopicPartition>>,
        /// Hold a revoke of partition 0 when this many records were polled (and the driver
        /// defers revokes then, as the rebalance context would).
        revoke_after_polls: Cell<Option<usize>>,
        polls: Cell<usize>,
        /// Notified when a partition is paused / a revoke is held / let go.
        paused_note: Notify,
        held_note: Notify,
        let_go_note: Notify,
    }

    impl Fake {
        fn with(records: impl IntoIterator<Item = Rec>) -> Rc<Self> {
            let f = Fake::default();
            f.queue.borrow_mut().extend(records);
            Rc::new(f)
        }

        fn log(&self) -> Vec<String> {
            self.log.borrow().clone()
        }

        fn note(&self, line: String) {
            self.log.borrow_mut().push(line);
        }
    }

    impl Source for Rc<Fake> {
        type Record = Rec;

        async fn poll(&self, out: &mut Vec<Rec>) -> Result<()> {
            let next = {
                let paused = self.paused.borrow();
                let mut q = self.queue.borrow_mut();
                let i = q.iter().position(|r| !paused.contains(&r.0));
                i.and_then(|i| q.remove(i))
            };
            let Some(r) = next else {
                // Nothing to give: like a quiet topic.
                return std::future::pending().await;
            };
            out.push(r);
            self.polls.set(self.polls.get() + 1);
            if self.revoke_after_polls.get() == Some(self.polls.get()) && self.defer.get() {
                *self.held.borrow_mut() = Some(vec![("t".to_string(), 0)]);
                self.held_note.notify_one();
            }
            Ok(())
        }

        fn store(&self, tp: &TopicPartition, next: i64) -> Result<()> {
            self.note(format!("store {} {next}", tp.1));
            Ok(())
        }

        fn commit(&self, mode: CommitMode) -> std::result::Result<bool, CommitFailure> {
            self.note(match mode {
                CommitMode::Sync => "commit sync".into(),
                CommitMode::Async => "commit".into(),
            });
            match self.commit_answers.borrow_mut().pop_front() {
                Some(failure) => Err(failure),
                None => Ok(true),
            }
        }

        fn pause(&self, tp: &TopicPartition) -> Result<()> {
            self.paused.borrow_mut().insert(tp.1);
            self.note(format!("pause {}", tp.1));
            self.paused_note.notify_one();
            Ok(())
        }

        fn resume(&self, tp: &TopicPartition) -> Result<()> {
            self.paused.borrow_mut().remove(&tp.1);
            self.note(format!("resume {}", tp.1));
            Ok(())
        }

        fn take_revoked(&self) -> Vec<TopicPartition> {
            std::mem::take(&mut *self.revoked.borrow_mut())
        }

        fn held_revoke(&self) -> Option<Vec<TopicPartition>> {
            self.held.borrow().clone()
        }

        fn let_revoked_go(&self) {
            if let Some(held) = self.held.borrow_mut().take() {
                self.note("let go".into());
                self.revoked.borrow_mut().extend(held);
                self.let_go_note.notify_one();
            }
        }

        fn defer_revokes(&self, defer: bool) {
            self.defer.set(defer);
        }

        fn leave(&self) {
            self.note("leave".into());
        }
    }

    fn settings(ordering: ProcessingOrder, max_concurrency: usize) -> Settings {
        let config = ConsumerConfig::new("b", "g", &["t"]).concurrency(ordering, max_concurrency);
        let mut s = Settings::new(&config, ordering, None);
        s.commit_every = 1_000_000;
        s.commit_interval = Duration::from_secs(3600);
        s
    }

    async fn run<W, WF>(
        fake: &Rc<Fake>,
        s: Settings,
        work: W,
        shutdown: impl Future<Output = ()>,
    ) -> (Result<()>, Counters)
    where
        W: Fn(Vec<Rec>) -> WF,
        WF: Future<Output = Result<()>>,
    {
        let counters = Counters::default();
        let engine = Engine::new(s, Instant::now());
        let r = drive(
            fake,
            engine,
            work,
            shutdown,
            &counters,
            &StopSignal::default(),
        )
        .await;
        (r, counters)
    }

    fn stores(log: &[String]) -> Vec<&str> {
        log.iter()
            .filter(|l| l.starts_with("store"))
            .map(String::as_str)
            .collect()
    }

    #[tokio::test]
    async fn serial_run_handles_in_order_stores_each_and_commits_and_leaves_at_shutdown() {
        let fake = Fake::with((0..5).map(|o| Rec(0, o)));
        let handled = RefCell::new(Vec::new());
        let all = Notify::new();
        let work = |recs: Vec<Rec>| {
            let (handled, all) = (&handled, &all);
            async move {
                let mut h = handled.borrow_mut();
                h.extend(recs.iter().map(|r| r.1));
                if h.len() == 5 {
                    all.notify_one();
                }
                Ok(())
            }
        };
        let (r, _) = run(
            &fake,
            settings(ProcessingOrder::Partition, 1),
            work,
            all.notified(),
        )
        .await;
        r.unwrap();
        assert_eq!(*handled.borrow(), [0, 1, 2, 3, 4]);
        let log = fake.log();
        assert_eq!(
            stores(&log),
            [
                "store 0 1",
                "store 0 2",
                "store 0 3",
                "store 0 4",
                "store 0 5"
            ]
        );
        assert_eq!(log[log.len() - 2..], ["commit sync", "leave"]);
    }

    #[tokio::test]
    async fn out_of_order_completion_is_stored_only_once_contiguous() {
        let fake = Fake::with((0..3).map(|o| Rec(0, o)));
        let (first_may_go, finished, all) = (Notify::new(), Cell::new(0), Notify::new());
        let work = |recs: Vec<Rec>| {
            let (first_may_go, finished, all) = (&first_may_go, &finished, &all);
            async move {
                if recs[0].1 == 0 {
                    // Offset 0 finishes last.
                    first_may_go.notified().await;
                } else if finished.get() == 1 {
                    first_may_go.notify_one();
                }
                finished.set(finished.get() + 1);
                if finished.get() == 3 {
                    all.notify_one();
                }
                Ok(())
            }
        };
        let (r, _) = run(
            &fake,
            settings(ProcessingOrder::Unordered, 3),
            work,
            all.notified(),
        )
        .await;
        r.unwrap();
        assert_eq!(stores(&fake.log()), ["store 0 3"]);
    }

    #[tokio::test]
    async fn a_full_look_ahead_pauses_the_partition_until_it_drains_to_half() {
        let fake = Fake::with((0..10).map(|o| Rec(0, o)));
        let mut s = settings(ProcessingOrder::Partition, 4);
        s.look_ahead = 4;
        let (handled, all) = (RefCell::new(Vec::new()), Notify::new());
        let fake2 = fake.clone();
        let work = |recs: Vec<Rec>| {
            let (handled, all, fake) = (&handled, &all, &fake2);
            async move {
                if recs[0].1 == 0 {
                    // The first record waits until the partition is paused behind it.
                    fake.paused_note.notified().await;
                }
                let mut h = handled.borrow_mut();
                h.extend(recs.iter().map(|r| r.1));
                if h.len() == 10 {
                    all.notify_one();
                }
                Ok(())
            }
        };
        let (r, counters) = run(&fake, s, work, all.notified()).await;
        r.unwrap();
        assert_eq!(*handled.borrow(), (0..10).collect::<Vec<_>>());
        let log = fake.log();
        let pause = log.iter().position(|l| l == "pause 0").expect("paused");
        let resume = log.iter().position(|l| l == "resume 0").expect("resumed");
        assert!(pause < resume, "{log:?}");
        assert!(counters.pauses.load(std::sync::atomic::Ordering::Relaxed) >= 1);
        assert_eq!(stores(&log).last(), Some(&"store 0 10"));
    }

    #[tokio::test]
    async fn a_revoke_waits_for_the_record_in_flight_drops_the_waiting_then_lets_go() {
        let fake = Fake::with([Rec(0, 0), Rec(0, 1)]);
        fake.revoke_after_polls.set(Some(2));
        let handled = RefCell::new(Vec::new());
        let fake2 = fake.clone();
        let work = |recs: Vec<Rec>| {
            let (handled, fake) = (&handled, &fake2);
            async move {
                // Record 0 is in flight when the revoke comes.
                fake.held_note.notified().await;
                handled.borrow_mut().extend(recs.iter().map(|r| r.1));
                Ok(())
            }
        };
        let fake3 = fake.clone();
        let shutdown = async move { fake3.let_go_note.notified().await };
        let (r, _) = run(
            &fake,
            settings(ProcessingOrder::Partition, 4),
            work,
            shutdown,
        )
        .await;
        r.unwrap();
        assert_eq!(
            *handled.borrow(),
            [0],
            "the waiting record 1 is left to the next owner"
        );
        let log = fake.log();
        let store = log.iter().position(|l| l == "store 0 1").expect("stored");
        let let_go = log.iter().position(|l| l == "let go").expect("let go");
        assert!(
            store < let_go,
            "committed before the partition goes: {log:?}"
        );
        assert_eq!(stores(&log), ["store 0 1"]);
    }

    #[tokio::test]
    async fn a_failed_record_stops_the_run_and_nothing_after_it_is_stored() {
        let fake = Fake::with((0..3).map(|o| Rec(0, o)));
        let work = |recs: Vec<Rec>| async move {
            if recs[0].1 == 1 {
                return Err(Error::Handler {
                    topic: "t".into(),
                    partition: 0,
                    offset: 1,
                    verdict: crate::consumer::Verdict::Stop,
                    source: std::sync::Arc::from(BoxError::from("closed")),
                });
            }
            Ok(())
        };
        let (r, _) = run(
            &fake,
            settings(ProcessingOrder::Partition, 1),
            work,
            std::future::pending(),
        )
        .await;
        assert!(matches!(r, Err(Error::Handler { offset: 1, .. })), "{r:?}");
        let log = fake.log();
        assert_eq!(stores(&log), ["store 0 1"]);
        // What was handled is committed all the same.
        assert_eq!(log[log.len() - 2..], ["commit sync", "leave"]);
    }

    #[tokio::test]
    async fn the_final_commit_retries_a_retriable_failure() {
        let fake = Fake::with([]);
        fake.commit_answers
            .borrow_mut()
            .push_back(CommitFailure::Retriable(kafka_error(
                "committing offsets",
                rdkafka::error::KafkaError::ConsumerCommit(
                    rdkafka::types::RDKafkaErrorCode::CoordinatorLoadInProgress,
                ),
            )));
        let work = |_: Vec<Rec>| async { Ok(()) };
        let (r, counters) = run(
            &fake,
            settings(ProcessingOrder::Partition, 1),
            work,
            std::future::ready(()),
        )
        .await;
        r.unwrap();
        assert_eq!(fake.log(), ["commit sync", "commit sync", "leave"]);
        assert_eq!(
            counters.commits.load(std::sync::atomic::Ordering::Relaxed),
            1
        );
    }

    #[tokio::test]
    async fn a_commit_error_that_is_not_retriable_stops_the_run() {
        let fake = Fake::with([Rec(0, 0), Rec(0, 1)]);
        fake.commit_answers
            .borrow_mut()
            .push_back(CommitFailure::Other(kafka_error(
                "committing offsets",
                rdkafka::error::KafkaError::ConsumerCommit(
                    rdkafka::types::RDKafkaErrorCode::GroupAuthorizationFailed,
                ),
            )));
        let mut s = settings(ProcessingOrder::Partition, 1);
        s.commit_every = 1;
        let work = |_: Vec<Rec>| async { Ok(()) };
        let (r, _) = run(&fake, s, work, std::future::pending()).await;
        assert!(matches!(r, Err(Error::Kafka { .. })), "{r:?}");
        assert_eq!(stores(&fake.log()), ["store 0 1"], "nothing more starts");
    }
}
