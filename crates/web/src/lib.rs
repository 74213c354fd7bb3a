//! The HTTP layer of Probity (axum). This issue serves the health check; the JSON API and the
//! pages come next. Handlers translate between HTTP and the store; they hold no business rule.

use std::net::SocketAddr;

use axum::Router;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Json};
use axum::routing::get;
use probity_store::Store;
use serde_json::json;

#[derive(Clone)]
pub struct AppState {
    pub store: Store,
}

pub fn router(store: Store) -> Router {
    Router::new()
        .route("/healthz", get(healthz))
        .with_state(AppState { store })
}

/// Liveness and readiness in one: the process answers and the database answers.
async fn healthz(State(state): State<AppState>) -> impl IntoResponse {
    let store = state.store.clone();
    let result = tokio::task::spawn_blocking(move || store.head_seq()).await;
    match result {
        Ok(Ok(seq)) => (
            StatusCode::OK,
            Json(json!({ "status": "ok", "database": "ok", "head_seq": seq })),
        ),
        Ok(Err(e)) => {
            tracing::error!(error = %e, "health check: database unavailable");
            (
                StatusCode::SERVICE_UNAVAILABLE,
                Json(
                    json!({ "status": "error", "database": "unavailable", "message": "数据库不可用" }),
                ),
            )
        }
        Err(e) => {
            tracing::error!(error = %e, "health check task failed");
            (
                StatusCode::INTERNAL_SERVER_ERROR,
                Json(json!({ "status": "error", "message": "内部错误" })),
            )
        }
    }
}

/// Serves until `shutdown` resolves, then finishes the requests in flight.
pub async fn serve(
    store: Store,
    listener: tokio::net::TcpListener,
    shutdown: impl std::future::Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    let addr: Option<SocketAddr> = listener.local_addr().ok();
    tracing::info!(?addr, "probity serving");
    axum::serve(listener, router(store))
        .with_graceful_shutdown(shutdown)
        .await
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn healthz_answers_on_a_real_port() {
        let store = Store::open(
            "sqlite::memory:",
            probity_store::Keys::from_master(&[3u8; 32]),
        )
        .unwrap();
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let (tx, rx) = tokio::sync::oneshot::channel::<()>();
        let server = tokio::spawn(serve(store, listener, async {
            let _ = rx.await;
        }));
        let mut stream = tokio::net::TcpStream::connect(addr).await.unwrap();
        use tokio::io::{AsyncReadExt, AsyncWriteExt};
        stream
            .write_all(b"GET /healthz HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n")
            .await
            .unwrap();
        let mut body = String::new();
        stream.read_to_string(&mut body).await.unwrap();
        assert!(body.starts_with("HTTP/1.1 200"), "{body}");
        assert!(body.contains(r#""status":"ok""#), "{body}");
        // The default catalog was installed and journaled: the feed is not empty.
        assert!(body.contains(r#""head_seq":15"#), "{body}");
        tx.send(()).unwrap();
        server.await.unwrap().unwrap();
    }
}
