//! What the public sees of a unit or a record: the store's records passed through the disclosure
//! policy for the public viewer, on a given day, with every civil servant on the roster masked
//! wherever named. The public pages, their JSON twins and the credit reports use these and
//! nothing else; the search index uses [`record_facts`], [`subject_facts`] and [`masker_of`].

use std::sync::Arc;

use chrono::NaiveDate;
use probity_domain::catalog::{Catalog, RecordKind};
use probity_domain::disclosure::{
    Disclosed, NameMasker, RecordFacts, SubjectFacts, Viewer, disclose,
};
use probity_domain::ident::Uscc;
use probity_domain::subject::SubjectKind;
use probity_store::{Store, StoreError, StoredRecord, Subject};

/// A disclosed record with what the public pages show beside it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PublicRecord {
    pub id: i64,
    pub category: String,
    pub category_name: String,
    pub kind: RecordKind,
    pub severity_label: Option<&'static str>,
    pub shown: Disclosed,
}

/// A unit's public credit profile (信用档案公示).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Profile {
    pub subject: Subject,
    /// Units whose records this one carries (renamed or merged into it).
    pub predecessors: Vec<Subject>,
    pub dishonest: Vec<PublicRecord>,
    pub trustworthy: Vec<PublicRecord>,
}

/// Why a public lookup found nothing to show.
#[derive(Debug, thiserror::Error)]
pub enum PublicError {
    /// Not a well-formed USCC: the reason, in Chinese.
    #[error("{0}")]
    BadCode(String),
    /// Unknown, not a unit, or not disclosed: the public cannot tell these apart.
    #[error("未找到")]
    NotFound,
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// The masker of every civil servant's name on `subjects` (the roster).
pub fn masker_of<'a>(subjects: impl IntoIterator<Item = &'a Subject>) -> NameMasker {
    NameMasker::new(
        subjects
            .into_iter()
            .filter(|s| s.kind == SubjectKind::CivilServant)
            .map(|s| s.name.as_str()),
    )
}

/// The roster's civil servants as a [`NameMasker`], kept for as long as the roster does not
/// change: each use asks the change feed's head (one indexed read), and only when the journal has
/// a roster change past the one the masker was built at is the roster read and the masker built
/// again. So a civil servant added while the server runs is masked on the next request, and
/// several servers on one database each notice it on their own.
#[derive(Default)]
pub struct RosterNames {
    masker: crate::feed_cache::FeedCache<NameMasker>,
}

impl RosterNames {
    pub fn new() -> RosterNames {
        RosterNames::default()
    }

    /// The masker of the roster as it is now.
    pub fn current(&self, store: &Store) -> Result<Arc<NameMasker>, StoreError> {
        self.masker.current(
            store,
            |s, at| Ok(!s.subjects_changed_since(at)?.is_empty()),
            |s| Ok(masker_of(&s.subjects()?)),
        )
    }
}

/// What the disclosure policy needs of a stored record: `None` if its category is gone from
/// the catalog (it is then not disclosed).
pub fn record_facts<'a>(r: &'a StoredRecord, catalog: &Catalog) -> Option<RecordFacts<'a>> {
    let category = catalog.get(&r.category)?;
    Some(RecordFacts {
        state: r.state,
        scope: r.scope,
        kind: r.kind,
        severity: r.severity,
        decided_on: r.decided_on,
        disclosure_until: r.disclosure_until,
        bounds: category.bounds(r.severity),
        document_no: &r.document_no,
        authority: &r.authority,
        facts: &r.facts,
        basis: r.basis.as_deref(),
        outcome: &r.outcome,
    })
}

/// What the disclosure policy needs of a subject; `unit` is a civil servant's unit's name.
pub fn subject_facts<'a>(s: &'a Subject, unit: Option<&'a str>) -> SubjectFacts<'a> {
    SubjectFacts {
        kind: s.kind,
        name: &s.name,
        uscc: s.uscc.as_deref(),
        unit,
        position: s.position.as_deref(),
    }
}

fn public_record(
    store: &Store,
    catalog: &Catalog,
    names: &NameMasker,
    subject: &Subject,
    r: &StoredRecord,
    today: NaiveDate,
) -> Result<Option<PublicRecord>, StoreError> {
    let (Some(category), Some(facts)) = (catalog.get(&r.category), record_facts(r, catalog)) else {
        return Ok(None);
    };
    let unit = match subject.unit_id {
        Some(u) => Some(store.subject(u)?.name),
        None => None,
    };
    let who = subject_facts(subject, unit.as_deref());
    Ok(disclose(&facts, &who, Viewer::Public, today, names)
        .ok()
        .map(|shown| PublicRecord {
            id: r.id,
            category: r.category.clone(),
            category_name: category.name.clone(),
            kind: r.kind,
            severity_label: r.severity.map(|s| s.label()),
            shown,
        }))
}

/// The public profile of the unit with this USCC on `today`.
pub fn profile(
    store: &Store,
    roster: &RosterNames,
    uscc: &str,
    today: NaiveDate,
) -> Result<Profile, PublicError> {
    let code = Uscc::parse_overriding_check(uscc)
        .map_err(|e| PublicError::BadCode(e.message))?
        .as_str()
        .to_string();
    let subject = match store.find_unit(&code) {
        Ok(s) if s.kind != SubjectKind::CivilServant && s.uscc.as_deref() == Some(&code) => s,
        Ok(_) | Err(StoreError::NotFound(_)) | Err(StoreError::Domain(_)) => {
            return Err(PublicError::NotFound);
        }
        Err(e) => return Err(e.into()),
    };
    let catalog = store.catalog()?;
    let names = roster.current(store)?;
    let predecessors = store
        .lineage(subject.id)?
        .into_iter()
        .filter(|id| *id != subject.id)
        .map(|id| store.subject(id))
        .collect::<Result<Vec<_>, _>>()?;
    let mut dishonest = Vec::new();
    let mut trustworthy = Vec::new();
    for r in store.records_of_subject(subject.id)? {
        let owner = if r.subject_id == subject.id {
            subject.clone()
        } else {
            store.subject(r.subject_id)?
        };
        if let Some(p) = public_record(store, &catalog, &names, &owner, &r, today)? {
            match p.kind {
                RecordKind::Dishonest => dishonest.push(p),
                RecordKind::Trustworthy => trustworthy.push(p),
            }
        }
    }
    Ok(Profile {
        subject,
        predecessors,
        dishonest,
        trustworthy,
    })
}

/// One record as the public sees it on `today`, with its subject (a unit, or a civil servant
/// whose name comes masked), or `NotFound` when it is not disclosed.
pub fn record(
    store: &Store,
    roster: &RosterNames,
    id: i64,
    today: NaiveDate,
) -> Result<(PublicRecord, Subject), PublicError> {
    let r = match store.record(id) {
        Ok(r) => r,
        Err(StoreError::NotFound(_)) => return Err(PublicError::NotFound),
        Err(e) => return Err(e.into()),
    };
    let subject = store.subject(r.subject_id)?;
    let catalog = store.catalog()?;
    let names = roster.current(store)?;
    match public_record(store, &catalog, &names, &subject, &r, today)? {
        Some(p) => Ok((p, subject)),
        None => Err(PublicError::NotFound),
    }
}

/// The public profile of the unit with this USCC today, by the app's clock.
pub fn profile_today(app: &crate::App, uscc: &str) -> Result<Profile, PublicError> {
    profile(app.store(), app.names(), uscc, app.today())
}

/// The joint sanctions in force on the profile's unit today (by the app's clock) that rest only
/// on records the profile discloses, each with the rule and those records: what the disclosure
/// policy lets the public see, and nothing the unit's undisclosed records would add.
pub fn measures_today(
    app: &crate::App,
    p: &Profile,
) -> Result<Vec<probity_domain::sanction::MeasureInForce>, PublicError> {
    let shown: Vec<i64> = p
        .dishonest
        .iter()
        .chain(&p.trustworthy)
        .map(|r| r.id)
        .collect();
    crate::sanctions::measures_on_records(app, &p.subject, &shown, app.today()).map_err(|e| match e
    {
        crate::AppError::Store(s) => PublicError::Store(s),
        other => PublicError::Store(StoreError::Internal(other.to_string())),
    })
}

/// One record as the public sees it today, by the app's clock.
pub fn record_today(app: &crate::App, id: i64) -> Result<(PublicRecord, Subject), PublicError> {
    record(app.store(), app.names(), id, app.today())
}
