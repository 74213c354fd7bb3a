//! The import columns of DESIGN.md section 5: Chinese headers as officials write them, the English
//! alias beside each. These names are an interface other systems depend on: add, never rename.

use probity_domain::commitment::procurement::{ContractRow, PaymentRow};
use probity_domain::record::RecordRow;
use probity_domain::subject::RosterRow;
use probity_ingest::ColumnSpec;

const fn col(key: &'static str, header: &'static str, required: bool) -> ColumnSpec {
    ColumnSpec {
        key,
        header,
        required,
        aliases: &[],
    }
}

pub const ROSTER: &[ColumnSpec] = &[
    col("name", "名称", true),
    col("short_name", "简称", false),
    col("kind", "主体类型", true),
    col("uscc", "统一社会信用代码", false),
    col("parent", "上级单位", false),
    col("id_number", "身份证号", false),
    col("unit", "所在单位", false),
    col("position", "职务", false),
];

pub const RECORDS: &[ColumnSpec] = &[
    col("subject_name", "主体名称", true),
    col("uscc", "统一社会信用代码", false),
    col("id_number", "身份证号", false),
    col("category", "记录类别", true),
    col("document_no", "决定文书号", true),
    col("decided_on", "决定日期", true),
    col("authority", "决定机关", true),
    col("facts", "失信事实", true),
    col("basis", "处理依据", false),
    col("outcome", "处理结果", true),
    col("severity", "严重程度", false),
    col("scope", "公开范围", false),
    col("disclosure_until", "公示截止日期", false),
];

/// The Chinese header of a column key, for error reports.
pub fn header_of(columns: &[ColumnSpec], key: &str) -> &'static str {
    columns
        .iter()
        .find(|c| c.key == key)
        .map(|c| c.header)
        .unwrap_or("")
}

pub fn roster_row(cells: &[String]) -> RosterRow {
    let c = |i: usize| cells.get(i).cloned().unwrap_or_default();
    RosterRow {
        name: c(0),
        short_name: c(1),
        kind: c(2),
        uscc: c(3),
        parent: c(4),
        id_number: c(5),
        unit: c(6),
        position: c(7),
    }
}

pub fn record_row(cells: &[String]) -> RecordRow {
    let c = |i: usize| cells.get(i).cloned().unwrap_or_default();
    RecordRow {
        subject_name: c(0),
        uscc: c(1),
        id_number: c(2),
        category: c(3),
        document_no: c(4),
        decided_on: c(5),
        authority: c(6),
        facts: c(7),
        basis: c(8),
        outcome: c(9),
        severity: c(10),
        scope: c(11),
        disclosure_until: c(12),
    }
}

/// Government procurement contracts (政府采购合同), as the procurement system exports them.
pub const CONTRACTS: &[ColumnSpec] = &[
    col("purchaser", "采购单位", true),
    col("contract_no", "合同编号", true),
    col("title", "合同名称", true),
    col("supplier", "供应商", true),
    col("supplier_uscc", "供应商统一社会信用代码", false),
    col("supplier_sme", "是否中小企业", true),
    col("amount", "合同金额（元）", true),
    col("accepted_on", "交付或验收日期", false),
    col("payment_days", "付款期限（日）", false),
    col("agreed_daily_rate", "约定逾期利率（日）", false),
];

pub fn contract_row(cells: &[String]) -> ContractRow {
    let c = |i: usize| cells.get(i).cloned().unwrap_or_default();
    ContractRow {
        purchaser: c(0),
        contract_no: c(1),
        title: c(2),
        supplier: c(3),
        supplier_uscc: c(4),
        supplier_sme: c(5),
        amount: c(6),
        accepted_on: c(7),
        payment_days: c(8),
        agreed_daily_rate: c(9),
    }
}

/// Payments of procurement contracts (付款记录). The purchaser is needed only where two
/// purchasers use the same contract number; the voucher number, where the system gives one, tells
/// a payment sent again from a second payment of the same amount on the same day.
pub const PAYMENTS: &[ColumnSpec] = &[
    col("contract_no", "合同编号", true),
    col("paid_on", "付款日期", true),
    col("paid_amount", "付款金额（元）", true),
    col("purchaser", "采购单位", false),
    col("voucher_no", "付款凭证号", false),
];

pub fn payment_row(cells: &[String]) -> PaymentRow {
    let c = |i: usize| cells.get(i).cloned().unwrap_or_default();
    PaymentRow {
        contract_no: c(0),
        paid_on: c(1),
        paid_amount: c(2),
        purchaser: c(3),
        voucher_no: c(4),
    }
}

/// The working-day calendar (工作日历): one listed day a row, the year taken from its date.
pub const CALENDAR: &[ColumnSpec] = &[
    col("date", "日期", true),
    col("kind", "类型", true),
    col("name", "名称", false),
];

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rows_map_every_column_in_order() {
        let cells: Vec<String> = RECORDS.iter().map(|c| c.key.to_string()).collect();
        let r = record_row(&cells);
        assert_eq!(r.subject_name, "subject_name");
        assert_eq!(r.disclosure_until, "disclosure_until");
        assert_eq!(r.outcome, "outcome");
        let cells: Vec<String> = ROSTER.iter().map(|c| c.key.to_string()).collect();
        let r = roster_row(&cells);
        assert_eq!(r.position, "position");
        assert_eq!(r.parent, "parent");
    }
}
