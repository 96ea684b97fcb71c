#!/usr/bin/env python3
# Live-sequence operations for bench/cluster.sh (KServe v2 HTTP/JSON, Python's standard library,
# 16 client threads): open N Silero sequences, send each one more step, read a node's status.
#   cluster_ops.py open URL FIRST N             START step of ids FIRST..FIRST+N-1 (no END: they stay live)
#   cluster_ops.py step URLS FIRST N [T0]       one more step of each, trying the comma-separated URLS in
#                                               turn until it answers (60 s guard); prints the seconds from
#                                               T0 (epoch seconds, default now) until the last one answered
#   cluster_ops.py status URL                   this node's entry of GET /v2/cluster, as JSON
#   cluster_ops.py rss PID                      resident set size of the process, bytes
import http.client, json, sys, threading, time
from concurrent.futures import ThreadPoolExecutor
from urllib.parse import urlparse

MODEL = "silero_vad"
DATA = ",".join("%.4f" % (((i * 37) % 101) / 101.0 - 0.5) for i in range(512))
local = threading.local()


def connection(url):
    conns = getattr(local, "conns", None)
    if conns is None:
        conns = local.conns = {}
    if url not in conns:
        u = urlparse(url)
        conns[url] = http.client.HTTPConnection(u.hostname, u.port, timeout=30)
    return conns[url]


def infer(url, sid, start):
    body = '{"parameters":{"sequence_id":%d,"sequence_start":%s},"inputs":[{"name":"input","shape":[1,512],"datatype":"FP32","data":[%s]}]}' % (
        sid, "true" if start else "false", DATA)
    c = connection(url)
    try:
        c.request("POST", "/v2/models/%s/infer" % MODEL, body, {"Content-Type": "application/json"})
        r = c.getresponse()
        text = r.read()
        return r.status, text
    except (OSError, http.client.HTTPException) as e:
        c.close()
        local.conns.pop(url, None)
        return 0, str(e).encode()


def run_all(fn, ids):
    with ThreadPoolExecutor(16) as pool:
        return list(pool.map(fn, ids))


def main():
    op = sys.argv[1]
    if op == "open":
        url, first, n = sys.argv[2], int(sys.argv[3]), int(sys.argv[4])
        failed = [s for s, (status, _) in zip(range(first, first + n), run_all(lambda s: infer(url, s, True), range(first, first + n))) if status != 200]
        if failed:
            sys.exit("%d of %d STARTs failed, e.g. sequence %d: %s" % (len(failed), n, failed[0], infer(url, failed[0], True)[1][:300]))
    elif op == "step":
        urls, first, n = sys.argv[2].split(","), int(sys.argv[3]), int(sys.argv[4])
        t0 = float(sys.argv[5]) if len(sys.argv) > 5 else time.time()
        retries = [0]

        def one(s):
            deadline = time.time() + 60
            i = s
            while True:
                status, text = infer(urls[i % len(urls)], s, False)
                if status == 200:
                    return time.time()
                if time.time() > deadline:
                    raise SystemExit("sequence %d: no answer within 60 s, last %d %s" % (s, status, text[:300]))
                retries[0] += 1
                i += 1
                time.sleep(0.05)

        done = run_all(one, range(first, first + n))
        print("%.3f s until all %d sequences answered (%d retries)" % (max(done) - t0, n, retries[0]))
    elif op == "status":
        url = sys.argv[2]
        c = connection(url)
        c.request("GET", "/v2/cluster")
        s = json.loads(c.getresponse().read())
        print(json.dumps(next(n for n in s["nodes"] if n["name"] == s["node"])))
    elif op == "rss":
        with open("/proc/%s/status" % sys.argv[2]) as f:
            print(next(int(l.split()[1]) * 1024 for l in f if l.startswith("VmRSS:")))
    else:
        sys.exit("unknown operation " + op)


main()
