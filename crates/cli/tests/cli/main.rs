//! End-to-end tests of the `probity` binary: real files in, exit codes and reports out, on SQLite
//! and (when PROBITY_TEST_PG is set) PostgreSQL. One test binary: these tests, the accounts and
//! tokens commands (`accounts`), a database of an earlier release (`fixture_db`), `serve`
//! with its metrics (`serve_metrics`), and the notifications' mail of `tick` and `serve` (`mail`).

mod common;
use common::Env;

use std::path::Path;
use std::process::{Command, Output};

fn stdout(o: &Output) -> String {
    String::from_utf8_lossy(&o.stdout).into_owned()
}
fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}
fn code(o: &Output) -> i32 {
    o.status.code().unwrap_or(-1)
}

/// Runs a test body on SQLite, and on PostgreSQL when PROBITY_TEST_PG is set.
macro_rules! both {
    ($name:ident, $body:expr) => {
        mod $name {
            use super::*;
            #[test]
            fn sqlite() {
                let f: fn(&Env) = $body;
                f(&Env::sqlite());
            }
            #[test]
            fn postgres() {
                let f: fn(&Env) = $body;
                if let Some(env) = Env::postgres() {
                    f(&env);
                }
            }
        }
    };
}

mod accounts;
mod assessment;
mod calendar;
mod commitments;
mod fixture_db;
mod mail;
mod serve_metrics;
mod tick;
mod two_nodes;

const HEADER: &str = "主体名称,统一社会信用代码,身份证号,记录类别,决定文书号,决定日期,决定机关,失信事实,处理依据,处理结果,严重程度,公开范围,公示截止日期";

/// The demo district, and the USCC and full name of one of its townships.
fn setup(env: &Env) -> (String, String) {
    let o = env.run(&["demo"]);
    assert_eq!(code(&o), 0, "{}", stderr(&o));
    let store = env.store();
    let town = store
        .subjects()
        .unwrap()
        .into_iter()
        .find(|s| s.kind == probity_domain::subject::SubjectKind::Township)
        .unwrap();
    (town.uscc.unwrap(), town.name)
}

fn row(name: &str, uscc: &str, doc: &str, date: &str, category: &str) -> String {
    format!(
        "{name},{uscc},,{category},{doc},{date},天津市滨海新区财政局,未按合同约定支付采购款,《政府采购法》,责令限期支付,,,"
    )
}

fn one_off(code: &str) -> String {
    // Change the final check character to another valid one.
    let mut c: Vec<char> = code.chars().collect();
    c[17] = if c[17] == '1' { '2' } else { '1' };
    c.into_iter().collect()
}

both!(import_report_reimport_and_errors_file, |env| {
    let (uscc, name) = setup(env);
    let before = env.store().record_count().unwrap();
    let csv = [
        HEADER.to_string(),
        row(
            &name,
            &uscc,
            "津滨财采〔2025〕1号",
            "2025-03-05",
            "政府采购毁约违约",
        ),
        row(
            &name,
            &uscc,
            "津滨财采〔2025〕2号",
            "2025/3/6",
            "PAYMENT_ARREARS",
        ),
        row(
            &name,
            &uscc,
            "津滨财采〔2025〕3号",
            "2024-02-30",
            "政府采购毁约违约",
        ),
        row(
            &name,
            &one_off(&uscc),
            "津滨财采〔2025〕4号",
            "2025-03-05",
            "政府采购毁约违约",
        ),
        row(
            &name,
            &uscc,
            "津滨财采〔2025〕5号",
            "2025-03-05",
            "火星类别",
        ),
        row(
            &name,
            &uscc,
            "津滨财采〔2025〕6号",
            "2025-03-05",
            "失信被执行人",
        ),
        row(
            &name,
            &uscc,
            "津滨财采〔2025〕1号",
            "2025-03-05",
            "政府采购毁约违约",
        ),
    ]
    .join("\n");
    let file = env.write("records.csv", csv.as_bytes());
    let errors = env.path("errors.csv");
    let o = env.run(&[
        "records",
        "import",
        file.to_str().unwrap(),
        "--provider",
        "区财政局",
        "--errors",
        errors.to_str().unwrap(),
    ]);
    assert_eq!(code(&o), 3, "{}", stderr(&o));
    assert_eq!(stdout(&o).trim(), "accepted 2, duplicates 1, rejected 4");
    let err = stderr(&o);
    assert!(
        err.contains("第 4 行［决定日期］") && err.contains("2024-02-30"),
        "{err}"
    );
    assert!(
        err.contains("第 5 行［统一社会信用代码］") && err.contains("USCC_CHECK_DIGIT"),
        "{err}"
    );
    assert!(
        err.contains("第 6 行［记录类别］") && err.contains("UNKNOWN_CATEGORY"),
        "{err}"
    );
    assert!(
        err.contains("第 7 行") && err.contains("PROVIDER_NOT_ALLOWED"),
        "{err}"
    );
    let report = std::fs::read_to_string(&errors).unwrap();
    let report = report.trim_start_matches('\u{feff}');
    assert!(
        report.starts_with("行号,列,错误代码,错误原因,主体名称"),
        "{report}"
    );
    assert_eq!(report.lines().count(), 5, "{report}");
    assert!(
        report.contains("津滨财采〔2025〕3号"),
        "the original cells are in the report"
    );
    assert_eq!(env.store().record_count().unwrap(), before + 2);

    // The same file again: nothing new.
    let o = env.run(&[
        "records",
        "import",
        file.to_str().unwrap(),
        "--provider",
        "区财政局",
    ]);
    assert_eq!(stdout(&o).trim(), "accepted 0, duplicates 3, rejected 4");
    assert_eq!(env.store().record_count().unwrap(), before + 2);
    let o = env.run(&["audit", "verify"]);
    assert_eq!(code(&o), 0, "{}", stdout(&o));
});

both!(all_or_nothing_commits_nothing, |env| {
    let (uscc, name) = setup(env);
    let before = env.store().record_count().unwrap();
    let head = env.store().head_seq().unwrap();
    let csv = [
        HEADER.to_string(),
        row(
            &name,
            &uscc,
            "津滨财采〔2025〕11号",
            "2025-03-05",
            "政府采购毁约违约",
        ),
        row(
            &name,
            &uscc,
            "津滨财采〔2025〕12号",
            "2025-13-01",
            "政府采购毁约违约",
        ),
    ]
    .join("\n");
    let file = env.write("r.csv", csv.as_bytes());
    let o = env.run(&[
        "records",
        "import",
        file.to_str().unwrap(),
        "--provider",
        "区财政局",
        "--all-or-nothing",
    ]);
    assert_eq!(code(&o), 3);
    assert_eq!(stdout(&o).trim(), "accepted 0, duplicates 0, rejected 1");
    assert!(stderr(&o).contains("未作任何改动"));
    assert_eq!(env.store().record_count().unwrap(), before);
    assert_eq!(env.store().head_seq().unwrap(), head);
});

both!(gbk_csv_and_activate, |env| {
    let (uscc, name) = setup(env);
    let csv = [
        HEADER.to_string(),
        row(
            &name,
            &uscc,
            "津滨财采〔2025〕21号",
            "2025年3月5日",
            "政府采购毁约违约",
        ),
    ]
    .join("\r\n");
    let (gbk, _, bad) = encoding_rs::GBK.encode(&csv);
    assert!(!bad);
    let file = env.write("gbk.csv", &gbk);
    let o = env.run(&[
        "records",
        "import",
        file.to_str().unwrap(),
        "--provider",
        "区财政局",
        "--activate",
        "--json",
    ]);
    assert_eq!(code(&o), 0, "{} {}", stdout(&o), stderr(&o));
    let v: serde_json::Value = serde_json::from_str(stdout(&o).trim()).unwrap();
    assert_eq!(v["accepted"], 1);
    let store = env.store();
    let mut found = None;
    store
        .export_since(0, |r| {
            if r.record.document_no == "津滨财采〔2025〕21号" {
                found = Some(r.record);
            }
            Ok(())
        })
        .unwrap();
    let rec = found.expect("imported record in the feed");
    assert_eq!(rec.state, probity_domain::record::RecordState::Active);
    assert_eq!(rec.facts, "未按合同约定支付采购款");
    assert_eq!(rec.source, "gbk.csv");
    assert_eq!(rec.source_row, Some(2));
});

both!(unreadable_files_exit_2_and_change_nothing, |env| {
    setup(env);
    let head = env.store().head_seq().unwrap();
    let mut garbage = Vec::with_capacity(1 << 20);
    let mut x: u64 = 42;
    for _ in 0..(1 << 20) {
        x = x
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        garbage.push((x >> 56) as u8);
    }
    let cases: Vec<(&str, Vec<u8>)> = vec![
        ("empty.csv", vec![]),
        ("garbage.csv", garbage.clone()),
        ("garbage.xlsx", garbage[..4096].to_vec()),
        (
            "header.csv",
            "主体名称,统一社会信用代码\n某单位,123\n"
                .as_bytes()
                .to_vec(),
        ),
        ("truncated.xlsx", b"PK\x03\x04\x14\x00\x00\x00".to_vec()),
    ];
    for (name, bytes) in cases {
        let file = env.write(name, &bytes);
        let o = env.run(&[
            "records",
            "import",
            file.to_str().unwrap(),
            "--provider",
            "区财政局",
        ]);
        assert_eq!(code(&o), 2, "{name}: {} {}", stdout(&o), stderr(&o));
        assert!(
            stderr(&o).contains("无法读取文件"),
            "{name}: {}",
            stderr(&o)
        );
        assert!(!stderr(&o).contains("panicked"), "{name}");
    }
    let o = env.run(&[
        "records",
        "import",
        "/nonexistent/file.csv",
        "--provider",
        "区财政局",
    ]);
    assert_eq!(code(&o), 2);
    let o = env.run(&[
        "records",
        "import",
        env.path("empty.csv").to_str().unwrap(),
        "--provider",
        "火星局",
    ]);
    assert_eq!(code(&o), 1);
    assert!(stderr(&o).contains("火星局"), "{}", stderr(&o));
    assert_eq!(env.store().head_seq().unwrap(), head);
});

both!(export_and_tamper_detection, |env| {
    setup(env);
    let out = env.path("feed.jsonl");
    let o = env.run(&[
        "records",
        "export",
        "--since",
        "0",
        "--format",
        "jsonl",
        "--out",
        out.to_str().unwrap(),
    ]);
    assert_eq!(code(&o), 0, "{}", stderr(&o));
    let text = std::fs::read_to_string(&out).unwrap();
    let n = env.store().record_count().unwrap() as usize;
    assert_eq!(text.lines().count(), n);
    let first: serde_json::Value = serde_json::from_str(text.lines().next().unwrap()).unwrap();
    assert!(
        first["document_no"].is_string() && first["seq"].is_string(),
        "{first}"
    );
    let head = env.store().head_seq().unwrap();
    let o = env.run(&[
        "records",
        "export",
        "--since",
        &head.to_string(),
        "--format",
        "csv",
    ]);
    assert_eq!(code(&o), 0);
    assert_eq!(
        stdout(&o).lines().count(),
        1,
        "only the header: {}",
        stdout(&o)
    );
    let xlsx = env.path("feed.xlsx");
    let o = env.run(&[
        "records",
        "export",
        "--format",
        "xlsx",
        "--out",
        xlsx.to_str().unwrap(),
    ]);
    assert_eq!(code(&o), 0);
    assert!(std::fs::metadata(&xlsx).unwrap().len() > 1000);

    assert_eq!(code(&env.run(&["audit", "verify"])), 0);
    env.store()
        .raw_exec("UPDATE records SET facts = '被篡改' WHERE id = 3")
        .unwrap();
    let o = env.run(&["audit", "verify"]);
    assert_eq!(code(&o), 1);
    assert!(stdout(&o).contains("记录 3"), "{}", stdout(&o));
});

both!(roster_import_and_templates, |env| {
    let tpl = env.path("roster.xlsx");
    let o = env.run(&["template", "roster", "--out", tpl.to_str().unwrap()]);
    assert_eq!(code(&o), 0, "{}", stderr(&o));
    // The template's sample row is a valid roster line; the unit it names has a parent that is
    // not on an empty roster, so the row is rejected with that reason.
    let o = env.run(&["subjects", "import", tpl.to_str().unwrap()]);
    assert_eq!(code(&o), 3, "{} {}", stdout(&o), stderr(&o));
    assert!(stderr(&o).contains("PARENT_NOT_FOUND"), "{}", stderr(&o));
    setup(env);
    let o = env.run(&["subjects", "import", tpl.to_str().unwrap()]);
    assert_eq!(code(&o), 0, "{} {}", stdout(&o), stderr(&o));
    assert_eq!(
        stdout(&o).trim(),
        "accepted 0, updated 0, unchanged 1, rejected 0"
    );
    let rec = env.path("records.xlsx");
    let o = env.run(&[
        "template",
        "records",
        "--category",
        "JUDGMENT_DEFAULTER",
        "--out",
        rec.to_str().unwrap(),
    ]);
    assert_eq!(code(&o), 0, "{}", stderr(&o));
    let o = env.run(&[
        "records",
        "import",
        rec.to_str().unwrap(),
        "--provider",
        "区法院",
    ]);
    // The sample row is the demo's own record: already there.
    assert_eq!(
        stdout(&o).trim(),
        "accepted 0, duplicates 1, rejected 0",
        "{}",
        stderr(&o)
    );
});

#[test]
fn gen_is_deterministic_and_imports_cleanly() {
    let env = Env::sqlite();
    let a = env.path("a");
    let b = env.path("b");
    for out in [&a, &b] {
        let o = env.run(&[
            "gen",
            "--subjects",
            "300",
            "--records",
            "2000",
            "--seed",
            "7",
            "--out",
            out.to_str().unwrap(),
        ]);
        assert_eq!(code(&o), 0, "{}", stderr(&o));
    }
    let read = |p: &Path| std::fs::read(p).unwrap();
    assert_eq!(read(&a.join("records.csv")), read(&b.join("records.csv")));
    assert_eq!(read(&a.join("roster.csv")), read(&b.join("roster.csv")));
    let o = env.run(&["subjects", "import", a.join("roster.csv").to_str().unwrap()]);
    assert_eq!(code(&o), 0, "{} {}", stdout(&o), stderr(&o));
    let o = env.run(&[
        "records",
        "import",
        a.join("records.csv").to_str().unwrap(),
        "--provider",
        "区财政局",
    ]);
    assert_eq!(code(&o), 0, "{} {}", stdout(&o), stderr(&o));
    assert_eq!(stdout(&o).trim(), "accepted 2000, duplicates 0, rejected 0");
    assert_eq!(code(&env.run(&["audit", "verify"])), 0);
}

#[test]
fn readme_examples() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::create_dir_all(dir.path().join("work")).unwrap();
    let readme =
        std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/../../README.md")).unwrap();
    let cases = readme_console_blocks(&readme);
    assert!(!cases.is_empty(), "the README shows commands");
    for (cmd, expected) in cases {
        let args: Vec<&str> = cmd.split_whitespace().collect();
        assert_eq!(args[0], "probity", "{cmd}");
        let o = Command::new(env!("CARGO_BIN_EXE_probity"))
            .args(&args[1..])
            .current_dir(dir.path())
            .env("PROBITY_LOG", "warn")
            .env_remove("PROBITY_DB")
            .output()
            .unwrap();
        assert_eq!(code(&o), 0, "{cmd}: {}", stderr(&o));
        let got = stdout(&o);
        let got: Vec<&str> = got.lines().collect();
        assert_eq!(got.len(), expected.len(), "{cmd}: {got:?}");
        for (g, e) in got.iter().zip(&expected) {
            assert!(matches_pattern(g, e), "{cmd}:\n got {g}\nwant {e}");
        }
    }
}

/// `$ command` lines of the README's console blocks, each with the output lines that follow it.
fn readme_console_blocks(readme: &str) -> Vec<(String, Vec<String>)> {
    let mut out: Vec<(String, Vec<String>)> = Vec::new();
    let mut inside = false;
    for line in readme.lines() {
        if line.starts_with("```") {
            inside = line.trim() == "```console";
            continue;
        }
        if !inside {
            continue;
        }
        if let Some(cmd) = line.strip_prefix("$ ") {
            out.push((cmd.to_string(), Vec::new()));
        } else if !line.trim().is_empty()
            && let Some(last) = out.last_mut()
        {
            last.1.push(line.to_string());
        }
    }
    out
}

/// `[..]` in the expected line matches any text.
fn matches_pattern(got: &str, pattern: &str) -> bool {
    let parts: Vec<&str> = pattern.split("[..]").collect();
    let mut rest = got;
    for (i, part) in parts.iter().enumerate() {
        if i == 0 {
            match rest.strip_prefix(part) {
                Some(r) => rest = r,
                None => return false,
            }
        } else if i == parts.len() - 1 {
            return rest.ends_with(part);
        } else {
            match rest.find(part) {
                Some(p) => rest = &rest[p + part.len()..],
                None => return false,
            }
        }
    }
    rest.is_empty() || parts.len() > 1
}

#[test]
fn serve_answers_health_and_stops_on_sigterm() {
    use std::io::{BufRead, BufReader, Read, Write};
    let env = Env::sqlite();
    let mut child = Command::new(env!("CARGO_BIN_EXE_probity"))
        .args(["--db", &env.db, "--key-file"])
        .arg(env.key())
        .args(["serve", "--addr", "127.0.0.1:0", "--demo"])
        .env("PROBITY_LOG", "warn")
        .stdout(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let mut lines = BufReader::new(child.stdout.take().unwrap()).lines();
    let addr = loop {
        let line = lines.next().expect("serve printed its address").unwrap();
        if let Some(a) = line.strip_prefix("Probity 已启动：http://") {
            break a.to_string();
        }
    };
    let mut stream = std::net::TcpStream::connect(&addr).unwrap();
    stream
        .write_all(b"GET /healthz HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
        .unwrap();
    let mut body = String::new();
    stream.read_to_string(&mut body).unwrap();
    assert!(body.starts_with("HTTP/1.1 200"), "{body}");
    assert!(body.contains(r#""database":"ok""#), "{body}");
    let kill = Command::new("kill")
        .args(["-TERM", &child.id().to_string()])
        .status()
        .unwrap();
    assert!(kill.success());
    let status = child.wait().unwrap();
    assert!(status.success(), "graceful shutdown exits 0: {status:?}");
}

#[test]
fn a_closed_pipe_ends_output_quietly() {
    use std::io::{BufRead, BufReader};
    let env = Env::sqlite();
    setup(&env);
    let mut child = Command::new(env!("CARGO_BIN_EXE_probity"))
        .args(["--db", &env.db, "--key-file"])
        .arg(env.key())
        .args(["records", "export", "--format", "jsonl"])
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let mut first = String::new();
    BufReader::new(child.stdout.take().unwrap())
        .read_line(&mut first)
        .unwrap();
    assert!(first.starts_with('{'), "{first}");
    // The reader is gone now, like `| head -1`.
    let out = child.wait_with_output().unwrap();
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(!err.contains("panicked"), "{err}");
}

/// Starts `probity serve` with the given extra arguments and environment; returns the child and
/// the address it printed.
fn spawn_serve(env: &Env, args: &[&str], vars: &[(&str, &str)]) -> (std::process::Child, String) {
    use std::io::{BufRead, BufReader};
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_probity"));
    cmd.args(["--db", &env.db, "--key-file"])
        .arg(env.key())
        .arg("serve")
        .args(args);
    cmd.env("PROBITY_LOG", "warn")
        .stdout(std::process::Stdio::piped());
    for (k, v) in vars {
        cmd.env(k, v);
    }
    let mut child = cmd.spawn().unwrap();
    let mut lines = BufReader::new(child.stdout.take().unwrap()).lines();
    let addr = loop {
        let line = lines.next().expect("serve printed its address").unwrap();
        if let Some(a) = line.strip_prefix("Probity 已启动：http://") {
            break a.to_string();
        }
    };
    (child, addr)
}

fn login_status(addr: &str, name: &str) -> u16 {
    use std::io::{Read, Write};
    let body = format!(r#"{{"name":"{name}","password":"Wrong-password-1"}}"#);
    let mut s = std::net::TcpStream::connect(addr).unwrap();
    write!(
        s,
        "POST /api/v1/auth/login HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
        body.len()
    )
    .unwrap();
    let mut out = String::new();
    s.read_to_string(&mut out).unwrap();
    out.split_whitespace()
        .nth(1)
        .and_then(|c| c.parse().ok())
        .unwrap_or(0)
}

#[test]
fn serve_takes_flags_then_environment_then_the_toml_file() {
    let env = Env::sqlite();
    let file = env.write(
        "probity.toml",
        b"addr = \"127.0.0.1:1\"\nlogin_per_minute = 1\n",
    );
    // The flag's address wins over the file's; the file's limit applies: the second attempt is refused.
    let (mut child, addr) = spawn_serve(
        &env,
        &["--config", file.to_str().unwrap(), "--addr", "127.0.0.1:0"],
        &[],
    );
    assert_eq!(login_status(&addr, "nobody"), 401);
    assert_eq!(login_status(&addr, "nobody"), 429);
    let _ = child.kill();
    let _ = child.wait();
    // The environment wins over the file.
    let (mut child, addr) = spawn_serve(
        &env,
        &["--config", file.to_str().unwrap(), "--addr", "127.0.0.1:0"],
        &[("PROBITY_LOGIN_PER_MINUTE", "3")],
    );
    for _ in 0..3 {
        assert_eq!(login_status(&addr, "nobody"), 401);
    }
    assert_eq!(login_status(&addr, "nobody"), 429);
    let _ = child.kill();
    let _ = child.wait();
    // A typo in the file is an error, not a silent default.
    let bad = env.write("bad.toml", b"login_per_minutes = 3\n");
    let o = env.run(&[
        "serve",
        "--config",
        bad.to_str().unwrap(),
        "--addr",
        "127.0.0.1:0",
    ]);
    assert_eq!(code(&o), 1);
    assert!(stderr(&o).contains("配置文件"), "{}", stderr(&o));
}

both!(reindex_builds_the_public_search_index, |env| {
    let (uscc, town) = setup(env);
    let dir = env.path("idx");
    let dir_arg = dir.display().to_string();
    let o = env.run(&["--index-dir", &dir_arg, "reindex"]);
    assert_eq!(code(&o), 0, "{}", stderr(&o));
    let out = stdout(&o);
    assert!(
        out.starts_with("索引已重建：") && out.contains("条公示记录"),
        "{out}"
    );
    // The index answers as `serve` would: the township by its code, first.
    let index = probity_search::SearchIndex::open(&dir, 20_000_000).unwrap();
    assert_eq!(
        index.indexed_seq().unwrap(),
        env.store().head_seq().unwrap(),
        "the index knows which change it reached"
    );
    let hits = index
        .search(
            &probity_search::SearchQuery {
                text: uscc.clone(),
                limit: 5,
                ..Default::default()
            },
            probity_app::today(),
        )
        .unwrap();
    assert!(
        matches!(&hits.hits[0], probity_search::Hit::Subject { name, .. } if *name == town),
        "{hits:?}"
    );
    drop(index);
    // Again: the same index, rebuilt, not doubled.
    let o = env.run(&["--index-dir", &dir_arg, "reindex"]);
    assert_eq!(code(&o), 0, "{}", stderr(&o));
    assert_eq!(stdout(&o).lines().count(), 1);
    let index = probity_search::SearchIndex::open(&dir, 20_000_000).unwrap();
    let again = index
        .search(
            &probity_search::SearchQuery {
                text: uscc,
                limit: 5,
                ..Default::default()
            },
            probity_app::today(),
        )
        .unwrap();
    assert_eq!(again.total, hits.total);
});
