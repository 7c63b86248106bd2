#!/usr/bin/env python3
"""The table of issue 18 from the benchmark's own outputs (reports/bench/irt.csv and
reports/bench/pipeline.csv, written by `cargo bench --bench irt` and `--bench pipeline`): each row
with its target, side by side with the peers. `benches/run` prints it last."""
import csv
import os
import sys

root = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "reports", "bench")


def rows(name):
    path = os.path.join(root, name)
    if not os.path.exists(path):
        return []
    with open(path, newline="") as f:
        return list(csv.DictReader(f))


irt, pipe = rows("irt.csv"), rows("pipeline.csv")


def find(table, **kw):
    for r in table:
        if all(r.get(k) == v for k, v in kw.items()):
            return r
    return None


def secs(r):
    return float(r["median_seconds"]) if r else float("nan")


print(f"{'what':<64} {'measured':>22} {'target':>14}  met")
def line(what, value, target, met):
    print(f"{what:<64} {value:>22} {target:>14}  {'yes' if met else 'NO'}")


for model, ratio_target in [("2pl", 25.0), ("3pl", 30.0)]:
    size = "50000 x 100"
    whole = find(irt, stage=f"qbank calibrate --matrix {model} (whole process)", size=size)
    em = find(irt, stage=f"qbank {model}", size=size)
    if whole:
        if model == "2pl":
            line(f"qbank calibrate --matrix {size} {model}, whole process", f"{secs(whole):.2f} s",
                 "< 0.75 s", secs(whole) < 0.75)
        peer = find(irt, stage=f"mirt+se {model}", size=size) or find(irt, stage=f"mirt {model}", size=size)
        if peer:
            ratio = secs(peer) / secs(whole)
            line(f"  {peer['stage']} {secs(peer):.1f} s / qbank whole process", f"{ratio:.1f}x",
                 f">= {ratio_target:.0f}x", ratio >= ratio_target)
        if em:
            print(f"  (qbank EM alone {secs(em):.2f} s; {em['note']})")
for label, stage in [("qbank run, 1,000,000 attempts, Parquet", "whole qbank run (with report)"),
                     ("qbank run, 1,000,000 attempts, CSV", "whole qbank run from CSV (with report)")]:
    r = find(pipe, kind="process", stage=stage, attempts="1000000")
    if r:
        gib = float(r["peak_mib"]) / 1024
        if "CSV" in label:
            line(label, f"{secs(r):.1f} s, {gib:.2f} GiB", "< 2 GiB", gib < 2)
        else:
            line(label, f"{secs(r):.1f} s, {gib:.2f} GiB", "< 35 s, 1.5 GiB", secs(r) < 35 and gib < 1.5)
r = find(pipe, kind="process", stage="whole qbank run (with report)", attempts="10000000")
if r:
    print(f"{'qbank run, 10,000,000 attempts, Parquet':<64} {secs(r):>20.1f} s, {float(r['peak_mib'])/1024:.2f} GiB"
          + (f"  ({r['note']})" if r.get("note") else ""))
if not irt and not pipe:
    sys.exit("no benchmark tables yet: run benches/run")
