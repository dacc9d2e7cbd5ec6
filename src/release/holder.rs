//! Who holds a deploy lease, told apart well enough to know when that holder
//! is gone: the process identity a lease is written with (Linux: the boot id,
//! the PID namespace, the PID and its start time) and [`is_gone`], which says
//! a lease's holder process has exited — only when it ran on this very
//! machine and PID namespace, so a lease taken elsewhere is never judged. A
//! deploy killed with `kill -9`, or one that could not write its last record,
//! thus leaves nothing the next deploy on the same machine must wait for.

use std::sync::OnceLock;

/// This process's identity, as a lease written by it carries it (`None` where
/// it cannot be known, e.g. off Linux: such leases are only ever judged by
/// their expiry).
pub fn this_process() -> Option<&'static str> {
    static ID: OnceLock<Option<String>> = OnceLock::new();
    ID.get_or_init(|| identity(std::process::id())).as_deref()
}

/// Whether the process that wrote `identity` is known to have exited: same
/// boot and PID namespace as this process, and its PID is gone, a zombie, or
/// now a different process (another start time).
pub fn is_gone(identity: &str) -> bool {
    let Some(held) = Identity::parse(identity) else {
        return false;
    };
    let Some(ours) = this_process().and_then(Identity::parse) else {
        return false;
    };
    if held.boot != ours.boot || held.pid_ns != ours.pid_ns {
        return false;
    }
    match process_start(held.pid) {
        None => true,
        Some(start) => start != held.start,
    }
}

/// `linux:BOOT:PIDNS:PID:START` of process `pid`, when readable.
fn identity(pid: u32) -> Option<String> {
    let boot = std::fs::read_to_string("/proc/sys/kernel/random/boot_id").ok()?;
    let ns = std::fs::read_link("/proc/self/ns/pid").ok()?;
    let ns = ns.to_string_lossy();
    let ns = ns.trim_start_matches("pid:[").trim_end_matches(']');
    let start = process_start(pid)?;
    Some(format!("linux:{}:{ns}:{pid}:{start}", boot.trim()))
}

/// The start time (clock ticks since boot) of a live, non-zombie `pid`.
fn process_start(pid: u32) -> Option<u64> {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
    parse_stat(&stat)
}

/// Field 22 (`starttime`) of a `/proc/PID/stat` line; `None` for a zombie.
fn parse_stat(stat: &str) -> Option<u64> {
    // The command name (field 2) is parenthesised and may hold spaces.
    let rest = &stat[stat.rfind(')')? + 1..];
    let fields: Vec<&str> = rest.split_whitespace().collect();
    // `rest` starts at field 3 (state): starttime is field 22.
    if fields.first() == Some(&"Z") || fields.first() == Some(&"X") {
        return None;
    }
    fields.get(19)?.parse().ok()
}

#[derive(Debug, PartialEq, Eq)]
struct Identity<'a> {
    boot: &'a str,
    pid_ns: &'a str,
    pid: u32,
    start: u64,
}

impl<'a> Identity<'a> {
    fn parse(text: &'a str) -> Option<Identity<'a>> {
        let mut parts = text.split(':');
        if parts.next()? != "linux" {
            return None;
        }
        let boot = parts.next()?;
        let pid_ns = parts.next()?;
        let pid = parts.next()?.parse().ok()?;
        let start = parts.next()?.parse().ok()?;
        if parts.next().is_some() || boot.is_empty() || pid_ns.is_empty() {
            return None;
        }
        Some(Identity {
            boot,
            pid_ns,
            pid,
            start,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stat_lines_give_the_start_time_unless_zombie() {
        let line =
            "42 (my (odd) cmd) S 1 42 42 0 -1 4194560 100 0 0 0 1 2 0 0 20 0 1 0 987654 1000 10";
        assert_eq!(parse_stat(line), Some(987654));
        let zombie = "42 (x) Z 1 42 42 0 -1 4194560 100 0 0 0 1 2 0 0 20 0 1 0 987654 0 0";
        assert_eq!(parse_stat(zombie), None);
        assert_eq!(parse_stat("garbage"), None);
    }

    #[test]
    fn identities_parse_strictly() {
        let id = Identity::parse("linux:b00t:4026531836:42:987").unwrap();
        assert_eq!(id.pid, 42);
        assert_eq!(id.start, 987);
        assert!(Identity::parse("linux:b:n:42").is_none());
        assert!(Identity::parse("darwin:b:n:42:1").is_none());
        assert!(Identity::parse("linux:b:n:x:1").is_none());
    }

    #[test]
    fn this_process_is_alive_and_strangers_are_never_judged() {
        if let Some(me) = this_process() {
            assert!(!is_gone(me), "{me}");
            // Same machine, a PID that cannot exist: gone.
            let parts: Vec<&str> = me.split(':').collect();
            let dead = format!("linux:{}:{}:4194304999:1", parts[1], parts[2]);
            assert!(is_gone(&dead), "{dead}");
            // Another boot (another machine): never judged.
            let elsewhere = format!("linux:other-boot:{}:{}:{}", parts[2], parts[3], parts[4]);
            assert!(!is_gone(&elsewhere));
        }
        assert!(!is_gone("not an identity"));
    }
}
