//! The credit office registers one subject on the roster, or edits one, without preparing a
//! file (`/console/subjects/new`, `/console/subjects/{id}/edit`); each save is journaled like an
//! import of one row. A refused form keeps what was typed and says which field is wrong.

use std::collections::HashMap;

use askama::Template;
use axum::Router;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::routing::get;
use probity_app::AppError;
use probity_domain::subject::{RosterRow, SubjectKind};
use serde::Deserialize;

use super::kit::{Ctx, Layout, Opt, PageForm, options};
use crate::AppState;
use crate::error::ApiError;
use crate::extract::{blocking, parse_id};
use crate::http::{PageResult, done};

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/console/subjects/new", get(new_form).post(create))
        .route("/console/subjects/{id}/edit", get(edit_form).post(update))
}

#[derive(Debug, Default, Deserialize)]
struct SubjectForm {
    #[serde(default)]
    name: String,
    #[serde(default)]
    short_name: String,
    #[serde(default)]
    kind: String,
    #[serde(default)]
    uscc: String,
    #[serde(default)]
    id_number: String,
    /// A unit's parent, or a civil servant's unit (简称、全称或统一社会信用代码).
    #[serde(default)]
    parent: String,
    #[serde(default)]
    position: String,
}

impl SubjectForm {
    fn row(&self) -> RosterRow {
        let person = SubjectKind::parse(&self.kind).is_ok_and(|k| k == SubjectKind::CivilServant);
        RosterRow {
            name: self.name.clone(),
            short_name: self.short_name.clone(),
            kind: self.kind.clone(),
            uscc: self.uscc.clone(),
            id_number: self.id_number.clone(),
            parent: if person {
                String::new()
            } else {
                self.parent.clone()
            },
            unit: if person {
                self.parent.clone()
            } else {
                String::new()
            },
            position: self.position.clone(),
        }
    }
}

#[derive(Template)]
#[template(path = "subject_form.html")]
struct SubjectFormTpl {
    l: Layout,
    action: String,
    editing: Option<i64>,
    /// What identifies the subject being edited (shown, not editable; an ID number masked).
    identity: String,
    f: SubjectForm,
    kinds: Vec<Opt>,
    units: Vec<Opt>,
    errors: HashMap<&'static str, String>,
    error: Option<String>,
}

impl SubjectFormTpl {
    fn err(&self, key: &str) -> Option<&String> {
        self.errors.get(key)
    }
}

#[allow(clippy::too_many_arguments)]
async fn render(
    state: &AppState,
    ctx: &Ctx,
    f: SubjectForm,
    editing: Option<i64>,
    identity: String,
    errors: HashMap<&'static str, String>,
    error: Option<String>,
    status: StatusCode,
) -> PageResult {
    let app = state.app.clone();
    let units = blocking(move || Ok(probity_app::roster::units(&app)?)).await?;
    let (title, action) = match editing {
        Some(id) => (
            "修改主体信息".to_string(),
            format!("/console/subjects/{id}/edit"),
        ),
        None => ("登记主体".to_string(), "/console/subjects/new".to_string()),
    };
    let kinds = options(
        SubjectKind::ALL
            .iter()
            .map(|k| (k.label().to_string(), k.label().to_string())),
        &f.kind,
        Some("请选择"),
    );
    let t = SubjectFormTpl {
        l: ctx.layout(&title),
        action,
        editing,
        identity,
        kinds,
        units: units
            .into_iter()
            .map(|u| Opt {
                label: u.name.clone(),
                value: u.short_name.unwrap_or(u.name),
                selected: false,
            })
            .collect(),
        f,
        errors,
        error,
    };
    let mut res = ctx.page(&t);
    *res.status_mut() = status;
    Ok(res)
}

async fn new_form(State(state): State<AppState>, ctx: Ctx) -> PageResult {
    render(
        &state,
        &ctx,
        SubjectForm::default(),
        None,
        String::new(),
        HashMap::new(),
        None,
        StatusCode::OK,
    )
    .await
}

/// The subject as the edit form shows it: its parent or unit by short name.
async fn edit_form(State(state): State<AppState>, ctx: Ctx, Path(id): Path<String>) -> PageResult {
    let id = parse_id(&id)?;
    let (f, identity) = current(&state, &ctx, id).await?;
    render(
        &state,
        &ctx,
        f,
        Some(id),
        identity,
        HashMap::new(),
        None,
        StatusCode::OK,
    )
    .await
}

async fn current(state: &AppState, ctx: &Ctx, id: i64) -> Result<(SubjectForm, String), ApiError> {
    let app = state.app.clone();
    let who = ctx.caller.who();
    blocking(move || {
        let s = probity_app::roster::get(&app, &who, id)?;
        let above = match s.unit_id.or(s.parent_id) {
            Some(u) => {
                let u = probity_app::roster::get(&app, &who, u)?;
                u.short_name.unwrap_or(u.name)
            }
            None => String::new(),
        };
        let identity = match s.kind {
            SubjectKind::CivilServant => {
                format!("身份证号 {}", s.id_masked.clone().unwrap_or_default())
            }
            _ => format!("统一社会信用代码 {}", s.uscc.clone().unwrap_or_default()),
        };
        Ok((
            SubjectForm {
                name: s.name,
                short_name: s.short_name.unwrap_or_default(),
                kind: s.kind.label().to_string(),
                parent: above,
                position: s.position.unwrap_or_default(),
                ..Default::default()
            },
            identity,
        ))
    })
    .await
}

async fn create(State(state): State<AppState>, p: PageForm<SubjectForm>) -> PageResult {
    save(state, p, None).await
}

async fn update(
    State(state): State<AppState>,
    Path(id): Path<String>,
    p: PageForm<SubjectForm>,
) -> PageResult {
    let id = parse_id(&id)?;
    save(state, p, Some(id)).await
}

async fn save(state: AppState, p: PageForm<SubjectForm>, editing: Option<i64>) -> PageResult {
    let PageForm { ctx, form } = p;
    let (app, who, row) = (state.app.clone(), ctx.caller.who(), form.row());
    let result = blocking(move || Ok(probity_app::roster::save(&app, &who, editing, row))).await?;
    match result {
        Ok(s) => Ok(done(
            &format!("/console/subjects/{}", s.id),
            &if editing.is_some() {
                format!("已更新主体信息：{}", s.name)
            } else {
                format!("已登记主体：{}", s.name)
            },
        )),
        Err(e) => {
            let (mut errors, mut error) = (HashMap::new(), None);
            match e {
                AppError::AtField(field, inner) => {
                    let inner = ApiError::from(*inner);
                    if inner.status().is_server_error() {
                        return Err(inner.into());
                    }
                    let field = match field {
                        "unit" => "parent",
                        f => f,
                    };
                    errors.insert(field, inner.detail().message);
                }
                AppError::Domain(d) => error = Some(d.message),
                other => return Err(ApiError::from(other).into()),
            }
            let identity = match editing {
                Some(id) => current(&state, &ctx, id).await?.1,
                None => String::new(),
            };
            render(
                &state,
                &ctx,
                form,
                editing,
                identity,
                errors,
                error,
                StatusCode::UNPROCESSABLE_ENTITY,
            )
            .await
        }
    }
}
