//! `/api/v1/records`: records one at a time, their lifecycle and history. Who may call what is
//! decided by the authorisation table before a handler runs; how far a caller reaches (its own
//! records, its own file) is applied by the use cases in `probity_app::records`.

use axum::Json;
use axum::extract::{Path, State};
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use probity_app::records::{RecordInput as NewInput, Saved, Via};
use probity_domain::record::{Action, RecordRow, RecordState};
use probity_store::{Channel, Cursor, RecordFilter, RecordOrder};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use super::views::{HistoryView, RecordPage, RecordSummaryView, RecordView};
use crate::AppState;
use crate::auth::Caller;
use crate::error::{ApiError, ErrorBody};
use crate::extract::{Body, Params, blocking, parse_id};

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(list_records, create_record))
        .routes(routes!(get_record, correct_record))
        .routes(routes!(submit_record))
        .routes(routes!(activate_record))
        .routes(routes!(send_back_record))
        .routes(routes!(revoke_record))
        .routes(routes!(record_audit))
}

#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
pub struct RecordQuery {
    /// draft, submitted, active, objected, repaired, expired, revoked
    pub state: Option<String>,
    pub category: Option<String>,
    pub document_no: Option<String>,
    pub provider_id: Option<i64>,
    pub subject_id: Option<i64>,
    /// The `next_cursor` of the previous page (read with the same `sort`).
    pub before: Option<String>,
    /// id_desc (newest first, default), id_asc (oldest first) or decided_desc (latest decision first)
    pub sort: Option<String>,
    /// 1 to 200, default 50.
    pub limit: Option<u32>,
}

/// Records in the order asked for (newest first by default), with filters and cursor pagination. Providers see what they provided,
/// units their own file.
#[utoipa::path(get, path = "/api/v1/records", tag = "records", params(RecordQuery),
    responses((status = 200, body = RecordPage), (status = 400, body = ErrorBody)))]
async fn list_records(
    State(state): State<AppState>,
    caller: Caller,
    Params(q): Params<RecordQuery>,
) -> Result<Response, ApiError> {
    let limit = q.limit.unwrap_or(50);
    if !(1..=200).contains(&limit) {
        return Err(ApiError::bad_request(
            "QUERY_INVALID",
            "limit 应在 1 到 200 之间",
        ));
    }
    let status = match &q.state {
        Some(s) => Some(RecordState::parse(s)?),
        None => None,
    };
    let order = match q.sort.as_deref() {
        None => RecordOrder::Newest,
        Some(s) => RecordOrder::parse(s).ok_or_else(|| {
            ApiError::bad_request("QUERY_INVALID", "sort 应为 id_desc、id_asc 或 decided_desc")
        })?,
    };
    let at = match q.before.as_deref() {
        None => None,
        Some(b) => Some(Cursor::parse(order, b).ok_or_else(|| {
            ApiError::bad_request("QUERY_INVALID", "before 不是本排序方式下的翻页位置")
        })?),
    };
    let app = state.app.clone();
    let body = blocking(move || {
        let f = RecordFilter {
            provider_id: q.provider_id,
            subject_ids: q.subject_id.map(|s| vec![s]),
            state: status,
            category: q.category.clone(),
            document_no: q.document_no.clone(),
            sent_back: None,
            ..Default::default()
        };
        // Each record is written out as it is read, from the database's own buffers; only the
        // finished body crosses back to the async side. One more row than asked says whether
        // there is a next page. The use case leaves out in the database what the caller may
        // not see, so pages are full; `shown` is a second fence, and the cursor is built only
        // from a row that was shown: an empty page has none, and none names a hidden row.
        let mut page = PageWriter::with_rows(limit as usize);
        let (mut read, mut more, mut last) = (0u32, false, None);
        let who = caller.who();
        probity_app::records::visit(&app, &who, f, order, at.as_ref(), limit + 1, |r, shown| {
            if read == limit {
                more = true;
                return Ok(());
            }
            read += 1;
            if shown {
                last = Some((r.id, r.decided_on.to_string()));
                page.push(&RecordSummaryView::from(r))
                    .map_err(|e| probity_app::AppError::Other(e.to_string()))?;
            }
            Ok(())
        })?;
        let next_cursor = last
            .filter(|_| more)
            .map(|(id, day)| Cursor::past(order, id, &day).encode());
        page.finish(next_cursor.as_deref())
    })
    .await?;
    Ok(([(header::CONTENT_TYPE, "application/json")], body).into_response())
}

/// Writes a [`RecordPage`] one item at a time, so that the items need not outlive the rows they
/// borrow from. The test below holds it to what serde writes for the whole page.
struct PageWriter {
    out: Vec<u8>,
    items: usize,
}

impl PageWriter {
    fn with_rows(rows: usize) -> PageWriter {
        // About 400 bytes a row: one allocation, no regrowing copies.
        let mut out = Vec::with_capacity(256 + rows * 512);
        out.extend_from_slice(br#"{"items":["#);
        PageWriter { out, items: 0 }
    }

    fn push(&mut self, item: &impl Serialize) -> Result<(), probity_store::StoreError> {
        if self.items > 0 {
            self.out.push(b',');
        }
        self.items += 1;
        serde_json::to_writer(&mut self.out, item)
            .map_err(|e| probity_store::StoreError::Internal(e.to_string()))
    }

    fn finish(mut self, next_cursor: Option<&str>) -> Result<Vec<u8>, ApiError> {
        self.out.extend_from_slice(br#"],"next_cursor":"#);
        serde_json::to_writer(&mut self.out, &next_cursor)
            .map_err(|e| ApiError::Internal(e.to_string()))?;
        self.out.push(b'}');
        Ok(self.out)
    }
}

/// A record as a form or another system sends it. The fields are the import columns.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RecordInput {
    pub subject_name: String,
    #[serde(default)]
    pub uscc: String,
    #[serde(default)]
    pub id_number: String,
    pub category: String,
    pub document_no: String,
    pub decided_on: String,
    pub authority: String,
    pub facts: String,
    #[serde(default)]
    pub basis: String,
    pub outcome: String,
    #[serde(default)]
    pub severity: String,
    #[serde(default)]
    pub scope: String,
    #[serde(default)]
    pub disclosure_until: String,
    /// The credit office names the provider (short name, full name or USCC); a provider account
    /// always submits as its own unit.
    pub provider: Option<String>,
    /// Submit at once (default) or keep as a draft.
    pub submit: Option<bool>,
}

impl RecordInput {
    fn row(&self) -> RecordRow {
        RecordRow {
            subject_name: self.subject_name.clone(),
            uscc: self.uscc.clone(),
            id_number: self.id_number.clone(),
            category: self.category.clone(),
            document_no: self.document_no.clone(),
            decided_on: self.decided_on.clone(),
            authority: self.authority.clone(),
            facts: self.facts.clone(),
            basis: self.basis.clone(),
            outcome: self.outcome.clone(),
            severity: self.severity.clone(),
            scope: self.scope.clone(),
            disclosure_until: self.disclosure_until.clone(),
        }
    }
}

/// Submits one record (or saves a draft). Identical content sent again answers 200 with the
/// record already there.
#[utoipa::path(post, path = "/api/v1/records", tag = "records", request_body = RecordInput,
    responses((status = 201, body = RecordView), (status = 200, body = RecordView), (status = 422, body = ErrorBody), (status = 409, body = ErrorBody)))]
async fn create_record(
    State(state): State<AppState>,
    caller: Caller,
    Body(input): Body<RecordInput>,
) -> Result<Response, ApiError> {
    let app = state.app.clone();
    let saved = blocking(move || {
        let new = NewInput {
            row: input.row(),
            provider: input.provider.clone(),
            draft: input.submit == Some(false),
        };
        let via = Via {
            channel: Channel::Api,
            source: "POST /api/v1/records".into(),
        };
        Ok(probity_app::records::create(&app, &caller.who(), new, via)?)
    })
    .await?;
    Ok(match saved {
        Saved::New(r) => (StatusCode::CREATED, Json(RecordView::from(&r))).into_response(),
        Saved::Existing(r) => (StatusCode::OK, Json(RecordView::from(&r))).into_response(),
    })
}

/// One record.
#[utoipa::path(get, path = "/api/v1/records/{id}", tag = "records", params(("id" = i64, Path)),
    responses((status = 200, body = RecordView), (status = 404, body = ErrorBody)))]
async fn get_record(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
) -> Result<Json<RecordView>, ApiError> {
    let id = parse_id(&id)?;
    let app = state.app.clone();
    let r = blocking(move || Ok(probity_app::records::get(&app, &caller.who(), id)?)).await?;
    Ok(Json((&r).into()))
}

/// Corrects a draft or submitted record (更正).
#[utoipa::path(put, path = "/api/v1/records/{id}", tag = "records", params(("id" = i64, Path)), request_body = RecordInput,
    responses((status = 200, body = RecordView), (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)))]
async fn correct_record(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
    Body(input): Body<RecordInput>,
) -> Result<Json<RecordView>, ApiError> {
    let id = parse_id(&id)?;
    let app = state.app.clone();
    let r = blocking(move || {
        Ok(probity_app::records::correct(
            &app,
            &caller.who(),
            id,
            input.row(),
        )?)
    })
    .await?;
    Ok(Json((&r).into()))
}

#[derive(Debug, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct TransitionRequest {
    /// Why (required to send back or revoke).
    #[serde(default)]
    pub reason: String,
}

async fn act(
    state: AppState,
    caller: Caller,
    id: String,
    action: Action,
    reason: String,
) -> Result<Json<RecordView>, ApiError> {
    let id = parse_id(&id)?;
    let app = state.app.clone();
    let r = blocking(move || {
        Ok(probity_app::records::act(
            &app,
            &caller.who(),
            id,
            action,
            &reason,
        )?)
    })
    .await?;
    Ok(Json((&r).into()))
}

/// Submits a draft (报送).
#[utoipa::path(post, path = "/api/v1/records/{id}/submit", tag = "records", params(("id" = i64, Path)),
    request_body = TransitionRequest, responses((status = 200, body = RecordView), (status = 409, body = ErrorBody)))]
async fn submit_record(
    State(s): State<AppState>,
    c: Caller,
    Path(id): Path<String>,
    Body(b): Body<TransitionRequest>,
) -> Result<Json<RecordView>, ApiError> {
    act(s, c, id, Action::Submit, b.reason).await
}

/// Activates a submitted record (审核生效, credit office).
#[utoipa::path(post, path = "/api/v1/records/{id}/activate", tag = "records", params(("id" = i64, Path)),
    request_body = TransitionRequest, responses((status = 200, body = RecordView), (status = 409, body = ErrorBody)))]
async fn activate_record(
    State(s): State<AppState>,
    c: Caller,
    Path(id): Path<String>,
    Body(b): Body<TransitionRequest>,
) -> Result<Json<RecordView>, ApiError> {
    act(s, c, id, Action::Activate, b.reason).await
}

/// Sends a submitted record back to its provider with a reason (退回, credit office).
#[utoipa::path(post, path = "/api/v1/records/{id}/send-back", tag = "records", params(("id" = i64, Path)),
    request_body = TransitionRequest, responses((status = 200, body = RecordView), (status = 409, body = ErrorBody)))]
async fn send_back_record(
    State(s): State<AppState>,
    c: Caller,
    Path(id): Path<String>,
    Body(b): Body<TransitionRequest>,
) -> Result<Json<RecordView>, ApiError> {
    act(s, c, id, Action::SendBack, b.reason).await
}

/// Revokes a record with a reason (撤销, credit office).
#[utoipa::path(post, path = "/api/v1/records/{id}/revoke", tag = "records", params(("id" = i64, Path)),
    request_body = TransitionRequest, responses((status = 200, body = RecordView), (status = 409, body = ErrorBody)))]
async fn revoke_record(
    State(s): State<AppState>,
    c: Caller,
    Path(id): Path<String>,
    Body(b): Body<TransitionRequest>,
) -> Result<Json<RecordView>, ApiError> {
    act(s, c, id, Action::Revoke, b.reason).await
}

/// The record's history: every audit entry, who and when.
#[utoipa::path(get, path = "/api/v1/records/{id}/audit", tag = "records", params(("id" = i64, Path)),
    responses((status = 200, body = Vec<HistoryView>)))]
async fn record_audit(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
) -> Result<Json<Vec<HistoryView>>, ApiError> {
    let id = parse_id(&id)?;
    let app = state.app.clone();
    let entries =
        blocking(move || Ok(probity_app::records::history(&app, &caller.who(), id)?)).await?;
    Ok(Json(entries.into_iter().map(HistoryView::from).collect()))
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::borrow::Cow;

    fn summary(id: i64, name: &str) -> probity_store::SummaryRef<'_> {
        probity_store::SummaryRef {
            id,
            subject_id: 7,
            subject_name: Cow::Borrowed(name),
            provider_id: 3,
            category: Cow::Borrowed("PAYMENT_ARREARS"),
            kind: probity_domain::catalog::RecordKind::Dishonest,
            document_no: Cow::Borrowed("津滨财〔2025〕1号"),
            decided_on: chrono::NaiveDate::from_ymd_opt(2025, 6, 1).unwrap(),
            severity: None,
            scope: probity_domain::catalog::Scope::Public,
            disclosure_until: chrono::NaiveDate::from_ymd_opt(2028, 6, 1).unwrap(),
            state: RecordState::Active,
            last_seq: 42,
            sent_back: None,
        }
    }

    /// The page written item by item is exactly what serde writes for the whole page, with no
    /// items, one, or several, with and without a next cursor, and with text that needs escaping.
    #[test]
    fn the_page_writer_writes_what_the_schema_describes() {
        let rows = [
            summary(3, "新河街道"),
            summary(2, "名称含\"引号\"与\\反斜杠\n"),
            summary(1, "<b>大沽</b>"),
        ];
        for n in 0..=rows.len() {
            for next in [None, Some("2025-06-01_17")] {
                let mut w = PageWriter::with_rows(n);
                for r in &rows[..n] {
                    w.push(&RecordSummaryView::from(r)).unwrap();
                }
                let written = w.finish(next).unwrap();
                let whole = serde_json::to_vec(&RecordPage {
                    items: rows[..n].iter().map(RecordSummaryView::from).collect(),
                    next_cursor: next.map(str::to_string),
                })
                .unwrap();
                assert_eq!(
                    String::from_utf8(written).unwrap(),
                    String::from_utf8(whole).unwrap()
                );
            }
        }
    }
}
