//! The demo district (示范数据): Tianjin Binhai New Area as the 2018 government-integrity plan
//! names it — the district government, its functional zones, every body the plan's ledger names,
//! the townships, a few hundred civil servants and a year of records (DESIGN.md section 8).
//!
//! Everything here is synthetic: identifiers are valid by their check digits but belong to no real
//! organisation or person, and the facts are illustrations. The output depends only on `today`.

use std::collections::{HashMap, HashSet};

use chrono::{Datelike, Days, NaiveDate};
use probity_domain::catalog::{RecordKind, Severity, default_catalog};
use probity_domain::date::format_date;
use probity_domain::ident::{IdNumber, Uscc};
use probity_domain::record::RecordRow;
use probity_domain::subject::{RosterRow, SubjectKind};

/// SplitMix64 (Steele, Lea & Flood 2014): a tiny, fast, portable generator; good enough for
/// synthetic data, not for anything secret.
#[derive(Debug, Clone)]
pub struct SplitMix64 {
    state: u64,
}

impl SplitMix64 {
    pub fn new(seed: u64) -> Self {
        SplitMix64 { state: seed }
    }

    pub fn next_u64(&mut self) -> u64 {
        self.state = self.state.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.state;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    /// A number in `0..n` (0 when `n` is 0), by multiply-shift: no modulo bias worth the name and
    /// the same on every platform.
    pub fn below(&mut self, n: u64) -> u64 {
        ((u128::from(self.next_u64()) * u128::from(n)) >> 64) as u64
    }
}

/// The demo district: its roster (units first, parents before children, then civil servants) and
/// its records, each with the short name (简称) of the unit that provides it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Demo {
    pub roster: Vec<RosterRow>,
    /// (provider short name, record).
    pub records: Vec<(String, RecordRow)>,
}

/// Administrative division code of Binhai New Area (GB/T 2260), used in every synthetic
/// identifier.
pub const BINHAI_DIVISION: &str = "120116";

/// Short name of the district government, the parent of every other demo unit.
pub const DISTRICT_GOVERNMENT: &str = "区政府";

/// The USCC charset (GB 32100): digits and capital letters without I, O, S, V, Z.
pub const USCC_CHARS: &[u8; 31] = b"0123456789ABCDEFGHJKLMNPQRTUWXY";

/// Who the journal and a record's provenance say loaded the demo district.
const DEMO_ACTOR: &str = "演示数据";

/// Number of civil servants on the demo roster.
const CIVIL_SERVANTS: usize = 300;

/// One unit of the demo district. `abbr` is the unit's word in its document numbers
/// (津滨**财**罚〔2025〕17号).
pub struct UnitDef {
    pub name: &'static str,
    pub short: &'static str,
    pub kind: SubjectKind,
    pub abbr: &'static str,
}

const fn unit(
    name: &'static str,
    short: &'static str,
    kind: SubjectKind,
    abbr: &'static str,
) -> UnitDef {
    UnitDef {
        name,
        short,
        kind,
        abbr,
    }
}

use SubjectKind::{Department as DEPT, FunctionalZone as ZONE, Township as TOWN};

/// Every demo unit. The district government comes first: it is every other unit's parent.
pub const UNITS: &[UnitDef] = &[
    unit(
        "天津市滨海新区人民政府",
        DISTRICT_GOVERNMENT,
        SubjectKind::DistrictGovernment,
        "政",
    ),
    // 功能区
    unit("天津经济技术开发区管理委员会", "开发区", ZONE, "开"),
    unit("天津港保税区管理委员会", "保税区", ZONE, "保"),
    unit(
        "天津滨海高新技术产业开发区管理委员会",
        "高新区",
        ZONE,
        "高新",
    ),
    unit("中新天津生态城管理委员会", "生态城", ZONE, "生态"),
    unit("天津东疆综合保税区管理委员会", "东疆保税区", ZONE, "东疆"),
    // The bodies the plan's ledger names.
    unit(
        "天津市滨海新区发展和改革委员会",
        "区发展改革委",
        DEPT,
        "发改",
    ),
    unit(
        "中国人民银行滨海新区中心支行",
        "人民银行滨海新区中心支行",
        DEPT,
        "银",
    ),
    unit("天津市滨海新区人民政府办公室", "区政府办", DEPT, "政办"),
    unit("中共天津市滨海新区委员会宣传部", "区委宣传部", DEPT, "宣"),
    unit(
        "中共天津市滨海新区委员会网络安全和信息化委员会办公室",
        "区网信办",
        DEPT,
        "网信",
    ),
    unit("天津市滨海新区公务员局", "区公务员局", DEPT, "公务员"),
    unit("中共天津市滨海新区委员会组织部", "区委组织部", DEPT, "组"),
    unit("天津市滨海新区人民法院", "区法院", DEPT, "法"),
    unit("天津市滨海新区人民检察院", "区检察院", DEPT, "检"),
    unit("天津市滨海新区监察局", "区监察局", DEPT, "监"),
    unit("中共天津市滨海新区纪律检查委员会", "区纪委", DEPT, "纪"),
    unit("天津市滨海新区财政局", "区财政局", DEPT, "财"),
    unit("天津市滨海新区建设和交通局", "区建交局", DEPT, "建交"),
    unit(
        "天津市滨海新区规划和国土资源管理局",
        "区规国局",
        DEPT,
        "规国",
    ),
    unit("天津市滨海新区商务委员会", "区商务委", DEPT, "商务"),
    unit("天津市滨海新区招商服务局", "区招商服务局", DEPT, "招商"),
    unit("天津市滨海新区民政局", "区民政局", DEPT, "民"),
    // 街镇
    unit("天津市滨海新区新北街道办事处", "新北街道", TOWN, "新北"),
    unit("天津市滨海新区新河街道办事处", "新河街道", TOWN, "新河"),
    unit("天津市滨海新区大沽街道办事处", "大沽街道", TOWN, "大沽"),
    unit("天津市滨海新区新港街道办事处", "新港街道", TOWN, "新港"),
    unit(
        "天津市滨海新区杭州道街道办事处",
        "杭州道街道",
        TOWN,
        "杭州道",
    ),
    unit(
        "天津市滨海新区胡家园街道办事处",
        "胡家园街道",
        TOWN,
        "胡家园",
    ),
    unit("天津市滨海新区新村街道办事处", "新村街道", TOWN, "新村"),
    unit("天津市滨海新区向阳街道办事处", "向阳街道", TOWN, "向阳"),
    unit("天津市滨海新区北塘街道办事处", "北塘街道", TOWN, "北塘"),
    unit("天津市滨海新区泰达街道办事处", "泰达街道", TOWN, "泰达"),
    unit("天津市滨海新区汉沽街道办事处", "汉沽街道", TOWN, "汉沽"),
    unit("天津市滨海新区寨上街道办事处", "寨上街道", TOWN, "寨上"),
    unit("天津市滨海新区茶淀街道办事处", "茶淀街道", TOWN, "茶淀"),
    unit("天津市滨海新区大港街道办事处", "大港街道", TOWN, "大港"),
    unit("天津市滨海新区古林街道办事处", "古林街道", TOWN, "古林"),
    unit("天津市滨海新区海滨街道办事处", "海滨街道", TOWN, "海滨"),
    unit("天津市滨海新区新城镇人民政府", "新城镇", TOWN, "新城"),
    unit("天津市滨海新区太平镇人民政府", "太平镇", TOWN, "太平"),
    unit("天津市滨海新区小王庄镇人民政府", "小王庄镇", TOWN, "小王庄"),
    unit("天津市滨海新区中塘镇人民政府", "中塘镇", TOWN, "中塘"),
    unit("天津市滨海新区杨家泊镇人民政府", "杨家泊镇", TOWN, "杨家泊"),
];

/// The demo unit with this short name or full name.
pub fn unit_def(name_or_short: &str) -> Option<&'static UnitDef> {
    let t = name_or_short.trim();
    UNITS.iter().find(|u| u.short == t || u.name == t)
}

/// The 8 body chars of a synthetic organisation code: `prefix` followed by the base-31 digits
/// (USCC charset) of `n`, which must be below 31^(8 - prefix length) to stay distinct.
pub fn org_body(prefix: &str, mut n: u64) -> String {
    let width = 8usize.saturating_sub(prefix.len());
    let mut digits = vec![b'0'; width];
    for d in digits.iter_mut().rev() {
        *d = USCC_CHARS[(n % 31) as usize];
        n /= 31;
    }
    let mut body = String::with_capacity(8);
    body.push_str(prefix);
    body.extend(digits.into_iter().map(char::from));
    body
}

/// A multiplier coprime to every modulus used for identifier permutations here (it is a prime
/// larger than none of them divides): `i ↦ (i·PERMUTE + offset) mod m` is a bijection on `0..m`.
pub const PERMUTE: u64 = 15_485_863;

/// USCC of demo unit `i`: registration authority 1 (机构编制), type 1 (机关), Binhai's division,
/// organisation code `MB1` + 5 chars.
fn demo_uscc(i: usize) -> String {
    const M: u64 = 31 * 31 * 31 * 31 * 31;
    let n = (i as u64 * PERMUTE + 7_340_033) % M;
    Uscc::from_parts('1', '1', BINHAI_DIVISION, &org_body("MB1", n))
        .map(|u| u.as_str().to_string())
        .unwrap_or_default()
}

pub const SURNAMES: &[&str] = &[
    "王", "李", "张", "刘", "陈", "杨", "赵", "黄", "周", "吴", "徐", "孙", "胡", "朱", "高", "林",
    "何", "郭", "马", "罗", "梁", "宋", "郑", "谢", "韩", "唐", "冯", "于", "董", "萧", "程", "曹",
    "袁", "邓", "许", "傅", "沈", "曾", "彭", "吕", "苏", "卢", "蒋", "蔡", "贾", "丁", "魏", "薛",
    "叶", "阎", "余", "潘", "杜", "戴", "夏", "钟", "汪", "田", "任", "姜", "范", "方", "石", "姚",
    "谭", "廖", "邹", "熊", "金", "陆", "郝", "孔", "白", "崔", "康", "毛", "邱", "秦", "江", "史",
];

pub const GIVEN_CHARS: &[&str] = &[
    "伟", "芳", "娜", "敏", "静", "丽", "强", "磊", "军", "洋", "勇", "艳", "杰", "娟", "涛", "明",
    "超", "秀", "霞", "平", "刚", "桂", "英", "华", "建", "国", "文", "红", "志", "鹏", "辉", "玲",
    "丹", "萍", "斌", "宇", "浩", "凯", "佳", "琳", "晨", "欣", "雪", "梅", "海", "波", "颖", "新",
    "立", "宁", "旭", "晓", "东", "春", "俊", "峰", "亮", "婷", "蕾", "振", "兴", "冬", "瑞", "博",
];

/// A plausible Chinese name from a 64-bit hash: one surname and one or two given-name chars.
pub fn person_name(h: u64) -> String {
    let pick = |pool: &[&'static str], x: u64| pool.get((x % pool.len() as u64) as usize).copied();
    let mut name = String::with_capacity(9);
    name.push_str(pick(SURNAMES, h).unwrap_or("王"));
    name.push_str(pick(GIVEN_CHARS, h >> 12).unwrap_or("伟"));
    if (h >> 24) % 10 < 7 {
        name.push_str(pick(GIVEN_CHARS, h >> 32).unwrap_or("明"));
    }
    name
}

/// A rank-and-file position for a hash; townships have no 处 level.
pub fn staff_position(h: u64, township: bool) -> &'static str {
    let n = if township {
        STAFF_POSITIONS.len() - 2
    } else {
        STAFF_POSITIONS.len()
    };
    STAFF_POSITIONS
        .get((h % n.max(1) as u64) as usize)
        .copied()
        .unwrap_or("科员")
}

/// Rank-and-file positions (职务) below a unit's leaders; the last two are 处 level.
pub const STAFF_POSITIONS: &[&str] = &[
    "科员",
    "科员",
    "一级科员",
    "四级主任科员",
    "三级主任科员",
    "副科长",
    "副科长",
    "科长",
    "副处长",
    "处长",
];

/// The head and deputy-head titles of a unit.
fn leader_titles(u: &UnitDef) -> (&'static str, &'static str) {
    match u.kind {
        SubjectKind::DistrictGovernment => ("区长", "副区长"),
        SubjectKind::FunctionalZone => ("主任", "副主任"),
        SubjectKind::Township if u.short.ends_with('镇') => ("镇长", "副镇长"),
        SubjectKind::Township => ("街道办事处主任", "街道办事处副主任"),
        _ => match u.short {
            "区法院" => ("院长", "副院长"),
            "区检察院" => ("检察长", "副检察长"),
            "区纪委" => ("书记", "副书记"),
            "人民银行滨海新区中心支行" => ("行长", "副行长"),
            s if s.ends_with('局') => ("局长", "副局长"),
            s if s.ends_with('部') => ("部长", "副部长"),
            _ => ("主任", "副主任"),
        },
    }
}

// ---------------------------------------------------------------------------------------------
// Record texts
// ---------------------------------------------------------------------------------------------

/// One kind of case of a category: the provider it belongs to (empty: any provider the category
/// plan lists) and its texts. Placeholders: `{p}` project, `{e}` enterprise, `{a}` a contract-sized
/// amount in 万元, `{f}` a fine-sized one, `{s}` a small one,
/// `{d}` days, `{n}` a case or contract number, `{y}` the decision's year, `{py}` the year before.
pub struct Case {
    pub provider: &'static str,
    pub facts: &'static str,
    pub basis: &'static str,
    pub outcome: &'static str,
}

const fn case(
    provider: &'static str,
    facts: &'static str,
    basis: &'static str,
    outcome: &'static str,
) -> Case {
    Case {
        provider,
        facts,
        basis,
        outcome,
    }
}

const PROJECTS: &[&str] = &[
    "海滨大道绿化养护",
    "北塘片区老旧小区改造",
    "大港城区供热管网改造",
    "汉沽垃圾转运站建设",
    "中塘镇农村饮水安全提升",
    "新港社区卫生服务中心建设",
    "胡家园片区雨污分流改造",
    "杭州道街道智慧社区平台",
    "太平镇农村公路提升改造",
    "寨上街道养老服务中心建设",
    "古林片区道路照明节能改造",
    "政务服务中心信息化运维",
    "中小学校舍维修加固",
    "临港片区污水处理厂提标改造",
    "公共租赁住房物业服务",
    "城市道路清扫保洁",
];

const ENTERPRISES: &[&str] = &[
    "天津某路桥工程有限公司",
    "天津某环境科技有限公司",
    "天津某物业服务有限公司",
    "天津某信息技术有限公司",
    "天津某园林绿化工程有限公司",
    "天津某建筑安装工程有限公司",
    "天津某智能科技有限公司",
    "天津某市政工程有限公司",
    "天津某新材料有限公司",
    "天津某医疗器械有限公司",
    "天津某供热设备有限公司",
    "天津某物流有限公司",
];

/// Texts of one category: cases for unit subjects and cases for civil servants.
pub fn cases(code: &str) -> (&'static [Case], &'static [Case]) {
    match code {
        "JUDGMENT_DEFAULTER" => (JUDGMENT_DEFAULTER, &[]),
        "JUDICIAL_JUDGMENT" => (JUDICIAL_JUDGMENT, &[]),
        "ADMIN_PENALTY" => (ADMIN_PENALTY, &[]),
        "DISCIPLINARY_SANCTION" => (&[], DISCIPLINARY_SANCTION),
        "ACCOUNTABILITY" => (&[], ACCOUNTABILITY),
        "PROCUREMENT_BREACH" => (PROCUREMENT_BREACH, &[]),
        "PPP_DEFAULT" => (PPP_DEFAULT, &[]),
        "BIDDING_VIOLATION" => (BIDDING_VIOLATION, &[]),
        "INVESTMENT_PROMISE_BREACH" => (INVESTMENT_PROMISE_BREACH, &[]),
        "PAYMENT_ARREARS" => (PAYMENT_ARREARS, &[]),
        "DEBT_DEFAULT" => (DEBT_DEFAULT, &[]),
        "PUBLIC_COMMITMENT_BREACH" => (PUBLIC_COMMITMENT_BREACH, &[]),
        "COMPLAINT_UPHELD" => (COMPLAINT_UPHELD, &[]),
        "HONOUR" => (HONOUR_UNITS, HONOUR_PERSONS),
        "COMMITMENT_KEPT" => (COMMITMENT_KEPT, &[]),
        _ => (GENERIC, GENERIC),
    }
}

/// For a category the demo does not know (a catalog edited by the credit office).
const GENERIC: &[Case] = &[case(
    "",
    "经核查，存在政务失信行为，相关情况已书面告知",
    "《国务院关于加强政务诚信建设的指导意见》（国发〔2016〕76号）",
    "责令书面说明原因并限期整改",
)];

const JUDGMENT_DEFAULTER: &[Case] = &[
    case(
        "",
        "作为被执行人，未履行（{y}）津0116民初{n}号民事判决确定的支付{e}工程款{a}万元的义务，有履行能力而拒不履行",
        "《中华人民共和国民事诉讼法》第二百六十六条；《最高人民法院关于公布失信被执行人名单信息的若干规定》第一条",
        "纳入失信被执行人名单，依法采取限制消费措施",
    ),
    case(
        "",
        "作为被执行人，未按执行通知履行生效调解书确定的向{e}支付{p}项目服务费{a}万元的义务",
        "《中华人民共和国民事诉讼法》第二百六十六条；《最高人民法院关于公布失信被执行人名单信息的若干规定》第一条第（一）项",
        "纳入失信被执行人名单，向有关单位通报",
    ),
    case(
        "",
        "作为被执行人，以拖延、规避等方式逃避执行（{y}）津0116执{n}号案件，未履行给付义务{a}万元",
        "《最高人民法院关于公布失信被执行人名单信息的若干规定》第一条第（二）项",
        "纳入失信被执行人名单，期限二年",
    ),
];

const JUDICIAL_JUDGMENT: &[Case] = &[
    case(
        "",
        "拒不履行与{e}签订的{p}项目合同，拖欠合同款{a}万元，经本院判决应予支付",
        "《中华人民共和国民法典》第五百七十七条、第五百七十九条",
        "判决支付合同款{a}万元及逾期付款利息，承担案件受理费",
    ),
    case(
        "",
        "无正当理由单方解除与{e}签订的{p}项目委托协议，构成违约",
        "《中华人民共和国民法典》第五百六十三条、第五百八十四条",
        "判决赔偿{e}损失{a}万元",
    ),
    case(
        "",
        "行政协议案件中未依法履行{p}项目征收补偿协议约定的补偿义务",
        "《中华人民共和国行政诉讼法》第七十八条；《最高人民法院关于审理行政协议案件若干问题的规定》第十九条",
        "判决限期履行补偿协议，支付补偿款{a}万元",
    ),
];

const ADMIN_PENALTY: &[Case] = &[
    case(
        "区规国局",
        "未经批准占用集体土地{d}平方米建设{p}项目临时停车场",
        "《中华人民共和国土地管理法》第七十七条",
        "责令退还非法占用的土地，限期拆除新建设施，罚款{f}万元",
    ),
    case(
        "区规国局",
        "未取得建设工程规划许可证擅自建设{p}项目配套用房",
        "《中华人民共和国城乡规划法》第六十四条",
        "责令停止建设，限期改正，罚款{f}万元",
    ),
    case(
        "区建交局",
        "{p}项目未取得施工许可证擅自开工建设",
        "《中华人民共和国建筑法》第七条、第六十四条；《建筑工程施工许可管理办法》第十二条",
        "责令停止施工，限期改正，罚款{f}万元",
    ),
    case(
        "区建交局",
        "{p}项目未按规定组织竣工验收即交付使用",
        "《建设工程质量管理条例》第五十八条",
        "责令改正，罚款{f}万元",
    ),
    case(
        "区财政局",
        "未按规定保管{py}年度会计凭证，会计账簿登记不规范",
        "《中华人民共和国会计法》第四十二条",
        "责令限期改正，予以通报",
    ),
];

const DISCIPLINARY_SANCTION: &[Case] = &[
    case(
        "区纪委",
        "在{p}项目管理中违反规定干预招标投标活动",
        "《中国共产党纪律处分条例》第一百三十二条",
        "给予党内警告处分",
    ),
    case(
        "区纪委",
        "违规收受管理服务对象赠送的礼金、消费卡共计{s}万元",
        "《中国共产党纪律处分条例》第九十七条",
        "给予党内严重警告处分",
    ),
    case(
        "区监察局",
        "违规发放津贴补贴{s}万元",
        "《中华人民共和国公职人员政务处分法》第三十九条",
        "给予政务记过处分",
    ),
    case(
        "区监察局",
        "对群众反映的{p}项目问题长期推诿扯皮、不作为，造成不良影响",
        "《中华人民共和国公职人员政务处分法》第三十九条第（三）项；《行政机关公务员处分条例》第二十条",
        "给予政务警告处分",
    ),
    case(
        "区监察局",
        "在{p}项目资金审核中失职，致使{f}万元资金被违规拨付",
        "《中华人民共和国公职人员政务处分法》第三十九条第（一）项",
        "给予政务记大过处分",
    ),
];

const ACCOUNTABILITY: &[Case] = &[
    case(
        "区纪委",
        "落实安全生产监管责任不力，辖区{p}项目发生一般生产安全事故",
        "《中国共产党问责条例》第七条",
        "诫勉",
    ),
    case(
        "区纪委",
        "对本单位拖欠{e}账款问题督促整改不力，逾期{d}日未清偿",
        "《中国共产党问责条例》第七条、第八条",
        "通报批评",
    ),
    case(
        "区委组织部",
        "履行政务诚信建设职责不力，本单位政务失信问题整改不到位",
        "《关于实行党政领导干部问责的暂行规定》第五条",
        "责令作出书面检查",
    ),
    case(
        "区委组织部",
        "承担的{p}项目推进迟缓，未按承诺时限完成，影响较大",
        "《中国共产党问责条例》第八条；《关于实行党政领导干部问责的暂行规定》第五条",
        "诫勉",
    ),
];

const PROCUREMENT_BREACH: &[Case] = &[
    case(
        "",
        "未按政府采购合同约定期限支付{p}项目款项{a}万元，逾期{d}日",
        "《中华人民共和国政府采购法》第四十三条、第七十一条",
        "责令限期支付合同款项，予以通报",
    ),
    case(
        "",
        "中标结果公告后无正当理由拒绝与中标供应商{e}签订{p}项目政府采购合同",
        "《中华人民共和国政府采购法》第四十六条、第七十一条；《中华人民共和国政府采购法实施条例》第六十七条",
        "责令限期改正，予以通报",
    ),
    case(
        "",
        "擅自变更{p}项目政府采购合同约定的采购数量，单方面解除合同",
        "《中华人民共和国政府采购法》第五十条",
        "责令改正，承担违约责任并赔偿供应商损失{a}万元",
    ),
];

const PPP_DEFAULT: &[Case] = &[
    case(
        "",
        "未按PPP项目合同约定履行政府方付费义务，拖欠{p}项目可用性服务费{a}万元",
        "《政府和社会资本合作项目财政管理暂行办法》（财金〔2016〕92号）第二十条",
        "责令限期履行付费义务，予以通报",
    ),
    case(
        "",
        "未按PPP项目合同约定完成{p}项目建设用地移交，致使项目延期{d}日",
        "《国务院办公厅转发财政部发展改革委人民银行关于在公共服务领域推广政府和社会资本合作模式指导意见的通知》（国办发〔2015〕42号）",
        "责令限期履约，赔偿社会资本方损失{a}万元",
    ),
    case(
        "",
        "未按PPP项目合同约定将{p}项目运维绩效付费纳入年度财政预算",
        "《政府和社会资本合作项目财政管理暂行办法》（财金〔2016〕92号）第二十一条",
        "责令限期整改，暂停新增PPP项目入库",
    ),
];

const BIDDING_VIOLATION: &[Case] = &[
    case(
        "",
        "在{p}项目招标中以不合理条件限制、排斥潜在投标人",
        "《中华人民共和国招标投标法》第十八条、第五十一条",
        "责令改正，罚款{f}万元",
    ),
    case(
        "",
        "将依法必须进行招标的{p}项目化整为零规避招标",
        "《中华人民共和国招标投标法》第四条、第四十九条",
        "责令限期改正，暂停项目资金拨付",
    ),
    case(
        "",
        "在{p}项目招标文件中设定与项目实际需要不相适应的资格条件",
        "《中华人民共和国招标投标法实施条例》第三十二条、第六十三条",
        "责令改正，依法重新组织招标",
    ),
];

const INVESTMENT_PROMISE_BREACH: &[Case] = &[
    case(
        "",
        "未兑现招商引资优惠政策承诺，拖欠{e}落户奖励资金{a}万元",
        "《优化营商环境条例》第三十一条",
        "责令限期兑现政策承诺，予以通报",
    ),
    case(
        "",
        "以领导班子调整为由拒不履行与{e}签订的投资合作协议",
        "《优化营商环境条例》第三十一条；《国务院关于加强政务诚信建设的指导意见》（国发〔2016〕76号）",
        "责令限期履约，依法补偿企业损失{a}万元",
    ),
    case(
        "",
        "未按投资协议约定期限交付项目用地，致使{e}项目延期开工{d}日",
        "《国务院关于加强政务诚信建设的指导意见》（国发〔2016〕76号）",
        "责令限期交付项目用地，书面说明原因",
    ),
];

const PAYMENT_ARREARS: &[Case] = &[
    case(
        "",
        "拖欠{e}{p}项目工程款{a}万元，自验收合格之日起逾期{d}日未支付",
        "《保障中小企业款项支付条例》第九条、第十五条",
        "责令限期支付欠款，并按日万分之五支付逾期利息",
    ),
    case(
        "",
        "以未完成审计为由拖延支付{e}服务费{a}万元",
        "《保障中小企业款项支付条例》第十一条",
        "责令限期支付，予以通报",
    ),
    case(
        "",
        "未按合同约定支付{e}货物采购款{a}万元，逾期{d}日",
        "《保障中小企业款项支付条例》第九条",
        "责令限期清偿欠款及逾期利息",
    ),
];

const DEBT_DEFAULT: &[Case] = &[
    case(
        "",
        "违规举借债务，通过融资租赁方式变相举债{a}万元用于{p}项目",
        "《中华人民共和国预算法》第三十五条、第九十四条",
        "责令限期改正，对相关责任人依法追责",
    ),
    case(
        "",
        "违规向金融机构出具承诺函，为融资平台公司融资{a}万元提供担保",
        "《关于进一步规范地方政府举债融资行为的通知》（财预〔2017〕50号）",
        "责令撤回承诺函，予以通报",
    ),
    case(
        "",
        "未按约定偿还到期政府债务本息{a}万元，逾期{d}日",
        "《国务院关于加强地方政府性债务管理的意见》（国发〔2014〕43号）",
        "责令限期偿还，扣减相关转移支付",
    ),
];

const PUBLIC_COMMITMENT_BREACH: &[Case] = &[
    case(
        "",
        "未兑现年初公开承诺的社区养老服务中心建设事项",
        "《天津市滨海新区政务诚信建设实施方案》街道和乡镇公开承诺制度",
        "责令书面说明原因并限期整改",
    ),
    case(
        "",
        "公开承诺的老旧小区停车位改造事项未按期完成，逾期{d}日",
        "《天津市滨海新区政务诚信建设实施方案》街道和乡镇公开承诺制度",
        "予以通报批评，限期兑现承诺",
    ),
    case(
        "",
        "公开承诺的残疾人两项补贴按月发放未落实，延迟发放{d}日",
        "《国务院关于全面建立困难残疾人生活补贴和重度残疾人护理补贴制度的意见》（国发〔2015〕52号）；《天津市滨海新区政务诚信建设实施方案》",
        "责令立即补发，书面说明原因",
    ),
    case(
        "",
        "未按公开承诺时限办结群众就业援助申请",
        "《天津市滨海新区政务诚信建设实施方案》街道和乡镇公开承诺制度",
        "责令限期办结，予以通报",
    ),
];

const COMPLAINT_UPHELD: &[Case] = &[
    case(
        "",
        "群众通过12345便民服务专线投诉，经核查属实：{p}项目承诺的补偿款未按期发放",
        "《国务院关于加强政务诚信建设的指导意见》（国发〔2016〕76号）",
        "认定政务失信，责令限期整改并答复投诉人",
    ),
    case(
        "",
        "企业投诉经核查属实：行政审批事项超过承诺时限{d}日未办结",
        "《优化营商环境条例》第四十条；《国务院关于加强政务诚信建设的指导意见》（国发〔2016〕76号）",
        "认定政务失信，责令限期办结",
    ),
    case(
        "",
        "{e}投诉经核查属实：拖欠{p}项目质量保证金{a}万元逾期未退还",
        "《保障中小企业款项支付条例》第十二条",
        "认定政务失信，责令限期退还",
    ),
];

const HONOUR_UNITS: &[Case] = &[
    case(
        "",
        "在{py}年度政务诚信建设考核中被评为优秀等次",
        "《天津市滨海新区政务诚信建设实施方案》",
        "通报表扬",
    ),
    case(
        "",
        "被评为{py}年度优化营商环境先进集体",
        "《天津市滨海新区优化营商环境先进集体和先进个人评选办法》",
        "授予先进集体称号",
    ),
    case(
        "",
        "按期兑现全部公开承诺事项，被评为{py}年度诚信建设示范单位",
        "《天津市滨海新区政务诚信建设实施方案》",
        "授予诚信建设示范单位称号",
    ),
];

const HONOUR_PERSONS: &[Case] = &[
    case(
        "区公务员局",
        "在{py}年度考核中被确定为优秀等次，工作表现突出",
        "《公务员奖励规定》第六条",
        "记三等功",
    ),
    case(
        "区委组织部",
        "被评为{py}年度滨海新区优秀公务员",
        "《公务员奖励规定》第五条",
        "通报嘉奖",
    ),
];

const COMMITMENT_KEPT: &[Case] = &[
    case(
        "",
        "按期兑现向社会公开承诺的{p}项目建设事项",
        "《天津市滨海新区政务诚信建设实施方案》",
        "记入守信记录，予以通报表扬",
    ),
    case(
        "",
        "按合同约定期限足额支付{e}款项{a}万元，履约记录良好",
        "《保障中小企业款项支付条例》",
        "记入守信记录",
    ),
    case(
        "",
        "{py}年度政务服务事项全部在承诺时限内办结",
        "《天津市滨海新区政务诚信建设实施方案》",
        "记入守信记录，予以通报表扬",
    ),
];

/// The values of one record's placeholders (see [`Case`]), drawn once so that an enterprise or
/// an amount named in the facts is the same one in the outcome.
pub struct Placeholders {
    amount: (u64, u64),
    fine: (u64, u64),
    small: (u64, u64),
    project: &'static str,
    enterprise: &'static str,
    days: u64,
    number: u64,
    year: i32,
}

impl Placeholders {
    pub fn draw(rng: &mut SplitMix64, year: i32) -> Self {
        Placeholders {
            amount: (3 + rng.below(2_000), rng.below(10)),
            fine: (1 + rng.below(50), rng.below(10)),
            small: (rng.below(10), 1 + rng.below(9)),
            project: PROJECTS[rng.below(PROJECTS.len() as u64) as usize],
            enterprise: ENTERPRISES[rng.below(ENTERPRISES.len() as u64) as usize],
            days: 30 + rng.below(400),
            number: 100 + rng.below(9_000),
            year,
        }
    }

    /// The severity that fits facts naming a contract-sized amount (`{a}`) or a delay (`{d}`):
    /// 严重 from 1,000 万元 or a year overdue, 轻微 only under 50 万元 and under 60 days, else
    /// the category's `default`. `None` when the facts name neither.
    pub fn severity_for(&self, facts: &str, default: Severity) -> Option<Severity> {
        let (amount, delay) = (facts.contains("{a}"), facts.contains("{d}"));
        if !amount && !delay {
            return None;
        }
        let grave = (amount && self.amount.0 >= 1_000) || (delay && self.days >= 365);
        let minor = (!amount || self.amount.0 < 50) && (!delay || self.days < 60);
        Some(if grave {
            Severity::Grave
        } else if minor {
            Severity::Minor
        } else if default == Severity::Minor {
            Severity::Ordinary
        } else {
            default
        })
    }

    /// `template` with its placeholders filled, in one pass: the generator fills millions.
    /// Unknown or unclosed placeholders are kept as written.
    pub fn fill(&self, template: &str) -> String {
        use std::fmt::Write as _;
        if !template.contains('{') {
            return template.to_string();
        }
        let mut out = String::with_capacity(template.len() + 64);
        let mut rest = template;
        while let Some(open) = rest.find('{') {
            out.push_str(&rest[..open]);
            let after = &rest[open..];
            let Some(close) = after.find('}') else {
                out.push_str(after);
                return out;
            };
            // Writing to a String cannot fail.
            let _ = match &after[1..close] {
                "a" => write!(out, "{}.{}", self.amount.0, self.amount.1),
                "f" => write!(out, "{}.{}", self.fine.0, self.fine.1),
                "s" => write!(out, "{}.{}", self.small.0, self.small.1),
                "p" => write!(out, "{}", self.project),
                "e" => write!(out, "{}", self.enterprise),
                "d" => write!(out, "{}", self.days),
                "n" => write!(out, "{}", self.number),
                "y" => write!(out, "{}", self.year),
                "py" => write!(out, "{}", self.year.saturating_sub(1)),
                _ => write!(out, "{}", &after[..=close]),
            };
            rest = &after[close + 1..];
        }
        out.push_str(rest);
        out
    }
}

/// The document number (决定文书号) of a record, in the issuing unit's official style.
pub fn document_no(abbr: &str, category: &str, year: i32, number: &str) -> String {
    match category {
        "JUDGMENT_DEFAULTER" => format!("津滨{abbr}执字〔{year}〕第{number}号"),
        "JUDICIAL_JUDGMENT" => format!("津滨{abbr}民初字〔{year}〕第{number}号"),
        _ => {
            let word = match category {
                "ADMIN_PENALTY" => "罚",
                "DISCIPLINARY_SANCTION" => "处",
                "ACCOUNTABILITY" => "问",
                "PROCUREMENT_BREACH" => "采",
                "PPP_DEFAULT" => "投",
                "BIDDING_VIOLATION" => "招",
                "INVESTMENT_PROMISE_BREACH" => "督",
                "PAYMENT_ARREARS" => "清",
                "DEBT_DEFAULT" => "债",
                "PUBLIC_COMMITMENT_BREACH" => "诺",
                "COMPLAINT_UPHELD" | "COMMITMENT_KEPT" => "信",
                _ => "",
            };
            format!("津滨{abbr}{word}〔{year}〕{number}号")
        }
    }
}

// ---------------------------------------------------------------------------------------------
// The demo district
// ---------------------------------------------------------------------------------------------

/// How many records of a category the demo holds, who provides them and whom they concern.
struct Plan {
    code: &'static str,
    units: usize,
    persons: usize,
    /// Providers when the case names none.
    providers: &'static [&'static str],
    /// Kinds of unit the unit records concern.
    subjects: &'static [SubjectKind],
}

const ALL_UNITS: &[SubjectKind] = &[ZONE, DEPT, TOWN];

const PLANS: &[Plan] = &[
    Plan {
        code: "JUDGMENT_DEFAULTER",
        units: 6,
        persons: 0,
        providers: &["区法院"],
        subjects: &[ZONE, TOWN],
    },
    Plan {
        code: "JUDICIAL_JUDGMENT",
        units: 10,
        persons: 0,
        providers: &["区法院"],
        subjects: ALL_UNITS,
    },
    Plan {
        code: "ADMIN_PENALTY",
        units: 18,
        persons: 0,
        providers: &["区规国局", "区建交局", "区财政局"],
        subjects: ALL_UNITS,
    },
    Plan {
        code: "DISCIPLINARY_SANCTION",
        units: 0,
        persons: 14,
        providers: &["区纪委", "区监察局"],
        subjects: &[],
    },
    Plan {
        code: "ACCOUNTABILITY",
        units: 0,
        persons: 14,
        providers: &["区纪委", "区委组织部"],
        subjects: &[],
    },
    Plan {
        code: "PROCUREMENT_BREACH",
        units: 12,
        persons: 0,
        providers: &["区财政局"],
        subjects: ALL_UNITS,
    },
    Plan {
        code: "PPP_DEFAULT",
        units: 6,
        persons: 0,
        providers: &["区财政局", "区发展改革委"],
        subjects: &[ZONE, TOWN, DEPT],
    },
    Plan {
        code: "BIDDING_VIOLATION",
        units: 10,
        persons: 0,
        providers: &["区建交局", "区商务委"],
        subjects: ALL_UNITS,
    },
    Plan {
        code: "INVESTMENT_PROMISE_BREACH",
        units: 10,
        persons: 0,
        providers: &["区商务委", "区招商服务局"],
        subjects: &[ZONE, TOWN],
    },
    Plan {
        code: "PAYMENT_ARREARS",
        units: 16,
        persons: 0,
        providers: &["区财政局"],
        subjects: ALL_UNITS,
    },
    Plan {
        code: "DEBT_DEFAULT",
        units: 4,
        persons: 0,
        providers: &["区财政局"],
        subjects: &[ZONE, TOWN],
    },
    Plan {
        code: "PUBLIC_COMMITMENT_BREACH",
        units: 12,
        persons: 0,
        providers: &["区民政局", "区政府办"],
        subjects: &[TOWN],
    },
    Plan {
        code: "COMPLAINT_UPHELD",
        units: 12,
        persons: 0,
        providers: &["区发展改革委"],
        subjects: ALL_UNITS,
    },
    Plan {
        code: "HONOUR",
        units: 12,
        persons: 6,
        providers: &["区委组织部", "区政府办", "区发展改革委"],
        subjects: ALL_UNITS,
    },
    Plan {
        code: "COMMITMENT_KEPT",
        units: 12,
        persons: 0,
        providers: &["区发展改革委"],
        subjects: ALL_UNITS,
    },
];

/// A civil servant of the demo roster, as records need them.
struct Person {
    name: String,
    id_number: String,
    unit: &'static str,
    /// Leaders are not the subjects of demo sanctions.
    leader: bool,
}

/// A record before its document number is known.
struct Draft {
    order: usize,
    provider: &'static UnitDef,
    code: &'static str,
    decided_on: NaiveDate,
    row: RecordRow,
}

/// The demo district: Binhai New Area's units, 300 civil servants and a year of records before
/// `today`. Deterministic: the same `today` gives the same demo.
pub fn demo_district(today: NaiveDate) -> Demo {
    let mut rng = SplitMix64::new(0x42_494E_4841_4921); // "BINHAI!"
    let mut roster = Vec::with_capacity(UNITS.len() + CIVIL_SERVANTS);
    for (i, u) in UNITS.iter().enumerate() {
        let parent = if u.kind == SubjectKind::DistrictGovernment {
            String::new()
        } else {
            DISTRICT_GOVERNMENT.to_string()
        };
        roster.push(RosterRow {
            name: u.name.to_string(),
            short_name: u.short.to_string(),
            kind: u.kind.label().to_string(),
            uscc: demo_uscc(i),
            parent,
            ..Default::default()
        });
    }

    let people = civil_servants(&mut rng);
    for p in &people {
        roster.push(RosterRow {
            name: p.0.name.clone(),
            kind: SubjectKind::CivilServant.label().to_string(),
            id_number: p.0.id_number.clone(),
            unit: p.0.unit.to_string(),
            position: p.1.to_string(),
            ..Default::default()
        });
    }
    let people: Vec<Person> = people.into_iter().map(|(p, _)| p).collect();

    let records = demo_records(today, &roster, &people, &mut rng);
    Demo { roster, records }
}

/// 300 civil servants spread over the units, with distinct names and ID numbers.
fn civil_servants(rng: &mut SplitMix64) -> Vec<(Person, &'static str)> {
    let first_birth = NaiveDate::from_ymd_opt(1963, 1, 1).unwrap_or_default();
    let mut names = HashSet::new();
    let mut ids = HashSet::new();
    let mut per_unit: HashMap<&str, usize> = HashMap::new();
    let mut out = Vec::with_capacity(CIVIL_SERVANTS);
    for i in 0..CIVIL_SERVANTS {
        let u = &UNITS[i % UNITS.len()];
        let nth = per_unit.entry(u.short).or_insert(0);
        let (head, deputy) = leader_titles(u);
        let position = match *nth {
            0 => head,
            1 => deputy,
            _ => staff_position(rng.next_u64(), u.kind == SubjectKind::Township),
        };
        let leader = *nth < 2;
        *nth += 1;

        let mut name = person_name(rng.next_u64());
        while !names.insert(name.clone()) {
            name = person_name(rng.next_u64());
        }
        // Born 1963-1997; sequence codes 000-099 are the demo's (the generator uses 100-999).
        let mut id_number = String::new();
        for _ in 0..1_000 {
            let birth = first_birth
                .checked_add_days(Days::new(rng.below(35 * 365)))
                .unwrap_or(first_birth);
            let seq = rng.below(100) as u16;
            if let Ok(id) = IdNumber::from_parts(BINHAI_DIVISION, birth, seq)
                && ids.insert(id.as_str().to_string())
            {
                id_number = id.as_str().to_string();
                break;
            }
        }
        out.push((
            Person {
                name,
                id_number,
                unit: u.short,
                leader,
            },
            position,
        ));
    }
    out
}

fn demo_records(
    today: NaiveDate,
    roster: &[RosterRow],
    people: &[Person],
    rng: &mut SplitMix64,
) -> Vec<(String, RecordRow)> {
    let catalog = default_catalog();
    let mut drafts: Vec<Draft> = Vec::new();
    for plan in PLANS {
        let Some(cat) = catalog.iter().find(|c| c.code == plan.code) else {
            continue;
        };
        let (unit_cases, person_cases) = cases(plan.code);
        let jobs =
            std::iter::repeat_n(false, plan.units).chain(std::iter::repeat_n(true, plan.persons));
        for (k, person) in jobs.enumerate() {
            let pool = if person { person_cases } else { unit_cases };
            let Some(c) = pool.get(k % pool.len().max(1)) else {
                continue;
            };
            let provider_short = if c.provider.is_empty() {
                plan.providers
                    .get(rng.below(plan.providers.len() as u64) as usize)
                    .copied()
                    .unwrap_or("")
            } else {
                c.provider
            };
            let Some(provider) = unit_def(provider_short) else {
                continue;
            };

            let days_before = 1 + rng.below(365);
            let decided_on = today
                .checked_sub_days(Days::new(days_before))
                .unwrap_or(today);
            let year = decided_on.year();

            let values = Placeholders::draw(rng, year);
            let mut row = RecordRow {
                category: cat.code.clone(),
                decided_on: format_date(decided_on),
                authority: provider.name.to_string(),
                facts: values.fill(c.facts),
                basis: values.fill(c.basis),
                outcome: values.fill(c.outcome),
                ..Default::default()
            };
            if person {
                let candidates: Vec<&Person> = people
                    .iter()
                    .filter(|p| !p.leader && p.unit != provider.short && !p.id_number.is_empty())
                    .collect();
                let Some(p) = candidates.get(rng.below(candidates.len() as u64) as usize) else {
                    continue;
                };
                row.subject_name = p.name.clone();
                row.id_number = p.id_number.clone();
            } else {
                let candidates: Vec<&RosterRow> = roster
                    .iter()
                    .filter(|r| {
                        r.short_name != provider.short
                            && SubjectKind::parse(&r.kind).is_ok_and(|k| plan.subjects.contains(&k))
                    })
                    .collect();
                let Some(r) = candidates.get(rng.below(candidates.len() as u64) as usize) else {
                    continue;
                };
                row.subject_name = r.name.clone();
                row.uscc = r.uscc.clone();
            }
            if cat.kind == RecordKind::Dishonest {
                let default = cat.default_severity.unwrap_or(Severity::Ordinary);
                // Mostly the category's default, one in eight judged lighter or heavier (drawn
                // for every record, so the rest of the district stays as it was); facts that name
                // an amount or a delay decide by those instead.
                let drawn = if rng.below(8) == 0 {
                    let others: Vec<Severity> = Severity::ALL
                        .into_iter()
                        .filter(|s| *s != default)
                        .collect();
                    others
                        .get(rng.below(others.len() as u64) as usize)
                        .copied()
                        .unwrap_or(default)
                } else {
                    default
                };
                let severity = values.severity_for(c.facts, default).unwrap_or(drawn);
                row.severity = severity.label().to_string();
            }
            drafts.push(Draft {
                order: drafts.len(),
                provider,
                code: plan.code,
                decided_on,
                row,
            });
        }
    }

    // Number each provider's documents in date order, one series per provider and year.
    drafts.sort_by_key(|d| (d.decided_on, d.order));
    let mut counters: HashMap<(&str, i32), u64> = HashMap::new();
    drafts
        .into_iter()
        .map(|mut d| {
            let year = d.decided_on.year();
            let counter = counters
                .entry((d.provider.short, year))
                .or_insert_with(|| 5 + rng.below(20));
            *counter += 1 + rng.below(6);
            let number = if matches!(d.code, "JUDGMENT_DEFAULTER" | "JUDICIAL_JUDGMENT") {
                format!("{:04}", *counter)
            } else {
                counter.to_string()
            };
            d.row.document_no = document_no(d.provider.abbr, d.code, year, &number);
            (d.provider.short.to_string(), d.row)
        })
        .collect()
}

/// The demo's accounts, one per role, all with `DEMO_PASSWORD`: (name, role, unit short name).
pub const DEMO_ACCOUNTS: &[(&str, &str, Option<&str>)] = &[
    ("xinyongban", "admin", None),
    ("caizhengju", "provider", Some("区财政局")),
    ("fayuan", "provider", Some("区法院")),
    ("xinbei", "unit", Some("新北街道")),
    ("zuzhibu", "hr", None),
    ("sysadmin", "sysadmin", None),
    ("secadmin", "secadmin", None),
    ("auditor", "auditor", None),
];

/// The made-up holders of the demo accounts (姓名), in the order of `DEMO_ACCOUNTS`.
const DEMO_HOLDERS: &[&str] = &[
    "周立群",
    "孙海燕",
    "陈志远",
    "刘春梅",
    "吴建国",
    "郑晓东",
    "王丽华",
    "赵明轩",
];

/// The password of every demo account. It is printed by `probity demo` and `serve --demo` and
/// written in the README: a demo database is for trying the platform, never for real data.
pub const DEMO_PASSWORD: &str = "Binhai-Demo-2018";

/// What loading the demo did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DemoLoad {
    Loaded {
        subjects: u64,
        records: u64,
    },
    /// The database already had records: nothing was loaded.
    Skipped {
        existing_records: i64,
    },
}

impl std::fmt::Display for DemoLoad {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            DemoLoad::Loaded { subjects, records } => {
                writeln!(
                    f,
                    "已加载演示数据：滨海新区 {subjects} 个主体，{records} 条信用记录"
                )?;
                writeln!(
                    f,
                    "演示账号（密码均为 {DEMO_PASSWORD}；管理类账号首次登录后须绑定动态口令）："
                )?;
                for (name, role, unit) in DEMO_ACCOUNTS {
                    let label = probity_domain::account::AccountRole::parse(role)
                        .map(|r| r.label())
                        .unwrap_or(role);
                    write!(f, "  {name:<12} {label}")?;
                    if let Some(u) = unit {
                        write!(f, "（{u}）")?;
                    }
                    writeln!(f)?;
                }
                Ok(())
            }
            DemoLoad::Skipped { existing_records } => {
                write!(
                    f,
                    "数据库中已有 {existing_records} 条记录，未重复加载演示数据"
                )
            }
        }
    }
}

/// Loads the demo district into an empty database; leaves a database with records alone.
/// The day the demo's record `i` of `provider`, decided on `decided`, reached the platform:
/// mostly within a week, later for some; each provider keeps its own habit (from always on time
/// to late two times in five), and nothing arrives after `today`.
fn arrival(provider: &str, i: usize, decided: NaiveDate, today: NaiveDate) -> NaiveDate {
    let habit = provider
        .bytes()
        .fold(0u64, |h, b| h.wrapping_mul(31).wrapping_add(u64::from(b)))
        % 5;
    let mut rng = SplitMix64::new(0xA11_u64 ^ (i as u64).wrapping_mul(0x9E37_79B9));
    let late = rng.below(10) < habit * 2;
    let days = if late {
        8 + rng.below(40)
    } else {
        rng.below(7)
    };
    decided
        .checked_add_days(Days::new(days))
        .unwrap_or(today)
        .min(today)
}

pub fn load_demo(
    store: &probity_store::Store,
    today: NaiveDate,
) -> Result<DemoLoad, crate::AppError> {
    let existing = store.record_count()?;
    if existing > 0 {
        return Ok(DemoLoad::Skipped {
            existing_records: existing,
        });
    }
    let demo = demo_district(today);
    let mut roster = Vec::new();
    for (i, row) in demo.roster.iter().enumerate() {
        roster.push((
            i + 2,
            row.validate(false)
                .map_err(|e| crate::AppError::msg(format!("演示名录第 {} 行：{e}", i + 2)))?,
        ));
    }
    // The district's history as it would have arrived: the roster a year and a day ago, then
    // each provider's records in batches on the days they reached the platform (see `arrival`),
    // so that the journal reads in time order and the statistics' timeliness has something to
    // tell; each batch activated by the credit office, as a real first load would be.
    let at = |day: NaiveDate| store.with_clock(probity_store::Clock::on_beijing_day(day));
    let start = today.checked_sub_days(Days::new(366)).unwrap_or(today);
    let report = at(start).import_roster(roster, DEMO_ACTOR)?;
    if !report.rejected.is_empty() {
        return Err(crate::AppError::msg(format!(
            "演示名录有 {} 行被拒绝：{}",
            report.rejected.len(),
            report.rejected[0].2
        )));
    }
    let catalog = store.catalog()?;
    let mut batches: std::collections::BTreeMap<(NaiveDate, &str), Vec<usize>> =
        std::collections::BTreeMap::new();
    for (i, (p, row)) in demo.records.iter().enumerate() {
        let decided = probity_domain::date::parse_date(&row.decided_on)
            .map_err(|e| crate::AppError::msg(format!("演示记录第 {} 条：{e}", i + 1)))?;
        batches
            .entry((arrival(p, i, decided, today), p.as_str()))
            .or_default()
            .push(i);
    }
    let mut accepted = 0;
    for ((day, p), rows) in batches {
        let store = at(day);
        let provider = store.find_unit(p)?;
        let mut batch = Vec::new();
        for i in rows {
            let row = &demo.records[i].1;
            let rec = row.validate(&catalog, today).map_err(|e| {
                crate::AppError::msg(format!("演示记录第 {} 条：{}", i + 1, e[0].error))
            })?;
            batch.push((i + 1, rec));
        }
        let mut import = store.start_import(probity_store::ImportOptions {
            provider,
            actor: DEMO_ACTOR.into(),
            channel: probity_store::Channel::File,
            source: "演示数据".into(),
            activate: true,
            all_or_nothing: true,
        })?;
        for (row, outcome) in import.push(batch)? {
            match outcome {
                probity_store::Outcome::Accepted { .. } => accepted += 1,
                probity_store::Outcome::Duplicate { .. } => {}
                probity_store::Outcome::Rejected(e) => {
                    return Err(crate::AppError::msg(format!(
                        "演示记录第 {row} 条被拒绝：{}",
                        e[0].error
                    )));
                }
            }
        }
        import.finish(true)?;
        // Each batch's dishonest records about units call for rectification from that day.
        demo_clock(&store, day)?;
    }
    for (i, (name, role, unit)) in DEMO_ACCOUNTS.iter().enumerate() {
        let role = probity_domain::account::AccountRole::parse(role)?;
        let unit = unit.map(|u| store.find_unit(u)).transpose()?.map(|s| s.id);
        if store.account_by_name(name)?.is_none() {
            // Made-up holders: a name from the list, an office line of the 022 area.
            let contact = probity_domain::account::Contact {
                real_name: DEMO_HOLDERS[i % DEMO_HOLDERS.len()].to_string(),
                phone: format!("022-6530{:04}", 1001 + i),
                email: String::new(),
            };
            store.create_account_with(
                name,
                role,
                unit,
                &contact,
                Some(DEMO_PASSWORD),
                DEMO_ACTOR,
            )?;
        }
    }
    demo_cases(store, today)?;
    demo_assessment(store, today)?;
    Ok(DemoLoad::Loaded {
        subjects: report.created + report.updated + report.unchanged,
        records: accepted,
    })
}

/// The demo district's assessment: the year's hand scores given for the mid-year check and the
/// year-end review; the mid-year check closed (signed) once its period is over, so that both a
/// frozen and a live period can be shown. A year without an indicator set is left out.
fn demo_assessment(store: &probity_store::Store, today: NaiveDate) -> Result<(), crate::AppError> {
    use probity_domain::assessment::{Period, PeriodKind};
    let app = crate::App::new(store.clone(), probity_store::Clock::on_beijing_day(today));
    let year = chrono::Datelike::year(&today);
    let office = "admin:xinyongban";
    crate::assessment::demo_set(&app, office, year)?;
    if crate::assessment::indicator_set(&app, year).is_err() {
        return Ok(());
    }
    for kind in PeriodKind::ALL {
        let period = Period::new(year, kind)?;
        if today < period.from() {
            continue;
        }
        crate::assessment::demo_scores(&app, office, period)?;
        if today > period.to() {
            crate::assessment::close_as(&app, office, period)?;
        }
    }
    Ok(())
}

/// The deadline clock as of `day`, on a store that reads that day; a day outside the working-day
/// calendar's years opens nothing (the clock opens those cases on a later day).
fn demo_clock(store: &probity_store::Store, day: NaiveDate) -> Result<(), crate::AppError> {
    let app = crate::App::new(store.clone(), probity_store::Clock::on_beijing_day(day));
    crate::cases::clock(&app, day)?;
    Ok(())
}

/// The cases of the demo district, so that every case page has something to show: the
/// rectifications of the year's records, most answered and accepted in time, some overdue;
/// objections, repairs and complaints open, due soon, overdue and closed. Every step is taken
/// through the use cases, on the day it happened, by the demo accounts.
fn demo_cases(store: &probity_store::Store, today: NaiveDate) -> Result<(), crate::AppError> {
    use crate::cases::{self, step_as};
    use probity_domain::case::{CaseAction, CaseKind, Finding, Party};
    let on =
        |day: NaiveDate| crate::App::new(store.clone(), probity_store::Clock::on_beijing_day(day));
    let back = |n: u64| today.checked_sub_days(Days::new(n)).unwrap_or(today);
    let office = "admin:xinyongban";
    // A step that the calendar cannot count (a year before 2025) is left out of the demo.
    let tolerate = |r: Result<probity_store::StoredCase, crate::AppError>| match r {
        Ok(c) => Ok(Some(c)),
        Err(crate::AppError::Domain(e)) if e.code == probity_domain::Code::CalendarYearMissing => {
            Ok(None)
        }
        Err(e) => Err(e),
    };
    let unit_actor = |unit: Option<i64>| -> Result<String, crate::AppError> {
        let name = match unit {
            Some(u) => {
                let s = store.subject(u)?;
                s.short_name.unwrap_or(s.name)
            }
            None => "演示单位".into(),
        };
        Ok(probity_domain::audit::Actor::Unit {
            unit: name,
            name: "经办人".into(),
        }
        .to_string())
    };

    // Rectifications: answered and accepted within the deadline, except every fifth, left
    // open (overdue once its deadline has passed).
    let open = store.list_cases(
        &probity_store::CaseFilter {
            kind: Some(CaseKind::Rectification),
            open: Some(true),
            ..Default::default()
        },
        None,
        10_000,
    )?;
    for (i, c) in open.iter().enumerate() {
        let Some(deadline) = c.deadline else { continue };
        let opened = probity_domain::date::parse_date(&c.created_at[..10]).unwrap_or(today);
        if i % 5 == 4 || deadline >= today {
            continue;
        }
        let filed = opened
            .checked_add_days(Days::new(5 + (i as u64 % 10)))
            .unwrap_or(opened)
            .min(deadline);
        let who = unit_actor(c.assignee_unit)?;
        let text = "已书面说明原因：经办人员对合同付款节点把握不准。整改措施：已完成付款并建立台账，明确专人跟踪。";
        if tolerate(step_as(
            &on(filed),
            &who,
            c.id,
            Party::Assignee,
            CaseAction::File,
            text,
            None,
            Vec::new(),
            serde_json::Map::new(),
        ))?
        .is_none()
        {
            continue;
        }
        let accepted = filed
            .checked_add_days(Days::new(3))
            .unwrap_or(filed)
            .min(today);
        tolerate(step_as(
            &on(accepted),
            office,
            c.id,
            Party::CreditOffice,
            CaseAction::Accept,
            "",
            None,
            Vec::new(),
            serde_json::Map::new(),
        ))?;
    }

    // Objections and repairs on the active records of units: 新北街道's (the demo unit account's
    // own file) first, then other units' by an official of that unit.
    let xinbei = store.find_unit("新北街道")?;
    let mut own: Vec<probity_store::StoredRecord> = store
        .list_records(
            &probity_store::RecordFilter::default(),
            probity_store::RecordOrder::Newest,
            None,
            1000,
        )?
        .into_iter()
        .filter(|r| r.state == probity_domain::record::RecordState::Active)
        .filter(|r| store.subject(r.subject_id).is_ok_and(|s| s.kind.is_unit()))
        .collect();
    own.sort_by_key(|r| (r.subject_id != xinbei.id, r.id));
    let catalog = store.catalog()?;
    let repairable = |r: &probity_store::StoredRecord| {
        catalog.get(&r.category).is_some_and(|c| {
            probity_domain::case::repair::eligibility(
                c,
                r.severity,
                r.decided_on,
                back(30),
                &probity_domain::case::Deadlines::default(),
            )
            .is_ok()
        })
    };
    let (for_repair, for_objection): (Vec<_>, Vec<_>) = own.iter().partition(|r| repairable(r));
    let template = store
        .account_by_name("xinbei")?
        .ok_or_else(|| crate::AppError::msg("演示账号 xinbei 不存在".into()))?;
    // The demo account for 新北街道; an official of the unit for another's record.
    let actor_for = |r: &probity_store::StoredRecord| -> Result<crate::Actor, crate::AppError> {
        let mut account = template.clone();
        if r.subject_id != xinbei.id {
            let unit = store.subject(r.subject_id)?;
            account.name = format!("{}经办人", unit.short_name.unwrap_or(unit.name));
            account.unit_id = Some(r.subject_id);
        }
        Ok(crate::Actor::new(
            account,
            probity_domain::authz::Reach::OwnFile,
        ))
    };
    // An objection dismissed with reasons, one open and due soon, one open and overdue.
    for (r, opened, answer) in for_objection
        .iter()
        .zip([(back(40), Some(false)), (back(9), None), (back(25), None)])
        .map(|(r, (d, a))| (r, d, a))
    {
        let app = on(opened);
        let actor = actor_for(r)?;
        let reasons =
            "该处罚决定已被复议机关变更，记录中的处理结果与变更后的决定不一致，请予更正。";
        let Some(c) = tolerate(cases::object(&app, &actor, r.id, reasons, Vec::new()))? else {
            continue;
        };
        if answer == Some(false) {
            let answered = opened.checked_add_days(Days::new(6)).unwrap_or(opened);
            let who = format!("provider:{}", provider_account(store, r.provider_id)?);
            tolerate(step_as(
                &on(answered),
                &who,
                c.id,
                Party::Assignee,
                CaseAction::Dismiss,
                "经核查，复议决定维持原处罚决定，记录内容准确，异议不成立。",
                None,
                Vec::new(),
                serde_json::Map::new(),
            ))?;
        }
    }
    // A repair approved (the record leaves public view), one open.
    for (r, opened, approve) in for_repair
        .iter()
        .zip([(back(30), true), (back(4), false)])
        .map(|(r, (d, a))| (r, d, a))
    {
        let app = on(opened);
        let actor = actor_for(r)?;
        let application = probity_domain::case::repair::RepairApplication {
            commitment_signed: true,
            obligations_fulfilled: true,
            statement: "已全额履行处罚决定，缴清罚款，完成整改并建立长效机制，特申请信用修复。"
                .into(),
        };
        let Some(c) = tolerate(cases::apply_repair(
            &app,
            &actor,
            r.id,
            &application,
            Vec::new(),
        ))?
        else {
            continue;
        };
        if approve {
            let decided = opened.checked_add_days(Days::new(7)).unwrap_or(opened);
            tolerate(step_as(
                &on(decided),
                office,
                c.id,
                Party::Assignee,
                CaseAction::Approve,
                "经审核，申请人已履行法定义务并完成整改，材料齐全，准予信用修复。",
                None,
                Vec::new(),
                serde_json::Map::new(),
            ))?;
        }
    }

    // Complaints: closed as founded and rated, answered and waiting, routed and overdue, new.
    let complaint = |day: NaiveDate, subject: &str, content: &str, channel: &str| {
        cases::file_complaint(
            &on(day),
            None,
            &probity_domain::case::complaint::ComplaintInput {
                subject: subject.into(),
                record_id: None,
                content: content.into(),
                channel: channel.into(),
                contact: Some("138****6621".into()),
                name: None,
            },
        )
    };
    let steps: [(u64, &str, &str, &str, u8); 4] = [
        (
            60,
            "新北街道",
            "街道承诺的老旧小区加装电梯项目至今未启动，多次反映没有答复。",
            "hotline",
            4,
        ),
        (
            20,
            "区建交局",
            "招标文件设置与项目无关的本地业绩要求，排斥外地投标人。",
            "web",
            2,
        ),
        (
            30,
            "胡家园街道",
            "街道服务大厅公示的办理时限为5个工作日，实际办理超过一个月。",
            "new_media",
            1,
        ),
        (
            1,
            "区财政局",
            "供应商反映合同验收后超过三个月仍未付款。",
            "letter",
            0,
        ),
    ];
    for (age, subject, content, channel, stage) in steps {
        let filed_on = back(age);
        let filed = match complaint(filed_on, subject, content, channel) {
            Ok(f) => f,
            Err(crate::AppError::Domain(e))
                if e.code == probity_domain::Code::CalendarYearMissing =>
            {
                continue;
            }
            Err(crate::AppError::Fields(_)) => continue,
            Err(e) => return Err(e),
        };
        let id = filed.case.id;
        if stage == 0 {
            continue;
        }
        let routed = filed_on.checked_add_days(Days::new(1)).unwrap_or(filed_on);
        if tolerate(step_as(
            &on(routed),
            office,
            id,
            Party::CreditOffice,
            CaseAction::Route,
            "请核实并按期答复。",
            Some(store.find_unit(subject)?.id),
            Vec::new(),
            serde_json::Map::new(),
        ))?
        .is_none()
            || stage == 1
        {
            continue;
        }
        let answered = routed.checked_add_days(Days::new(8)).unwrap_or(routed);
        let who = unit_actor(Some(store.find_unit(subject)?.id))?;
        let finding = if stage == 4 {
            Finding::Founded
        } else {
            Finding::Unfounded
        };
        tolerate(step_as(
            &on(answered),
            &who,
            id,
            Party::Assignee,
            CaseAction::Answer(finding),
            "经调查核实，情况已查明并已书面答复投诉人。",
            None,
            Vec::new(),
            serde_json::Map::new(),
        ))?;
        if stage == 4 {
            let closed = answered.checked_add_days(Days::new(2)).unwrap_or(answered);
            tolerate(step_as(
                &on(closed),
                office,
                id,
                Party::Assignee,
                CaseAction::Close(Finding::Founded),
                "投诉属实，已责令整改，并依规记录政务失信信息。",
                None,
                Vec::new(),
                serde_json::Map::new(),
            ))?;
            let public = probity_domain::audit::Actor::Other("public".into()).to_string();
            tolerate(step_as(
                &on(closed),
                &public,
                id,
                Party::Applicant,
                CaseAction::Rate(5),
                "处理及时。",
                None,
                Vec::new(),
                serde_json::Map::new(),
            ))?;
        }
    }
    // Where every open case stands today.
    demo_clock(store, today)
}

/// The demo account of a provider (for the journal's actor), or its short name.
fn provider_account(
    store: &probity_store::Store,
    provider: i64,
) -> Result<String, crate::AppError> {
    let unit = store.subject(provider)?;
    for (name, role, u) in DEMO_ACCOUNTS {
        if *role == "provider"
            && u.is_some_and(|u| Some(u) == unit.short_name.as_deref() || u == unit.name)
        {
            return Ok((*name).to_string());
        }
    }
    Ok(unit.short_name.unwrap_or(unit.name))
}

#[cfg(test)]
mod tests {
    use super::*;
    use probity_domain::catalog::Catalog;

    /// The 17 bodies the plan's ledger names, by the short names the plan uses.
    const LEDGER_BODIES: [&str; 17] = [
        "区发展改革委",
        "人民银行滨海新区中心支行",
        "区政府办",
        "区委宣传部",
        "区网信办",
        "区公务员局",
        "区委组织部",
        "区法院",
        "区检察院",
        "区监察局",
        "区纪委",
        "区财政局",
        "区建交局",
        "区规国局",
        "区商务委",
        "区招商服务局",
        "区民政局",
    ];

    fn today() -> NaiveDate {
        NaiveDate::from_ymd_opt(2025, 6, 30).unwrap()
    }

    fn full_name(short: &str) -> &'static str {
        unit_def(short).map(|u| u.name).unwrap_or("")
    }

    #[test]
    fn every_record_validates_and_its_provider_is_allowed() {
        let demo = demo_district(today());
        let catalog = Catalog::new(default_catalog());
        assert!(
            (120..=200).contains(&demo.records.len()),
            "{}",
            demo.records.len()
        );
        for (provider, row) in &demo.records {
            let rec = row
                .validate(&catalog, today())
                .unwrap_or_else(|e| panic!("{row:?}: {e:?}"));
            let cat = catalog.get(&rec.category).unwrap();
            assert!(
                cat.providers.allows(full_name(provider), Some(provider)),
                "{provider} may not submit {}",
                rec.category
            );
            assert!(unit_def(provider).is_some(), "{provider}");
            assert!(rec.decided_on < today());
            assert!(rec.decided_on >= today() - Days::new(365));
            assert!(row.scope.is_empty());
        }
    }

    #[test]
    fn records_cover_every_category_and_name_roster_subjects() {
        let demo = demo_district(today());
        for cat in default_catalog() {
            assert!(
                demo.records.iter().any(|(_, r)| r.category == cat.code),
                "no record of {}",
                cat.code
            );
        }
        let by_key: HashMap<&str, &RosterRow> = demo
            .roster
            .iter()
            .map(|r| {
                let key = if r.uscc.is_empty() {
                    &r.id_number
                } else {
                    &r.uscc
                };
                (key.as_str(), r)
            })
            .collect();
        for (_, row) in &demo.records {
            let key = if row.uscc.is_empty() {
                &row.id_number
            } else {
                &row.uscc
            };
            let subject = by_key.get(key.as_str()).expect("subject on the roster");
            assert_eq!(subject.name, row.subject_name);
            let person = !row.id_number.is_empty();
            let person_category = matches!(
                row.category.as_str(),
                "DISCIPLINARY_SANCTION" | "ACCOUNTABILITY"
            );
            if person_category {
                assert!(person && row.uscc.is_empty(), "{row:?}");
            }
            if person {
                assert_eq!(subject.kind, "公务员");
            }
        }
        // Severity fits the facts: an amount of 1,000 万元 or more, or a year overdue, is 严重;
        // 轻微 only for small sums and short delays; the rest mostly the category's default.
        let catalog = Catalog::new(default_catalog());
        let figure = |facts: &str, before: &str, after: &str| -> Option<u64> {
            let end = facts.find(after)?;
            let start = facts[..end].rfind(before)? + before.len();
            facts[start..end].split('.').next()?.parse().ok()
        };
        let (mut grave, mut judged) = (0, 0);
        for (_, row) in &demo.records {
            let cat = catalog.get(&row.category).unwrap();
            if cat.default_severity.is_none() {
                assert!(row.severity.is_empty());
                continue;
            }
            let days = figure(&row.facts, "逾期", "日");
            let amount = figure(&row.facts, "款", "万元")
                .or_else(|| figure(&row.facts, "费", "万元"))
                .or_else(|| figure(&row.facts, "金", "万元"));
            if days.is_some_and(|d| d >= 365) || amount.is_some_and(|a| a >= 1_000) {
                assert_eq!(row.severity, "严重", "{row:?}");
                grave += 1;
            }
            if days.is_some_and(|d| d >= 60) || amount.is_some_and(|a| a >= 50) {
                assert_ne!(row.severity, "轻微", "{row:?}");
                judged += 1;
            }
        }
        assert!(grave > 0 && judged > grave, "{grave} {judged}");
    }

    #[test]
    fn document_numbers_are_unique_per_provider() {
        let demo = demo_district(today());
        let mut seen = HashSet::new();
        for (provider, row) in &demo.records {
            assert!(
                seen.insert((provider.clone(), row.document_no.clone())),
                "{provider} {}",
                row.document_no
            );
            assert!(row.document_no.starts_with("津滨"), "{}", row.document_no);
        }
        assert!(
            demo.records
                .iter()
                .any(|(p, r)| p == "区法院" && r.document_no.contains("执字〔"))
        );
    }

    #[test]
    fn roster_validates_with_unique_identifiers_and_short_names() {
        let demo = demo_district(today());
        let mut usccs = HashSet::new();
        let mut ids = HashSet::new();
        let mut shorts = HashSet::new();
        let mut units = 0;
        let mut people = 0;
        for row in &demo.roster {
            let s = row
                .validate(false)
                .unwrap_or_else(|e| panic!("{row:?}: {e}"));
            if s.kind.is_unit() {
                units += 1;
                assert!(usccs.insert(row.uscc.clone()), "{}", row.uscc);
                assert!(row.uscc.starts_with("11120116"), "{}", row.uscc);
                assert!(shorts.insert(row.short_name.clone()), "{}", row.short_name);
                if s.kind != SubjectKind::DistrictGovernment {
                    assert_eq!(row.parent, DISTRICT_GOVERNMENT);
                }
            } else {
                people += 1;
                assert!(ids.insert(row.id_number.clone()));
                assert!(row.id_number.starts_with(BINHAI_DIVISION));
                assert!(unit_def(&row.unit).is_some(), "{}", row.unit);
                assert!(!row.position.is_empty());
                if unit_def(&row.unit).is_some_and(|u| u.kind == SubjectKind::Township) {
                    assert!(!row.position.contains("处长"), "{row:?}");
                }
            }
        }
        assert_eq!(units, UNITS.len());
        assert_eq!(people, CIVIL_SERVANTS);
        let townships = demo.roster.iter().filter(|r| r.kind == "街镇").count();
        assert!(townships >= 12, "{townships}");
        assert_eq!(demo.roster.iter().filter(|r| r.kind == "功能区").count(), 5);
        assert_eq!(demo.roster.iter().filter(|r| r.kind == "区政府").count(), 1);
    }

    #[test]
    fn the_ledger_bodies_are_departments_by_their_plan_names() {
        let demo = demo_district(today());
        for body in LEDGER_BODIES {
            let row = demo
                .roster
                .iter()
                .find(|r| r.short_name == body)
                .unwrap_or_else(|| panic!("{body} missing"));
            assert_eq!(row.kind, "部门", "{body}");
        }
        for zone in ["开发区", "保税区", "高新区", "生态城", "东疆保税区"] {
            assert!(demo.roster.iter().any(|r| r.short_name == zone), "{zone}");
        }
    }

    #[test]
    fn placeholders_are_filled_once_and_consistently() {
        let mut rng = SplitMix64::new(1);
        let values = Placeholders::draw(&mut rng, 2025);
        let s = values
            .fill("{e}欠款{a}万元，罚款{f}，{s}，{e}项目{p}，{y}/{py}，{d}日，第{n}号，{x}，{");
        assert!(
            !["{e}", "{a}", "{f}", "{s}", "{p}", "{d}", "{n}", "{y}"]
                .iter()
                .any(|p| s.contains(p)),
            "{s}"
        );
        assert!(s.contains("2025/2024"), "{s}");
        assert!(s.ends_with("号，{x}，{"), "{s}");
        assert!(!s.contains("，，"), "{s}");
        let e = ENTERPRISES.iter().find(|e| s.starts_with(*e)).unwrap();
        assert_eq!(s.matches(e).count(), 2, "{s}");
        assert_eq!(values.fill("无占位符"), "无占位符");
        // Facts and outcome of one record name the same enterprise.
        assert_eq!(values.fill("{e}{a}"), values.fill("{e}{a}"));
    }

    #[test]
    fn deterministic() {
        assert_eq!(demo_district(today()), demo_district(today()));
        let other = NaiveDate::from_ymd_opt(2025, 7, 1).unwrap();
        assert_eq!(demo_district(today()).roster, demo_district(other).roster);
        assert_ne!(demo_district(today()).records, demo_district(other).records);
    }

    #[test]
    fn extreme_dates_do_not_panic() {
        for d in [
            NaiveDate::MIN,
            NaiveDate::MAX,
            NaiveDate::from_ymd_opt(1900, 1, 1).unwrap(),
        ] {
            let demo = demo_district(d);
            assert_eq!(demo.roster.len(), UNITS.len() + CIVIL_SERVANTS);
        }
    }
}
