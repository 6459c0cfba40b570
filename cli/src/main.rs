//! `ytx`: the ytx.net voice platform from the shell. Place one call, send a
//! voice code, look up a call record, find a call by its customParm, read
//! the balance, or parse a push body; with exit codes a script can act on.
//!
//! Built only on the public API of the `ytx` crate. See `cli/README.md`.

mod config;
mod exit;
mod output;
mod watch;

use std::io::{IsTerminal, Read};
use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::Arc;

use clap::{Args, Parser, Subcommand};
use serde_json::json;
use ytx::{CallbackCall, Client, Error, FindCall, RecordQuery, ResolveOptions, Ticket, VoiceCode};

use output::Report;

const CREDENTIALS_HELP: &str = "\
Credentials: YTX_ACCOUNT_SID, YTX_AUTH_TOKEN and YTX_APP_ID from the environment
or from the config file (--config PATH; default $XDG_CONFIG_HOME/ytx/config, or
~/.config/ytx/config), a KEY=value file with the same names. Precedence, key by key:
command-line flag > environment > config file. The auth token is never taken from
the command line and never printed.";

fn top_help() -> String {
    format!(
        "Examples:
  export YTX_ACCOUNT_SID=... YTX_AUTH_TOKEN=... YTX_APP_ID=...
  ytx call 13800138000 01085485069 --credit 600 --custom-parm order-42
  ytx --json code 13800138000 4096 --times 2
  ytx record 20200437755811196850667520400
  ytx resolve 'ytx-ticket:1;...'       # after exit 4 of ytx call: was it placed?
  ytx balance
  ytx push < body.json
  ytx watch --listen 0.0.0.0:8090 --path /ytx/push-7f3a9c2e --journal calls.jsonl

{CREDENTIALS_HELP}

{}",
        exit::TABLE
    )
}

#[derive(Parser)]
#[command(
    name = "ytx",
    version,
    about = "The ytx.net voice platform from the shell: place a call, send a voice code, look up records, read a push",
    long_about = None,
    arg_required_else_help = true,
    after_help = top_help(),
)]
struct Cli {
    /// Print one JSON object on stdout (errors too) instead of text.
    #[arg(long, global = true, help_heading = "Global options")]
    json: bool,

    /// Config file to read (KEY=value lines); must exist. Default:
    /// $XDG_CONFIG_HOME/ytx/config or ~/.config/ytx/config, read if present.
    #[arg(
        long,
        global = true,
        help_heading = "Global options",
        value_name = "PATH"
    )]
    config: Option<PathBuf>,

    /// Account SID (overrides YTX_ACCOUNT_SID). There is no flag for the auth token.
    #[arg(
        long,
        global = true,
        help_heading = "Global options",
        value_name = "SID"
    )]
    account_sid: Option<String>,

    /// App id (overrides YTX_APP_ID).
    #[arg(
        long,
        global = true,
        help_heading = "Global options",
        value_name = "APPID"
    )]
    app_id: Option<String>,

    /// Base URL, e.g. http://127.0.0.1:8080 for the emulator (overrides YTX_BASE_URL).
    #[arg(
        long,
        global = true,
        help_heading = "Global options",
        value_name = "URL",
        conflicts_with = "environment"
    )]
    base_url: Option<String>,

    /// production or sandbox (overrides YTX_ENVIRONMENT). Default: production.
    #[arg(
        long,
        global = true,
        help_heading = "Global options",
        value_name = "NAME"
    )]
    environment: Option<String>,

    /// Overall timeout of one request in milliseconds (default 30000).
    #[arg(
        long,
        global = true,
        help_heading = "Global options",
        value_name = "MS"
    )]
    timeout_ms: Option<String>,

    /// Connect timeout in milliseconds (default 5000, at most the timeout).
    #[arg(
        long,
        global = true,
        help_heading = "Global options",
        value_name = "MS"
    )]
    connect_timeout_ms: Option<String>,

    /// Log each request to stderr (Sign redacted); twice: with its body.
    #[arg(short, long, global = true, help_heading = "Global options", action = clap::ArgAction::Count)]
    verbose: u8,

    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Place a two-way callback call: ring SRC, then DST, and bridge them.
    #[command(after_help = "Examples:
  ytx call 13800138000 01085485069 --credit 600 --custom-parm order-42
  ytx call 13800138000 01085485069 --credit 600 --ringback-type system --dry-run
  ytx --json call 13800138000 01085485069 --credit 600 | jq -r .request_id

Give every call a unique --custom-parm: after exit 4 (outcome unknown) or 6 (bad
answer), the error prints a ticket (stderr, or \"ticket\" with --json), and
`ytx resolve 'TICKET'` finds the call by its customParm.
Exit: 0 accepted, 2 invalid input, 3 not sent (retry), 4 outcome unknown,
5 refused, 6 bad answer (see `ytx --help`).")]
    Call(Box<CallArgs>),

    /// Send a voice verification code: call DST and read out CODE.
    #[command(after_help = "Examples:
  ytx code 13800138000 4096
  ytx code 13800138000 4096 --dstclid 02160000000 --times 2
  ytx code 13800138000 4096 --dry-run

Exit: 0 accepted, 2 invalid input, 3 not sent (retry), 4 outcome unknown,
5 refused, 6 bad answer (see `ytx --help`).")]
    Code(CodeArgs),

    /// Show the call record (CDR) of one requestId.
    #[command(after_help = "Examples:
  ytx record 20200437755811196850667520400
  ytx --json record 20200437755811196850667520400 | jq .duration_secs

The platform writes a record about 20 s after the call ends; until then there is
none (exit 1).
Exit: 0 found, 1 no record (yet), 2 invalid input, 3 not sent, 4 no answer,
5 refused, 6 bad answer (see `ytx --help`).")]
    Record(RecordArgs),

    /// Find the call placed with a customParm, among the records after a requestId.
    #[command(after_help = "Examples:
  ytx find order-42 --after 20200437755811196850667520400
  ytx find order-42 --after 0        # from the first record (pages through all)

Found (exit 0) means the call was placed: do not place it again. Not found (exit 1)
means no record yet, which is not \"not placed\": a record is written only after the
call ends, up to srctimeout + dsttimeout + credit + 60 s after it was sent
(PROTOCOL.md). To resolve an outcome unknown (exit 4 of `ytx call`), use
`ytx resolve 'TICKET'`: it applies that bound.
Exit: 0 found, 1 not found, 2 invalid input (also: ran out of --max-pages),
3 not sent, 4 no answer, 5 refused, 6 bad answer (see `ytx --help`).")]
    Find(FindArgs),

    /// Was the call of an outcome unknown placed? Resolve the ticket `ytx call` printed.
    #[command(after_help = "Examples:
  ytx resolve 'ytx-ticket:1;kind=callback;sent=1765000000;credit=600;srctimeout=;dsttimeout=;anchor=;customParm=order%2D42;fid=4'
  ytx --json resolve \"$TICKET\" | jq -r .status
  ytx resolve \"$TICKET\" --cursor 20200437755811196850667520400   # resume

Pages through the call records after the ticket's anchor, looking for its
customParm (only record queries: nothing is placed). \"not placed\" only once
PROTOCOL.md's bound has passed (sent + srctimeout + dsttimeout + credit + 60 s;
60 s for a ring timeout not given); before that, or when --max-pages or
--deadline-ms run out, \"not known yet\" with a time to ask again and a cursor.
Exit: 0 placed (do not place it again), 7 not placed (safe to place again),
8 not known yet (ask again then, with --cursor), 9 cannot be resolved (a voice code,
or no customParm), 2 invalid input, 3/4/5/6 a record query failed (harmless to
run again; see `ytx --help`).")]
    Resolve(ResolveArgs),

    /// Show the account's balance.
    #[command(after_help = "Examples:
  ytx balance
  ytx --json balance | jq -r .balance_yuan

Also a quick check that the credentials work (a wrong token exits 5, -203).
Exit: 0 read, 2 invalid input, 3 not sent, 4 no answer, 5 refused, 6 bad answer.")]
    Balance,

    /// Parse a push body (what the platform POSTs to your callback URL) from stdin.
    #[command(after_help = "Examples:
  ytx push < body.json
  echo '{\"requestid\":\"1\",\"dsc\":\"13800138000\",\"state\":\"answer\"}' | ytx --json push

Needs no credentials and sends nothing. Pushes carry no signature: treat one as a
hint and confirm with `ytx record`.
Exit: 0 a state or call-record push, 2 stdin unreadable, 6 not a push.")]
    Push,

    /// Receive pushes at a secret path and print each call's fate as JSON lines
    /// (a tracker: pushes as hints, the signed record query as the truth).
    Watch(Box<watch::WatchArgs>),
}

#[derive(Args)]
struct CallArgs {
    /// First leg, rung first: a mobile or a landline with its area code.
    src: String,
    /// Second leg.
    dst: String,
    /// Call length limit in seconds; more than 60.
    #[arg(long, value_name = "SECONDS", allow_negative_numbers = true)]
    credit: i64,
    /// Your own reference (an order id), echoed in the record: make it unique.
    #[arg(long, value_name = "TEXT")]
    custom_parm: Option<String>,
    /// Caller id shown to the first leg (srcclid).
    #[arg(long, value_name = "NUMBER")]
    src_clid: Option<String>,
    /// Caller id shown to the second leg (dstclid).
    #[arg(long, value_name = "NUMBER")]
    dst_clid: Option<String>,
    /// Seconds before an unanswered first leg is hung up (srctimeout).
    #[arg(long, value_name = "SECONDS")]
    src_timeout: Option<String>,
    /// Seconds before an unanswered second leg is hung up (dsttimeout).
    #[arg(long, value_name = "SECONDS")]
    dst_timeout: Option<String>,
    /// Prompt file played to the first leg (srchintfile).
    #[arg(long, value_name = "FILE")]
    src_hint_file: Option<String>,
    /// Prompt file played to the second leg (dsthintfile).
    #[arg(long, value_name = "FILE")]
    dst_hint_file: Option<String>,
    /// First-leg ringback: 1|pass-through, 2|system, 3|custom (ringbacktype).
    #[arg(long, value_name = "TYPE")]
    ringback_type: Option<String>,
    /// Custom ringback file, with --ringback-type custom (customhintfile).
    #[arg(long, value_name = "FILE")]
    custom_hint_file: Option<String>,
    /// Prompt played to the first leg when the second fails (dstfailhintfile).
    #[arg(long, value_name = "FILE")]
    dst_fail_hint_file: Option<String>,
    /// Seconds after which the first leg's time warning plays (srcthreshold).
    #[arg(long, value_name = "SECONDS")]
    src_threshold: Option<String>,
    /// Seconds after which the second leg's time warning plays (dstthreshold).
    #[arg(long, value_name = "SECONDS")]
    dst_threshold: Option<String>,
    /// The first leg's time-warning prompt file (srcthresholdfile).
    #[arg(long, value_name = "FILE")]
    src_threshold_file: Option<String>,
    /// The second leg's time-warning prompt file (dstthresholdfile).
    #[arg(long, value_name = "FILE")]
    dst_threshold_file: Option<String>,
    /// Call-result recognition (iscallstatuscheck): alone or =1 on, =0 off.
    #[arg(long, value_name = "0|1", num_args = 0..=1, default_missing_value = "1", require_equals = true)]
    call_status_check: Option<String>,
    /// Validate and sign, print the request (Sign redacted), send nothing.
    #[arg(long)]
    dry_run: bool,
}

/// Each optional flag of `ytx call`, with its wire name.
const CALL_FLAGS: [(&str, &str); 15] = [
    ("--custom-parm", "customParm"),
    ("--src-clid", "srcclid"),
    ("--dst-clid", "dstclid"),
    ("--src-timeout", "srctimeout"),
    ("--dst-timeout", "dsttimeout"),
    ("--src-hint-file", "srchintfile"),
    ("--dst-hint-file", "dsthintfile"),
    ("--ringback-type", "ringbacktype"),
    ("--custom-hint-file", "customhintfile"),
    ("--dst-fail-hint-file", "dstfailhintfile"),
    ("--src-threshold", "srcthreshold"),
    ("--dst-threshold", "dstthreshold"),
    ("--src-threshold-file", "srcthresholdfile"),
    ("--dst-threshold-file", "dstthresholdfile"),
    ("--call-status-check", "iscallstatuscheck"),
];

impl CallArgs {
    fn options(&self) -> [Option<&String>; 15] {
        [
            self.custom_parm.as_ref(),
            self.src_clid.as_ref(),
            self.dst_clid.as_ref(),
            self.src_timeout.as_ref(),
            self.dst_timeout.as_ref(),
            self.src_hint_file.as_ref(),
            self.dst_hint_file.as_ref(),
            self.ringback_type.as_ref(),
            self.custom_hint_file.as_ref(),
            self.dst_fail_hint_file.as_ref(),
            self.src_threshold.as_ref(),
            self.dst_threshold.as_ref(),
            self.src_threshold_file.as_ref(),
            self.dst_threshold_file.as_ref(),
            self.call_status_check.as_ref(),
        ]
    }

    fn request(&self) -> Result<CallbackCall, Error> {
        let credit = ytx::request::credit_from_i64(self.credit)?;
        let mut call = CallbackCall::new(&self.src, &self.dst, credit);
        for ((_, wire), value) in CALL_FLAGS.iter().zip(self.options()) {
            let Some(value) = value else { continue };
            let value = match (*wire, value.as_str()) {
                ("ringbacktype", "pass-through") => "1",
                ("ringbacktype", "system") => "2",
                ("ringbacktype", "custom") => "3",
                (_, v) => v,
            };
            call.set(wire, value)?;
        }
        Ok(call)
    }
}

#[derive(Args)]
struct CodeArgs {
    /// The number to call: a mobile or a landline with its area code.
    dst: String,
    /// The code read out: 1 to 19 ASCII letters or digits.
    code: String,
    /// Caller id the callee sees (optional: left out when not given).
    #[arg(long, value_name = "NUMBER")]
    dstclid: Option<String>,
    /// How many times the code is played, 1 to 3 (default: the platform's, 2).
    #[arg(long, value_name = "N", allow_negative_numbers = true)]
    times: Option<i64>,
    /// Validate and sign, print the request (Sign redacted), send nothing.
    #[arg(long)]
    dry_run: bool,
}

impl CodeArgs {
    fn request(&self) -> Result<VoiceCode, Error> {
        let mut code = VoiceCode::new(
            &self.dst,
            self.dstclid.clone().unwrap_or_default(),
            &self.code,
        );
        if let Some(t) = self.times {
            // The 1-3 rule is the library's; only what a u8 cannot hold is refused here.
            code.times = Some(u8::try_from(t).map_err(|_| {
                Error::invalid("time", format!("must be 1, 2 or 3 plays, got {t}"))
            })?);
        }
        code.validate()?;
        Ok(code)
    }
}

#[derive(Args)]
struct RecordArgs {
    /// The requestId an accepted call was answered with.
    request_id: String,
    /// The product whose records are asked for (4: the callback call).
    #[arg(long, value_name = "F", default_value = ytx::record::CALLBACK_FID)]
    fid: String,
}

#[derive(Args)]
struct FindArgs {
    /// The customParm the call was placed with.
    custom_parm: String,
    /// A requestId from before the call (0: search from the first record).
    #[arg(long, value_name = "REQUEST_ID")]
    after: String,
    /// The product whose records are searched (4: the callback call).
    #[arg(long, value_name = "F", default_value = ytx::record::CALLBACK_FID)]
    fid: String,
    /// Records per query, 1 to 1000.
    #[arg(long, value_name = "N", default_value_t = ytx::request::FIND_CALL_PAGE_SIZE)]
    page_size: u32,
    /// Most queries before giving up with an error (never with "not found").
    #[arg(long, value_name = "N", default_value_t = ytx::request::FIND_CALL_MAX_PAGES)]
    max_pages: u32,
}

#[derive(Args)]
struct ResolveArgs {
    /// The ticket of the outcome unknown, as `ytx call` printed it (quote it: it holds `;`).
    ticket: String,
    /// Resume from the cursor an earlier `ytx resolve` of the same ticket printed.
    #[arg(long, value_name = "REQUEST_ID")]
    cursor: Option<String>,
    /// Overall deadline in milliseconds (default 60000).
    #[arg(long, value_name = "MS")]
    deadline_ms: Option<u64>,
    /// Most record queries (default 100).
    #[arg(long, value_name = "N")]
    max_pages: Option<u32>,
    /// Records per query, 1 to 1000 (default 100).
    #[arg(long, value_name = "N")]
    page_size: Option<u32>,
    /// The product whose records are searched (default: the ticket's, 4 for a callback call).
    #[arg(long, value_name = "F")]
    fid: Option<String>,
}

impl ResolveArgs {
    fn options(&self) -> Result<ResolveOptions, Error> {
        let mut o = ResolveOptions::new().cursor(self.cursor.as_deref());
        if let Some(ms) = self.deadline_ms {
            o = o.deadline(std::time::Duration::from_millis(ms));
        }
        if let Some(n) = self.max_pages {
            o = o.max_pages(n);
        }
        if let Some(n) = self.page_size {
            o = o.page_size(n);
        }
        if let Some(f) = &self.fid {
            o = o.fid(f);
        }
        o.validate()?;
        Ok(o)
    }
}

fn main() -> ExitCode {
    let args: Vec<std::ffi::OsString> = std::env::args_os().collect();
    let json = args
        .iter()
        .skip(1)
        .take_while(|a| *a != "--")
        .any(|a| a == "--json");
    let cli = match Cli::try_parse_from(&args) {
        Ok(cli) => cli,
        Err(e) => return ExitCode::from(output::usage_error(e, json)),
    };
    let out = output::Output { json: cli.json };
    if cli.verbose > 0 {
        let level = if cli.verbose > 1 {
            ytx::LogLevel::Debug
        } else {
            ytx::LogLevel::Info
        };
        // The library never logs the token or the Sign. A log line that
        // cannot be written (stderr closed, or a pipe whose reader went) is
        // dropped: eprintln! would panic, after the platform may have
        // accepted the call, and lose its requestId and exit code.
        let _ = ytx::set_logger(
            level,
            Some(Arc::new(|level, msg: &str| {
                output::stderr(&format!("ytx {level:?}: {msg}\n"))
            })),
        );
    }
    if let Command::Watch(a) = &cli.command {
        // Events are its output, one JSON line each: no report after them.
        let code = match client(&cli, &out).and_then(|c| watch::run(a, c)) {
            Ok(()) => exit::OK,
            Err(e) => out.error(&e, false),
        };
        return ExitCode::from(code);
    }
    let places = matches!(cli.command, Command::Call(_) | Command::Code(_));
    let code = match run(&cli, &out) {
        Ok(report) => out.report(report),
        Err(e) => out.error(&e, places),
    };
    ExitCode::from(code)
}

fn run(cli: &Cli, out: &output::Output) -> Result<Report, Error> {
    match &cli.command {
        Command::Push => push(),
        Command::Watch(a) => {
            watch::run(a, client(cli, out)?)?;
            Ok(Report {
                human: String::new(),
                json: json!({"done": true}),
                code: exit::OK,
            })
        }
        Command::Call(a) => {
            // Check the request before the credentials: a bad value is
            // reported the same with or without them.
            let call = a.request()?;
            let client = client(cli, out)?;
            if a.dry_run {
                return client
                    .prepare_callback_call(&call)
                    .map(|r| output::dry_run(&r));
            }
            let accepted = client.callback_call(&call)?;
            Ok(output::accepted("callback call", &accepted))
        }
        Command::Code(a) => {
            let code = a.request()?;
            let client = client(cli, out)?;
            if a.dry_run {
                return client
                    .prepare_voice_code(&code)
                    .map(|r| output::dry_run(&r));
            }
            let accepted = client.voice_code(&code)?;
            Ok(output::accepted("voice code", &accepted))
        }
        Command::Record(a) => {
            let query = RecordQuery::of(&a.request_id).fid(&a.fid);
            query.validate()?;
            let client = client(cli, out)?;
            let found = client.call_record_with(&query)?;
            Ok(match found {
                Some(r) => Report {
                    human: output::record_text(&r),
                    json: json!({"found": true, "record": output::record_json(&r)}),
                    code: exit::OK,
                },
                None => Report {
                    human: format!(
                        "no record for requestId {} (yet: the platform writes one about 20 s after the call ends)\n",
                        a.request_id
                    ),
                    json: json!({"found": false, "request_id": a.request_id}),
                    code: exit::NOT_FOUND,
                },
            })
        }
        Command::Find(a) => {
            let search = FindCall::new(&a.custom_parm, &a.after)
                .fid(&a.fid)
                .page_size(a.page_size)
                .max_pages(a.max_pages);
            search.validate()?;
            let client = client(cli, out)?;
            Ok(match client.find_call_with(&search)? {
                Some(r) => Report {
                    human: format!(
                        "found: the call with customParm {} was placed (do not place it again)\n{}",
                        a.custom_parm,
                        output::record_text(&r)
                    ),
                    json: json!({"found": true, "custom_parm": a.custom_parm, "record": output::record_json(&r)}),
                    code: exit::OK,
                },
                None => Report {
                    human: format!(
                        "not found: no record with customParm {} after requestId {} (yet: this is not \"not placed\"; `ytx resolve TICKET` answers that, after srctimeout + dsttimeout + credit + 60 s)\n",
                        a.custom_parm, a.after
                    ),
                    json: json!({"found": false, "custom_parm": a.custom_parm, "after": a.after}),
                    code: exit::NOT_FOUND,
                },
            })
        }
        Command::Resolve(a) => {
            let ticket = Ticket::parse(&a.ticket)?;
            let options = a.options()?;
            let client = client(cli, out)?;
            Ok(output::resolution(&client.resolve_with(&ticket, &options)?))
        }
        Command::Balance => {
            let client = client(cli, out)?;
            let b = client.balance()?;
            let mut human = format!("balance: {} yuan\n", b.amount());
            if let Some(sid) = b.account_sid() {
                human.push_str(&format!("account: {sid}\n"));
            }
            Ok(Report {
                human,
                json: json!({
                    "balance_yuan": b.amount().text(),
                    "balance_fen": b.amount().fen(),
                    "account_sid": b.account_sid(),
                }),
                code: exit::OK,
            })
        }
    }
}

/// The client from flags, environment and config file.
fn client(cli: &Cli, out: &output::Output) -> Result<Client, Error> {
    let mut s = config::Settings::load(cli.config.as_deref())?;
    s.flag(
        config::ACCOUNT_SID,
        "--account-sid",
        cli.account_sid.as_deref(),
    );
    s.flag(config::APP_ID, "--app-id", cli.app_id.as_deref());
    s.flag("YTX_BASE_URL", "--base-url", cli.base_url.as_deref());
    s.flag(
        "YTX_ENVIRONMENT",
        "--environment",
        cli.environment.as_deref(),
    );
    s.flag("YTX_TIMEOUT_MS", "--timeout-ms", cli.timeout_ms.as_deref());
    s.flag(
        "YTX_CONNECT_TIMEOUT_MS",
        "--connect-timeout-ms",
        cli.connect_timeout_ms.as_deref(),
    );
    for w in &s.warnings {
        out.warn(w);
    }
    s.client()
}

/// `ytx push`: parse stdin.
fn push() -> Result<Report, Error> {
    let stdin = std::io::stdin();
    if stdin.is_terminal() {
        output::stderr("ytx push: reading a push body from standard input (end with Ctrl-D)\n");
    }
    let mut body = Vec::new();
    stdin
        .lock()
        .take(ytx::record::MAX_RECORDS_BYTES as u64 + 1)
        .read_to_end(&mut body)
        .map_err(|e| Error::invalid("stdin", format!("cannot read standard input: {e}")))?;
    let push = ytx::parse_push(&body)?;
    Ok(output::push(&push))
}
