//! The test Kubernetes API server, standalone (test infrastructure, not a
//! cluster): serves plain HTTP on 127.0.0.1:PORT, writes a kubeconfig whose
//! current context points at it, and prints `ready` once it accepts requests.
//!
//! `cargo run --release --example test-apiserver -- --port N --kubeconfig-out FILE
//!  [--ready-delay-ms MS] [--never-ready] [--crd-delay-ms MS] [--latency-ms MS]
//!  [--fail METHOD:PATH:CODE:TIMES]… [--drop METHOD:PATH:TIMES]… [--drop-answer METHOD:PATH:TIMES]…
//!  [--conflict METHOD:PATH:TIMES]… [--fault-rate RATE [--fault-kinds 500,503,429,drop,late-drop]
//!  [--retry-after SECS] [--fault-seed N]] [--latency-rate RATE:MS]`

#[path = "../tests/support/apiserver/mod.rs"]
mod apiserver;

use apiserver::{ServerOptions, Shared};
use clap::Parser;
use std::io::Write;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

/// mimalloc: the server's per-request cost was ~40% malloc/free (perf); both
/// peers of scripts/bench-deploy share this server.
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

#[derive(Parser, Debug)]
#[command(about = "Test Kubernetes API server (test infrastructure only)")]
struct Args {
    /// Port on 127.0.0.1 (0 = any free port; the URL is in the kubeconfig).
    #[arg(long, default_value_t = 0)]
    port: u16,
    /// Where to write the kubeconfig (context `test`, namespace `default`).
    #[arg(long)]
    kubeconfig_out: PathBuf,
    /// Milliseconds until workloads report ready / Jobs complete.
    #[arg(long, default_value_t = 200)]
    ready_delay_ms: u64,
    /// Workloads never become ready.
    #[arg(long)]
    never_ready: bool,
    /// Milliseconds until a CRD reports Established.
    #[arg(long, default_value_t = 100)]
    crd_delay_ms: u64,
    /// Latency added to every request.
    #[arg(long, default_value_t = 0)]
    latency_ms: u64,
    /// Answer requests with a status code: METHOD:PATH_SUBSTRING:CODE:TIMES (METHOD `*` = any).
    #[arg(long)]
    fail: Vec<String>,
    /// Drop connections: METHOD:PATH_SUBSTRING:TIMES.
    #[arg(long)]
    drop: Vec<String>,
    /// Answer 409 Conflict: METHOD:PATH_SUBSTRING:TIMES.
    #[arg(long)]
    conflict: Vec<String>,
    /// Handle, then drop the connection before answering: METHOD:PATH_SUBSTRING:TIMES.
    #[arg(long)]
    drop_answer: Vec<String>,
    /// Inject a fault into this share (0..1) of all requests, kinds drawn from --fault-kinds.
    #[arg(long)]
    fault_rate: Option<f64>,
    /// The faults --fault-rate draws from: status codes, `drop`, `late-drop`.
    #[arg(long, default_value = "500,503,429,drop,late-drop")]
    fault_kinds: String,
    /// `Retry-After` seconds sent with 429 and 503.
    #[arg(long, default_value_t = 1)]
    retry_after: u64,
    /// Seed of the fault dice (a run is reproducible).
    #[arg(long)]
    fault_seed: Option<u64>,
    /// Delay this share of all requests: RATE:MILLISECONDS.
    #[arg(long)]
    latency_rate: Option<String>,
}

fn main() {
    let args = Args::parse();
    if let Err(e) = run(args) {
        eprintln!("test-apiserver: {e}");
        std::process::exit(2);
    }
}

fn run(args: Args) -> Result<(), String> {
    let opts = ServerOptions {
        ready_delay: Duration::from_millis(args.ready_delay_ms),
        never_ready: args.never_ready,
        crd_delay: Duration::from_millis(args.crd_delay_ms),
        namespaces: Vec::new(),
    };
    let listener = std::net::TcpListener::bind(("127.0.0.1", args.port))
        .map_err(|e| format!("cannot listen on 127.0.0.1:{}: {e}", args.port))?;
    listener
        .set_nonblocking(true)
        .map_err(|e| format!("listener: {e}"))?;
    let addr = listener
        .local_addr()
        .map_err(|e| format!("listener: {e}"))?;
    let shared = Arc::new(Shared::new(&opts, addr.to_string()));
    for spec in &args.fail {
        let (m, p, code, times) = apiserver::faults::parse_rule(spec, true)?;
        shared.faults.fail(&m, &p, code, times);
    }
    for spec in &args.drop {
        let (m, p, _, times) = apiserver::faults::parse_rule(spec, false)?;
        shared.faults.drop_connection(&m, &p, times);
    }
    for spec in &args.conflict {
        let (m, p, _, times) = apiserver::faults::parse_rule(spec, false)?;
        shared.faults.conflict(&m, &p, times);
    }
    for spec in &args.drop_answer {
        let (m, p, _, times) = apiserver::faults::parse_rule(spec, false)?;
        shared.faults.drop_answer(&m, &p, times);
    }
    if let Some(seed) = args.fault_seed {
        shared.faults.seed(seed);
    }
    if let Some(rate) = args.fault_rate {
        let kinds = apiserver::faults::parse_kinds(&args.fault_kinds, args.retry_after)?;
        for kind in &kinds {
            shared
                .faults
                .rate("*", "/", kind.clone(), rate / kinds.len() as f64);
        }
    }
    if let Some(spec) = &args.latency_rate {
        let (rate, ms) = spec
            .split_once(':')
            .and_then(|(r, m)| Some((r.parse::<f64>().ok()?, m.parse::<u64>().ok()?)))
            .ok_or_else(|| format!("--latency-rate {spec:?}: expected RATE:MILLISECONDS"))?;
        shared.faults.rate(
            "*",
            "/",
            apiserver::FaultAction::Latency(Duration::from_millis(ms)),
            rate,
        );
    }
    if args.latency_ms > 0 {
        shared
            .faults
            .latency("*", "/", Duration::from_millis(args.latency_ms), usize::MAX);
    }
    apiserver::write_kubeconfig(&args.kubeconfig_out, &format!("http://{addr}"))
        .map_err(|e| format!("cannot write {}: {e}", args.kubeconfig_out.display()))?;
    let rt = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .map_err(|e| format!("tokio runtime: {e}"))?;
    rt.block_on(async move {
        let listener =
            tokio::net::TcpListener::from_std(listener).map_err(|e| format!("listener: {e}"))?;
        println!("ready");
        let _ = std::io::stdout().flush();
        apiserver::serve(shared, listener, async {
            let _ = tokio::signal::ctrl_c().await;
        })
        .await;
        Ok(())
    })
}
