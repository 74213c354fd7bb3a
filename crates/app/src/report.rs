//! Credit reports (信用报告): a unit's public profile on a day, written as canonical JSON, signed
//! with SM2, numbered and given a verification code; and the check that anyone can run with the
//! number and the code: is the report authentic, and does it still match what is disclosed now.
//!
//! The same unit's report of the same day and content is issued once: asking again gives the
//! same report with a verification code of its own, and writes no new report or journal entry.
//! One client gets at most [`REPORTS_PER_CLIENT_PER_HOUR`] reports an hour (`RATE_LIMITED`).

use chrono::NaiveDate;
use probity_store::reports::Report;
use probity_store::{Store, StoreError};
use serde::{Deserialize, Serialize};

use crate::public::{Profile, PublicError, PublicRecord, RosterNames, profile};

/// How many reports one client (an address) may have issued in an hour, the same report asked
/// for again included: enough for anyone checking a few units, not for filling the database.
pub const REPORTS_PER_CLIENT_PER_HOUR: u32 = 10;

/// What a report says: exactly what was signed, and what its page shows.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ReportContent {
    pub title: String,
    pub issued_on: String,
    pub subject: ReportSubject,
    pub dishonest: Vec<ReportRecord>,
    pub trustworthy: Vec<ReportRecord>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ReportSubject {
    pub name: String,
    pub kind: String,
    pub uscc: String,
    pub predecessors: Vec<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ReportRecord {
    pub id: i64,
    pub category: String,
    pub severity: Option<String>,
    pub state: String,
    pub document_no: String,
    pub authority: String,
    pub decided_on: String,
    pub disclosed_until: String,
    pub facts: String,
    pub outcome: String,
}

impl ReportContent {
    /// The content as the report page shows it today: every text passed through the public
    /// masking again (the roster's civil servants' names, ID numbers in any form). A report signed
    /// before the masking grew (issue 8) still shows no name or number it should not; the signed
    /// bytes themselves are unchanged and still verify.
    pub fn masked(mut self, names: &probity_domain::disclosure::NameMasker) -> ReportContent {
        let clean = |t: &mut String| *t = probity_domain::disclosure::public_text(names, t);
        for r in self.dishonest.iter_mut().chain(self.trustworthy.iter_mut()) {
            clean(&mut r.facts);
            clean(&mut r.outcome);
            clean(&mut r.authority);
            clean(&mut r.document_no);
        }
        self
    }
}

fn record(p: &PublicRecord) -> ReportRecord {
    let d = &p.shown;
    ReportRecord {
        id: p.id,
        category: p.category_name.clone(),
        severity: p.severity_label.map(str::to_string),
        state: if d.objected {
            "异议处理中"
        } else {
            "公示中"
        }
        .to_string(),
        document_no: d.document_no.clone(),
        authority: d.authority.clone(),
        decided_on: d.decided_on.format("%Y-%m-%d").to_string(),
        disclosed_until: d.disclosed_until.format("%Y-%m-%d").to_string(),
        facts: d.facts.clone(),
        outcome: d.outcome.clone(),
    }
}

/// The report content of a profile, dated `issued_on`.
pub fn content_of(p: &Profile, issued_on: &str) -> ReportContent {
    ReportContent {
        title: "政务诚信报告".into(),
        issued_on: issued_on.to_string(),
        subject: ReportSubject {
            name: p.subject.name.clone(),
            kind: p.subject.kind.label().to_string(),
            uscc: p.subject.uscc.clone().unwrap_or_default(),
            predecessors: p.predecessors.iter().map(|s| s.name.clone()).collect(),
        },
        dishonest: p.dishonest.iter().map(record).collect(),
        trustworthy: p.trustworthy.iter().map(record).collect(),
    }
}

/// The canonical text that is signed: compact JSON, fields in declaration order.
pub fn canonical(c: &ReportContent) -> String {
    serde_json::to_string(c).unwrap_or_default()
}

/// An issued report with its verification code (shown once).
#[derive(Debug, Clone)]
pub struct Issued {
    pub report: Report,
    pub code: String,
    pub content: ReportContent,
}

/// Issues the report of the unit with this USCC as of `today` to `client` (the asker's address).
pub fn issue(
    store: &Store,
    roster: &RosterNames,
    uscc: &str,
    today: NaiveDate,
    actor: &str,
    client: &str,
) -> Result<Issued, PublicError> {
    let p = profile(store, roster, uscc, today)?;
    let day = today.format("%Y-%m-%d").to_string();
    let content = content_of(&p, &day);
    let issued = store.issue_report(
        p.subject.id,
        &day,
        &canonical(&content),
        actor,
        client,
        REPORTS_PER_CLIENT_PER_HOUR,
    )?;
    Ok(Issued {
        report: issued.report,
        code: issued.code,
        content,
    })
}

/// What checking a report number and code found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Verification {
    /// No report has this number and code.
    Unknown,
    /// The stored report no longer matches its signature: it was altered.
    Tampered { report_no: String },
    /// Authentic. `current`: what it says is still what the unit's profile discloses today.
    Authentic {
        report_no: String,
        content: ReportContent,
        current: bool,
    },
}

/// Checks a report number and verification code on `today`.
pub fn verify(
    store: &Store,
    roster: &RosterNames,
    report_no: &str,
    code: &str,
    today: NaiveDate,
) -> Result<Verification, StoreError> {
    let Some(report) = store.report_with_code(report_no, code)? else {
        return Ok(Verification::Unknown);
    };
    if !store.report_is_authentic(&report)? {
        return Ok(Verification::Tampered {
            report_no: report.report_no,
        });
    }
    let Ok(content) = serde_json::from_str::<ReportContent>(&report.content) else {
        return Ok(Verification::Tampered {
            report_no: report.report_no,
        });
    };
    let current = match profile(store, roster, &content.subject.uscc, today) {
        Ok(now) => content_of(&now, &content.issued_on) == content,
        Err(PublicError::Store(e)) => return Err(e),
        Err(_) => false,
    };
    Ok(Verification::Authentic {
        report_no: report.report_no,
        content,
        current,
    })
}

/// Issues today's report of the unit with this USCC to a member of the public at `client`.
pub fn issue_today(app: &crate::App, uscc: &str, client: &str) -> Result<Issued, PublicError> {
    issue(app.store(), app.names(), uscc, app.today(), "公众", client)
}

/// Checks a report number and verification code today.
pub fn verify_today(
    app: &crate::App,
    report_no: &str,
    code: &str,
) -> crate::AppResult<Verification> {
    Ok(verify(
        app.store(),
        app.names(),
        report_no,
        code,
        app.today(),
    )?)
}

/// A report as its page shows it: the stored report, its content with the roster's civil
/// servants masked as they are today, and the public key that checks its signature. `None` when
/// no report has this number and code.
pub fn shown(
    app: &crate::App,
    report_no: &str,
    code: &str,
) -> crate::AppResult<Option<(Report, ReportContent, String)>> {
    let store = app.store();
    let Some(r) = store.report_with_code(report_no, code)? else {
        return Ok(None);
    };
    let c: ReportContent = serde_json::from_str(&r.content)
        .map_err(|e| crate::AppError::Other(format!("report content: {e}")))?;
    let masker = app.names().current(store)?;
    let c = c.masked(&masker);
    Ok(Some((r, c, store.report_public_key()?)))
}

#[cfg(test)]
mod tests {
    use super::*;
    use probity_domain::disclosure::NameMasker;

    /// A report signed before masking grew still shows neither the name nor the number.
    #[test]
    fn a_report_signed_before_is_shown_masked() {
        let rec = |facts: &str| ReportRecord {
            id: 1,
            category: "拖欠企业账款".into(),
            severity: None,
            state: "公示中".into(),
            document_no: "津滨财〔2024〕12号".into(),
            authority: "天津市滨海新区财政局".into(),
            decided_on: "2024-05-01".into(),
            disclosed_until: "2025-05-01".into(),
            facts: facts.into(),
            outcome: "责令限期支付，经办人金超文".into(),
        };
        let c = ReportContent {
            title: "信用报告".into(),
            issued_on: "2024-06-01".into(),
            subject: ReportSubject {
                name: "天津市滨海新区财政局".into(),
                kind: "部门".into(),
                uscc: "11120116MB0000003X".into(),
                predecessors: vec![],
            },
            dishonest: vec![rec("经办人金超文（身份证号 120116 19820320 0273）逾期未付")],
            trustworthy: vec![],
        };
        let shown = c.clone().masked(&NameMasker::new(["金超文"]));
        let r = &shown.dishonest[0];
        assert!(
            !r.facts.contains("金超文") && r.facts.contains("金*"),
            "{}",
            r.facts
        );
        assert!(
            !r.facts.contains("0273") && !r.facts.contains("19820320"),
            "{}",
            r.facts
        );
        assert!(!r.outcome.contains("金超文"), "{}", r.outcome);
        assert_eq!(
            r.document_no, "津滨财〔2024〕12号",
            "what needs no masking is kept"
        );
        assert_eq!(shown.subject, c.subject);
    }
}
