//! `probity user …` and `probity token …` end to end: the binary, a real database (SQLite, and
//! PostgreSQL when PROBITY_TEST_PG is set), passwords on standard input, tokens on standard
//! output.

use chrono::Utc;
use probity_domain::ident::Uscc;

use crate::common::Env;
use crate::{code, stderr, stdout};

impl Env {
    /// A roster of one unit, 区法院.
    fn roster(&self) {
        let court = Uscc::from_parts('1', '1', "120116", "MB000002").unwrap();
        let csv = format!(
            "名称,简称,主体类型,统一社会信用代码,上级单位\n天津市滨海新区人民法院,区法院,部门,{},\n",
            court.as_str()
        );
        let path = self.dir.path().join("roster.csv");
        std::fs::write(&path, csv).unwrap();
        let o = self.run(&["subjects", "import", path.to_str().unwrap()]);
        assert_eq!(code(&o), 0, "{}{}", stdout(&o), stderr(&o));
    }
}

const PW: &str = "Binhai#2025x";

both!(user_add_from_stdin_then_token_issue_and_revoke, |env| {
    env.roster();
    let o = env.run_with(
        &[
            "user",
            "add",
            "--name",
            "court.reporter",
            "--role",
            "provider",
            "--unit",
            "区法院",
            "--password-stdin",
        ],
        Some(&format!("{PW}\r\n")),
    );
    assert_eq!(code(&o), 0, "{}", stderr(&o));
    let out = stdout(&o);
    assert!(
        out.contains("已创建账号 court.reporter（报送单位，天津市滨海新区人民法院）"),
        "{out}"
    );
    assert!(!out.contains(PW), "a password given on stdin is not echoed");

    let store = env.store();
    let account = store
        .login("court.reporter", PW, None, Utc::now())
        .expect("the stdin password logs in (line end stripped)");
    drop(store);

    let o = env.run(&[
        "token",
        "issue",
        "--user",
        "Court.Reporter",
        "--label",
        "报送系统",
    ]);
    assert_eq!(code(&o), 0, "{}", stderr(&o));
    let token = stdout(&o).trim().to_string();
    assert!(token.starts_with("pbt_") && token.len() == 68, "{token}");
    assert_eq!(stdout(&o).lines().count(), 1, "the token alone on stdout");
    assert!(stderr(&o).contains("只显示这一次"), "{}", stderr(&o));
    let store = env.store();
    assert_eq!(
        store
            .token_account(&token, Utc::now())
            .unwrap()
            .map(|a| a.id),
        Some(account.id)
    );
    drop(store);

    let o = env.run(&["token", "list"]);
    assert_eq!(code(&o), 0);
    assert!(
        stdout(&o).contains("court.reporter\t报送系统"),
        "{}",
        stdout(&o)
    );
    assert!(!stdout(&o).contains(&token));

    // Who holds it: both problems of a bad pair at once, then the pair taken.
    let o = env.run(&[
        "user",
        "contact",
        "--user",
        "court.reporter",
        "--real-name",
        "李",
        "--phone",
        "12345",
    ]);
    assert_ne!(code(&o), 0);
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(
        err.contains("姓名应为") && err.contains("联系电话应为"),
        "{err}"
    );
    let o = env.run(&[
        "user",
        "contact",
        "--user",
        "court.reporter",
        "--real-name",
        "李明",
        "--phone",
        "022 2345 6789",
    ]);
    assert_eq!(code(&o), 0, "{}", String::from_utf8_lossy(&o.stderr));
    let o = env.run(&["user", "list"]);
    assert_eq!(code(&o), 0);
    assert!(
        stdout(&o).contains("court.reporter\t李明\t022-23456789\t报送单位\t区法院"),
        "{}",
        stdout(&o)
    );

    let o = env.run(&["token", "revoke", "1"]);
    assert_eq!(code(&o), 0, "{}", stderr(&o));
    assert!(stdout(&o).contains("已吊销令牌 1"));
    assert!(
        env.store()
            .token_account(&token, Utc::now())
            .unwrap()
            .is_none()
    );
    let o = env.run(&["token", "revoke", "99"]);
    assert_eq!(code(&o), 1);
    assert!(stderr(&o).contains("令牌 99 不存在"), "{}", stderr(&o));

    let o = env.run(&["audit", "verify"]);
    assert_eq!(code(&o), 0, "{}{}", stdout(&o), stderr(&o));
});

both!(weak_password_is_refused_in_chinese, |env| {
    let o = env.run_with(
        &[
            "user",
            "add",
            "--name",
            "zhangsan",
            "--role",
            "hr",
            "--password-stdin",
        ],
        Some("zhangsan123\n"),
    );
    assert_eq!(code(&o), 1);
    let err = stderr(&o);
    assert!(err.contains("密码强度不足"), "{err}");
    assert!(
        err.contains("至少 3 类") && err.contains("不能包含账号名"),
        "{err}"
    );
    assert!(
        env.store().accounts().unwrap().is_empty(),
        "nothing created"
    );
});

both!(generated_password_is_printed_once_and_works, |env| {
    let o = env.run(&["user", "add", "--name", "sec1", "--role", "安全管理员"]);
    assert_eq!(code(&o), 0, "{}", stderr(&o));
    let out = stdout(&o);
    let pw = out
        .lines()
        .find_map(|l| l.strip_prefix("一次性密码："))
        .expect("the generated password is shown")
        .to_string();
    assert_eq!(pw.chars().count(), 16);
    assert!(
        out.contains("动态口令") && out.contains("必须先修改密码"),
        "{out}"
    );
    let a = env.store().login("sec1", &pw, None, Utc::now()).unwrap();
    assert!(a.totp_pending, "an administrator enrols a second factor");
    assert!(
        a.password_change_required,
        "after changing the one-time password"
    );
});

both!(the_operator_manages_accounts_at_the_machine, |env| {
    env.roster();
    let o = env.run_with(
        &[
            "user",
            "add",
            "--name",
            "clerk1",
            "--role",
            "provider",
            "--unit",
            "区法院",
            "--password-stdin",
        ],
        Some("Binhai#2025x\n"),
    );
    assert_eq!(code(&o), 0, "{}", stderr(&o));
    let o = env.run(&["user", "reset-password", "--user", "clerk1"]);
    assert_eq!(code(&o), 0, "{}", stderr(&o));
    let pw = stdout(&o)
        .lines()
        .find_map(|l| l.strip_prefix("一次性密码："))
        .expect("shown once")
        .to_string();
    assert!(
        env.store()
            .login("clerk1", &pw, None, Utc::now())
            .unwrap()
            .password_change_required
    );
    for args in [
        &["user", "disable", "--user", "clerk1"][..],
        &["user", "enable", "--user", "clerk1"],
        &["user", "unlock", "--user", "clerk1"],
    ] {
        let o = env.run(args);
        assert_eq!(code(&o), 0, "{args:?}: {}", stderr(&o));
    }
    // Not even the operator moves an account across the administrative line.
    let o = env.run(&["user", "role", "--user", "clerk1", "--role", "auditor"]);
    assert_eq!(code(&o), 1);
    assert!(stderr(&o).contains("三员分立"), "{}", stderr(&o));
    let o = env.run(&["user", "role", "--user", "clerk1", "--role", "hr"]);
    assert_eq!(code(&o), 0, "{}", stderr(&o));
    assert_eq!(
        env.store().account_by_name("clerk1").unwrap().unwrap().role,
        probity_domain::account::AccountRole::Hr
    );
});

both!(bad_input_exits_1_with_a_chinese_message, |env| {
    env.roster();
    let cases: &[(&[&str], Option<&str>, &str)] = &[
        (
            &["user", "add", "--name", "x1", "--role", "root"],
            None,
            "未知的角色",
        ),
        (
            &["user", "add", "--name", "p1", "--role", "provider"],
            None,
            "必须用 --unit 指定",
        ),
        (
            &[
                "user",
                "add",
                "--name",
                "p1",
                "--role",
                "unit",
                "--unit",
                "火星局",
            ],
            None,
            "不在主体名录中",
        ),
        (
            &[
                "user",
                "add",
                "--name",
                "a1",
                "--role",
                "admin",
                "--unit",
                "区法院",
            ],
            None,
            "不能绑定单位",
        ),
        (
            &["user", "add", "--name", "有 空格", "--role", "hr"],
            None,
            "账号名含有不允许的字符",
        ),
        (
            &[
                "user",
                "add",
                "--name",
                "h1",
                "--role",
                "hr",
                "--password-stdin",
            ],
            Some(""),
            "未从标准输入读到密码",
        ),
        (
            &["token", "issue", "--user", "nobody"],
            None,
            "账号“nobody”不存在",
        ),
    ];
    for (args, stdin, expected) in cases {
        let o = env.run_with(args, *stdin);
        assert_eq!(code(&o), 1, "{args:?}: {}", stdout(&o));
        assert!(stderr(&o).contains(expected), "{args:?}: {}", stderr(&o));
        assert!(stderr(&o).starts_with("错误："), "{}", stderr(&o));
    }
    // A duplicate name.
    let add = [
        "user",
        "add",
        "--name",
        "hr.one",
        "--role",
        "hr",
        "--password-stdin",
    ];
    assert_eq!(code(&env.run_with(&add, Some(PW))), 0);
    let o = env.run_with(&add, Some(PW));
    assert_eq!(code(&o), 1);
    assert!(stderr(&o).contains("已被使用"), "{}", stderr(&o));
    assert_eq!(env.store().accounts().unwrap().len(), 1);
});

// A token skips the second factor, so the credit office and the administrators get none.
both!(no_token_for_a_totp_account, |env| {
    for (name, role) in [("xinyongban", "admin"), ("sysadmin", "sysadmin")] {
        let o = env.run(&["user", "add", "--name", name, "--role", role]);
        assert_eq!(code(&o), 0, "{}", stderr(&o));
        let head = env.store().head_seq().unwrap();
        let o = env.run(&["token", "issue", "--user", name, "--label", "对接"]);
        assert_eq!(code(&o), 1, "{}", stdout(&o));
        assert!(stdout(&o).is_empty(), "no token printed: {}", stdout(&o));
        let err = stderr(&o);
        assert!(err.starts_with("错误："), "{err}");
        assert!(
            err.contains(&format!("账号“{name}”"))
                && err.contains("须用密码和动态口令登录，不能签发接口令牌")
                && err.contains("只签发给报送单位、被评价单位、组织人事部门账号"),
            "{err}"
        );
        let store = env.store();
        assert!(store.tokens(None).unwrap().is_empty(), "nothing stored");
        assert_eq!(store.head_seq().unwrap(), head, "nothing journaled");
    }
});
