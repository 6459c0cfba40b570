//! The C ABI driven from Rust: the shared bad-input matrix, and 16 threads ×
//! 1,000 calls sharing one client with every outcome matched to its request.

use std::ffi::{c_char, CStr, CString};
use std::ptr;

use ytx::ffi::ytx_result as R;
use ytx::ffi::*;
use ytx_emulator::{Config, Emulator, DEMO_ACCOUNT_SID, DEMO_APP_ID, DEMO_AUTH_TOKEN};

/// Owned C strings plus their pointer array, alive for one call.
struct CStrs {
    _owned: Vec<Option<CString>>,
    ptrs: Vec<*const c_char>,
}

impl CStrs {
    fn new(items: &[Option<Vec<u8>>]) -> CStrs {
        let owned: Vec<Option<CString>> = items
            .iter()
            .map(|b| {
                b.as_ref()
                    .map(|b| CString::new(b.clone()).expect("no NUL in C rows"))
            })
            .collect();
        let ptrs = owned
            .iter()
            .map(|c| c.as_ref().map_or(ptr::null(), |c| c.as_ptr()))
            .collect();
        CStrs {
            _owned: owned,
            ptrs,
        }
    }
}

fn text(p: *const c_char) -> String {
    // SAFETY: outcome accessors return valid NUL-terminated strings.
    unsafe { CStr::from_ptr(p) }.to_str().unwrap().to_string()
}

/// Decode the matrix's value notation (see tests/data/input_matrix.tsv).
fn decode(v: &str) -> Option<Vec<u8>> {
    if v == "<NULL>" {
        return None;
    }
    if let Some(spec) = v.strip_prefix("{rep:").and_then(|s| s.strip_suffix('}')) {
        let (n, s) = spec.split_once(':').unwrap();
        return Some(s.repeat(n.parse().unwrap()).into_bytes());
    }
    let mut out = Vec::new();
    let b = v.as_bytes();
    let mut i = 0;
    while i < b.len() {
        if b[i] == b'\\' && i + 1 < b.len() {
            match b[i + 1] {
                b'0' => out.push(0),
                b'n' => out.push(b'\n'),
                b'r' => out.push(b'\r'),
                b't' => out.push(b'\t'),
                b'\\' => out.push(b'\\'),
                b'x' => {
                    out.push(u8::from_str_radix(&v[i + 2..i + 4], 16).unwrap());
                    i += 2;
                }
                other => panic!("bad escape \\{}", other as char),
            }
            i += 2;
        } else {
            out.push(b[i]);
            i += 1;
        }
    }
    Some(out)
}

struct Row {
    op: String,
    arg: String,
    value: Option<Vec<u8>>,
    code: i32,
    field: String,
    line: String,
}

fn matrix_rows() -> Vec<Row> {
    let tsv = include_str!("data/input_matrix.tsv");
    tsv.lines()
        .filter(|l| !l.starts_with('#') && !l.trim().is_empty())
        .filter_map(|l| {
            let cols: Vec<&str> = l.split('\t').collect();
            assert_eq!(cols.len(), 6, "malformed row: {l:?}");
            (cols[0] == "all" || cols[0] == "c").then(|| Row {
                op: cols[1].into(),
                arg: cols[2].into(),
                value: decode(cols[3]),
                code: cols[4].parse().unwrap(),
                field: cols[5].into(),
                line: l.into(),
            })
        })
        .collect()
}

fn b(s: &str) -> Option<Vec<u8>> {
    Some(s.as_bytes().to_vec())
}

/// Run one matrix row through the C ABI (every client it makes is freed,
/// checked by `ytx_free`'s result); returns (code, field).
fn run_row(row: &Row) -> (i32, String) {
    let mut outcome: *mut ytx_outcome = ptr::null_mut();
    let base = CStrs::new(&[b("base_url"), b("http://127.0.0.1:9")]);
    let (names, values) = (&base.ptrs[..1], &base.ptrs[1..]);
    let mut client: *mut ytx_client = ptr::null_mut();
    let code;
    unsafe {
        if row.op == "client" {
            let mut creds = [b(DEMO_ACCOUNT_SID), b(DEMO_AUTH_TOKEN), b(DEMO_APP_ID)];
            let i = ["account_sid", "auth_token", "app_id"]
                .iter()
                .position(|a| *a == row.arg)
                .expect("client arg");
            creds[i] = row.value.clone();
            let c = CStrs::new(&creds);
            code = ytx_client_new(
                c.ptrs[0],
                c.ptrs[1],
                c.ptrs[2],
                names.as_ptr(),
                values.as_ptr(),
                1,
                &mut client,
                &mut outcome,
            );
            if code == R::YTX_OK {
                assert_eq!(ytx_free(client), R::YTX_OK);
            }
        } else {
            let c = CStrs::new(&[b(DEMO_ACCOUNT_SID), b(DEMO_AUTH_TOKEN), b(DEMO_APP_ID)]);
            assert_eq!(
                ytx_client_new(
                    c.ptrs[0],
                    c.ptrs[1],
                    c.ptrs[2],
                    names.as_ptr(),
                    values.as_ptr(),
                    1,
                    &mut client,
                    ptr::null_mut()
                ),
                R::YTX_OK
            );
            let num = |v: &Option<Vec<u8>>| -> i64 {
                String::from_utf8(v.clone().unwrap())
                    .unwrap()
                    .parse()
                    .unwrap()
            };
            if row.op == "callback" {
                let mut args = [b("13800138000"), b("13900139000")];
                let mut credit = 600i64;
                let mut opts: Vec<Option<Vec<u8>>> = vec![];
                match row.arg.as_str() {
                    "src" => args[0] = row.value.clone(),
                    "dst" => args[1] = row.value.clone(),
                    "credit" => credit = num(&row.value),
                    other => {
                        let name = other.strip_prefix("opt:").expect("callback arg");
                        opts = vec![b(name), row.value.clone()];
                    }
                }
                let a = CStrs::new(&args);
                let o = CStrs::new(&opts);
                let n = opts.len() / 2;
                let (on, ov) = if n > 0 {
                    (o.ptrs[..1].as_ptr(), o.ptrs[1..].as_ptr())
                } else {
                    (ptr::null(), ptr::null())
                };
                code = ytx_callback_prepare(
                    client,
                    a.ptrs[0],
                    a.ptrs[1],
                    credit,
                    on,
                    ov,
                    n,
                    &mut outcome,
                );
            } else {
                let mut args = [b("13800138000"), b("02160000000"), b("1234")];
                let mut times = 0i32;
                match row.arg.as_str() {
                    "dst" => args[0] = row.value.clone(),
                    "dstclid" => args[1] = row.value.clone(),
                    "code" => args[2] = row.value.clone(),
                    "time" => times = num(&row.value) as i32,
                    other => panic!("voice arg {other}"),
                }
                let a = CStrs::new(&args);
                code = ytx_voice_code_prepare(
                    client,
                    a.ptrs[0],
                    a.ptrs[1],
                    a.ptrs[2],
                    times,
                    &mut outcome,
                );
            }
            assert_eq!(ytx_free(client), R::YTX_OK);
        }
        assert_eq!(ytx_outcome_result(outcome), code);
        let field = text(ytx_outcome_field(outcome));
        let message = text(ytx_outcome_message(outcome));
        if code != R::YTX_OK {
            assert!(
                message.contains(&field),
                "{}: message {message:?} does not name {field}",
                row.line
            );
            assert!(
                !message.contains(DEMO_AUTH_TOKEN),
                "{}: token in {message}",
                row.line
            );
            assert_eq!(
                ytx_outcome_delivery(outcome),
                ytx_delivery::YTX_DELIVERY_NOT_SENT
            );
        }
        ytx_outcome_free(outcome);
        (code as i32, field)
    }
}

#[test]
fn the_bad_input_matrix_through_the_c_abi() {
    let rows = matrix_rows();
    assert!(rows.len() > 50, "matrix has {} rows", rows.len());
    let mut failures = vec![];
    for row in &rows {
        let (code, field) = run_row(row);
        let want_field = if row.field == "-" {
            ""
        } else {
            row.field.as_str()
        };
        if code != row.code || field != want_field {
            failures.push(format!("{:?}: got code {code} field {field:?}", row.line));
        }
    }
    assert!(
        failures.is_empty(),
        "{} rows failed:\n{}",
        failures.len(),
        failures.join("\n")
    );
}

#[test]
fn sixteen_threads_share_one_client_and_each_outcome_is_its_own() {
    const THREADS: usize = 16;
    const CALLS: usize = 1000;
    let emu = Emulator::start(Config::default(), "127.0.0.1:0").unwrap();
    let url = emu.base_url();
    let c = CStrs::new(&[
        b(DEMO_ACCOUNT_SID),
        b(DEMO_AUTH_TOKEN),
        b(DEMO_APP_ID),
        b("base_url"),
        b(&url),
    ]);
    let mut client: *mut ytx_client = ptr::null_mut();
    unsafe {
        assert_eq!(
            ytx_client_new(
                c.ptrs[0],
                c.ptrs[1],
                c.ptrs[2],
                c.ptrs[3..4].as_ptr(),
                c.ptrs[4..5].as_ptr(),
                1,
                &mut client,
                ptr::null_mut()
            ),
            R::YTX_OK
        );
    }
    let handle = client as usize; // handles are plain values, shareable across threads
    let results: Vec<Vec<(String, String)>> = std::thread::scope(|s| {
        let workers: Vec<_> = (0..THREADS)
            .map(|t| {
                s.spawn(move || {
                    let mut got = Vec::with_capacity(CALLS);
                    for i in 0..CALLS {
                        let parm = format!("t{t}-c{i}");
                        let o = CStrs::new(&[
                            b("customParm"),
                            b(&parm),
                            b("13800138000"),
                            b("13900139000"),
                        ]);
                        let mut outcome: *mut ytx_outcome = ptr::null_mut();
                        unsafe {
                            let rc = ytx_callback_call(
                                handle as *const ytx_client,
                                o.ptrs[2],
                                o.ptrs[3],
                                61,
                                o.ptrs[..1].as_ptr(),
                                o.ptrs[1..2].as_ptr(),
                                1,
                                &mut outcome,
                            );
                            assert_eq!(rc, R::YTX_OK, "{}", text(ytx_outcome_message(outcome)));
                            got.push((parm, text(ytx_outcome_request_id(outcome))));
                            ytx_outcome_free(outcome);
                        }
                    }
                    got
                })
            })
            .collect();
        workers.into_iter().map(|w| w.join().unwrap()).collect()
    });
    unsafe { assert_eq!(ytx_free(client), R::YTX_OK) };

    // The emulator's log maps each requestId to the request that got it: each
    // outcome's requestId must belong to the request carrying its customParm.
    let log = emu.requests();
    assert_eq!(log.len(), THREADS * CALLS, "exactly one request per call");
    let by_id: std::collections::HashMap<&str, &str> = log
        .iter()
        .map(|r| (r.request_id.as_deref().unwrap(), r.body.as_str()))
        .collect();
    assert_eq!(by_id.len(), THREADS * CALLS, "requestIds unique");
    for (parm, id) in results.iter().flatten() {
        let body = by_id
            .get(id.as_str())
            .unwrap_or_else(|| panic!("unknown requestId {id}"));
        assert!(
            body.contains(&format!("\"customParm\":\"{parm}\"")),
            "{id} answered {body}, not {parm}"
        );
    }
}
