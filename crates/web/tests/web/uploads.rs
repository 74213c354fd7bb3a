//! The upload pages at their edges, against a real server on a loopback port, on SQLite and (when
//! PROBITY_TEST_PG is set) PostgreSQL: two clicks on 开始导入, a file whose name is the name of
//! the rejected-rows file, bodies past the limit with no declared length, a second file in one
//! form, a provider that is not in the roster, and axum's own errors put into Chinese.

use std::path::Path;

use probity_domain::account::AccountRole;
use probity_store::{RecordFilter, RecordOrder, Store};
use probity_testkit::browser::{BOUNDARY, Page, Part, between, multipart};
use probity_testkit::roster::{TOWN, uscc};
use probity_testkit::{Accounts, Options, Server, backends, roster};
use reqwest::StatusCode;

const UPLOAD_LIMIT: u64 = 256 * 1024;
const HEADER: &str =
    "主体名称,统一社会信用代码,记录类别,决定文书号,决定日期,决定机关,失信事实,处理结果";

/// A server on a loopback port, on the small roster, with a provider of 区财政局 (`u_provider`)
/// and a credit office administrator (`u_admin`), keeping its uploads in `upload_dir` so that a
/// test can see what is left there.
fn start(store: &Store, upload_dir: &Path) -> Server {
    roster::binhai(store);
    Accounts::create(store, "u", &[AccountRole::Provider, AccountRole::Admin]);
    let pages = probity_web::PagesConfig {
        upload_limit: UPLOAD_LIMIT,
        upload_dir: Some(upload_dir.to_path_buf()),
        ..Default::default()
    };
    let options = Options {
        pages,
        ..Default::default()
    };
    Server::start_with(store, options)
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
        let s = start(&b.store, dir.path());
        let mut provider = s.browser_of("u_provider");
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
        let s = start(&b.store, dir.path());
        let mut provider = s.browser_of("u_provider");
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
        let s = start(&b.store, dir.path());
        let mut provider = s.browser_of("u_provider");
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
        // Taken whole: stored in the database as a job (previewed from there, by any node), and
        // nothing of it left in the upload directory it was received in.
        let status = provider.follow(&p);
        assert!(
            status.body.contains("付款记录.csv"),
            "[{name}] {}",
            status.body
        );
        assert!(status.body.contains("开始导入"), "[{name}] {}", status.body);
        assert!(
            left_behind(dir.path()).is_empty(),
            "[{name}] {:?}",
            left_behind(dir.path())
        );
    }
}

#[test]
fn a_second_file_in_one_form_is_refused() {
    for b in backends("uploads") {
        let name = b.name;
        let dir = tempfile::tempdir().unwrap();
        let s = start(&b.store, dir.path());
        let mut provider = s.browser_of("u_provider");
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
        let s = start(&b.store, dir.path());
        let mut admin = s.browser_of("u_admin");
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
        let s = start(&b.store, dir.path());
        let mut admin = s.browser_of("u_admin");
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
        let s = start(&b.store, dir.path());
        let mut provider = s.browser_of("u_provider");
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
