//! Throttling of password sign-in against guessing (総当たり対策). Each account name (as typed,
//! lower-cased, whether or not an account has it, so that the answer reveals nothing) may fail
//! [`FREE_FAILURES`] times; after that every further attempt is refused for a lock that starts
//! at [`FIRST_LOCK`] and doubles with each failure up to [`LONGEST_LOCK`], before the password
//! is even checked. A success clears the name; failures older than [`FORGET_AFTER`] are
//! forgotten. The API (`POST /auth/login`), the web sign-in and the Ouranos login share it.
//!
//! The count is kept per serving process, in memory: a node of several processes on one
//! PostgreSQL database throttles each process on its own (an attacker gets at most
//! `FREE_FAILURES` free guesses per process and lock).

use std::collections::HashMap;
use std::sync::Mutex;

use time::{Duration, OffsetDateTime};

/// Failures allowed before the name is locked.
pub const FREE_FAILURES: u32 = 5;
/// The first lock.
pub const FIRST_LOCK: Duration = Duration::seconds(30);
/// The longest lock.
pub const LONGEST_LOCK: Duration = Duration::minutes(15);
/// Failures are forgotten this long after the last one.
pub const FORGET_AFTER: Duration = Duration::hours(1);
/// Names tracked at most; beyond it the forgotten ones are dropped, then the oldest.
const MOST_NAMES: usize = 100_000;

#[derive(Debug, Clone, Copy)]
struct Failures {
    count: u32,
    last: OffsetDateTime,
    locked_until: Option<OffsetDateTime>,
}

/// Sign-in failures per account name.
#[derive(Debug, Default)]
pub struct SignInThrottle {
    names: Mutex<HashMap<String, Failures>>,
}

fn key(name: &str) -> String {
    name.trim().to_lowercase()
}

impl SignInThrottle {
    /// `Err(wait)` while `name` is locked at `now`: the attempt is refused unchecked.
    pub fn check(&self, name: &str, now: OffsetDateTime) -> Result<(), Duration> {
        let names = self.names.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
        match names.get(&key(name)).and_then(|failures| failures.locked_until) {
            Some(until) if until > now => Err(until - now),
            _ => Ok(()),
        }
    }

    /// Records a failed attempt for `name` at `now`; returns the lock it now has, if any.
    pub fn failed(&self, name: &str, now: OffsetDateTime) -> Option<Duration> {
        let mut names = self.names.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
        if names.len() >= MOST_NAMES {
            names.retain(|_, failures| now - failures.last < FORGET_AFTER);
            if names.len() >= MOST_NAMES {
                let mut lasts: Vec<OffsetDateTime> = names.values().map(|failures| failures.last).collect();
                lasts.sort_unstable();
                let cut = lasts[lasts.len() / 2];
                names.retain(|_, failures| failures.last > cut);
            }
        }
        let entry = names.entry(key(name)).or_insert(Failures {
            count: 0,
            last: now,
            locked_until: None,
        });
        if now - entry.last >= FORGET_AFTER {
            entry.count = 0;
            entry.locked_until = None;
        }
        entry.count += 1;
        entry.last = now;
        let lock = entry.count.checked_sub(FREE_FAILURES).map(|over| {
            let doubled = FIRST_LOCK * 2_f64.powi(i32::try_from(over.min(16)).unwrap_or(16));
            doubled.min(LONGEST_LOCK)
        });
        entry.locked_until = lock.map(|lock| now + lock);
        lock
    }

    /// A successful sign-in: `name`'s failures are cleared.
    pub fn succeeded(&self, name: &str) {
        let mut names = self.names.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
        names.remove(&key(name));
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use time::macros::datetime;

    #[test]
    fn five_failures_are_free_then_locks_double_up_to_fifteen_minutes() {
        let throttle = SignInThrottle::default();
        let mut now = datetime!(2026-11-23 10:00 UTC);
        for _ in 0..4 {
            assert_eq!(throttle.failed("Yamada", now), None);
            assert_eq!(throttle.check("yamada", now), Ok(()));
        }
        assert_eq!(throttle.failed("yamada ", now), Some(Duration::seconds(30)));
        assert_eq!(throttle.check("YAMADA", now), Err(Duration::seconds(30)));
        assert_eq!(throttle.check("other", now), Ok(()));
        now += Duration::seconds(31);
        assert_eq!(throttle.check("yamada", now), Ok(()));
        assert_eq!(throttle.failed("yamada", now), Some(Duration::seconds(60)));
        let mut lock = Duration::seconds(60);
        for _ in 0..10 {
            now += lock + Duration::seconds(1);
            lock = throttle.failed("yamada", now).expect("locked");
        }
        assert_eq!(lock, LONGEST_LOCK);
        // A success clears the name; an hour without failures forgets them.
        throttle.succeeded("Yamada");
        assert_eq!(throttle.check("yamada", now), Ok(()));
        for _ in 0..5 {
            throttle.failed("sato", now);
        }
        assert!(throttle.check("sato", now).is_err());
        now += FORGET_AFTER;
        assert_eq!(throttle.check("sato", now), Ok(()));
        assert_eq!(throttle.failed("sato", now), None);
    }
}
