//! The primitives of [`Backend`](super::Backend) in this process's memory.
//!
//! It keeps what Redis keeps for the gem's layout (strings with a TTL,
//! sets, counters) with Redis's semantics for the few commands the session
//! logic uses, so a store on it behaves like one on Redis: TTLs expire,
//! updates never resurrect, the index and the counter move together. It is
//! for tests and for running without Redis; nothing is shared between
//! processes.

use std::collections::{BTreeMap, BTreeSet};
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Duration;

use tokio::time::Instant;

use super::{Condition, Counter, Cursor, Page, Write};
use crate::error::Error;

/// A map of keys, shared by clones.
#[derive(Clone, Debug, Default)]
pub(crate) struct MemoryBackend {
    keys: Arc<Mutex<BTreeMap<String, Entry>>>,
}

#[derive(Debug)]
struct Entry {
    value: Value,
    expires: Option<Instant>,
}

#[derive(Debug)]
enum Value {
    Text(Vec<u8>),
    Set(BTreeSet<Vec<u8>>),
}

impl Entry {
    fn live(&self, now: Instant) -> bool {
        self.expires.is_none_or(|at| at > now)
    }
}

type Keys = BTreeMap<String, Entry>;

impl MemoryBackend {
    /// The key map with expired keys dropped, as Redis would on access.
    fn lock(&self) -> MutexGuard<'_, Keys> {
        // Every change below is complete before the guard drops, so a
        // poisoned map is still consistent.
        let mut keys = self.keys.lock().unwrap_or_else(|e| e.into_inner());
        let now = Instant::now();
        keys.retain(|_, entry| entry.live(now));
        keys
    }

    pub(crate) fn fetch(&self, keys: &[String]) -> Result<Vec<Option<Vec<u8>>>, Error> {
        let map = self.lock();
        Ok(keys
            .iter()
            .map(|key| match map.get(key).map(|e| &e.value) {
                Some(Value::Text(bytes)) => Some(bytes.clone()),
                _ => None,
            })
            .collect())
    }

    pub(crate) fn write(&self, writes: &[Write<'_>]) -> Result<Vec<bool>, Error> {
        let mut map = self.lock();
        Ok(writes
            .iter()
            .map(|write| {
                let exists = map.contains_key(write.key);
                let applies = match write.condition {
                    Condition::Always => true,
                    Condition::Exists => exists,
                    Condition::Absent => !exists,
                };
                if applies {
                    let entry = Entry {
                        value: Value::Text(write.value.to_vec()),
                        expires: Some(Instant::now() + write.ttl),
                    };
                    map.insert(write.key.to_owned(), entry);
                }
                applies
            })
            .collect())
    }

    pub(crate) fn delete(&self, keys: &[String]) -> Result<u64, Error> {
        let mut map = self.lock();
        Ok(keys.iter().filter(|key| map.remove(*key).is_some()).count() as u64)
    }

    pub(crate) fn expire(&self, keys: &[String], ttl: Duration) -> Result<Vec<bool>, Error> {
        let mut map = self.lock();
        Ok(keys
            .iter()
            .map(|key| match map.get_mut(key) {
                Some(entry) => {
                    entry.expires = Some(Instant::now() + ttl);
                    true
                }
                None => false,
            })
            .collect())
    }

    pub(crate) fn ttl(&self, keys: &[String]) -> Result<Vec<Option<Duration>>, Error> {
        let map = self.lock();
        let now = Instant::now();
        Ok(keys
            .iter()
            .map(|key| {
                map.get(key)?
                    .expires
                    .map(|at| at.saturating_duration_since(now))
            })
            .collect())
    }

    pub(crate) fn members(&self, key: &str) -> Result<Vec<Vec<u8>>, Error> {
        let map = self.lock();
        Ok(match map.get(key).map(|e| &e.value) {
            Some(Value::Set(members)) => members.iter().cloned().collect(),
            _ => Vec::new(),
        })
    }

    pub(crate) fn index_add(
        &self,
        index: &str,
        member: &str,
        ttl: Duration,
        counter: &Counter,
        now: u64,
    ) -> Result<bool, Error> {
        let mut map = self.lock();
        let entry = map.entry(index.to_owned()).or_insert_with(|| Entry {
            value: Value::Set(BTreeSet::new()),
            expires: None,
        });
        let added = match &mut entry.value {
            Value::Set(members) => members.insert(member.as_bytes().to_vec()),
            Value::Text(_) => return Err(wrong_type()),
        };
        entry.expires = Some(Instant::now() + ttl);
        if added {
            adjust(&mut map, counter, 1, now);
        }
        Ok(added)
    }

    pub(crate) fn index_remove(
        &self,
        index: &str,
        members: &[String],
        counter: &Counter,
        now: u64,
    ) -> Result<u64, Error> {
        let mut map = self.lock();
        let removed = match map.get_mut(index).map(|e| &mut e.value) {
            Some(Value::Set(set)) => members.iter().filter(|m| set.remove(m.as_bytes())).count(),
            Some(Value::Text(_)) => return Err(wrong_type()),
            None => 0,
        };
        // Redis deletes a set when its last member goes.
        if matches!(map.get(index).map(|e| &e.value), Some(Value::Set(s)) if s.is_empty()) {
            map.remove(index);
        }
        if removed > 0 {
            adjust(&mut map, counter, -(removed as i64), now);
        }
        Ok(removed as u64)
    }

    pub(crate) fn set_counter(&self, counter: &Counter, total: u64, now: u64) -> Result<(), Error> {
        let mut map = self.lock();
        set_text(&mut map, &counter.total, total.to_string());
        set_text(&mut map, &counter.updated_at, now.to_string());
        Ok(())
    }

    /// Pages through the matching keys in key order; the cursor is the
    /// number of matching keys already handed out. Like `SCAN`, a key added
    /// or removed during a scan may be seen or missed.
    pub(crate) fn scan(&self, pattern: &str, cursor: &Cursor, count: u32) -> Result<Page, Error> {
        // This backend only ever hands out `At`; anything else starts over.
        let done = match cursor {
            Cursor::At(done) => *done,
            _ => 0,
        };
        let map = self.lock();
        let skip = usize::try_from(done).unwrap_or(usize::MAX);
        let take = usize::try_from(count).unwrap_or(usize::MAX).max(1);
        let mut matching = map.keys().filter(|key| glob_match(pattern, key)).skip(skip);
        let keys: Vec<Vec<u8>> = matching
            .by_ref()
            .take(take)
            .map(|k| k.as_bytes().to_vec())
            .collect();
        let more = matching.next().is_some();
        let next = more.then(|| Cursor::At(done + keys.len() as u64));
        Ok(Page { keys, next })
    }
}

fn adjust(map: &mut Keys, counter: &Counter, delta: i64, now: u64) {
    let current = match map.get(&counter.total).map(|e| &e.value) {
        Some(Value::Text(bytes)) => std::str::from_utf8(bytes)
            .ok()
            .and_then(|t| t.parse::<i64>().ok()),
        Some(Value::Set(_)) => None,
        None => Some(0),
    };
    // As on Redis: a counter that is not an integer is left for reconcile.
    if let Some(current) = current {
        set_text(
            map,
            &counter.total,
            current.saturating_add(delta).to_string(),
        );
    }
    set_text(map, &counter.updated_at, now.to_string());
}

fn set_text(map: &mut Keys, key: &str, text: String) {
    let entry = Entry {
        value: Value::Text(text.into_bytes()),
        expires: None,
    };
    map.insert(key.to_owned(), entry);
}

fn wrong_type() -> Error {
    Error::Rejected(crate::error::BackendError::client(std::io::Error::other(
        "WRONGTYPE Operation against a key holding the wrong kind of value",
    )))
}

/// Redis's glob matching for `SCAN MATCH`: `*`, `?`, `[...]` with ranges
/// and `^` negation, and `\` escapes.
pub(crate) fn glob_match(pattern: &str, text: &str) -> bool {
    let pattern: Vec<char> = pattern.chars().collect();
    let text: Vec<char> = text.chars().collect();
    matches_from(&pattern, &text)
}

fn matches_from(pattern: &[char], text: &[char]) -> bool {
    let Some((&first, rest)) = pattern.split_first() else {
        return text.is_empty();
    };
    match first {
        '*' => (0..=text.len()).any(|skip| matches_from(rest, &text[skip..])),
        '?' => !text.is_empty() && matches_from(rest, &text[1..]),
        '[' => match (class_end(rest), text.first()) {
            (Some(end), Some(&c)) => {
                class_matches(&rest[..end], c) && matches_from(&rest[end + 1..], &text[1..])
            }
            _ => false,
        },
        '\\' if !rest.is_empty() => {
            text.first() == Some(&rest[0]) && matches_from(&rest[1..], &text[1..])
        }
        literal => text.first() == Some(&literal) && matches_from(rest, &text[1..]),
    }
}

/// The index of the `]` that closes a class, skipping escaped characters.
fn class_end(class: &[char]) -> Option<usize> {
    let mut i = 0;
    while i < class.len() {
        match class[i] {
            '\\' => i += 2,
            ']' => return Some(i),
            _ => i += 1,
        }
    }
    None
}

fn class_matches(class: &[char], c: char) -> bool {
    let (negated, class) = match class.split_first() {
        Some(('^', rest)) => (true, rest),
        _ => (false, class),
    };
    let mut hit = false;
    let mut i = 0;
    while i < class.len() {
        if class[i] == '\\' && i + 1 < class.len() {
            hit |= class[i + 1] == c;
            i += 2;
        } else if i + 2 < class.len() && class[i + 1] == '-' {
            let (lo, hi) = (class[i].min(class[i + 2]), class[i].max(class[i + 2]));
            hit |= (lo..=hi).contains(&c);
            i += 3;
        } else {
            hit |= class[i] == c;
            i += 1;
        }
    }
    hit != negated
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn globs_match_as_redis_does() {
        let cases = [
            ("rels:session:2::*", "rels:session:2::abc", true),
            (
                "rels:session:2::*",
                "rels:session:2:secure_store_enabled",
                false,
            ),
            ("app\\-1:2::*", "app-1:2::x", true),
            ("app\\-1:2::*", "app11:2::x", false),
            ("a[0-9a-f][0-9a-f]", "a0f", true),
            ("a[0-9a-f][0-9a-f]", "a0g", false),
            ("a[^x]", "ay", true),
            ("a[^x]", "ax", false),
            ("a?c", "abc", true),
            ("a\\*", "a*", true),
            ("a\\*", "ab", false),
            ("user_sessions:*", "user_sessions:", true),
        ];
        for (pattern, text, expected) in cases {
            assert_eq!(glob_match(pattern, text), expected, "{pattern} ~ {text}");
        }
    }

    #[tokio::test(start_paused = true)]
    async fn keys_expire_after_their_ttl() {
        let backend = MemoryBackend::default();
        let write = Write {
            key: "k",
            value: b"v",
            ttl: Duration::from_secs(10),
            condition: Condition::Always,
        };
        backend.write(&[write]).expect("write");
        tokio::time::advance(Duration::from_secs(9)).await;
        assert!(backend.fetch(&["k".to_owned()]).expect("fetch")[0].is_some());
        tokio::time::advance(Duration::from_secs(1)).await;
        assert!(backend.fetch(&["k".to_owned()]).expect("fetch")[0].is_none());
    }

    #[test]
    fn scans_page_through_every_matching_key_once() {
        let backend = MemoryBackend::default();
        let writes: Vec<String> = (0..25).map(|i| format!("ns:{i:02}")).collect();
        for key in &writes {
            let write = Write {
                key,
                value: b"{}",
                ttl: Duration::from_secs(60),
                condition: Condition::Always,
            };
            backend.write(&[write]).expect("write");
        }
        let mut seen = Vec::new();
        let mut cursor = Some(Cursor::default());
        while let Some(at) = cursor {
            let page = backend.scan("ns:*", &at, 10).expect("scan");
            seen.extend(page.keys);
            cursor = page.next;
        }
        assert_eq!(seen.len(), 25);
    }
}
