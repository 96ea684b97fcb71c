"""Summary of vs_inprocess (bench/lib.sh): per round, each path's rate over the whole run and in
steady state (the mean of the middle half of its timeline buckets: after warm-up, before the
sequences finish), latency at the client, and each remote path's ratio to in-process at ONNX
Runtime's default threads and at the server's; then the median ratio over the rounds (min-max).
Usage: vs_inprocess.py ROOT ROUNDS LABEL... (ROOT/<round>/remote-<k>/bench.json for the k-th
label, ROOT/<round>/run.json and run-same.json for the in-process runs)."""
import json, os, statistics, sys

root, rounds, labels = sys.argv[1], int(sys.argv[2]), sys.argv[3:]


def rates(path):
    doc = json.load(open(path))
    # ovs bench writes {"results": [...]}, ovs run {"result": {...}}
    doc = doc["results"][0] if "results" in doc else doc["result"]
    buckets = doc["timeline"]["steps_per_second"]
    middle = buckets[len(buckets) // 4: len(buckets) - len(buckets) // 4] or buckets
    latency = doc["latency_ms"]
    return {"whole": doc["steps_per_second"], "steady": sum(middle) / len(middle),
            "p50": latency["p50_ms"], "p99": latency["p99_ms"]}


paths = [(label, f"remote-{k}/bench.json") for k, label in enumerate(labels)]
paths += [("in process, ORT default threads", "run.json"), ("in process, the server's threads", "run-same.json")]
ratios = {}
for r in range(1, rounds + 1):
    got = {name: rates(os.path.join(root, str(r), f)) for name, f in paths}
    best, same = got[paths[-2][0]], got[paths[-1][0]]
    print(f"round {r}:")
    for name, _ in paths:
        g = got[name]
        print(f"  {name:34} whole {g['whole']:7.0f} steps/s, steady {g['steady']:7.0f}; latency p50 {g['p50']:.1f} ms, p99 {g['p99']:.1f} ms")
    for name in labels:
        for window in ("whole", "steady"):
            for base, label in ((best, "in-process default"), (same, "in-process same threads")):
                ratios.setdefault((name, window, label), []).append(got[name][window] / base[window])
        print(f"  {name}: {got[name]['whole'] / best['whole']:.3f} x in-process default, {got[name]['whole'] / same['whole']:.3f} x same threads (whole run); "
              f"{got[name]['steady'] / best['steady']:.3f} / {got[name]['steady'] / same['steady']:.3f} (steady state)")
print(f"median over {rounds} rounds (min-max):")
for (name, window, label), values in ratios.items():
    print(f"  {name}, {window}: {statistics.median(values):.3f} x {label} ({min(values):.3f}-{max(values):.3f})")
