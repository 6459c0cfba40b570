//! Where the client's settings come from: command-line flags, `YTX_*`
//! environment variables and a `KEY=value` config file, in that order of
//! precedence (a flag beats the environment, the environment beats the
//! file), key by key.
//!
//! The auth token is read only from the environment or the file: never from
//! the command line, where `ps` and the shell history would show it. No
//! error or output here ever repeats a value read from the file (a wrong
//! line could be the token); errors name the key and the line.

use std::collections::BTreeMap;
use std::fmt;
use std::path::{Path, PathBuf};

use ytx::{Client, Error};

/// The credentials' keys, the same in the environment and the file (the
/// names the quickstart example uses).
pub const ACCOUNT_SID: &str = "YTX_ACCOUNT_SID";
/// The auth token: environment or file only.
pub const AUTH_TOKEN: &str = "YTX_AUTH_TOKEN";
/// The app id.
pub const APP_ID: &str = "YTX_APP_ID";

/// Every key read from the environment and the file, with the library's
/// name for it: the three credentials, then `YTX_` + each client option of
/// `ytx::config::CLIENT_OPTION_NAMES` in capitals.
pub fn keys() -> Vec<(String, &'static str)> {
    let mut keys = vec![
        (ACCOUNT_SID.to_string(), "account_sid"),
        (AUTH_TOKEN.to_string(), "auth_token"),
        (APP_ID.to_string(), "app_id"),
    ];
    for name in ytx::config::CLIENT_OPTION_NAMES {
        keys.push((format!("YTX_{}", name.to_ascii_uppercase()), name));
    }
    keys
}

/// Where a value came from, for error messages.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Source {
    /// A command-line flag.
    Flag(&'static str),
    /// The environment variable of the key.
    Env,
    /// A line of the config file.
    File { path: PathBuf, line: usize },
}

impl fmt::Display for Source {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Source::Flag(flag) => write!(f, "the {flag} option"),
            Source::Env => f.write_str("the environment"),
            Source::File { path, line } => write!(f, "{} line {line}", path.display()),
        }
    }
}

/// One layer of settings: key → (value, where it came from).
type Layer = BTreeMap<String, (String, Source)>;

/// The settings of one run, before the client is built.
#[derive(Default)]
pub struct Settings {
    flags: Layer,
    env: Layer,
    file: Layer,
    /// Warnings to print on stderr (e.g. a config file others can read).
    pub warnings: Vec<String>,
}

/// The config file's default path: `$XDG_CONFIG_HOME/ytx/config`, or
/// `$HOME/.config/ytx/config` when `XDG_CONFIG_HOME` is unset or empty.
pub fn default_path() -> Option<PathBuf> {
    let xdg = std::env::var_os("XDG_CONFIG_HOME").filter(|v| !v.is_empty());
    let base = match xdg {
        Some(dir) => PathBuf::from(dir),
        None => PathBuf::from(std::env::var_os("HOME").filter(|v| !v.is_empty())?).join(".config"),
    };
    Some(base.join("ytx").join("config"))
}

impl Settings {
    /// Read the environment and the config file (`explicit`: `--config`,
    /// which must exist; otherwise the default path, read if it exists).
    pub fn load(explicit: Option<&Path>) -> Result<Settings, Error> {
        let mut s = Settings::default();
        for (key, _) in keys() {
            match std::env::var(&key) {
                Ok(v) if !v.is_empty() => {
                    s.env.insert(key, (v, Source::Env));
                }
                Ok(_) | Err(std::env::VarError::NotPresent) => {}
                Err(std::env::VarError::NotUnicode(_)) => {
                    return Err(Error::invalid(key, "the environment variable is not UTF-8"))
                }
            }
        }
        let path = match explicit {
            Some(p) => Some(p.to_path_buf()),
            None => default_path().filter(|p| p.is_file()),
        };
        if let Some(path) = path {
            s.read_file(&path)?;
        }
        Ok(s)
    }

    /// A value given with a flag.
    pub fn flag(&mut self, key: &str, flag: &'static str, value: Option<&str>) {
        if let Some(v) = value {
            self.flags
                .insert(key.to_string(), (v.to_string(), Source::Flag(flag)));
        }
    }

    fn read_file(&mut self, path: &Path) -> Result<(), Error> {
        let shown = path.display();
        let text = std::fs::read(path)
            .map_err(|e| Error::invalid("config", format!("cannot read {shown}: {e}")))?;
        let text = String::from_utf8(text)
            .map_err(|_| Error::invalid("config", format!("{shown} is not UTF-8")))?;
        warn_if_readable_by_others(path, &mut self.warnings);
        let known = keys();
        for (i, raw) in text.lines().enumerate() {
            let line = i + 1;
            let at = || format!("{shown} line {line}");
            let l = raw.strip_suffix('\r').unwrap_or(raw);
            let trimmed = l.trim_start();
            if trimmed.is_empty() || trimmed.starts_with('#') {
                continue;
            }
            let trimmed = trimmed.strip_prefix("export ").unwrap_or(trimmed);
            // Never repeat the line: it may hold the token.
            let Some((key, value)) = trimmed.split_once('=') else {
                return Err(Error::invalid(
                    "config",
                    format!("{}: expected KEY=value", at()),
                ));
            };
            let key = key.trim();
            if !known.iter().any(|(k, _)| k == key) {
                let names: Vec<&str> = known.iter().map(|(k, _)| k.as_str()).collect();
                let key_shown = if key.len() <= 40
                    && key
                        .bytes()
                        .all(|b| b.is_ascii_uppercase() || b.is_ascii_digit() || b == b'_')
                {
                    format!("unknown key {key}")
                } else {
                    "not a known key".to_string()
                };
                return Err(Error::invalid(
                    "config",
                    format!("{}: {key_shown}; known: {}", at(), names.join(", ")),
                ));
            }
            let value = value.trim_start();
            let value = unquote(value);
            if value.is_empty() {
                continue;
            }
            self.file.insert(
                key.to_string(),
                (
                    value.to_string(),
                    Source::File {
                        path: path.to_path_buf(),
                        line,
                    },
                ),
            );
        }
        Ok(())
    }

    /// The value of `key` with the highest precedence, and where it is from.
    pub fn get(&self, key: &str) -> Option<&(String, Source)> {
        self.flags
            .get(key)
            .or_else(|| self.env.get(key))
            .or_else(|| self.file.get(key))
    }

    /// Build the client. Missing credentials and bad values are
    /// [`Error::InvalidArgument`]s naming the library's field and where the
    /// value came from, never the value.
    pub fn client(&self) -> Result<Client, Error> {
        let mut missing = Vec::new();
        let mut cred = |key: &str| match self.get(key) {
            Some((v, _)) => v.clone(),
            None => {
                missing.push(key.to_string());
                String::new()
            }
        };
        let (sid, token, app) = (cred(ACCOUNT_SID), cred(AUTH_TOKEN), cred(APP_ID));
        if !missing.is_empty() {
            let field = match missing[0].as_str() {
                ACCOUNT_SID => "account_sid",
                AUTH_TOKEN => "auth_token",
                _ => "app_id",
            };
            let file = default_path()
                .map(|p| p.display().to_string())
                .unwrap_or_else(|| "~/.config/ytx/config".into());
            return Err(Error::invalid(
                field,
                format!(
                    "no credentials: {} not set; set them in the environment or in the config file ({file}, or --config PATH); the auth token is never taken from the command line",
                    missing.join(", ")
                ),
            ));
        }
        let mut b = Client::builder(sid, token, app);
        // environment and base_url set the same thing: the source with the
        // higher precedence wins; one source giving both is an error.
        let target = self.target()?;
        for (key, name) in keys().into_iter().skip(3) {
            if name == "environment" || name == "base_url" {
                continue;
            }
            if let Some((v, src)) = self.get(&key) {
                b.set(name, v).map_err(|e| from_source(e, src))?;
            }
        }
        if let Some((name, v, src)) = target {
            b.set(name, &v).map_err(|e| from_source(e, &src))?;
        }
        b.build().map_err(|e| {
            // Credentials are checked here; say where the bad one came from.
            let key = match e.field() {
                Some("account_sid") => Some(ACCOUNT_SID.to_string()),
                Some("auth_token") => Some(AUTH_TOKEN.to_string()),
                Some("app_id") => Some(APP_ID.to_string()),
                Some(other) => Some(format!("YTX_{}", other.to_ascii_uppercase())),
                None => None,
            };
            match key.and_then(|k| self.get(&k)) {
                Some((_, src)) => from_source(e, src),
                None => e,
            }
        })
    }

    /// The environment or base URL to use: from the layer with the highest
    /// precedence that has either.
    fn target(&self) -> Result<Option<(&'static str, String, Source)>, Error> {
        for layer in [&self.flags, &self.env, &self.file] {
            let env = layer.get("YTX_ENVIRONMENT");
            let url = layer.get("YTX_BASE_URL");
            match (env, url) {
                (Some((_, a)), Some((_, b))) => {
                    return Err(Error::invalid(
                        "base_url",
                        format!(
                            "both an environment ({a}) and a base URL ({b}) are given: give one"
                        ),
                    ))
                }
                (Some((v, s)), None) => return Ok(Some(("environment", v.clone(), s.clone()))),
                (None, Some((v, s))) => return Ok(Some(("base_url", v.clone(), s.clone()))),
                (None, None) => {}
            }
        }
        Ok(None)
    }
}

/// The same error, saying where the value came from.
fn from_source(e: Error, src: &Source) -> Error {
    match e {
        Error::InvalidArgument { field, reason } => Error::InvalidArgument {
            field,
            reason: format!("{reason} (from {src})"),
        },
        other => other,
    }
}

/// `"value"` or `'value'` → `value`.
fn unquote(v: &str) -> &str {
    for q in ['"', '\''] {
        if let Some(inner) = v.strip_prefix(q).and_then(|r| r.strip_suffix(q)) {
            return inner;
        }
    }
    v
}

#[cfg(unix)]
fn warn_if_readable_by_others(path: &Path, warnings: &mut Vec<String>) {
    use std::os::unix::fs::PermissionsExt;
    if let Ok(meta) = std::fs::metadata(path) {
        let mode = meta.permissions().mode() & 0o777;
        if mode & 0o077 != 0 {
            warnings.push(format!(
                "config file {} holds the auth token and is readable by other users (mode {mode:o}): chmod 600 it",
                path.display()
            ));
        }
    }
}

#[cfg(not(unix))]
fn warn_if_readable_by_others(_: &Path, _: &mut Vec<String>) {}
