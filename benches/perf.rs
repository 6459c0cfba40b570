//! Performance benchmark of the ytx client (GitHub issue 7).
//!
//! Run with `bash benches/run.sh` (or `cargo bench --bench perf`); see
//! BENCHMARKS.md for what is measured and the last results. It is a plain
//! binary (`harness = false`), not part of the test command.
//!
//! Everything talks to a minimal fixed-response HTTP/1.1 server started here
//! on loopback (thread per connection, reads one request by Content-Length,
//! writes a precomputed 200 answer, keep-alive, no signature check), so the
//! server is not what is measured. Clients, one thread each, keep-alive:
//!
//! 1. floor: a raw `TcpStream` loop writing one precomputed request (the same
//!    bytes the library sends) and reading the answer; no signing, no JSON;
//! 2. the Rust API (`Client::callback_call`);
//! 3. the C ABI (`ytx::ffi::ytx_callback_call` + `ytx_outcome_free`, called
//!    from Rust through the same `extern "C"` functions `libytx.so` exports);
//! 4. the Python binding (ctypes over `target/release/libytx.so`, subprocess);
//! 5. a hand-written Python `requests.Session` client signing the same way.
//!
//! Then 8 threads sharing one client, the per-request CPU cost of validation +
//! signing + serialisation, allocations per call (counting allocator), memory
//! (RSS and heap through the C ABI) and the stripped size of `libytx.so`.
//!
//! Environment knobs: `YTX_BENCH_QUICK=1` (fewer calls, for a smoke run),
//! `PYTHON` (interpreter, default `python3`), `YTX_BENCH_JSON=path` (also
//! write the results as JSON).

use std::alloc::{GlobalAlloc, Layout, System};
use std::cell::Cell;
use std::ffi::{c_char, CString};
use std::io::{Read, Write};
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::Command;
use std::ptr;
use std::sync::atomic::{AtomicBool, AtomicI64, AtomicU64, Ordering};
use std::sync::{Arc, Barrier, Mutex};
use std::time::{Duration, Instant};

use ytx::ffi::{
    ytx_callback_call, ytx_callback_prepare, ytx_client, ytx_client_new, ytx_free,
    ytx_live_clients, ytx_outcome, ytx_outcome_free, ytx_result,
};
use ytx::{CallbackCall, Client};

// ---------------------------------------------------------------------------
// Counting allocator: per-thread allocation count and net bytes (for
// "allocations per call" and "heap per client"), plus process-wide live bytes.

struct Counting;

thread_local! {
    static T_ALLOCS: Cell<u64> = const { Cell::new(0) };
    static T_NET_BYTES: Cell<i64> = const { Cell::new(0) };
    static T_ALLOC_BYTES: Cell<u64> = const { Cell::new(0) };
}
static LIVE_BYTES: AtomicI64 = AtomicI64::new(0);

#[inline]
fn note(allocs: u64, bytes: i64) {
    // `try_with`: the allocator may run during thread teardown.
    let _ = T_ALLOCS.try_with(|c| c.set(c.get() + allocs));
    let _ = T_NET_BYTES.try_with(|c| c.set(c.get() + bytes));
    if allocs > 0 && bytes > 0 {
        let _ = T_ALLOC_BYTES.try_with(|c| c.set(c.get() + bytes as u64));
    }
    LIVE_BYTES.fetch_add(bytes, Ordering::Relaxed);
}

unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, l: Layout) -> *mut u8 {
        note(1, l.size() as i64);
        System.alloc(l)
    }
    unsafe fn alloc_zeroed(&self, l: Layout) -> *mut u8 {
        note(1, l.size() as i64);
        System.alloc_zeroed(l)
    }
    unsafe fn dealloc(&self, p: *mut u8, l: Layout) {
        note(0, -(l.size() as i64));
        System.dealloc(p, l)
    }
    unsafe fn realloc(&self, p: *mut u8, l: Layout, new: usize) -> *mut u8 {
        // A realloc is one more trip to the allocator.
        note(1, new as i64 - l.size() as i64);
        System.realloc(p, l, new)
    }
}

#[global_allocator]
static GLOBAL: Counting = Counting;

fn thread_allocs() -> u64 {
    T_ALLOCS.with(Cell::get)
}
fn thread_net_bytes() -> i64 {
    T_NET_BYTES.with(Cell::get)
}
/// Bytes requested from the allocator on this thread (a realloc counts its
/// growth), never decreasing.
fn thread_alloc_bytes() -> u64 {
    T_ALLOC_BYTES.with(Cell::get)
}

// ---------------------------------------------------------------------------
// The workload: one callback call, the same in every client.

#[path = "../tests/support/tls.rs"]
mod tls;

const SID: &str = "8a1f0c3e5b7d9f21a4c6e8b0d2f4a6c8";
const TOKEN: &str = "0123456789abcdef0123456789abcdef";
const APP_ID: &str = "ff8080813c37da53013c804f8072007c";
const SRC: &str = "13800138000";
const DST: &str = "01085485069";
const CREDIT: u32 = 600;
const CUSTOM_PARM: &str = "order-42";

const ANSWER_BODY: &str =
    r#"{"statusCode":"0","statusMsg":"提交成功","requestId":"20160100000002050000000000001"}"#;

fn the_call() -> CallbackCall {
    CallbackCall::new(SRC, DST, CREDIT).custom_parm(CUSTOM_PARM)
}

// ---------------------------------------------------------------------------
// The fixed-response server.

static CONNECTIONS: AtomicU64 = AtomicU64::new(0);
/// When `Some(empty)`, the server copies the next request it reads here.
static CAPTURE: Mutex<Option<Vec<u8>>> = Mutex::new(None);
static CAPTURING: AtomicBool = AtomicBool::new(false);

fn answer_bytes() -> Vec<u8> {
    format!(
        "HTTP/1.1 200 OK\r\nContent-Type: application/json;charset=utf-8\r\n\
         Content-Length: {}\r\nConnection: keep-alive\r\n\r\n{ANSWER_BODY}",
        ANSWER_BODY.len()
    )
    .into_bytes()
}

fn find(hay: &[u8], needle: &[u8]) -> Option<usize> {
    hay.windows(needle.len()).position(|w| w == needle)
}

/// The Content-Length of an HTTP head (case-insensitive name), 0 if absent.
fn content_length(head: &[u8]) -> usize {
    for line in head.split(|&b| b == b'\n') {
        let line = line.strip_suffix(b"\r").unwrap_or(line);
        if line.len() > 15 && line[..15].eq_ignore_ascii_case(b"content-length:") {
            return std::str::from_utf8(&line[15..])
                .ok()
                .and_then(|s| s.trim().parse().ok())
                .unwrap_or(0);
        }
    }
    0
}

/// Read one HTTP message (head + Content-Length body) from `s` into `buf`,
/// where `buf[..*len]` may already hold bytes. Returns the message's length,
/// or None at EOF. No allocation.
fn read_message(s: &mut TcpStream, buf: &mut [u8], len: &mut usize) -> Option<usize> {
    loop {
        if let Some(h) = find(&buf[..*len], b"\r\n\r\n") {
            let total = h + 4 + content_length(&buf[..h]);
            assert!(total <= buf.len(), "message larger than the buffer");
            while *len < total {
                match s.read(&mut buf[*len..]) {
                    Ok(0) | Err(_) => return None,
                    Ok(n) => *len += n,
                }
            }
            return Some(total);
        }
        if *len == buf.len() {
            return None;
        }
        match s.read(&mut buf[*len..]) {
            Ok(0) | Err(_) => return None,
            Ok(n) => *len += n,
        }
    }
}

fn start_server() -> SocketAddr {
    start_server_with(answer_bytes())
}

/// The fixed-response server, answering every request with `answer`.
fn start_server_with(answer: Vec<u8>) -> SocketAddr {
    let listener = TcpListener::bind("127.0.0.1:0").expect("bind loopback");
    let addr = listener.local_addr().unwrap();
    let answer: &'static [u8] = answer.leak();
    std::thread::Builder::new()
        .name("fixed-server".into())
        .spawn(move || {
            for s in listener.incoming() {
                let Ok(mut s) = s else { continue };
                CONNECTIONS.fetch_add(1, Ordering::Relaxed);
                std::thread::spawn(move || {
                    let _ = s.set_nodelay(true);
                    let mut buf = [0u8; 16 * 1024];
                    let mut len = 0;
                    while let Some(n) = read_message(&mut s, &mut buf, &mut len) {
                        if CAPTURING.load(Ordering::Acquire) {
                            if let Some(c) = CAPTURE.lock().unwrap().as_mut() {
                                if c.is_empty() {
                                    c.extend_from_slice(&buf[..n]);
                                }
                            }
                        }
                        if s.write_all(answer).is_err() {
                            return;
                        }
                        buf.copy_within(n..len, 0);
                        len -= n;
                    }
                });
            }
        })
        .unwrap();
    addr
}

// ---------------------------------------------------------------------------
// Measurement helpers.

#[derive(Clone, Debug, Default)]
struct Run {
    calls_per_s: f64,
    p50_us: f64,
    p99_us: f64,
    calls: usize,
    connections: u64,
    /// The calling threads' user + system CPU time per call (getrusage), µs.
    cpu_us: Option<f64>,
    /// Allocations per call on the calling threads (counting allocator).
    allocs: Option<f64>,
    /// For a subprocess client: its rate over the mean rate of two floor
    /// rounds run just before and just after it.
    paired: Option<f64>,
}

fn percentile(sorted_ns: &[u64], p: f64) -> f64 {
    if sorted_ns.is_empty() {
        return f64::NAN;
    }
    let i = ((sorted_ns.len() as f64 - 1.0) * p).round() as usize;
    sorted_ns[i] as f64 / 1000.0
}

/// Run `calls` calls of `one` on this thread, timing each.
fn measure(calls: usize, one: impl FnMut()) -> (Duration, Vec<u64>) {
    let s = measure_sample(calls, one);
    (s.elapsed, s.lat)
}

/// What one thread's measured loop cost: wall time, each call's latency, the
/// thread's CPU time (getrusage RUSAGE_THREAD: this thread only, so the
/// in-process server's threads do not count) and its allocations.
struct Sample {
    elapsed: Duration,
    lat: Vec<u64>,
    cpu: Duration,
    allocs: u64,
}

fn measure_sample(calls: usize, mut one: impl FnMut()) -> Sample {
    let mut lat = Vec::with_capacity(calls);
    let a0 = thread_allocs();
    let c0 = thread_cpu();
    let start = Instant::now();
    for _ in 0..calls {
        let t = Instant::now();
        one();
        lat.push(t.elapsed().as_nanos() as u64);
    }
    let elapsed = start.elapsed();
    let cpu = thread_cpu().saturating_sub(c0);
    Sample {
        elapsed,
        lat,
        cpu,
        allocs: thread_allocs() - a0,
    }
}

/// This thread's user + system CPU time (getrusage RUSAGE_THREAD).
fn thread_cpu() -> Duration {
    rusage(libc::RUSAGE_THREAD)
}

fn rusage(who: libc::c_int) -> Duration {
    // SAFETY: getrusage fills the struct it is given.
    let mut u: libc::rusage = unsafe { std::mem::zeroed() };
    let rc = unsafe { libc::getrusage(who, &mut u) };
    assert_eq!(rc, 0, "getrusage");
    let tv = |t: libc::timeval| Duration::new(t.tv_sec as u64, t.tv_usec as u32 * 1000);
    tv(u.ru_utime) + tv(u.ru_stime)
}

fn summarise(elapsed: Duration, mut lat: Vec<u64>, connections: u64) -> Run {
    lat.sort_unstable();
    Run {
        calls_per_s: lat.len() as f64 / elapsed.as_secs_f64(),
        p50_us: percentile(&lat, 0.50),
        p99_us: percentile(&lat, 0.99),
        calls: lat.len(),
        connections,
        cpu_us: None,
        allocs: None,
        paired: None,
    }
}

fn median(mut v: Vec<f64>) -> f64 {
    v.sort_by(|a, b| a.partial_cmp(b).unwrap());
    let n = v.len();
    if n == 0 {
        f64::NAN
    } else if n % 2 == 1 {
        v[n / 2]
    } else {
        (v[n / 2 - 1] + v[n / 2]) / 2.0
    }
}

/// Several rounds of one client: calls/s is the median round, latencies are
/// pooled over all rounds, connections are summed.
#[derive(Default)]
struct Rounds {
    runs: Vec<Run>,
    lat: Vec<u64>,
    elapsed: Vec<Duration>,
    /// CPU time and allocations of the calling threads over all rounds,
    /// when measured (`add_sample`).
    cpu: Option<Duration>,
    allocs: Option<u64>,
}

impl Rounds {
    fn add(&mut self, elapsed: Duration, lat: Vec<u64>, connections: u64) {
        self.lat.extend_from_slice(&lat);
        self.elapsed.push(elapsed);
        self.runs.push(summarise(elapsed, lat, connections));
    }
    fn add_sample(&mut self, s: Sample, connections: u64) {
        *self.cpu.get_or_insert_default() += s.cpu;
        *self.allocs.get_or_insert_default() += s.allocs;
        self.add(s.elapsed, s.lat, connections);
    }
    fn result(&self) -> Run {
        let mut lat = self.lat.clone();
        lat.sort_unstable();
        let calls = lat.len().max(1) as f64;
        Run {
            calls_per_s: median(self.runs.iter().map(|r| r.calls_per_s).collect()),
            p50_us: percentile(&lat, 0.50),
            p99_us: percentile(&lat, 0.99),
            calls: lat.len(),
            connections: self.runs.iter().map(|r| r.connections).sum(),
            cpu_us: self.cpu.map(|c| c.as_secs_f64() * 1e6 / calls),
            allocs: self.allocs.map(|a| a as f64 / calls),
            paired: None,
        }
    }
    fn rates(&self) -> Vec<f64> {
        self.runs.iter().map(|r| r.calls_per_s).collect()
    }
}

/// The ratio to the floor, paired per round (robust to noise that drifts
/// between rounds): median over rounds of rate / floor rate of that round.
fn paired_ratio(client: &Rounds, floor: &Rounds) -> f64 {
    median(
        client
            .rates()
            .iter()
            .zip(floor.rates())
            .map(|(c, f)| c / f)
            .collect(),
    )
}

fn conns_during<T>(f: impl FnOnce() -> T) -> (T, u64) {
    let before = CONNECTIONS.load(Ordering::Relaxed);
    let t = f();
    (t, CONNECTIONS.load(Ordering::Relaxed) - before)
}

// ---------------------------------------------------------------------------
// The clients.

/// The exact bytes `Client::send` puts on the wire for the workload: one
/// request through the Rust API, captured by the server (signed once).
fn precomputed_request(client: &Client) -> Vec<u8> {
    *CAPTURE.lock().unwrap() = Some(Vec::new());
    CAPTURING.store(true, Ordering::Release);
    client.callback_call(&the_call()).unwrap();
    CAPTURING.store(false, Ordering::Release);
    let captured = CAPTURE.lock().unwrap().take().unwrap();
    assert!(
        captured.starts_with(b"POST /201512/sid/"),
        "captured request"
    );
    captured
}

/// The floor: a raw keep-alive connection, precomputed request, read the
/// answer by Content-Length. No signing, no JSON, no allocation per call.
struct Floor {
    s: TcpStream,
    req: Vec<u8>,
    buf: Box<[u8; 16 * 1024]>,
}

impl Floor {
    fn new(addr: SocketAddr, req: &[u8]) -> Floor {
        let s = TcpStream::connect(addr).unwrap();
        s.set_nodelay(true).unwrap();
        Floor {
            s,
            req: req.to_vec(),
            buf: Box::new([0; 16 * 1024]),
        }
    }
    fn call(&mut self) {
        self.s.write_all(&self.req).unwrap();
        let mut len = 0;
        let n = read_message(&mut self.s, &mut self.buf[..], &mut len).expect("answer");
        assert!(n == len && self.buf.starts_with(b"HTTP/1.1 200"));
    }
}

fn rust_call(client: &Client, call: &CallbackCall) {
    let r = client.callback_call(call).expect("accepted");
    debug_assert_eq!(r.request_id, "20160100000002050000000000001");
    std::hint::black_box(r);
}

/// The C ABI's arguments, as C strings owned here.
struct CArgs {
    src: CString,
    dst: CString,
    names: [CString; 1],
    values: [CString; 1],
}

impl CArgs {
    fn new() -> CArgs {
        CArgs {
            src: CString::new(SRC).unwrap(),
            dst: CString::new(DST).unwrap(),
            names: [CString::new("customParm").unwrap()],
            values: [CString::new(CUSTOM_PARM).unwrap()],
        }
    }
}

fn c_client(base_url: &str) -> *mut ytx_client {
    let sid = CString::new(SID).unwrap();
    let token = CString::new(TOKEN).unwrap();
    let app = CString::new(APP_ID).unwrap();
    let n = [CString::new("base_url").unwrap()];
    let v = [CString::new(base_url).unwrap()];
    let np: Vec<*const c_char> = n.iter().map(|s| s.as_ptr()).collect();
    let vp: Vec<*const c_char> = v.iter().map(|s| s.as_ptr()).collect();
    let mut h: *mut ytx_client = ptr::null_mut();
    // SAFETY: valid NUL-terminated strings, arrays of `1` pointers, out pointer.
    let rc = unsafe {
        ytx_client_new(
            sid.as_ptr(),
            token.as_ptr(),
            app.as_ptr(),
            np.as_ptr(),
            vp.as_ptr(),
            1,
            &mut h,
            ptr::null_mut(),
        )
    };
    assert_eq!(rc, ytx_result::YTX_OK);
    h
}

/// One call through the C ABI, as a C caller makes it: call, check the code,
/// free the outcome. `send = false` is the dry run `ytx_callback_prepare`.
fn c_call(h: *const ytx_client, a: &CArgs, send: bool) {
    let np = [a.names[0].as_ptr()];
    let vp = [a.values[0].as_ptr()];
    let mut o: *mut ytx_outcome = ptr::null_mut();
    // SAFETY: a live handle, valid strings, 1-element arrays, out pointer.
    let rc = unsafe {
        let f = if send {
            ytx_callback_call
        } else {
            ytx_callback_prepare
        };
        f(
            h,
            a.src.as_ptr(),
            a.dst.as_ptr(),
            i64::from(CREDIT),
            np.as_ptr(),
            vp.as_ptr(),
            1,
            &mut o,
        )
    };
    assert_eq!(rc, ytx_result::YTX_OK);
    // SAFETY: made by the call above, freed once.
    unsafe { ytx_outcome_free(o) };
}

// ---------------------------------------------------------------------------
// Python clients (subprocesses printing JSON).

fn repo_root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// `target/release` (or wherever this bench binary's profile directory is).
fn profile_dir() -> PathBuf {
    let exe = std::env::current_exe().unwrap();
    exe.parent().unwrap().parent().unwrap().to_path_buf() // .../deps/perf-* -> ...
}

fn cdylib() -> Option<PathBuf> {
    let p = profile_dir().join("libytx.so");
    p.exists().then_some(p)
}

enum PyOutcome {
    Ran(Run),
    NotAvailable(String),
}

/// The workload and the library, as every subprocess client reads them.
fn workload_env(cmd: &mut Command) {
    cmd.env("YTX_BENCH_SID", SID)
        .env("YTX_BENCH_TOKEN", TOKEN)
        .env("YTX_BENCH_APP_ID", APP_ID)
        .env("YTX_BENCH_SRC", SRC)
        .env("YTX_BENCH_DST", DST)
        .env("YTX_BENCH_CREDIT", CREDIT.to_string())
        .env("YTX_BENCH_CUSTOM_PARM", CUSTOM_PARM)
        .env("YTX_BENCH_STATE_PUSH", STATE_PUSH)
        .env("YTX_BENCH_RECORD_PUSH", RECORD_PUSH)
        .env(
            "YTX_BENCH_BINDING_SRC",
            repo_root().join("bindings/python/src"),
        );
    if let Some(so) = cdylib() {
        cmd.env("YTX_LIBRARY", &so);
        // C#'s [DllImport("ytx")] finds it through the library path.
        let dir = so.parent().unwrap().to_path_buf();
        let mut path = std::ffi::OsString::from(dir);
        if let Some(old) = std::env::var_os("LD_LIBRARY_PATH") {
            path.push(":");
            path.push(old);
        }
        cmd.env("LD_LIBRARY_PATH", path);
    }
}

/// Run a subprocess client; its last stdout line is JSON. `Err` says why it
/// produced none (its last stderr line, or its own `not_available`).
fn run_json(mut cmd: Command, what: &str) -> Result<serde_json::Value, String> {
    workload_env(&mut cmd);
    let out = cmd
        .output()
        .map_err(|e| format!("cannot run {what}: {e}"))?;
    let stdout = String::from_utf8_lossy(&out.stdout);
    let line = stdout.lines().last().unwrap_or("");
    let v: serde_json::Value = match serde_json::from_str(line) {
        Ok(v) => v,
        Err(_) => {
            let err = String::from_utf8_lossy(&out.stderr);
            let last = err.lines().last().unwrap_or("no output").to_string();
            return Err(format!("{what}: {last} ({})", out.status));
        }
    };
    if let Some(why) = v.get("not_available").and_then(|x| x.as_str()) {
        return Err(why.to_string());
    }
    Ok(v)
}

fn python_cmd() -> (Command, String) {
    let py = std::env::var("PYTHON").unwrap_or_else(|_| "python3".into());
    let mut cmd = Command::new(&py);
    cmd.arg(repo_root().join("benches/py_client.py"));
    (cmd, py)
}

/// The C# runtimes of the C# rows, as bindings/csharp/run-tests.sh runs the
/// suite: Mono, and .NET 8 CoreCLR through `dotnet exec`.
#[derive(Clone, Copy, PartialEq)]
enum CsRuntime {
    Mono,
    CoreClr,
}

/// `YtxBench.exe` (bindings/csharp/bench/Bench.cs, built by benches/run.sh
/// into YTX_BENCH_CSHARP_DIR) on one runtime.
fn csharp_cmd(rt: CsRuntime) -> Result<(Command, String), String> {
    let dir = std::env::var_os("YTX_BENCH_CSHARP_DIR")
        .map(PathBuf::from)
        .ok_or("YTX_BENCH_CSHARP_DIR is not set (benches/run.sh builds the C# client)")?;
    let exe = dir.join("YtxBench.exe");
    if !exe.exists() {
        return Err(format!(
            "{} not found (benches/run.sh builds it)",
            exe.display()
        ));
    }
    Ok(match rt {
        CsRuntime::Mono => {
            let mut cmd = Command::new("mono");
            cmd.arg(&exe);
            (cmd, "mono".into())
        }
        CsRuntime::CoreClr => {
            let dotnet = std::env::var_os("YTX_DOTNET")
                .map(PathBuf::from)
                .ok_or("YTX_DOTNET is not set (benches/run.sh finds the .NET 8 host)")?;
            let mut cmd = Command::new(&dotnet);
            cmd.arg("exec")
                .arg("--runtimeconfig")
                .arg(dir.join("ytx-net8.runtimeconfig.json"))
                .arg(&exe)
                .env("DOTNET_ROOT", dotnet.parent().unwrap())
                .env("DOTNET_CLI_TELEMETRY_OPTOUT", "1")
                .env("DOTNET_NOLOGO", "1");
            (cmd, dotnet.display().to_string())
        }
    })
}

fn run_of(v: &serde_json::Value, conns: u64) -> Run {
    let f = |k: &str| v.get(k).and_then(|x| x.as_f64()).unwrap_or(f64::NAN);
    Run {
        calls_per_s: f("calls_per_s"),
        p50_us: f("p50_us"),
        p99_us: f("p99_us"),
        calls: f("calls") as usize,
        connections: conns,
        cpu_us: v.get("cpu_us").and_then(|x| x.as_f64()),
        allocs: None,
        paired: None,
    }
}

/// A subprocess client placing `calls` calls after `warmup`.
fn sub_calls(
    made: Result<(Command, String), String>,
    mode: Option<&str>,
    base_url: &str,
    calls: usize,
    warmup: usize,
) -> PyOutcome {
    let (mut cmd, what) = match made {
        Ok(m) => m,
        Err(why) => return PyOutcome::NotAvailable(why),
    };
    if let Some(mode) = mode {
        cmd.arg(mode);
    } else {
        cmd.arg("calls");
    }
    cmd.arg(base_url)
        .arg(calls.to_string())
        .arg(warmup.to_string());
    let before = CONNECTIONS.load(Ordering::Relaxed);
    let v = run_json(cmd, &what);
    let conns = CONNECTIONS.load(Ordering::Relaxed) - before;
    match v {
        Ok(v) => PyOutcome::Ran(run_of(&v, conns)),
        Err(why) => PyOutcome::NotAvailable(why),
    }
}

fn python(mode: &str, base_url: &str, calls: usize, warmup: usize) -> PyOutcome {
    sub_calls(Ok(python_cmd()), Some(mode), base_url, calls, warmup)
}

fn csharp(rt: CsRuntime, base_url: &str, calls: usize, warmup: usize) -> PyOutcome {
    sub_calls(csharp_cmd(rt), None, base_url, calls, warmup)
}

// ---------------------------------------------------------------------------
// Memory and size.

fn rss_kb() -> u64 {
    let s = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
    s.lines()
        .find(|l| l.starts_with("VmRSS:"))
        .and_then(|l| l.split_whitespace().nth(1))
        .and_then(|n| n.parse().ok())
        .unwrap_or(0)
}

fn stripped_size(so: &Path) -> Option<(u64, u64)> {
    let unstripped = std::fs::metadata(so).ok()?.len();
    let tmp = std::env::temp_dir().join(format!("ytx-bench-{}.so", std::process::id()));
    std::fs::copy(so, &tmp).ok()?;
    let ok = Command::new("strip")
        .arg(&tmp)
        .status()
        .map(|s| s.success())
        .unwrap_or(false);
    let stripped = std::fs::metadata(&tmp).ok().map(|m| m.len());
    let _ = std::fs::remove_file(&tmp);
    if ok {
        stripped.map(|s| (unstripped, s))
    } else {
        None
    }
}

/// ns per iteration and allocations per iteration of `f` in a tight loop.
fn tight<T>(iters: u64, mut f: impl FnMut() -> T) -> (f64, f64) {
    for _ in 0..iters / 10 {
        std::hint::black_box(f());
    }
    let a0 = thread_allocs();
    let t = Instant::now();
    for _ in 0..iters {
        std::hint::black_box(f());
    }
    let ns = t.elapsed().as_nanos() as f64 / iters as f64;
    (ns, (thread_allocs() - a0) as f64 / iters as f64)
}

/// Allocations and bytes allocated on this thread per call of `f` (run `n`
/// times).
fn allocs_per_call(n: u64, mut f: impl FnMut()) -> (f64, f64) {
    let a0 = thread_allocs();
    let b0 = thread_alloc_bytes();
    for _ in 0..n {
        f();
    }
    (
        (thread_allocs() - a0) as f64 / n as f64,
        (thread_alloc_bytes() - b0) as f64 / n as f64,
    )
}

// ---------------------------------------------------------------------------

fn fmt_rate(r: f64) -> String {
    if r.is_nan() {
        "-".into()
    } else {
        format!("{:.0}", r)
    }
}

struct Row {
    name: String,
    run: Option<Run>,
    vs_floor: Option<f64>,
    note: String,
}

fn fmt_opt(x: Option<f64>, prec: usize) -> String {
    match x {
        Some(x) if x.is_finite() => format!("{x:.prec$}"),
        _ => "-".into(),
    }
}

fn print_table(rows: &[Row]) {
    println!(
        "| {:<46} | {:>9} | {:>8} | {:>8} | {:>8} | {:>11} | {:>11} | {:>6} |",
        "client (loopback, keep-alive)",
        "calls/s",
        "p50 µs",
        "p99 µs",
        "vs floor",
        "CPU µs/call",
        "allocs/call",
        "conns"
    );
    println!(
        "|{:-<48}|{:->11}|{:->10}|{:->10}|{:->10}|{:->13}|{:->13}|{:->8}|",
        "", ":", ":", ":", ":", ":", ":", ":"
    );
    for r in rows {
        match &r.run {
            Some(run) => println!(
                "| {:<46} | {:>9} | {:>8.1} | {:>8.1} | {:>8} | {:>11} | {:>11} | {:>6} |",
                r.name,
                fmt_rate(run.calls_per_s),
                run.p50_us,
                run.p99_us,
                r.vs_floor
                    .map(|x| format!("{:.0}%", x * 100.0))
                    .unwrap_or_else(|| "-".into()),
                fmt_opt(run.cpu_us, 1),
                fmt_opt(run.allocs, 1),
                run.connections,
            ),
            None => println!(
                "| {:<46} | {:>9} | {:>8} | {:>8} | {:>8} | {:>11} | {:>11} | {:>6} |",
                r.name, "n/a", "-", "-", "-", "-", "-", "-"
            ),
        }
        if !r.note.is_empty() {
            println!("|   ↳ {}", r.note);
        }
    }
}

/// A row of a subprocess client: against the floor rounds run around it,
/// else the median one-thread floor.
fn sub_row(name: &str, run: &Option<Run>, na: &str, floor_rate: f64) -> Row {
    Row {
        name: name.into(),
        run: run.clone(),
        vs_floor: run
            .as_ref()
            .map(|r| r.paired.unwrap_or(r.calls_per_s / floor_rate)),
        note: if run.is_none() {
            format!("not available: {na}")
        } else {
            String::new()
        },
    }
}

fn main() {
    // `cargo bench` passes `--bench`. `--serve` only runs the fixed-response
    // server and prints its address (for trying other clients by hand).
    let args: Vec<String> = std::env::args().collect();
    if args.iter().any(|a| a == "--serve") {
        println!("http://{}", start_server());
        loop {
            std::thread::park();
        }
    }
    // `--only floor|rust|cabi|prepare N`: run just that client N times, for
    // profiling with perf / strace / callgrind.
    // `--only8 rust|cabi N`: 8 threads sharing one Client / one handle, N
    // calls in all, for strace -f -c / perf (the 8-thread rows' locks).
    if let Some(i) = args.iter().position(|a| a == "--only8") {
        let what = args.get(i + 1).map(String::as_str).unwrap_or("cabi");
        let n: usize = args
            .get(i + 2)
            .and_then(|n| n.parse().ok())
            .unwrap_or(80_000);
        only8(what, n);
        return;
    }
    if let Some(i) = args.iter().position(|a| a == "--only") {
        let what = args.get(i + 1).map(String::as_str).unwrap_or("rust");
        let n: usize = args
            .get(i + 2)
            .and_then(|n| n.parse().ok())
            .unwrap_or(100_000);
        only(what, n);
        return;
    }
    if args.iter().any(|a| a == "--pushes") {
        pushes_bench();
        return;
    }
    if let Some(i) = args.iter().position(|a| a == "--push-peak") {
        push_peak(&args[i + 1]);
        return;
    }
    if let Some(i) = args.iter().position(|a| a == "--push-time") {
        push_time(&args[i + 1]);
        return;
    }
    if args.iter().any(|a| a == "--experiments") {
        experiments(5, 10_000);
        return;
    }
    if args.iter().any(|a| a == "--https") {
        https_bench(5, 2_000, 200);
        return;
    }
    if args.iter().any(|a| a == "--thread-experiments") {
        thread_experiments(3, 3_000);
        return;
    }
    let quick = std::env::var_os("YTX_BENCH_QUICK").is_some();
    let scale = |n: usize| if quick { (n / 10).max(100) } else { n };
    let rounds = if quick { 2 } else { 5 };
    let calls_1t = scale(10_000); // per round per client
    let calls_8t = scale(40_000); // per round, all threads
    let py_calls_binding = scale(20_000);
    let py_calls_requests = scale(2_000);
    let cs_calls = scale(20_000);

    let addr = start_server();
    let base_url = format!("http://{addr}");
    let client = Client::builder(SID, TOKEN, APP_ID)
        .base_url(&base_url)
        .build()
        .unwrap();
    let call = the_call();
    let raw = precomputed_request(&client);
    let cargs = CArgs::new();
    let h = c_client(&base_url);

    let machine = machine_description();
    println!("ytx performance benchmark (issue 7)");
    println!("machine: {machine}");
    println!(
        "workload: callback call {SRC} -> {DST}, credit {CREDIT}, customParm {CUSTOM_PARM}; \
         request {} bytes, answer {} bytes; fixed-response server on {addr}",
        raw.len(),
        answer_bytes().len()
    );
    println!(
        "one thread: {rounds} interleaved rounds x {calls_1t} calls per client (calls/s = median round, \
         latencies pooled, vs floor = median of per-round ratios)\n"
    );

    // --- one thread, interleaved rounds -----------------------------------
    let mut floor = Floor::new(addr, &raw);
    // Warm-up: one unrecorded round of each client (connections, caches,
    // the server threads' first wake-ups).
    for _ in 0..calls_1t.max(2_000) {
        floor.call();
    }
    for _ in 0..calls_1t.max(2_000) {
        rust_call(&client, &call);
    }
    for _ in 0..calls_1t.max(2_000) {
        c_call(h, &cargs, true);
    }
    let (mut fl, mut ru, mut ca) = (Rounds::default(), Rounds::default(), Rounds::default());
    for _ in 0..rounds {
        let (s, c) = conns_during(|| measure_sample(calls_1t, || floor.call()));
        fl.add_sample(s, c);
        let (s, c) = conns_during(|| measure_sample(calls_1t, || rust_call(&client, &call)));
        ru.add_sample(s, c);
        let (s, c) = conns_during(|| measure_sample(calls_1t, || c_call(h, &cargs, true)));
        ca.add_sample(s, c);
    }
    let floor_rate = fl.result().calls_per_s;

    // --- Python and C# (subprocesses), two rounds each, interleaved ---------
    let mut py_b: Vec<Run> = Vec::new();
    let mut py_r: Vec<Run> = Vec::new();
    let mut cs_m: Vec<Run> = Vec::new();
    let mut cs_c: Vec<Run> = Vec::new();
    let mut py_b_na = String::new();
    let mut py_r_na = String::new();
    let mut cs_m_na = String::new();
    let mut cs_c_na = String::new();
    // Each subprocess run is paired with floor rounds just before and after
    // it, as the in-process rows are paired round by round.
    let mut floor_now = || {
        let s = measure_sample(calls_1t, || floor.call());
        s.lat.len() as f64 / s.elapsed.as_secs_f64()
    };
    let mut keep = |run: &mut dyn FnMut() -> PyOutcome, runs: &mut Vec<Run>, na: &mut String| {
        let before = floor_now();
        let o = run();
        let after = floor_now();
        match o {
            PyOutcome::Ran(mut r) => {
                r.paired = Some(r.calls_per_s / ((before + after) / 2.0));
                runs.push(r)
            }
            PyOutcome::NotAvailable(why) => *na = why,
        }
    };
    for _ in 0..2 {
        let mut o = || python("binding", &base_url, py_calls_binding, 2_000);
        keep(&mut o, &mut py_b, &mut py_b_na);
        let mut o = || python("requests", &base_url, py_calls_requests, 500);
        keep(&mut o, &mut py_r, &mut py_r_na);
        let mut o = || csharp(CsRuntime::Mono, &base_url, cs_calls, 5_000);
        keep(&mut o, &mut cs_m, &mut cs_m_na);
        let mut o = || csharp(CsRuntime::CoreClr, &base_url, cs_calls, 5_000);
        keep(&mut o, &mut cs_c, &mut cs_c_na);
    }
    let best = |v: &[Run]| -> Option<Run> {
        // The median of two is their mean; latencies from the faster run.
        if v.is_empty() {
            return None;
        }
        let mut r = v
            .iter()
            .max_by(|a, b| a.calls_per_s.partial_cmp(&b.calls_per_s).unwrap())
            .unwrap()
            .clone();
        r.calls_per_s = median(v.iter().map(|x| x.calls_per_s).collect());
        r.cpu_us = v
            .iter()
            .map(|x| x.cpu_us)
            .sum::<Option<f64>>()
            .map(|c| c / v.len() as f64);
        r.paired = v
            .iter()
            .map(|x| x.paired)
            .collect::<Option<Vec<f64>>>()
            .map(median);
        r.connections = v.iter().map(|x| x.connections).sum();
        r.calls = v.iter().map(|x| x.calls).sum();
        Some(r)
    };
    let py_b_run = best(&py_b);
    let py_r_run = best(&py_r);
    let cs_m_run = best(&cs_m);
    let cs_c_run = best(&cs_c);

    // --- 8 threads --------------------------------------------------------
    let threads = 8;
    let shared = Arc::new(client);
    let h_shared = h as usize;
    let run_threads = |kind: u8| -> Sample {
        let per = calls_8t / threads;
        let barrier = Arc::new(Barrier::new(threads + 1));
        let handles: Vec<_> = (0..threads)
            .map(|_| {
                let barrier = barrier.clone();
                let client = shared.clone();
                let raw = raw.clone();
                std::thread::spawn(move || {
                    let call = the_call();
                    let cargs = CArgs::new();
                    let mut floor = (kind == 0).then(|| Floor::new(addr, &raw));
                    let mut one = || match kind {
                        0 => floor.as_mut().unwrap().call(),
                        1 => rust_call(&client, &call),
                        _ => c_call(h_shared as *const ytx_client, &cargs, true),
                    };
                    for _ in 0..200 {
                        one();
                    }
                    barrier.wait();
                    let s = measure_sample(per, one);
                    barrier.wait();
                    s
                })
            })
            .collect();
        barrier.wait();
        let t = Instant::now();
        barrier.wait();
        let elapsed = t.elapsed();
        let mut all = Sample {
            elapsed,
            lat: Vec::with_capacity(calls_8t),
            cpu: Duration::ZERO,
            allocs: 0,
        };
        for j in handles {
            let s = j.join().unwrap();
            all.lat.extend_from_slice(&s.lat);
            all.cpu += s.cpu;
            all.allocs += s.allocs;
        }
        all
    };
    let mut fl8 = Rounds::default();
    let mut ru8 = Rounds::default();
    let mut ca8 = Rounds::default();
    let rounds8 = if quick { 1 } else { 3 };
    for _ in 0..rounds8 {
        let (s, c) = conns_during(|| run_threads(0));
        fl8.add_sample(s, c);
        let (s, c) = conns_during(|| run_threads(1));
        ru8.add_sample(s, c);
        let (s, c) = conns_during(|| run_threads(2));
        ca8.add_sample(s, c);
    }
    let client = Arc::try_unwrap(shared).unwrap_or_else(|_| panic!("threads joined"));

    // --- table --------------------------------------------------------------
    let rows = vec![
        Row {
            name: "(5) floor: raw keep-alive loop, 1 thread".into(),
            run: Some(fl.result()),
            vs_floor: Some(1.0),
            note: String::new(),
        },
        Row {
            name: "(1) ytx Rust API, 1 thread".into(),
            run: Some(ru.result()),
            vs_floor: Some(paired_ratio(&ru, &fl)),
            note: String::new(),
        },
        Row {
            name: "(2) ytx C ABI, 1 thread".into(),
            run: Some(ca.result()),
            vs_floor: Some(paired_ratio(&ca, &fl)),
            note: String::new(),
        },
        sub_row(
            "(3) ytx Python binding (ctypes), 1 thread",
            &py_b_run,
            &py_b_na,
            floor_rate,
        ),
        sub_row(
            "(4) Python requests.Session, 1 thread",
            &py_r_run,
            &py_r_na,
            floor_rate,
        ),
        sub_row(
            "(6) ytx C# binding, Mono, 1 thread",
            &cs_m_run,
            &cs_m_na,
            floor_rate,
        ),
        sub_row(
            "(7) ytx C# binding, .NET 8 CoreCLR, 1 thread",
            &cs_c_run,
            &cs_c_na,
            floor_rate,
        ),
        Row {
            name: "(5) floor, 8 threads x own connection".into(),
            run: Some(fl8.result()),
            vs_floor: Some(1.0),
            note: String::new(),
        },
        Row {
            name: "(1) ytx Rust API, 8 threads, one Client".into(),
            run: Some(ru8.result()),
            vs_floor: Some(paired_ratio(&ru8, &fl8)),
            note: String::new(),
        },
        Row {
            name: "(2) ytx C ABI, 8 threads, one handle".into(),
            run: Some(ca8.result()),
            vs_floor: Some(paired_ratio(&ca8, &fl8)),
            note: String::new(),
        },
    ];
    print_table(&rows);
    println!(
        "\n(8-thread rows: 'vs floor' is against the 8-thread floor; 'conns' = TCP connections \
         the server accepted during the measured calls, all rounds)"
    );
    let rounded = |r: &Rounds| r.rates().iter().map(|x| x.round()).collect::<Vec<_>>();
    println!(
        "one-thread calls/s per round: floor {:?}  rust {:?}  c-abi {:?}",
        rounded(&fl),
        rounded(&ru),
        rounded(&ca)
    );
    println!(
        "8-thread calls/s per round: floor {:?}  rust {:?}  c-abi {:?}",
        rounded(&fl8),
        rounded(&ru8),
        rounded(&ca8)
    );
    println!(
        "(subprocess rows: 'vs floor' is the median over their runs of the run's calls/s over \
         the mean of a floor round just before and one just after it)"
    );

    // --- CPU cost per request (tight loops, no I/O) --------------------------
    let n = if quick { 20_000 } else { 200_000 };
    let ts = ytx::sign::timestamp_now();
    let prepared = client.prepare_callback_call(&call).unwrap();
    let mut cost: Vec<(&str, f64, f64)> = Vec::new();
    let (ns, al) = tight(n, ytx::sign::timestamp_now);
    cost.push(("timestamp_now (UTC+8 yyyyMMddHHmmss)", ns, al));
    let (ns, al) = tight(n, || ytx::sign::sign(SID, TOKEN, &ts));
    cost.push(("sign (MD5, upper hex)", ns, al));
    let (ns, al) = tight(n, || ytx::sign::authorization(SID, &ts));
    cost.push(("authorization (Base64)", ns, al));
    let (ns, al) = tight(n, || call.validate().is_ok());
    cost.push(("validate", ns, al));
    let (ns, al) = tight(n, || call.to_json("callDailBack", APP_ID).unwrap());
    cost.push(("validate + JSON body (to_json)", ns, al));
    let (ns, al) = tight(n, || client.prepare_callback_call(&call).unwrap());
    cost.push(("prepare_callback_call (all of the above)", ns, al));
    let (ns, al) = tight(n, || c_call(h, &cargs, false));
    cost.push(("C ABI ytx_callback_prepare + outcome_free", ns, al));
    let (ns, al) = tight(n, || ytx::parse_response(ANSWER_BODY.as_bytes()).unwrap());
    cost.push(("parse_response (answer JSON)", ns, al));
    let (ns, al) = tight(n, || prepared.clone());
    cost.push(("(for scale) clone of a PreparedRequest", ns, al));
    let (ns, al) = tight(n, || ytx::parse_push(STATE_PUSH.as_bytes()).unwrap());
    cost.push(("parse_push (state push)", ns, al));
    let (ns, al) = tight(n, || ytx::parse_push(RECORD_PUSH.as_bytes()).unwrap());
    cost.push(("parse_push (record push, one record)", ns, al));

    println!("\nPer-request CPU cost, tight loop on one thread ({n} iterations):\n");
    println!(
        "| {:<44} | {:>9} | {:>12} |",
        "step", "ns/call", "allocs/call"
    );
    println!("|{:-<46}|{:->11}|{:->14}|", "", ":", ":");
    for (name, ns, al) in &cost {
        println!("| {:<44} | {:>9.0} | {:>12.1} |", name, ns, al);
    }

    let alloc_n = if quick { 500 } else { 5_000 };
    let (a_rust, b_rust) = allocs_per_call(alloc_n, || rust_call(&client, &call));
    let (a_cabi, b_cabi) = allocs_per_call(alloc_n, || c_call(h, &cargs, true));
    let mut floor1 = Floor::new(addr, &raw);
    floor1.call();
    let (a_floor, _) = allocs_per_call(alloc_n, || floor1.call());
    let (a_rprep, b_rprep) = allocs_per_call(alloc_n, || {
        std::hint::black_box(client.prepare_callback_call(&call).unwrap());
    });
    let (a_cprep, b_cprep) = allocs_per_call(alloc_n, || c_call(h, &cargs, false));
    println!("\nAllocations per call (counting allocator, calling thread, {alloc_n} calls):");
    println!(
        "  sent:    Rust API callback_call {a_rust:.1} ({b_rust:.0} bytes)   \
         C ABI ytx_callback_call + outcome_free {a_cabi:.1} ({b_cabi:.0} bytes)   floor {a_floor:.1}"
    );
    println!(
        "  dry run: Rust prepare_callback_call {a_rprep:.1} ({b_rprep:.0} bytes)   \
         C ABI ytx_callback_prepare + outcome_free {a_cprep:.1} ({b_cprep:.0} bytes)"
    );

    // --- push parser throughput (one thread, no I/O) -------------------------
    let pushes = push_throughput(if quick { 2_000 } else { 20_000 });
    print_pushes(&pushes);

    // --- memory through the C ABI -------------------------------------------
    let mem = memory(&base_url, quick);
    println!("\nMemory (C ABI, one handle, real calls against the fixed server):");
    println!(
        "  RSS after {} calls: {} KB; after {} calls: {} KB; growth {:+} KB",
        mem.first_calls,
        mem.rss_first,
        mem.total_calls,
        mem.rss_total,
        mem.rss_total as i64 - mem.rss_first as i64
    );
    println!(
        "  heap in use (counting allocator, whole process): growth {:+} bytes over the last {} calls",
        mem.heap_growth,
        mem.total_calls - mem.first_calls
    );
    println!(
        "  memory per client: RSS {:.1} KB, heap {:.1} KB (1,000 idle clients via ytx_client_new); \
         heap {:.1} KB with one pooled keep-alive connection each (1,000 clients x 1 call); \
         live handles after ytx_free: {}",
        mem.rss_per_client_kb,
        mem.heap_per_client as f64 / 1024.0,
        mem.heap_per_connected_client as f64 / 1024.0,
        mem.live_after_free
    );

    // --- size ---------------------------------------------------------------
    let size = cdylib().and_then(|p| stripped_size(&p).map(|s| (p, s)));
    println!("\nSize:");
    match &size {
        Some((p, (un, st))) => println!(
            "  {}: {} bytes unstripped, {} bytes ({:.2} MB) after `strip`",
            p.display(),
            un,
            st,
            *st as f64 / 1048576.0
        ),
        None => {
            println!("  libytx.so not found next to the bench binary (run `cargo build --release`)")
        }
    }

    // --- targets ------------------------------------------------------------
    let r_ratio = paired_ratio(&ru, &fl);
    let py_ratio = match (&py_b_run, &py_r_run) {
        (Some(b), Some(r)) => Some(b.calls_per_s / r.calls_per_s),
        _ => None,
    };
    let growth = mem.rss_total as i64 - mem.rss_first as i64;
    println!("\nTargets:");
    let verdict = |ok: bool| if ok { "MET" } else { "NOT MET" };
    // Issue 22's goals (printed, never asserted).
    let goal = |what: &str, ratio: f64, min: f64| {
        println!(
            "  {what} >= {:.0}% of the floor: {:.0}% -> {}",
            min * 100.0,
            ratio * 100.0,
            verdict(ratio >= min)
        )
    };
    goal("Rust API (1 thread)", r_ratio, 0.95);
    goal("C ABI (1 thread)", paired_ratio(&ca, &fl), 0.90);
    goal(
        "C ABI (8 threads, one handle)",
        paired_ratio(&ca8, &fl8),
        0.90,
    );
    if let Some(r) = &py_b_run {
        goal(
            "Python binding (1 thread)",
            r.paired.unwrap_or(r.calls_per_s / floor_rate),
            0.50,
        );
    }
    println!(
        "  C ABI allocations per call within a handful of the Rust API's: {a_cabi:.1} vs {a_rust:.1} -> {}",
        verdict(a_cabi - a_rust <= 5.0)
    );
    match py_ratio {
        Some(x) => println!(
            "  Python binding >= 3x requests.Session: {:.1}x -> {}",
            x,
            verdict(x >= 3.0)
        ),
        None => println!(
            "  Python binding >= 3x requests.Session: not measured (binding not available)"
        ),
    }
    println!(
        "  no RSS growth (100k vs 1k C ABI calls, within 300 KB): {:+} KB -> {}",
        growth,
        verdict(growth <= 300)
    );
    if let Some((_, (_, st))) = &size {
        println!(
            "  stripped libytx.so <= 2 MB: {:.2} MB -> {}",
            *st as f64 / 1048576.0,
            verdict(*st <= 2 * 1024 * 1024)
        );
    }

    if let Ok(path) = std::env::var("YTX_BENCH_JSON") {
        let j = |r: &Option<Run>| match r {
            Some(r) => serde_json::json!({"calls_per_s": r.calls_per_s, "p50_us": r.p50_us,
                "p99_us": r.p99_us, "connections": r.connections, "cpu_us": r.cpu_us,
                "allocs": r.allocs}),
            None => serde_json::Value::Null,
        };
        let doc = serde_json::json!({
            "machine": machine,
            "rows": rows.iter().map(|r| serde_json::json!({"name": r.name, "run": j(&r.run),
                "vs_floor": r.vs_floor, "note": r.note})).collect::<Vec<_>>(),
            "cost": cost.iter().map(|(n, ns, al)| serde_json::json!({"step": n, "ns": ns, "allocs": al})).collect::<Vec<_>>(),
            "allocs_per_call": {"rust": a_rust, "c_abi": a_cabi, "floor": a_floor,
                "rust_bytes": b_rust, "c_abi_bytes": b_cabi, "rust_prepare": a_rprep,
                "c_abi_prepare": a_cprep},
            "pushes": pushes.iter().map(|p| serde_json::json!({"name": p.name,
                "state": p.state.as_ref().ok().map(|m| serde_json::json!(
                    {"per_s": m.per_s, "cpu_us": m.cpu_us, "allocs": m.allocs})),
                "record": p.record.as_ref().ok().map(|m| serde_json::json!(
                    {"per_s": m.per_s, "cpu_us": m.cpu_us, "allocs": m.allocs}))}))
                .collect::<Vec<_>>(),
            "memory": {"rss_first_kb": mem.rss_first, "rss_total_kb": mem.rss_total,
                "first_calls": mem.first_calls, "total_calls": mem.total_calls,
                "heap_growth_bytes": mem.heap_growth, "rss_per_client_kb": mem.rss_per_client_kb,
                "heap_per_client_bytes": mem.heap_per_client,
                "heap_per_connected_client_bytes": mem.heap_per_connected_client},
            "size": size.as_ref().map(|(_, (u, s))| serde_json::json!({"unstripped": u, "stripped": s})),
        });
        let _ = std::fs::write(path, serde_json::to_string_pretty(&doc).unwrap());
    }

    // SAFETY: the handle from c_client, freed once.
    unsafe { ytx_free(h) };

    // A language whose client could not run is a failed benchmark, not a
    // row quietly left out (benches/run.sh checks the runtimes up front).
    let mut missing: Vec<String> = rows
        .iter()
        .filter(|r| r.run.is_none())
        .map(|r| format!("{}: {}", r.name, r.note))
        .collect();
    for p in &pushes {
        for m in [&p.state, &p.record] {
            if let Err(why) = m {
                missing.push(format!("push parser, {}: {why}", p.name));
            }
        }
    }
    if !missing.is_empty() {
        eprintln!("\nbenchmark incomplete, these clients did not run:");
        for m in &missing {
            eprintln!("  {m}");
        }
        std::process::exit(1);
    }
}

// ---------------------------------------------------------------------------
// Push parser throughput (issue 22): one thread, no I/O, the two push kinds
// of PROTOCOL.md, in every language.

/// PROTOCOL.md's state push.
const STATE_PUSH: &str = r#"{"requestid":"20200437755840048670965760400","dsc":"18610559223","state":"answer","stateDesc":"应答","timestamp":"2020-04-28 14:51:37"}"#;

/// PROTOCOL.md's call-record push: one record of a two-way callback call.
const RECORD_PUSH: &str = r#"{"cdr":[{"requestid":"20200437755811196850667520400","appid":"ff1f324a0604417c9c7f5f1186225fda","fid":4,"caller":"18610559223","called":"01053189990","callerstime":"2020-04-28 14:51:37","calleretime":"2020-04-28 14:51:47","calledstime":"2020-04-28 14:51:43","calledetime":"2020-04-28 14:51:47","tapesurl":"http://101.200.159.167:16214/monitor/20200428/20200428145126_xxx.mp3","duration":10,"oriamount":0.31,"customParm":"order-id-123456","stateDesc":"应答|正常"}]}"#;

struct PushMeasure {
    per_s: f64,
    cpu_us: f64,
    allocs: Option<f64>,
}

struct PushRow {
    name: String,
    state: Result<PushMeasure, String>,
    record: Result<PushMeasure, String>,
}

/// `n` parses of `body` by `f` on this thread, after a tenth as warm-up.
fn push_loop(n: u64, mut f: impl FnMut()) -> PushMeasure {
    for _ in 0..n / 10 {
        f();
    }
    let a0 = thread_allocs();
    let c0 = thread_cpu();
    let t = Instant::now();
    for _ in 0..n {
        f();
    }
    let e = t.elapsed();
    let cpu = thread_cpu().saturating_sub(c0);
    PushMeasure {
        per_s: n as f64 / e.as_secs_f64(),
        cpu_us: cpu.as_secs_f64() * 1e6 / n as f64,
        allocs: Some((thread_allocs() - a0) as f64 / n as f64),
    }
}

fn push_throughput(n_sub: usize) -> Vec<PushRow> {
    let n = (n_sub * 10) as u64;
    let rust = |body: &'static str| {
        let kind = ytx::parse_push(body.as_bytes()).map(|p| matches!(p, ytx::Push::State(_)));
        push_loop(n, || {
            std::hint::black_box(ytx::parse_push(std::hint::black_box(body.as_bytes())).unwrap());
        })
        .ok_if(kind.is_ok())
    };
    let cabi = |body: &'static str| {
        let ok = c_parse(body.as_bytes()).is_ok();
        push_loop(n, || {
            std::hint::black_box(c_parse(std::hint::black_box(body.as_bytes())).unwrap());
        })
        .ok_if(ok)
    };
    let mut rows = vec![
        PushRow {
            name: "Rust API ytx::parse_push".into(),
            state: rust(STATE_PUSH),
            record: rust(RECORD_PUSH),
        },
        PushRow {
            name: "C ABI ytx_push_parse + every accessor + free".into(),
            state: cabi(STATE_PUSH),
            record: cabi(RECORD_PUSH),
        },
    ];
    let sub = |name: &str, made: Result<(Command, String), String>| -> PushRow {
        let v = made.and_then(|(mut cmd, what)| {
            cmd.arg("pushes")
                .arg(n_sub.to_string())
                .arg((n_sub / 10).max(100).to_string());
            run_json(cmd, &what)
        });
        let kind = |k: &str| -> Result<PushMeasure, String> {
            let v = v.as_ref().map_err(Clone::clone)?;
            let m = v.get(k).ok_or_else(|| format!("no {k} in the answer"))?;
            let f = |x: &str| m.get(x).and_then(|x| x.as_f64()).unwrap_or(f64::NAN);
            Ok(PushMeasure {
                per_s: f("per_s"),
                cpu_us: f("cpu_us"),
                allocs: None,
            })
        };
        PushRow {
            name: name.into(),
            state: kind("state"),
            record: kind("record"),
        }
    };
    rows.push(sub("Python ytx.parse_push", Ok(python_cmd())));
    rows.push(sub("C# YtxPush.Parse, Mono", csharp_cmd(CsRuntime::Mono)));
    rows.push(sub(
        "C# YtxPush.Parse, .NET 8 CoreCLR",
        csharp_cmd(CsRuntime::CoreClr),
    ));
    rows
}

trait OkIf: Sized {
    fn ok_if(self, ok: bool) -> Result<Self, String> {
        if ok {
            Ok(self)
        } else {
            Err("the sample push did not parse".into())
        }
    }
}
impl OkIf for PushMeasure {}

fn print_pushes(rows: &[PushRow]) {
    println!(
        "\nPush parser throughput, one thread, no I/O (state push {} bytes, record push {} bytes):\n",
        STATE_PUSH.len(),
        RECORD_PUSH.len()
    );
    println!(
        "| {:<46} | {:>13} | {:>11} | {:>12} | {:>14} | {:>11} | {:>12} |",
        "parser",
        "state push/s",
        "CPU µs/push",
        "allocs/push",
        "record push/s",
        "CPU µs/push",
        "allocs/push"
    );
    println!(
        "|{:-<48}|{:->15}|{:->13}|{:->14}|{:->16}|{:->13}|{:->14}|",
        "", ":", ":", ":", ":", ":", ":"
    );
    let cells = |m: &Result<PushMeasure, String>| match m {
        Ok(m) => (
            fmt_rate(m.per_s),
            fmt_opt(Some(m.cpu_us), 2),
            fmt_opt(m.allocs, 1),
        ),
        Err(_) => ("n/a".into(), "-".into(), "-".into()),
    };
    for r in rows {
        let (a, b, c) = cells(&r.state);
        let (d, e, f) = cells(&r.record);
        println!(
            "| {:<46} | {:>13} | {:>11} | {:>12} | {:>14} | {:>11} | {:>12} |",
            r.name, a, b, c, d, e, f
        );
        for m in [&r.state, &r.record] {
            if let Err(why) = m {
                println!("|   ↳ not available: {why}");
                break;
            }
        }
    }
}

/// Variants used to find where the Rust API's time goes (`--only`,
/// `--experiments`); not part of the main table.
struct Variants {
    client: Client,
    call: CallbackCall,
    cargs: CArgs,
    h: *mut ytx_client,
    floor: Floor,
    split: Floor,
    split_at: usize,
    ureq_same: ureq::Agent,
    ureq_rw: ureq::Agent,
    ureq_none: ureq::Agent,
    lean: Floor,
    lean_pool: Mutex<Vec<Floor>>,
    lean_host: String,
    signed: (u64, String, String),
    lean_buf: Vec<u8>,
}

const VARIANTS: [(&str, &str); 13] = [
    ("floor", "floor: one write of the precomputed request"),
    (
        "floor-work",
        "floor + prepare_callback_call + parse_response, results unused",
    ),
    (
        "floor-split",
        "floor, head and body in two writes (as ureq 2 did)",
    ),
    ("rust", "ytx Rust API (Client::callback_call)"),
    ("cabi", "ytx C ABI (ytx_callback_call + ytx_outcome_free)"),
    (
        "ureq-same",
        "prepare + ureq 3 agent configured as ytx (overall timeout)",
    ),
    (
        "ureq-rw",
        "prepare + ureq 3, timeout_per_read/write instead of timeout_global",
    ),
    ("ureq-none", "prepare + ureq 3, no timeouts at all"),
    (
        "lean",
        "prepare + one write on a kept TcpStream + parse_response",
    ),
    (
        "lean-real",
        "lean + pool mutex, liveness peek, read/write timeouts",
    ),
    (
        "lean-cached",
        "lean-real, Sign/Authorization cached per second, no PreparedRequest",
    ),
    ("prepare", "prepare_callback_call only (no I/O)"),
    (
        "cabi-prepare",
        "C ABI ytx_callback_prepare + ytx_outcome_free only (no I/O)",
    ),
];

impl Variants {
    fn new(addr: SocketAddr) -> Variants {
        let base_url = format!("http://{addr}");
        let client = Client::builder(SID, TOKEN, APP_ID)
            .base_url(&base_url)
            .build()
            .unwrap();
        let raw = precomputed_request(&client);
        let split_at = find(&raw, b"\r\n\r\n").unwrap() + 4;
        type Cfg = ureq::config::ConfigBuilder<ureq::typestate::AgentScope>;
        let agent = |f: fn(Cfg) -> Cfg| {
            f(ureq::Agent::config_builder()
                .max_redirects(0)
                .proxy(None)
                .user_agent("ytx/0.1.0"))
            .build()
            .new_agent()
        };
        Variants {
            call: the_call(),
            cargs: CArgs::new(),
            h: c_client(&base_url),
            floor: Floor::new(addr, &raw),
            split: Floor::new(addr, &raw),
            split_at,
            ureq_same: agent(|b| {
                b.timeout_connect(Some(Duration::from_secs(5)))
                    .timeout_global(Some(Duration::from_secs(30)))
            }),
            ureq_rw: agent(|b| {
                b.timeout_connect(Some(Duration::from_secs(5)))
                    .timeout_per_read(Some(Duration::from_secs(30)))
                    .timeout_per_write(Some(Duration::from_secs(30)))
            }),
            ureq_none: agent(|b| b),
            lean: Floor::new(addr, &raw),
            lean_pool: Mutex::new(vec![Floor::new(addr, &raw)]),
            lean_host: addr.to_string(),
            lean_buf: Vec::with_capacity(1024),
            signed: (0, String::new(), String::new()),
            client,
        }
    }

    fn ureq_send(agent: &ureq::Agent, req: &ytx::PreparedRequest) -> ytx::Response {
        let mut r = agent.post(&req.url);
        for (k, v) in &req.headers {
            r = r.header(*k, v.as_str());
        }
        let resp = r.send(req.body.as_str()).unwrap();
        let mut buf = Vec::with_capacity(256);
        resp.into_body()
            .into_reader()
            .take(65537)
            .read_to_end(&mut buf)
            .unwrap();
        ytx::parse_response(&buf).unwrap()
    }

    fn one(&mut self, what: &str) {
        match what {
            "floor" => self.floor.call(),
            "floor-work" => {
                // The floor's I/O plus the work every correct client does
                // per call (validate, sign, JSON; parse the answer), its
                // results thrown away: how close to the floor any client
                // doing that work can get.
                std::hint::black_box(self.client.prepare_callback_call(&self.call).unwrap());
                let f = &mut self.floor;
                f.s.write_all(&f.req).unwrap();
                let mut len = 0;
                let n = read_message(&mut f.s, &mut f.buf[..], &mut len).expect("answer");
                let head = find(&f.buf[..n], b"\r\n\r\n").unwrap() + 4;
                std::hint::black_box(ytx::parse_response(&f.buf[head..n]).unwrap());
            }
            "floor-split" => {
                let f = &mut self.split;
                f.s.write_all(&f.req[..self.split_at]).unwrap();
                f.s.write_all(&f.req[self.split_at..]).unwrap();
                let mut len = 0;
                read_message(&mut f.s, &mut f.buf[..], &mut len).expect("answer");
            }
            "rust" => rust_call(&self.client, &self.call),
            "cabi" => c_call(self.h, &self.cargs, true),
            "ureq-same" | "ureq-rw" | "ureq-none" => {
                let req = self.client.prepare_callback_call(&self.call).unwrap();
                let agent = match what {
                    "ureq-same" => &self.ureq_same,
                    "ureq-rw" => &self.ureq_rw,
                    _ => &self.ureq_none,
                };
                std::hint::black_box(Self::ureq_send(agent, &req));
            }
            "lean" | "lean-real" | "lean-cached" => {
                let real = what != "lean";
                let b = &mut self.lean_buf;
                b.clear();
                if what == "lean-cached" {
                    // Sign and Authorization depend only on the second:
                    // compute them once per second, write the request
                    // straight into the buffer (no PreparedRequest).
                    let now = std::time::SystemTime::now()
                        .duration_since(std::time::UNIX_EPOCH)
                        .unwrap()
                        .as_secs();
                    if self.signed.0 != now {
                        let ts = ytx::sign::timestamp_now();
                        self.signed = (
                            now,
                            ytx::sign::sign(SID, TOKEN, &ts),
                            ytx::sign::authorization(SID, &ts),
                        );
                    }
                    let body = self.call.to_json("callDailBack", APP_ID).unwrap();
                    write!(
                        b,
                        "POST /201512/sid/{SID}/call/DailbackCall.wx?Sign={} HTTP/1.1\r\n\
                         Host: {}\r\nUser-Agent: ytx/0.1.0\r\nAccept: application/json\r\n\
                         Content-Type: application/json;charset=utf-8\r\nAuthorization: {}\r\n\
                         Content-Length: {}\r\n\r\n",
                        self.signed.1,
                        self.lean_host,
                        self.signed.2,
                        body.len()
                    )
                    .unwrap();
                    b.extend_from_slice(body.as_bytes());
                } else {
                    let req = self.client.prepare_callback_call(&self.call).unwrap();
                    let path = &req.url[req.url.find("/201512/").unwrap()..];
                    write!(b, "POST {path} HTTP/1.1\r\nHost: {}\r\n", self.lean_host).unwrap();
                    b.extend_from_slice(b"User-Agent: ytx/0.1.0\r\n");
                    for (k, v) in &req.headers {
                        write!(b, "{k}: {v}\r\n").unwrap();
                    }
                    write!(b, "Content-Length: {}\r\n\r\n", req.body.len()).unwrap();
                    b.extend_from_slice(req.body.as_bytes());
                }
                // "lean-real" adds what a real keep-alive sender needs per
                // call: take a connection from a pool under a mutex, check
                // it was not closed by the server (one non-blocking peek),
                // set the read and write timeouts once, put it back.
                let mut pooled = if real {
                    let f = self.lean_pool.lock().unwrap().pop().unwrap();
                    let mut byte = [0u8; 1];
                    // SAFETY: a valid fd and a 1-byte buffer.
                    let r = unsafe {
                        libc::recv(
                            std::os::fd::AsRawFd::as_raw_fd(&f.s),
                            byte.as_mut_ptr().cast(),
                            1,
                            libc::MSG_PEEK | libc::MSG_DONTWAIT,
                        )
                    };
                    assert!(r < 0, "the server closed the connection");
                    f.s.set_read_timeout(Some(Duration::from_secs(30))).unwrap();
                    f.s.set_write_timeout(Some(Duration::from_secs(30)))
                        .unwrap();
                    Some(f)
                } else {
                    None
                };
                let f = pooled.as_mut().unwrap_or(&mut self.lean);
                f.s.write_all(b).unwrap();
                let mut len = 0;
                let n = read_message(&mut f.s, &mut f.buf[..], &mut len).expect("answer");
                let head = find(&f.buf[..n], b"\r\n\r\n").unwrap() + 4;
                std::hint::black_box(ytx::parse_response(&f.buf[head..n]).unwrap());
                if let Some(f) = pooled {
                    self.lean_pool.lock().unwrap().push(f);
                }
            }
            "prepare" => {
                std::hint::black_box(self.client.prepare_callback_call(&self.call).unwrap());
            }
            "cabi-prepare" => c_call(self.h, &self.cargs, false),
            other => panic!("unknown variant {other}"),
        }
    }
}

fn only(what: &str, n: usize) {
    let mut v = Variants::new(start_server());
    for _ in 0..1000 {
        v.one(what);
    }
    let (e, lat) = measure(n, || v.one(what));
    let r = summarise(e, lat, 0);
    println!(
        "{what}: {n} calls, {:.0} calls/s, p50 {:.1} µs, p99 {:.1} µs",
        r.calls_per_s, r.p50_us, r.p99_us
    );
}

fn only8(what: &str, n: usize) {
    let addr = start_server();
    let base_url = format!("http://{addr}");
    let client = Arc::new(
        Client::builder(SID, TOKEN, APP_ID)
            .base_url(&base_url)
            .build()
            .unwrap(),
    );
    let h = c_client(&base_url) as usize;
    let cabi = match what {
        "cabi" => true,
        "rust" => false,
        other => panic!("--only8 takes rust or cabi, not {other}"),
    };
    let barrier = Arc::new(Barrier::new(9));
    let js: Vec<_> = (0..8)
        .map(|_| {
            let (barrier, client) = (barrier.clone(), client.clone());
            std::thread::spawn(move || {
                let (call, cargs) = (the_call(), CArgs::new());
                let one = || {
                    if cabi {
                        c_call(h as *const ytx_client, &cargs, true)
                    } else {
                        rust_call(&client, &call)
                    }
                };
                for _ in 0..200 {
                    one();
                }
                barrier.wait();
                let s = measure_sample(n / 8, one);
                barrier.wait();
                s
            })
        })
        .collect();
    barrier.wait();
    let t = Instant::now();
    barrier.wait();
    let e = t.elapsed();
    let (mut cpu, mut allocs) = (Duration::ZERO, 0);
    for j in js {
        let s = j.join().unwrap();
        cpu += s.cpu;
        allocs += s.allocs;
    }
    let calls = (n / 8 * 8) as f64;
    println!(
        "{what} x 8 threads: {calls} calls, {:.0} calls/s, client CPU {:.1} µs/call, {:.1} allocs/call",
        calls / e.as_secs_f64(),
        cpu.as_secs_f64() * 1e6 / calls,
        allocs as f64 / calls
    );
}

/// HTTPS (issue 13): a local rustls server (tests/support/tls.rs, CA made on
/// the spot and given to the client as `ca_file`) next to the plain server,
/// in interleaved rounds: keep-alive calls over each, and a fresh client per
/// call over each (a new TCP connection, plus a TLS handshake for https),
/// and one client whose every call needs a new connection (the servers
/// answer `Connection: close`). The handshake's cost is the difference of
/// the new-connection p50s.
fn https_bench(rounds: usize, n: usize, fresh: usize) {
    let addr = start_server();
    let plain_url = format!("http://{addr}");
    let tls = tls::start(answer_bytes());
    let close = || {
        String::from_utf8(answer_bytes())
            .unwrap()
            .replace("Connection: keep-alive", "Connection: close")
            .into_bytes()
    };
    let plain_close_url = format!("http://{}", start_server_with(close()));
    let tls_close = tls::start(close());
    let ca = tls.ca_file("bench");
    let ca_close = tls_close.ca_file("bench-close");
    let mk_with = |url: &str, ca: &str| {
        Client::builder(SID, TOKEN, APP_ID)
            .base_url(url)
            .ca_file(ca)
            .build()
            .unwrap()
    };
    let mk = |url: &str| mk_with(url, &ca);
    let call = the_call();
    let (plain, https) = (mk(&plain_url), mk(&tls.url));
    let (plain_close, https_close) = (mk(&plain_close_url), mk_with(&tls_close.url, &ca_close));
    let raw = precomputed_request(&plain);
    let mut floor = Floor::new(addr, &raw);
    for _ in 0..1_000 {
        floor.call();
        rust_call(&plain, &call);
        rust_call(&https, &call);
    }
    let names = [
        "floor (plain, one write on a kept socket)",
        "Rust API, http://, keep-alive",
        "Rust API, https://, keep-alive",
        "Rust API, http://, new connection per call (TCP connect)",
        "Rust API, https://, new connection per call (TCP + TLS handshake)",
        "Rust API, http://, new client per call",
        "Rust API, https://, new client per call (+ TLS context, ca_file)",
    ];
    let mut res: Vec<Rounds> = names.iter().map(|_| Rounds::default()).collect();
    for _ in 0..rounds {
        let (e, l) = measure(n, || floor.call());
        res[0].add(e, l, 0);
        let (e, l) = measure(n, || rust_call(&plain, &call));
        res[1].add(e, l, 0);
        let (e, l) = measure(n, || rust_call(&https, &call));
        res[2].add(e, l, 0);
        let (e, l) = measure(fresh, || rust_call(&plain_close, &call));
        res[3].add(e, l, 0);
        let (e, l) = measure(fresh, || rust_call(&https_close, &call));
        res[4].add(e, l, 0);
        let (e, l) = measure(fresh / 10, || rust_call(&mk(&plain_url), &call));
        res[5].add(e, l, 0);
        let (e, l) = measure(fresh / 10, || rust_call(&mk(&tls.url), &call));
        res[6].add(e, l, 0);
    }
    println!("HTTPS (issue 13): {rounds} interleaved rounds, {n} keep-alive calls / {fresh} fresh-client calls each; load {}", machine_description());
    println!(
        "| {:<62} | {:>9} | {:>8} | {:>8} | {:>8} |",
        "client", "calls/s", "p50 µs", "p99 µs", "vs floor"
    );
    println!(
        "|{:-<64}|{:->11}|{:->10}|{:->10}|{:->10}|",
        "", "", "", "", ""
    );
    for (i, r) in res.iter().enumerate() {
        let run = r.result();
        println!(
            "| {:<62} | {:>9} | {:>8.1} | {:>8.1} | {:>7.0}% |",
            names[i],
            fmt_rate(run.calls_per_s),
            run.p50_us,
            run.p99_us,
            paired_ratio(r, &res[0]) * 100.0
        );
    }
    let p50 = |i: usize| res[i].result().p50_us;
    println!(
        "TLS on a kept connection: +{:.1} µs p50 per call; a TLS handshake: +{:.1} µs p50 (new https connection − new http connection); handshakes seen: {} keep-alive server, {} close server",
        p50(2) - p50(1),
        p50(4) - p50(3),
        tls.handshakes(),
        tls_close.handshakes()
    );
}

/// Interleaved rounds of every variant, with CPU time per call (process
/// CPU, client + server threads) from getrusage.
fn experiments(rounds: usize, n: usize) {
    let mut v = Variants::new(start_server());
    let mut res: Vec<(Rounds, Vec<f64>)> = VARIANTS.iter().map(|_| Default::default()).collect();
    for (name, _) in VARIANTS {
        for _ in 0..1000 {
            v.one(name);
        }
    }
    for _ in 0..rounds {
        for (i, (name, _)) in VARIANTS.iter().enumerate() {
            let c0 = cpu_time();
            let (e, lat) = measure(n, || v.one(name));
            let cpu = (cpu_time() - c0).as_nanos() as f64 / n as f64 / 1000.0;
            res[i].0.add(e, lat, 0);
            res[i].1.push(cpu);
        }
    }
    println!("{rounds} interleaved rounds x {n} calls; vs floor = median of per-round ratios\n");
    println!(
        "| {:<68} | {:>8} | {:>7} | {:>7} | {:>8} | {:>9} |",
        "variant", "calls/s", "p50 µs", "p99 µs", "vs floor", "CPU µs/call"
    );
    println!(
        "|{:-<70}|{:->10}|{:->9}|{:->9}|{:->10}|{:->13}|",
        "", ":", ":", ":", ":", ":"
    );
    for (i, (_, desc)) in VARIANTS.iter().enumerate() {
        let r = res[i].0.result();
        println!(
            "| {:<68} | {:>8.0} | {:>7.1} | {:>7.1} | {:>7.0}% | {:>11.1} |",
            desc,
            r.calls_per_s,
            r.p50_us,
            r.p99_us,
            paired_ratio(&res[i].0, &res[0].0) * 100.0,
            median(res[i].1.clone())
        );
    }
}

/// 8 threads sharing one client: the library, and ureq agents with one or
/// eight idle connections kept per host (ureq 3 keeps 3 per host by default).
fn thread_experiments(rounds: usize, per_thread: usize) {
    let addr = start_server();
    let base_url = format!("http://{addr}");
    let client = Arc::new(
        Client::builder(SID, TOKEN, APP_ID)
            .base_url(&base_url)
            .build()
            .unwrap(),
    );
    let raw = precomputed_request(&client);
    let mk = |idle: usize| {
        ureq::Agent::config_builder()
            .max_redirects(0)
            .proxy(None)
            .timeout_connect(Some(Duration::from_secs(5)))
            .timeout_global(Some(Duration::from_secs(30)))
            .max_idle_connections_per_host(idle)
            .build()
            .new_agent()
    };
    let agents = [mk(1), mk(8)];
    let names = [
        "floor, 8 threads x own connection",
        "ytx Rust API, one Client",
        "prepare + ureq 3 agent, max_idle_connections_per_host 1 (default)",
        "prepare + ureq 3 agent, max_idle_connections_per_host 8",
    ];
    let mut res: Vec<Rounds> = names.iter().map(|_| Rounds::default()).collect();
    for _ in 0..rounds {
        for (k, r) in res.iter_mut().enumerate() {
            let ((e, lat), c) = conns_during(|| {
                let barrier = Arc::new(Barrier::new(9));
                let js: Vec<_> = (0..8)
                    .map(|_| {
                        let (barrier, client, raw) = (barrier.clone(), client.clone(), raw.clone());
                        let agent = if k >= 2 {
                            Some(agents[k - 2].clone())
                        } else {
                            None
                        };
                        std::thread::spawn(move || {
                            let call = the_call();
                            let mut floor = (k == 0).then(|| Floor::new(addr, &raw));
                            let mut one = || match k {
                                0 => floor.as_mut().unwrap().call(),
                                1 => rust_call(&client, &call),
                                _ => {
                                    let req = client.prepare_callback_call(&call).unwrap();
                                    std::hint::black_box(Variants::ureq_send(
                                        agent.as_ref().unwrap(),
                                        &req,
                                    ));
                                }
                            };
                            for _ in 0..100 {
                                one();
                            }
                            barrier.wait();
                            let (_, lat) = measure(per_thread, one);
                            barrier.wait();
                            lat
                        })
                    })
                    .collect();
                barrier.wait();
                let t = Instant::now();
                barrier.wait();
                let e = t.elapsed();
                (
                    e,
                    js.into_iter()
                        .flat_map(|j| j.join().unwrap())
                        .collect::<Vec<_>>(),
                )
            });
            r.add(e, lat, c);
        }
    }
    println!("8 threads, {rounds} interleaved rounds x {per_thread} calls per thread\n");
    println!(
        "| {:<66} | {:>8} | {:>7} | {:>8} | {:>8} | {:>6} |",
        "variant", "calls/s", "p50 µs", "p99 µs", "vs floor", "conns"
    );
    println!(
        "|{:-<68}|{:->10}|{:->9}|{:->10}|{:->10}|{:->8}|",
        "", ":", ":", ":", ":", ":"
    );
    for (i, name) in names.iter().enumerate() {
        let r = res[i].result();
        println!(
            "| {:<66} | {:>8.0} | {:>7.1} | {:>8.1} | {:>7.0}% | {:>6} |",
            name,
            r.calls_per_s,
            r.p50_us,
            r.p99_us,
            paired_ratio(&res[i], &res[0]) * 100.0,
            r.connections
        );
    }
}

/// This process's user + system CPU time (every thread, the server's too).
fn cpu_time() -> Duration {
    rusage(libc::RUSAGE_SELF)
}

struct Mem {
    first_calls: usize,
    total_calls: usize,
    rss_first: u64,
    rss_total: u64,
    heap_growth: i64,
    rss_per_client_kb: f64,
    heap_per_client: i64,
    heap_per_connected_client: i64,
    live_after_free: usize,
}

fn memory(base_url: &str, quick: bool) -> Mem {
    let first_calls = 1_000;
    let total_calls = if quick { 10_000 } else { 100_000 };
    let h = c_client(base_url);
    let a = CArgs::new();
    for _ in 0..first_calls {
        c_call(h, &a, true);
    }
    let rss_first = rss_kb();
    let heap_first = LIVE_BYTES.load(Ordering::Relaxed);
    for _ in first_calls..total_calls {
        c_call(h, &a, true);
    }
    let rss_total = rss_kb();
    let heap_growth = LIVE_BYTES.load(Ordering::Relaxed) - heap_first;
    // SAFETY: the handle made above, freed once.
    unsafe { ytx_free(h) };

    // Memory per client: 1,000 idle clients.
    let live0 = ytx_live_clients();
    let rss0 = rss_kb();
    let heap0 = thread_net_bytes();
    let hs: Vec<*mut ytx_client> = (0..1000).map(|_| c_client(base_url)).collect();
    let rss1 = rss_kb();
    let heap1 = thread_net_bytes();
    // The same clients after one call each (each keeps one idle keep-alive
    // connection in its pool). Heap only: the server's 1,000 threads live in
    // this process and would blur RSS.
    for &c in &hs {
        c_call(c, &a, true);
    }
    let heap2 = thread_net_bytes();
    for c in hs {
        // SAFETY: each handle made above, freed once.
        unsafe { ytx_free(c) };
    }
    Mem {
        first_calls,
        total_calls,
        rss_first,
        rss_total,
        heap_growth,
        rss_per_client_kb: (rss1 as f64 - rss0 as f64) / 1000.0,
        heap_per_client: (heap1 - heap0) / 1000,
        heap_per_connected_client: (heap2 - heap0) / 1000,
        live_after_free: ytx_live_clients() - live0,
    }
}

fn machine_description() -> String {
    let cpu = std::fs::read_to_string("/proc/cpuinfo")
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with("model name"))
                .map(|l| l.split(':').nth(1).unwrap_or("").trim().to_string())
        })
        .unwrap_or_else(|| "unknown CPU".into());
    let cores = std::thread::available_parallelism()
        .map(|n| n.get())
        .unwrap_or(0);
    let mem = std::fs::read_to_string("/proc/meminfo")
        .ok()
        .and_then(|s| {
            s.lines()
                .next()
                .and_then(|l| l.split_whitespace().nth(1))
                .and_then(|k| k.parse::<u64>().ok())
        })
        .map(|kb| format!("{:.0} GB RAM", kb as f64 / 1048576.0))
        .unwrap_or_default();
    let kernel = std::fs::read_to_string("/proc/sys/kernel/osrelease")
        .map(|s| s.trim().to_string())
        .unwrap_or_default();
    let load = std::fs::read_to_string("/proc/loadavg")
        .map(|s| s.split_whitespace().take(3).collect::<Vec<_>>().join(" "))
        .unwrap_or_default();
    format!("{cpu}, {cores} cores, {mem}, Linux {kernel}, load average at start {load}")
}

// ---------------------------------------------------------------------------
// Hostile pushes (issue 18, part 4): a push is unauthenticated, so a 4 MiB
// body of any shape must parse or be refused fast, and the C ABI path must
// stay within a small multiple of the body in memory.
//
//     bash benches/run.sh --pushes
//
// For each shape: the time of `ytx::parse_push` (Rust) and of
// `ytx_push_parse` plus reading every field through the accessors a binding
// uses, then `ytx_push_free` (C ABI); best of 3. Memory: a child process
// (this binary, `--push-peak SHAPE`) reads the body, notes its peak RSS
// (VmHWM), parses it through the C ABI, reads every field, and prints how
// much the peak grew, in MiB and as a multiple of the body. A shape that
// takes longer than `YTX_BENCH_PUSH_DEADLINE` seconds (default 60) is
// reported as such (the child is killed).

const PUSH_BODY: usize = 4 * 1024 * 1024 - 64;

fn push_shapes() -> Vec<&'static str> {
    vec![
        "many-keys",
        "many-keys-record",
        "duplicate-keys",
        "deep-nesting",
        "long-string",
        "many-escapes",
        "lone-surrogates",
        "many-records",
        "many-empty-records",
    ]
}

/// A body of about `PUSH_BODY` bytes of the given shape.
fn push_body(shape: &str) -> Vec<u8> {
    let head = r#"{"requestid":"20200437755840048670965760400","dsc":"18610559223","state":"answer","timestamp":"2020-04-28 14:51:37""#;
    let mut b = String::with_capacity(PUSH_BODY + 1024);
    let room = |b: &String, tail: usize| b.len() + tail < PUSH_BODY;
    match shape {
        "many-keys" | "many-keys-record" => {
            if shape == "many-keys" {
                b.push_str(head);
            } else {
                b.push_str(r#"{"cdr":[{"requestid":"1""#);
            }
            let mut i = 0u64;
            while room(&b, 16) {
                b.push_str(&format!(",\"k{i}\":{i}"));
                i += 1;
            }
            b.push_str(if shape == "many-keys" { "}" } else { "}]}" });
        }
        "duplicate-keys" => {
            b.push_str(head);
            while room(&b, 16) {
                b.push_str(",\"state\":\"alerting\"");
            }
            b.push('}');
        }
        "deep-nesting" => {
            b.push_str(head);
            b.push_str(",\"x\":");
            let depth = (PUSH_BODY - b.len() - 2) / 2;
            b.push_str(&"[".repeat(depth));
            b.push_str(&"]".repeat(depth));
            b.push('}');
        }
        "long-string" => {
            b.push_str(head);
            b.push_str(",\"x\":\"");
            let n = PUSH_BODY - b.len() - 2;
            b.push_str(&"a".repeat(n));
            b.push_str("\"}");
        }
        "many-escapes" | "lone-surrogates" => {
            b.push_str(head);
            b.push_str(",\"x\":\"");
            let unit = if shape == "many-escapes" {
                "\\u0041\\n"
            } else {
                "\\ud800"
            };
            while room(&b, unit.len() + 2) {
                b.push_str(unit);
            }
            b.push_str("\"}");
        }
        "many-records" => {
            // PROTOCOL.md's record sample, repeated.
            let rec = r#"{"requestid":"20200437755811196850667520400","appid":"ff1f324a0604417c9c7f5f1186225fda","fid":4,"caller":"18610559223","called":"01053189990","callerstime":"2020-04-28 14:51:37","calleretime":"2020-04-28 14:51:47","calledstime":"2020-04-28 14:51:43","calledetime":"2020-04-28 14:51:47","tapesurl":"http://101.200.159.167:16214/x.mp3","duration":10,"oriamount":0.31,"customParm":"order-id-123456","stateDesc":"x"}"#;
            b.push_str("{\"cdr\":[");
            b.push_str(rec);
            // As many as a body may hold (ytx::record::MAX_RECORDS_PER_BODY).
            let mut n = 1;
            while room(&b, rec.len() + 3) && n < ytx::record::MAX_RECORDS_PER_BODY {
                b.push(',');
                b.push_str(rec);
                n += 1;
            }
            b.push_str("]}");
        }
        "many-empty-records" => {
            b.push_str("{\"cdr\":[{}");
            while room(&b, 8) {
                b.push_str(",{}");
            }
            b.push_str("]}");
        }
        other => panic!("unknown shape {other}"),
    }
    b.into_bytes()
}

/// Read every field of a parsed push through the C ABI, as a binding does.
/// Returns how many strings were read.
fn walk_push(p: *const ytx::ffi::ytx_push) -> usize {
    use ytx::ffi::*;
    let mut n = 0usize;
    let touch = |s: *const c_char, n: &mut usize| {
        if !s.is_null() {
            // SAFETY: the library returns NUL-terminated strings.
            let len = unsafe { std::ffi::CStr::from_ptr(s) }.to_bytes().len();
            std::hint::black_box(len);
            *n += 1;
        }
    };
    unsafe {
        touch(ytx_push_request_id(p), &mut n);
        touch(ytx_push_state_text(p), &mut n);
        touch(ytx_push_timestamp(p), &mut n);
        for i in 0..ytx_push_field_count(p) {
            touch(ytx_push_field_name(p, i), &mut n);
            touch(ytx_push_field_value(p, i), &mut n);
        }
        let records = ytx_push_records(p);
        for r in 0..ytx_records_count(records) {
            let rec = ytx_records_get(records, r);
            touch(ytx_record_request_id(rec), &mut n);
            touch(ytx_record_custom_parm(rec), &mut n);
            touch(ytx_record_amount_text(rec), &mut n);
            for i in 0..ytx_record_field_count(rec) {
                touch(ytx_record_field_name(rec, i), &mut n);
                touch(ytx_record_field_value(rec, i), &mut n);
            }
        }
    }
    n
}

/// Parse through the C ABI and walk it; `Ok(strings read)` or the message.
fn c_parse(body: &[u8]) -> Result<usize, String> {
    use ytx::ffi::*;
    let mut push: *mut ytx_push = ptr::null_mut();
    let mut o: *mut ytx_outcome = ptr::null_mut();
    let rc = unsafe { ytx_push_parse(body.as_ptr(), body.len(), &mut push, &mut o) };
    let result = if rc == ytx_result::YTX_OK {
        Ok(walk_push(push))
    } else {
        let m = unsafe { std::ffi::CStr::from_ptr(ytx_outcome_message(o)) };
        Err(m.to_string_lossy().chars().take(60).collect())
    };
    unsafe {
        ytx_push_free(push);
        ytx_outcome_free(o);
    }
    result
}

fn hwm_kb() -> u64 {
    let s = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
    s.lines()
        .find(|l| l.starts_with("VmHWM:"))
        .and_then(|l| l.split_whitespace().nth(1))
        .and_then(|n| n.parse().ok())
        .unwrap_or(0)
}

/// The body file of a shape, written once by `--pushes` for its children.
fn push_file(shape: &str) -> PathBuf {
    std::env::temp_dir().join(format!(
        "ytx-bench-push-{}-{shape}.json",
        std::process::id()
    ))
}

/// The child of `--pushes`: the peak memory of one C ABI parse. The body is
/// read from the file its parent wrote (exactly its size), so the baseline
/// is the process plus the body, as in a receiver that holds the body.
fn push_peak(path: &str) {
    let body = std::fs::read(path).expect("the body file");
    let before = hwm_kb();
    let result = c_parse(&body);
    let after = hwm_kb();
    let grew = after.saturating_sub(before) as f64 / 1024.0;
    let times = grew * 1024.0 * 1024.0 / body.len() as f64;
    println!(
        "{grew:.1} MiB ({times:.1}x body) {}",
        match result {
            Ok(n) => format!("parsed, {n} strings"),
            Err(m) => format!("refused: {m}"),
        }
    );
}

fn time_best(mut f: impl FnMut()) -> Duration {
    (0..3)
        .map(|_| {
            let t = Instant::now();
            f();
            t.elapsed()
        })
        .min()
        .unwrap_or_default()
}

fn pushes_bench() {
    let deadline: u64 = std::env::var("YTX_BENCH_PUSH_DEADLINE")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(60);
    let exe = std::env::current_exe().expect("own path");
    println!(
        "| {:<19} | {:>9} | {:>10} | {:>10} | {:<44} |",
        "shape (4 MiB)", "body KiB", "Rust ms", "C ABI ms", "C ABI peak memory above the body"
    );
    println!(
        "|{:-<21}|{:->11}|{:->12}|{:->12}|{:-<46}|",
        "", ":", ":", ":", ""
    );
    for shape in push_shapes() {
        let body = push_body(shape);
        let file = push_file(shape);
        std::fs::write(&file, &body).expect("write the body file");
        // Time in a child too, so a shape that never finishes cannot stop
        // the others.
        let child = Command::new(&exe)
            .args(["--push-time", shape])
            .stdout(std::process::Stdio::piped())
            .spawn()
            .expect("spawn");
        let times = wait_deadline(child, deadline)
            .unwrap_or_else(|| format!("> {deadline} s | > {deadline} s"));
        let child = Command::new(&exe)
            .arg("--push-peak")
            .arg(&file)
            .stdout(std::process::Stdio::piped())
            .spawn()
            .expect("spawn");
        let peak = wait_deadline(child, deadline).unwrap_or_else(|| "n/a (deadline)".into());
        let _ = std::fs::remove_file(&file);
        let kib = body.len() / 1024;
        println!("| {shape:<19} | {kib:>9} | {times} | {peak} |");
    }
}

/// The child's first stdout line, or `None` when it ran past the deadline.
fn wait_deadline(mut child: std::process::Child, secs: u64) -> Option<String> {
    let start = Instant::now();
    loop {
        if let Ok(Some(_)) = child.try_wait() {
            let mut out = String::new();
            child.stdout.take()?.read_to_string(&mut out).ok()?;
            return Some(out.trim_end().to_string());
        }
        if start.elapsed() > Duration::from_secs(secs) {
            let _ = child.kill();
            let _ = child.wait();
            return None;
        }
        std::thread::sleep(Duration::from_millis(20));
    }
}

/// The child of `--pushes` that times one shape: "Rust ms | C ABI ms".
fn push_time(shape: &str) {
    let body = push_body(shape);
    let mut rust_ok = true;
    let rust = time_best(|| rust_ok = ytx::parse_push(std::hint::black_box(&body)).is_ok());
    let mut c_result = Ok(0);
    let c = time_best(|| c_result = c_parse(std::hint::black_box(&body)));
    let verdict = |ok: bool| if ok { "" } else { " (refused)" };
    println!(
        "{:>10.1}{} | {:>10.1}{}",
        rust.as_secs_f64() * 1e3,
        verdict(rust_ok),
        c.as_secs_f64() * 1e3,
        verdict(c_result.is_ok())
    );
}
