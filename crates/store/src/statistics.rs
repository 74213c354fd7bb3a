//! The counts behind the statistics page: records counted by one dimension at a time, each
//! provider's timeliness and the roster's file coverage, each one grouped query in the database
//! (what counts, and the rates' definitions, are in `probity_domain::statistics`).

use probity_domain::statistics::{COUNTED_STATES, Rate, StatisticsRules};

use crate::db::{Dialect, Val};
use crate::{Store, StoreResult};

/// Which records a count covers.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct StatScope {
    /// Only records this unit provided.
    pub provider_id: Option<i64>,
    /// Only records about this unit or its civil servants.
    pub about_unit: Option<i64>,
    /// Only records decided in this year.
    pub year: Option<i32>,
}

/// What records are counted by.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Dimension {
    /// The category's code.
    Category,
    /// The severity's code ("" for records without one: honours).
    Severity,
    /// The subject's kind code.
    SubjectKind,
    /// The id of the township (街镇) the record concerns: the township itself or one of its
    /// civil servants. Records about no township are left out.
    Township,
    /// The providing unit's id.
    Provider,
    /// The decision's year and month ("2026-05").
    Month,
}

impl Dimension {
    fn key(self) -> &'static str {
        match self {
            Dimension::Category => "r.category",
            Dimension::Severity => "COALESCE(r.severity, '')",
            Dimension::SubjectKind => "s.kind",
            Dimension::Township => {
                "CAST(CASE WHEN s.kind = 'township' THEN s.id \
                 WHEN u.kind = 'township' THEN u.id END AS TEXT)"
            }
            Dimension::Provider => "CAST(r.provider_id AS TEXT)",
            Dimension::Month => "SUBSTR(r.decided_on, 1, 7)",
        }
    }
}

/// One provider's timeliness: how many of its counted records arrived within the rule's days.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Timeliness {
    pub provider_id: i64,
    pub rate: Rate,
}

/// The file coverage of one kind of subject.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Coverage {
    /// The subject kind's code.
    pub kind: String,
    pub rate: Rate,
}

/// `FROM … WHERE …` of the counted records in `scope`, with its parameters.
fn counted(scope: &StatScope) -> (String, Vec<Val>) {
    let mut params: Vec<Val> = COUNTED_STATES.iter().map(|s| Val::from(s.code())).collect();
    let mut sql = String::from(
        "FROM records r JOIN subjects s ON s.id = r.subject_id \
         LEFT JOIN subjects u ON u.id = s.unit_id \
         WHERE r.state IN ($1, $2, $3, $4)",
    );
    if let Some(p) = scope.provider_id {
        params.push(Val::Int(p));
        sql.push_str(&format!(" AND r.provider_id = ${}", params.len()));
    }
    if let Some(unit) = scope.about_unit {
        params.push(Val::Int(unit));
        let n = params.len();
        sql.push_str(&format!(" AND (r.subject_id = ${n} OR s.unit_id = ${n})"));
    }
    if let Some(y) = scope.year {
        params.push(Val::from(format!("{y:04}-01-01").as_str()));
        params.push(Val::from(format!("{y:04}-12-31").as_str()));
        sql.push_str(&format!(
            " AND r.decided_on >= ${} AND r.decided_on <= ${}",
            params.len() - 1,
            params.len()
        ));
    }
    (sql, params)
}

impl Store {
    /// The counted records in `scope` by `dim`, largest first (then by key).
    pub fn count_by(&self, scope: &StatScope, dim: Dimension) -> StoreResult<Vec<(String, u64)>> {
        let (from, params) = counted(scope);
        let key = dim.key();
        let sql = format!(
            "SELECT {key} AS k, COUNT(*) AS n {from} AND {key} IS NOT NULL \
             GROUP BY {key} ORDER BY n DESC, k"
        );
        let mut c = self.conn()?;
        let rows = c.query(&sql, &params)?;
        rows.iter()
            .map(|r| {
                Ok((
                    r.text("k")?.unwrap_or("").to_string(),
                    r.need_int("n")?.max(0) as u64,
                ))
            })
            .collect()
    }

    /// Each provider's timeliness over the counted records in `scope`, by provider id. A
    /// record's arrival is the Beijing date of its first sighting.
    pub fn timeliness(
        &self,
        scope: &StatScope,
        rules: &StatisticsRules,
    ) -> StoreResult<Vec<Timeliness>> {
        let (from, mut params) = counted(scope);
        params.push(Val::Int(i64::from(rules.timely_days)));
        let days = params.len();
        let delay = match self.dialect() {
            Dialect::Sqlite => {
                "julianday(date(r.first_seen, '+8 hours')) - julianday(r.decided_on)"
            }
            Dialect::Postgres => {
                "(CAST(CAST(r.first_seen AS TIMESTAMPTZ) AT TIME ZONE 'Asia/Shanghai' AS DATE) \
                 - CAST(r.decided_on AS DATE))"
            }
        };
        let sql = format!(
            "SELECT r.provider_id AS p, COUNT(*) AS n, \
             CAST(SUM(CASE WHEN {delay} <= ${days} THEN 1 ELSE 0 END) AS BIGINT) AS t \
             {from} GROUP BY r.provider_id ORDER BY r.provider_id"
        );
        let mut c = self.conn()?;
        let rows = c.query(&sql, &params)?;
        rows.iter()
            .map(|r| {
                Ok(Timeliness {
                    provider_id: r.need_int("p")?,
                    rate: Rate {
                        part: r.int("t")?.unwrap_or(0).max(0) as u64,
                        whole: r.need_int("n")?.max(0) as u64,
                    },
                })
            })
            .collect()
    }

    /// The file coverage of the roster's current subjects, by kind (in the kind codes' order).
    pub fn file_coverage(&self) -> StoreResult<Vec<Coverage>> {
        let sql = "SELECT s.kind AS k, COUNT(*) AS n, \
             CAST(SUM(CASE WHEN EXISTS (SELECT 1 FROM records r WHERE r.subject_id = s.id \
             AND r.state IN ($1, $2, $3, $4)) THEN 1 ELSE 0 END) AS BIGINT) AS c \
             FROM subjects s WHERE s.successor_id IS NULL GROUP BY s.kind ORDER BY s.kind";
        let params: Vec<Val> = COUNTED_STATES.iter().map(|s| Val::from(s.code())).collect();
        let mut c = self.conn()?;
        let rows = c.query(sql, &params)?;
        rows.iter()
            .map(|r| {
                Ok(Coverage {
                    kind: r.need_text("k")?.to_string(),
                    rate: Rate {
                        part: r.int("c")?.unwrap_or(0).max(0) as u64,
                        whole: r.need_int("n")?.max(0) as u64,
                    },
                })
            })
            .collect()
    }
}
