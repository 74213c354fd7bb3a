//! The upload pages at their edges, against a real server on a loopback port, on SQLite and (when
//! PROBITY_TEST_PG is set) PostgreSQL: two clicks on 开始导入, a file whose name is the name of
//! the rejected-rows file, bodies past the limit with no declared length, a second file in one
//! form, a provider that is not in the roster, and axum's own errors put into Chinese.

mod common;
use common::backends;

use std::path::Path;

use probity_domain::account::AccountRole;
use probity_domain::subject::RosterRow;
use probity_store::{RecordFilter, RecordOrder, Store};
use reqwest::StatusCode;
use reqwest::blocking::Response;
use reqwest::header::{self, HeaderMap};

const TOWN: &str = "天津市滨海新区新河街道办事处";
const PASSWORD: &str = "Binhai-2026-pass";
const UPLOAD_LIMIT: u64 = 256 * 1024;
const HEADER: &str =
    "主体名称,统一社会信用代码,记录类别,决定文书号,决定日期,决定机关,失信事实,处理结果";

fn uscc(body: &str) -> String {
    probity_domain::ident::Uscc::from_parts('1', '1', "120116", body)
        .unwrap()
        .as_str()
        .to_string()
}

fn roster(store: &Store) {
    let rows = [
        ("天津市滨海新区人民政府", "区政府", "区政府", "WB000001", ""),
        (
            "天津市滨海新区财政局",
            "区财政局",
            "部门",
            "WB000003",
            "区政府",
        ),
        (TOWN, "新河街道", "街镇", "WB000004", "区政府"),
    ];
    let subjects = rows
        .iter()
        .enumerate()
        .map(|(i, (name, short, kind, body, parent))| {
            let r = RosterRow {
                name: name.to_string(),
                short_name: short.to_string(),
                kind: kind.to_string(),
                uscc: uscc(body),
                parent: parent.to_string(),
                ..Default::default()
            };
            (i + 2, r.validate(false).unwrap())
        })
        .collect();
    let report = store.import_roster(subjects, "test").unwrap();
    assert!(report.rejected.is_empty(), "{:?}", report.rejected);
}

fn enrol(store: &Store, name: &str) {
    let a = store.account_by_name(name).unwrap().unwrap();
    let e = store.begin_totp(a.id).unwrap();
    let code = totp_rs::Builder::new()
        .with_algorithm(totp_rs::Algorithm::SHA1)
        .with_digits(6)
        .with_step_duration(30)
        .with_skew(1)
        .with_secret(totp_rs::Secret::try_from_base32(&e.secret_base32).unwrap())
        .build()
        .unwrap()
        .generate_current()
        .to_string();
    store.confirm_totp(a.id, &code, chrono::Utc::now()).unwrap();
}

/// A server on a loopback port, on its own thread (the synchronous store must never run on an
/// async worker), with a provider of 区财政局 and a credit office administrator, keeping its
/// uploads in `upload_dir` so that a test can see what is left there.
struct Server {
    base: String,
    shutdown: Option<tokio::sync::oneshot::Sender<()>>,
    thread: Option<std::thread::JoinHandle<()>>,
}

impl Server {
    fn start(store: &Store, upload_dir: &Path) -> Server {
        roster(store);
        let finance = store.find_unit("区财政局").unwrap().id;
        store
            .create_account(
                "u_provider",
                AccountRole::Provider,
                Some(finance),
                PASSWORD,
                "test",
            )
            .unwrap();
        store
            .create_account("u_admin", AccountRole::Admin, None, PASSWORD, "test")
            .unwrap();
        enrol(store, "u_admin");
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        listener.set_nonblocking(true).unwrap();
        let base = format!("http://{}", listener.local_addr().unwrap());
        let (tx, rx) = tokio::sync::oneshot::channel::<()>();
        let store = store.clone();
        let upload_dir = upload_dir.to_path_buf();
        let thread = std::thread::spawn(move || {
            let rt = tokio::runtime::Runtime::new().unwrap();
            rt.block_on(async move {
                let listener = tokio::net::TcpListener::from_std(listener).unwrap();
                let pages = probity_web::PagesConfig {
                    upload_limit: UPLOAD_LIMIT,
                    upload_dir: Some(upload_dir),
                    ..Default::default()
                };
                let config = probity_web::WebConfig::default();
                probity_web::serve_with(store, config, pages, listener, async {
                    let _ = rx.await;
                })
                .await
                .unwrap();
            });
        });
        Server {
            base,
            shutdown: Some(tx),
            thread: Some(thread),
        }
    }

    /// A browser logged in as `name`, with a session made by the store.
    fn session(&self, store: &Store, name: &str) -> Browser {
        let a = store.account_by_name(name).unwrap().unwrap();
        let s = store
            .create_session(a.id, chrono::Duration::hours(1), chrono::Utc::now())
            .unwrap();
        Browser {
            base: self.base.clone(),
            client: reqwest::blocking::Client::builder()
                .redirect(reqwest::redirect::Policy::none())
                .build()
                .unwrap(),
            cookies: vec![("probity_session".into(), s.token)],
        }
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        if let Some(tx) = self.shutdown.take() {
            let _ = tx.send(());
        }
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
    }
}

/// A browser without JavaScript: keeps cookies, follows nothing by itself.
struct Browser {
    base: String,
    client: reqwest::blocking::Client,
    cookies: Vec<(String, String)>,
}

struct Page {
    status: StatusCode,
    headers: HeaderMap,
    body: String,
}

impl Page {
    fn location(&self) -> String {
        self.headers
            .get(header::LOCATION)
            .map(|v| v.to_str().unwrap().to_string())
            .unwrap_or_default()
    }

    /// The value of the first hidden `csrf` field.
    fn csrf(&self) -> String {
        between(&self.body, "name=\"csrf\" value=\"", "\"").unwrap_or_default()
    }

    /// The flash message a redirect sets.
    fn flash(&self) -> String {
        self.headers
            .get_all(header::SET_COOKIE)
            .iter()
            .filter_map(|c| c.to_str().ok()?.strip_prefix("probity_flash="))
            .filter_map(|c| hex::decode(c.split(';').next()?).ok())
            .map(|b| String::from_utf8(b).unwrap())
            .next()
            .unwrap_or_default()
    }

    /// The message of an error page.
    fn error(&self) -> String {
        between(&self.body, "<p class=\"error\">", "</p>").unwrap_or_default()
    }
}

fn between(s: &str, start: &str, end: &str) -> Option<String> {
    let i = s.find(start)? + start.len();
    let j = s[i..].find(end)? + i;
    Some(s[i..j].to_string())
}

fn urlencode(form: &[(&str, &str)]) -> String {
    let enc = |s: &str| {
        s.bytes()
            .map(|b| {
                if b.is_ascii_alphanumeric() || b"-._~".contains(&b) {
                    (b as char).to_string()
                } else {
                    format!("%{b:02X}")
                }
            })
            .collect::<String>()
    };
    form.iter()
        .map(|(k, v)| format!("{}={}", enc(k), enc(v)))
        .collect::<Vec<_>>()
        .join("&")
}

/// One part of a multipart form.
enum Part<'a> {
    Text(&'a str, &'a str),
    File(&'a str, &'a [u8]),
}

const BOUNDARY: &str = "----probity-uploads-boundary";

fn multipart(parts: &[Part]) -> Vec<u8> {
    let mut body = Vec::new();
    for part in parts {
        match part {
            Part::Text(k, v) => body.extend_from_slice(
                format!(
                    "--{BOUNDARY}\r\nContent-Disposition: form-data; name=\"{k}\"\r\n\r\n{v}\r\n"
                )
                .as_bytes(),
            ),
            Part::File(name, bytes) => {
                body.extend_from_slice(
                    format!(
                        "--{BOUNDARY}\r\nContent-Disposition: form-data; name=\"file\"; filename=\"{name}\"\r\nContent-Type: application/octet-stream\r\n\r\n"
                    )
                    .as_bytes(),
                );
                body.extend_from_slice(bytes);
                body.extend_from_slice(b"\r\n");
            }
        }
    }
    body.extend_from_slice(format!("--{BOUNDARY}--\r\n").as_bytes());
    body
}

impl Browser {
    fn cookie_header(&self) -> String {
        self.cookies
            .iter()
            .map(|(k, v)| format!("{k}={v}"))
            .collect::<Vec<_>>()
            .join("; ")
    }

    fn take(&mut self, res: Response) -> Page {
        let status = res.status();
        let headers = res.headers().clone();
        for c in headers.get_all(header::SET_COOKIE) {
            let c = c.to_str().unwrap();
            let (kv, _) = c.split_once(';').unwrap_or((c, ""));
            let (k, v) = kv.split_once('=').unwrap();
            self.cookies.retain(|(n, _)| n != k);
            if !c.contains("Max-Age=0") {
                self.cookies.push((k.to_string(), v.to_string()));
            }
        }
        Page {
            status,
            headers,
            body: res.text().unwrap_or_default(),
        }
    }

    fn request(&self, method: reqwest::Method, path: &str) -> reqwest::blocking::RequestBuilder {
        self.client
            .request(method, format!("{}{path}", self.base))
            .header(header::ACCEPT, "text/html,application/xhtml+xml")
            .header(header::COOKIE, self.cookie_header())
    }

    fn get(&mut self, path: &str) -> Page {
        let res = self.request(reqwest::Method::GET, path).send().unwrap();
        self.take(res)
    }

    fn form(&self, path: &str, form: &[(&str, &str)]) -> reqwest::blocking::RequestBuilder {
        self.request(reqwest::Method::POST, path)
            .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
            .body(urlencode(form))
    }

    fn post(&mut self, path: &str, form: &[(&str, &str)]) -> Page {
        let res = self.form(path, form).send().unwrap();
        self.take(res)
    }

    /// Posts a multipart body; `chunked` sends it without a Content-Length, as a stream.
    fn post_multipart(&mut self, path: &str, body: Vec<u8>, chunked: bool) -> Page {
        if chunked {
            return self.post_chunked(path, &body);
        }
        let res = self
            .request(reqwest::Method::POST, path)
            .header(
                header::CONTENT_TYPE,
                format!("multipart/form-data; boundary={BOUNDARY}"),
            )
            .body(body)
            .send()
            .unwrap();
        self.take(res)
    }

    /// A chunked multipart post over a bare socket. reqwest's blocking client reports an error,
    /// not the answer, when the server answers before the body is all sent, which is what a
    /// refusal while streaming does; a browser reads the answer, and so does this.
    fn post_chunked(&mut self, path: &str, body: &[u8]) -> Page {
        use std::io::{Read, Write};
        let host = self.base.trim_start_matches("http://").to_string();
        let mut stream = std::net::TcpStream::connect(&host).unwrap();
        stream
            .set_read_timeout(Some(std::time::Duration::from_secs(30)))
            .unwrap();
        let head = format!(
            "POST {path} HTTP/1.1\r\nHost: {host}\r\nAccept: text/html\r\nCookie: {}\r\nContent-Type: multipart/form-data; boundary={BOUNDARY}\r\nTransfer-Encoding: chunked\r\nConnection: close\r\n\r\n",
            self.cookie_header()
        );
        let mut writer = stream.try_clone().unwrap();
        let mut wire = head.into_bytes();
        for chunk in body.chunks(16 * 1024) {
            wire.extend_from_slice(format!("{:x}\r\n", chunk.len()).as_bytes());
            wire.extend_from_slice(chunk);
            wire.extend_from_slice(b"\r\n");
        }
        wire.extend_from_slice(b"0\r\n\r\n");
        // The server may stop reading and close: the writer's failure is expected then.
        let sending = std::thread::spawn(move || {
            let _ = writer.write_all(&wire);
        });
        let mut raw = Vec::new();
        let mut buf = [0u8; 16 * 1024];
        loop {
            match stream.read(&mut buf) {
                Ok(0) | Err(_) => break,
                Ok(n) => raw.extend_from_slice(&buf[..n]),
            }
        }
        let _ = stream.shutdown(std::net::Shutdown::Both);
        sending.join().unwrap();
        let split = raw
            .windows(4)
            .position(|w| w == b"\r\n\r\n")
            .unwrap_or_else(|| panic!("no answer: {:?}", String::from_utf8_lossy(&raw)));
        let head = String::from_utf8_lossy(&raw[..split]).into_owned();
        let mut lines = head.split("\r\n");
        let status: u16 = lines
            .next()
            .unwrap()
            .split(' ')
            .nth(1)
            .unwrap()
            .parse()
            .unwrap();
        let mut headers = HeaderMap::new();
        for line in lines {
            let (k, v) = line.split_once(':').unwrap();
            headers.append(
                header::HeaderName::from_bytes(k.trim().as_bytes()).unwrap(),
                v.trim().parse().unwrap(),
            );
        }
        assert!(
            !headers.contains_key(header::TRANSFER_ENCODING),
            "a page has a length"
        );
        let page = Page {
            status: StatusCode::from_u16(status).unwrap(),
            body: String::from_utf8_lossy(&raw[split + 4..]).into_owned(),
            headers,
        };
        for c in page.headers.get_all(header::SET_COOKIE) {
            let c = c.to_str().unwrap();
            let (kv, _) = c.split_once(';').unwrap_or((c, ""));
            let (k, v) = kv.split_once('=').unwrap();
            self.cookies.retain(|(n, _)| n != k);
            if !c.contains("Max-Age=0") {
                self.cookies.push((k.to_string(), v.to_string()));
            }
        }
        page
    }

    /// Uploads one file with the upload page's CSRF token (and `fields` after it).
    fn upload(&mut self, fields: &[(&str, &str)], file: (&str, &[u8])) -> Page {
        let csrf = self.get("/console/upload").csrf();
        let mut parts = vec![Part::Text("csrf", &csrf)];
        parts.extend(fields.iter().map(|(k, v)| Part::Text(k, v)));
        parts.push(Part::File(file.0, file.1));
        self.post_multipart("/console/upload", multipart(&parts), false)
    }

    /// Follows a 303 and returns the page it leads to.
    fn follow(&mut self, p: &Page) -> Page {
        assert_eq!(p.status, StatusCode::SEE_OTHER, "{}", p.body);
        let to = p.location();
        self.get(&to)
    }

    /// The status page once the import has finished.
    fn finished(&mut self, status_url: &str) -> Page {
        for _ in 0..200 {
            let page = self.get(status_url);
            if !page.body.contains("正在导入") {
                return page;
            }
            std::thread::sleep(std::time::Duration::from_millis(50));
        }
        panic!("the import of {status_url} did not finish");
    }
}

/// Rows of the records file, one per document number: valid ones, against 新河街道.
fn records_csv(document_nos: &[String]) -> String {
    let town = uscc("WB000004");
    let mut csv = format!("{HEADER}\n");
    for (i, no) in document_nos.iter().enumerate() {
        csv.push_str(&format!(
            "{TOWN},{town},PAYMENT_ARREARS,{no},2025-05-{:02},天津市滨海新区财政局,逾期付款,责令支付\n",
            i + 1
        ));
    }
    csv
}

fn records(store: &Store) -> Vec<probity_store::StoredRecord> {
    store
        .list_records(&RecordFilter::default(), RecordOrder::Newest, None, 500)
        .unwrap()
}

/// What is left in the upload directory.
fn left_behind(dir: &Path) -> Vec<String> {
    std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect()
}

#[test]
fn two_clicks_on_start_import_start_one_import() {
    for b in backends("uploads") {
        let name = b.name;
        let dir = tempfile::tempdir().unwrap();
        let s = Server::start(&b.store, dir.path());
        let mut provider = s.session(&b.store, "u_provider");
        // Several rounds: each one a chance for the two clicks to meet.
        let rounds = 8;
        for round in 0..rounds {
            let nos: Vec<String> = (1..=3)
                .map(|i| format!("津滨财〔2025〕{round}0{i}号"))
                .collect();
            let csv = records_csv(&nos);
            let p = provider.upload(&[], ("付款记录.csv", csv.as_bytes()));
            let status_url = p.location();
            let page = provider.follow(&p);
            assert!(page.body.contains("开始导入"), "[{name}] {}", page.body);
            let csrf = page.csrf();
            let import_url = format!("{status_url}/import");
            let clicks = std::sync::Barrier::new(2);
            let answers: Vec<Page> = std::thread::scope(|scope| {
                let handles: Vec<_> = (0..2)
                    .map(|_| {
                        let (provider, clicks) = (&provider, &clicks);
                        let req = provider.form(&import_url, &[("csrf", &csrf)]);
                        scope.spawn(move || {
                            clicks.wait();
                            let res = req.send().unwrap();
                            Page {
                                status: res.status(),
                                headers: res.headers().clone(),
                                body: res.text().unwrap_or_default(),
                            }
                        })
                    })
                    .collect();
                handles.into_iter().map(|h| h.join().unwrap()).collect()
            });
            for a in &answers {
                assert_eq!(a.status, StatusCode::SEE_OTHER, "[{name}] {}", a.body);
                assert_eq!(a.location(), status_url);
            }
            // One click starts the import; the other finds it running (or, if it comes late,
            // already done).
            let mut flashes: Vec<String> = answers.iter().map(Page::flash).collect();
            flashes.sort();
            assert!(
                flashes[0].starts_with("已开始导入") && flashes[1].contains("未重复导入"),
                "[{name}] round {round}: {flashes:?}"
            );
            let page = provider.finished(&status_url);
            assert!(
                page.body.contains("接收 3 条，重复 0 条") && page.body.contains("退回 0 行"),
                "[{name}] round {round}: {}",
                page.body
            );
            // A click after the import is answered the same way, and imports nothing.
            let p = provider.post(&import_url, &[("csrf", &csrf)]);
            assert_eq!(p.location(), status_url);
            assert!(p.flash().contains("已导入，未重复导入"), "{}", p.flash());
        }
        assert_eq!(records(&b.store).len(), 3 * rounds, "[{name}]");
        let list = provider.get("/console/upload");
        assert_eq!(
            list.body.matches("已完成：接收 3，重复 0，退回 0").count(),
            rounds,
            "[{name}] {}",
            list.body
        );
    }
}

#[test]
fn a_file_named_errors_xlsx_keeps_its_rejected_rows() {
    for b in backends("uploads") {
        let name = b.name;
        let dir = tempfile::tempdir().unwrap();
        let s = Server::start(&b.store, dir.path());
        let mut provider = s.session(&b.store, "u_provider");
        // An Excel file of one good row and one of an unknown category, called errors.xlsx.
        let town = uscc("WB000004");
        let file_dir = tempfile::tempdir().unwrap();
        let path = file_dir.path().join("errors.xlsx");
        let headers: Vec<(&str, &str)> = HEADER.split(',').map(|h| (h, h)).collect();
        let mut w =
            probity_ingest::TableWriter::create(&path, probity_ingest::Format::Xlsx, &headers)
                .unwrap();
        for (category, no) in [
            ("PAYMENT_ARREARS", "津滨财〔2025〕31号"),
            ("不存在的类别", "津滨财〔2025〕32号"),
        ] {
            w.write_row(&[
                TOWN,
                &town,
                category,
                no,
                "2025-05-01",
                "天津市滨海新区财政局",
                "逾期付款",
                "责令支付",
            ])
            .unwrap();
        }
        w.finish().unwrap();
        let bytes = std::fs::read(&path).unwrap();

        let p = provider.upload(&[], ("errors.xlsx", &bytes));
        assert_eq!(p.status, StatusCode::SEE_OTHER, "[{name}] {}", p.body);
        let status_url = p.location();
        let page = provider.follow(&p);
        assert!(
            page.body.contains("前 10 行预览") && page.body.contains("津滨财〔2025〕32号"),
            "[{name}] {}",
            page.body
        );
        let p = provider.post(&format!("{status_url}/import"), &[("csrf", &page.csrf())]);
        assert_eq!(p.status, StatusCode::SEE_OTHER, "[{name}] {}", p.body);
        let page = provider.finished(&status_url);
        assert!(
            page.body.contains("接收 1 条") && page.body.contains("退回 1 行"),
            "[{name}] {}",
            page.body
        );
        assert!(
            page.body.contains("不存在的类别"),
            "the rejected row is listed: {}",
            page.body
        );

        let res = provider
            .request(reqwest::Method::GET, &format!("{status_url}/errors.xlsx"))
            .send()
            .unwrap();
        assert_eq!(res.status(), StatusCode::OK, "[{name}]");
        let back = file_dir.path().join("back.xlsx");
        std::fs::write(&back, res.bytes().unwrap()).unwrap();
        let rows: Vec<_> = probity_ingest::TableReader::open(&back, probity_app::columns::RECORDS)
            .unwrap()
            .map(Result::unwrap)
            .collect();
        assert_eq!(rows.len(), 1, "[{name}]");
        assert!(
            rows[0].cells.iter().any(|c| c == "津滨财〔2025〕32号"),
            "{:?}",
            rows[0].cells
        );
        // The accepted record names the file it came from.
        let stored = records(&b.store);
        assert_eq!(stored.len(), 1, "[{name}]");
        assert_eq!(stored[0].source, "errors.xlsx");
    }
}

#[test]
fn bodies_past_the_limit_are_refused_while_streaming_and_leave_nothing() {
    for b in backends("uploads") {
        let name = b.name;
        let dir = tempfile::tempdir().unwrap();
        let s = Server::start(&b.store, dir.path());
        let mut provider = s.session(&b.store, "u_provider");
        let csv = records_csv(&["津滨财〔2025〕41号".to_string()]);
        let limit = UPLOAD_LIMIT as usize;
        let nearly_full = vec![b'x'; limit - 10 * 1024];
        let small_field = "b".repeat(3 * 1024);
        let huge_field = "c".repeat(limit + 100 * 1024);
        let big_file = vec![b'x'; limit + 1];

        let csrf = provider.get("/console/upload").csrf();
        let cases: Vec<(&str, Vec<Part>, &str)> = vec![
            (
                "fields and a file each within the limit, past it together",
                std::iter::once(Part::Text("csrf", &csrf))
                    .chain((0..30).map(|_| Part::Text("note", &small_field)))
                    .chain(std::iter::once(Part::File("付款记录.csv", &nearly_full)))
                    .collect(),
                "过大",
            ),
            (
                "many small fields past the limit together",
                std::iter::once(Part::Text("csrf", &csrf))
                    .chain((0..150).map(|_| Part::Text("note", &small_field)))
                    .chain(std::iter::once(Part::File("付款记录.csv", csv.as_bytes())))
                    .collect(),
                "过大",
            ),
            (
                "a file past the limit",
                vec![
                    Part::Text("csrf", &csrf),
                    Part::File("付款记录.csv", &big_file),
                ],
                "过大",
            ),
            (
                "a text field longer than a form field may be",
                vec![
                    Part::Text("csrf", &csrf),
                    Part::Text("note", &huge_field),
                    Part::File("付款记录.csv", csv.as_bytes()),
                ],
                "表单内容过长",
            ),
        ];
        for (what, parts, says) in cases {
            let p = provider.post_multipart("/console/upload", multipart(&parts), true);
            assert_eq!(
                p.status,
                StatusCode::PAYLOAD_TOO_LARGE,
                "[{name}] {what}: {}",
                p.body
            );
            assert!(p.error().contains(says), "[{name}] {what}: {}", p.body);
            assert!(
                left_behind(dir.path()).is_empty(),
                "[{name}] {what}: {:?}",
                left_behind(dir.path())
            );
        }
        let list = provider.get("/console/upload");
        assert!(!list.body.contains("最近上传"), "[{name}] {}", list.body);

        // Within the limit, the same stream is taken.
        let parts = [
            Part::Text("csrf", &csrf),
            Part::Text("note", &small_field),
            Part::File("付款记录.csv", csv.as_bytes()),
        ];
        let p = provider.post_multipart("/console/upload", multipart(&parts), true);
        assert_eq!(p.status, StatusCode::SEE_OTHER, "[{name}] {}", p.body);
        assert_eq!(left_behind(dir.path()).len(), 1);
    }
}

#[test]
fn a_second_file_in_one_form_is_refused() {
    for b in backends("uploads") {
        let name = b.name;
        let dir = tempfile::tempdir().unwrap();
        let s = Server::start(&b.store, dir.path());
        let mut provider = s.session(&b.store, "u_provider");
        let first = records_csv(&["津滨财〔2025〕51号".to_string()]);
        let second = records_csv(&["津滨财〔2025〕52号".to_string()]);
        let csrf = provider.get("/console/upload").csrf();
        for chunked in [false, true] {
            let parts = [
                Part::Text("csrf", &csrf),
                Part::File("一.csv", first.as_bytes()),
                Part::File("二.csv", second.as_bytes()),
            ];
            let p = provider.post_multipart("/console/upload", multipart(&parts), chunked);
            assert_eq!(
                p.status,
                StatusCode::UNPROCESSABLE_ENTITY,
                "[{name}] {}",
                p.body
            );
            assert!(
                p.error().contains("一次只能上传一个文件"),
                "[{name}] {}",
                p.body
            );
            assert!(left_behind(dir.path()).is_empty(), "[{name}]");
        }
        let list = provider.get("/console/upload");
        assert!(!list.body.contains("最近上传"), "[{name}] {}", list.body);
    }
}

#[test]
fn the_credit_office_names_a_provider_in_the_roster_or_nothing_is_kept() {
    for b in backends("uploads") {
        let name = b.name;
        let dir = tempfile::tempdir().unwrap();
        let s = Server::start(&b.store, dir.path());
        let mut admin = s.session(&b.store, "u_admin");
        let csv = records_csv(&["津滨财〔2025〕61号".to_string()]);

        let p = admin.upload(
            &[("provider", "不存在的单位")],
            ("付款记录.csv", csv.as_bytes()),
        );
        assert_eq!(
            p.status,
            StatusCode::UNPROCESSABLE_ENTITY,
            "[{name}] {}",
            p.body
        );
        let inline = between(&p.body, "id=\"err-provider\">", "</span>").unwrap_or_default();
        assert!(inline.contains("不在主体名录中"), "[{name}] {}", p.body);
        assert!(
            p.body.contains("value=\"不存在的单位\""),
            "the name is kept"
        );
        assert!(p.body.contains("文件未保存"), "{}", p.body);
        assert!(left_behind(dir.path()).is_empty(), "[{name}]");

        let p = admin.upload(&[("provider", " ")], ("付款记录.csv", csv.as_bytes()));
        assert_eq!(p.status, StatusCode::UNPROCESSABLE_ENTITY, "[{name}]");
        assert!(p.body.contains("请填写报送单位"), "{}", p.body);
        assert!(left_behind(dir.path()).is_empty(), "[{name}]");
        assert!(!admin.get("/console/upload").body.contains("最近上传"));

        let p = admin.upload(
            &[("provider", "区财政局")],
            ("付款记录.csv", csv.as_bytes()),
        );
        assert_eq!(p.status, StatusCode::SEE_OTHER, "[{name}] {}", p.body);
        let status_url = p.location();
        let page = admin.follow(&p);
        let p = admin.post(&format!("{status_url}/import"), &[("csrf", &page.csrf())]);
        assert!(p.flash().starts_with("已开始导入"), "{}", p.flash());
        let page = admin.finished(&status_url);
        assert!(page.body.contains("接收 1 条"), "[{name}] {}", page.body);
        let stored = records(&b.store);
        assert_eq!(stored.len(), 1);
        assert_eq!(
            stored[0].provider_id,
            b.store.find_unit("区财政局").unwrap().id
        );
    }
}

#[test]
fn a_roster_upload_reads_the_same_in_the_list_and_on_its_page() {
    for b in backends("uploads") {
        let name = b.name;
        let dir = tempfile::tempdir().unwrap();
        let s = Server::start(&b.store, dir.path());
        let mut admin = s.session(&b.store, "u_admin");
        let roster = format!(
            "名称,简称,主体类型,统一社会信用代码,上级单位\n天津市滨海新区泰达街道办事处,泰达街道,街镇,{},区政府\n坏单位,,部门,123,区政府\n",
            uscc("WB000006")
        );
        let csrf = admin.get("/console/subjects").csrf();
        let parts = [
            Part::Text("csrf", &csrf),
            Part::File("名录.csv", roster.as_bytes()),
        ];
        let p = admin.post_multipart("/console/subjects/import", multipart(&parts), false);
        let page = admin.follow(&p);
        assert!(
            page.body.contains("新增 1 个主体") && page.body.contains("退回 1 行"),
            "[{name}] {}",
            page.body
        );
        let list = admin.get("/console/upload");
        assert!(
            list.body.contains("已完成：新增 1，更新 0，未变 0，退回 1"),
            "[{name}] {}",
            list.body
        );
        assert!(!list.body.contains("接收"), "[{name}] {}", list.body);
    }
}

#[test]
fn unreadable_uploads_are_answered_in_chinese() {
    for b in backends("uploads") {
        let name = b.name;
        let dir = tempfile::tempdir().unwrap();
        let s = Server::start(&b.store, dir.path());
        let mut provider = s.session(&b.store, "u_provider");
        let csrf = provider.get("/console/upload").csrf();

        // Not a multipart form at all.
        let p = provider.post("/console/upload", &[("csrf", &csrf)]);
        // A multipart body that stops in the middle of a field.
        let cut = format!(
            "--{BOUNDARY}\r\nContent-Disposition: form-data; name=\"csrf\"\r\n\r\n{csrf}\r\n--{BOUNDARY}\r\nContent-Disposition: form-data; name=\"file\"; filename=\"a.csv\"\r\n\r\n{HEADER}\n"
        );
        let q = provider.post_multipart("/console/upload", cut.into_bytes(), false);
        for p in [p, q] {
            assert_eq!(p.status, StatusCode::BAD_REQUEST, "[{name}] {}", p.body);
            let message = p.error();
            assert!(
                message.starts_with("上传内容无法读取")
                    && !message.contains(|c: char| c.is_ascii_alphabetic()),
                "[{name}] a Chinese message: {}",
                p.body
            );
        }
        assert!(left_behind(dir.path()).is_empty(), "[{name}]");
    }
}
