//! Generates `include/ytx.h` from the Rust sources with cbindgen (feature
//! `capi` only: cbindgen is an optional build dependency of it).
//!
//! The header is checked in. It is always generated into `OUT_DIR/ytx.h`, and
//! copied to `include/ytx.h` only when the crate being built is the
//! repository itself (its manifest directory is a git checkout: `.git`
//! exists), and then only when its content changes, so a build on an
//! up-to-date tree leaves the file (and its mtime) alone; CI builds and then
//! fails if `git diff --exit-code include/ytx.h` shows drift. A copy of the
//! crate in cargo's registry (or any directory that is not a checkout, even
//! a read-only one) is never written to. `YTX_WRITE_HEADER=0` turns the copy
//! off in a checkout too; `YTX_WRITE_HEADER=1` forces it.

#[cfg(feature = "capi")]
use std::path::Path;

fn main() {
    println!("cargo:rerun-if-changed=src");
    println!("cargo:rerun-if-changed=cbindgen.toml");
    println!("cargo:rerun-if-changed=build.rs");

    // An ELF SONAME (e.g. libytx.so.0) when asked for by `make install`, so
    // that installed programs record the versioned name. Plain cargo builds
    // have none, so that `-Ltarget/debug -lytx` keeps working in the tree.
    println!("cargo:rerun-if-env-changed=YTX_SONAME");
    if let Ok(soname) = std::env::var("YTX_SONAME") {
        if std::env::var("CARGO_CFG_TARGET_OS").as_deref() == Ok("linux") && !soname.is_empty() {
            println!("cargo:rustc-cdylib-link-arg=-Wl,-soname,{soname}");
        }
    }

    #[cfg(feature = "capi")]
    header();
}

#[cfg(feature = "capi")]
fn header() {
    println!("cargo:rerun-if-env-changed=YTX_WRITE_HEADER");
    let dir = std::env::var("CARGO_MANIFEST_DIR").expect("cargo sets CARGO_MANIFEST_DIR");
    let out_dir = std::env::var("OUT_DIR").expect("cargo sets OUT_DIR");
    let version = std::env::var("CARGO_PKG_VERSION").expect("cargo sets CARGO_PKG_VERSION");
    let num = |k: &str| -> u32 {
        std::env::var(k)
            .ok()
            .and_then(|v| v.parse().ok())
            .unwrap_or(0)
    };
    let version_number = num("CARGO_PKG_VERSION_MAJOR") * 10000
        + num("CARGO_PKG_VERSION_MINOR") * 100
        + num("CARGO_PKG_VERSION_PATCH");

    let mut config = cbindgen::Config::from_file(Path::new(&dir).join("cbindgen.toml"))
        .expect("cbindgen.toml is valid");
    config.after_includes = Some(format!(
        "\n/* The version this header was generated for; compare with ytx_version() and\n * ytx_version_number() at run time to catch a header/library mismatch. */\n#define YTX_VERSION \"{version}\"\n#define YTX_VERSION_NUMBER {version_number}"
    ));

    let header = match cbindgen::Builder::new()
        .with_crate(&dir)
        .with_config(config)
        .generate()
    {
        Ok(bindings) => {
            let mut out = Vec::new();
            bindings.write(&mut out);
            c_comments(&String::from_utf8(out).expect("cbindgen writes UTF-8")).into_bytes()
        }
        Err(e) => {
            // A syntax error in src/ is reported by rustc itself, better than here.
            println!("cargo:warning=cbindgen could not generate include/ytx.h: {e}");
            return;
        }
    };
    let generated = Path::new(&out_dir).join("ytx.h");
    if let Err(e) = std::fs::write(&generated, &header) {
        println!("cargo:warning=could not write {}: {e}", generated.display());
    }
    let in_checkout = Path::new(&dir).join(".git").exists();
    let write = match std::env::var("YTX_WRITE_HEADER").as_deref() {
        Ok("0") => false,
        Ok("1") => true,
        _ => in_checkout,
    };
    if !write {
        return;
    }
    let path = Path::new(&dir).join("include").join("ytx.h");
    if std::fs::read(&path).ok().as_deref() != Some(&header[..]) {
        let written = std::fs::create_dir_all(path.parent().expect("has a parent"))
            .and_then(|()| std::fs::write(&path, &header));
        if let Err(e) = written {
            // Never fail a build over the checked-in copy: the drift check
            // (git diff include/ytx.h) is what catches a stale header.
            println!("cargo:warning=could not update {}: {e}", path.display());
        }
    }
}

/// The doc comments are written for rustdoc (Markdown); in the header they
/// are C documentation: `# Safety` headings become "Safety:", and code
/// spans and intra-doc links lose their backticks and brackets.
#[cfg(feature = "capi")]
fn c_comments(header: &str) -> String {
    let mut out = String::with_capacity(header.len());
    for line in header.lines() {
        let trimmed = line.trim_start();
        if trimmed.starts_with("* ") || trimmed == "*" || trimmed.starts_with("/*") {
            let indent = &line[..line.len() - trimmed.len()];
            let text = match trimmed.strip_prefix("* # ") {
                Some(heading) => format!("* {heading}:"),
                None => trimmed.replace("[`", "").replace("`]", "").replace('`', ""),
            };
            out.push_str(indent);
            out.push_str(&text);
        } else {
            out.push_str(line);
        }
        out.push('\n');
    }
    out
}
