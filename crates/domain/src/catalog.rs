//! The catalog of record categories (信用信息目录): what may be recorded, by whom, how severe, how
//! public and for how long. The catalog is data the credit office edits; `default_catalog` fills it
//! with the national rules' values (国办发〔2025〕22号, NDRC Order 58).

use chrono::NaiveDate;
use serde::{Deserialize, Serialize};

use crate::date::add_months;
use crate::error::{Code, DomainError, Result};

/// 失信 or 守信.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum RecordKind {
    Dishonest,
    Trustworthy,
}

impl RecordKind {
    pub fn code(self) -> &'static str {
        match self {
            RecordKind::Dishonest => "dishonest",
            RecordKind::Trustworthy => "trustworthy",
        }
    }
    pub fn label(self) -> &'static str {
        match self {
            RecordKind::Dishonest => "失信",
            RecordKind::Trustworthy => "守信",
        }
    }
    pub fn parse(s: &str) -> Result<Self> {
        match s.trim() {
            "dishonest" | "失信" => Ok(RecordKind::Dishonest),
            "trustworthy" | "守信" => Ok(RecordKind::Trustworthy),
            other => Err(DomainError::new(
                Code::CategoryInvalid,
                format!("无法识别的记录性质：{other}（应为 失信 或 守信）"),
            )),
        }
    }
}

/// 严重程度: the national three tiers.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Severity {
    Minor,
    Ordinary,
    Grave,
}

impl Severity {
    pub const ALL: [Severity; 3] = [Severity::Minor, Severity::Ordinary, Severity::Grave];
    pub fn code(self) -> &'static str {
        match self {
            Severity::Minor => "minor",
            Severity::Ordinary => "ordinary",
            Severity::Grave => "grave",
        }
    }
    pub fn label(self) -> &'static str {
        match self {
            Severity::Minor => "轻微",
            Severity::Ordinary => "一般",
            Severity::Grave => "严重",
        }
    }
    /// Accepts the code or the Chinese label, as officials write it.
    pub fn parse(s: &str) -> Result<Self> {
        let t = s.trim();
        Severity::ALL
            .into_iter()
            .find(|v| {
                t.eq_ignore_ascii_case(v.code())
                    || t == v.label()
                    || t == format!("{}失信", v.label())
            })
            .ok_or_else(|| {
                DomainError::new(
                    Code::UnknownSeverity,
                    format!("无法识别的严重程度：{t}（应为 轻微、一般 或 严重）"),
                )
            })
    }
}

/// 公开范围.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Scope {
    Public,
    Shared,
    Restricted,
}

impl Scope {
    pub const ALL: [Scope; 3] = [Scope::Public, Scope::Shared, Scope::Restricted];
    pub fn code(self) -> &'static str {
        match self {
            Scope::Public => "public",
            Scope::Shared => "shared",
            Scope::Restricted => "restricted",
        }
    }
    pub fn label(self) -> &'static str {
        match self {
            Scope::Public => "社会公开",
            Scope::Shared => "政务共享",
            Scope::Restricted => "授权查询",
        }
    }
    pub fn parse(s: &str) -> Result<Self> {
        let t = s.trim();
        Scope::ALL
            .into_iter()
            .find(|v| t.eq_ignore_ascii_case(v.code()) || t == v.label())
            .ok_or_else(|| {
                DomainError::new(
                    Code::UnknownScope,
                    format!("无法识别的公开范围：{t}（应为 社会公开、政务共享 或 授权查询）"),
                )
            })
    }
}

/// Who may submit records of a category.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case", tag = "rule", content = "names")]
pub enum ProviderRule {
    /// Any unit on the roster (e.g. 行政处罚: the deciding authority, whoever it is).
    AnyUnit,
    /// Only these units, by short name (简称) or full name.
    Named(Vec<String>),
}

impl ProviderRule {
    pub fn allows(&self, name: &str, short_name: Option<&str>) -> bool {
        match self {
            ProviderRule::AnyUnit => true,
            ProviderRule::Named(names) => names
                .iter()
                .any(|n| n == name || Some(n.as_str()) == short_name),
        }
    }
    pub fn describe(&self) -> String {
        match self {
            ProviderRule::AnyUnit => "任一单位".to_string(),
            ProviderRule::Named(names) => names.join("、"),
        }
    }
}

/// Minimum and maximum disclosure period, in months from the decision date. `max_months == 0`
/// means records of this severity are not disclosed to the public at all.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct DisclosureBounds {
    pub min_months: u32,
    pub max_months: u32,
}

/// One category of the catalog (目录项). Every field is data the credit office may change.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Category {
    pub code: String,
    pub name: String,
    pub kind: RecordKind,
    pub providers: ProviderRule,
    /// None for trustworthy categories, which carry no severity.
    pub default_severity: Option<Severity>,
    pub default_scope: Scope,
    /// Disclosure bounds per severity: [minor, ordinary, grave]. Trustworthy records use `ordinary`.
    pub disclosure: [DisclosureBounds; 3],
    /// Whether a subject can apply for credit repair (信用修复) once the minimum period has passed.
    pub repairable: bool,
    /// Working days the subject has to explain and rectify (书面说明并限期整改).
    pub rectification_working_days: u32,
    /// Points the record weighs in the yearly assessment (negative for dishonest records).
    pub score_weight: i32,
}

impl Category {
    pub fn bounds(&self, severity: Option<Severity>) -> DisclosureBounds {
        let idx = match severity.unwrap_or(Severity::Ordinary) {
            Severity::Minor => 0,
            Severity::Ordinary => 1,
            Severity::Grave => 2,
        };
        self.disclosure[idx]
    }

    /// The disclosure window [decided_on, until] a record of this category gets. A requested end
    /// date must lie between the minimum and the maximum the category sets for the severity.
    pub fn disclosure_until(
        &self,
        decided_on: NaiveDate,
        severity: Option<Severity>,
        requested: Option<NaiveDate>,
    ) -> Result<NaiveDate> {
        let b = self.bounds(severity);
        let earliest = add_months(decided_on, b.min_months);
        let latest = add_months(decided_on, b.max_months);
        match requested {
            None => Ok(latest),
            Some(d) if d >= earliest && d <= latest => Ok(d),
            Some(d) => Err(DomainError::new(
                Code::DisclosureOutOfRange,
                format!(
                    "公示截止日期 {d} 超出本类别{}记录的公示期：应在 {earliest} 至 {latest} 之间（决定日期起 {}–{} 个月）",
                    severity.map(|s| s.label()).unwrap_or(""),
                    b.min_months,
                    b.max_months
                ),
            )),
        }
    }

    /// Checks that the category's own numbers are coherent, so that an edit by the credit office
    /// cannot leave the catalog in a state the rules cannot apply.
    pub fn validate(&self) -> Result<()> {
        let bad = |m: String| Err(DomainError::new(Code::CategoryInvalid, m));
        if self.code.is_empty()
            || !self
                .code
                .chars()
                .all(|c| c.is_ascii_uppercase() || c.is_ascii_digit() || c == '_')
        {
            return bad(format!(
                "类别代码 {} 无效：只能由大写字母、数字和下划线组成",
                self.code
            ));
        }
        if self.name.trim().is_empty() {
            return bad(format!("类别 {} 缺少名称", self.code));
        }
        for (s, b) in Severity::ALL.iter().zip(self.disclosure.iter()) {
            if b.min_months > b.max_months || b.max_months > 120 {
                return bad(format!(
                    "“{}”的{}公示期无效：最短 {} 个月，最长 {} 个月",
                    self.name,
                    s.label(),
                    b.min_months,
                    b.max_months
                ));
            }
        }
        match (self.kind, self.default_severity) {
            (RecordKind::Trustworthy, Some(_)) => {
                bad(format!("守信类别 {} 不应设置严重程度", self.code))
            }
            (RecordKind::Dishonest, None) => {
                bad(format!("失信类别 {} 必须设置默认严重程度", self.code))
            }
            _ => Ok(()),
        }
    }
}

/// The catalog the credit office works with: looked up by code or by Chinese name.
#[derive(Debug, Clone, Default)]
pub struct Catalog {
    categories: Vec<Category>,
}

impl Catalog {
    pub fn new(categories: Vec<Category>) -> Self {
        Catalog { categories }
    }
    pub fn categories(&self) -> &[Category] {
        &self.categories
    }
    pub fn get(&self, code: &str) -> Option<&Category> {
        self.categories.iter().find(|c| c.code == code)
    }
    /// Finds a category by its code (case-insensitive) or its Chinese name, as written in a file.
    pub fn lookup(&self, s: &str) -> Result<&Category> {
        let t = s.trim();
        if t.is_empty() {
            return Err(DomainError::new(Code::Required, "记录类别为空"));
        }
        self.categories
            .iter()
            .find(|c| c.code.eq_ignore_ascii_case(t) || c.name == t)
            .ok_or_else(|| DomainError::new(Code::UnknownCategory, format!("未知的记录类别：{t}")))
    }
}

const fn months(min_months: u32, max_months: u32) -> DisclosureBounds {
    DisclosureBounds {
        min_months,
        max_months,
    }
}

/// National defaults: minor at most 3 months, ordinary 3 months to 1 year, grave 1 to 3 years.
const NATIONAL: [DisclosureBounds; 3] = [months(0, 3), months(3, 12), months(12, 36)];

/// The default catalog of DESIGN.md section 6, with the national rules' values.
pub fn default_catalog() -> Vec<Category> {
    use RecordKind::*;
    use Severity::*;
    let named = |names: &[&str]| ProviderRule::Named(names.iter().map(|s| s.to_string()).collect());
    let cat = |code: &str,
               name: &str,
               kind: RecordKind,
               providers: ProviderRule,
               sev: Option<Severity>,
               scope: Scope,
               days: u32,
               weight: i32| Category {
        code: code.to_string(),
        name: name.to_string(),
        kind,
        providers,
        default_severity: sev,
        default_scope: scope,
        disclosure: NATIONAL,
        repairable: kind == Dishonest,
        rectification_working_days: days,
        score_weight: weight,
    };
    vec![
        cat(
            "JUDGMENT_DEFAULTER",
            "失信被执行人",
            Dishonest,
            named(&["区法院"]),
            Some(Grave),
            Scope::Public,
            10,
            -10,
        ),
        cat(
            "JUDICIAL_JUDGMENT",
            "司法判决（违约、拒不履行等）",
            Dishonest,
            named(&["区法院"]),
            Some(Ordinary),
            Scope::Public,
            20,
            -5,
        ),
        cat(
            "ADMIN_PENALTY",
            "行政处罚",
            Dishonest,
            ProviderRule::AnyUnit,
            Some(Minor),
            Scope::Public,
            20,
            -2,
        ),
        cat(
            "DISCIPLINARY_SANCTION",
            "纪律处分",
            Dishonest,
            named(&["区纪委", "区监察局"]),
            Some(Ordinary),
            Scope::Shared,
            20,
            -5,
        ),
        cat(
            "ACCOUNTABILITY",
            "问责处理",
            Dishonest,
            named(&["区纪委", "区委组织部"]),
            Some(Minor),
            Scope::Shared,
            20,
            -3,
        ),
        cat(
            "PROCUREMENT_BREACH",
            "政府采购毁约违约",
            Dishonest,
            named(&["区财政局"]),
            Some(Ordinary),
            Scope::Public,
            15,
            -5,
        ),
        cat(
            "PPP_DEFAULT",
            "政府和社会资本合作政府方违约",
            Dishonest,
            named(&["区财政局", "区发展改革委"]),
            Some(Ordinary),
            Scope::Public,
            15,
            -5,
        ),
        cat(
            "BIDDING_VIOLATION",
            "招标投标违法违规",
            Dishonest,
            named(&["区建交局", "区商务委"]),
            Some(Ordinary),
            Scope::Public,
            15,
            -5,
        ),
        cat(
            "INVESTMENT_PROMISE_BREACH",
            "招商引资政策承诺或合同违约",
            Dishonest,
            named(&["区商务委", "区招商服务局"]),
            Some(Ordinary),
            Scope::Public,
            15,
            -5,
        ),
        cat(
            "PAYMENT_ARREARS",
            "拖欠企业账款",
            Dishonest,
            named(&["区财政局"]),
            Some(Ordinary),
            Scope::Public,
            10,
            -5,
        ),
        cat(
            "DEBT_DEFAULT",
            "政府债务违约或违规举债",
            Dishonest,
            named(&["区财政局"]),
            Some(Grave),
            Scope::Public,
            10,
            -10,
        ),
        cat(
            "PUBLIC_COMMITMENT_BREACH",
            "公开承诺未兑现",
            Dishonest,
            ProviderRule::AnyUnit,
            Some(Minor),
            Scope::Public,
            20,
            -2,
        ),
        cat(
            "COMPLAINT_UPHELD",
            "投诉举报查实的政务失信",
            Dishonest,
            named(&["区发展改革委", "人民银行滨海新区中心支行"]),
            Some(Minor),
            Scope::Public,
            10,
            -2,
        ),
        cat(
            "HONOUR",
            "表彰奖励",
            Trustworthy,
            ProviderRule::AnyUnit,
            None,
            Scope::Public,
            0,
            3,
        ),
        cat(
            "COMMITMENT_KEPT",
            "承诺践行",
            Trustworthy,
            named(&["区发展改革委", "人民银行滨海新区中心支行"]),
            None,
            Scope::Public,
            0,
            2,
        ),
    ]
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(s: &str) -> NaiveDate {
        crate::date::parse_date(s).unwrap()
    }

    #[test]
    fn a_bad_period_names_the_category_by_its_name() {
        let mut cat = default_catalog()
            .into_iter()
            .find(|c| c.code == "PAYMENT_ARREARS")
            .unwrap();
        cat.disclosure[1] = DisclosureBounds {
            min_months: 12,
            max_months: 3,
        };
        let e = cat.validate().unwrap_err();
        assert!(
            e.message.contains("“拖欠企业账款”的一般公示期无效"),
            "{}",
            e.message
        );
        assert!(!e.message.contains("PAYMENT_ARREARS"), "{}", e.message);
    }

    #[test]
    fn default_catalog_is_coherent() {
        let cats = default_catalog();
        assert_eq!(cats.len(), 15);
        for c in &cats {
            c.validate().unwrap();
        }
    }

    #[test]
    fn lookup_by_code_or_chinese_name() {
        let cat = Catalog::new(default_catalog());
        assert_eq!(cat.lookup("行政处罚").unwrap().code, "ADMIN_PENALTY");
        assert_eq!(cat.lookup("admin_penalty").unwrap().code, "ADMIN_PENALTY");
        assert_eq!(
            cat.lookup("火星处罚").unwrap_err().code,
            Code::UnknownCategory
        );
        assert_eq!(cat.lookup(" ").unwrap_err().code, Code::Required);
    }

    #[test]
    fn disclosure_window_follows_severity() {
        let cat = Catalog::new(default_catalog());
        let c = cat.get("JUDGMENT_DEFAULTER").unwrap();
        assert_eq!(
            c.disclosure_until(d("2024-01-31"), Some(Severity::Grave), None)
                .unwrap(),
            d("2027-01-31")
        );
        assert_eq!(
            c.disclosure_until(d("2024-01-31"), Some(Severity::Ordinary), None)
                .unwrap(),
            d("2025-01-31")
        );
        assert_eq!(
            c.disclosure_until(
                d("2024-01-31"),
                Some(Severity::Minor),
                Some(d("2024-02-29"))
            )
            .unwrap(),
            d("2024-02-29")
        );
        let err = c
            .disclosure_until(
                d("2024-01-31"),
                Some(Severity::Grave),
                Some(d("2024-06-01")),
            )
            .unwrap_err();
        assert_eq!(err.code, Code::DisclosureOutOfRange);
        let err = c
            .disclosure_until(
                d("2024-01-31"),
                Some(Severity::Minor),
                Some(d("2024-05-01")),
            )
            .unwrap_err();
        assert_eq!(err.code, Code::DisclosureOutOfRange);
    }

    #[test]
    fn severity_and_scope_parse_codes_and_labels() {
        assert_eq!(Severity::parse("严重").unwrap(), Severity::Grave);
        assert_eq!(Severity::parse("ordinary").unwrap(), Severity::Ordinary);
        assert_eq!(
            Severity::parse("很严重").unwrap_err().code,
            Code::UnknownSeverity
        );
        assert_eq!(Scope::parse("政务共享").unwrap(), Scope::Shared);
        assert_eq!(Scope::parse("secret").unwrap_err().code, Code::UnknownScope);
    }

    #[test]
    fn invalid_category_edits_are_refused() {
        let mut c = default_catalog().remove(0);
        c.disclosure[2] = months(40, 12);
        assert_eq!(c.validate().unwrap_err().code, Code::CategoryInvalid);
        let mut c = default_catalog().remove(0);
        c.code = "bad code".into();
        assert!(c.validate().is_err());
    }

    #[test]
    fn provider_rules() {
        let cat = Catalog::new(default_catalog());
        let c = cat.get("JUDGMENT_DEFAULTER").unwrap();
        assert!(c.providers.allows("天津市滨海新区人民法院", Some("区法院")));
        assert!(!c.providers.allows("天津市滨海新区财政局", Some("区财政局")));
        assert!(
            cat.get("ADMIN_PENALTY")
                .unwrap()
                .providers
                .allows("任何单位", None)
        );
    }
}
