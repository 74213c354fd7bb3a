//! `probity user …` and `probity token …`: accounts and API tokens from the command line, for
//! the first administrators and for system-to-system clients.

use std::io::{BufRead, Read};

use anyhow::{Context, bail};
use chrono::{DateTime, Utc};
use probity_app::App;
use probity_app::accounts::{self as uc, Change};
use probity_domain::account::AccountRole;
use probity_store::Account;

/// The longest password line read from standard input.
const MAX_STDIN_PASSWORD: usize = 4096;

/// A time as officials read it: Beijing time, to the minute.
fn local(t: DateTime<Utc>) -> String {
    probity_domain::date::beijing_minute(t)
}

/// Reads the password from the first line of standard input (the line end is not part of it).
fn password_from_stdin() -> anyhow::Result<String> {
    let mut line = Vec::new();
    std::io::stdin()
        .lock()
        .take(MAX_STDIN_PASSWORD as u64 + 2)
        .read_until(b'\n', &mut line)
        .context("无法从标准输入读取密码")?;
    while line.last().is_some_and(|b| *b == b'\n' || *b == b'\r') {
        line.pop();
    }
    if line.len() > MAX_STDIN_PASSWORD {
        bail!("标准输入中的密码过长（超过 {MAX_STDIN_PASSWORD} 字节）");
    }
    let pw = String::from_utf8(line)
        .map_err(|_| anyhow::anyhow!("标准输入中的密码不是有效的 UTF-8 文本"))?;
    if pw.is_empty() {
        bail!(
            "未从标准输入读到密码：请用管道或重定向提供，例如 `echo '…' | probity user add … --password-stdin`"
        );
    }
    Ok(pw)
}

pub fn user_add(
    app: &App,
    new: &uc::NewAccount,
    role: &str,
    unit: Option<&str>,
    password_stdin: bool,
    actor: &str,
) -> anyhow::Result<()> {
    let role = AccountRole::parse(role)?;
    if role.needs_unit() && unit.map(str::trim).is_none_or(str::is_empty) {
        bail!(
            "{}账号必须用 --unit 指定所属单位（简称、全称或统一社会信用代码）",
            role.label()
        );
    }
    let given = if password_stdin {
        Some(password_from_stdin()?)
    } else {
        None
    };
    let (account, unit, one_time) =
        uc::create_with_role(app, actor, new, role, unit, given.as_deref())?;
    let (password, generated) = match one_time {
        Some(pw) => (pw, true),
        None => (String::new(), false),
    };
    let unit_text = unit.map(|u| format!("，{}", u.name)).unwrap_or_default();
    println!(
        "已创建账号 {}（{}{}），编号 {}",
        account.name,
        role.label(),
        unit_text,
        account.id
    );
    if generated {
        println!("一次性密码：{password}");
        println!("（密码只显示这一次，请当面或以安全方式转交本人；本人首次登录时必须先修改密码）");
    }
    if role.requires_totp() {
        println!("该角色登录须使用动态口令：首次登录后请按提示用身份验证器绑定");
    }
    Ok(())
}

pub fn user_contact(
    app: &App,
    user: &str,
    real_name: &str,
    phone: &str,
    email: Option<&str>,
    actor: &str,
) -> anyhow::Result<()> {
    let account = account_named(app, user)?;
    let a = uc::edit_contact(app, actor, account.id, real_name, phone, email)?;
    let email = if a.email.is_empty() {
        "未登记邮箱".to_string()
    } else {
        format!("邮箱 {}", a.email)
    };
    println!(
        "已更新账号 {} 的信息：{}，{}，{email}",
        a.name, a.real_name, a.phone
    );
    Ok(())
}

fn status(a: &Account) -> String {
    let mut s = Vec::new();
    if a.disabled {
        s.push("已停用");
    }
    if a.password_change_required {
        s.push("待修改一次性密码");
    }
    if a.totp_enabled {
        s.push("已启用动态口令");
    } else if a.totp_pending {
        s.push("待绑定动态口令");
    }
    if s.is_empty() {
        "正常".into()
    } else {
        s.join("、")
    }
}

pub fn user_list(app: &App) -> anyhow::Result<()> {
    let uc::Overview {
        accounts, units, ..
    } = uc::overview(app)?;
    let unit_name = |id: Option<i64>| {
        id.and_then(|i| units.get(&i))
            .map(|s| s.short_name.clone().unwrap_or_else(|| s.name.clone()))
            .unwrap_or_default()
    };
    if accounts.is_empty() {
        eprintln!("尚无账号；用 `probity user add` 创建");
    }
    for a in accounts {
        println!(
            "{}\t{}\t{}\t{}\t{}\t{}\t{}\t{}\t{}\t{}",
            a.id,
            a.name,
            a.real_name,
            a.phone,
            a.role.label(),
            unit_name(a.unit_id),
            status(&a),
            a.last_login_at
                .map(local)
                .unwrap_or_else(|| "从未登录".into()),
            local(a.created_at),
            // Last, so that scripts reading the columns before it read them as before.
            a.email,
        );
    }
    Ok(())
}

fn account_named(app: &App, name: &str) -> anyhow::Result<Account> {
    Ok(uc::named(app, name)?)
}

pub fn token_issue(app: &App, user: &str, label: &str, actor: &str) -> anyhow::Result<()> {
    let account = account_named(app, user)?;
    let (token, plain) = uc::issue_token(app, actor, account.id, label)?;
    // The token alone on standard output, so that scripts can capture it.
    println!("{plain}");
    eprintln!(
        "已为账号 {} 签发令牌（编号 {}{}）。令牌只显示这一次，请妥善保存；调用接口时放在请求头 Authorization: Bearer <令牌> 中",
        account.name,
        token.id,
        if token.label.is_empty() {
            String::new()
        } else {
            format!("，{}", token.label)
        }
    );
    Ok(())
}

pub fn token_revoke(app: &App, id: i64, actor: &str) -> anyhow::Result<()> {
    let before = uc::tokens_of(app, None)?
        .into_iter()
        .find(|t| t.id == id)
        .ok_or_else(|| anyhow::anyhow!("令牌 {id} 不存在"))?;
    if before.revoked_at.is_some() {
        println!("令牌 {id} 早已吊销，无需再次吊销");
        return Ok(());
    }
    uc::revoke_token(app, actor, id)?;
    println!("已吊销令牌 {id}，使用它的调用将被拒绝");
    Ok(())
}

pub fn token_list(app: &App, user: Option<&str>) -> anyhow::Result<()> {
    let filter = match user {
        Some(u) => Some(account_named(app, u)?.id),
        None => None,
    };
    let names: std::collections::HashMap<i64, String> =
        uc::list(app)?.into_iter().map(|a| (a.id, a.name)).collect();
    for t in uc::tokens_of(app, filter)? {
        println!(
            "{}\t{}\t{}\t{}\t{}\t{}",
            t.id,
            names.get(&t.account_id).map(String::as_str).unwrap_or(""),
            t.label,
            local(t.created_at),
            t.last_used_at
                .map(local)
                .unwrap_or_else(|| "从未使用".into()),
            t.revoked_at
                .map(|r| format!("已吊销（{}）", local(r)))
                .unwrap_or_else(|| "有效".into()),
        );
    }
    Ok(())
}

pub fn user_reset_password(app: &App, user: &str, actor: &str) -> anyhow::Result<()> {
    let account = account_named(app, user)?;
    let password = uc::reset_password(app, actor, account.id)?.password;
    println!("已重置账号 {} 的密码", account.name);
    println!("一次性密码：{password}");
    println!("（密码只显示这一次，请当面或以安全方式转交本人；本人登录时必须先修改密码）");
    Ok(())
}

pub fn user_disable(app: &App, user: &str, disabled: bool, actor: &str) -> anyhow::Result<()> {
    let account = account_named(app, user)?;
    let what = if disabled {
        Change::Disable
    } else {
        Change::Enable
    };
    uc::change(app, actor, account.id, what)?;
    if disabled {
        println!(
            "已停用账号 {}：其登录已全部退出，接口令牌暂停使用",
            account.name
        );
    } else {
        println!("已启用账号 {}", account.name);
    }
    Ok(())
}

pub fn user_unlock(app: &App, user: &str, actor: &str) -> anyhow::Result<()> {
    let account = account_named(app, user)?;
    uc::change(app, actor, account.id, Change::Unlock)?;
    println!("已解除账号 {} 的登录锁定", account.name);
    Ok(())
}

pub fn user_reset_totp(app: &App, user: &str, actor: &str) -> anyhow::Result<()> {
    let account = account_named(app, user)?;
    uc::change(app, actor, account.id, Change::ResetTotp)?;
    println!(
        "已重置账号 {} 的动态口令：本人下次登录时重新绑定",
        account.name
    );
    Ok(())
}

pub fn user_role(
    app: &App,
    user: &str,
    role: &str,
    unit: Option<&str>,
    actor: &str,
) -> anyhow::Result<()> {
    let account = account_named(app, user)?;
    let role = AccountRole::parse(role)?;
    let unit = unit.map(str::trim).filter(|u| !u.is_empty());
    let a = uc::set_role(app, actor, account.id, role, unit)?;
    println!(
        "已将账号 {} 的角色设为{}（其登录已退出，须重新登录）",
        a.name,
        a.role.label()
    );
    Ok(())
}
