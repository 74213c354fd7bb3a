//! Two `probity serve` nodes on one database, as behind a load balancer without sticky sessions:
//! a file uploaded through node A is previewed, imported and reported through node B after node A
//! stopped, and node A, started again, shows the same. The upload lives in the database (a job),
//! not in node A's memory or disk.

use probity_testkit::browser::Browser;

use super::{HEADER, row, setup};
use crate::common::{Env, serve};

both!(
    an_upload_through_one_node_is_imported_and_reported_through_another,
    |env| {
        let (uscc, name) = setup(env);
        // Each node keeps its own search index (derived data, caught up from the database).
        let (idx_a, idx_b) = (env.path("index-a"), env.path("index-b"));
        let (node_a, addr_a) = serve(env, &["--index-dir", idx_a.to_str().unwrap()], &[]);
        let (_b, addr_b) = serve(env, &["--index-dir", idx_b.to_str().unwrap()], &[]);
        assert_ne!(addr_a, addr_b);

        let mut a = Browser::new(&format!("http://{addr_a}"));
        let p = a.log_in("caizhengju", probity_app::demo::DEMO_PASSWORD);
        assert_eq!(p.status.as_u16(), 303, "{}", p.body);
        let csv = [
            HEADER.to_string(),
            row(
                &name,
                &uscc,
                "津滨财〔2026〕两节点1号",
                "2026-03-05",
                "PAYMENT_ARREARS",
            ),
            row(
                &name,
                &uscc,
                "津滨财〔2026〕两节点2号",
                "2026-03-06",
                "PAYMENT_ARREARS",
            ),
            row(
                &name,
                &uscc,
                "津滨财〔2026〕两节点3号",
                "2026-13-06",
                "PAYMENT_ARREARS",
            ),
        ]
        .join("\n");
        let uploaded = a.upload(&[], ("两节点.csv", csv.as_bytes()));
        assert_eq!(uploaded.status.as_u16(), 303, "{}", uploaded.body);
        let status_url = uploaded.location();
        assert!(status_url.starts_with("/console/upload/"), "{status_url}");

        // Node A stops: what it received is not lost with it.
        drop(node_a);

        // The same session on node B: the preview is there.
        let mut b = a.at(&format!("http://{addr_b}"));
        let preview = b.get(&status_url);
        assert_eq!(preview.status.as_u16(), 200, "{}", preview.body);
        assert!(preview.body.contains("两节点.csv"), "{}", preview.body);
        assert!(
            preview.body.contains("津滨财〔2026〕两节点2号"),
            "{}",
            preview.body
        );

        // Started through node B, finished through node B.
        let started = b.post(
            &format!("{status_url}/import"),
            &[("csrf", &preview.csrf())],
        );
        assert_eq!(started.status.as_u16(), 303, "{}", started.body);
        let done = b.finished(&status_url);
        assert!(
            done.body
                .contains("导入完成：接收 2 条，重复 0 条（未重复入库），退回 1 行"),
            "{}",
            done.body
        );
        assert!(
            done.body.contains("2026-13-06"),
            "the rejected row is shown: {}",
            done.body
        );
        let errors = b.get(&format!("{status_url}/errors.xlsx"));
        assert_eq!(errors.status.as_u16(), 200);

        // Node A, started again, reports the same, and a second start there imports nothing.
        let (_a, addr_a) = serve(env, &["--index-dir", idx_a.to_str().unwrap()], &[]);
        let mut a = a.at(&format!("http://{addr_a}"));
        let on_a = a.get(&status_url);
        assert!(on_a.body.contains("导入完成：接收 2 条"), "{}", on_a.body);
        let again = a.post(&format!("{status_url}/import"), &[("csrf", &on_a.csrf())]);
        assert_eq!(again.flash(), "该文件已导入，未重复导入");

        // The records are in the database, read through node B's API.
        let listed = b.get("/api/v1/records?document_no=津滨财〔2026〕两节点1号");
        assert!(
            listed.body.contains("津滨财〔2026〕两节点1号"),
            "{}",
            listed.body
        );
        assert!(env.store().verify().unwrap().problem.is_none());
    }
);
