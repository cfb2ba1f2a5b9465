//! A per-client request rate limit for the registry (`registry serve --rate-limit N`, off by
//! default): a token bucket per client address, refilled at `N` requests per second and
//! holding at most `burst`. A request over the limit answers HTTP 429 with `Retry-After` and a
//! Confluent error body (42901, as Confluent Cloud's registry answers) — clients, ours among
//! them, wait and retry. It runs before authentication, so password guessing is limited too;
//! `/health` and `/metrics` (probes, scrapers) are not limited.

use std::collections::HashMap;
use std::net::{IpAddr, SocketAddr};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use axum::extract::{ConnectInfo, Request, State};
use axum::http::{header, HeaderValue};
use axum::middleware::{self, Next};
use axum::response::Response;
use axum::Router;

use super::answer::error;
use schemaflow::registry::protocol::ErrorCode;

/// How many requests a client may make.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct RateLimit {
    /// Sustained requests per second per client address.
    pub per_second: f64,
    /// Requests a client may make at once before the rate applies. Default: one second's worth.
    pub burst: f64,
}

impl RateLimit {
    /// `per_second` sustained, a burst of one second's worth (at least 1).
    pub fn per_second(per_second: f64) -> Self {
        RateLimit {
            per_second,
            burst: per_second.max(1.0),
        }
    }
}

/// Buckets kept before idle ones are dropped: a scan of addresses cannot grow the map for ever.
const MAX_CLIENTS: usize = 10_000;

#[derive(Debug)]
struct Bucket {
    tokens: f64,
    at: Instant,
}

#[derive(Clone)]
struct Limiter {
    limit: RateLimit,
    buckets: Arc<Mutex<HashMap<IpAddr, Bucket>>>,
}

impl Limiter {
    /// Take a token for `ip`: `Ok`, or how long until one is there.
    fn take(&self, ip: IpAddr, now: Instant) -> Result<(), Duration> {
        let Ok(mut buckets) = self.buckets.lock() else {
            return Ok(()); // a poisoned map limits nobody rather than everybody
        };
        if buckets.len() >= MAX_CLIENTS && !buckets.contains_key(&ip) {
            let full = self.limit.burst / self.limit.per_second.max(f64::MIN_POSITIVE);
            buckets.retain(|_, b| now.duration_since(b.at).as_secs_f64() < full);
        }
        let b = buckets.entry(ip).or_insert(Bucket {
            tokens: self.limit.burst,
            at: now,
        });
        let elapsed = now.duration_since(b.at).as_secs_f64();
        b.tokens = (b.tokens + elapsed * self.limit.per_second).min(self.limit.burst);
        b.at = now;
        if b.tokens >= 1.0 {
            b.tokens -= 1.0;
            Ok(())
        } else {
            let wait = (1.0 - b.tokens) / self.limit.per_second.max(f64::MIN_POSITIVE);
            Err(Duration::from_secs_f64(wait.min(3600.0)))
        }
    }
}

/// `router` with the limit in front of everything it serves.
pub(super) fn limited(router: Router, limit: RateLimit) -> Router {
    let limiter = Limiter {
        limit,
        buckets: Arc::new(Mutex::new(HashMap::new())),
    };
    router.layer(middleware::from_fn_with_state(limiter, check))
}

async fn check(State(limiter): State<Limiter>, req: Request, next: Next) -> Response {
    let path = req.uri().path();
    // The address comes from the listener (axum's ConnectInfo, set for plain and TLS alike);
    // a router called in process has none and is not limited.
    let ip = req
        .extensions()
        .get::<ConnectInfo<SocketAddr>>()
        .map(|c| c.0.ip());
    if let (Some(ip), false) = (ip, path == "/health" || path == "/metrics") {
        if let Err(wait) = limiter.take(ip, Instant::now()) {
            return too_many(limiter.limit, wait);
        }
    }
    next.run(req).await
}

fn too_many(limit: RateLimit, wait: Duration) -> Response {
    let mut r = error(
        ErrorCode::Other(42901),
        &format!(
            "Too many requests: this registry allows {} requests per second per client",
            limit.per_second
        ),
    );
    let secs = wait.as_secs_f64().ceil().max(1.0) as u64;
    if let Ok(v) = HeaderValue::from_str(&secs.to_string()) {
        r.headers_mut().insert(header::RETRY_AFTER, v);
    }
    r
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_bucket_allows_its_burst_then_the_rate() {
        let l = Limiter {
            limit: RateLimit {
                per_second: 2.0,
                burst: 3.0,
            },
            buckets: Arc::new(Mutex::new(HashMap::new())),
        };
        let ip: IpAddr = [127, 0, 0, 1].into();
        let other: IpAddr = [127, 0, 0, 2].into();
        let t = Instant::now();
        for _ in 0..3 {
            assert!(l.take(ip, t).is_ok());
        }
        let wait = l.take(ip, t).expect_err("over the burst");
        assert!(wait <= Duration::from_millis(500), "{wait:?}");
        assert!(
            l.take(other, t).is_ok(),
            "another client has its own bucket"
        );
        // Half a second later: one more token (2 per second).
        assert!(l.take(ip, t + Duration::from_millis(500)).is_ok());
        assert!(l.take(ip, t + Duration::from_millis(500)).is_err());
    }
}
