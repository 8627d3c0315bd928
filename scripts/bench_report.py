#!/usr/bin/env python3
"""Summarize the workload benchmark: medians and ratios from one criterion run.

Reads target/criterion/<ALG>_<op>/<impl>/new/estimates.json written by
`cargo bench -p tessera-jose --bench workload` and prints a Markdown table.
"""
import json
import pathlib
import sys

ROOT = pathlib.Path(__file__).resolve().parent.parent / "target" / "criterion"
ALGS = ["HS256", "RS256", "PS256", "ES256", "ES384", "ES512", "EdDSA"]


def median_ns(group: str, impl: str):
    path = ROOT / group / impl / "new" / "estimates.json"
    if not path.exists():
        return None
    return json.loads(path.read_text())["median"]["point_estimate"]


def fmt_ns(ns):
    if ns is None:
        return "n/a"
    return f"{ns / 1000:.2f} µs" if ns >= 1000 else f"{ns:.0f} ns"


def main():
    rows = []
    for alg in ALGS:
        for op in ["sign", "verify"]:
            group = f"{alg}_{op}"
            t, f, p = (median_ns(group, i) for i in ("tessera", "floor", "jsonwebtoken"))
            if t is None:
                continue
            floor_ratio = f"{t / f:.2f}×" if f else "n/a"
            peer_ratio = f"{p / t:.2f}×" if p else "n/a (unsupported)"
            rows.append(f"| {alg} | {op} | {fmt_ns(t)} | {fmt_ns(f)} | {fmt_ns(p)} | {floor_ratio} | {peer_ratio} |")
    if not rows:
        sys.exit(f"no results under {ROOT}; run the benchmark first")
    print("| alg | op | tessera | floor (aws-lc-rs) | jsonwebtoken | tessera / floor | jsonwebtoken / tessera |")
    print("|---|---|---|---|---|---|---|")
    print("\n".join(rows))


if __name__ == "__main__":
    main()
