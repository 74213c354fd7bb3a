//! Subjects on the roster: import, lookup, restructuring (successor links).

use std::collections::{HashMap, HashSet};

use probity_domain::Code;
use probity_domain::audit::{Action, Actor, Entity};
use probity_domain::subject::{NewSubject, SubjectKey, SubjectKind};

use crate::Store;
use crate::db::{Conn, Row, Val};
use crate::error::{StoreError, StoreResult};
use crate::journal::{Appender, Entry, SUBJECT_COLS, state_digest};

/// A subject as the store keeps it. The ID number is never here in the clear: only its masked form.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Subject {
    pub id: i64,
    pub kind: SubjectKind,
    pub name: String,
    pub short_name: Option<String>,
    pub uscc: Option<String>,
    pub uscc_override: bool,
    pub id_masked: Option<String>,
    pub parent_id: Option<i64>,
    pub unit_id: Option<i64>,
    pub position: Option<String>,
    pub successor_id: Option<i64>,
    pub created_at: String,
    pub updated_at: String,
}

/// The full stored row, including the encrypted ID number and its lookup hash.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct SubjectRow {
    pub s: Subject,
    pub id_hash: Option<Vec<u8>>,
    pub id_cipher: Option<Vec<u8>>,
}

impl SubjectRow {
    pub fn to_vals(&self) -> Vec<Val> {
        let s = &self.s;
        vec![
            Val::Int(s.id),
            Val::from(s.kind.code()),
            Val::from(s.name.clone()),
            Val::from(s.short_name.clone()),
            Val::from(s.uscc.clone()),
            Val::Int(i64::from(s.uscc_override)),
            Val::from(self.id_hash.clone()),
            Val::from(self.id_cipher.clone()),
            Val::from(s.id_masked.clone()),
            Val::from(s.parent_id),
            Val::from(s.unit_id),
            Val::from(s.position.clone()),
            Val::from(s.successor_id),
            Val::from(s.created_at.clone()),
            Val::from(s.updated_at.clone()),
        ]
    }

    pub fn from_row(r: &Row) -> StoreResult<SubjectRow> {
        let bad = |f: &str| StoreError::Internal(format!("subjects.{f}"));
        let text = |col: &str| r.text(col).map(|t| t.map(str::to_string));
        let kind = SubjectKind::parse(r.need_text("kind")?).map_err(|_| bad("kind"))?;
        Ok(SubjectRow {
            s: Subject {
                id: r.need_int("id")?,
                kind,
                name: r.need_text("name")?.to_string(),
                short_name: text("short_name")?,
                uscc: text("uscc")?,
                uscc_override: r.int("uscc_override")?.unwrap_or(0) != 0,
                id_masked: text("id_masked")?,
                parent_id: r.int("parent_id")?,
                unit_id: r.int("unit_id")?,
                position: text("position")?,
                successor_id: r.int("successor_id")?,
                created_at: r.need_text("created_at")?.to_string(),
                updated_at: r.need_text("updated_at")?.to_string(),
            },
            id_hash: r.blob("id_hash")?.map(<[u8]>::to_vec),
            id_cipher: r.blob("id_cipher")?.map(<[u8]>::to_vec),
        })
    }
}

/// What a roster import did.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct RosterReport {
    pub created: u64,
    pub updated: u64,
    pub unchanged: u64,
    /// (row number, column key, error)
    pub rejected: Vec<(usize, &'static str, probity_domain::DomainError)>,
}

pub(crate) fn select_sql(filter: &str) -> String {
    format!("SELECT {} FROM subjects {filter}", SUBJECT_COLS.join(", "))
}

pub(crate) fn load_all(conn: &mut Conn) -> StoreResult<Vec<SubjectRow>> {
    let mut out = Vec::new();
    conn.for_each(&select_sql("ORDER BY id"), &[], |r| {
        out.push(SubjectRow::from_row(&r)?);
        Ok(())
    })?;
    Ok(out)
}

pub(crate) fn write_subject(
    conn: &mut Conn,
    journal: &mut Appender,
    row: &SubjectRow,
    is_new: bool,
    actor: &str,
    action: Action,
    detail: &str,
) -> StoreResult<()> {
    let vals = row.to_vals();
    let digest = state_digest(&vals);
    if is_new {
        conn.insert_many("subjects", SUBJECT_COLS, vec![vals], "")?;
    } else {
        let sets: Vec<String> = SUBJECT_COLS
            .iter()
            .enumerate()
            .skip(1)
            .map(|(i, c)| format!("{c} = ${}", i + 1))
            .collect();
        conn.exec(
            &format!("UPDATE subjects SET {} WHERE id = $1", sets.join(", ")),
            &vals,
        )?;
    }
    journal.append(Entry {
        actor: Actor::parse(actor),
        action,
        entity: Entity::Subject,
        entity_id: row.s.id.to_string(),
        detail: detail.to_string(),
        state_digest: digest,
    });
    Ok(())
}

/// Index of the roster by every name a file may use for a unit: USCC, full name, short name.
struct UnitIndex {
    by_ref: HashMap<String, Vec<i64>>,
}

impl UnitIndex {
    fn new() -> Self {
        UnitIndex {
            by_ref: HashMap::new(),
        }
    }
    fn add(&mut self, s: &Subject) {
        if !s.kind.is_unit() {
            return;
        }
        for r in [Some(&s.name), s.short_name.as_ref(), s.uscc.as_ref()]
            .into_iter()
            .flatten()
        {
            let ids = self.by_ref.entry(r.clone()).or_default();
            if !ids.contains(&s.id) {
                ids.push(s.id);
            }
        }
    }
    fn resolve(&self, r: &str) -> Result<Option<i64>, probity_domain::DomainError> {
        match self.by_ref.get(r.trim()).map(Vec::as_slice) {
            None | Some([]) => Ok(None),
            Some([one]) => Ok(Some(*one)),
            Some(_) => Err(probity_domain::DomainError::new(
                Code::ParentNotFound,
                format!("单位“{r}”对应多个主体，请改用统一社会信用代码"),
            )),
        }
    }
}

impl Store {
    /// Loads a validated roster in one transaction. Units may name parents that come later in
    /// the same file; civil servants name their unit. Existing subjects (same USCC or ID number)
    /// are updated when something changed, and left alone otherwise.
    pub fn import_roster(
        &self,
        rows: Vec<(usize, NewSubject)>,
        actor: &str,
    ) -> StoreResult<RosterReport> {
        let mut conn = self.conn()?;
        let keys = self.keys.clone();
        let now = self.now_text();
        conn.write(|c| {
            let mut report = RosterReport::default();
            let existing = load_all(c)?;
            let mut index = UnitIndex::new();
            let mut by_uscc: HashMap<String, SubjectRow> = HashMap::new();
            let mut by_hash: HashMap<Vec<u8>, SubjectRow> = HashMap::new();
            for r in existing {
                index.add(&r.s);
                if let Some(u) = &r.s.uscc {
                    by_uscc.insert(u.clone(), r.clone());
                }
                if let Some(h) = &r.id_hash {
                    by_hash.insert(h.clone(), r);
                }
            }
            let mut journal = Appender::open(c, now.clone())?;
            let (units, people): (Vec<_>, Vec<_>) =
                rows.into_iter().partition(|(_, s)| s.kind.is_unit());

            // Units: resolve parents in passes, so that order in the file does not matter.
            let mut seen_uscc: HashMap<String, usize> = HashMap::new();
            let mut pending = Vec::new();
            for (row, s) in units {
                let SubjectKey::Uscc(u) = &s.key else {
                    continue;
                };
                if let Some(first) = seen_uscc.insert(u.as_str().to_string(), row) {
                    report.rejected.push((
                        row,
                        "uscc",
                        probity_domain::DomainError::new(
                            Code::SubjectExists,
                            format!("统一社会信用代码 {} 在文件第 {first} 行已出现", u.as_str()),
                        ),
                    ));
                    continue;
                }
                pending.push((row, s));
            }
            // Register every unit of the file under its names first, so that a parent named later
            // in the file resolves; the ids are fixed now.
            let mut planned: Vec<(usize, NewSubject, i64, bool)> = Vec::new();
            for (row, s) in pending {
                let SubjectKey::Uscc(u) = &s.key else {
                    continue;
                };
                let (id, is_new) = match by_uscc.get(u.as_str()) {
                    Some(e) => (e.s.id, false),
                    None => {
                        let id = c.next_id("subjects")?;
                        (id, true)
                    }
                };
                let probe = Subject {
                    id,
                    kind: s.kind,
                    name: s.name.clone(),
                    short_name: s.short_name.clone(),
                    uscc: Some(u.as_str().to_string()),
                    uscc_override: u.check_overridden(),
                    id_masked: None,
                    parent_id: None,
                    unit_id: None,
                    position: None,
                    successor_id: None,
                    created_at: String::new(),
                    updated_at: String::new(),
                };
                index.add(&probe);
                planned.push((row, s, id, is_new));
            }
            // Insert parents before children: repeat until no unit can be placed.
            let mut placed: HashSet<i64> = by_uscc.values().map(|r| r.s.id).collect();
            // Parent links as they will be after this import, to refuse cycles.
            let mut parents: HashMap<i64, Option<i64>> =
                by_uscc.values().map(|r| (r.s.id, r.s.parent_id)).collect();
            // New units this import refused: nobody may hang under them.
            let mut refused: HashSet<i64> = HashSet::new();
            let not_found =
                |msg: String| probity_domain::DomainError::new(Code::ParentNotFound, msg);
            let mut remaining = planned;
            loop {
                let before = remaining.len();
                let mut next_round = Vec::new();
                for (row, s, id, is_new) in remaining {
                    let parent_id = match s.parent.as_deref() {
                        None => Ok(None),
                        Some(p) => match index.resolve(p) {
                            Err(e) => Err(e),
                            Ok(None) => Err(not_found(format!("上级单位“{p}”不在主体名录中"))),
                            Ok(Some(pid)) if pid == id => {
                                Err(not_found("上级单位不能是本单位".into()))
                            }
                            Ok(Some(pid)) if refused.contains(&pid) => Err(not_found(format!(
                                "上级单位“{p}”在本次导入中被拒绝，请先修正该单位"
                            ))),
                            Ok(Some(pid)) if creates_cycle(&parents, id, pid) => {
                                Err(not_found(format!("以“{p}”为上级单位会形成循环的隶属关系")))
                            }
                            Ok(Some(pid)) => Ok(Some(pid)),
                        },
                    };
                    let parent_id = match parent_id {
                        Ok(p) => p,
                        Err(e) => {
                            report.rejected.push((row, "parent", e));
                            if is_new {
                                refused.insert(id);
                            }
                            continue;
                        }
                    };
                    if let Some(pid) = parent_id
                        && !placed.contains(&pid)
                    {
                        next_round.push((row, s, id, is_new));
                        continue;
                    }
                    let SubjectKey::Uscc(u) = &s.key else {
                        continue;
                    };
                    let old = by_uscc.get(u.as_str());
                    let new_row = SubjectRow {
                        s: Subject {
                            id,
                            kind: s.kind,
                            name: s.name.clone(),
                            short_name: s.short_name.clone(),
                            uscc: Some(u.as_str().to_string()),
                            uscc_override: u.check_overridden(),
                            id_masked: None,
                            parent_id,
                            unit_id: None,
                            position: None,
                            successor_id: old.and_then(|o| o.s.successor_id),
                            created_at: old
                                .map(|o| o.s.created_at.clone())
                                .unwrap_or_else(|| now.clone()),
                            updated_at: now.clone(),
                        },
                        id_hash: None,
                        id_cipher: None,
                    };
                    placed.insert(id);
                    parents.insert(id, parent_id);
                    apply(
                        c,
                        &mut journal,
                        &mut report,
                        old,
                        new_row,
                        actor,
                        u.check_overridden(),
                    )?;
                }
                if next_round.is_empty() || next_round.len() == before {
                    // What is left waits on a parent that waits on it: a cycle among new units.
                    for (row, s, id, _) in next_round {
                        refused.insert(id);
                        report.rejected.push((
                            row,
                            "parent",
                            not_found(format!(
                                "上级单位“{}”与本单位互为上级（循环的隶属关系），无法导入",
                                s.parent.unwrap_or_default()
                            )),
                        ));
                    }
                    break;
                }
                remaining = next_round;
            }

            // Civil servants.
            let mut seen_hash: HashMap<Vec<u8>, usize> = HashMap::new();
            for (row, s) in people {
                let SubjectKey::IdNumber(idn) = &s.key else {
                    continue;
                };
                let hash = keys.lookup_hash(idn.as_str());
                if let Some(first) = seen_hash.insert(hash.clone(), row) {
                    report.rejected.push((
                        row,
                        "id_number",
                        probity_domain::DomainError::new(
                            Code::SubjectExists,
                            format!("身份证号 {} 在文件第 {first} 行已出现", idn.masked()),
                        ),
                    ));
                    continue;
                }
                let unit_ref = s.unit.as_deref().unwrap_or_default();
                let unit_id = match index.resolve(unit_ref) {
                    Ok(Some(id)) if placed.contains(&id) => id,
                    Ok(Some(_)) => {
                        report.rejected.push((
                            row,
                            "unit",
                            probity_domain::DomainError::new(
                                Code::ParentNotFound,
                                format!("所在单位“{unit_ref}”在本次导入中被拒绝，请先修正该单位"),
                            ),
                        ));
                        continue;
                    }
                    Ok(None) => {
                        report.rejected.push((
                            row,
                            "unit",
                            probity_domain::DomainError::new(
                                Code::ParentNotFound,
                                format!("所在单位“{unit_ref}”不在主体名录中"),
                            ),
                        ));
                        continue;
                    }
                    Err(e) => {
                        report.rejected.push((row, "unit", e));
                        continue;
                    }
                };
                let old = by_hash.get(&hash);
                let (id, cipher) = match old {
                    Some(o) => (o.s.id, o.id_cipher.clone()),
                    None => {
                        let id = c.next_id("subjects")?;
                        (id, Some(keys.encrypt(idn.as_str())?))
                    }
                };
                let new_row = SubjectRow {
                    s: Subject {
                        id,
                        kind: s.kind,
                        name: s.name.clone(),
                        short_name: s.short_name.clone(),
                        uscc: None,
                        uscc_override: false,
                        id_masked: Some(idn.masked()),
                        parent_id: None,
                        unit_id: Some(unit_id),
                        position: s.position.clone(),
                        successor_id: old.and_then(|o| o.s.successor_id),
                        created_at: old
                            .map(|o| o.s.created_at.clone())
                            .unwrap_or_else(|| now.clone()),
                        updated_at: now.clone(),
                    },
                    id_hash: Some(hash),
                    id_cipher: cipher,
                };
                apply(c, &mut journal, &mut report, old, new_row, actor, false)?;
            }
            journal.flush(c)?;
            report.rejected.sort_by_key(|r| r.0);
            Ok(report)
        })
    }

    /// All subjects, in id order.
    pub fn subjects(&self) -> StoreResult<Vec<Subject>> {
        Ok(load_all(&mut self.conn()?)?
            .into_iter()
            .map(|r| r.s)
            .collect())
    }

    /// The subjects changed (added, edited, merged) after change `since`, by the journal.
    pub fn subjects_changed_since(&self, since: i64) -> StoreResult<Vec<i64>> {
        let mut c = self.conn()?;
        let rows = c.query(
            "SELECT DISTINCT entity_id FROM journal WHERE entity = 'subject' AND seq > $1",
            &[Val::Int(since)],
        )?;
        let mut ids = Vec::with_capacity(rows.len());
        for r in &rows {
            if let Ok(id) = r.need_text("entity_id")?.parse() {
                ids.push(id);
            }
        }
        Ok(ids)
    }

    /// How many subjects the roster holds.
    pub fn subject_count(&self) -> StoreResult<i64> {
        Ok(self
            .conn()?
            .query_int("SELECT COUNT(*) FROM subjects", &[])?
            .unwrap_or(0))
    }

    pub fn subject(&self, id: i64) -> StoreResult<Subject> {
        let mut c = self.conn()?;
        let r = c.query_one(&select_sql("WHERE id = $1"), &[Val::Int(id)])?;
        match r {
            Some(r) => Ok(SubjectRow::from_row(&r)?.s),
            None => Err(StoreError::NotFound(format!("主体 {id}"))),
        }
    }

    /// Finds a unit by USCC, full name or short name (简称), as `--provider 区法院` does.
    pub fn find_unit(&self, reference: &str) -> StoreResult<Subject> {
        let r = reference.trim();
        let mut c = self.conn()?;
        let rows = c.query(
            &select_sql("WHERE kind <> 'civil_servant' AND (uscc = $1 OR name = $1 OR short_name = $1) ORDER BY id"),
            &[Val::from(r)],
        )?;
        match rows.len() {
            0 => Err(StoreError::domain(
                Code::ProviderNotFound,
                format!("单位“{r}”不在主体名录中"),
            )),
            1 => Ok(SubjectRow::from_row(&rows[0])?.s),
            _ => Err(StoreError::domain(
                Code::ProviderNotFound,
                format!("“{r}”对应多个单位，请改用统一社会信用代码"),
            )),
        }
    }

    /// Finds a civil servant by ID number (through its keyed hash; the number is not stored).
    pub fn find_civil_servant(
        &self,
        id_number: &probity_domain::ident::IdNumber,
    ) -> StoreResult<Option<Subject>> {
        let hash = self.keys.lookup_hash(id_number.as_str());
        let mut c = self.conn()?;
        let r = c.query_one(&select_sql("WHERE id_hash = $1"), &[Val::Blob(hash)])?;
        r.map(|r| SubjectRow::from_row(&r).map(|r| r.s)).transpose()
    }

    /// Decrypts a civil servant's ID number, for the few callers entitled to it.
    pub fn reveal_id_number(&self, subject_id: i64) -> StoreResult<Option<String>> {
        let mut c = self.conn()?;
        let ct = c.query_blob(
            "SELECT id_cipher FROM subjects WHERE id = $1",
            &[Val::Int(subject_id)],
        )?;
        match ct {
            Some(ct) => Ok(Some(self.keys.decrypt(&ct)?)),
            None => Ok(None),
        }
    }

    /// Records a restructuring (机构改革): `from` was renamed or merged into `into`. `from` keeps
    /// its own history and its records, and points to its successor so that they follow it.
    pub fn link_successor(
        &self,
        from: i64,
        into: i64,
        actor: &str,
        reason: &str,
    ) -> StoreResult<()> {
        if from == into {
            return Err(StoreError::domain(
                Code::ParentNotFound,
                "不能把单位合并到其自身",
            ));
        }
        let mut conn = self.conn()?;
        let now = self.now_text();
        conn.write(|c| {
            let mut get = |id: i64| -> StoreResult<SubjectRow> {
                let r = c.query_one(&select_sql("WHERE id = $1"), &[Val::Int(id)])?;
                r.map(|r| SubjectRow::from_row(&r))
                    .transpose()?
                    .ok_or_else(|| StoreError::NotFound(format!("主体 {id}")))
            };
            let mut old = get(from)?;
            let target = get(into)?;
            if old.s.kind.is_unit() != target.s.kind.is_unit() {
                return Err(StoreError::domain(
                    Code::ParentNotFound,
                    "单位只能由单位承继，公务员只能由公务员承继",
                ));
            }
            // Refuse a cycle: following successors from `into` must not come back to `from`.
            let mut cursor = target.s.successor_id;
            let mut steps = 0;
            while let Some(id) = cursor {
                if id == from || steps > 1000 {
                    return Err(StoreError::domain(
                        Code::ParentNotFound,
                        "承继关系不能形成循环",
                    ));
                }
                cursor = get(id)?.s.successor_id;
                steps += 1;
            }
            old.s.successor_id = Some(into);
            old.s.updated_at = now.clone();
            let mut journal = Appender::open(c, now.clone())?;
            let detail = serde_json::json!({ "successor": into, "reason": reason }).to_string();
            write_subject(
                c,
                &mut journal,
                &old,
                false,
                actor,
                Action::LinkSuccessor,
                &detail,
            )?;
            journal.flush(c)
        })
    }

    /// The subject and every predecessor whose records now follow it (机构改革 history).
    pub fn lineage(&self, id: i64) -> StoreResult<Vec<i64>> {
        let mut c = self.conn()?;
        let mut out = vec![id];
        let mut frontier = vec![id];
        while let Some(cur) = frontier.pop() {
            for r in c.query(
                "SELECT id FROM subjects WHERE successor_id = $1",
                &[Val::Int(cur)],
            )? {
                let p = r.need_int("id")?;
                if !out.contains(&p) {
                    out.push(p);
                    frontier.push(p);
                }
            }
        }
        Ok(out)
    }
}

impl Store {
    /// The civil servants on the roster whose unit is one of `units`.
    pub fn civil_servants_of(&self, units: &[i64]) -> StoreResult<Vec<i64>> {
        if units.is_empty() {
            return Ok(Vec::new());
        }
        let mut c = self.conn()?;
        let list: Vec<String> = units.iter().map(i64::to_string).collect();
        c.query(
            &format!(
                "SELECT id FROM subjects WHERE kind = $1 AND unit_id IN ({}) ORDER BY id",
                list.join(", ")
            ),
            &[Val::from(SubjectKind::CivilServant.code())],
        )?
        .iter()
        .map(|r| r.need_int("id"))
        .collect()
    }
}

/// Whether making `parent` the parent of `id` would close a loop in the hierarchy.
fn creates_cycle(parents: &HashMap<i64, Option<i64>>, id: i64, parent: i64) -> bool {
    let mut cursor = Some(parent);
    let mut steps = 0;
    while let Some(p) = cursor {
        if p == id || steps > parents.len() {
            return true;
        }
        cursor = parents.get(&p).copied().flatten();
        steps += 1;
    }
    false
}

fn apply(
    c: &mut Conn,
    journal: &mut Appender,
    report: &mut RosterReport,
    old: Option<&SubjectRow>,
    mut new_row: SubjectRow,
    actor: &str,
    overridden: bool,
) -> StoreResult<()> {
    let detail = if overridden {
        r#"{"uscc_check_override":true}"#.to_string()
    } else {
        "{}".to_string()
    };
    match old {
        None => {
            write_subject(c, journal, &new_row, true, actor, Action::Create, &detail)?;
            report.created += 1;
        }
        Some(o) => {
            let mut same = new_row.clone();
            same.s.updated_at = o.s.updated_at.clone();
            if same == *o {
                report.unchanged += 1;
            } else {
                new_row.s.created_at = o.s.created_at.clone();
                write_subject(c, journal, &new_row, false, actor, Action::Update, &detail)?;
                report.updated += 1;
            }
        }
    }
    Ok(())
}
