//! `/api/v1/subjects` and `/api/v1/catalog`: the roster and the catalog of record categories.

use axum::Json;
use axum::extract::{Path, State};
use probity_domain::catalog::Category;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use super::views::SubjectView;
use crate::AppState;
use crate::auth::Caller;
use crate::error::{ApiError, ErrorBody};
use crate::extract::{Body, blocking, parse_id};

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(list_subjects))
        .routes(routes!(get_subject))
        .routes(routes!(list_catalog))
        .routes(routes!(put_category))
}

/// The roster.
#[utoipa::path(get, path = "/api/v1/subjects", tag = "subjects", responses((status = 200, body = Vec<SubjectView>)))]
async fn list_subjects(State(state): State<AppState>) -> Result<Json<Vec<SubjectView>>, ApiError> {
    let app = state.app.clone();
    let subjects = blocking(move || Ok(probity_app::roster::all(&app)?)).await?;
    Ok(Json(subjects.iter().map(SubjectView::from).collect()))
}

/// One subject. An assessed unit sees only itself and its predecessors.
#[utoipa::path(get, path = "/api/v1/subjects/{id}", tag = "subjects", params(("id" = i64, Path)),
    responses((status = 200, body = SubjectView), (status = 404, body = ErrorBody)))]
async fn get_subject(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
) -> Result<Json<SubjectView>, ApiError> {
    let id = parse_id(&id)?;
    let app = state.app.clone();
    let subject = blocking(move || Ok(probity_app::roster::get(&app, &caller.who(), id)?)).await?;
    Ok(Json((&subject).into()))
}

/// The catalog of record categories.
#[utoipa::path(get, path = "/api/v1/catalog", tag = "catalog", responses((status = 200, body = Vec<Object>)))]
async fn list_catalog(State(state): State<AppState>) -> Result<Json<Vec<Category>>, ApiError> {
    let app = state.app.clone();
    let catalog = blocking(move || Ok(probity_app::catalog::current(&app)?)).await?;
    Ok(Json(catalog.categories().to_vec()))
}

/// Adds or changes a category (credit office).
#[utoipa::path(put, path = "/api/v1/catalog/{code}", tag = "catalog", params(("code" = String, Path)),
    request_body = Object, responses((status = 200, body = Object), (status = 422, body = ErrorBody)))]
async fn put_category(
    State(state): State<AppState>,
    caller: Caller,
    Path(code): Path<String>,
    Body(cat): Body<Category>,
) -> Result<Json<Category>, ApiError> {
    if cat.code != code {
        return Err(ApiError::bad_request(
            "CODE_MISMATCH",
            "路径中的类别代码与内容不一致",
        ));
    }
    let app = state.app.clone();
    blocking(move || {
        probity_app::catalog::save(&app, &caller.who(), &cat)?;
        Ok(Json(cat))
    })
    .await
}
