//! Complaints (投诉举报) about government dishonesty: anyone files one on the portal or through
//! the public API (the 12345 hotline and new-media accounts too; staff enter letters and calls),
//! named or anonymous, about a unit and optionally one of its records. The complainant follows it
//! with a tracking number and a query code; the credit office routes it to the responsible unit,
//! which answers within the deadline; the credit office closes it on the answer's finding, and the
//! complainant may rate the answer once. A complaint found true raises a draft record
//! ([`raises_record`]).

use chrono::NaiveDate;
use serde::{Deserialize, Serialize};

use crate::catalog::Category;
use crate::error::{Code, DomainError, Result};
use crate::ident::Uscc;
use crate::record::FieldError;
use crate::text::{Lines, check_text};

use super::{
    ANYONE, APPLICANT, ASSIGNEE_OR_OFFICE, Assign, CaseAction, CaseKind, CaseRules, CaseState,
    Deadlines, Opening, Outcome, Parties, Party, SYSTEM, Step, decide,
};

/// The rules of complaints.
pub struct Complaint;

/// The credit office alone, in a state where the case is with a unit.
const CREDIT_OFFICE: Parties = &[Party::CreditOffice];

/// The table of steps: one row per (state, action) the design allows.
fn row(state: CaseState, action: &CaseAction, d: &Deadlines) -> Option<(Step, Parties)> {
    use CaseAction as A;
    use CaseState as S;
    let route = Step::to(S::Assigned, Assign::Unit, d.complaint_answer_days);
    match (state, action) {
        // First routing, or again after an answer the credit office finds wanting.
        (S::Open | S::Answered, A::Route) => Some((route, ASSIGNEE_OR_OFFICE)),
        // Routed to the wrong unit: the credit office sends it on, never the unit itself.
        (S::Assigned, A::Route) => Some((route, CREDIT_OFFICE)),
        // The unit answers, or the credit office in its place; the credit office then reviews
        // the answer and closes it (or routes it again) within its own deadline, so that the
        // complainant does not wait on an answer nobody closes.
        (S::Assigned, A::Answer(_)) => Some((
            Step::to(S::Answered, Assign::CreditOffice, d.complaint_close_days),
            ASSIGNEE_OR_OFFICE,
        )),
        (S::Answered, A::Close(finding)) => {
            Some((Step::close(finding.outcome()), ASSIGNEE_OR_OFFICE))
        }
        // Once, and only on an answer: see `may_rate`, which the app asks with what it stored.
        (S::Answered | S::Closed, A::Rate(_)) => Some((Step::stay(state), APPLICANT)),
        (S::Open | S::Assigned, A::Withdraw) => Some((Step::close(Outcome::Withdrawn), APPLICANT)),
        (S::Open | S::Assigned | S::Answered, A::Comment) => Some((Step::stay(state), ANYONE)),
        // The unit stays responsible for the answer it owes; the credit office, told, may
        // answer in its place.
        (S::Open | S::Assigned, A::Escalate) => Some((Step::escalate(state, Assign::Keep), SYSTEM)),
        _ => None,
    }
}

impl CaseRules for Complaint {
    fn kind(&self) -> CaseKind {
        CaseKind::Complaint
    }

    fn states(&self) -> &'static [CaseState] {
        &[
            CaseState::Open,
            CaseState::Assigned,
            CaseState::Answered,
            CaseState::Closed,
        ]
    }

    /// With the credit office, which routes it within `complaint_route_days`; the unit's own
    /// deadline starts when it is routed.
    fn opening(&self, d: &Deadlines, _category: Option<&Category>) -> Opening {
        Opening {
            state: CaseState::Open,
            assign: Assign::CreditOffice,
            deadline_days: Some(d.complaint_route_days),
        }
    }

    fn step(
        &self,
        state: CaseState,
        action: &CaseAction,
        party: Party,
        d: &Deadlines,
    ) -> Result<Step> {
        decide(self.kind(), state, action, party, row(state, action, d))
    }
}

/// Whether the complainant may rate now: the complaint has an answer (answered, or closed on a
/// finding rather than withdrawn) and has not been rated yet. The step table allows `Rate` in
/// those states; what it cannot see, the outcome and an earlier rating, is checked here.
pub fn may_rate(state: CaseState, outcome: Option<Outcome>, rated: bool) -> Result<()> {
    if rated {
        return Err(DomainError::new(
            Code::RatingInvalid,
            "已评价过本次答复，不能重复评价",
        ));
    }
    let answered = match state {
        CaseState::Answered => true,
        CaseState::Closed => matches!(
            outcome,
            Some(Outcome::Founded | Outcome::PartlyFounded | Outcome::Unfounded)
        ),
        _ => false,
    };
    if answered {
        Ok(())
    } else {
        Err(DomainError::new(
            Code::IllegalTransition,
            "投诉尚未答复，不能评价",
        ))
    }
}

/// The category of the draft record a founded complaint raises about the unit.
pub const UPHELD_CATEGORY: &str = "COMPLAINT_UPHELD";

/// Whether a complaint closed with `outcome` raises a draft `COMPLAINT_UPHELD` record: found
/// true, wholly or in part; a part found true is still a dishonest act found.
pub fn raises_record(outcome: Outcome) -> bool {
    matches!(outcome, Outcome::Founded | Outcome::PartlyFounded)
}

/// How a complaint arrived.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Channel {
    Web,
    Hotline,
    NewMedia,
    Letter,
}

impl Channel {
    pub const ALL: [Channel; 4] = [
        Channel::Web,
        Channel::Hotline,
        Channel::NewMedia,
        Channel::Letter,
    ];

    pub fn code(self) -> &'static str {
        match self {
            Channel::Web => "web",
            Channel::Hotline => "hotline",
            Channel::NewMedia => "new_media",
            Channel::Letter => "letter",
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            Channel::Web => "网站",
            Channel::Hotline => "12345热线",
            Channel::NewMedia => "新媒体",
            Channel::Letter => "来信",
        }
    }

    /// The channel from its code (any case) or its label.
    pub fn parse(s: &str) -> Result<Channel> {
        let t = s.trim();
        Channel::ALL
            .into_iter()
            .find(|c| t.eq_ignore_ascii_case(c.code()) || t == c.label())
            .ok_or_else(|| {
                DomainError::new(
                    Code::ChannelInvalid,
                    format!(
                        "无法识别的投诉渠道：{}（应为 web、hotline、new_media 或 letter）",
                        shown(t)
                    ),
                )
            })
    }
}

/// The most characters of each field of a complaint.
pub const MAX_SUBJECT: usize = 100;
pub const MIN_CONTENT: usize = 10;
pub const MAX_CONTENT: usize = 2000;
pub const MAX_CONTACT: usize = 50;
pub const MAX_NAME: usize = 50;

/// A complaint as it arrives from the portal, the API or a staff member's form: not yet trusted.
/// The JSON shape is DESIGN.md §5's (`subject`, `content`, `channel`, `contact`), with the
/// optional `record_id` and `name`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct ComplaintInput {
    /// The unit complained about: its USCC or its name.
    pub subject: String,
    /// One of the unit's records, when the complaint is about it.
    pub record_id: Option<i64>,
    pub content: String,
    pub channel: String,
    /// How to reach the complainant; absent or blank is an anonymous complaint.
    pub contact: Option<String>,
    /// The complainant's name, when given.
    pub name: Option<String>,
}

/// A complaint whose every field is valid; the unit and the record are still to be found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ValidComplaint {
    pub subject: String,
    /// The subject read as a USCC, when it is written as one (18 letters and digits); otherwise
    /// the subject is a unit's name.
    pub subject_uscc: Option<Uscc>,
    pub record_id: Option<i64>,
    pub content: String,
    pub channel: Channel,
    pub contact: Option<String>,
    pub name: Option<String>,
}

impl ValidComplaint {
    /// Anonymous: nobody to answer but through the tracking number.
    pub fn anonymous(&self) -> bool {
        self.contact.is_none()
    }
}

/// A value cut for a message, so that a flood of text is not echoed back.
fn shown(s: &str) -> String {
    let mut out: String = s.chars().take(20).collect();
    if s.chars().count() > 20 {
        out.push('…');
    }
    out
}

/// One text field: stray characters first (they would only be described again), then presence
/// and length. `Ok(None)` for a blank optional field.
fn text_field(
    value: &str,
    label: &str,
    lines: Lines,
    required: bool,
    bounds: (usize, usize),
) -> Result<Option<String>> {
    text_field_hinted(value, label, lines, required, bounds, "请写明事情经过")
}

/// [`text_field`] with what a too short text should say (the public's texts share its rules).
pub(super) fn text_field_hinted(
    value: &str,
    label: &str,
    lines: Lines,
    required: bool,
    (min, max): (usize, usize),
    short_hint: &str,
) -> Result<Option<String>> {
    let t = value.trim();
    check_text(t, label, lines)?;
    if t.is_empty() {
        return if required {
            Err(DomainError::new(Code::Required, format!("{label}为空")))
        } else {
            Ok(None)
        };
    }
    let n = t.chars().count();
    if n > max {
        return Err(DomainError::new(
            Code::TooLong,
            format!("{label}过长：{n} 个字符，最多 {max} 个"),
        ));
    }
    if n < min {
        return Err(DomainError::new(
            Code::TooShort,
            format!("{label}过短：{n} 个字符，至少 {min} 个，{short_hint}"),
        ));
    }
    Ok(Some(t.to_string()))
}

/// Whether a subject is written as a USCC rather than a name: 18 ASCII letters and digits.
fn looks_like_uscc(s: &str) -> bool {
    s.len() == 18 && s.chars().all(|c| c.is_ascii_alphanumeric())
}

impl ComplaintInput {
    /// Validates every field and reports every fault at once, each with its field.
    pub fn validate(&self) -> std::result::Result<ValidComplaint, Vec<FieldError>> {
        let mut errs = Vec::new();
        let mut keep = |column: &'static str, r: Result<Option<String>>| match r {
            Ok(v) => v,
            Err(error) => {
                errs.push(FieldError { column, error });
                None
            }
        };
        let subject = keep(
            "subject",
            text_field(
                &self.subject,
                "被投诉单位",
                Lines::Single,
                true,
                (1, MAX_SUBJECT),
            ),
        );
        let content = keep(
            "content",
            text_field(
                &self.content,
                "投诉内容",
                Lines::Multi,
                true,
                (MIN_CONTENT, MAX_CONTENT),
            ),
        );
        let contact = keep(
            "contact",
            text_field(
                self.contact.as_deref().unwrap_or(""),
                "联系方式",
                Lines::Single,
                false,
                (1, MAX_CONTACT),
            ),
        );
        let name = keep(
            "name",
            text_field(
                self.name.as_deref().unwrap_or(""),
                "投诉人姓名",
                Lines::Single,
                false,
                (1, MAX_NAME),
            ),
        );
        let channel = if self.channel.trim().is_empty() {
            Err(DomainError::new(Code::Required, "投诉渠道为空"))
        } else {
            Channel::parse(&self.channel)
        };
        let channel = channel
            .map_err(|error| {
                errs.push(FieldError {
                    column: "channel",
                    error,
                })
            })
            .ok();
        // A subject written as a USCC must be one; a code with only a wrong check character is
        // still looked up, as the roster may hold such a code from before 2016.
        let subject_uscc = match subject.as_deref() {
            Some(s) if looks_like_uscc(s) => Uscc::parse_overriding_check(s)
                .map_err(|error| {
                    errs.push(FieldError {
                        column: "subject",
                        error,
                    })
                })
                .ok(),
            _ => None,
        };
        match (subject, content, channel) {
            (Some(subject), Some(content), Some(channel)) if errs.is_empty() => {
                Ok(ValidComplaint {
                    subject,
                    subject_uscc,
                    record_id: self.record_id,
                    content,
                    channel,
                    contact,
                    name,
                })
            }
            _ => Err(errs),
        }
    }
}

/// The prefix of a complaint's tracking number.
pub const TRACKING_PREFIX: &str = "TS";

/// The prefix of the tracking numbers of a kind of case the public follows with a query code:
/// `TS` for complaints, `JC` for reports of an error on a public record (纠错, objections);
/// `None` for the kinds the public does not file.
pub fn tracking_prefix(kind: CaseKind) -> Option<&'static str> {
    match kind {
        CaseKind::Complaint => Some(TRACKING_PREFIX),
        CaseKind::Objection => Some(super::objection::TRACKING_PREFIX),
        CaseKind::Repair | CaseKind::Rectification | CaseKind::Dispute => None,
    }
}

/// The `serial`-th tracking number (from 1) of `prefix` on `date`: `TS20261202-0007`. A serial
/// beyond 9999 gets more digits.
pub(super) fn numbered(prefix: &str, date: NaiveDate, serial: i64) -> String {
    format!("{}-{serial:04}", tracking_day(prefix, date))
}

/// What every tracking number of `prefix` given out on `date` begins with (`TS20261202`): the
/// day's serial counts the numbers that begin so.
pub fn tracking_day(prefix: &str, date: NaiveDate) -> String {
    format!("{prefix}{}", date.format("%Y%m%d"))
}

/// The tracking number (查询编号) of a complaint filed on `date`, the `serial`-th of the day
/// (from 1): `TS20261202-0007`. A serial beyond 9999 gets more digits.
pub fn tracking_no(date: NaiveDate, serial: i64) -> String {
    numbered(TRACKING_PREFIX, date, serial)
}

/// The filing date and the serial of a complaint's tracking number; refused when it is not shaped
/// like one (whitespace around it and lower case are forgiven).
pub fn parse_tracking_no(s: &str) -> Result<(NaiveDate, i64)> {
    parse_numbered(s, &[TRACKING_PREFIX], "TS20261202-0007").map(|(_, date, serial)| (date, serial))
}

/// Any tracking number the public follows a case with (a complaint's `TS…`, a report of an
/// error's `JC…`): the kind of case it numbers, its date and its serial.
pub fn parse_public_tracking_no(s: &str) -> Result<(CaseKind, NaiveDate, i64)> {
    let prefixes = [TRACKING_PREFIX, super::objection::TRACKING_PREFIX];
    let (prefix, date, serial) =
        parse_numbered(s, &prefixes, "TS20261202-0007 或 JC20261203-0001")?;
    let kind = if prefix == TRACKING_PREFIX {
        CaseKind::Complaint
    } else {
        CaseKind::Objection
    };
    Ok((kind, date, serial))
}

/// A tracking number of one of `prefixes`: the prefix, the date and the serial.
fn parse_numbered(
    s: &str,
    prefixes: &[&'static str],
    example: &str,
) -> Result<(&'static str, NaiveDate, i64)> {
    let t = s.trim().to_ascii_uppercase();
    let bad = || {
        DomainError::new(
            Code::TrackingNoInvalid,
            format!("查询编号“{}”格式不正确，应如 {example}", shown(s.trim())),
        )
    };
    let (prefix, rest) = prefixes
        .iter()
        .find_map(|p| t.strip_prefix(p).map(|rest| (*p, rest)))
        .ok_or_else(bad)?;
    let (day, serial) = rest.split_once('-').ok_or_else(bad)?;
    let digits = |x: &str| x.bytes().all(|b| b.is_ascii_digit());
    if day.len() != 8 || !digits(day) || !(4..=9).contains(&serial.len()) || !digits(serial) {
        return Err(bad());
    }
    let date = NaiveDate::parse_from_str(day, "%Y%m%d").map_err(|_| bad())?;
    let serial: i64 = serial.parse().map_err(|_| bad())?;
    if serial < 1 {
        return Err(bad());
    }
    Ok((prefix, date, serial))
}

/// How many characters a query code (查询码) has: 40 bits, given out once and stored only as a
/// hash, checked with the tracking number (a wrong code answers like an unknown number).
pub const QUERY_CODE_LEN: usize = 8;

/// The characters of a query code: digits and capitals without 0, 1, I and O, which people
/// misread when they copy the code from a page or a text message. 32 of them, so each random
/// byte gives one character without bias.
pub const QUERY_CODE_ALPHABET: &[u8; 32] = b"23456789ABCDEFGHJKLMNPQRSTUVWXYZ";

/// The query code made of `random` bytes (from the app's random source).
pub fn query_code(random: &[u8; QUERY_CODE_LEN]) -> String {
    random
        .iter()
        .map(|b| char::from(QUERY_CODE_ALPHABET[usize::from(b & 31)]))
        .collect()
}

/// A query code as typed by a person, put in the form it was given in: spaces and hyphens
/// dropped, upper case; hash this before comparing.
pub fn normalize_query_code(s: &str) -> String {
    s.chars()
        .filter(|c| !c.is_whitespace() && *c != '-')
        .map(|c| c.to_ascii_uppercase())
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::calendar::Calendar;
    use crate::case::DeadlineChange;
    use crate::case::{Finding, rules};

    fn d(s: &str) -> NaiveDate {
        NaiveDate::parse_from_str(s, "%Y-%m-%d").unwrap()
    }

    fn step(state: CaseState, action: CaseAction, party: Party) -> Result<Step> {
        Complaint.step(state, &action, party, &Deadlines::default())
    }

    fn input() -> ComplaintInput {
        ComplaintInput {
            subject: "天津市滨海新区某街道办事处".into(),
            record_id: None,
            content: "该街道办事处拖欠我公司工程款已逾一年，多次催要无果。".into(),
            channel: "web".into(),
            contact: Some("13800000000".into()),
            name: None,
        }
    }

    #[test]
    fn opens_with_the_credit_office_for_routing() {
        let o = rules(CaseKind::Complaint).opening(&Deadlines::default(), None);
        assert_eq!(
            (o.state, o.assign, o.deadline_days),
            (CaseState::Open, Assign::CreditOffice, Some(3))
        );
        // Filed on Sat 26 September 2026, a day off: Mon 28, Tue 29, Wed 30.
        let cal = Calendar::official();
        assert_eq!(
            o.deadline(&cal, d("2026-09-26")).unwrap(),
            Some(d("2026-09-30"))
        );
    }

    #[test]
    fn route_answer_close_rate() {
        use CaseAction as A;
        let routed = step(CaseState::Open, A::Route, Party::CreditOffice).unwrap();
        assert_eq!(routed, Step::to(CaseState::Assigned, Assign::Unit, 15));
        assert_eq!(
            step(CaseState::Open, A::Route, Party::Applicant)
                .unwrap_err()
                .code,
            Code::Forbidden
        );
        // Sent on to another unit by the credit office, never by the unit that has it.
        assert_eq!(
            step(CaseState::Assigned, A::Route, Party::CreditOffice).unwrap(),
            routed
        );
        assert_eq!(
            step(CaseState::Assigned, A::Route, Party::Assignee)
                .unwrap_err()
                .code,
            Code::Forbidden
        );
        for party in [Party::Assignee, Party::CreditOffice] {
            let s = step(CaseState::Assigned, A::Answer(Finding::Founded), party).unwrap();
            assert_eq!(
                (s.next, s.outcome, s.assign, s.deadline),
                (
                    CaseState::Answered,
                    None,
                    Assign::CreditOffice,
                    DeadlineChange::Restart(5)
                )
            );
        }
        assert_eq!(
            step(
                CaseState::Assigned,
                A::Answer(Finding::Founded),
                Party::Applicant
            )
            .unwrap_err()
            .code,
            Code::Forbidden
        );
        for f in Finding::ALL {
            assert_eq!(
                step(CaseState::Answered, A::Close(f), Party::CreditOffice).unwrap(),
                Step::close(f.outcome())
            );
        }
        assert_eq!(
            step(CaseState::Answered, A::Route, Party::CreditOffice).unwrap(),
            routed
        );
        for state in [CaseState::Answered, CaseState::Closed] {
            assert_eq!(
                step(state, A::Rate(1), Party::Applicant).unwrap(),
                Step::stay(state)
            );
            assert_eq!(
                step(state, A::Rate(5), Party::CreditOffice)
                    .unwrap_err()
                    .code,
                Code::Forbidden
            );
            for bad in [0, 6, 255] {
                let e = step(state, A::Rate(bad), Party::Applicant).unwrap_err();
                assert_eq!(e.code, Code::RatingInvalid, "{bad}");
            }
        }
        assert_eq!(
            step(CaseState::Assigned, A::Rate(5), Party::Applicant)
                .unwrap_err()
                .code,
            Code::IllegalTransition
        );
        assert_eq!(
            step(
                CaseState::Assigned,
                A::Close(Finding::Founded),
                Party::CreditOffice
            )
            .unwrap_err()
            .code,
            Code::IllegalTransition
        );
    }

    #[test]
    fn withdrawal_comments_escalation_and_the_closed_case() {
        use CaseAction as A;
        for state in [CaseState::Open, CaseState::Assigned] {
            assert_eq!(
                step(state, A::Withdraw, Party::Applicant).unwrap(),
                Step::close(Outcome::Withdrawn)
            );
            assert_eq!(
                step(state, A::Escalate, Party::System).unwrap(),
                Step::stay(state)
            );
        }
        assert_eq!(
            step(CaseState::Answered, A::Withdraw, Party::Applicant)
                .unwrap_err()
                .code,
            Code::IllegalTransition
        );
        assert_eq!(
            step(CaseState::Answered, A::Comment, Party::Applicant).unwrap(),
            Step::stay(CaseState::Answered)
        );
        for a in CaseAction::EXAMPLES
            .into_iter()
            .filter(|a| !matches!(a, A::Rate(_)))
        {
            let e = step(CaseState::Closed, a, Party::CreditOffice).unwrap_err();
            assert_eq!(e.code, Code::CaseClosed, "{a:?}");
            assert!(e.message.starts_with("案件已办结，不能再"));
        }
    }

    #[test]
    fn a_rating_once_and_only_on_an_answer() {
        assert!(may_rate(CaseState::Answered, None, false).is_ok());
        assert!(may_rate(CaseState::Closed, Some(Outcome::Unfounded), false).is_ok());
        assert_eq!(
            may_rate(CaseState::Closed, Some(Outcome::Founded), true)
                .unwrap_err()
                .code,
            Code::RatingInvalid
        );
        assert_eq!(
            may_rate(CaseState::Closed, Some(Outcome::Withdrawn), false)
                .unwrap_err()
                .code,
            Code::IllegalTransition
        );
        assert!(may_rate(CaseState::Assigned, None, false).is_err());
        assert!(raises_record(Outcome::Founded) && raises_record(Outcome::PartlyFounded));
        assert!(!raises_record(Outcome::Unfounded) && !raises_record(Outcome::Withdrawn));
    }

    #[test]
    fn a_good_complaint_and_an_anonymous_one() {
        let v = input().validate().unwrap();
        assert_eq!(v.channel, Channel::Web);
        assert_eq!(v.subject_uscc, None);
        assert!(!v.anonymous());
        let mut anon = input();
        anon.contact = Some("   ".into());
        anon.channel = "12345热线".into();
        let v = anon.validate().unwrap();
        assert!(v.anonymous());
        assert_eq!(v.channel, Channel::Hotline);
        let uscc = Uscc::from_parts('1', '1', "120116", "MB123456").unwrap();
        let mut by_code = input();
        by_code.subject = format!(" {} ", uscc.as_str().to_lowercase());
        assert_eq!(by_code.validate().unwrap().subject_uscc, Some(uscc));
        let json = r#"{"subject":"区财政局","content":"拖欠中标企业合同款一年以上未支付","channel":"new_media"}"#;
        let parsed: ComplaintInput = serde_json::from_str(json).unwrap();
        assert_eq!(parsed.validate().unwrap().channel, Channel::NewMedia);
    }

    #[test]
    fn every_fault_of_a_complaint_at_once() {
        let bad = ComplaintInput {
            subject: "  ".into(),
            record_id: Some(7),
            content: "太差了".into(),
            channel: "wechat".into(),
            contact: Some("1".repeat(MAX_CONTACT + 1)),
            name: Some("张\u{202e}三".into()),
        };
        let errs = bad.validate().unwrap_err();
        let got: Vec<_> = errs.iter().map(|e| (e.column, e.error.code)).collect();
        assert_eq!(
            got,
            [
                ("subject", Code::Required),
                ("content", Code::TooShort),
                ("contact", Code::TooLong),
                ("name", Code::TextControlChar),
                ("channel", Code::ChannelInvalid),
            ]
        );
        assert!(errs[4].error.message.contains("wechat"));

        let mut long = input();
        long.content = "拖".repeat(MAX_CONTENT + 1);
        long.subject = "单".repeat(MAX_SUBJECT + 1);
        long.channel = String::new();
        let got: Vec<_> = long
            .validate()
            .unwrap_err()
            .iter()
            .map(|e| (e.column, e.error.code))
            .collect();
        assert_eq!(
            got,
            [
                ("subject", Code::TooLong),
                ("content", Code::TooLong),
                ("channel", Code::Required)
            ]
        );
        // Running text keeps its line breaks; other control characters are refused.
        let mut lines = input();
        lines.content = "第一，拖欠工程款；\n第二，拒不见面协商。".into();
        assert!(lines.validate().is_ok());
        lines.content.push('\u{7}');
        assert_eq!(
            lines.validate().unwrap_err()[0].error.code,
            Code::TextControlChar
        );
        // Exactly 10 characters is enough.
        let mut short = input();
        short.content = "一二三四五六七八九十".into();
        assert!(short.validate().is_ok());
        // An 18-character code that is no USCC.
        let mut code = input();
        code.subject = "ABCDEFGHIJKLMNOPQR".into();
        assert_eq!(code.validate().unwrap_err()[0].column, "subject");
    }

    #[test]
    fn tracking_numbers() {
        assert_eq!(tracking_no(d("2026-12-02"), 7), "TS20261202-0007");
        assert_eq!(tracking_no(d("2026-12-02"), 12345), "TS20261202-12345");
        assert_eq!(
            parse_tracking_no(" ts20261202-0007 ").unwrap(),
            (d("2026-12-02"), 7)
        );
        assert_eq!(
            parse_tracking_no("TS20261202-12345").unwrap(),
            (d("2026-12-02"), 12345)
        );
        for bad in [
            "",
            "TS20261202",
            "TS20261232-0007",
            "TS2026120-0007",
            "TS20261202-007",
            "TS20261202-0000",
            "TS20261202-00a7",
            "XS20261202-0007",
            "TS20261202-0007-1",
            "TS２０261202-0007",
            "TS20261202-1234567890",
        ] {
            let e = parse_tracking_no(bad).unwrap_err();
            assert_eq!(e.code, Code::TrackingNoInvalid, "{bad:?}");
        }
        let e = parse_tracking_no(&"X".repeat(1000)).unwrap_err();
        assert!(e.message.chars().count() < 80, "{}", e.message);
        assert_eq!(
            parse_tracking_no("JC20261203-0001").unwrap_err().message,
            "查询编号“JC20261203-0001”格式不正确，应如 TS20261202-0007",
            "a complaint's number is a TS number"
        );
    }

    #[test]
    fn public_tracking_numbers_of_both_kinds() {
        assert_eq!(tracking_day("JC", d("2026-12-03")), "JC20261203");
        assert_eq!(tracking_prefix(CaseKind::Complaint), Some("TS"));
        assert_eq!(tracking_prefix(CaseKind::Objection), Some("JC"));
        assert_eq!(tracking_prefix(CaseKind::Repair), None);
        assert_eq!(tracking_prefix(CaseKind::Rectification), None);
        assert_eq!(
            parse_public_tracking_no(" ts20261202-0007").unwrap(),
            (CaseKind::Complaint, d("2026-12-02"), 7)
        );
        assert_eq!(
            parse_public_tracking_no("jc20261203-0001 ").unwrap(),
            (CaseKind::Objection, d("2026-12-03"), 1)
        );
        for bad in [
            "",
            "XS20261202-0007",
            "JC20261232-0001",
            "JC20261203-0000",
            "JCTS20261203-0001",
        ] {
            let e = parse_public_tracking_no(bad).unwrap_err();
            assert_eq!(e.code, Code::TrackingNoInvalid, "{bad:?}");
            assert!(e.message.contains("JC20261203-0001"), "{}", e.message);
        }
    }

    #[test]
    fn query_codes() {
        let code = query_code(&[0, 1, 31, 32, 255, 7, 8, 200]);
        assert_eq!(code.len(), QUERY_CODE_LEN);
        assert_eq!(code, "23Z2Z9AA");
        assert!(!code.contains(['0', '1', 'I', 'O']));
        assert_eq!(normalize_query_code(" 23z2-z9aa "), "23Z2Z9AA");
    }

    #[test]
    fn channels() {
        for c in Channel::ALL {
            assert_eq!(Channel::parse(c.code()).unwrap(), c);
            assert_eq!(Channel::parse(c.label()).unwrap(), c);
        }
        assert_eq!(Channel::parse("HOTLINE").unwrap(), Channel::Hotline);
        assert_eq!(
            Channel::parse("fax").unwrap_err().code,
            Code::ChannelInvalid
        );
    }
}
