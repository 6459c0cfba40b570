"""Python clients for benches/perf.rs (run as a subprocess; prints one JSON line).

    python3 benches/py_client.py MODE BASE_URL CALLS WARMUP
    python3 benches/py_client.py pushes PUSHES WARMUP

MODE is
  requests  a hand-written client as users write it today: a requests.Session
            (keep-alive), signing the same way as the library (MD5 Sign of
            sid+token+timestamp, upper hex; Base64 Authorization of
            sid|timestamp; UTC+8 timestamp computed from UTC), the same JSON
            body, parsing the JSON answer. It does not validate input.
  binding   the ytx Python binding (ctypes over libytx.so): YTX_LIBRARY names
            the shared library, YTX_BENCH_BINDING_SRC the binding's src/ dir.
  pushes    the binding's push parser (ytx.parse_push) on one thread: the
            state push YTX_BENCH_STATE_PUSH and the record push
            YTX_BENCH_RECORD_PUSH (bodies), PUSHES times each.

The workload comes from YTX_BENCH_* variables set by perf.rs. The last line of
stdout is {"calls_per_s":..,"p50_us":..,"p99_us":..,"calls":..,"cpu_us":..}
(for pushes {"state": {"per_s":..,"cpu_us":..}, "record": {...}}) or
{"not_available": "why"}. cpu_us is this process's user + system CPU time
(getrusage) over the measured loop, per call.
"""

import json
import os
import resource
import sys
import time

SID = os.environ.get("YTX_BENCH_SID", "8a1f0c3e5b7d9f21a4c6e8b0d2f4a6c8")
TOKEN = os.environ.get("YTX_BENCH_TOKEN", "0123456789abcdef0123456789abcdef")
APP_ID = os.environ.get("YTX_BENCH_APP_ID", "ff8080813c37da53013c804f8072007c")
SRC = os.environ.get("YTX_BENCH_SRC", "13800138000")
DST = os.environ.get("YTX_BENCH_DST", "01085485069")
CREDIT = int(os.environ.get("YTX_BENCH_CREDIT", "600"))
CUSTOM_PARM = os.environ.get("YTX_BENCH_CUSTOM_PARM", "order-42")
REQUEST_ID = "20160100000002050000000000001"


def requests_client(base_url):
    import base64
    import datetime
    import hashlib

    import requests

    session = requests.Session()
    cst = datetime.timezone(datetime.timedelta(hours=8))
    url_prefix = f"{base_url}/201512/sid/{SID}/call/DailbackCall.wx?Sign="

    def call():
        ts = datetime.datetime.now(datetime.timezone.utc).astimezone(cst).strftime("%Y%m%d%H%M%S")
        sign = hashlib.md5((SID + TOKEN + ts).encode()).hexdigest().upper()
        auth = base64.b64encode(f"{SID}|{ts}".encode()).decode()
        body = json.dumps(
            {
                "action": "callDailBack",
                "appid": APP_ID,
                "src": SRC,
                "dst": DST,
                "credit": str(CREDIT),
                "customParm": CUSTOM_PARM,
            },
            separators=(",", ":"),
            ensure_ascii=False,
        ).encode("utf-8")
        r = session.post(
            url_prefix + sign,
            data=body,
            headers={
                "Accept": "application/json",
                "Content-Type": "application/json;charset=utf-8",
                "Authorization": auth,
            },
            timeout=30,
        )
        if r.status_code != 200:
            raise RuntimeError(f"HTTP {r.status_code}")
        answer = r.json()
        if answer.get("statusCode") != "0":
            raise RuntimeError(f"platform {answer}")
        return answer["requestId"]

    return call


def import_binding():
    src = os.environ.get("YTX_BENCH_BINDING_SRC")
    if src:
        sys.path.insert(0, src)
    try:
        import ytx
    except Exception as e:  # not written yet, or the library is missing
        return None, f"import ytx failed: {type(e).__name__}: {e}"
    return ytx, None


def cpu_seconds():
    """This process's user + system CPU time (getrusage)."""
    r = resource.getrusage(resource.RUSAGE_SELF)
    return r.ru_utime + r.ru_stime


def binding_client(base_url):
    ytx, why = import_binding()
    if ytx is None:
        return None, why
    if not hasattr(ytx, "Client"):
        return None, "the ytx package has no Client"
    client = ytx.Client(SID, TOKEN, APP_ID, base_url=base_url)

    def call():
        r = client.callback_call(SRC, DST, CREDIT, custom_parm=CUSTOM_PARM)
        return r.request_id

    return call, None


def pushes(n, warmup):
    """ytx.parse_push throughput on one thread, state push then record push."""
    ytx, why = import_binding()
    if ytx is None:
        print(json.dumps({"not_available": why}))
        return
    out = {}
    for kind, var in (("state", "YTX_BENCH_STATE_PUSH"), ("record", "YTX_BENCH_RECORD_PUSH")):
        body = os.environ[var].encode("utf-8")
        parse = ytx.parse_push
        push = parse(body)
        if push.kind != ("state" if kind == "state" else "records"):
            raise SystemExit(f"{kind} push parsed as {push.kind!r}")
        for _ in range(warmup):
            parse(body)
        clock = time.perf_counter_ns
        cpu0 = cpu_seconds()
        start = clock()
        for _ in range(n):
            parse(body)
        elapsed = (clock() - start) / 1e9
        cpu = cpu_seconds() - cpu0
        out[kind] = {"per_s": n / elapsed, "cpu_us": cpu * 1e6 / n, "n": n}
    print(json.dumps(out))


def main():
    if sys.argv[1] == "pushes":
        pushes(int(sys.argv[2]), int(sys.argv[3]))
        return
    mode, base_url, calls, warmup = sys.argv[1], sys.argv[2], int(sys.argv[3]), int(sys.argv[4])
    if mode == "requests":
        try:
            call = requests_client(base_url)
        except ImportError as e:
            print(json.dumps({"not_available": f"requests is not installed ({e})"}))
            return
    elif mode == "binding":
        call, why = binding_client(base_url)
        if call is None:
            print(json.dumps({"not_available": why}))
            return
    else:
        raise SystemExit(f"unknown mode {mode}")

    rid = call()
    if rid != REQUEST_ID:
        raise SystemExit(f"unexpected requestId {rid!r}")
    for _ in range(warmup):
        call()
    lat = [0] * calls
    clock = time.perf_counter_ns
    cpu0 = cpu_seconds()
    start = clock()
    for i in range(calls):
        t = clock()
        call()
        lat[i] = clock() - t
    elapsed = (clock() - start) / 1e9
    cpu = cpu_seconds() - cpu0
    lat.sort()

    def pct(p):
        return lat[round((len(lat) - 1) * p)] / 1000.0

    print(
        json.dumps(
            {
                "calls_per_s": calls / elapsed,
                "p50_us": pct(0.50),
                "p99_us": pct(0.99),
                "calls": calls,
                "cpu_us": cpu * 1e6 / calls,
                "python": sys.version.split()[0],
            }
        )
    )


if __name__ == "__main__":
    main()
