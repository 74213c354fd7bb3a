//! The commitments registry (守信践诺): promises with their owner unit, counterparty and terms, and
//! their fulfilment entries (payments, …). A promise's row also keeps what its entries add up to
//! (`paid`, `late_fen_days`, `max_late_days`, `last_paid_on`, `entries`), written in the same
//! transaction as the entries, so that the daily clock and the lists read one row a promise.
//! Those sums are derived from audited rows and are not audited themselves; the promise's terms
//! and its link to a drafted record are.
//!
//! Where a promise stands (open, due soon, …) is never stored: the domain computes it from these
//! facts and the day (`probity_domain::commitment`), and a list filters by state with the same
//! dates (`state_sql`).

use std::collections::{HashMap, HashSet};

use chrono::NaiveDate;
use probity_domain::audit::{self, Actor, Entity};
use probity_domain::commitment::money::DailyRate;
use probity_domain::commitment::procurement::{NewContract, NewPayment, Position};
use probity_domain::commitment::{Kind, State, Window};
use probity_domain::record::FieldError;
use probity_domain::{Code, DomainError};

use crate::Store;
use crate::db::{Conn, Dialect, Row, Val, placeholders};
use crate::error::{StoreError, StoreResult};
use crate::journal::{Entry, row_digest, state_digest};
use crate::unit::Tx;

/// The audited columns of a promise, in digest order. The sums its entries add up to are not
/// among them (see the module).
pub const COMMITMENT_COLS: &[&str] = &[
    "id",
    "kind",
    "owner_id",
    "ref_no",
    "title",
    "counterparty",
    "counterparty_uscc",
    "sme",
    "amount",
    "start_on",
    "term_days",
    "due_on",
    "daily_rate",
    "record_id",
    "source",
    "created_at",
];

/// The audited columns of a fulfilment entry.
pub const ENTRY_COLS: &[&str] = &[
    "id",
    "commitment_id",
    "ref_no",
    "on_date",
    "amount",
    "note",
    "progress",
    "source",
    "created_at",
];

/// The columns a promise is read with.
const SELECT: &str = "id, kind, owner_id, ref_no, title, counterparty, counterparty_uscc, sme, \
     amount, start_on, term_days, due_on, daily_rate, record_id, source, created_at, paid, \
     late_fen_days, max_late_days, last_paid_on, entries";

/// What became of one row of an import.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RowOutcome {
    Accepted {
        id: i64,
    },
    /// A contract already there whose terms the row changed (only before any payment).
    Updated {
        id: i64,
    },
    /// The same row is already there (the id of the promise it belongs to).
    Duplicate {
        id: i64,
    },
    Rejected(Vec<FieldError>),
}

/// A procurement contract as the registry holds it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoredContract {
    pub id: i64,
    pub owner_id: i64,
    pub contract_no: String,
    pub title: String,
    pub supplier: String,
    pub supplier_uscc: Option<String>,
    pub supplier_sme: bool,
    pub amount: i64,
    pub accepted_on: Option<NaiveDate>,
    pub payment_days: u32,
    pub due_on: Option<NaiveDate>,
    pub agreed_rate: Option<DailyRate>,
    pub record_id: Option<i64>,
    pub source: String,
    pub created_at: String,
    pub paid: i64,
    pub late_fen_days: i64,
    pub max_late_days: i64,
    pub last_paid_on: Option<NaiveDate>,
    pub payments: i64,
}

impl StoredContract {
    /// The facts its state is computed from.
    pub fn position(&self) -> Position {
        Position {
            amount: self.amount,
            paid: self.paid,
            due_on: self.due_on,
            accepted_on: self.accepted_on,
            agreed_rate: self.agreed_rate,
            late_fen_days: self.late_fen_days,
            max_late_days: self.max_late_days,
        }
    }

    fn from_row(r: &Row) -> StoreResult<StoredContract> {
        let date = |c: &str| -> StoreResult<Option<NaiveDate>> {
            r.text(c)?
                .map(|t| {
                    t.parse()
                        .map_err(|_| StoreError::Internal(format!("commitments.{c}: {t}")))
                })
                .transpose()
        };
        Ok(StoredContract {
            id: r.need_int("id")?,
            owner_id: r.need_int("owner_id")?,
            contract_no: r.need_text("ref_no")?.to_string(),
            title: r.need_text("title")?.to_string(),
            supplier: r.need_text("counterparty")?.to_string(),
            supplier_uscc: r.text("counterparty_uscc")?.map(str::to_string),
            supplier_sme: r.need_int("sme")? != 0,
            amount: r.need_int("amount")?,
            accepted_on: date("start_on")?,
            payment_days: u32::try_from(r.need_int("term_days")?).unwrap_or(0),
            due_on: date("due_on")?,
            agreed_rate: r
                .int("daily_rate")?
                .and_then(|v| u32::try_from(v).ok())
                .map(DailyRate),
            record_id: r.int("record_id")?,
            source: r.need_text("source")?.to_string(),
            created_at: r.need_text("created_at")?.to_string(),
            paid: r.need_int("paid")?,
            late_fen_days: r.need_int("late_fen_days")?,
            max_late_days: r.need_int("max_late_days")?,
            last_paid_on: date("last_paid_on")?,
            payments: r.need_int("entries")?,
        })
    }
}

/// One payment of a contract, as kept.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoredPayment {
    pub id: i64,
    pub commitment_id: i64,
    pub voucher_no: Option<String>,
    pub paid_on: NaiveDate,
    pub amount: i64,
    pub source: String,
    pub created_at: String,
}

/// Which promises a list shows.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CommitmentFilter {
    pub kind: Kind,
    /// One owner unit's promises only.
    pub owner: Option<i64>,
    /// Where they stand on `window.today`.
    pub state: Option<State>,
    /// Words in the number, the title or the counterparty.
    pub q: Option<String>,
    pub window: Window,
}

/// SQL parameters, numbered as they are pushed.
struct Params(Vec<Val>);

impl Params {
    fn push(&mut self, v: Val) -> String {
        self.0.push(v);
        format!("${}", self.0.len())
    }
}

/// The condition for a state on the window's days: the store's side of
/// `procurement::Position::status` (the two are checked against each other in the tests).
fn state_sql(state: State, w: &Window, p: &mut Params) -> String {
    match state {
        State::Open => {
            let warn = p.push(Val::from(w.warn_until.to_string()));
            format!("(due_on IS NULL OR (paid < amount AND due_on > {warn}))")
        }
        State::DueSoon => {
            let today = p.push(Val::from(w.today.to_string()));
            let warn = p.push(Val::from(w.warn_until.to_string()));
            format!("(paid < amount AND due_on >= {today} AND due_on <= {warn})")
        }
        State::Overdue => {
            let today = p.push(Val::from(w.today.to_string()));
            let cutoff = p.push(Val::from(w.grace_cutoff().to_string()));
            format!("(paid < amount AND due_on < {today} AND due_on >= {cutoff})")
        }
        State::Broken => {
            let cutoff = p.push(Val::from(w.grace_cutoff().to_string()));
            format!(
                "(due_on IS NOT NULL AND ((paid < amount AND due_on < {cutoff}) \
                 OR (paid >= amount AND max_late_days > 0)))"
            )
        }
        State::Kept => "(due_on IS NOT NULL AND paid >= amount AND max_late_days = 0)".into(),
    }
}

fn where_sql(f: &CommitmentFilter, p: &mut Params) -> String {
    let kind = p.push(Val::from(f.kind.code()));
    let mut sql = format!("WHERE kind = {kind}");
    if let Some(owner) = f.owner {
        let o = p.push(Val::Int(owner));
        sql.push_str(&format!(" AND owner_id = {o}"));
    }
    if let Some(s) = f.state {
        sql.push_str(" AND ");
        sql.push_str(&state_sql(s, &f.window, p));
    }
    if let Some(q) = f.q.as_deref().map(str::trim).filter(|q| !q.is_empty()) {
        let like = p.push(Val::from(format!("%{}%", escape_like(q))));
        sql.push_str(&format!(
            " AND (ref_no LIKE {like} ESCAPE '\\' OR title LIKE {like} ESCAPE '\\' \
             OR counterparty LIKE {like} ESCAPE '\\')"
        ));
    }
    sql
}

fn escape_like(q: &str) -> String {
    let mut s = String::with_capacity(q.len());
    for c in q.chars() {
        if matches!(c, '%' | '_' | '\\') {
            s.push('\\');
        }
        s.push(c);
    }
    s
}

impl Store {
    /// One page of the promises the filter selects, in id order.
    pub fn contracts(
        &self,
        f: &CommitmentFilter,
        offset: u64,
        limit: u32,
    ) -> StoreResult<Vec<StoredContract>> {
        let mut p = Params(Vec::new());
        let w = where_sql(f, &mut p);
        let lim = p.push(Val::Int(i64::from(limit)));
        let off = p.push(Val::Int(offset as i64));
        let mut c = self.conn()?;
        let rows = c.query(
            &format!("SELECT {SELECT} FROM commitments {w} ORDER BY id LIMIT {lim} OFFSET {off}"),
            &p.0,
        )?;
        rows.iter().map(StoredContract::from_row).collect()
    }

    /// How many promises the filter selects.
    pub fn contract_count(&self, f: &CommitmentFilter) -> StoreResult<i64> {
        let mut p = Params(Vec::new());
        let w = where_sql(f, &mut p);
        let mut c = self.conn()?;
        Ok(
            c.query_int(&format!("SELECT COUNT(*) AS n FROM commitments {w}"), &p.0)?
                .unwrap_or(0),
        )
    }

    /// Every promise the filter selects, in id order, streamed through `f`.
    pub fn visit_contracts(
        &self,
        f: &CommitmentFilter,
        mut each: impl FnMut(StoredContract) -> StoreResult<()>,
    ) -> StoreResult<()> {
        let mut p = Params(Vec::new());
        let w = where_sql(f, &mut p);
        let mut c = self.conn()?;
        c.for_each(
            &format!("SELECT {SELECT} FROM commitments {w} ORDER BY id"),
            &p.0,
            |r| each(StoredContract::from_row(&r)?),
        )
    }

    /// How many promises and fulfilment entries the registry holds, of every kind.
    pub fn commitment_counts(&self) -> StoreResult<(i64, i64)> {
        let mut c = self.conn()?;
        let promises = c
            .query_int("SELECT COUNT(*) AS n FROM commitments", &[])?
            .unwrap_or(0);
        let entries = c
            .query_int("SELECT COUNT(*) AS n FROM commitment_entries", &[])?
            .unwrap_or(0);
        Ok((promises, entries))
    }

    /// Each purchaser's procurement contracts overdue and unpaid at the end of `day` (the yearly
    /// disclosure asks for 31 December): due before it, with money paid on or before it short of
    /// the amount. Per purchaser: how many contracts, and the money unpaid, in 分; by purchaser id.
    pub fn overdue_unpaid_at(&self, day: NaiveDate) -> StoreResult<Vec<(i64, i64, i64)>> {
        let mut c = self.conn()?;
        let rows = c.query(
            "SELECT c.owner_id AS owner_id, COUNT(*) AS contracts, \
                    CAST(SUM(c.amount - COALESCE(p.paid, 0)) AS BIGINT) AS unpaid \
             FROM commitments c \
             LEFT JOIN (SELECT commitment_id, CAST(SUM(amount) AS BIGINT) AS paid FROM commitment_entries \
                        WHERE on_date <= $2 GROUP BY commitment_id) p ON p.commitment_id = c.id \
             WHERE c.kind = $1 AND c.due_on IS NOT NULL AND c.due_on < $2 \
               AND c.amount > COALESCE(p.paid, 0) \
             GROUP BY c.owner_id ORDER BY c.owner_id",
            &[
                Val::from(Kind::Procurement.code()),
                Val::from(day.to_string()),
            ],
        )?;
        rows.iter()
            .map(|r| {
                Ok((
                    r.need_int("owner_id")?,
                    r.need_int("contracts")?,
                    r.int("unpaid")?.unwrap_or(0),
                ))
            })
            .collect()
    }

    /// One contract.
    pub fn contract(&self, id: i64) -> StoreResult<StoredContract> {
        let mut c = self.conn()?;
        let r = c
            .query_one(
                &format!("SELECT {SELECT} FROM commitments WHERE id = $1"),
                &[Val::Int(id)],
            )?
            .ok_or_else(|| StoreError::NotFound(format!("承诺 {id}")))?;
        StoredContract::from_row(&r)
    }

    /// A contract's payments, oldest first.
    pub fn payments_of(&self, commitment_id: i64) -> StoreResult<Vec<StoredPayment>> {
        let mut c = self.conn()?;
        let rows = c.query(
            "SELECT id, commitment_id, ref_no, on_date, amount, source, created_at \
             FROM commitment_entries WHERE commitment_id = $1 ORDER BY on_date, id",
            &[Val::Int(commitment_id)],
        )?;
        rows.iter()
            .map(|r| {
                Ok(StoredPayment {
                    id: r.need_int("id")?,
                    commitment_id: r.need_int("commitment_id")?,
                    voucher_no: r.text("ref_no")?.map(str::to_string),
                    paid_on: r.date("on_date")?,
                    amount: r.int("amount")?.unwrap_or(0),
                    source: r.need_text("source")?.to_string(),
                    created_at: r.need_text("created_at")?.to_string(),
                })
            })
            .collect()
    }

    /// The ids of the contracts whose arrears have outlasted the grace on the window's day and
    /// that have no drafted record yet: still unpaid and due before the grace's cutoff, or paid
    /// more than `grace_days` late. In id order, from one pass over the registry (ids only, so a
    /// backlog of any size is held in a few bytes a contract); read them with `contracts_by_id`.
    pub fn arrears_without_record(&self, w: &Window) -> StoreResult<Vec<i64>> {
        let mut c = self.conn()?;
        let mut ids = Vec::new();
        c.for_each(
            "SELECT id FROM commitments WHERE kind = $1 AND record_id IS NULL \
             AND due_on IS NOT NULL AND ((paid < amount AND due_on < $2) OR max_late_days > $3) \
             ORDER BY id",
            &[
                Val::from(Kind::Procurement.code()),
                Val::from(w.grace_cutoff().to_string()),
                Val::Int(i64::from(w.grace_days)),
            ],
            |r| {
                ids.push(r.need_int("id")?);
                Ok(())
            },
        )?;
        Ok(ids)
    }

    /// The contracts with these ids, in id order (at most a few hundred at a time).
    pub fn contracts_by_id(&self, ids: &[i64]) -> StoreResult<Vec<StoredContract>> {
        let mut c = self.conn()?;
        let mut out = Vec::with_capacity(ids.len());
        for chunk in ids.chunks(500) {
            let sql = format!(
                "SELECT {SELECT} FROM commitments WHERE id IN ({}) ORDER BY id",
                placeholders(1, chunk.len())
            );
            let params: Vec<Val> = chunk.iter().map(|id| Val::Int(*id)).collect();
            for r in c.query(&sql, &params)? {
                out.push(StoredContract::from_row(&r)?);
            }
        }
        Ok(out)
    }

    /// The contract numbers given, with every contract that has one: (id, owner), for finding
    /// which purchaser's contract a payment row means.
    fn contracts_numbered(c: &mut Conn, numbers: &[&str]) -> StoreResult<Vec<StoredContract>> {
        let mut found = Vec::new();
        for chunk in numbers.chunks(500) {
            let sql = format!(
                "SELECT {SELECT} FROM commitments WHERE kind = $1 AND ref_no IN ({})",
                placeholders(2, chunk.len())
            );
            let mut params = vec![Val::from(Kind::Procurement.code())];
            params.extend(chunk.iter().map(|d| Val::from(*d)));
            for r in c.query(&sql, &params)? {
                found.push(StoredContract::from_row(&r)?);
            }
        }
        Ok(found)
    }

    /// Imports one batch of contracts as one unit of work: each row is new (accepted), the same
    /// as what is held (duplicate), changed before any payment (updated), or refused (its terms
    /// changed after a payment; a number twice in the batch with different terms).
    pub fn import_contracts(
        &self,
        actor: &str,
        source: &str,
        rows: Vec<(usize, i64, NewContract)>,
    ) -> StoreResult<Vec<(usize, RowOutcome)>> {
        self.write(|tx| tx.commitments().import_contracts(actor, source, rows))
    }

    /// Imports one batch of payments as one unit of work. Each payment is checked against its
    /// contract as it stands after the rows before it (`Position::apply`); the contract's sums
    /// are written with the payments.
    pub fn import_payments(
        &self,
        actor: &str,
        source: &str,
        rows: Vec<(usize, Option<i64>, NewPayment)>,
    ) -> StoreResult<Vec<(usize, RowOutcome)>> {
        self.write(|tx| tx.commitments().import_payments(actor, source, rows))
    }
}

/// The promises, on one unit of work.
pub struct Commitments<'t, 's> {
    pub(crate) tx: &'t mut Tx<'s>,
}

/// A contract's terms as the row holds them, in `COMMITMENT_COLS` order from `kind` to
/// `daily_rate`: what decides whether a row sent again is the same.
fn contract_terms(owner: i64, c: &NewContract) -> Vec<Val> {
    vec![
        Val::from(Kind::Procurement.code()),
        Val::Int(owner),
        Val::from(c.contract_no.as_str()),
        Val::from(c.title.as_str()),
        Val::from(c.supplier.as_str()),
        Val::from(c.supplier_uscc.clone()),
        Val::Int(i64::from(c.supplier_sme)),
        Val::Int(c.amount),
        Val::from(c.accepted_on.map(|d| d.to_string())),
        Val::Int(i64::from(c.payment_days)),
        Val::from(c.due_on().map(|d| d.to_string())),
        Val::from(c.agreed_rate.map(|r| i64::from(r.0))),
    ]
}

fn stored_terms(s: &StoredContract) -> Vec<Val> {
    vec![
        Val::from(Kind::Procurement.code()),
        Val::Int(s.owner_id),
        Val::from(s.contract_no.as_str()),
        Val::from(s.title.as_str()),
        Val::from(s.supplier.as_str()),
        Val::from(s.supplier_uscc.clone()),
        Val::Int(i64::from(s.supplier_sme)),
        Val::Int(s.amount),
        Val::from(s.accepted_on.map(|d| d.to_string())),
        Val::Int(i64::from(s.payment_days)),
        Val::from(s.due_on.map(|d| d.to_string())),
        Val::from(s.agreed_rate.map(|r| i64::from(r.0))),
    ]
}

fn refused(column: &'static str, code: Code, message: String) -> RowOutcome {
    RowOutcome::Rejected(vec![FieldError {
        column,
        error: DomainError::new(code, message),
    }])
}

/// A contract's sums after the batch's payments.
struct Sums {
    position: Position,
    last_paid_on: Option<NaiveDate>,
    payments: i64,
}

impl Commitments<'_, '_> {
    fn import_contracts(
        &mut self,
        actor: &str,
        source: &str,
        rows: Vec<(usize, i64, NewContract)>,
    ) -> StoreResult<Vec<(usize, RowOutcome)>> {
        let now = self.tx.at().to_string();
        let who = Actor::parse(actor);
        let numbers: Vec<&str> = {
            let mut seen = HashSet::new();
            rows.iter()
                .map(|(_, _, c)| c.contract_no.as_str())
                .filter(|n| seen.insert(*n))
                .collect()
        };
        let held: HashMap<(i64, String), StoredContract> =
            Store::contracts_numbered(self.tx.conn(), &numbers)?
                .into_iter()
                .map(|s| ((s.owner_id, s.contract_no.clone()), s))
                .collect();
        let mut out = Vec::with_capacity(rows.len());
        // The contracts new in this batch, by key: their terms and the row that brought them.
        let mut fresh: Vec<(usize, i64, Vec<Val>)> = Vec::new();
        let mut fresh_at: HashMap<(i64, String), usize> = HashMap::new();
        let mut changed: Vec<(usize, i64, Vec<Val>)> = Vec::new();
        for (row, owner, c) in rows {
            let key = (owner, c.contract_no.clone());
            let terms = contract_terms(owner, &c);
            if let Some(s) = held.get(&key) {
                if stored_terms(s) == terms {
                    out.push((row, RowOutcome::Duplicate { id: s.id }));
                } else if s.payments > 0 {
                    out.push((
                        row,
                        refused(
                            "contract_no",
                            Code::ContractHasPayments,
                            format!(
                                "合同 {} 已登记付款，内容不能再更改；如登记有误，请联系区财政局",
                                c.contract_no
                            ),
                        ),
                    ));
                } else if changed.iter().any(|(_, id, _)| *id == s.id) {
                    out.push((row, same_batch_conflict(&c.contract_no)));
                } else {
                    changed.push((row, s.id, terms));
                }
                continue;
            }
            match fresh_at.get(&key) {
                Some(&i) if fresh[i].2 == terms => {
                    // Its id is known once the batch's ids are drawn: fixed up below.
                    out.push((
                        row,
                        RowOutcome::Duplicate {
                            id: -(i as i64) - 1,
                        },
                    ));
                }
                Some(_) => out.push((row, same_batch_conflict(&c.contract_no))),
                None => {
                    fresh_at.insert(key, fresh.len());
                    fresh.push((row, owner, terms));
                }
            }
        }
        let first = if fresh.is_empty() {
            0
        } else {
            self.tx.conn().next_ids("commitments", fresh.len() as i64)?
        };
        let mut new_rows = Vec::with_capacity(fresh.len());
        for (i, (row, _, terms)) in fresh.into_iter().enumerate() {
            let id = first + i as i64;
            let mut vals = Vec::with_capacity(COMMITMENT_COLS.len());
            vals.push(Val::Int(id));
            vals.extend(terms);
            vals.extend([Val::Null, Val::from(source), Val::from(now.as_str())]);
            self.tx.append(Entry {
                actor: who.clone(),
                action: audit::Action::Create,
                entity: Entity::Commitment,
                entity_id: id.to_string(),
                detail: format!(r#"{{"row":{row}}}"#),
                state_digest: state_digest(&vals),
            });
            out.push((row, RowOutcome::Accepted { id }));
            new_rows.push(vals);
        }
        for o in out.iter_mut() {
            if let RowOutcome::Duplicate { id } = &mut o.1
                && *id < 0
            {
                *id = first + (-*id - 1);
            }
        }
        self.tx
            .conn()
            .insert_rows("commitments", COMMITMENT_COLS, new_rows)?;
        for (row, id, terms) in changed {
            let mut params = vec![Val::Int(id)];
            params.extend(terms.into_iter().skip(3));
            self.tx.conn().exec(
                "UPDATE commitments SET title = $2, counterparty = $3, counterparty_uscc = $4, \
                 sme = $5, amount = $6, start_on = $7, term_days = $8, due_on = $9, \
                 daily_rate = $10 WHERE id = $1",
                &params,
            )?;
            let digest = row_digest(self.tx.conn(), COMMITMENT_COLS, "commitments", id)?;
            self.tx.append(Entry {
                actor: who.clone(),
                action: audit::Action::Update,
                entity: Entity::Commitment,
                entity_id: id.to_string(),
                detail: format!(r#"{{"row":{row}}}"#),
                state_digest: digest,
            });
            out.push((row, RowOutcome::Updated { id }));
        }
        out.sort_by_key(|(row, _)| *row);
        Ok(out)
    }

    fn import_payments(
        &mut self,
        actor: &str,
        source: &str,
        rows: Vec<(usize, Option<i64>, NewPayment)>,
    ) -> StoreResult<Vec<(usize, RowOutcome)>> {
        let now = self.tx.at().to_string();
        let who = Actor::parse(actor);
        let numbers: Vec<&str> = {
            let mut seen = HashSet::new();
            rows.iter()
                .map(|(_, _, p)| p.contract_no.as_str())
                .filter(|n| seen.insert(*n))
                .collect()
        };
        let contracts = Store::contracts_numbered(self.tx.conn(), &numbers)?;
        let mut by_number: HashMap<String, Vec<usize>> = HashMap::new();
        for (i, c) in contracts.iter().enumerate() {
            by_number.entry(c.contract_no.clone()).or_default().push(i);
        }
        // The payments already held for these contracts: by voucher, and by day and amount.
        let ids: Vec<i64> = contracts.iter().map(|c| c.id).collect();
        let mut by_voucher: HashSet<(i64, String)> = HashSet::new();
        let mut by_day: HashSet<(i64, NaiveDate, i64)> = HashSet::new();
        for chunk in ids.chunks(500) {
            let sql = format!(
                "SELECT commitment_id, ref_no, on_date, amount FROM commitment_entries \
                 WHERE commitment_id IN ({})",
                placeholders(1, chunk.len())
            );
            let params: Vec<Val> = chunk.iter().map(|id| Val::Int(*id)).collect();
            for r in self.tx.conn().query(&sql, &params)? {
                let id = r.need_int("commitment_id")?;
                match r.text("ref_no")? {
                    Some(v) => {
                        by_voucher.insert((id, v.to_string()));
                    }
                    None => {
                        by_day.insert((id, r.date("on_date")?, r.int("amount")?.unwrap_or(0)));
                    }
                }
            }
        }
        let mut sums: HashMap<usize, Sums> = HashMap::new();
        let mut out = Vec::with_capacity(rows.len());
        let mut entries: Vec<(usize, usize, NewPayment)> = Vec::new();
        for (row, owner, p) in rows {
            let candidates: Vec<usize> = by_number
                .get(&p.contract_no)
                .map(|v| {
                    v.iter()
                        .copied()
                        .filter(|&i| owner.is_none_or(|o| contracts[i].owner_id == o))
                        .collect()
                })
                .unwrap_or_default();
            let i = match candidates.as_slice() {
                [i] => *i,
                [] => {
                    out.push((
                        row,
                        refused(
                            "contract_no",
                            Code::ContractUnknown,
                            match owner {
                                Some(_) => format!("该采购单位没有编号为 {} 的合同", p.contract_no),
                                None => {
                                    format!("没有编号为 {} 的合同；请先导入合同", p.contract_no)
                                }
                            },
                        ),
                    ));
                    continue;
                }
                _ => {
                    out.push((
                        row,
                        refused(
                            "contract_no",
                            Code::ContractAmbiguous,
                            format!(
                                "合同编号 {} 对应多个采购单位的合同，请填写“采购单位”列",
                                p.contract_no
                            ),
                        ),
                    ));
                    continue;
                }
            };
            let c = &contracts[i];
            let again = match &p.voucher_no {
                Some(v) => !by_voucher.insert((c.id, v.clone())),
                None => !by_day.insert((c.id, p.paid_on, p.amount)),
            };
            if again {
                out.push((row, RowOutcome::Duplicate { id: c.id }));
                continue;
            }
            let s = sums.entry(i).or_insert_with(|| Sums {
                position: c.position(),
                last_paid_on: c.last_paid_on,
                payments: c.payments,
            });
            match s.position.apply(&p) {
                Ok(next) => {
                    s.position = next;
                    s.last_paid_on = Some(s.last_paid_on.map_or(p.paid_on, |d| d.max(p.paid_on)));
                    s.payments += 1;
                    entries.push((row, i, p));
                }
                Err(e) => {
                    // Let the same payment be sent again once put right.
                    match &p.voucher_no {
                        Some(v) => by_voucher.remove(&(c.id, v.clone())),
                        None => by_day.remove(&(c.id, p.paid_on, p.amount)),
                    };
                    out.push((row, RowOutcome::Rejected(vec![e])));
                }
            }
        }
        let first = if entries.is_empty() {
            0
        } else {
            self.tx
                .conn()
                .next_ids("commitment_entries", entries.len() as i64)?
        };
        let mut new_rows = Vec::with_capacity(entries.len());
        for (k, (row, i, p)) in entries.into_iter().enumerate() {
            let id = first + k as i64;
            let vals = vec![
                Val::Int(id),
                Val::Int(contracts[i].id),
                Val::from(p.voucher_no),
                Val::from(p.paid_on.to_string()),
                Val::Int(p.amount),
                Val::Null,
                Val::Null,
                Val::from(source),
                Val::from(now.as_str()),
            ];
            self.tx.append(Entry {
                actor: who.clone(),
                action: audit::Action::Create,
                entity: Entity::CommitmentEntry,
                entity_id: id.to_string(),
                detail: format!(r#"{{"row":{row}}}"#),
                state_digest: state_digest(&vals),
            });
            out.push((row, RowOutcome::Accepted { id }));
            new_rows.push(vals);
        }
        self.tx
            .conn()
            .insert_rows("commitment_entries", ENTRY_COLS, new_rows)?;
        let mut touched: Vec<(i64, Sums)> = sums
            .into_iter()
            .map(|(i, s)| (contracts[i].id, s))
            .filter(|(_, s)| s.payments > 0)
            .collect();
        touched.sort_by_key(|(id, _)| *id);
        write_sums(self.tx.conn(), &touched)?;
        out.sort_by_key(|(row, _)| *row);
        Ok(out)
    }

    /// Links a contract to the record drafted about its arrears, journaled. A contract already
    /// linked (another node's clock was first) is left as it is; returns whether it linked.
    pub fn link_record(&mut self, id: i64, record_id: i64, actor: &str) -> StoreResult<bool> {
        let n = self.tx.conn().exec(
            "UPDATE commitments SET record_id = $2 WHERE id = $1 AND record_id IS NULL",
            &[Val::Int(id), Val::Int(record_id)],
        )?;
        if n == 0 {
            return Ok(false);
        }
        let digest = row_digest(self.tx.conn(), COMMITMENT_COLS, "commitments", id)?;
        self.tx.append(Entry {
            actor: Actor::parse(actor),
            action: audit::Action::Update,
            entity: Entity::Commitment,
            entity_id: id.to_string(),
            detail: format!(r#"{{"record":{record_id}}}"#),
            state_digest: digest,
        });
        Ok(true)
    }
}

fn same_batch_conflict(no: &str) -> RowOutcome {
    refused(
        "contract_no",
        Code::DuplicateConflict,
        format!("合同编号 {no} 在同一批数据中出现两次且内容不同"),
    )
}

/// Writes the contracts' sums: one statement a contract on SQLite (a cached statement, no round
/// trip), a few hundred a statement on PostgreSQL.
fn write_sums(c: &mut Conn, touched: &[(i64, Sums)]) -> StoreResult<()> {
    let vals = |id: i64, s: &Sums| {
        [
            Val::Int(id),
            Val::Int(s.position.paid),
            Val::Int(s.position.late_fen_days),
            Val::Int(s.position.max_late_days),
            Val::from(s.last_paid_on.map(|d| d.to_string())),
            Val::Int(s.payments),
        ]
    };
    match c.dialect() {
        Dialect::Sqlite => {
            for (id, s) in touched {
                c.exec(
                    "UPDATE commitments SET paid = $2, late_fen_days = $3, max_late_days = $4, \
                     last_paid_on = $5, entries = $6 WHERE id = $1",
                    &vals(*id, s),
                )?;
            }
        }
        Dialect::Postgres => {
            for chunk in touched.chunks(1000) {
                let mut sql = String::from(
                    "UPDATE commitments AS c SET paid = v.paid, late_fen_days = v.lfd, \
                     max_late_days = v.mld, last_paid_on = v.lpo, entries = v.n FROM (VALUES ",
                );
                let mut params = Vec::with_capacity(chunk.len() * 6);
                for (k, (id, s)) in chunk.iter().enumerate() {
                    let b = k * 6;
                    sql.push_str(&format!(
                        "{}(${}::bigint, ${}::bigint, ${}::bigint, ${}::bigint, ${}::text, ${}::bigint)",
                        if k == 0 { "" } else { ", " },
                        b + 1,
                        b + 2,
                        b + 3,
                        b + 4,
                        b + 5,
                        b + 6
                    ));
                    params.extend(vals(*id, s));
                }
                sql.push_str(") AS v(id, paid, lfd, mld, lpo, n) WHERE c.id = v.id");
                c.exec(&sql, &params)?;
            }
        }
    }
    Ok(())
}
