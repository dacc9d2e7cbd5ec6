//! The object store: every object by resource (group + plural) and
//! (namespace, name), a global monotonic resourceVersion, the watch event
//! stream with a bounded history, and the controller's work queue. Owns no
//! HTTP and no API semantics beyond keeping objects.

use super::registry::{Registry, ResourceType};
use serde_json::Value;
use std::collections::{BTreeMap, HashMap, VecDeque};
use std::sync::Arc;
use std::time::Instant;
use tokio::sync::broadcast;

/// A change to one object, as sent on watches.
#[derive(Debug)]
pub struct Event {
    /// The resourceVersion the change produced.
    pub rv: u64,
    /// API group of the object's resource.
    pub group: String,
    /// Plural resource name.
    pub plural: String,
    /// Namespace ("" for cluster-scoped objects).
    pub namespace: String,
    /// ADDED, MODIFIED or DELETED.
    pub kind: &'static str,
    /// The object after the change (before it, for DELETED).
    pub object: Value,
}

/// Work for the controller loop: make an object report progress/readiness, or
/// establish a CRD.
#[derive(Clone, Debug)]
pub struct Pending {
    /// API group of the object's resource.
    pub group: String,
    /// Plural resource name.
    pub plural: String,
    /// Namespace ("" for cluster-scoped objects).
    pub namespace: String,
    /// Object name.
    pub name: String,
    /// When it becomes ready / established.
    pub due: Instant,
    /// Whether the progressing status was written already.
    pub observed: bool,
}

type Objects = BTreeMap<(String, String), Value>;

const HISTORY: usize = 20_000;

/// All objects and the registry of their types.
pub struct Store {
    pub registry: Registry,
    objects: HashMap<(String, String), Objects>,
    rv: u64,
    ips: u32,
    uids: u64,
    pub events: broadcast::Sender<Arc<Event>>,
    history: VecDeque<Arc<Event>>,
    pub pending: Vec<Pending>,
}

impl Store {
    /// An empty store with the built-in types.
    pub fn new() -> Store {
        let (events, _) = broadcast::channel(65_536);
        Store {
            registry: Registry::with_builtins(),
            objects: HashMap::new(),
            rv: 1000,
            ips: 10,
            uids: 0,
            events,
            history: VecDeque::new(),
            pending: Vec::new(),
        }
    }

    /// The newest resourceVersion handed out.
    pub fn current_rv(&self) -> u64 {
        self.rv
    }

    /// Take the next resourceVersion.
    pub fn next_rv(&mut self) -> u64 {
        self.rv += 1;
        self.rv
    }

    /// A fresh cluster IP in 10.96.0.0/12.
    pub fn next_ip(&mut self) -> String {
        self.ips += 1;
        format!("10.96.{}.{}", self.ips / 250, self.ips % 250 + 1)
    }

    /// A fresh UID.
    pub fn next_uid(&mut self) -> String {
        self.uids += 1;
        let r: u64 = rand::random();
        format!(
            "{:08x}-{:04x}-4{:03x}-8{:03x}-{:012x}",
            (r >> 32) as u32,
            (r >> 16) as u16,
            (r & 0xfff) as u16,
            (self.uids >> 48) as u16 & 0xfff,
            self.uids & 0xffff_ffff_ffff
        )
    }

    /// One object.
    pub fn get(&self, group: &str, plural: &str, ns: &str, name: &str) -> Option<&Value> {
        self.objects
            .get(&(group.to_string(), plural.to_string()))?
            .get(&(ns.to_string(), name.to_string()))
    }

    /// Objects of a resource, in one namespace or all (ordered by namespace, name),
    /// starting after `after` (a continue token's key).
    pub fn list<'a>(
        &'a self,
        group: &str,
        plural: &str,
        ns: Option<&'a str>,
        after: Option<(String, String)>,
    ) -> Box<dyn Iterator<Item = (&'a (String, String), &'a Value)> + 'a> {
        let Some(objs) = self.objects.get(&(group.to_string(), plural.to_string())) else {
            return Box::new(std::iter::empty());
        };
        use std::ops::Bound::{Excluded, Included, Unbounded};
        let start = match (&after, ns) {
            (Some(k), _) => Excluded(k.clone()),
            (None, Some(ns)) => Included((ns.to_string(), String::new())),
            (None, None) => Unbounded,
        };
        let iter = objs.range((start, Unbounded));
        match ns {
            Some(ns) => Box::new(iter.take_while(move |((n, _), _)| n == ns)),
            None => Box::new(iter),
        }
    }

    /// Store `obj` (its resourceVersion already set) and emit ADDED/MODIFIED.
    pub fn put(&mut self, t: &ResourceType, ns: &str, name: &str, obj: Value) {
        let rv = obj["metadata"]["resourceVersion"]
            .as_str()
            .and_then(|s| s.parse().ok())
            .unwrap_or(self.rv);
        let prev = self
            .objects
            .entry(t.key())
            .or_default()
            .insert((ns.to_string(), name.to_string()), obj.clone());
        let kind = if prev.is_some() { "MODIFIED" } else { "ADDED" };
        self.emit(t, ns, kind, obj, rv);
    }

    /// Remove an object and emit DELETED.
    pub fn delete(&mut self, t: &ResourceType, ns: &str, name: &str) -> Option<Value> {
        let removed = self
            .objects
            .get_mut(&t.key())?
            .remove(&(ns.to_string(), name.to_string()))?;
        let rv = self.next_rv();
        let mut obj = removed.clone();
        obj["metadata"]["resourceVersion"] = Value::String(rv.to_string());
        self.emit(t, ns, "DELETED", obj, rv);
        Some(removed)
    }

    /// Names of objects of every namespaced resource in namespace `ns`.
    pub fn in_namespace(&self, ns: &str) -> Vec<((String, String), String)> {
        let mut out = Vec::new();
        for (key, objs) in &self.objects {
            let start = (ns.to_string(), String::new());
            for ((n, name), _) in objs.range(start..) {
                if n != ns {
                    break;
                }
                out.push((key.clone(), name.clone()));
            }
        }
        out
    }

    /// Drop every object of a resource (its CRD went away).
    pub fn drop_resource(&mut self, group: &str, plural: &str) -> usize {
        self.objects
            .remove(&(group.to_string(), plural.to_string()))
            .map(|m| m.len())
            .unwrap_or(0)
    }

    fn emit(&mut self, t: &ResourceType, ns: &str, kind: &'static str, object: Value, rv: u64) {
        let ev = Arc::new(Event {
            rv,
            group: t.group.clone(),
            plural: t.plural.clone(),
            namespace: ns.to_string(),
            kind,
            object,
        });
        if self.history.len() >= HISTORY {
            self.history.pop_front();
        }
        self.history.push_back(ev.clone());
        let _ = self.events.send(ev);
    }

    /// Events after `rv` for a resource, or `None` when `rv` is older than the history.
    pub fn events_since(&self, rv: u64, group: &str, plural: &str) -> Option<Vec<Arc<Event>>> {
        if let Some(first) = self.history.front() {
            if rv + 1 < first.rv && rv < self.rv {
                return None;
            }
        }
        Some(
            self.history
                .iter()
                .filter(|e| e.rv > rv && e.group == group && e.plural == plural)
                .cloned()
                .collect(),
        )
    }
}

impl Default for Store {
    fn default() -> Self {
        Store::new()
    }
}
