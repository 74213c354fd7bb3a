//! The server fixture: the platform on a loopback port, on a thread of its own with its own tokio
//! runtime (so that the store, and a PostgreSQL client inside it, is never used from the test's
//! thread inside a runtime), stopped when dropped.
//!
//! By default the router of `probity_web::app_with` runs in process with a search index the
//! fixture holds: it indexes what the database holds when it starts, as `probity serve` does,
//! and after that whenever the test calls `catch_up`, so that no test waits for an indexer
//! thread. `Serve` runs `probity_web::serve_with_metrics` instead, as `probity serve` runs it,
//! with its own index and indexer thread.

use std::sync::Arc;

use probity_app::reindex::ReindexReport;
use probity_domain::account::AccountRole;
use probity_search::SearchIndex;
use probity_store::Store;
use probity_web::{PagesConfig, WebConfig};

use crate::accounts::{Accounts, Cred};
use crate::browser::Browser;

/// How the server is configured.
#[derive(Default)]
pub struct Options {
    pub web: WebConfig,
    /// The pages' settings: upload limit and directory, public rate limit; `search_every` only
    /// under `Serve`.
    pub pages: PagesConfig,
    /// Run as `probity serve` does instead of the router in process.
    pub serve: Option<Serve>,
}

/// `probity_web::serve_with_metrics`: the server's own search index, caught up by its own indexer
/// thread every `pages.search_every`, and `/metrics` alone on `metrics` when given.
#[derive(Default)]
pub struct Serve {
    pub metrics: Option<std::net::TcpListener>,
}

/// A running server.
pub struct Server {
    /// `http://127.0.0.1:<port>`.
    pub base: String,
    /// A client of the server's own, following redirects.
    pub client: reqwest::blocking::Client,
    store: Store,
    /// The index the router searches, unless the server keeps its own (`Serve`).
    index: Option<Arc<SearchIndex>>,
    shutdown: Option<tokio::sync::oneshot::Sender<()>>,
    thread: Option<std::thread::JoinHandle<()>>,
}

impl Server {
    /// A server with the default configuration.
    pub fn start(store: &Store) -> Server {
        Server::start_with(store, Options::default())
    }

    pub fn start_with(store: &Store, options: Options) -> Server {
        let Options { web, pages, serve } = options;
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        listener.set_nonblocking(true).unwrap();
        let base = format!("http://{}", listener.local_addr().unwrap());
        let (tx, rx) = tokio::sync::oneshot::channel::<()>();
        let shutdown = async move {
            let _ = rx.await;
        };
        let index = match serve {
            Some(_) => None,
            None => Some(Arc::new(
                SearchIndex::in_memory().expect("an in-memory index needs no IO"),
            )),
        };
        let (server_store, server_index) = (store.clone(), index.clone());
        let thread = std::thread::spawn(move || {
            let rt = tokio::runtime::Runtime::new().unwrap();
            rt.block_on(async move {
                let listener = tokio::net::TcpListener::from_std(listener).unwrap();
                match (server_index, serve) {
                    (Some(index), _) => {
                        let (router, _) = probity_web::app_with(server_store, web, pages, index);
                        // Client addresses reach the handlers as under `serve` (the rate limits
                        // count per client).
                        let app =
                            router.into_make_service_with_connect_info::<std::net::SocketAddr>();
                        axum::serve(listener, app)
                            .with_graceful_shutdown(shutdown)
                            .await
                            .unwrap();
                    }
                    (None, serve) => {
                        let metrics = serve.and_then(|s| s.metrics).map(|m| {
                            m.set_nonblocking(true).unwrap();
                            tokio::net::TcpListener::from_std(m).unwrap()
                        });
                        probity_web::serve_with_metrics(
                            server_store,
                            web,
                            pages,
                            listener,
                            metrics,
                            shutdown,
                        )
                        .await
                        .unwrap();
                    }
                }
            });
        });
        let server = Server {
            base,
            client: reqwest::blocking::Client::new(),
            store: store.clone(),
            index,
            shutdown: Some(tx),
            thread: Some(thread),
        };
        if server.index.is_some() {
            // Where `serve`'s indexer begins: with what the database holds.
            server.catch_up();
        }
        server
    }

    /// The address of `path_and_query` on this server.
    pub fn url(&self, path_and_query: &str) -> String {
        format!("{}{path_and_query}", self.base)
    }

    /// A request on the server's client; `method` as the authorisation table spells it.
    pub fn req(&self, method: &str, path: &str) -> reqwest::blocking::RequestBuilder {
        let m = reqwest::Method::from_bytes(method.as_bytes()).unwrap();
        self.client.request(m, self.url(path))
    }

    /// Brings the search index up with the database now, as the indexer thread of `serve` does
    /// every few seconds.
    pub fn catch_up(&self) -> ReindexReport {
        let index = self
            .index
            .as_ref()
            .expect("a server started with `Serve` keeps its index up by itself");
        probity_app::reindex::catch_up(&self.store, index, probity_app::today())
            .expect("search index catch-up")
    }

    /// A browser without a session.
    pub fn browser(&self) -> Browser {
        Browser::new(&self.base)
    }

    /// A browser logged in as the account `name`, with a session made by the store.
    pub fn browser_of(&self, name: &str) -> Browser {
        let a = self.store.account_by_name(name).unwrap().unwrap();
        let s = self
            .store
            .create_session(a.id, chrono::TimeDelta::hours(1), chrono::Utc::now())
            .unwrap();
        let mut b = self.browser();
        b.cookies.push(("probity_session".into(), s.token));
        b
    }

    /// A browser logged in as `role`'s account of `accounts` (the administrators used their
    /// one-time code at enrolment, so logging in through the form would wait for the next one).
    pub fn browser_as(&self, accounts: &Accounts, role: AccountRole) -> Browser {
        self.browser_of(&accounts.name(role))
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        if let Some(tx) = self.shutdown.take() {
            let _ = tx.send(());
        }
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
    }
}

/// Sends a request as one of the accounts.
pub trait ActingAs {
    fn acting_as(self, accounts: &Accounts, role: AccountRole) -> Self;
}

impl ActingAs for reqwest::blocking::RequestBuilder {
    fn acting_as(self, accounts: &Accounts, role: AccountRole) -> Self {
        match accounts.cred(role) {
            Cred::Bearer(t) => self.bearer_auth(t),
            Cred::Session { token, csrf } => self
                .header("cookie", format!("probity_session={token}"))
                .header("x-csrf-token", csrf),
        }
    }
}
