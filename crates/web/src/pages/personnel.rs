//! The organisation and personnel department's page (`/console/personnel`): the civil servants
//! with records in their files, filtered by unit, exported to Excel.

use askama::Template;
use axum::Router;
use axum::extract::State;
use axum::routing::get;
use serde::Deserialize;

use super::kit::{Ctx, Layout, Opt, options, xlsx_download};
use crate::AppState;
use crate::error::ApiError;
use crate::extract::blocking;
use crate::http::{PageResult, nonempty};

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/console/personnel", get(page))
        .route("/console/personnel.xlsx", get(export))
}

#[derive(Debug, Default, Deserialize)]
struct PersonnelQuery {
    unit: Option<String>,
}

impl PersonnelQuery {
    fn unit(&self) -> Result<Option<i64>, ApiError> {
        match nonempty(&self.unit) {
            None => Ok(None),
            Some(u) => u.parse::<i64>().map(Some).map_err(|_| {
                ApiError::bad_request("QUERY_INVALID", "单位参数无效，请从列表中选择单位")
            }),
        }
    }
}

struct Row {
    name: String,
    id_masked: String,
    unit: String,
    position: String,
    record: i64,
    category: String,
    severity: String,
    decided_on: String,
    state: String,
    disclosure_until: String,
    provider: String,
}

#[derive(Template)]
#[template(path = "personnel.html")]
struct PersonnelTpl {
    l: Layout,
    units: Vec<Opt>,
    rows: Vec<Row>,
    people: usize,
    truncated: bool,
    max: u32,
    export: String,
    /// Whether the caller may open a record's page (the credit office).
    links: bool,
}

async fn load(
    state: &AppState,
    q: &PersonnelQuery,
) -> Result<probity_app::personnel::Personnel, crate::http::PageError> {
    let unit = q.unit()?;
    let app = state.app.clone();
    Ok(blocking(move || Ok(probity_app::personnel::records(&app, unit)?)).await?)
}

async fn page(
    State(state): State<AppState>,
    ctx: Ctx,
    crate::http::PageQuery(q): crate::http::PageQuery<PersonnelQuery>,
) -> PageResult {
    let p = load(&state, &q).await?;
    let current = nonempty(&q.unit).unwrap_or_default();
    let tpl = PersonnelTpl {
        l: ctx.layout("公务员信用记录"),
        units: options(
            p.units.iter().map(|(id, n)| (id.to_string(), n.clone())),
            &current,
            Some("全部单位"),
        ),
        people: p.people,
        truncated: p.truncated,
        max: probity_app::personnel::MAX_RECORDS,
        export: format!(
            "/console/personnel.xlsx?unit={}",
            crate::http::percent_encode(&current)
        ),
        links: ctx.role() == probity_domain::account::AccountRole::Admin,
        rows: p
            .records
            .into_iter()
            .map(|r| Row {
                name: r.person.name,
                id_masked: r.person.id_masked.unwrap_or_default(),
                unit: r.unit,
                position: r.person.position.unwrap_or_default(),
                record: r.record.id,
                category: r.category,
                severity: r
                    .record
                    .severity
                    .map_or(String::new(), |s| s.label().to_string()),
                decided_on: r.record.decided_on.to_string(),
                state: r.record.state.label().to_string(),
                disclosure_until: r.record.disclosure_until.to_string(),
                provider: r.provider,
            })
            .collect(),
    };
    Ok(ctx.page(&tpl))
}

async fn export(
    State(state): State<AppState>,
    _ctx: Ctx,
    crate::http::PageQuery(q): crate::http::PageQuery<PersonnelQuery>,
) -> PageResult {
    let p = load(&state, &q).await?;
    let bytes = blocking(move || Ok(probity_app::personnel::export(&p)?)).await?;
    Ok(xlsx_download(
        bytes,
        "personnel.xlsx",
        "公务员信用记录.xlsx",
    ))
}
