//! Whether a civil servant may be rated 优秀 in a year (DESIGN.md §4), as the organisation
//! department (组织人事部门) asks it: for one person, or for a whole list at once (an Excel
//! workbook of 姓名 and 身份证号) answered with a workbook of results.
//!
//! Every answer is the credit check (`sanctions::check`, purpose `excellent_rating`): this module
//! decides no rule of its own. It finds the person, asks the check (which logs it with its number
//! `HC…`), and words the answer for the department: the records behind a refusal, the records a
//! repair's 从轻或免于惩戒 lifted, or that nothing stands in the way.
//!
//! A list is all or nothing: it is read and every row validated before anyone is checked. A list
//! with any problem (an ID number that fails its check digit, a name or ID number missing, a name
//! that is not the name the ID number is registered under, a person listed twice, more than
//! `MAX_ROWS` people) is refused with every problem and its row, and nothing is checked or logged.
//! A well-formed ID number that names no civil servant on the roster is not a problem of the
//! list but a result of its own (`未在平台登记`): the department's lists include people the
//! roster has not caught up with, and the platform can hold no record about someone who is not on
//! it. Such a row is not a check and has no number, and it never reads as eligible.

use std::collections::HashMap;
use std::io::Read;
use std::path::Path;

use chrono::Datelike;
use probity_domain::Code;
use probity_domain::catalog::Catalog;
use probity_domain::disclosure::mask_name;
use probity_domain::ident::IdNumber;
use probity_domain::record::RecordState;
use probity_domain::sanction::{
    self, Decision, MeasureHit, Measures, Purpose, RecordFact, Rules, SubjectFacts,
};
use probity_domain::subject::SubjectKind;
use probity_ingest::{ColumnSpec, Format, Limits, TableReader, TemplateColumn};
use probity_store::{StoreError, Subject};

use crate::sanctions::{self, YEARS};
use crate::{Actor, App, AppError, AppResult};

/// What every eligibility question asks the credit check.
pub const PURPOSE: Purpose = Purpose::ExcellentRating;

/// People one list may hold.
pub const MAX_ROWS: usize = 2_000;

/// Largest list file accepted (two thousand rows of two columns are well under 200 KB).
pub const MAX_FILE_BYTES: u64 = 5 * 1024 * 1024;

/// A list's workbook may unpack to this much (a list exported from another system may carry
/// other sheets and formatting), and no more.
const LIMITS: Limits = Limits {
    max_part_bytes: 64 << 20,
    max_unpacked_bytes: 128 << 20,
    max_parts: 1_000,
    max_shared_strings: 500_000,
    max_shared_string_bytes: 32 << 20,
    max_workbook_items: 20_000,
    max_columns: 1_024,
    max_cell_bytes: 64 << 10,
    max_row_bytes: 1 << 20,
};

/// The list's columns; extra columns (序号, 单位 …) are ignored.
pub const COLUMNS: &[ColumnSpec] = &[
    ColumnSpec {
        key: "name",
        header: "姓名",
        required: true,
        aliases: &[],
    },
    ColumnSpec {
        key: "id_number",
        header: "身份证号",
        required: true,
        aliases: &["身份证号码", "公民身份号码"],
    },
];

/// A list with problems: `fields` of the answer hold each problem with its row.
pub const LIST_INVALID: &str = "ELIGIBILITY_LIST_INVALID";
/// One ID number on two rows of a list.
pub const DUPLICATE_PERSON: &str = "ELIGIBILITY_DUPLICATE_PERSON";
/// More than `MAX_ROWS` people in a list.
pub const TOO_MANY_ROWS: &str = "ELIGIBILITY_TOO_MANY_ROWS";
/// A list without anyone in it.
pub const LIST_EMPTY: &str = "ELIGIBILITY_LIST_EMPTY";
/// The year asked about is out of `sanctions::YEARS` (the credit check's own code).
pub const YEAR_INVALID: &str = "YEAR_INVALID";

/// 核查结果 of a person who may be rated 优秀.
pub const ELIGIBLE: &str = "可以评为优秀";
/// 核查结果 of a person who may not.
pub const NOT_ELIGIBLE: &str = "不得评为优秀";
/// 核查结果 of a list's row whose ID number names no civil servant on the roster.
pub const UNREGISTERED: &str = "未在平台登记";

/// The answer about one civil servant.
#[derive(Debug, Clone)]
pub struct Eligibility {
    pub subject_id: i64,
    /// The name as the credit check masks it (王*).
    pub name: String,
    /// The ID number as the platform shows it (1201**********273X).
    pub id_masked: String,
    /// The unit's short name (else its name); empty when the roster names none.
    pub unit: String,
    pub position: String,
    pub year: i32,
    pub eligible: bool,
    pub decision: Decision,
    /// Why, in Chinese: one line per record behind a refusal or lifted by a repair, or one line
    /// saying that nothing stands in the way.
    pub reasons: Vec<String>,
    /// The measures behind a refusal (none when eligible).
    pub measures: Vec<MeasureHit>,
    /// The records behind a refusal, ascending.
    pub records: Vec<i64>,
    /// 核查编号 of the logged check.
    pub check_no: String,
}

impl Eligibility {
    /// 核查结果.
    pub fn result_label(&self) -> &'static str {
        if self.eligible {
            ELIGIBLE
        } else {
            NOT_ELIGIBLE
        }
    }
}

/// Refuses a year the credit check would refuse, before anything is read or logged.
fn check_year(year: i32) -> AppResult<()> {
    if YEARS.contains(&year) {
        return Ok(());
    }
    Err(AppError::BadInput {
        code: YEAR_INVALID,
        message: format!(
            "核查年度应在 {} 到 {} 之间，收到的是 {year}",
            YEARS.start(),
            YEARS.end()
        ),
    }
    .at("year"))
}

/// Reads a year as a form or a query gives it.
pub fn parse_year(text: &str) -> AppResult<i32> {
    let t = text.trim();
    if t.is_empty() {
        return Err(AppError::BadInput {
            code: YEAR_INVALID,
            message: "请填写核查年度（如 2026）".into(),
        }
        .at("year"));
    }
    let year = t.parse::<i32>().map_err(|_| {
        AppError::BadInput {
            code: YEAR_INVALID,
            message: "核查年度应为四位数字的年份（如 2026）".into(),
        }
        .at("year")
    })?;
    check_year(year)?;
    Ok(year)
}

/// Whether civil servant `subject_id` may be rated 优秀 in `year`; the check is logged. An id
/// that names no civil servant is `NOT_FOUND`, and nothing is logged.
pub fn check_subject(
    app: &App,
    actor: &Actor,
    subject_id: i64,
    year: i32,
) -> AppResult<Eligibility> {
    check_year(year)?;
    let subject = civil_servant(app, subject_id)?;
    Checker::new(app)?.check(actor, &subject, year)
}

/// As `check_subject`, the person named by an ID number or a subject id (as the console's
/// lookup is typed). The reference is never echoed: it may be an ID number.
pub fn check_person(
    app: &App,
    actor: &Actor,
    reference: &str,
    year: i32,
) -> AppResult<Eligibility> {
    check_year(year)?;
    let r = reference.trim();
    if r.is_empty() {
        return Err(AppError::BadInput {
            code: Code::Required.as_str(),
            message: "请填写公务员的身份证号或主体编号".into(),
        }
        .at("person"));
    }
    let subject = if r.chars().count() == 18 {
        let id_number = IdNumber::parse(r).map_err(|e| AppError::from(e).at("person"))?;
        match app.store().find_civil_servant(&id_number)? {
            Some(s) if s.kind == SubjectKind::CivilServant => s,
            _ => return Err(not_a_civil_servant()),
        }
    } else {
        match r.parse::<i64>() {
            Ok(id) if id > 0 && r.bytes().all(|b| b.is_ascii_digit()) => civil_servant(app, id)?,
            _ => {
                return Err(AppError::BadInput {
                    code: "PERSON_INVALID",
                    message: "请填写 18 位身份证号，或公务员在平台的主体编号（数字）".into(),
                }
                .at("person"));
            }
        }
    };
    Checker::new(app)?.check(actor, &subject, year)
}

fn not_a_civil_servant() -> AppError {
    AppError::NotFound("未找到该公务员：请核对身份证号或主体编号".into())
}

/// The civil servant with this id; any other subject is not found.
fn civil_servant(app: &App, id: i64) -> AppResult<Subject> {
    match app.store().subject(id) {
        Ok(s) if s.kind == SubjectKind::CivilServant => Ok(s),
        Ok(_) | Err(StoreError::NotFound(_)) => Err(not_a_civil_servant()),
        Err(e) => Err(e.into()),
    }
}

/// What one run of questions reads once: the catalog and the rules (to word the answers), and
/// the units' names.
struct Checker<'a> {
    app: &'a App,
    catalog: Catalog,
    measures: Measures,
    rules: Rules,
    units: HashMap<i64, String>,
}

impl<'a> Checker<'a> {
    fn new(app: &'a App) -> AppResult<Checker<'a>> {
        let catalog = app.store().catalog()?;
        let measures = Measures::shipped();
        let rules = Rules::shipped(&measures, &catalog).map_err(|errs| {
            AppError::Other(format!(
                "联合奖惩规则与当前目录不一致：{}",
                errs.iter()
                    .map(|e| e.message.as_str())
                    .collect::<Vec<_>>()
                    .join("；")
            ))
        })?;
        Ok(Checker {
            app,
            catalog,
            measures,
            rules,
            units: HashMap::new(),
        })
    }

    fn unit_name(&mut self, unit: Option<i64>) -> AppResult<String> {
        let Some(id) = unit else {
            return Ok(String::new());
        };
        if let Some(n) = self.units.get(&id) {
            return Ok(n.clone());
        }
        let name = match self.app.store().subject(id) {
            Ok(u) => u.short_name.unwrap_or(u.name),
            Err(StoreError::NotFound(_)) => String::new(),
            Err(e) => return Err(e.into()),
        };
        self.units.insert(id, name.clone());
        Ok(name)
    }

    /// Asks the credit check about `subject` (logged there) and words its answer.
    fn check(&mut self, actor: &Actor, subject: &Subject, year: i32) -> AppResult<Eligibility> {
        let checked = sanctions::check(
            self.app,
            actor,
            &subject.id.to_string(),
            PURPOSE.code(),
            year,
        )?;
        let outcome = checked.outcome;
        let eligible = outcome.decision != Decision::Restricted;
        let facts = self.app.store().sanction_facts(subject.id)?;
        let reasons = if eligible {
            self.eligible_reasons(&facts, year)?
        } else {
            outcome
                .records
                .iter()
                .map(|id| {
                    let fact = facts.iter().find(|f| f.id == *id);
                    self.barring_reason(*id, fact, year)
                })
                .collect::<AppResult<_>>()?
        };
        Ok(Eligibility {
            subject_id: subject.id,
            name: checked.subject_name,
            id_masked: subject.id_masked.clone().unwrap_or_default(),
            unit: self.unit_name(subject.unit_id)?,
            position: subject.position.clone().unwrap_or_default(),
            year,
            eligible,
            decision: outcome.decision,
            reasons,
            measures: outcome.measures,
            records: outcome.records,
            check_no: checked.check_no,
        })
    }

    /// 拖欠企业账款（津滨财〔2026〕31号）: the record's category and document number.
    fn record_label(&self, id: i64) -> AppResult<(String, Option<RecordState>)> {
        match self.app.store().record(id) {
            Ok(r) => {
                let category = self
                    .catalog
                    .get(&r.category)
                    .map_or(r.category.clone(), |c| c.name.clone());
                Ok((format!("{category}（{}）", r.document_no), Some(r.state)))
            }
            Err(StoreError::NotFound(_)) => Ok((format!("记录 #{id}"), None)),
            Err(e) => Err(e.into()),
        }
    }

    /// Why a record keeps the person from 优秀 in `year`: decided in it, or in force in it.
    fn barring_reason(&self, id: i64, fact: Option<&RecordFact>, year: i32) -> AppResult<String> {
        let (label, state) = self.record_label(id)?;
        let objected = if state == Some(RecordState::Objected) {
            "（异议处理中，处理完毕前仍予计入）"
        } else {
            ""
        };
        let Some(fact) = fact else {
            return Ok(format!("存在政务失信记录：{label}{objected}"));
        };
        let decided = fact.decided_on;
        let when = if decided.year() == year {
            format!("{decided} 作出，属 {year} 年内作出的记录")
        } else {
            match fact.in_force(&self.catalog) {
                Some(f) if f.meets_year(year) => {
                    format!("{decided} 作出，有效期至 {}，{year} 年内仍在有效期", f.last)
                }
                _ => format!("{decided} 作出"),
            }
        };
        Ok(format!("存在政务失信记录：{label}，{when}{objected}"))
    }

    /// Why nothing keeps the person from 优秀: the records a repair's 从轻或免于惩戒 lifted (those
    /// the same rules would have counted without it), or none at all.
    fn eligible_reasons(&self, facts: &[RecordFact], year: i32) -> AppResult<Vec<String>> {
        let mut lifted = Vec::new();
        if facts.iter().any(|f| f.exemption) {
            let without = SubjectFacts::of_records(
                SubjectKind::CivilServant,
                facts
                    .iter()
                    .cloned()
                    .map(|f| RecordFact {
                        exemption: false,
                        ..f
                    })
                    .collect(),
            );
            let would = sanction::check(
                &self.measures,
                &self.rules,
                &self.catalog,
                &without,
                PURPOSE,
                year,
            );
            if would.decision == Decision::Restricted {
                lifted = would.records;
            }
        }
        if lifted.is_empty() {
            return Ok(vec![format!("{year} 年内无作出或仍在有效期的政务失信记录")]);
        }
        lifted
            .into_iter()
            .map(|id| {
                let (label, _) = self.record_label(id)?;
                let decided = facts
                    .iter()
                    .find(|f| f.id == id)
                    .map(|f| format!("，{} 作出", f.decided_on))
                    .unwrap_or_default();
                Ok(format!(
                    "政务失信记录{label}{decided}，经信用修复准予从轻或免于惩戒，不影响 {year} 年度评为优秀"
                ))
            })
            .collect()
    }
}

// ---- Lists ----------------------------------------------------------------------------------

/// One problem of a list: its row as the official sees it in Excel (the header is row 1), the
/// column, a stable code and a Chinese message that names the row.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RowProblem {
    pub row: usize,
    /// `name` or `id_number`; empty for a row as a whole.
    pub column: &'static str,
    pub code: &'static str,
    pub message: String,
}

impl RowProblem {
    /// The column's Chinese header.
    pub fn header(&self) -> &'static str {
        COLUMNS
            .iter()
            .find(|c| c.key == self.column)
            .map_or("", |c| c.header)
    }
}

/// One person of a checked list, in the list's order.
#[derive(Debug, Clone)]
pub struct ListRow {
    /// 序号: 1, 2, 3 … in the list's order.
    pub seq: usize,
    /// The row in the file.
    pub row: usize,
    /// The name as the list gives it (it matched the roster).
    pub name: String,
    /// The ID number masked.
    pub id_masked: String,
    pub answer: RowAnswer,
}

#[derive(Debug, Clone)]
pub enum RowAnswer {
    Checked(Box<Eligibility>),
    /// The ID number names no civil servant on the roster: not checked, no number.
    Unregistered,
}

impl ListRow {
    /// 核查结果.
    pub fn result_label(&self) -> &'static str {
        match &self.answer {
            RowAnswer::Checked(e) => e.result_label(),
            RowAnswer::Unregistered => UNREGISTERED,
        }
    }

    /// 原因, on one line.
    pub fn reasons(&self) -> String {
        match &self.answer {
            RowAnswer::Checked(e) => e.reasons.join("；"),
            RowAnswer::Unregistered => {
                "该身份证号未在平台公务员名录中登记，平台没有其信用记录，未予核查；请核对身份证号，或请信用办将其登记后再核查".into()
            }
        }
    }

    /// 核查编号; empty for a row not checked.
    pub fn check_no(&self) -> &str {
        match &self.answer {
            RowAnswer::Checked(e) => &e.check_no,
            RowAnswer::Unregistered => "",
        }
    }
}

/// A list checked, person by person.
#[derive(Debug, Clone)]
pub struct CheckedList {
    pub year: i32,
    pub rows: Vec<ListRow>,
}

impl CheckedList {
    /// (可以评为优秀, 不得评为优秀, 未在平台登记).
    pub fn counts(&self) -> (usize, usize, usize) {
        let mut c = (0, 0, 0);
        for r in &self.rows {
            match &r.answer {
                RowAnswer::Checked(e) if e.eligible => c.0 += 1,
                RowAnswer::Checked(_) => c.1 += 1,
                RowAnswer::Unregistered => c.2 += 1,
            }
        }
        c
    }
}

/// What a list came to: checked, or refused with every problem (and nothing checked).
#[derive(Debug, Clone)]
pub enum ListOutcome {
    Checked(CheckedList),
    Refused(Vec<RowProblem>),
}

/// A row read and found sound, waiting to be checked.
struct Listed {
    row: usize,
    name: String,
    id_masked: String,
    subject: Option<Subject>,
}

/// Checks every person of the list in `file` (an .xlsx of 姓名 and 身份证号) for `year`: all of
/// them, each logged, or none when the list has any problem. A file that cannot be read as such
/// a list (too large, not a workbook, a column missing, too many rows, nobody in it) is a refusal
/// of its own.
pub fn check_list(app: &App, actor: &Actor, file: &Path, year: i32) -> AppResult<ListOutcome> {
    check_year(year)?;
    let listed = match read_list(app, file)? {
        Ok(listed) => listed,
        Err(problems) => return Ok(ListOutcome::Refused(problems)),
    };
    let mut checker = Checker::new(app)?;
    let mut rows = Vec::with_capacity(listed.len());
    for (i, l) in listed.into_iter().enumerate() {
        let answer = match &l.subject {
            Some(s) => RowAnswer::Checked(Box::new(checker.check(actor, s, year)?)),
            None => RowAnswer::Unregistered,
        };
        rows.push(ListRow {
            seq: i + 1,
            row: l.row,
            name: l.name,
            id_masked: l.id_masked,
            answer,
        });
    }
    Ok(ListOutcome::Checked(CheckedList { year, rows }))
}

/// A name as two officials may type it: no spaces, one kind of middle dot (阿依古丽·买买提).
fn name_key(name: &str) -> String {
    name.chars()
        .filter(|c| !c.is_whitespace())
        .map(|c| match c {
            '•' | '・' | '‧' | '．' | '.' | '∙' | '⋅' => '·',
            other => other,
        })
        .collect()
}

/// Refuses a file that cannot be a list before it is parsed: too large, empty, or not an Excel
/// workbook (an OLE2 file is let through to the reader, which tells a legacy .xls from an
/// encrypted .xlsx).
fn admit_file(file: &Path) -> AppResult<()> {
    let unreadable = |e: std::io::Error| AppError::Other(format!("名单文件无法读取：{e}"));
    let len = std::fs::metadata(file).map_err(unreadable)?.len();
    if len > MAX_FILE_BYTES {
        return Err(AppError::Invalid {
            code: probity_ingest::code::FILE_TOO_LARGE,
            message: format!(
                "名单文件过大：最多 {} MB，请拆分后分批核查",
                MAX_FILE_BYTES / (1024 * 1024)
            ),
        });
    }
    let mut head = [0u8; 4];
    let n = std::fs::File::open(file)
        .and_then(|mut f| f.read(&mut head))
        .map_err(unreadable)?;
    let workbook = n == 4 && (head == *b"PK\x03\x04" || head == [0xD0, 0xCF, 0x11, 0xE0]);
    if !workbook {
        return Err(AppError::Invalid {
            code: probity_ingest::code::FILE_FORMAT,
            message: "名单应为 Excel 工作簿（.xlsx），第一行为表头“姓名”“身份证号”：请在 Excel 中另存为 .xlsx 后上传，或下载模板填写".into(),
        });
    }
    Ok(())
}

/// Reads and validates every row of a list; the people in it, or every problem it has.
fn read_list(app: &App, file: &Path) -> AppResult<Result<Vec<Listed>, Vec<RowProblem>>> {
    admit_file(file)?;
    let reader = TableReader::open_as_with_limits(file, Format::Xlsx, COLUMNS, LIMITS)?;
    let store = app.store();
    let mut problems = Vec::new();
    let mut listed = Vec::new();
    let mut seen: HashMap<String, usize> = HashMap::new();
    let mut people = 0usize;
    let problem =
        |row: usize, column: &'static str, code: &'static str, message: String| RowProblem {
            row,
            column,
            code,
            message: format!("第 {row} 行：{message}"),
        };
    for item in reader {
        let row = match item {
            Ok(row) => row,
            Err(e) if !e.fatal => {
                let n = e.row.unwrap_or(0);
                problems.push(RowProblem {
                    row: n,
                    column: "",
                    code: e.code,
                    message: e.message,
                });
                continue;
            }
            Err(e) => return Err(e.into()),
        };
        let (name, id) = (row.cell(0).trim(), row.cell(1).trim());
        if name.is_empty() && id.is_empty() {
            continue;
        }
        people += 1;
        if people > MAX_ROWS {
            return Err(AppError::Invalid {
                code: TOO_MANY_ROWS,
                message: format!(
                    "名单超过 {MAX_ROWS} 人（第 {} 行已是第 {people} 人），请拆分后分批核查",
                    row.number
                ),
            });
        }
        let n = row.number;
        if name.is_empty() {
            problems.push(problem(
                n,
                "name",
                Code::Required.as_str(),
                "姓名为空".into(),
            ));
        }
        if id.is_empty() {
            problems.push(problem(
                n,
                "id_number",
                Code::Required.as_str(),
                "身份证号为空".into(),
            ));
            continue;
        }
        let id_number = match IdNumber::parse(id) {
            Ok(x) => x,
            Err(e) => {
                problems.push(problem(n, "id_number", e.code.as_str(), e.message));
                continue;
            }
        };
        if let Some(first) = seen.get(id_number.as_str()) {
            problems.push(problem(
                n,
                "id_number",
                DUPLICATE_PERSON,
                format!(
                    "身份证号 {} 与第 {first} 行重复，同一人只列一次",
                    id_number.masked()
                ),
            ));
            continue;
        }
        seen.insert(id_number.as_str().to_string(), n);
        if name.is_empty() {
            continue;
        }
        let subject = store
            .find_civil_servant(&id_number)?
            .filter(|s| s.kind == SubjectKind::CivilServant);
        if let Some(s) = &subject
            && name_key(&s.name) != name_key(name)
        {
            problems.push(problem(
                n,
                "name",
                Code::SubjectNameMismatch.as_str(),
                format!(
                    "姓名“{name}”与身份证号 {} 在平台登记的公务员姓名（{}）不一致，请核对姓名和身份证号",
                    id_number.masked(),
                    mask_name(&s.name)
                ),
            ));
            continue;
        }
        listed.push(Listed {
            row: n,
            name: name.to_string(),
            id_masked: id_number.masked(),
            subject,
        });
    }
    if !problems.is_empty() {
        problems.sort_by_key(|p| p.row);
        return Ok(Err(problems));
    }
    if listed.is_empty() {
        return Err(AppError::Invalid {
            code: LIST_EMPTY,
            message: "名单中没有人员：请在表头“姓名”“身份证号”下每行填写一名公务员".into(),
        });
    }
    Ok(Ok(listed))
}

/// The answer to a list as a workbook: 序号, 姓名, 身份证号 (masked), 核查结果, 原因, 核查编号.
pub fn list_workbook(list: &CheckedList) -> AppResult<Vec<u8>> {
    const HEADERS: &[(&str, &str)] = &[
        ("seq", "序号"),
        ("name", "姓名"),
        ("id_number", "身份证号"),
        ("result", "核查结果"),
        ("reasons", "原因"),
        ("check_no", "核查编号"),
    ];
    let dir = tempfile::tempdir().map_err(|e| AppError::msg(format!("生成结果失败：{e}")))?;
    let path = dir.path().join("eligibility.xlsx");
    let mut w = probity_ingest::TableWriter::create(&path, Format::Xlsx, HEADERS)?;
    for r in &list.rows {
        w.write_row(&[
            &r.seq.to_string(),
            &r.name,
            &r.id_masked,
            r.result_label(),
            &r.reasons(),
            r.check_no(),
        ])?;
    }
    w.finish()?;
    std::fs::read(&path).map_err(|e| AppError::msg(format!("生成结果失败：{e}")))
}

/// The file name of a list's answer: 优秀等次资格核查结果-2026.xlsx.
pub fn result_file_name(year: i32) -> String {
    format!("优秀等次资格核查结果-{year}.xlsx")
}

/// The list's template: the two columns (ID numbers formatted as text, so that Excel keeps all
/// 18 digits) and a 说明 sheet. No sample row, so that nobody is checked by mistake.
pub fn template() -> AppResult<Vec<u8>> {
    let column = |spec: &ColumnSpec, text: bool, width: f64, note: &str| TemplateColumn {
        header: spec.header.to_string(),
        key: spec.key.to_string(),
        required: spec.required,
        sample: String::new(),
        allowed: Vec::new(),
        text,
        width,
        note: note.to_string(),
    };
    let cols = [
        column(&COLUMNS[0], false, 16.0, "与平台主体名录登记的姓名一致"),
        column(
            &COLUMNS[1],
            true,
            26.0,
            "18 位公民身份号码，末位可为 X；本列已设为文本格式，请勿改为数字，以免后几位丢失",
        ),
    ];
    let dir = tempfile::tempdir().map_err(|e| AppError::msg(format!("生成模板失败：{e}")))?;
    let path = dir.path().join("template.xlsx");
    probity_ingest::write_template(
        &path,
        "优秀等次资格核查名单",
        &cols,
        &[
            "年度考核优秀等次资格核查名单：每行一名公务员，填写姓名和身份证号；第 1 行为表头，请勿修改。".to_string(),
            format!("每份名单最多 {MAX_ROWS} 人。名单中有任何问题（身份证号有误、姓名为空、姓名与登记不符、同一人重复）时，整份名单不予核查，并列出全部问题及所在行。"),
            "核查结果为“可以评为优秀”“不得评为优秀”或“未在平台登记”；每名已登记公务员的核查均登记核查编号。".to_string(),
        ],
    )?;
    std::fs::read(&path).map_err(|e| AppError::msg(format!("生成模板失败：{e}")))
}
