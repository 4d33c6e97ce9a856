#!/usr/bin/python3
"""Draws a bench/compare.sh results directory as one PNG.

Top: every throughput metric (names ending in "/s") per scenario, median of the repetitions,
Tern next to Mosquitto, on a log scale. Bottom (when an open-loop row has latency_cdf data):
the latency distribution of each broker for that row, percentiles on a "nines" axis so the
tail is as visible as the median.

Usage: bench/plot.py RESULTS_DIR [-o FILE.png]   (default RESULTS_DIR/compare.png)
Needs Debian's python3-matplotlib (scripts/setup.sh installs it).
"""

import argparse
import csv
import json
import math
import statistics
import sys
from pathlib import Path

import matplotlib

matplotlib.use("Agg")  # files only, no display
import matplotlib.pyplot as plt  # noqa: E402

BROKERS = ("tern", "mosquitto")
COLOURS = {"tern": "#1f77b4", "mosquitto": "#ff7f0e"}
NAMES = {"tern": "Tern", "mosquitto": "Mosquitto"}


def read_tsv(path):
    with open(path, newline="") as f:
        return list(csv.DictReader(f, delimiter="\t", fieldnames=None))


def load_runs(results):
    """{row: {broker: [result dict, ...]}} for runs that finished without errors."""
    runs = {}
    for run in read_tsv(results / "runs.tsv"):
        try:
            with open(results / run["file"]) as f:
                result = json.load(f)
        except (OSError, ValueError):
            continue
        if result.get("ok"):
            runs.setdefault(run["row"], {}).setdefault(run["broker"], []).append(result)
    return runs


def read_rows(results):
    rows = []
    with open(results / "rows.tsv", newline="") as f:
        for line in csv.reader(f, delimiter="\t"):
            row, label, args, metrics = line
            pairs = [m.strip().split("=", 1) for m in metrics_of(metrics)]
            rows.append({"row": row, "label": label, "args": args, "metrics": pairs})
    return rows


def metrics_of(text):
    """Splits "name=path name two=path2" into ["name=path", "name two=path2"]."""
    parts, current = [], []
    for word in text.split(" "):
        current.append(word)
        if "=" in word:
            parts.append(" ".join(current))
            current = []
    return parts


def field(result, path):
    value = result
    for key in path.split("."):
        if not isinstance(value, dict) or value.get(key) is None:
            return None
        value = value[key]
    return value


def median_of(results, path):
    values = [v for v in (field(r, path) for r in results) if isinstance(v, (int, float))]
    return statistics.median(values) if values else None


def plot_throughput(axis, rows, runs):
    labels, values = [], {b: [] for b in BROKERS}
    for row in rows:
        for name, path in row["metrics"]:
            if not name.endswith("/s"):
                continue
            labels.append(f"{row['label']}\n{name}")
            for broker in BROKERS:
                values[broker].append(median_of(runs.get(row["row"], {}).get(broker, []), path))
    width = 0.4
    for i, broker in enumerate(BROKERS):
        xs = [k + (i - 0.5) * width for k in range(len(labels))]
        heights = [v if v and v > 0 else math.nan for v in values[broker]]
        axis.bar(xs, heights, width, label=NAMES[broker], color=COLOURS[broker])
    axis.set_yscale("log")
    axis.set_ylabel("per second (median, log scale)")
    axis.set_xticks(range(len(labels)))
    axis.set_xticklabels(labels, rotation=60, ha="right", fontsize=7)
    axis.set_title("Throughput: Tern vs Mosquitto")
    axis.grid(axis="y", which="both", alpha=0.3)
    axis.legend()


def nines(percentile):
    """Position of a percentile on an axis where 90, 99, 99.9, ... are evenly spaced."""
    return -math.log10(max(1e-6, 1.0 - percentile / 100.0))


def plot_latency(axis, row, runs):
    for broker in BROKERS:
        results = [r for r in runs.get(row["row"], {}).get(broker, []) if r.get("latency_cdf")]
        if not results:
            continue
        # The run with the median p99 stands for the repetitions.
        results.sort(key=lambda r: r["latency_us"]["p99"])
        cdf = results[len(results) // 2]["latency_cdf"]
        axis.plot([nines(p) for p, _ in cdf], [us for _, us in cdf], label=NAMES[broker],
                  color=COLOURS[broker])
    ticks = [0, 90, 99, 99.9, 99.99, 99.999]
    axis.set_xticks([nines(p) for p in ticks])
    axis.set_xticklabels([f"{p:g}" for p in ticks])
    axis.set_xlabel("percentile")
    axis.set_yscale("log")
    axis.set_ylabel("latency (us, log scale)")
    axis.set_title(f"Latency distribution: {row['label']}")
    axis.grid(which="both", alpha=0.3)
    axis.legend()


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("results", type=Path, help="a bench/compare.sh results directory")
    parser.add_argument("-o", "--output", type=Path, help="PNG to write")
    args = parser.parse_args()
    rows = read_rows(args.results)
    runs = load_runs(args.results)
    latency_rows = [r for r in rows if "--rate" in r["args"] and r["row"] in runs]
    figure, axes = plt.subplots(1 + len(latency_rows), 1,
                                figsize=(12, 7 + 4 * len(latency_rows)), squeeze=False)
    plot_throughput(axes[0][0], rows, runs)
    for axis, row in zip((a[0] for a in axes[1:]), latency_rows):
        plot_latency(axis, row, runs)
    figure.tight_layout()
    output = args.output or args.results / "compare.png"
    figure.savefig(output, dpi=120)
    print(f"wrote {output}")


if __name__ == "__main__":
    sys.exit(main())
