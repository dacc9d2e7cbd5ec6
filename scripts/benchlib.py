#!/usr/bin/env python3
"""Side-by-side command benchmarks for scripts/bench-*.

Two subcommands, each printing one result row and (when BENCH_RESULTS names a file)
appending it as a JSON line so scripts/bench can print the summary table:

  paired  --name N --a CMD --b CMD [--runs R] [--warmup W] [--target-ratio X]
          Runs A and B alternately R times on the same input (A first, then B,
          then A ...), reports each median wall time and the median of the paired
          ratios B/A (how many times faster A is than B).
  single  --name N --cmd CMD [--runs R] [--warmup W] [--target-ms T] [--target-rss-mb M]
          Runs CMD R times, reports median wall time and the median peak RSS.

Commands are shell-split (no shell in between) so start-up of a shell is not measured.
A command that exits non-zero stops the benchmark with its stderr.
"""
import argparse
import json
import os
import shlex
import statistics
import subprocess
import sys
import tempfile
import time


def run_once(cmd, measure_rss=False):
    """Run cmd; return (seconds, peak_rss_bytes or None).

    Peak RSS comes from GNU time (/usr/bin/time -f %M): a child forked from this
    Python process would report Python's own RSS as its peak.
    """
    rss_file = None
    if measure_rss:
        fd, rss_file = tempfile.mkstemp()
        os.close(fd)
        cmd = ["/usr/bin/time", "-f", "%M", "-o", rss_file] + cmd
    start = time.perf_counter()
    proc = subprocess.run(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    elapsed = time.perf_counter() - start
    if proc.returncode != 0:
        sys.exit(f"benchmark command failed (exit {proc.returncode}): {' '.join(cmd)}\n"
                 f"{proc.stderr.decode(errors='replace')}")
    rss = None
    if rss_file:
        with open(rss_file) as f:
            rss = int(f.read().strip().splitlines()[-1]) * 1024
        os.unlink(rss_file)
    return elapsed, rss


def record(row):
    path = os.environ.get("BENCH_RESULTS")
    if path:
        with open(path, "a") as f:
            f.write(json.dumps(row) + "\n")


def fmt_ms(seconds):
    return f"{seconds * 1000:.1f} ms"


def paired(args):
    a, b = shlex.split(args.a), shlex.split(args.b)
    for _ in range(args.warmup):
        run_once(a)
        run_once(b)
    ta, tb, ratios = [], [], []
    for _ in range(args.runs):
        x, _ = run_once(a)
        y, _ = run_once(b)
        ta.append(x)
        tb.append(y)
        ratios.append(y / x)
    ma, mb, mr = statistics.median(ta), statistics.median(tb), statistics.median(ratios)
    met = None if args.target_ratio is None else mr >= args.target_ratio
    target = "" if args.target_ratio is None else f">= {args.target_ratio:g}x"
    print(f"{args.name}: {args.a_label} {fmt_ms(ma)} | {args.b_label} {fmt_ms(mb)} | "
          f"median paired ratio {mr:.1f}x | target {target or '-'} | "
          f"{'MET' if met else ('MISSED' if met is False else 'n/a')}  (runs={args.runs})")
    record({"name": args.name, "kind": "paired", "a": args.a_label, "b": args.b_label,
            "a_median_ms": round(ma * 1000, 2), "b_median_ms": round(mb * 1000, 2),
            "ratio": round(mr, 2), "target": target, "met": met, "runs": args.runs})


def single(args):
    cmd = shlex.split(args.cmd)
    for _ in range(args.warmup):
        run_once(cmd)
    times, rss = [], []
    for _ in range(args.runs):
        times.append(run_once(cmd)[0])
        rss.append(run_once(cmd, measure_rss=True)[1])
    mt, mr = statistics.median(times), statistics.median(rss) / (1024 * 1024)
    parts, met = [], True
    if args.target_ms is not None:
        parts.append(f"< {args.target_ms:g} ms")
        met = met and mt * 1000 < args.target_ms
    if args.target_rss_mb is not None:
        parts.append(f"< {args.target_rss_mb:g} MB")
        met = met and mr < args.target_rss_mb
    target = ", ".join(parts)
    print(f"{args.name}: median {fmt_ms(mt)}, peak RSS {mr:.1f} MB | target {target or '-'} | "
          f"{'MET' if met else 'MISSED'}  (runs={args.runs})")
    record({"name": args.name, "kind": "single", "median_ms": round(mt * 1000, 2),
            "peak_rss_mb": round(mr, 1), "target": target, "met": met, "runs": args.runs})


def main():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = p.add_subparsers(dest="cmd_name", required=True)
    pp = sub.add_parser("paired")
    pp.add_argument("--name", required=True)
    pp.add_argument("--a", required=True)
    pp.add_argument("--b", required=True)
    pp.add_argument("--a-label", default="berth")
    pp.add_argument("--b-label", default="peer")
    pp.add_argument("--runs", type=int, default=15)
    pp.add_argument("--warmup", type=int, default=2)
    pp.add_argument("--target-ratio", type=float)
    ps = sub.add_parser("single")
    ps.add_argument("--name", required=True)
    ps.add_argument("--cmd", required=True)
    ps.add_argument("--runs", type=int, default=15)
    ps.add_argument("--warmup", type=int, default=2)
    ps.add_argument("--target-ms", type=float)
    ps.add_argument("--target-rss-mb", type=float)
    args = p.parse_args()
    paired(args) if args.cmd_name == "paired" else single(args)


if __name__ == "__main__":
    main()
