//! The notifications' mail from the command line: accounts get an e-mail address (`user add
//! --email`, `user contact --email`), `probity tick --smtp-url … --mail-from …` mails what the
//! notifications say to an SMTP listener the test starts (flags or environment), a server that
//! is down leaves them for the next run, and `serve` mails them too.

use std::time::Duration;

use probity_testkit::{SmtpServer, roster};

use super::*;
use crate::common::serve;

const FROM: &str = "政务诚信信息平台 <xyb@binhai.gov.cn>";

/// The roster, and the finance bureau's accounts: one with an address, one without.
fn setup(env: &Env) -> i64 {
    let store = env.store();
    roster::binhai(&store);
    let finance = store.find_unit("区财政局").unwrap().id;
    drop(store);
    let add = |name: &str, email: &str| {
        env.run(&[
            "user",
            "add",
            "--name",
            name,
            "--role",
            "provider",
            "--unit",
            "区财政局",
            "--email",
            email,
        ])
    };
    // A bad address is refused, in Chinese, and no account is made.
    let o = add("fin.bad", "fin.bad@binhai");
    assert_ne!(code(&o), 0);
    assert!(stderr(&o).contains("邮箱格式不正确"), "{}", stderr(&o));
    assert!(env.store().account_by_name("fin.bad").unwrap().is_none());
    let o = add("fin.one", "Fin.One@Binhai.gov.cn");
    assert_eq!(code(&o), 0, "{}", stderr(&o));
    let o = add("fin.none", "");
    assert_eq!(code(&o), 0, "{}", stderr(&o));
    let o = env.run(&["user", "list"]);
    assert!(
        stdout(&o).contains("\tFin.One@binhai.gov.cn\n"),
        "the address is the last column: {}",
        stdout(&o)
    );
    finance
}

fn notify(env: &Env, unit: i64, message: &str) {
    env.store()
        .write(|tx| tx.cases().notify(Some(unit), None, message))
        .unwrap();
}

both!(tick_mails_the_notifications, |env| {
    let finance = setup(env);
    let server = SmtpServer::start();
    let url = server.url();
    let tick = |extra: &[&str]| {
        let mut args = vec!["tick", "--today", "2026-03-05"];
        args.extend_from_slice(extra);
        env.run(&args)
    };
    // One setting without the other is refused before anything runs.
    let o = tick(&["--smtp-url", &url]);
    assert_eq!(code(&o), 1);
    assert!(stderr(&o).contains("还须设置发件人地址"), "{}", stderr(&o));
    let o = tick(&["--smtp-url", "http://127.0.0.1:25", "--mail-from", FROM]);
    assert_eq!(code(&o), 1);
    assert!(stderr(&o).contains("smtp://"), "{}", stderr(&o));

    // A notification from before the mail was first configured is not mailed.
    notify(env, finance, "旧通知：配置邮件之前");
    let o = tick(&["--smtp-url", &url, "--mail-from", FROM]);
    assert_eq!(code(&o), 0, "{}", stderr(&o));
    assert!(
        stdout(&o).contains("邮件通知：处理通知 0 条，发出邮件 0 封"),
        "{}",
        stdout(&o)
    );
    assert!(server.received().is_empty());

    // One from after is, to the account with an address, with the link to the portal.
    notify(env, finance, "整改已逾期（期限 2026年3月4日），请尽快办理");
    let o = env.run_env(
        &[
            "tick",
            "--today",
            "2026-03-05",
            "--public-url",
            "https://xy.binhai.gov.cn",
        ],
        &[("PROBITY_SMTP_URL", &url), ("PROBITY_MAIL_FROM", FROM)],
    );
    assert_eq!(code(&o), 0, "{}", stderr(&o));
    assert!(
        stdout(&o).contains("邮件通知：处理通知 1 条，发出邮件 1 封"),
        "{}",
        stdout(&o)
    );
    let got = server.received();
    assert_eq!(got.len(), 1);
    assert_eq!(got[0].to, ["Fin.One@binhai.gov.cn"]);
    assert_eq!(
        got[0].subject(),
        "【政务诚信信息平台】整改已逾期（期限 2026年3月4日）"
    );
    assert!(
        got[0]
            .text()
            .starts_with("整改已逾期（期限 2026年3月4日），请尽快办理\n"),
        "{}",
        got[0].text()
    );

    // The server goes down: the run succeeds, says so, and the next one delivers.
    let port = server.stop();
    notify(env, finance, "收到异议：请于 2026年3月19日 前答复");
    let o = tick(&["--smtp-url", &url, "--mail-from", FROM]);
    assert_eq!(code(&o), 0, "{}", stderr(&o));
    assert!(stderr(&o).contains("下次运行时重试"), "{}", stderr(&o));
    let server = SmtpServer::start_on(port);
    let o = tick(&["--smtp-url", &url, "--mail-from", FROM]);
    assert_eq!(code(&o), 0, "{}", stderr(&o));
    let got = server.received();
    assert_eq!(got.len(), 1, "{}", stdout(&o));
    assert_eq!(got[0].subject(), "【政务诚信信息平台】收到异议");

    // The address is changed, or removed, with the rest of the contact.
    let o = env.run(&[
        "user",
        "contact",
        "--user",
        "fin.none",
        "--real-name",
        "王芳",
        "--phone",
        "13812345678",
        "--email",
        "wang.fang@binhai.gov.cn",
    ]);
    assert_eq!(code(&o), 0, "{}", stderr(&o));
    assert!(
        stdout(&o).contains("邮箱 wang.fang@binhai.gov.cn"),
        "{}",
        stdout(&o)
    );
    let o = env.run(&[
        "user",
        "contact",
        "--user",
        "fin.none",
        "--real-name",
        "王芳",
        "--phone",
        "13812345678",
        "--email",
        "wang fang",
    ]);
    assert_ne!(code(&o), 0);
    let a = env.store().account_by_name("fin.none").unwrap().unwrap();
    assert_eq!(
        a.email, "wang.fang@binhai.gov.cn",
        "a refusal changes nothing"
    );
    let o = env.run(&[
        "user",
        "contact",
        "--user",
        "fin.none",
        "--real-name",
        "王芳",
        "--phone",
        "13812345678",
    ]);
    assert_eq!(code(&o), 0, "{}", stderr(&o));
    let a = env.store().account_by_name("fin.none").unwrap().unwrap();
    assert_eq!(a.email, "wang.fang@binhai.gov.cn", "left out, it stays");
    let o = env.run(&["audit", "verify"]);
    assert_eq!(code(&o), 0, "{}", stdout(&o));
});

both!(serve_mails_the_notifications, |env| {
    let finance = setup(env);
    let server = SmtpServer::start();
    let url = server.url();
    // Started by a tick, so that what is written before serve starts is mailed by it.
    let o = env.run(&["tick", "--smtp-url", &url, "--mail-from", FROM]);
    assert_eq!(code(&o), 0, "{}", stderr(&o));
    notify(env, finance, "收到投诉：请于 2026年3月19日 前办理");
    let (_serve, _addr) = serve(
        env,
        &[],
        &[("PROBITY_SMTP_URL", &url), ("PROBITY_MAIL_FROM", FROM)],
    );
    let got = server.wait_for(1, Duration::from_secs(20));
    assert_eq!(got.len(), 1);
    assert_eq!(got[0].to, ["Fin.One@binhai.gov.cn"]);
    assert_eq!(got[0].subject(), "【政务诚信信息平台】收到投诉");
});
