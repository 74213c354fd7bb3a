//! Government procurement contracts and their payments (政府采购合同履约, task 13), by the
//! 保障中小企业款项支付条例 (国务院令第802号, in force 2025-06-01): a government body pays a supplier
//! within 30 days of delivery, or of passing acceptance where the contract makes acceptance a
//! condition; a contract may agree a term, at most 60 days. Money paid late carries interest at
//! the agreed daily rate, or 0.05% a day where none was agreed. Unpaid past a grace set by
//! 区财政局, the arrears become a draft `PAYMENT_ARREARS` record about the purchaser.
//!
//! Late interest counts each 分 for each calendar day it was unpaid past the due date: a payment
//! made late adds its amount times its days late (kept with the contract as `late_fen_days`), and
//! what is still unpaid adds its amount times the days from the due date to today. A leap year's
//! 29 February is a day like any other.

use chrono::NaiveDate;
use serde::{Deserialize, Serialize};

use super::money::{DailyRate, MAX_RATE, interest, parse_yuan};
use super::{State, Window};
use crate::date::parse_date;
use crate::error::{Code, DomainError, Result};
use crate::ident::Uscc;
use crate::record::FieldError;
use crate::subject::{optional_text, required_text};
use crate::text::{Lines, check_text};

/// The category a payment breach is drafted as.
pub const ARREARS_CATEGORY: &str = "PAYMENT_ARREARS";

pub const MAX_CONTRACT_NO: usize = 100;
pub const MAX_TITLE: usize = 200;
pub const MAX_NAME: usize = 100;

/// The payment rule's numbers, as data: 区财政局 sets the grace; the rest follow the 条例 and can
/// follow a change of it without a release.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct PaymentRule {
    /// The term when a contract agrees none (the 条例: 30 days).
    pub default_days: u32,
    /// The longest term a contract may agree (the 条例: 60 days).
    pub max_days: u32,
    /// The daily late-payment rate when the contract agrees none (the 条例: 0.05%).
    #[serde(with = "rate_text")]
    pub default_daily_rate: DailyRate,
    /// Calendar days overdue before a draft `PAYMENT_ARREARS` record (区财政局's choice).
    pub grace_days: u32,
    /// A contract due within this many working days is due soon (预警).
    pub warn_working_days: u32,
}

impl Default for PaymentRule {
    fn default() -> Self {
        PaymentRule {
            default_days: 30,
            max_days: 60,
            default_daily_rate: DailyRate(50_000),
            grace_days: 30,
            warn_working_days: 5,
        }
    }
}

mod rate_text {
    use super::DailyRate;
    use serde::{Deserialize, Deserializer, Serializer};

    pub fn serialize<S: Serializer>(r: &DailyRate, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&r.percent_text())
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<DailyRate, D::Error> {
        let t = String::deserialize(d)?;
        DailyRate::parse(&t, "默认逾期利率").map_err(serde::de::Error::custom)
    }
}

impl PaymentRule {
    /// Every fault at once, each at its field.
    pub fn validate(&self) -> std::result::Result<(), Vec<FieldError>> {
        let mut errs = Vec::new();
        let mut bad = |column: &'static str, message: String| {
            errs.push(FieldError {
                column,
                error: DomainError::new(Code::CommitmentRuleInvalid, message),
            })
        };
        if !(1..=365).contains(&self.max_days) {
            bad("max_days", "最长付款期限应在 1 至 365 日之间".into());
        }
        if self.default_days == 0 || self.default_days > self.max_days {
            bad(
                "default_days",
                format!(
                    "默认付款期限应大于 0 且不超过最长付款期限（{} 日）",
                    self.max_days
                ),
            );
        }
        if self.default_daily_rate.0 == 0 || self.default_daily_rate > MAX_RATE {
            bad(
                "default_daily_rate",
                "默认逾期利率应大于 0、不超过每日 1%".into(),
            );
        }
        if self.grace_days > 365 {
            bad("grace_days", "起草失信记录前的宽限期最多 365 日".into());
        }
        if self.warn_working_days > 60 {
            bad("warn_working_days", "预警提前量最多 60 个工作日".into());
        }
        if errs.is_empty() { Ok(()) } else { Err(errs) }
    }
}

/// A payment rule's fields as a form or a request body gave them, each read on its own: `None`
/// where the field could not be read (its problem is the caller's to report).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct RuleFields {
    pub default_days: Option<u32>,
    pub max_days: Option<u32>,
    pub default_daily_rate: Option<DailyRate>,
    pub grace_days: Option<u32>,
    pub warn_working_days: Option<u32>,
}

impl PaymentRule {
    /// The rule from fields read one by one, with `unread` the problems of those that could not
    /// be read: every problem at once, the rule's own checks (`validate`) run on the fields that
    /// were read, never on a stand-in for one that was not (nor a default term against a longest
    /// term that could not be read).
    pub fn from_fields(
        f: RuleFields,
        mut unread: Vec<FieldError>,
    ) -> std::result::Result<PaymentRule, Vec<FieldError>> {
        let d = PaymentRule::default();
        let rule = PaymentRule {
            default_days: f.default_days.unwrap_or(d.default_days),
            max_days: f.max_days.unwrap_or(d.max_days),
            default_daily_rate: f.default_daily_rate.unwrap_or(d.default_daily_rate),
            grace_days: f.grace_days.unwrap_or(d.grace_days),
            warn_working_days: f.warn_working_days.unwrap_or(d.warn_working_days),
        };
        let missing: Vec<&str> = unread.iter().map(|e| e.column).collect();
        if let Err(problems) = rule.validate() {
            let leans_on_unread =
                |p: &FieldError| p.column == "default_days" && missing.contains(&"max_days");
            unread.extend(
                problems
                    .into_iter()
                    .filter(|p| !missing.contains(&p.column) && !leans_on_unread(p)),
            );
        }
        if unread.is_empty() {
            Ok(rule)
        } else {
            Err(unread)
        }
    }
}

/// A contract row as read from a file or a form (every cell as text).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ContractRow {
    pub purchaser: String,
    pub contract_no: String,
    pub title: String,
    pub supplier: String,
    pub supplier_uscc: String,
    pub supplier_sme: String,
    pub amount: String,
    pub accepted_on: String,
    pub payment_days: String,
    pub agreed_daily_rate: String,
}

/// A valid contract. The purchaser is named as the row named it (name, short name or USCC); the
/// store finds it on the roster.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewContract {
    pub purchaser: String,
    pub contract_no: String,
    pub title: String,
    pub supplier: String,
    pub supplier_uscc: Option<String>,
    pub supplier_sme: bool,
    pub amount: i64,
    /// Delivery, or acceptance where the contract makes it a condition; none while the goods are
    /// not yet delivered (the clock has not started).
    pub accepted_on: Option<NaiveDate>,
    pub payment_days: u32,
    pub agreed_rate: Option<DailyRate>,
}

impl NewContract {
    /// The last day to pay: delivery or acceptance plus the term, in calendar days.
    pub fn due_on(&self) -> Option<NaiveDate> {
        self.accepted_on
            .map(|d| d + chrono::Days::new(u64::from(self.payment_days)))
    }
}

fn field<T>(errs: &mut Vec<FieldError>, column: &'static str, r: Result<T>) -> Option<T> {
    match r {
        Ok(v) => Some(v),
        Err(error) => {
            errs.push(FieldError { column, error });
            None
        }
    }
}

/// Refuses control characters in every cell first: such a cell's other faults would only
/// describe the stray character again.
fn stray(cells: &[(&'static str, &str, &str)]) -> Vec<FieldError> {
    cells
        .iter()
        .filter_map(|(column, label, value)| {
            check_text(value.trim(), label, Lines::Single)
                .err()
                .map(|error| FieldError { column, error })
        })
        .collect()
}

fn not_after_today(d: NaiveDate, label: &str, today: NaiveDate) -> Result<NaiveDate> {
    if d > today {
        return Err(DomainError::new(
            Code::DateInvalid,
            format!("{label}{d}晚于今天（{today}）"),
        ));
    }
    Ok(d)
}

impl ContractRow {
    /// Every fault of the row at once.
    pub fn validate(
        &self,
        rule: &PaymentRule,
        today: NaiveDate,
    ) -> std::result::Result<NewContract, Vec<FieldError>> {
        let stray = stray(&[
            ("purchaser", "采购单位", &self.purchaser),
            ("contract_no", "合同编号", &self.contract_no),
            ("title", "合同名称", &self.title),
            ("supplier", "供应商", &self.supplier),
            (
                "supplier_uscc",
                "供应商统一社会信用代码",
                &self.supplier_uscc,
            ),
            ("supplier_sme", "是否中小企业", &self.supplier_sme),
            ("amount", "合同金额（元）", &self.amount),
            ("accepted_on", "交付或验收日期", &self.accepted_on),
            ("payment_days", "付款期限（日）", &self.payment_days),
            (
                "agreed_daily_rate",
                "约定逾期利率（日）",
                &self.agreed_daily_rate,
            ),
        ]);
        if !stray.is_empty() {
            return Err(stray);
        }
        let mut errs = Vec::new();
        let purchaser = field(
            &mut errs,
            "purchaser",
            required_text(&self.purchaser, "采购单位", MAX_NAME),
        );
        let contract_no = field(
            &mut errs,
            "contract_no",
            required_text(&self.contract_no, "合同编号", MAX_CONTRACT_NO),
        );
        let title = field(
            &mut errs,
            "title",
            required_text(&self.title, "合同名称", MAX_TITLE),
        );
        let supplier = field(
            &mut errs,
            "supplier",
            required_text(&self.supplier, "供应商", MAX_NAME),
        );
        let supplier_uscc = field(
            &mut errs,
            "supplier_uscc",
            match self.supplier_uscc.trim() {
                "" => Ok(None),
                s => Uscc::parse(s).map(|u| Some(u.as_str().to_string())),
            },
        );
        let supplier_sme = field(
            &mut errs,
            "supplier_sme",
            match self.supplier_sme.trim() {
                "是" | "Y" | "y" | "yes" | "true" | "1" => Ok(true),
                "否" | "N" | "n" | "no" | "false" | "0" => Ok(false),
                "" => Err(DomainError::new(
                    Code::Required,
                    "是否中小企业为空：请填“是”或“否”",
                )),
                other => Err(DomainError::new(
                    Code::FlagInvalid,
                    format!("是否中小企业“{other}”无效：请填“是”或“否”"),
                )),
            },
        );
        let amount = field(
            &mut errs,
            "amount",
            parse_yuan(&self.amount, "合同金额", false),
        );
        let accepted_on = field(
            &mut errs,
            "accepted_on",
            match self.accepted_on.trim() {
                "" => Ok(None),
                s => parse_date(s)
                    .and_then(|d| not_after_today(d, "交付或验收日期", today))
                    .map(Some),
            },
        );
        let payment_days = field(
            &mut errs,
            "payment_days",
            match self.payment_days.trim() {
                "" => Ok(rule.default_days),
                s => match s.parse::<u32>() {
                    Ok(n) if n > rule.max_days => Err(DomainError::new(
                        Code::PaymentTermTooLong,
                        format!(
                            "付款期限 {n} 日超过条例允许的最长 {} 日（保障中小企业款项支付条例）",
                            rule.max_days
                        ),
                    )),
                    Ok(0) => Err(DomainError::new(
                        Code::PaymentTermTooLong,
                        "付款期限应大于 0 日；不填即按 30 日计",
                    )),
                    Ok(n) => Ok(n),
                    Err(_) => Err(DomainError::new(
                        Code::PaymentTermTooLong,
                        format!("付款期限“{s}”不是天数"),
                    )),
                },
            },
        );
        let agreed_rate = field(
            &mut errs,
            "agreed_daily_rate",
            match self.agreed_daily_rate.trim() {
                "" => Ok(None),
                s => DailyRate::parse(s, "约定逾期利率").map(Some),
            },
        );
        if !errs.is_empty() {
            return Err(errs);
        }
        // Every field is Some when no error was pushed.
        match (
            purchaser,
            contract_no,
            title,
            supplier,
            supplier_uscc,
            supplier_sme,
            amount,
            accepted_on,
            payment_days,
            agreed_rate,
        ) {
            (
                Some(purchaser),
                Some(contract_no),
                Some(title),
                Some(supplier),
                Some(supplier_uscc),
                Some(supplier_sme),
                Some(amount),
                Some(accepted_on),
                Some(payment_days),
                Some(agreed_rate),
            ) => Ok(NewContract {
                purchaser,
                contract_no,
                title,
                supplier,
                supplier_uscc,
                supplier_sme,
                amount,
                accepted_on,
                payment_days,
                agreed_rate,
            }),
            _ => Err(errs),
        }
    }
}

/// A payment row: the contract (and, where contract numbers repeat across purchasers, the
/// purchaser), the day and the amount.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct PaymentRow {
    pub purchaser: String,
    pub contract_no: String,
    pub paid_on: String,
    pub paid_amount: String,
    pub voucher_no: String,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewPayment {
    pub purchaser: Option<String>,
    pub contract_no: String,
    pub paid_on: NaiveDate,
    pub amount: i64,
    /// The payment voucher's number (付款凭证号), where the procurement system gives one: a row
    /// sent again is known by it. Without one, the same amount on the same day for the same
    /// contract is taken as the same payment sent again.
    pub voucher_no: Option<String>,
}

impl PaymentRow {
    pub fn validate(&self, today: NaiveDate) -> std::result::Result<NewPayment, Vec<FieldError>> {
        let stray = stray(&[
            ("purchaser", "采购单位", &self.purchaser),
            ("contract_no", "合同编号", &self.contract_no),
            ("paid_on", "付款日期", &self.paid_on),
            ("paid_amount", "付款金额（元）", &self.paid_amount),
            ("voucher_no", "付款凭证号", &self.voucher_no),
        ]);
        if !stray.is_empty() {
            return Err(stray);
        }
        let mut errs = Vec::new();
        let purchaser = field(
            &mut errs,
            "purchaser",
            optional_text(&self.purchaser, "采购单位", MAX_NAME),
        );
        let contract_no = field(
            &mut errs,
            "contract_no",
            required_text(&self.contract_no, "合同编号", MAX_CONTRACT_NO),
        );
        let paid_on = field(
            &mut errs,
            "paid_on",
            if self.paid_on.trim().is_empty() {
                Err(DomainError::new(Code::Required, "付款日期为空"))
            } else {
                parse_date(&self.paid_on).and_then(|d| not_after_today(d, "付款日期", today))
            },
        );
        let amount = field(
            &mut errs,
            "paid_amount",
            parse_yuan(&self.paid_amount, "付款金额", false),
        );
        let voucher_no = field(
            &mut errs,
            "voucher_no",
            optional_text(&self.voucher_no, "付款凭证号", MAX_CONTRACT_NO),
        );
        match (purchaser, contract_no, paid_on, amount, voucher_no) {
            (Some(purchaser), Some(contract_no), Some(paid_on), Some(amount), Some(voucher_no))
                if errs.is_empty() =>
            {
                Ok(NewPayment {
                    purchaser,
                    contract_no,
                    paid_on,
                    amount,
                    voucher_no,
                })
            }
            _ => Err(errs),
        }
    }
}

/// What the registry holds of a contract's payments so far, and its terms: all its state needs.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Position {
    pub amount: i64,
    pub paid: i64,
    pub due_on: Option<NaiveDate>,
    pub accepted_on: Option<NaiveDate>,
    pub agreed_rate: Option<DailyRate>,
    /// Σ of each payment made after the due date × its days late.
    pub late_fen_days: i64,
    /// The most days past the due date any payment was made (0: all on time).
    pub max_late_days: i64,
}

/// A contract as of a day.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Status {
    pub state: State,
    pub unpaid: i64,
    /// Days past the due date: while money is unpaid, as of today; once paid in full, how late
    /// the last of it came.
    pub overdue_days: i64,
    /// Late interest owed on the money paid late and on what is still unpaid, in 分.
    pub interest: i64,
    /// The arrears have lasted past the grace: a `PAYMENT_ARREARS` record is due (drafted once).
    pub draft_due: bool,
}

impl Position {
    /// The payment's effect on the position; refused (at its column, nothing changed) when the
    /// contract has not started, the payment predates delivery or acceptance, or it is more than
    /// is unpaid.
    pub fn apply(&self, p: &NewPayment) -> std::result::Result<Position, FieldError> {
        let (Some(accepted), Some(due)) = (self.accepted_on, self.due_on) else {
            return Err(FieldError {
                column: "paid_on",
                error: DomainError::new(
                    Code::PaymentBeforeAcceptance,
                    format!(
                        "合同 {} 尚未登记交付或验收日期，不能登记付款",
                        p.contract_no
                    ),
                ),
            });
        };
        if p.paid_on < accepted {
            return Err(FieldError {
                column: "paid_on",
                error: DomainError::new(
                    Code::PaymentBeforeAcceptance,
                    format!("付款日期 {} 早于合同的交付或验收日期 {accepted}", p.paid_on),
                ),
            });
        }
        let unpaid = self.amount - self.paid;
        if p.amount > unpaid {
            return Err(FieldError {
                column: "paid_amount",
                error: DomainError::new(
                    Code::PaymentExceedsUnpaid,
                    format!(
                        "付款金额 {} 元超过合同 {} 未付金额 {} 元",
                        super::money::yuan_text(p.amount),
                        p.contract_no,
                        super::money::yuan_text(unpaid)
                    ),
                ),
            });
        }
        let late = (p.paid_on - due).num_days().max(0);
        Ok(Position {
            paid: self.paid + p.amount,
            late_fen_days: self
                .late_fen_days
                .saturating_add(p.amount.saturating_mul(late)),
            max_late_days: self.max_late_days.max(late),
            ..*self
        })
    }

    /// Where the contract stands on `w.today` under `rule`.
    pub fn status(&self, w: &Window, rule: &PaymentRule) -> Status {
        let unpaid = (self.amount - self.paid).max(0);
        let rate = self.agreed_rate.unwrap_or(rule.default_daily_rate);
        let Some(due) = self.due_on else {
            return Status {
                state: State::Open,
                unpaid,
                overdue_days: 0,
                interest: 0,
                draft_due: false,
            };
        };
        let grace = i64::from(w.grace_days);
        if unpaid > 0 {
            let overdue_days = (w.today - due).num_days().max(0);
            let fen_days =
                i128::from(self.late_fen_days) + i128::from(unpaid) * i128::from(overdue_days);
            let state = if overdue_days > grace {
                State::Broken
            } else if overdue_days > 0 {
                State::Overdue
            } else if due <= w.warn_until {
                State::DueSoon
            } else {
                State::Open
            };
            Status {
                state,
                unpaid,
                overdue_days,
                interest: interest(fen_days, rate),
                draft_due: overdue_days > grace,
            }
        } else {
            Status {
                state: if self.max_late_days > 0 {
                    State::Broken
                } else {
                    State::Kept
                },
                unpaid: 0,
                overdue_days: self.max_late_days,
                interest: interest(i128::from(self.late_fen_days), rate),
                draft_due: self.max_late_days > grace,
            }
        }
    }
}

/// What a draft `PAYMENT_ARREARS` record says about one contract's arrears.
#[derive(Debug, Clone, Copy)]
pub struct Arrears<'a> {
    /// The registry's id of the contract: the record's document number carries it.
    pub contract_id: i64,
    pub purchaser: &'a str,
    pub purchaser_uscc: &'a str,
    /// The category's provider (区财政局), who confirms the draft.
    pub authority: &'a str,
    pub contract_no: &'a str,
    pub title: &'a str,
    pub supplier: &'a str,
    pub amount: i64,
    pub accepted_on: NaiveDate,
    pub payment_days: u32,
    pub due_on: NaiveDate,
    pub rate: DailyRate,
    pub status: Status,
    pub today: NaiveDate,
}

impl Arrears<'_> {
    /// The record's document number: one per contract, so that a draft is never made twice.
    pub fn document_no(&self) -> String {
        format!("采购合同逾期付款-{}", self.contract_id)
    }

    /// The draft record's row, prefilled with the facts, for the provider to confirm.
    pub fn record_row(&self) -> crate::record::RecordRow {
        use super::money::yuan_text;
        let s = &self.status;
        let state = if s.unpaid > 0 {
            format!(
                "截至 {} 尚有 {} 元未付，已逾期 {} 日",
                self.today,
                yuan_text(s.unpaid),
                s.overdue_days
            )
        } else {
            format!("已付清，但最后一笔款项逾期 {} 日支付", s.overdue_days)
        };
        let facts = format!(
            "政府采购合同 {no}（{title}），供应商 {supplier}，合同金额 {amount} 元；\
             交付或验收日期 {accepted}，付款期限 {days} 日，应于 {due} 前付款。{state}；\
             按日 {rate} 计，逾期利息 {interest} 元。",
            no = self.contract_no,
            title = self.title,
            supplier = self.supplier,
            amount = yuan_text(self.amount),
            accepted = self.accepted_on,
            days = self.payment_days,
            due = self.due_on,
            rate = self.rate.percent_text(),
            interest = yuan_text(s.interest),
        );
        crate::record::RecordRow {
            subject_name: self.purchaser.to_string(),
            uscc: self.purchaser_uscc.to_string(),
            category: ARREARS_CATEGORY.into(),
            document_no: self.document_no(),
            decided_on: self.today.to_string(),
            authority: self.authority.to_string(),
            facts,
            basis: "《保障中小企业款项支付条例》（国务院令第802号）".into(),
            outcome: "逾期未支付企业账款（由平台根据合同和付款登记起草，待确认）".into(),
            ..Default::default()
        }
    }
}

#[cfg(test)]
mod tests;
