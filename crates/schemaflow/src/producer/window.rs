//! The in-flight window's count: at most `max_in_flight` records between `enqueue` and their
//! delivery report, a place taken without a lock and given back by the delivery callback.
//!
//! Taking a place is one compare-and-swap while there is room; a full window parks the
//! enqueuing task on a [`Notify`], which a release wakes only when a task is waiting (the usual
//! release is a decrement and one load). A count rather than tokio's `Semaphore`:
//! `acquire_owned` clones the semaphore's `Arc` for every record (and the delivery thread drops
//! it: the count's cache line moves between the threads twice), and every release takes the
//! semaphore's waiter lock, whether or not anyone waits.

use std::pin::pin;
use std::sync::atomic::{AtomicUsize, Ordering::SeqCst};

use tokio::sync::Notify;

/// Records in flight, at most `max`.
///
/// The orderings are `SeqCst` where a releaser and a waiter meet: the releaser decrements
/// `used` and then reads `waiting`, the waiter increments `waiting` and then reads `used`; in
/// one total order at least one of them sees the other, so either the waiter finds the room or
/// the releaser wakes it.
#[derive(Debug)]
pub(crate) struct Window {
    used: AtomicUsize,
    max: usize,
    /// Tasks between deciding to wait and leaving `take` (so releases know to notify).
    waiting: AtomicUsize,
    room: Notify,
}

impl Window {
    /// A window of `max` places (at least 1).
    pub fn new(max: usize) -> Self {
        Window {
            used: AtomicUsize::new(0),
            max: max.max(1),
            waiting: AtomicUsize::new(0),
            room: Notify::new(),
        }
    }

    /// A place, waiting while the window is full. Cancel-safe: a task dropped while it waits
    /// holds no place, and a wake-up meant for it passes to another waiter (`Notify`'s rule).
    pub async fn take(&self) -> Place<'_> {
        loop {
            if self.try_take() {
                return Place(self);
            }
            let mut notified = pin!(self.room.notified());
            let _waiting = Waiting::new(&self.waiting);
            // Registered before the second look: a release after it wakes this task.
            notified.as_mut().enable();
            if self.try_take() {
                return Place(self);
            }
            notified.await;
        }
    }

    fn try_take(&self) -> bool {
        let mut used = self.used.load(SeqCst);
        while used < self.max {
            match self
                .used
                .compare_exchange_weak(used, used + 1, SeqCst, SeqCst)
            {
                Ok(_) => return true,
                Err(now) => used = now,
            }
        }
        false
    }

    /// Give a place back (a delivery report came, or a record was never handed over).
    pub fn release(&self) {
        let before = self.used.fetch_sub(1, SeqCst);
        debug_assert!(before > 0, "a place released that was never taken");
        if self.waiting.load(SeqCst) > 0 {
            self.room.notify_one();
        }
    }

    /// Places taken now.
    #[cfg(test)]
    pub fn used(&self) -> usize {
        self.used.load(SeqCst)
    }
}

/// Counts a task in `waiting` for as long as it may wait (dropped on return or cancellation).
struct Waiting<'a>(&'a AtomicUsize);

impl<'a> Waiting<'a> {
    fn new(waiting: &'a AtomicUsize) -> Self {
        waiting.fetch_add(1, SeqCst);
        Waiting(waiting)
    }
}

impl Drop for Waiting<'_> {
    fn drop(&mut self) {
        self.0.fetch_sub(1, SeqCst);
    }
}

/// A place in the window, given back when dropped, unless [`hand_over`](Self::hand_over)
/// passed it to the record's delivery report: an `enqueue` that fails or is cancelled before
/// librdkafka took its record keeps no place.
#[must_use]
pub(crate) struct Place<'a>(&'a Window);

impl Place<'_> {
    /// librdkafka holds the record now: its delivery report gives the place back
    /// ([`super::in_flight::DeliveryReports`]).
    pub fn hand_over(self) {
        std::mem::forget(self);
    }
}

impl Drop for Place<'_> {
    fn drop(&mut self) {
        self.0.release();
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::future::Future;
    use std::task::{Context, Poll, Waker};

    fn poll_once<F: Future>(f: std::pin::Pin<&mut F>) -> Poll<F::Output> {
        f.poll(&mut Context::from_waker(Waker::noop()))
    }

    #[test]
    fn a_full_window_waits_for_a_release_and_a_dropped_place_is_given_back() {
        let w = Window::new(2);
        let a = poll_once(pin!(w.take()));
        let b = poll_once(pin!(w.take()));
        assert!(a.is_ready() && b.is_ready());
        assert_eq!(w.used(), 2);
        if let Poll::Ready(a) = a {
            a.hand_over(); // librdkafka holds it: not given back here
        }
        assert_eq!(w.used(), 2);
        let mut third = pin!(w.take());
        assert!(poll_once(third.as_mut()).is_pending(), "the window is full");
        w.release(); // a's delivery report
        let Poll::Ready(c) = poll_once(third.as_mut()) else {
            panic!("a release lets the waiter in");
        };
        assert_eq!(w.used(), 2);
        drop(b);
        drop(c); // never handed over: given back
        assert_eq!(w.used(), 0);
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn waiters_woken_by_releases_from_another_thread_all_get_in() {
        const MAX: usize = 4;
        const TASKS: usize = 3;
        const TAKES: usize = 5_000;
        let w = std::sync::Arc::new(Window::new(MAX));
        let (tx, mut rx) = tokio::sync::mpsc::unbounded_channel::<()>();
        // The "delivery thread": gives a place back for each one handed over, until every
        // task is done.
        let releaser = std::thread::spawn({
            let w = w.clone();
            move || {
                while rx.blocking_recv().is_some() {
                    w.release();
                }
            }
        });
        let mut tasks = Vec::new();
        for _ in 0..TASKS {
            let (w, tx) = (w.clone(), tx.clone());
            tasks.push(tokio::spawn(async move {
                for _ in 0..TAKES {
                    let place = w.take().await;
                    assert!(w.used() <= MAX, "more places taken than the window has");
                    place.hand_over();
                    tx.send(()).unwrap();
                }
            }));
        }
        drop(tx);
        // The deadline only turns a lost wake-up (a task parked for ever) into a failure.
        tokio::time::timeout(std::time::Duration::from_secs(120), async {
            for t in tasks {
                t.await.unwrap();
            }
        })
        .await
        .expect("a waiter was never woken");
        releaser.join().unwrap();
        assert_eq!(w.used(), 0, "every place came back");
    }
}
