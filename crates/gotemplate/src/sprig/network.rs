//! sprig's `getHostByName`: one address (picked at random, as sprig does)
//! of those the system resolver returns for the name. When the name does
//! not resolve, sprig's `rand.Intn(0)` panics; the same error is returned
//! here (`invalid argument to Intn`). Rendering with it depends on the
//! machine's resolver, as it does in Helm.

use std::net::ToSocketAddrs;

use rand::seq::SliceRandom;

use super::conv::sarg;
use super::reg;
use crate::func::{FuncError, FuncMap, Param};
use crate::value::Value;

pub(super) fn register(m: &mut FuncMap) {
    reg(m, "getHostByName", &[Param::String], None, |a| {
        let addrs = lookup_host(&sarg(&a, 0));
        addrs
            .choose(&mut rand::thread_rng())
            .map(|s| Value::from(s.clone()))
            .ok_or_else(|| FuncError::new("invalid argument to Intn"))
    });
}

/// The distinct addresses of `name`, as `net.LookupHost` lists them.
pub(crate) fn lookup_host(name: &str) -> Vec<String> {
    if name.is_empty() {
        return Vec::new();
    }
    let mut out: Vec<String> = Vec::new();
    if let Ok(addrs) = (name, 0u16).to_socket_addrs() {
        for a in addrs {
            let ip = a.ip().to_string();
            if !out.contains(&ip) {
                out.push(ip);
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn localhost_resolves_to_loopback() {
        let addrs = lookup_host("localhost");
        assert!(!addrs.is_empty());
        assert!(
            addrs.iter().all(|a| a == "127.0.0.1" || a == "::1"),
            "{addrs:?}"
        );
        assert!(lookup_host("").is_empty());
    }
}
