//! The entry points that send: the callback call and the voice code (and
//! their dry runs), the record queries, the balance and the resolver, all
//! over one runner, [`run`]. The runner alone turns what the platform
//! answered into an outcome ([`Outcome::sent`]); what reached it and the
//! HTTP status follow from that answer (`outcome.rs`), so no entry point
//! can report an answered call as not sent.
//!
//! A new entry point that sends: parse its C arguments with `ptr.rs`, then
//! [`call`] (it signs a request that is sent, or only prepared) or
//! [`query`] (the core sends; what it found goes to a new object through
//! an out-pointer).

use std::ffi::c_char;
use std::time::Duration;

use super::balance::ytx_balance;
use super::client::ytx_client;
use super::codes::{ytx_result, FfiError, FfiResult};
use super::handles;
use super::outcome::{ytx_outcome, Outcome};
use super::panic::ffi_boundary;
use super::ptr::{self, for_each_option, opt_str_arg, str_arg, OptionArrays};
use super::records::ytx_records;
use super::resolution::ytx_resolution;
use crate::client::{Client, PreparedRequest};
use crate::request::{self, CallbackCall, FindCall, RecordQuery, VoiceCode};
use crate::resolve::{ResolveOptions, Ticket};
use crate::response::Response;

/// The longest free-text field (`customParm` and the file names), in bytes
/// of UTF-8; a longer one is `YTX_ERR_INVALID_ARGUMENT` naming the field,
/// and nothing is sent. The core's `request::MAX_TEXT_FIELD_BYTES`.
pub const YTX_MAX_TEXT_FIELD_BYTES: usize = 1024;

/// The largest request body sent, in bytes (every valid request fits); a
/// larger one is `YTX_ERR_INVALID_ARGUMENT` naming `body`, and nothing is
/// sent. The core's `request::MAX_REQUEST_BODY_BYTES`.
pub const YTX_MAX_REQUEST_BODY_BYTES: usize = 16384;

// ===== the runner =====

/// How the work of a sending entry point ended (see [`run`]).
enum Reply<T> {
    /// A dry run: the request, signed, not sent.
    Prepared(PreparedRequest),
    /// A request the entry point signed and sent, and the answer.
    Sent(PreparedRequest, FfiResult<Response>),
    /// Requests the core built and sent (the queries, the resolver), and
    /// what they found.
    Asked(FfiResult<T>),
}

/// The one runner of the entry points that send.
///
/// `work` runs with the client behind `client`; its error is a refusal
/// before anything was sent (logged at WARN as "`what` not sent"). How it
/// ended becomes the outcome: a request that went out through
/// [`Outcome::sent`], the only place an answer is turned into one; what a
/// query found is given back for the caller.
fn run<T>(
    client: *const ytx_client,
    what: &str,
    work: impl FnOnce(&Client) -> FfiResult<Reply<T>>,
) -> (Outcome, Option<T>) {
    let reply = crate::client::logged_invalid(what, handles::get(client).and_then(|c| work(&c)));
    match reply {
        Err(e) => (Outcome::error(e), None),
        Ok(Reply::Prepared(req)) => (Outcome::prepared(req), None),
        Ok(Reply::Sent(req, answer)) => (Outcome::sent(Some(req), answer.map(Some)), None),
        Ok(Reply::Asked(Ok(found))) => (Outcome::sent(None, Ok(None)), Some(found)),
        Ok(Reply::Asked(Err(e))) => (Outcome::sent(None, Err(e)), None),
    }
}

/// Whether a call is sent, or only signed (`ytx_*_prepare`).
#[derive(Clone, Copy)]
enum Mode {
    Send,
    DryRun,
}

/// Callback calls and voice codes: `sign` makes the request with the
/// client; it is sent unless this is a dry run.
fn call(
    client: *const ytx_client,
    mode: Mode,
    sign: impl FnOnce(&Client) -> FfiResult<PreparedRequest>,
) -> Outcome {
    let (outcome, _) = run::<()>(client, "request", |c| {
        let req = sign(c)?;
        Ok(match mode {
            Mode::DryRun => Reply::Prepared(req),
            Mode::Send => {
                let answer = c.send(&req).map_err(FfiError::from);
                Reply::Sent(req, answer)
            }
        })
    });
    outcome
}

/// The record queries, the balance and the resolver: `ask` sends with the
/// client; what it found goes to a new object in `*out` (required; NULL on
/// error).
///
/// # Safety
/// `out` is NULL or valid for one pointer write.
unsafe fn query<T, C: From<T>>(
    client: *const ytx_client,
    out: *mut *mut C,
    out_name: &str,
    ask: impl FnOnce(&Client) -> FfiResult<T>,
) -> Outcome {
    let (outcome, found) = run(client, "query", |c| {
        ptr::required_out(out, out_name)?;
        Ok(Reply::Asked(ask(c)))
    });
    ptr::set_boxed_mut_ptr(out, || found.map(C::from));
    outcome
}

// ===== calls =====

/// Place a two-way callback call: the platform rings `src`, then `dst`, and
/// bridges them.
///
/// Parameters:
/// - `client`: a handle from `ytx_client_new`.
/// - `src`, `dst`: UTF-8 phone numbers, 5–20 digits (mobile or landline with
///   area code; `+86`/`0086` + mobile is normalised).
/// - `credit`: call length limit in seconds, greater than 60.
/// - `option_names` / `option_values` / `option_count`: optional fields by
///   their wire names: `customParm`, `srcclid`, `dstclid`, `srctimeout`,
///   `dsttimeout`, `srchintfile`, `dsthintfile`, `ringbacktype` (`1`–`3`),
///   `customhintfile`, `dstfailhintfile`, `srcthreshold`, `dstthreshold`,
///   `srcthresholdfile`, `dstthresholdfile`, `iscallstatuscheck` (`0`/`1`).
///   May be NULL when `option_count` is 0.
/// - `outcome_out`: NULL, or receives a new `ytx_outcome` (always) with the
///   requestId on success, or the error's kind, message, field, delivery and
///   the platform's statusCode/statusMsg; free it with `ytx_outcome_free`.
///
/// Returns `YTX_OK` when the platform accepted the call, otherwise the error's
/// code. Invalid input is reported before anything is sent. The request is
/// sent once; it is sent again only when the client's `max_retries` option
/// is set and the failure is retry-safe (`ytx_outcome_retry_safe`): never
/// after it may have reached the platform.
/// On `YTX_DELIVERY_UNKNOWN` the outcome's `ytx_outcome_ticket` says what
/// `ytx_resolve` needs to find out whether the call was placed.
/// Thread safety: any number of threads may call this with the same client.
///
/// # Safety
/// Every pointer is NULL or valid as described; strings are NUL-terminated.
#[no_mangle]
pub unsafe extern "C" fn ytx_callback_call(
    client: *const ytx_client,
    src: *const c_char,
    dst: *const c_char,
    credit: i64,
    option_names: *const *const c_char,
    option_values: *const *const c_char,
    option_count: usize,
    outcome_out: *mut *mut ytx_outcome,
) -> ytx_result {
    ffi_boundary! {
        outcome_out = outcome_out;
        let options = (option_names, option_values, option_count);
        callback_entry(Mode::Send, client, src, dst, credit, options)
    }
}

/// Dry run of `ytx_callback_call`: validate and sign the request, send
/// nothing. Same parameters. On `YTX_OK` the outcome's `request_*` accessors
/// give the method, URL (with the real Sign: a credential for the platform's
/// timestamp window), headers and body, for debugging or for sending through
/// your own HTTP stack.
///
/// # Safety
/// As `ytx_callback_call`.
#[no_mangle]
pub unsafe extern "C" fn ytx_callback_prepare(
    client: *const ytx_client,
    src: *const c_char,
    dst: *const c_char,
    credit: i64,
    option_names: *const *const c_char,
    option_values: *const *const c_char,
    option_count: usize,
    outcome_out: *mut *mut ytx_outcome,
) -> ytx_result {
    ffi_boundary! {
        outcome_out = outcome_out;
        let options = (option_names, option_values, option_count);
        callback_entry(Mode::DryRun, client, src, dst, credit, options)
    }
}

/// `ytx_callback_call` (`send`) and `ytx_callback_prepare` (dry run).
unsafe fn callback_entry(
    mode: Mode,
    client: *const ytx_client,
    src: *const c_char,
    dst: *const c_char,
    credit: i64,
    options: OptionArrays,
) -> Outcome {
    call(client, mode, |c| {
        let mut call = CallbackCall::new(
            str_arg(src, "src")?,
            str_arg(dst, "dst")?,
            request::credit_from_i64(credit)?,
        );
        for_each_option(options, |n, v| Ok(call.set(n, v)?))?;
        Ok(c.prepare_callback_call(&call)?)
    })
}

/// Send a voice verification code: the platform calls `dst` and reads `code`.
///
/// Parameters:
/// - `client`: a handle from `ytx_client_new`.
/// - `dst`: UTF-8 phone number to call (as in `ytx_callback_call`).
/// - `dstclid`: optional UTF-8 caller id the callee sees (same rules); NULL
///   or `""` leaves it out of the request (the platform currently shows the
///   callee's own number anyway).
/// - `code`: 1–19 ASCII letters or digits.
/// - `times`: how many times it is played, 1–3; 0 for the platform default.
///   Errors name it by its wire name, `time`, as every field error does.
/// - `outcome_out`: as in `ytx_callback_call`.
///
/// Returns `YTX_OK` when the platform accepted it, otherwise the error's code.
/// Thread safety: any number of threads may call this with the same client.
///
/// # Safety
/// Every pointer is NULL or valid as described; strings are NUL-terminated.
#[no_mangle]
pub unsafe extern "C" fn ytx_voice_code(
    client: *const ytx_client,
    dst: *const c_char,
    dstclid: *const c_char,
    code: *const c_char,
    times: i32,
    outcome_out: *mut *mut ytx_outcome,
) -> ytx_result {
    ffi_boundary! {
        outcome_out = outcome_out;
        voice_code_entry(Mode::Send, client, dst, dstclid, code, times)
    }
}

/// Dry run of `ytx_voice_code` (see `ytx_callback_prepare`).
///
/// # Safety
/// As `ytx_voice_code`.
#[no_mangle]
pub unsafe extern "C" fn ytx_voice_code_prepare(
    client: *const ytx_client,
    dst: *const c_char,
    dstclid: *const c_char,
    code: *const c_char,
    times: i32,
    outcome_out: *mut *mut ytx_outcome,
) -> ytx_result {
    ffi_boundary! {
        outcome_out = outcome_out;
        voice_code_entry(Mode::DryRun, client, dst, dstclid, code, times)
    }
}

/// `ytx_voice_code` (`send`) and `ytx_voice_code_prepare` (dry run).
unsafe fn voice_code_entry(
    mode: Mode,
    client: *const ytx_client,
    dst: *const c_char,
    dstclid: *const c_char,
    code: *const c_char,
    times: i32,
) -> Outcome {
    call(client, mode, |c| {
        // Checked in parameter order, so the first bad one is reported.
        let mut voice = VoiceCode::new(
            str_arg(dst, "dst")?,
            opt_str_arg(dstclid, "dstclid")?.unwrap_or(""),
            str_arg(code, "code")?,
        );
        voice.times = request::times_from_i64(i64::from(times))?;
        Ok(c.prepare_voice_code(&voice)?)
    })
}

// ===== queries =====

/// The record of one call (`CallCdr.wx`, `getCdrByResId`, limit 0).
///
/// Parameters:
/// - `client`: a handle from `ytx_client_new`.
/// - `request_id`: UTF-8, the requestId of an accepted call.
/// - `fid`: the product number; NULL or "" for "4" (the callback call).
/// - `records_out`: required; on `YTX_OK` receives a new list with the one
///   record, or an empty list when the platform has none (yet: it writes a
///   record about 20 s after the call ends); NULL on error. Free it with
///   `ytx_records_free`.
/// - `outcome_out`: NULL, or receives a new `ytx_outcome` (always).
///
/// Returns `YTX_OK` or the error's code, as `ytx_callback_call` does. Sent
/// once, never retried. Thread safety: any number of threads.
///
/// # Safety
/// Every pointer is NULL or valid as described; strings are NUL-terminated.
#[no_mangle]
pub unsafe extern "C" fn ytx_call_record(
    client: *const ytx_client,
    request_id: *const c_char,
    fid: *const c_char,
    records_out: *mut *mut ytx_records,
    outcome_out: *mut *mut ytx_outcome,
) -> ytx_result {
    ffi_boundary! {
        outcome_out = outcome_out;
        query(client, records_out, "records_out", |c| {
            let q = with_fid(RecordQuery::of(str_arg(request_id, "request_id")?), fid)?;
            Ok(ytx_records::new(
                c.call_record_with(&q)?.into_iter().collect(),
            ))
        })
    }
}

/// Up to `limit` (1–1000) call records after `request_id` ("0": from the
/// first), for paging: pass the last record's requestId to get the next
/// page. Parameters and result as `ytx_call_record`; the list may hold
/// fewer records than `limit` (none: the end).
///
/// # Safety
/// As `ytx_call_record`.
#[no_mangle]
pub unsafe extern "C" fn ytx_call_records_after(
    client: *const ytx_client,
    request_id: *const c_char,
    limit: u32,
    fid: *const c_char,
    records_out: *mut *mut ytx_records,
    outcome_out: *mut *mut ytx_outcome,
) -> ytx_result {
    ffi_boundary! {
        outcome_out = outcome_out;
        query(client, records_out, "records_out", |c| {
            let q = with_fid(
                RecordQuery::after(str_arg(request_id, "request_id")?, limit),
                fid,
            )?;
            Ok(ytx_records::new(c.call_records(&q)?))
        })
    }
}

/// Find the call whose `customParm` is `custom_parm` among the records after
/// `after_request_id` (a requestId known from before the call; "0" searches
/// from the first record), paging 100 records at a time, at most 100 pages.
///
/// This is how an *outcome unknown* (`YTX_DELIVERY_UNKNOWN`) is resolved
/// without ringing anyone twice: on `YTX_OK`, a list of one record means the
/// call was placed (do not place it again); an empty list means no record
/// yet, never by itself "not placed": a record is written only after the
/// call ends, up to srctimeout + dsttimeout + credit + 60 s after it was
/// sent (PROTOCOL.md). `ytx_resolve` applies that bound and answers placed,
/// not placed or not known yet. Only an empty page ends the
/// search: a page shorter than asked for (a gateway capping `limit`) is
/// not the end. Running out of pages is `YTX_ERR_INVALID_ARGUMENT` naming `max_pages`,
/// never an empty list. Other parameters as `ytx_call_record`.
///
/// # Safety
/// As `ytx_call_record`.
#[no_mangle]
pub unsafe extern "C" fn ytx_find_call(
    client: *const ytx_client,
    custom_parm: *const c_char,
    after_request_id: *const c_char,
    fid: *const c_char,
    records_out: *mut *mut ytx_records,
    outcome_out: *mut *mut ytx_outcome,
) -> ytx_result {
    ffi_boundary! {
        outcome_out = outcome_out;
        query(client, records_out, "records_out", |c| {
            let mut search = FindCall::new(
                str_arg(custom_parm, "custom_parm")?,
                str_arg(after_request_id, "after_request_id")?,
            );
            if let Some(f) = opt_str_arg(fid, "fid")?.filter(|f| !f.is_empty()) {
                search = search.fid(f);
            }
            Ok(ytx_records::new(
                c.find_call_with(&search)?.into_iter().collect(),
            ))
        })
    }
}

/// # Safety
/// `fid` is NULL or a NUL-terminated string.
unsafe fn with_fid(q: RecordQuery, fid: *const c_char) -> FfiResult<RecordQuery> {
    Ok(match opt_str_arg(fid, "fid")? {
        Some(f) if !f.is_empty() => q.fid(f),
        _ => q,
    })
}

/// The account's balance (`account/getBlance.wx`, version 201612).
///
/// - `client`: a handle from `ytx_client_new`.
/// - `balance_out`: required; receives a new `ytx_balance` on `YTX_OK`, NULL
///   on error; free it with `ytx_balance_free`.
/// - `outcome_out`: NULL, or receives a new `ytx_outcome` (always).
///
/// Returns `YTX_OK` or the error's code, as `ytx_callback_call` does.
///
/// # Safety
/// Every pointer is NULL or valid as described.
#[no_mangle]
pub unsafe extern "C" fn ytx_query_balance(
    client: *const ytx_client,
    balance_out: *mut *mut ytx_balance,
    outcome_out: *mut *mut ytx_outcome,
) -> ytx_result {
    ffi_boundary! {
        outcome_out = outcome_out;
        query(client, balance_out, "balance_out", |c| {
            Ok(c.balance()?)
        })
    }
}

/// Was the call of this ticket placed? Sends only record queries
/// (`CallCdr.wx`, which place nothing), paging after the ticket's anchor
/// (or `cursor`) and looking for its customParm. Only an empty page ends
/// the records (a page shorter than asked for is no proof of the end).
///
/// Parameters:
/// - `client`: a handle from `ytx_client_new` (the same account and app).
/// - `ticket`: UTF-8, from `ytx_outcome_ticket` (now or saved earlier);
///   "" (an outcome without a ticket) resolves as
///   `YTX_RESOLUTION_CANNOT_BE_RESOLVED`.
/// - `cursor`: NULL or "" to search from the ticket's anchor; else the
///   `ytx_resolution_cursor` of an earlier resolution of the same ticket.
/// - `deadline_ms`: overall deadline, checked before each page; 0 for the
///   default (60000).
/// - `max_pages`: the most record queries to send; 0 for the default (100).
/// - `resolution_out`: required; receives a new `ytx_resolution` on
///   `YTX_OK` (free it with `ytx_resolution_free`), NULL on error.
/// - `outcome_out`: NULL, or receives a new `ytx_outcome` (always).
///
/// Returns `YTX_OK` with one of the four answers (running out of pages or
/// time is `YTX_RESOLUTION_NOT_KNOWN_YET` with a cursor, never an error);
/// `YTX_ERR_INVALID_ARGUMENT` naming `ticket` or `cursor` for bad text;
/// otherwise the error of a record query that failed (safe to call
/// `ytx_resolve` again). Thread safety: any number of threads.
///
/// # Safety
/// Every pointer is NULL or valid as described; strings are NUL-terminated.
#[no_mangle]
pub unsafe extern "C" fn ytx_resolve(
    client: *const ytx_client,
    ticket: *const c_char,
    cursor: *const c_char,
    deadline_ms: u64,
    max_pages: u32,
    resolution_out: *mut *mut ytx_resolution,
    outcome_out: *mut *mut ytx_outcome,
) -> ytx_result {
    ffi_boundary! {
        outcome_out = outcome_out;
        query(client, resolution_out, "resolution_out", |c| {
            let ticket = match str_arg(ticket, "ticket")? {
                "" => None,
                text => Some(Ticket::parse(text)?),
            };
            let mut options = ResolveOptions::new().cursor(opt_str_arg(cursor, "cursor")?);
            if deadline_ms > 0 {
                options = options.deadline(Duration::from_millis(deadline_ms));
            }
            if max_pages > 0 {
                options = options.max_pages(max_pages);
            }
            Ok(c.resolve_with(&ticket, &options)?)
        })
    }
}
