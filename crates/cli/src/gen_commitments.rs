//! `probity gen-commitments`: deterministic synthetic procurement contracts (政府采购合同) and their
//! payments (付款记录), for tests and the commitments benchmark (`bench/commitments.sh`).
//!
//! The same (contracts, seed, today) give byte-identical files on every platform: all randomness
//! comes from [`SplitMix64`] and integer arithmetic (amounts in 分). Every contract is a pure
//! function of (seed, index), and so are its payments given how many it has. Nothing is held in
//! memory per row: a first pass only counts, the second streams both files through buffered
//! writers, contract by contract.
//!
//! What the import requires holds for every row: purchasers are units of the demo district
//! (`probity demo`), terms are at most 60 days, supplier USCCs (one row in ten) are valid, no
//! date is after `today`, a contract not yet delivered has no payment, no payment predates its
//! contract's delivery or acceptance, and a contract's payments never add up to more than its
//! amount. The mix of delivered contracts: about 60% paid in full by the due date, 15% paid in
//! full late (the last payment 1-90 days after the due date), 15% partly paid, 10% not paid at
//! all; about 3% of contracts are not yet delivered.
//!
//! The payments file holds exactly twice as many payments as there are contracts (whenever the
//! contracts can take them: not for a handful of contracts none of which pays). Each paying
//! contract draws 1-4 payments; the counting pass sums the draws, and the writing pass spreads the
//! difference to the target over the paying contracts in proportion to what each can give or
//! take (running floors of the cumulative share), so no contract goes below 1 or above 4.

use std::fmt::{self, Write as _};
use std::fs::{self, File};
use std::io::{self, BufWriter, Write as _};
use std::path::{Path, PathBuf};

use chrono::{Datelike, Days, NaiveDate};
use probity_app::demo::{self, BINHAI_DIVISION, SplitMix64};
use probity_domain::ident::Uscc;

/// Contract columns, in the order the procurement import reads them.
pub const CONTRACTS_HEADER: [&str; 10] = [
    "采购单位",
    "合同编号",
    "合同名称",
    "供应商",
    "供应商统一社会信用代码",
    "是否中小企业",
    "合同金额（元）",
    "交付或验收日期",
    "付款期限（日）",
    "约定逾期利率（日）",
];

/// Payment columns, in the order the payments import reads them.
pub const PAYMENTS_HEADER: [&str; 5] = [
    "合同编号",
    "付款日期",
    "付款金额（元）",
    "采购单位",
    "付款凭证号",
];

/// What [`generate_commitments`] wrote.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CommitmentsSummary {
    pub contracts: usize,
    pub payments: usize,
    pub contracts_path: PathBuf,
    pub payments_path: PathBuf,
}

impl fmt::Display for CommitmentsSummary {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        writeln!(
            f,
            "采购合同：{} 份 → {}",
            self.contracts,
            self.contracts_path.display()
        )?;
        write!(
            f,
            "付款记录：{} 笔 → {}",
            self.payments,
            self.payments_path.display()
        )
    }
}

const STREAM_CONTRACT: u64 = 11;
const STREAM_PAYMENT: u64 = 12;

/// Payments per contract on average, over the file.
const PAYMENTS_PER_CONTRACT: u64 = 2;
/// The most payments one contract gets.
const MAX_PAYMENTS: u32 = 4;
/// Distinct suppliers: `SUPPLIER_PLACES` × `SUPPLIER_WORDS` × `SUPPLIER_LINES`.
const SUPPLIERS: u64 = 5_000;
/// Contract amounts, in 分: 1,000.00 to 5,000,000.00 元.
const MIN_AMOUNT: i64 = 100_000;
const MAX_AMOUNT: i64 = 500_000_000;
/// Delivery or acceptance within this many days before today (two years).
const ACCEPTED_WITHIN_DAYS: u64 = 730;
/// The term when a contract agrees none (保障中小企业款项支付条例: 30 days).
const DEFAULT_TERM: u64 = 30;
/// Agreed terms (the 条例 allows at most 60 days).
const TERMS: [&str; 4] = ["15", "30", "45", "60"];
const TERM_DAYS: [u64; 4] = [15, 30, 45, 60];
/// Agreed daily late-payment rates.
const RATES: [&str; 3] = ["0.03%", "0.04%", "0.05%"];

/// What is bought.
const TITLES: &[&str] = &[
    "办公设备采购",
    "办公家具采购",
    "物业管理服务",
    "信息化系统运维服务",
    "电子政务云服务",
    "公务用车维修保养服务",
    "绿化养护服务",
    "道路维修工程",
    "印刷服务",
    "法律顾问服务",
    "审计咨询服务",
    "会议服务",
    "安保服务",
    "保洁服务",
    "食堂餐饮服务",
    "档案数字化服务",
    "网络安全等级保护测评服务",
    "视频监控系统建设",
    "社区养老服务",
    "防汛物资采购",
];

/// Supplier name parts: 天津{place}{word}{line}有限公司, 25 × 20 × 10 = `SUPPLIERS` names.
const SUPPLIER_PLACES: &[&str] = &[
    "滨海",
    "塘沽",
    "汉沽",
    "大港",
    "泰达",
    "临港",
    "东疆",
    "北塘",
    "新港",
    "海河",
    "渤海",
    "津南",
    "海滨",
    "于家堡",
    "响螺湾",
    "中新",
    "空港",
    "南港",
    "茶淀",
    "太平",
    "中塘",
    "胡家园",
    "寨上",
    "古林",
    "杨家泊",
];
const SUPPLIER_WORDS: &[&str] = &[
    "海川", "瑞通", "恒信", "华泰", "宏远", "博达", "汇智", "鼎盛", "正元", "泰和", "天成", "兴业",
    "金港", "海纳", "远航", "广益", "众合", "新源", "启明", "德润",
];
const SUPPLIER_LINES: &[&str] = &[
    "科技",
    "信息技术",
    "物业服务",
    "建筑工程",
    "办公设备",
    "文化传媒",
    "环境工程",
    "餐饮管理",
    "保安服务",
    "管理咨询",
];

/// A hash of (seed, stream, index): the attributes of the index-th item of a stream (as in
/// `gen.rs`).
fn hash(seed: u64, stream: u64, index: u64) -> u64 {
    SplitMix64::new(
        seed ^ stream.wrapping_mul(0xD6E8_FEB8_6659_FD93)
            ^ index.wrapping_mul(0xA076_1D64_78BD_642F),
    )
    .next_u64()
}

fn pick<'a, T>(rng: &mut SplitMix64, pool: &'a [T]) -> &'a T {
    &pool[rng.below(pool.len() as u64) as usize]
}

/// What becomes of a contract.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Behaviour {
    /// Not yet delivered: no acceptance date, no payment.
    Undelivered,
    /// Paid in full by the due date (or, not yet due, by today).
    OnTime,
    /// Paid in full, the last payment 1-90 days after the due date (when the due date has passed).
    Late,
    /// Some money still unpaid.
    Partial,
    /// Nothing paid.
    Unpaid,
}

impl Behaviour {
    fn pays(self) -> bool {
        matches!(
            self,
            Behaviour::OnTime | Behaviour::Late | Behaviour::Partial
        )
    }
}

/// Contract `index` (0-based): numbers and static strings only, no allocation.
#[derive(Debug, Clone, Copy)]
struct Contract {
    /// 1-based: the contract number and its vouchers carry it.
    number: u64,
    purchaser: &'static str,
    title: &'static str,
    supplier: usize,
    with_uscc: bool,
    sme: bool,
    /// 分.
    amount: i64,
    accepted_on: Option<NaiveDate>,
    /// Index into `TERMS`; none agreed when `None`.
    term: Option<usize>,
    rate: Option<&'static str>,
    behaviour: Behaviour,
    /// Payments drawn before the file-wide adjustment (0 unless the contract pays).
    drawn: u32,
}

impl Contract {
    fn new(seed: u64, index: u64, today: NaiveDate) -> Contract {
        let mut rng = SplitMix64::new(hash(seed, STREAM_CONTRACT, index));
        let unit = pick(&mut rng, demo::UNITS);
        // Three purchasers in ten are named by their short name, as many systems export them.
        let purchaser = if rng.below(10) < 3 {
            unit.short
        } else {
            unit.name
        };
        let title = *pick(&mut rng, TITLES);
        let supplier = rng.below(SUPPLIERS) as usize;
        let with_uscc = rng.below(10) == 0;
        let sme = rng.below(10) < 8;
        // Most contracts are small: 30% under 10,000 元, 35% under 100,000, 25% under 1,000,000,
        // 10% up to 5,000,000.
        let (lo, hi) = match rng.below(100) {
            0..30 => (MIN_AMOUNT, 1_000_000),
            30..65 => (1_000_000, 10_000_000),
            65..90 => (10_000_000, 100_000_000),
            _ => (100_000_000, MAX_AMOUNT + 1),
        };
        let amount = lo + rng.below((hi - lo) as u64) as i64;
        let delivered = rng.below(100) >= 3;
        let days_before = rng.below(ACCEPTED_WITHIN_DAYS + 1);
        let accepted_on = delivered.then(|| {
            today
                .checked_sub_days(Days::new(days_before))
                .unwrap_or(today)
        });
        let term = (rng.below(2) == 0).then(|| rng.below(TERMS.len() as u64) as usize);
        let rate = (rng.below(100) < 15).then(|| *pick(&mut rng, &RATES));
        let behaviour = match (delivered, rng.below(100)) {
            (false, _) => Behaviour::Undelivered,
            (true, 0..60) => Behaviour::OnTime,
            (true, 60..75) => Behaviour::Late,
            (true, 75..90) => Behaviour::Partial,
            (true, _) => Behaviour::Unpaid,
        };
        // 1: 20%, 2: 40%, 3: 29%, 4: 11% (mean 2.31, about 2 over all contracts).
        let drawn = match rng.below(100) {
            0..20 => 1,
            20..60 => 2,
            60..89 => 3,
            _ => 4,
        };
        Contract {
            number: index + 1,
            purchaser,
            title,
            supplier,
            with_uscc,
            sme,
            amount,
            accepted_on,
            term,
            rate,
            behaviour,
            drawn: if behaviour.pays() { drawn } else { 0 },
        }
    }

    fn due_on(&self) -> Option<NaiveDate> {
        let days = self.term.map_or(DEFAULT_TERM, |t| TERM_DAYS[t]);
        self.accepted_on
            .map(|a| a.checked_add_days(Days::new(days)).unwrap_or(a))
    }

    /// The payments of a contract that gets `count` of them (at most `MAX_PAYMENTS`), in date
    /// order, into `out`; returns how many were written there.
    fn payments(
        &self,
        seed: u64,
        count: u32,
        today: NaiveDate,
        out: &mut [(NaiveDate, i64); MAX_PAYMENTS as usize],
    ) -> usize {
        let k = count.min(MAX_PAYMENTS) as usize;
        let (Some(accepted), Some(due)) = (self.accepted_on, self.due_on()) else {
            return 0;
        };
        if k == 0 || !self.behaviour.pays() {
            return 0;
        }
        let mut rng = SplitMix64::new(hash(seed, STREAM_PAYMENT, self.number - 1));
        let today = today.max(accepted);

        // The days: all between acceptance and the window's end; a late contract's last payment
        // is fixed 1-90 days past the due date (never after today).
        let late_by = 1 + rng.below(90);
        let (end, last) = match self.behaviour {
            Behaviour::Late if due < today => {
                let last = due
                    .checked_add_days(Days::new(late_by))
                    .unwrap_or(today)
                    .min(today);
                (last, Some(last))
            }
            Behaviour::OnTime | Behaviour::Late => (due.min(today), None),
            _ => (today, None),
        };
        let span = (end - accepted).num_days().max(0) as u64;
        let mut offsets = [0u64; MAX_PAYMENTS as usize];
        for o in offsets.iter_mut().take(k) {
            *o = rng.below(span + 1);
        }
        offsets[..k].sort_unstable();
        if last.is_some() {
            offsets[k - 1] = span;
        }

        // The money: in full, or 10%-90% of it (at least 1 分 a payment, never all of it).
        let total = match self.behaviour {
            Behaviour::Partial => {
                let share = 10 + rng.below(81) as i64;
                (self.amount / 100 * share).clamp(k as i64, self.amount - 1)
            }
            _ => self.amount,
        };
        let mut remaining = total;
        for (j, slot) in out.iter_mut().take(k).enumerate() {
            let after = (k - 1 - j) as i64;
            let part = if after == 0 {
                remaining
            } else {
                // Around an even share: half to one and a half of it.
                let base = remaining / (after + 1);
                (base / 2 + rng.below(base as u64 + 1) as i64).clamp(1, remaining - after)
            };
            remaining -= part;
            let day = accepted
                .checked_add_days(Days::new(offsets[j]))
                .unwrap_or(accepted);
            *slot = (day, part);
        }
        k
    }
}

/// Spreads the difference between the drawn payment counts and the target over the paying
/// contracts, in order: each gets its share of the difference in proportion to what it can give
/// (down to 1 payment) or take (up to `MAX_PAYMENTS`): contract j gets the floor of the
/// difference's running share after it less the floor before it, so the shares add up to the
/// difference exactly and none exceeds its room.
struct Spread {
    up: bool,
    /// The difference to spread (never more than `capacity`).
    want: u128,
    capacity: u128,
    seen: u128,
}

impl Spread {
    fn new(target: u128, drawn: u128, room_up: u128, room_down: u128) -> Spread {
        let up = target >= drawn;
        let (want, capacity) = if up {
            (target - drawn, room_up)
        } else {
            (drawn - target, room_down)
        };
        Spread {
            up,
            want: want.min(capacity),
            capacity,
            seen: 0,
        }
    }

    /// The drawn count with the adjustment added.
    fn total(&self, drawn: u128) -> u128 {
        if self.up {
            drawn + self.want
        } else {
            drawn - self.want
        }
    }

    fn count(&mut self, c: &Contract) -> u32 {
        if !c.behaviour.pays() || self.capacity == 0 {
            return c.drawn;
        }
        let room = if self.up {
            MAX_PAYMENTS - c.drawn
        } else {
            c.drawn - 1
        };
        let before = self.want * self.seen / self.capacity;
        self.seen += u128::from(room);
        let after = self.want * self.seen / self.capacity;
        // after - before <= room: want <= capacity.
        let delta = (after - before) as u32;
        if self.up {
            c.drawn + delta
        } else {
            c.drawn - delta
        }
    }
}

fn with_path(path: &Path, e: io::Error) -> io::Error {
    io::Error::new(e.kind(), format!("无法写入 {}：{e}", path.display()))
}

fn create(path: &Path) -> io::Result<BufWriter<File>> {
    File::create(path)
        .map(|f| BufWriter::with_capacity(1 << 17, f))
        .map_err(|e| with_path(path, e))
}

/// Appends a CSV cell, quoted only when it holds a comma, a quote or a line break.
fn cell(line: &mut String, s: &str) {
    if s.contains([',', '"', '\n', '\r']) {
        line.push('"');
        for ch in s.chars() {
            if ch == '"' {
                line.push('"');
            }
            line.push(ch);
        }
        line.push('"');
    } else {
        line.push_str(s);
    }
}

fn header(line: &mut String, cells: &[&str]) {
    for (i, c) in cells.iter().enumerate() {
        if i > 0 {
            line.push(',');
        }
        cell(line, c);
    }
    line.push('\n');
}

// Writing into a String cannot fail: the results of `write!` below are ignored.
fn push_date(line: &mut String, d: NaiveDate) {
    let _ = write!(line, "{:04}-{:02}-{:02}", d.year(), d.month(), d.day());
}

fn push_yuan(line: &mut String, fen: i64) {
    let _ = write!(line, "{}.{:02}", fen / 100, fen % 100);
}

fn push_supplier(line: &mut String, s: usize) {
    let places = SUPPLIER_PLACES.len();
    let words = SUPPLIER_WORDS.len();
    line.push_str("天津");
    line.push_str(SUPPLIER_PLACES[s % places]);
    line.push_str(SUPPLIER_WORDS[(s / places) % words]);
    line.push_str(SUPPLIER_LINES[(s / (places * words)) % SUPPLIER_LINES.len()]);
    line.push_str("有限公司");
}

/// The USCC of supplier `s`: registration authority 9 (工商), type 1 (企业), Binhai's division,
/// organisation code `MG` + 6 chars.
fn supplier_uscc(s: usize) -> String {
    Uscc::from_parts('9', '1', BINHAI_DIVISION, &demo::org_body("MG", s as u64))
        .map(|u| u.as_str().to_string())
        .unwrap_or_default()
}

fn contract_line(line: &mut String, seed: u64, c: &Contract, usccs: &[String]) {
    cell(line, c.purchaser);
    let _ = write!(line, ",CG{seed}-{:08},", c.number);
    cell(line, c.title);
    let _ = write!(line, "合同（{:08}）,", c.number);
    push_supplier(line, c.supplier);
    line.push(',');
    if c.with_uscc {
        line.push_str(&usccs[c.supplier]);
    }
    line.push(',');
    line.push_str(if c.sme { "是" } else { "否" });
    line.push(',');
    push_yuan(line, c.amount);
    line.push(',');
    if let Some(d) = c.accepted_on {
        push_date(line, d);
    }
    line.push(',');
    if let Some(t) = c.term {
        line.push_str(TERMS[t]);
    }
    line.push(',');
    if let Some(r) = c.rate {
        line.push_str(r);
    }
    line.push('\n');
}

/// Writes `out/contracts.csv` and `out/payments.csv` (UTF-8 without BOM, a header row, the
/// columns of the procurement and payments imports): `contracts` contracts of the demo district's
/// units, delivered in the two years before `today`, and their payments, exactly twice as many
/// as contracts (see the module's notes), none after `today`. Streaming: memory does not grow
/// with `contracts`.
pub fn generate_commitments(
    contracts: usize,
    seed: u64,
    today: NaiveDate,
    out: &Path,
) -> io::Result<CommitmentsSummary> {
    fs::create_dir_all(out).map_err(|e| {
        io::Error::new(e.kind(), format!("无法创建输出目录 {}：{e}", out.display()))
    })?;
    let contracts_path = out.join("contracts.csv");
    let payments_path = out.join("payments.csv");
    let n = contracts as u64;

    // First pass: how many payments the contracts draw, and how far they can move.
    let (mut drawn, mut room_up, mut room_down) = (0u128, 0u128, 0u128);
    for i in 0..n {
        let c = Contract::new(seed, i, today);
        if c.behaviour.pays() {
            drawn += u128::from(c.drawn);
            room_up += u128::from(MAX_PAYMENTS - c.drawn);
            room_down += u128::from(c.drawn - 1);
        }
    }
    let target = u128::from(n) * u128::from(PAYMENTS_PER_CONTRACT);
    let mut spread = Spread::new(target, drawn, room_up, room_down);
    let expected = spread.total(drawn);

    let usccs: Vec<String> = (0..SUPPLIERS as usize).map(supplier_uscc).collect();
    let mut cw = create(&contracts_path)?;
    let mut pw = create(&payments_path)?;
    let mut line = String::with_capacity(512);
    let mut pay_line = String::with_capacity(512);
    header(&mut line, &CONTRACTS_HEADER);
    header(&mut pay_line, &PAYMENTS_HEADER);

    let mut slots = [(today, 0i64); MAX_PAYMENTS as usize];
    let mut payments = 0usize;
    for i in 0..n {
        let c = Contract::new(seed, i, today);
        contract_line(&mut line, seed, &c, &usccs);
        let count = spread.count(&c);
        let k = c.payments(seed, count, today, &mut slots);
        for (j, (day, fen)) in slots.iter().take(k).enumerate() {
            let _ = write!(pay_line, "CG{seed}-{:08},", c.number);
            push_date(&mut pay_line, *day);
            pay_line.push(',');
            push_yuan(&mut pay_line, *fen);
            let _ = writeln!(pay_line, ",,PZ{seed}-{:08}-{}", c.number, j + 1);
        }
        payments += k;
        // Flush the line buffers in large pieces.
        if line.len() >= 1 << 14 {
            cw.write_all(line.as_bytes())
                .map_err(|e| with_path(&contracts_path, e))?;
            line.clear();
        }
        if pay_line.len() >= 1 << 14 {
            pw.write_all(pay_line.as_bytes())
                .map_err(|e| with_path(&payments_path, e))?;
            pay_line.clear();
        }
    }
    cw.write_all(line.as_bytes())
        .and_then(|()| cw.flush())
        .map_err(|e| with_path(&contracts_path, e))?;
    pw.write_all(pay_line.as_bytes())
        .and_then(|()| pw.flush())
        .map_err(|e| with_path(&payments_path, e))?;
    debug_assert_eq!(payments as u128, expected);

    Ok(CommitmentsSummary {
        contracts,
        payments,
        contracts_path,
        payments_path,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use probity_domain::commitment::procurement::{ContractRow, PaymentRow, PaymentRule, Position};
    use probity_domain::commitment::{State, Window};
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

    fn fen(s: &str) -> i64 {
        let (w, f) = s.split_once('.').unwrap();
        assert_eq!(f.len(), 2, "{s}");
        assert!(!w.contains(','), "{s}");
        w.parse::<i64>().unwrap() * 100 + f.parse::<i64>().unwrap()
    }

    fn day(s: &str) -> NaiveDate {
        NaiveDate::parse_from_str(s, "%Y-%m-%d").unwrap()
    }

    struct Facts {
        amount: i64,
        accepted: Option<NaiveDate>,
        due: Option<NaiveDate>,
        paid: i64,
        last_paid: Option<NaiveDate>,
        payments: usize,
    }

    #[test]
    fn same_arguments_same_bytes_other_seed_other_bytes() {
        let (a, b, c) = (
            tempfile::tempdir().unwrap(),
            tempfile::tempdir().unwrap(),
            tempfile::tempdir().unwrap(),
        );
        let sa = generate_commitments(1_500, 42, today(), a.path()).unwrap();
        let sb = generate_commitments(1_500, 42, today(), b.path()).unwrap();
        let sc = generate_commitments(1_500, 43, today(), c.path()).unwrap();
        let bytes = |p: &Path| fs::read(p).unwrap();
        assert_eq!(bytes(&sa.contracts_path), bytes(&sb.contracts_path));
        assert_eq!(bytes(&sa.payments_path), bytes(&sb.payments_path));
        assert_ne!(bytes(&sa.contracts_path), bytes(&sc.contracts_path));
        assert_ne!(bytes(&sa.payments_path), bytes(&sc.payments_path));
    }

    #[test]
    fn rows_keep_the_import_rules_and_the_mix() {
        let dir = tempfile::tempdir().unwrap();
        let n = 2_000;
        let s = generate_commitments(n, 7, today(), dir.path()).unwrap();
        assert_eq!(s.contracts, n);
        assert_eq!(s.payments, 2 * n);
        assert_eq!(s.contracts_path, dir.path().join("contracts.csv"));
        assert_eq!(s.payments_path, dir.path().join("payments.csv"));

        let (header, contracts) = read_rows(&s.contracts_path);
        assert_eq!(header, CONTRACTS_HEADER);
        assert_eq!(
            fs::read_to_string(&s.contracts_path)
                .unwrap()
                .lines()
                .next(),
            Some(
                "采购单位,合同编号,合同名称,供应商,供应商统一社会信用代码,是否中小企业,\
                 合同金额（元）,交付或验收日期,付款期限（日）,约定逾期利率（日）"
            )
        );
        assert_eq!(contracts.len(), n);
        let earliest = today() - Days::new(ACCEPTED_WITHIN_DAYS);
        let mut facts: HashMap<String, Facts> = HashMap::new();
        let mut order = Vec::new();
        let (mut usccs, mut undelivered, mut smes, mut short_names) = (0, 0, 0, 0);
        let mut supplier_codes: HashMap<String, String> = HashMap::new();
        for f in &contracts {
            assert_eq!(f.len(), 10);
            let unit = demo::unit_def(&f[0])
                .unwrap_or_else(|| panic!("purchaser {} is not a demo unit", f[0]));
            if unit.short == f[0] {
                short_names += 1;
            }
            assert!(f[1].starts_with("CG7-"), "{}", f[1]);
            assert!(!f[2].is_empty() && f[2].chars().count() <= 200);
            assert!(
                f[3].starts_with("天津") && f[3].ends_with("有限公司"),
                "{}",
                f[3]
            );
            if !f[4].is_empty() {
                usccs += 1;
                let u = Uscc::parse(&f[4]).unwrap_or_else(|e| panic!("{}: {e:?}", f[4]));
                assert_eq!(u.as_str(), f[4]);
                // One supplier, one code.
                let known = supplier_codes.entry(f[3].clone()).or_insert(f[4].clone());
                assert_eq!(known, &f[4]);
            }
            match f[5].as_str() {
                "是" => smes += 1,
                "否" => {}
                other => panic!("是否中小企业 {other}"),
            }
            let amount = fen(&f[6]);
            assert!((MIN_AMOUNT..=MAX_AMOUNT).contains(&amount), "{amount}");
            let accepted = (!f[7].is_empty()).then(|| day(&f[7]));
            match accepted {
                Some(d) => assert!(d <= today() && d >= earliest, "{d}"),
                None => undelivered += 1,
            }
            let term = match f[8].as_str() {
                "" => 30,
                t => t.parse::<u64>().unwrap(),
            };
            assert!([15, 30, 45, 60].contains(&term), "{term}");
            assert!(
                ["", "0.03%", "0.04%", "0.05%"].contains(&f[9].as_str()),
                "{}",
                f[9]
            );
            order.push(f[1].clone());
            let before = facts.insert(
                f[1].clone(),
                Facts {
                    amount,
                    accepted,
                    due: accepted.map(|d| d + Days::new(term)),
                    paid: 0,
                    last_paid: None,
                    payments: 0,
                },
            );
            assert!(before.is_none(), "duplicate contract number {}", f[1]);
        }
        assert!((100..=300).contains(&usccs), "{usccs} USCCs");
        assert!(
            (20..=110).contains(&undelivered),
            "{undelivered} undelivered"
        );
        assert!((1_400..=1_800).contains(&smes), "{smes} SMEs");
        assert!(
            (400..=800).contains(&short_names),
            "{short_names} short names"
        );

        let (header, payments) = read_rows(&s.payments_path);
        assert_eq!(header, PAYMENTS_HEADER);
        assert_eq!(payments.len(), 2 * n);
        let position: HashMap<&str, usize> = order
            .iter()
            .enumerate()
            .map(|(i, no)| (no.as_str(), i))
            .collect();
        let mut vouchers = HashSet::new();
        let mut last_index = 0;
        for f in &payments {
            assert_eq!(f.len(), 5);
            let c = facts
                .get_mut(&f[0])
                .unwrap_or_else(|| panic!("payment of unknown contract {}", f[0]));
            let i = position[f[0].as_str()];
            assert!(i >= last_index, "payments in contract order");
            last_index = i;
            let paid_on = day(&f[1]);
            let accepted = c.accepted.expect("no payment before delivery");
            assert!(paid_on >= accepted && paid_on <= today(), "{paid_on}");
            assert!(
                c.last_paid.is_none_or(|d| d <= paid_on),
                "payments in date order"
            );
            let amount = fen(&f[2]);
            assert!(amount > 0);
            c.paid += amount;
            assert!(c.paid <= c.amount, "{} overpaid", f[0]);
            c.last_paid = Some(paid_on);
            c.payments += 1;
            assert!(c.payments <= MAX_PAYMENTS as usize);
            assert_eq!(f[3], "");
            assert!(
                f[4].starts_with(&format!("PZ7-{}-", &f[0][4..])),
                "{}",
                f[4]
            );
            assert!(vouchers.insert(f[4].clone()), "duplicate voucher {}", f[4]);
        }

        // The mix, among delivered contracts.
        let (mut full_on_time, mut full_late, mut partly, mut nothing) = (0, 0, 0, 0);
        for c in facts.values() {
            let Some(due) = c.due else {
                assert_eq!(c.payments, 0);
                continue;
            };
            match (c.paid, c.last_paid) {
                (0, _) => nothing += 1,
                (p, Some(last)) if p == c.amount && last <= due => full_on_time += 1,
                (p, Some(_)) if p == c.amount => full_late += 1,
                _ => partly += 1,
            }
        }
        let delivered = (n - undelivered) as f64;
        let share = |k: i32| f64::from(k) / delivered;
        assert!(
            (0.50..0.70).contains(&share(full_on_time)),
            "{full_on_time}"
        );
        assert!((0.09..0.20).contains(&share(full_late)), "{full_late}");
        assert!((0.10..0.20).contains(&share(partly)), "{partly}");
        assert!((0.06..0.14).contains(&share(nothing)), "{nothing}");
    }

    /// The domain's own rules, as the import applies them row by row, accept every row; the clock
    /// finds every state among them.
    #[test]
    fn the_domain_accepts_every_row() {
        let dir = tempfile::tempdir().unwrap();
        let s = generate_commitments(3_000, 1, today(), dir.path()).unwrap();
        let rule = PaymentRule::default();
        let mut positions: HashMap<String, Position> = HashMap::new();
        let (_, contracts) = read_rows(&s.contracts_path);
        for f in &contracts {
            let row = ContractRow {
                purchaser: f[0].clone(),
                contract_no: f[1].clone(),
                title: f[2].clone(),
                supplier: f[3].clone(),
                supplier_uscc: f[4].clone(),
                supplier_sme: f[5].clone(),
                amount: f[6].clone(),
                accepted_on: f[7].clone(),
                payment_days: f[8].clone(),
                agreed_daily_rate: f[9].clone(),
            };
            let c = row
                .validate(&rule, today())
                .unwrap_or_else(|e| panic!("{row:?}: {e:?}"));
            positions.insert(
                c.contract_no.clone(),
                Position {
                    amount: c.amount,
                    due_on: c.due_on(),
                    accepted_on: c.accepted_on,
                    agreed_rate: c.agreed_rate,
                    ..Position::default()
                },
            );
        }
        let (_, payments) = read_rows(&s.payments_path);
        assert_eq!(payments.len(), 6_000);
        for f in &payments {
            let row = PaymentRow {
                contract_no: f[0].clone(),
                paid_on: f[1].clone(),
                paid_amount: f[2].clone(),
                purchaser: f[3].clone(),
                voucher_no: f[4].clone(),
            };
            let p = row
                .validate(today())
                .unwrap_or_else(|e| panic!("{row:?}: {e:?}"));
            let pos = positions.get_mut(&p.contract_no).unwrap();
            *pos = pos.apply(&p).unwrap_or_else(|e| panic!("{row:?}: {e:?}"));
        }
        let w = Window {
            today: today(),
            warn_until: today() + Days::new(7),
            grace_days: rule.grace_days,
        };
        let states: HashSet<State> = positions
            .values()
            .map(|p| p.status(&w, &rule).state)
            .collect();
        for s in State::ALL {
            assert!(states.contains(&s), "no contract is {}", s.code());
        }
    }

    #[test]
    fn the_count_is_exact_for_any_size_that_can_take_it() {
        for (n, seed) in [(0, 1), (1, 5), (2, 1), (3, 2), (10, 3), (97, 4), (1_001, 9)] {
            let dir = tempfile::tempdir().unwrap();
            let s = generate_commitments(n, seed, today(), dir.path()).unwrap();
            let (_, contracts) = read_rows(&s.contracts_path);
            let (_, payments) = read_rows(&s.payments_path);
            assert_eq!(contracts.len(), n);
            assert_eq!(payments.len(), s.payments, "the summary tells the truth");
            // Tiny files may not hold enough paying contracts; larger ones always do.
            if n >= 10 {
                assert_eq!(s.payments, 2 * n, "{n} contracts, seed {seed}");
            } else {
                assert!(s.payments <= 4 * n);
            }
        }
    }

    #[test]
    fn zero_contracts_write_the_headers_only() {
        let dir = tempfile::tempdir().unwrap();
        let s = generate_commitments(0, 3, today(), dir.path()).unwrap();
        assert_eq!(
            fs::read_to_string(&s.contracts_path)
                .unwrap()
                .lines()
                .count(),
            1
        );
        assert_eq!(
            fs::read_to_string(&s.payments_path).unwrap(),
            "合同编号,付款日期,付款金额（元）,采购单位,付款凭证号\n"
        );
        let text = s.to_string();
        assert!(text.starts_with("采购合同：0 份 → "), "{text}");
        assert!(text.contains("\n付款记录：0 笔 → "), "{text}");
    }

    #[test]
    fn output_errors_are_chinese_messages() {
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("occupied");
        fs::write(&file, "x").unwrap();
        let e = generate_commitments(10, 1, today(), &file).unwrap_err();
        assert!(e.to_string().contains("无法创建输出目录"), "{e}");
    }

    #[test]
    fn cells_are_quoted_only_when_needed() {
        let mut s = String::new();
        cell(&mut s, "区财政局");
        s.push('|');
        cell(&mut s, "a,b");
        s.push('|');
        cell(&mut s, "say \"hi\"");
        assert_eq!(s, "区财政局|\"a,b\"|\"say \"\"hi\"\"\"");
    }

    #[test]
    fn supplier_names_and_codes_are_distinct() {
        let names: HashSet<String> = (0..SUPPLIERS as usize)
            .map(|s| {
                let mut l = String::new();
                push_supplier(&mut l, s);
                l
            })
            .collect();
        assert_eq!(names.len(), SUPPLIERS as usize);
        let codes: HashSet<String> = (0..SUPPLIERS as usize).map(supplier_uscc).collect();
        assert_eq!(codes.len(), SUPPLIERS as usize);
        assert!(codes.iter().all(|c| Uscc::parse(c).is_ok()));
    }
}
