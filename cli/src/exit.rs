//! Exit codes: what a script needs to decide on a retry.

use ytx::{Delivery, Error, ErrorCode};

/// Accepted (`call`, `code`), found (`record`, `find`), read (`balance`,
/// `push`), or a dry run printed.
pub const OK: u8 = 0;
/// `record` / `find`: the platform has no such record (yet).
pub const NOT_FOUND: u8 = 1;
/// Invalid input: a usage error, a bad value, missing credentials or a bad
/// config file. Nothing was sent.
pub const INVALID_INPUT: u8 = 2;
/// Not sent: the request never reached the network (connection refused,
/// DNS, connect timeout). Safe to retry.
pub const NOT_SENT: u8 = 3;
/// Outcome unknown: the request was sent, then the connection failed or
/// timed out before an answer. Do not retry blindly.
pub const OUTCOME_UNKNOWN: u8 = 4;
/// Refused by the platform: it answered with a statusCode other than "0".
/// Final: the request was not carried out.
pub const REFUSED: u8 = 5;
/// Bad answer: something answered, but not with the platform's JSON (an
/// HTTP status other than 200, not JSON, no statusCode...). Usually a wrong
/// base URL, proxy or gateway. The outcome is unknown too: do not retry
/// blindly. `push`: the body is not a push.
pub const BAD_ANSWER: u8 = 6;
/// `resolve`: the call was not placed (PROTOCOL.md's bound has passed and
/// no record has its customParm): placing it again is safe.
pub const NOT_PLACED: u8 = 7;
/// `resolve`: not known yet: ask again at the time printed, from the cursor.
pub const NOT_KNOWN_YET: u8 = 8;
/// `resolve`: cannot be resolved (a voice code, or a call without customParm).
pub const CANNOT_BE_RESOLVED: u8 = 9;
/// A bug in ytx (please report it).
pub const INTERNAL: u8 = 70;

/// The exit-code table, for `--help` and the README.
pub const TABLE: &str = "\
Exit codes (the same for every command; --json prints the class too):
  0  ok              accepted (call, code), found (record, find), placed (resolve),
                     read (balance, push), or a dry run printed
  1  not found       record, find: no such record (yet: the platform writes one about
                     20 s after the call ends; to learn if a call was placed: ytx resolve)
  2  invalid input   usage error, bad value, missing credentials, bad config file:
                     nothing was sent
  3  not sent        the request never reached the network: safe to retry
  4  outcome unknown sent, then the connection failed or timed out with no answer:
                     the platform may have acted on it; do not retry blindly:
                     `ytx resolve TICKET` (the ticket printed with the error)
  5  refused         the platform answered with a statusCode other than 0 (wrong
                     token -203, balance -204, ...): final, nothing was carried out
  6  bad answer      an answer that is not the platform's JSON (HTTP status not 200,
                     not JSON, no statusCode): check the base URL, proxy or gateway;
                     the outcome is unknown too, do not retry blindly.
                     push: the body is not a push
  7  not placed      resolve: the bound has passed and no record has the call's
                     customParm: placing it again is safe
  8  not known yet   resolve: ask again at the time printed, with --cursor
  9  cannot be       resolve: a voice code, or a call sent without customParm
     resolved
 70  internal        a bug in ytx";

/// The class of an exit code, as `--json` names it.
pub fn class(code: u8) -> &'static str {
    match code {
        OK => "ok",
        NOT_FOUND => "not_found",
        INVALID_INPUT => "invalid_input",
        NOT_SENT => "not_sent",
        OUTCOME_UNKNOWN => "outcome_unknown",
        REFUSED => "refused",
        BAD_ANSWER => "bad_answer",
        NOT_PLACED => "not_placed",
        NOT_KNOWN_YET => "not_known_yet",
        CANNOT_BE_RESOLVED => "cannot_be_resolved",
        _ => "internal",
    }
}

/// The exit code of a library error.
pub fn of(e: &Error) -> u8 {
    match e.code() {
        ErrorCode::InvalidArgument => INVALID_INPUT,
        ErrorCode::NotSent => NOT_SENT,
        ErrorCode::OutcomeUnknown => OUTCOME_UNKNOWN,
        ErrorCode::Timeout => match e.delivery() {
            Delivery::NotSent => NOT_SENT,
            _ => OUTCOME_UNKNOWN,
        },
        ErrorCode::HttpStatus | ErrorCode::Protocol => BAD_ANSWER,
        ErrorCode::Platform => REFUSED,
        _ => INTERNAL,
    }
}

/// What the exit code means for the request, in one sentence. `places`:
/// the command places a call (`call`, `code`), not a read-only query.
pub fn advice(code: u8, places: bool) -> &'static str {
    match (code, places) {
        (INVALID_INPUT, _) => "invalid input: nothing was sent",
        (NOT_SENT, _) => "not sent: nothing reached the platform, safe to retry",
        (OUTCOME_UNKNOWN, true) => {
            "outcome unknown: the platform may have placed it; do not retry blindly: `ytx resolve 'TICKET'` (the ticket above, quoted) tells whether it was"
        }
        (OUTCOME_UNKNOWN, false) => {
            "outcome unknown: no answer came back (a query changes nothing: retrying it is harmless)"
        }
        (REFUSED, _) => "refused by the platform: final, nothing was carried out",
        (BAD_ANSWER, true) => {
            "bad answer: not the platform's JSON (check the base URL, proxy or gateway); the outcome is unknown, do not retry blindly: `ytx resolve 'TICKET'` (the ticket above, quoted) tells whether it was placed"
        }
        (BAD_ANSWER, false) => {
            "bad answer: not the platform's JSON (check the base URL, proxy or gateway)"
        }
        _ => "internal error in ytx: please report it",
    }
}
