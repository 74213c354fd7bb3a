//! `probity serve` and `/metrics`: 404 on the main address unless the metrics token is sent,
//! served without a token on `--metrics-addr`; from flags, environment or the TOML file.

use crate::common::{Env, serve};

use std::io::{Read, Write};

/// A port nobody listens on right now, for `--metrics-addr`.
fn free_addr() -> String {
    let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    l.local_addr().unwrap().to_string()
}

/// GET `path` on `addr`: the status code and the body. `serve` binds its metrics address just
/// after printing the main one, so a refused connection is tried again, a bounded number of times.
fn get(addr: &str, path: &str, bearer: Option<&str>) -> (u16, String) {
    let mut stream = None;
    for _ in 0..200 {
        match std::net::TcpStream::connect(addr) {
            Ok(s) => {
                stream = Some(s);
                break;
            }
            Err(_) => std::thread::sleep(std::time::Duration::from_millis(25)),
        }
    }
    let mut s = stream.unwrap_or_else(|| panic!("nothing listens on {addr}"));
    let auth = bearer
        .map(|t| format!("Authorization: Bearer {t}\r\n"))
        .unwrap_or_default();
    write!(
        s,
        "GET {path} HTTP/1.1\r\nHost: x\r\n{auth}Connection: close\r\n\r\n"
    )
    .unwrap();
    let mut out = String::new();
    s.read_to_string(&mut out).unwrap();
    let status = out
        .split_whitespace()
        .nth(1)
        .and_then(|c| c.parse().ok())
        .unwrap_or(0);
    (status, out)
}

#[test]
fn metrics_answer_only_the_token_or_their_own_address() {
    let env = Env::sqlite();
    // Nothing configured: 404 on the main address.
    let (child, addr) = serve(&env, &[], &[]);
    assert_eq!(get(&addr, "/healthz", None).0, 200);
    assert_eq!(get(&addr, "/metrics", None).0, 404);
    drop(child);

    // --metrics-addr: /metrics there, without a token; still 404 on the main address.
    let side = free_addr();
    let (child, addr) = serve(&env, &["--metrics-addr", &side], &[]);
    assert_eq!(get(&addr, "/healthz", None).0, 200);
    let (status, body) = get(&side, "/metrics", None);
    assert_eq!(status, 200, "{body}");
    assert!(body.contains(r#"route="/healthz""#), "{body}");
    assert_eq!(get(&addr, "/metrics", None).0, 404);
    assert_eq!(get(&side, "/healthz", None).0, 404);
    drop(child);

    // The token from the environment opens /metrics on the main address.
    let (child, addr) = serve(&env, &[], &[("PROBITY_METRICS_TOKEN", "env-token-2026")]);
    assert_eq!(get(&addr, "/metrics", None).0, 404);
    assert_eq!(get(&addr, "/metrics", Some("other")).0, 404);
    let (status, body) = get(&addr, "/metrics", Some("env-token-2026"));
    assert_eq!(status, 200, "{body}");
    assert!(body.contains("probity_http_requests_total"), "{body}");
    drop(child);

    // And both from the TOML file.
    let side = free_addr();
    let file = env.write(
        "probity.toml",
        format!("metrics_addr = \"{side}\"\nmetrics_token = \"file-token-2026\"\n").as_bytes(),
    );
    let (child, addr) = serve(&env, &["--config", file.to_str().unwrap()], &[]);
    assert_eq!(get(&addr, "/metrics", Some("file-token-2026")).0, 200);
    assert_eq!(get(&side, "/metrics", None).0, 200);
    drop(child);
}
