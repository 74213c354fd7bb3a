//! `probity gen`: deterministic synthetic rosters and record files for tests and benchmarks.
//!
//! The same (subjects, records, seed, provider, today) give byte-identical files on every
//! platform: all randomness comes from [`SplitMix64`] and integer arithmetic. Nothing is held in
//! memory per row: every subject is a pure function of its index, so a million records stream
//! through a buffered writer.

use std::fmt;
use std::fs::{self, File};
use std::io::BufWriter;
use std::path::{Path, PathBuf};

use chrono::{Datelike, Days, NaiveDate};
use probity_domain::catalog::{Category, RecordKind, Severity, default_catalog};
use probity_domain::date::format_date;
use probity_domain::ident::{IdNumber, Uscc};
use probity_domain::subject::{RosterRow, SubjectKind};

pub use probity_app::demo::SplitMix64;
use probity_app::demo::{self, BINHAI_DIVISION, DISTRICT_GOVERNMENT, PERMUTE};

/// A hash of (seed, stream, index): the attributes of the index-th item of a stream.
fn hash(seed: u64, stream: u64, index: u64) -> u64 {
    SplitMix64::new(
        seed ^ stream.wrapping_mul(0xD6E8_FEB8_6659_FD93)
            ^ index.wrapping_mul(0xA076_1D64_78BD_642F),
    )
    .next_u64()
}

/// What [`generate`] wrote.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GenSummary {
    pub subjects: usize,
    pub records: usize,
    pub roster_path: PathBuf,
    pub records_path: PathBuf,
    /// Short name of the provider of every record.
    pub provider: String,
    /// Set when the request was adjusted (e.g. fewer subjects than the demo district has units).
    pub notice: Option<String>,
}

impl fmt::Display for GenSummary {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if let Some(n) = &self.notice {
            writeln!(f, "注意：{n}")?;
        }
        writeln!(
            f,
            "主体名单：{} 个主体 → {}",
            self.subjects,
            self.roster_path.display()
        )?;
        write!(
            f,
            "信用记录：{} 条（报送单位：{}）→ {}",
            self.records,
            self.provider,
            self.records_path.display()
        )
    }
}

/// Upper bound of `--subjects`: civil servants' ID numbers must stay distinct (see [`CIVIL_CAPACITY`]).
pub const MAX_SUBJECTS: usize = 20_000_000;

/// Roster columns, in the order of DESIGN.md section 5.
pub const ROSTER_HEADER: [&str; 8] = [
    "名称",
    "简称",
    "主体类型",
    "统一社会信用代码",
    "上级单位",
    "身份证号",
    "所在单位",
    "职务",
];

/// Record columns, in the order of DESIGN.md section 5.
pub const RECORDS_HEADER: [&str; 13] = [
    "主体名称",
    "统一社会信用代码",
    "身份证号",
    "记录类别",
    "决定文书号",
    "决定日期",
    "决定机关",
    "失信事实",
    "处理依据",
    "处理结果",
    "严重程度",
    "公开范围",
    "公示截止日期",
];

/// Birth dates of synthetic civil servants: 1960-01-01 plus 0..BIRTH_DAYS days (to 1999-12-31).
const BIRTH_DAYS: u64 = 14_610;
/// Sequence codes 100-999 (000-099 belong to the demo district).
const SEQ_CODES: u64 = 900;
/// Distinct synthetic ID numbers available.
const CIVIL_CAPACITY: u64 = BIRTH_DAYS * SEQ_CODES;
/// Distinct synthetic organisation codes available (`MC` + 6 chars).
const UNIT_CAPACITY: u64 = 31u64.pow(6);

const STREAM_UNIT: u64 = 1;
const STREAM_CIVIL: u64 = 2;
const STREAM_RECORDS: u64 = 3;

/// Lines of work of synthetic departments: (full name part, short name part).
const DEPARTMENT_LINES: &[(&str, &str)] = &[
    ("市场监督管理局", "区市场监管局"),
    ("城市管理委员会", "区城管委"),
    ("生态环境局", "区生态环境局"),
    ("卫生健康委员会", "区卫健委"),
    ("教育体育局", "区教体局"),
    ("文化和旅游局", "区文旅局"),
    ("水务局", "区水务局"),
    ("农业农村委员会", "区农业农村委"),
    ("应急管理局", "区应急局"),
    ("人力资源和社会保障局", "区人社局"),
    ("司法局", "区司法局"),
    ("审计局", "区审计局"),
    ("统计局", "区统计局"),
    ("住房和建设委员会", "区住建委"),
    ("退役军人事务局", "区退役军人局"),
    ("医疗保障局", "区医保局"),
];

/// Place names of synthetic townships.
const PLACES: &[&str] = &[
    "滨港", "海丰", "兴港", "临海", "港城", "渤龙", "海泰", "盐田", "津塘", "新湖", "港湾", "北岸",
    "东沽", "西沽", "南堤", "海晏",
];

/// The synthetic population: the demo district's units, then synthetic units, then civil servants.
/// Every member is a pure function of its index.
struct Population {
    seed: u64,
    demo_units: Vec<RosterRow>,
    /// All units, demo ones included.
    units: usize,
    civil: usize,
    unit_offset: u64,
    civil_offset: u64,
}

/// A subject as a record names it.
struct SubjectRef {
    name: String,
    uscc: String,
    id_number: String,
}

impl Population {
    fn total(&self) -> usize {
        self.units + self.civil
    }

    /// Name, short name and kind of synthetic unit `k` (0-based among the synthetic ones).
    fn synthetic_names(&self, k: usize) -> (String, String, SubjectKind) {
        let h = hash(self.seed, STREAM_UNIT, k as u64);
        let n = k + 1;
        // One synthetic unit in three is a township, the rest departments.
        if h % 3 < 1 {
            let place = PLACES[((h >> 8) % PLACES.len() as u64) as usize];
            (
                format!("天津市滨海新区{place}第{n}街道办事处"),
                format!("{place}第{n}街道"),
                SubjectKind::Township,
            )
        } else {
            let (full, short) =
                DEPARTMENT_LINES[((h >> 8) % DEPARTMENT_LINES.len() as u64) as usize];
            (
                format!("天津市滨海新区{full}第{n}分局"),
                format!("{short}第{n}分局"),
                SubjectKind::Department,
            )
        }
    }

    fn synthetic_uscc(&self, k: usize) -> String {
        let n = (k as u64 * PERMUTE + self.unit_offset) % UNIT_CAPACITY;
        Uscc::from_parts('1', '1', BINHAI_DIVISION, &demo::org_body("MC", n))
            .map(|u| u.as_str().to_string())
            .unwrap_or_default()
    }

    fn unit_short_name(&self, i: usize) -> String {
        match self.demo_units.get(i) {
            Some(r) => r.short_name.clone(),
            None => self.synthetic_names(i - self.demo_units.len()).1,
        }
    }

    fn unit_is_township(&self, i: usize) -> bool {
        match self.demo_units.get(i) {
            Some(r) => r.kind == SubjectKind::Township.label(),
            None => self.synthetic_names(i - self.demo_units.len()).2 == SubjectKind::Township,
        }
    }

    fn unit_row(&self, i: usize) -> RosterRow {
        if let Some(r) = self.demo_units.get(i) {
            return r.clone();
        }
        let k = i - self.demo_units.len();
        let (name, short_name, kind) = self.synthetic_names(k);
        RosterRow {
            name,
            short_name,
            kind: kind.label().to_string(),
            uscc: self.synthetic_uscc(k),
            parent: DISTRICT_GOVERNMENT.to_string(),
            ..Default::default()
        }
    }

    fn civil_name(&self, j: usize) -> String {
        demo::person_name(hash(self.seed, STREAM_CIVIL, j as u64))
    }

    fn civil_id(&self, j: usize) -> String {
        let p = (j as u64 * PERMUTE + self.civil_offset) % CIVIL_CAPACITY;
        let first = NaiveDate::from_ymd_opt(1960, 1, 1).unwrap_or_default();
        let birth = first
            .checked_add_days(Days::new(p % BIRTH_DAYS))
            .unwrap_or(first);
        let seq = (100 + p / BIRTH_DAYS) as u16;
        IdNumber::from_parts(BINHAI_DIVISION, birth, seq)
            .map(|id| id.as_str().to_string())
            .unwrap_or_default()
    }

    fn civil_row(&self, j: usize) -> RosterRow {
        let h = hash(self.seed, STREAM_CIVIL, j as u64);
        let unit = ((h >> 40) % self.units.max(1) as u64) as usize;
        let position = demo::staff_position(h >> 20, self.unit_is_township(unit));
        RosterRow {
            name: self.civil_name(j),
            kind: SubjectKind::CivilServant.label().to_string(),
            id_number: self.civil_id(j),
            unit: self.unit_short_name(unit),
            position: position.to_string(),
            ..Default::default()
        }
    }

    /// Subject `t` of the whole population (units first).
    fn subject(&self, t: usize) -> SubjectRef {
        if t < self.units {
            let (name, uscc) = match self.demo_units.get(t) {
                Some(r) => (r.name.clone(), r.uscc.clone()),
                None => {
                    let k = t - self.demo_units.len();
                    (self.synthetic_names(k).0, self.synthetic_uscc(k))
                }
            };
            SubjectRef {
                name,
                uscc,
                id_number: String::new(),
            }
        } else {
            let j = t - self.units;
            SubjectRef {
                name: self.civil_name(j),
                uscc: String::new(),
                id_number: self.civil_id(j),
            }
        }
    }
}

/// Whom records of a category concern.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Concerns {
    Units,
    CivilServants,
    Anyone,
}

fn concerns(code: &str) -> Concerns {
    match code {
        "DISCIPLINARY_SANCTION" | "ACCOUNTABILITY" => Concerns::CivilServants,
        "HONOUR" => Concerns::Anyone,
        _ => Concerns::Units,
    }
}

fn io_error(path: &Path, e: impl fmt::Display) -> String {
    format!("无法写入 {}：{e}", path.display())
}

fn csv_writer(path: &Path) -> Result<csv::Writer<BufWriter<File>>, String> {
    let file = File::create(path).map_err(|e| io_error(path, e))?;
    Ok(csv::WriterBuilder::new()
        .buffer_capacity(1 << 16)
        .from_writer(BufWriter::with_capacity(1 << 16, file)))
}

fn finish(mut w: csv::Writer<BufWriter<File>>, path: &Path) -> Result<(), String> {
    w.flush().map_err(|e| io_error(path, e))?;
    let inner = w.into_inner().map_err(|e| io_error(path, e.error()))?;
    inner.into_inner().map_err(|e| io_error(path, e.error()))?;
    Ok(())
}

/// Writes `out/roster.csv` and `out/records.csv` (UTF-8 without BOM, the import columns of
/// DESIGN.md section 5): the demo district's units plus synthetic units and civil servants up to
/// `subjects` in total (about 40% units), and `records` records submitted by `provider` (a demo
/// unit's short or full name) in the categories the default catalog allows it, decided in the 3
/// years before `today`. Streaming: memory does not grow with `records` or `subjects`.
pub fn generate(
    subjects: usize,
    records: usize,
    seed: u64,
    provider: &str,
    today: NaiveDate,
    out: &Path,
) -> Result<GenSummary, String> {
    let provider = provider.trim();
    let Some(provider) = demo::unit_def(provider) else {
        return Err(format!(
            "未知的报送单位：{provider}（应为示范区单位的简称或全称，如 区财政局、区法院）"
        ));
    };
    if subjects > MAX_SUBJECTS {
        return Err(format!("主体数量过大：{subjects}，最多 {MAX_SUBJECTS} 个"));
    }

    let demo_units: Vec<RosterRow> = demo::demo_district(today)
        .roster
        .into_iter()
        .filter(|r| r.kind != SubjectKind::CivilServant.label())
        .collect();
    let mut notice = None;
    let total = if subjects < demo_units.len() {
        notice = Some(format!(
            "主体数量 {subjects} 少于示范区单位数 {}，已按 {} 个主体生成",
            demo_units.len(),
            demo_units.len()
        ));
        demo_units.len()
    } else {
        subjects
    };
    let units = (total * 2 / 5).max(demo_units.len()).min(total);
    let civil = total - units;
    if civil as u64 > CIVIL_CAPACITY || units as u64 > UNIT_CAPACITY {
        return Err(format!("主体数量过大：{subjects}"));
    }

    let catalog = default_catalog();
    let categories: Vec<&Category> = catalog
        .iter()
        .filter(|c| c.providers.allows(provider.name, Some(provider.short)))
        .filter(|c| civil > 0 || concerns(&c.code) != Concerns::CivilServants)
        .collect();
    if categories.is_empty() {
        return Err(format!("报送单位 {} 没有可报送的记录类别", provider.short));
    }

    let mut rng = SplitMix64::new(seed);
    let population = Population {
        seed,
        demo_units,
        units,
        civil,
        unit_offset: rng.below(UNIT_CAPACITY),
        civil_offset: rng.below(CIVIL_CAPACITY),
    };

    fs::create_dir_all(out).map_err(|e| format!("无法创建输出目录 {}：{e}", out.display()))?;
    let roster_path = out.join("roster.csv");
    let records_path = out.join("records.csv");

    write_roster(&population, &roster_path)?;
    write_records(
        &population,
        &categories,
        provider,
        records,
        &mut SplitMix64::new(hash(seed, STREAM_RECORDS, 0)),
        today,
        &records_path,
    )?;

    Ok(GenSummary {
        subjects: population.total(),
        records,
        roster_path,
        records_path,
        provider: provider.short.to_string(),
        notice,
    })
}

fn write_roster(population: &Population, path: &Path) -> Result<(), String> {
    let mut w = csv_writer(path)?;
    w.write_record(ROSTER_HEADER)
        .map_err(|e| io_error(path, e))?;
    let mut write = |r: &RosterRow| {
        w.write_record([
            &r.name,
            &r.short_name,
            &r.kind,
            &r.uscc,
            &r.parent,
            &r.id_number,
            &r.unit,
            &r.position,
        ])
        .map_err(|e| io_error(path, e))
    };
    for i in 0..population.units {
        write(&population.unit_row(i))?;
    }
    for j in 0..population.civil {
        write(&population.civil_row(j))?;
    }
    finish(w, path)
}

fn write_records(
    population: &Population,
    categories: &[&Category],
    provider: &demo::UnitDef,
    records: usize,
    rng: &mut SplitMix64,
    today: NaiveDate,
    path: &Path,
) -> Result<(), String> {
    let mut w = csv_writer(path)?;
    w.write_record(RECORDS_HEADER)
        .map_err(|e| io_error(path, e))?;
    for r in 0..records {
        let Some(cat) = categories
            .get(rng.below(categories.len() as u64) as usize)
            .copied()
        else {
            break;
        };
        let t = match concerns(&cat.code) {
            Concerns::Units => rng.below(population.units as u64) as usize,
            Concerns::CivilServants => {
                population.units + rng.below(population.civil as u64) as usize
            }
            Concerns::Anyone => rng.below(population.total() as u64) as usize,
        };
        let subject = population.subject(t);
        let person = !subject.id_number.is_empty();

        let days_before = 1 + rng.below(3 * 365);
        let decided_on = today
            .checked_sub_days(Days::new(days_before))
            .unwrap_or(today);
        let year = decided_on.year();

        // Texts: the category's cases, those of this provider first choice.
        let (unit_cases, person_cases) = demo::cases(&cat.code);
        let pool = if person && !person_cases.is_empty() {
            person_cases
        } else if !unit_cases.is_empty() {
            unit_cases
        } else {
            person_cases
        };
        let own = pool
            .iter()
            .filter(|c| c.provider.is_empty() || c.provider == provider.short)
            .count();
        let pick = rng.below(own.max(1) as u64) as usize;
        let case = if own > 0 {
            pool.iter()
                .filter(|c| c.provider.is_empty() || c.provider == provider.short)
                .nth(pick)
        } else {
            pool.get(rng.below(pool.len() as u64) as usize)
        };
        let number = r as u64 + 1;
        let default = match (cat.kind, cat.default_severity) {
            (RecordKind::Dishonest, Some(default)) => Some(default),
            _ => None,
        };
        let (facts, basis, outcome, fitted) = match case {
            Some(c) => {
                let values = demo::Placeholders::draw(rng, year);
                (
                    values.fill(c.facts),
                    values.fill(c.basis),
                    values.fill(c.outcome),
                    default.and_then(|d| values.severity_for(c.facts, d)),
                )
            }
            None => (
                "经核查存在政务失信行为".to_string(),
                String::new(),
                "责令限期整改".to_string(),
                None,
            ),
        };
        // The severity fits an amount or delay the facts name; else mostly the category's
        // default, one in ten judged lighter or heavier.
        let severity = match (default, fitted) {
            (None, _) => "",
            (Some(_), Some(s)) => s.label(),
            (Some(default), None) => {
                let s = if rng.below(10) == 0 {
                    let i = (default as usize + 1 + rng.below(2) as usize) % Severity::ALL.len();
                    Severity::ALL[i]
                } else {
                    default
                };
                s.label()
            }
        };
        let facts = format!("{facts}（线索编号 {number:08}）");
        let document_no =
            demo::document_no(provider.abbr, &cat.code, year, &format!("{number:06}"));

        w.write_record([
            subject.name.as_str(),
            &subject.uscc,
            &subject.id_number,
            &cat.code,
            &document_no,
            &format_date(decided_on),
            provider.name,
            &facts,
            &basis,
            &outcome,
            severity,
            "",
            "",
        ])
        .map_err(|e| io_error(path, e))?;
    }
    finish(w, path)
}

#[cfg(test)]
mod tests {
    use super::*;
    use probity_domain::catalog::Catalog;
    use probity_domain::record::RecordRow;
    use std::collections::{HashMap, HashSet};

    fn today() -> NaiveDate {
        NaiveDate::from_ymd_opt(2025, 6, 30).unwrap()
    }

    fn read_rows(path: &Path) -> (Vec<String>, Vec<Vec<String>>) {
        let bytes = fs::read(path).unwrap();
        assert!(!bytes.starts_with(&[0xEF, 0xBB, 0xBF]), "no BOM");
        let mut r = csv::Reader::from_reader(bytes.as_slice());
        let header = r.headers().unwrap().iter().map(str::to_string).collect();
        let rows = r
            .records()
            .map(|rec| rec.unwrap().iter().map(str::to_string).collect())
            .collect();
        (header, rows)
    }

    fn roster_row(f: &[String]) -> RosterRow {
        RosterRow {
            name: f[0].clone(),
            short_name: f[1].clone(),
            kind: f[2].clone(),
            uscc: f[3].clone(),
            parent: f[4].clone(),
            id_number: f[5].clone(),
            unit: f[6].clone(),
            position: f[7].clone(),
        }
    }

    fn record_row(f: &[String]) -> RecordRow {
        RecordRow {
            subject_name: f[0].clone(),
            uscc: f[1].clone(),
            id_number: f[2].clone(),
            category: f[3].clone(),
            document_no: f[4].clone(),
            decided_on: f[5].clone(),
            authority: f[6].clone(),
            facts: f[7].clone(),
            basis: f[8].clone(),
            outcome: f[9].clone(),
            severity: f[10].clone(),
            scope: f[11].clone(),
            disclosure_until: f[12].clone(),
        }
    }

    /// Generates into a fresh directory and checks everything the domain and the roster say
    /// about the result.
    fn generate_and_check(
        subjects: usize,
        records: usize,
        seed: u64,
        provider: &str,
    ) -> (tempfile::TempDir, GenSummary) {
        let dir = tempfile::tempdir().unwrap();
        let s = generate(subjects, records, seed, provider, today(), dir.path()).unwrap();
        assert_eq!(s.records, records);
        assert_eq!(s.subjects, subjects.max(demo_units()));

        let (header, roster) = read_rows(&s.roster_path);
        assert_eq!(header, ROSTER_HEADER);
        assert_eq!(roster.len(), s.subjects);
        let mut names_by_key: HashMap<String, String> = HashMap::new();
        let mut shorts = HashSet::new();
        let mut units = 0;
        for f in &roster {
            let row = roster_row(f);
            let subject = row
                .validate(false)
                .unwrap_or_else(|e| panic!("{row:?}: {e}"));
            let key = if subject.kind.is_unit() {
                units += 1;
                assert!(shorts.insert(row.short_name.clone()), "{}", row.short_name);
                if subject.kind != SubjectKind::DistrictGovernment {
                    assert_eq!(row.parent, DISTRICT_GOVERNMENT);
                }
                row.uscc.clone()
            } else {
                assert!(
                    shorts.contains(&row.unit),
                    "unit {} not on the roster",
                    row.unit
                );
                row.id_number.clone()
            };
            assert!(
                names_by_key.insert(key.clone(), row.name.clone()).is_none(),
                "duplicate identifier {key}"
            );
        }
        assert!(units >= demo_units());
        if s.subjects >= 200 {
            let share = units as f64 / s.subjects as f64;
            assert!((0.35..=0.45).contains(&share), "{share}");
        }
        // The provider is on the roster.
        assert!(shorts.contains(&s.provider));

        let catalog = Catalog::new(default_catalog());
        let provider_def = demo::unit_def(&s.provider).unwrap();
        let (header, recs) = read_rows(&s.records_path);
        assert_eq!(header, RECORDS_HEADER);
        assert_eq!(recs.len(), records);
        let mut documents = HashSet::new();
        for f in &recs {
            let row = record_row(f);
            let rec = row
                .validate(&catalog, today())
                .unwrap_or_else(|e| panic!("{row:?}: {e:?}"));
            let cat = catalog.get(&rec.category).unwrap();
            assert!(
                cat.providers
                    .allows(provider_def.name, Some(provider_def.short))
            );
            let key = if row.uscc.is_empty() {
                &row.id_number
            } else {
                &row.uscc
            };
            assert_eq!(
                names_by_key.get(key),
                Some(&row.subject_name),
                "subject of {} not on the roster",
                row.document_no
            );
            assert!(
                documents.insert(row.document_no.clone()),
                "{}",
                row.document_no
            );
            assert!(rec.decided_on < today());
            assert!(rec.decided_on >= today() - Days::new(3 * 365));
            assert_eq!(row.authority, provider_def.name);
        }
        (dir, s)
    }

    fn demo_units() -> usize {
        demo::UNITS.len()
    }

    #[test]
    fn generated_rows_validate_and_reference_the_roster() {
        let (_dir, s) = generate_and_check(500, 3_000, 7, "区财政局");
        assert_eq!(s.provider, "区财政局");
        assert!(s.notice.is_none());
    }

    #[test]
    fn only_categories_the_provider_may_submit() {
        let dir = tempfile::tempdir().unwrap();
        let s = generate(300, 2_000, 1, "区法院", today(), dir.path()).unwrap();
        let (_, recs) = read_rows(&s.records_path);
        let used: HashSet<String> = recs.iter().map(|f| f[3].clone()).collect();
        let allowed: HashSet<String> = default_catalog()
            .into_iter()
            .filter(|c| c.providers.allows("天津市滨海新区人民法院", Some("区法院")))
            .map(|c| c.code)
            .collect();
        assert_eq!(used, allowed);
        assert!(!used.contains("PROCUREMENT_BREACH"));

        generate_and_check(300, 1_000, 2, "区纪委");
        generate_and_check(100, 500, 3, "天津市滨海新区发展和改革委员会");
    }

    #[test]
    fn same_arguments_same_bytes_other_seed_other_bytes() {
        let (a, b, c) = (
            tempfile::tempdir().unwrap(),
            tempfile::tempdir().unwrap(),
            tempfile::tempdir().unwrap(),
        );
        let sa = generate(400, 1_500, 42, "区财政局", today(), a.path()).unwrap();
        let sb = generate(400, 1_500, 42, "区财政局", today(), b.path()).unwrap();
        let sc = generate(400, 1_500, 43, "区财政局", today(), c.path()).unwrap();
        let bytes = |p: &Path| fs::read(p).unwrap();
        assert_eq!(bytes(&sa.roster_path), bytes(&sb.roster_path));
        assert_eq!(bytes(&sa.records_path), bytes(&sb.records_path));
        assert_ne!(bytes(&sa.roster_path), bytes(&sc.roster_path));
        assert_ne!(bytes(&sa.records_path), bytes(&sc.records_path));
    }

    #[test]
    fn too_few_subjects_are_raised_to_the_demo_units() {
        let (_dir, s) = generate_and_check(3, 50, 9, "区财政局");
        assert_eq!(s.subjects, demo_units());
        let notice = s.notice.unwrap();
        assert!(notice.contains("少于示范区单位数"), "{notice}");
        // No civil servants: no category that concerns only them.
        generate_and_check(0, 200, 9, "区纪委");
    }

    #[test]
    fn zero_records_write_a_header_only() {
        let (_dir, s) = generate_and_check(100, 0, 5, "区财政局");
        let text = fs::read_to_string(&s.records_path).unwrap();
        assert_eq!(text.lines().count(), 1);
        assert!(s.to_string().contains("0 条"));
    }

    #[test]
    fn errors_are_chinese_messages() {
        let dir = tempfile::tempdir().unwrap();
        let e = generate(100, 10, 1, "火星局", today(), dir.path()).unwrap_err();
        assert!(e.contains("未知的报送单位"), "{e}");
        let e = generate(MAX_SUBJECTS + 1, 10, 1, "区财政局", today(), dir.path()).unwrap_err();
        assert!(e.contains("主体数量过大"), "{e}");
        // A file where the directory should be.
        let file = dir.path().join("occupied");
        fs::write(&file, "x").unwrap();
        let e = generate(100, 10, 1, "区财政局", today(), &file).unwrap_err();
        assert!(e.contains("无法创建输出目录"), "{e}");
    }

    #[test]
    fn identifier_permutations_are_bijective() {
        fn gcd(a: u64, b: u64) -> u64 {
            if b == 0 { a } else { gcd(b, a % b) }
        }
        assert_eq!(gcd(PERMUTE, CIVIL_CAPACITY), 1);
        assert_eq!(gcd(PERMUTE, UNIT_CAPACITY), 1);
        assert_eq!(gcd(PERMUTE, 31u64.pow(5)), 1);
        assert!(CIVIL_CAPACITY as usize >= MAX_SUBJECTS - MAX_SUBJECTS * 2 / 5);
    }

    #[test]
    fn splitmix_is_the_reference_sequence() {
        // First outputs for seed 1234567 (reference implementation by S. Vigna).
        let mut r = SplitMix64::new(1_234_567);
        assert_eq!(r.next_u64(), 6_457_827_717_110_365_317);
        assert_eq!(r.next_u64(), 3_203_168_211_198_807_973);
        let mut r = SplitMix64::new(0);
        assert_eq!(r.below(0), 0);
        assert!((0..1000).all(|_| r.below(7) < 7));
    }
}
