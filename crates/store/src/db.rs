//! The thin layer under the store that makes SQLite and PostgreSQL look alike: one value type, one
//! connection type, `$1`-style placeholders everywhere (rewritten to `?1` for SQLite), explicit
//! write transactions that serialise writers (SQLite `BEGIN IMMEDIATE`, PostgreSQL an advisory
//! lock), and multi-row inserts so that PostgreSQL is not paid a round trip per row.

use std::collections::HashMap;
use std::fmt::Write as _;
use std::sync::{Arc, Condvar, Mutex};
use std::time::Duration;

use postgres::types::{IsNull, ToSql, Type, to_sql_checked};
use r2d2_sqlite::SqliteConnectionManager;
use r2d2_sqlite::rusqlite;

use crate::error::{StoreError, StoreResult};

/// A value as it goes in and out of either database. Dates and times are text in fixed formats,
/// integers are 64-bit, digests and ciphertexts are blobs.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum Val {
    Null,
    Int(i64),
    Text(String),
    Blob(Vec<u8>),
    /// A text array, for `= ANY($n)` on PostgreSQL; SQLite takes IN lists instead.
    TextList(Vec<String>),
}

impl Val {
    pub fn text(&self) -> Option<&str> {
        match self {
            Val::Text(s) => Some(s),
            _ => None,
        }
    }
    pub fn int(&self) -> Option<i64> {
        match self {
            Val::Int(i) => Some(*i),
            _ => None,
        }
    }
    pub fn blob(&self) -> Option<&[u8]> {
        match self {
            Val::Blob(b) => Some(b),
            _ => None,
        }
    }
    /// Feeds the value into a digest in a form that cannot be confused with another value:
    /// a type tag, a length, the bytes.
    pub fn canonical_bytes(&self, out: &mut Vec<u8>) {
        match self {
            Val::Null => out.push(0),
            Val::Int(i) => {
                out.push(1);
                out.extend_from_slice(&i.to_be_bytes());
            }
            Val::Text(s) => {
                out.push(2);
                out.extend_from_slice(&(s.len() as u64).to_be_bytes());
                out.extend_from_slice(s.as_bytes());
            }
            Val::Blob(b) => {
                out.push(3);
                out.extend_from_slice(&(b.len() as u64).to_be_bytes());
                out.extend_from_slice(b);
            }
            Val::TextList(items) => {
                out.push(4);
                out.extend_from_slice(&(items.len() as u64).to_be_bytes());
                for s in items {
                    Val::Text(s.clone()).canonical_bytes(out);
                }
            }
        }
    }
}

impl From<i64> for Val {
    fn from(v: i64) -> Self {
        Val::Int(v)
    }
}
impl From<&str> for Val {
    fn from(v: &str) -> Self {
        Val::Text(v.to_string())
    }
}
impl From<String> for Val {
    fn from(v: String) -> Self {
        Val::Text(v)
    }
}
impl From<Vec<u8>> for Val {
    fn from(v: Vec<u8>) -> Self {
        Val::Blob(v)
    }
}
impl<T: Into<Val>> From<Option<T>> for Val {
    fn from(v: Option<T>) -> Self {
        v.map(Into::into).unwrap_or(Val::Null)
    }
}

/// One row of a query's answer, read by column name: `row.int("id")`, `row.text("name")`. A
/// column is named as the query names it (its own name, or the `AS` given to an expression);
/// asking for a column the query does not have is an error, never another column's value.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Row {
    names: std::sync::Arc<[String]>,
    vals: Vec<Val>,
}

impl Row {
    /// The value of column `col`.
    pub fn val(&self, col: &str) -> StoreResult<&Val> {
        self.names
            .iter()
            .position(|n| n.eq_ignore_ascii_case(col))
            .map(|i| &self.vals[i])
            .ok_or_else(|| StoreError::Internal(format!("查询结果没有列 {col}")))
    }

    /// An integer column, `None` for NULL.
    pub fn int(&self, col: &str) -> StoreResult<Option<i64>> {
        match self.val(col)? {
            Val::Null => Ok(None),
            Val::Int(i) => Ok(Some(*i)),
            _ => Err(StoreError::Internal(format!("列 {col} 不是整数"))),
        }
    }

    /// A text column, `None` for NULL.
    pub fn text(&self, col: &str) -> StoreResult<Option<&str>> {
        match self.val(col)? {
            Val::Null => Ok(None),
            Val::Text(s) => Ok(Some(s)),
            _ => Err(StoreError::Internal(format!("列 {col} 不是文本"))),
        }
    }

    /// A blob column, `None` for NULL.
    pub fn blob(&self, col: &str) -> StoreResult<Option<&[u8]>> {
        match self.val(col)? {
            Val::Null => Ok(None),
            Val::Blob(b) => Ok(Some(b)),
            _ => Err(StoreError::Internal(format!("列 {col} 不是二进制"))),
        }
    }

    /// An integer column that may not be NULL.
    pub fn need_int(&self, col: &str) -> StoreResult<i64> {
        self.int(col)?
            .ok_or_else(|| StoreError::Internal(format!("列 {col} 为空")))
    }

    /// A text column that may not be NULL.
    pub fn need_text(&self, col: &str) -> StoreResult<&str> {
        self.text(col)?
            .ok_or_else(|| StoreError::Internal(format!("列 {col} 为空")))
    }

    /// A date column (`YYYY-MM-DD`): a value that is not one is an error, never hidden.
    pub fn date(&self, col: &str) -> StoreResult<chrono::NaiveDate> {
        stored_date(col, self.need_text(col)?)
    }

    /// A time column (RFC 3339 UTC).
    pub fn time(&self, col: &str) -> StoreResult<chrono::DateTime<chrono::Utc>> {
        stored_time(col, self.need_text(col)?)
    }

    /// A time column that may be NULL.
    pub fn opt_time(&self, col: &str) -> StoreResult<Option<chrono::DateTime<chrono::Utc>>> {
        self.text(col)?.map(|t| stored_time(col, t)).transpose()
    }

    /// Column `col`, moved out of the row (no copy of a blob that may be large).
    pub fn take(mut self, col: &str) -> StoreResult<Val> {
        self.val(col)?;
        let i = self
            .names
            .iter()
            .position(|n| n.eq_ignore_ascii_case(col))
            .unwrap_or(0);
        Ok(std::mem::replace(&mut self.vals[i], Val::Null))
    }

    /// The values of `cols`, in that order (for a digest over named columns).
    pub fn values_of(&self, cols: &[&str]) -> StoreResult<Vec<Val>> {
        cols.iter().map(|c| self.val(c).cloned()).collect()
    }
}

/// A stored date (`YYYY-MM-DD`) of column `col`.
fn stored_date(col: &str, t: &str) -> StoreResult<chrono::NaiveDate> {
    chrono::NaiveDate::parse_from_str(t, "%Y-%m-%d")
        .map_err(|_| StoreError::Internal(format!("{col} 不是有效日期：{t}")))
}

/// A stored time (RFC 3339) of column `col`.
pub(crate) fn stored_time(col: &str, t: &str) -> StoreResult<chrono::DateTime<chrono::Utc>> {
    chrono::DateTime::parse_from_rfc3339(t)
        .map(|t| t.with_timezone(&chrono::Utc))
        .map_err(|_| StoreError::Internal(format!("{col} 不是有效时间：{t}")))
}

/// Column names of a statement, shared by its rows.
fn names<'a>(cols: impl Iterator<Item = &'a str>) -> std::sync::Arc<[String]> {
    cols.map(str::to_string).collect::<Vec<_>>().into()
}

impl ToSql for Val {
    fn to_sql(
        &self,
        ty: &Type,
        out: &mut bytes::BytesMut,
    ) -> Result<IsNull, Box<dyn std::error::Error + Sync + Send>> {
        match self {
            Val::Null => Ok(IsNull::Yes),
            Val::Int(i) => match *ty {
                Type::INT4 => i32::try_from(*i)?.to_sql(ty, out),
                Type::INT2 => i16::try_from(*i)?.to_sql(ty, out),
                Type::BOOL => (*i != 0).to_sql(ty, out),
                _ => i.to_sql(ty, out),
            },
            Val::Text(s) => s.to_sql(ty, out),
            Val::Blob(b) => b.to_sql(ty, out),
            Val::TextList(items) => items.to_sql(ty, out),
        }
    }
    fn accepts(_: &Type) -> bool {
        true
    }
    to_sql_checked!();
}

impl rusqlite::ToSql for Val {
    fn to_sql(&self) -> rusqlite::Result<rusqlite::types::ToSqlOutput<'_>> {
        use rusqlite::types::{ToSqlOutput, ValueRef};
        Ok(match self {
            Val::Null => ToSqlOutput::Borrowed(ValueRef::Null),
            Val::Int(i) => ToSqlOutput::Borrowed(ValueRef::Integer(*i)),
            Val::Text(s) => ToSqlOutput::Borrowed(ValueRef::Text(s.as_bytes())),
            Val::Blob(b) => ToSqlOutput::Borrowed(ValueRef::Blob(b)),
            Val::TextList(_) => {
                return Err(rusqlite::Error::ToSqlConversionFailure(
                    "SQLite 不支持数组参数".into(),
                ));
            }
        })
    }
}

fn sqlite_val(v: rusqlite::types::ValueRef<'_>) -> Val {
    use rusqlite::types::ValueRef;
    match v {
        ValueRef::Null => Val::Null,
        ValueRef::Integer(i) => Val::Int(i),
        // No column is REAL; a float can only come from an aggregate such as AVG.
        ValueRef::Real(f) => Val::Int(f as i64),
        ValueRef::Text(t) => Val::Text(match std::str::from_utf8(t) {
            Ok(s) => s.to_owned(),
            Err(_) => String::from_utf8_lossy(t).into_owned(),
        }),
        ValueRef::Blob(b) => Val::Blob(b.to_vec()),
    }
}

fn pg_row(row: &postgres::Row, names: &std::sync::Arc<[String]>) -> StoreResult<Row> {
    let mut out = Vec::with_capacity(row.len());
    for (i, col) in row.columns().iter().enumerate() {
        let v = match *col.type_() {
            Type::INT8 => row.try_get::<_, Option<i64>>(i)?.into(),
            Type::INT4 => row.try_get::<_, Option<i32>>(i)?.map(i64::from).into(),
            Type::INT2 => row.try_get::<_, Option<i16>>(i)?.map(i64::from).into(),
            Type::BOOL => row.try_get::<_, Option<bool>>(i)?.map(i64::from).into(),
            Type::BYTEA => row.try_get::<_, Option<Vec<u8>>>(i)?.into(),
            _ => row.try_get::<_, Option<String>>(i)?.into(),
        };
        out.push(v);
    }
    Ok(Row {
        names: names.clone(),
        vals: out,
    })
}

/// `$1` → `?1`: SQLite takes numbered parameters with either sigil, but binds `$N` by name.
fn to_sqlite(sql: &str) -> String {
    let mut out = String::with_capacity(sql.len());
    let mut chars = sql.chars().peekable();
    while let Some(c) = chars.next() {
        if c == '$' && chars.peek().is_some_and(|n| n.is_ascii_digit()) {
            out.push('?');
        } else {
            out.push(c);
        }
    }
    out
}

/// PostgreSQL connections keep their prepared statements, keyed by SQL text.
pub struct PgConn {
    client: postgres::Client,
    statements: HashMap<String, postgres::Statement>,
}

impl PgConn {
    fn statement(&mut self, sql: &str) -> StoreResult<postgres::Statement> {
        if let Some(s) = self.statements.get(sql) {
            return Ok(s.clone());
        }
        let s = self.client.prepare(sql)?;
        if self.statements.len() > 512 {
            self.statements.clear();
        }
        self.statements.insert(sql.to_string(), s.clone());
        Ok(s)
    }
}

pub struct PgManager {
    config: postgres::Config,
}

impl r2d2::ManageConnection for PgManager {
    type Connection = PgConn;
    type Error = postgres::Error;
    fn connect(&self) -> Result<PgConn, postgres::Error> {
        let client = self.config.connect(postgres::NoTls)?;
        Ok(PgConn {
            client,
            statements: HashMap::new(),
        })
    }
    fn is_valid(&self, conn: &mut PgConn) -> Result<(), postgres::Error> {
        conn.client.simple_query("").map(|_| ())
    }
    fn has_broken(&self, conn: &mut PgConn) -> bool {
        conn.client.is_closed()
    }
}

#[derive(Clone)]
pub enum Pool {
    Sqlite(r2d2::Pool<SqliteConnectionManager>, Arc<WriteGate>),
    Postgres(r2d2::Pool<PgManager>),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Dialect {
    Sqlite,
    Postgres,
}

impl Pool {
    pub fn open(url: &str) -> StoreResult<Pool> {
        if let Some(rest) = url
            .strip_prefix("sqlite://")
            .or_else(|| url.strip_prefix("sqlite:"))
        {
            let (path, memory) = match rest {
                ":memory:" | "" => (String::new(), true),
                p => (p.to_string(), false),
            };
            let manager = if memory {
                // One shared in-memory database per pool, for tests.
                let name = format!(
                    "file:probity-mem-{}?mode=memory&cache=shared",
                    unique_suffix()
                );
                SqliteConnectionManager::file(name).with_flags(
                    rusqlite::OpenFlags::SQLITE_OPEN_READ_WRITE
                        | rusqlite::OpenFlags::SQLITE_OPEN_CREATE
                        | rusqlite::OpenFlags::SQLITE_OPEN_URI,
                )
            } else {
                if let Some(dir) = std::path::Path::new(&path).parent()
                    && !dir.as_os_str().is_empty()
                {
                    std::fs::create_dir_all(dir).map_err(|e| {
                        StoreError::Config(format!("无法创建数据库目录 {}：{e}", dir.display()))
                    })?;
                }
                create_private(&path)?;
                SqliteConnectionManager::file(&path)
            };
            let manager = manager.with_init(move |c| {
                c.busy_timeout(BUSY_TIMEOUT)?;
                // WAL is a property of the file: switch only once, since switching takes a lock
                // that a connection opened beside a running write would wait for.
                let mode: String = c.query_row("PRAGMA journal_mode", [], |r| r.get(0))?;
                if !memory && !mode.eq_ignore_ascii_case("wal") {
                    c.pragma_update(None, "journal_mode", "WAL")?;
                }
                c.pragma_update(None, "synchronous", "NORMAL")?;
                c.pragma_update(None, "foreign_keys", "ON")?;
                c.pragma_update(None, "cache_size", -32000)?;
                // Checkpoint every 4 MB of WAL (SQLite's default, made explicit): each one is
                // then a few milliseconds, paid by the commit that crossed the mark. A record
                // import asks for more on its own connection (`start_import`).
                c.pragma_update(None, "wal_autocheckpoint", WAL_PAGES)?;
                // The platform's statements are many more than rusqlite's default 16: a
                // statement pushed out of the cache is parsed and planned again on next use.
                c.set_prepared_statement_cache_capacity(256);
                Ok(())
            });
            let pool = r2d2::Pool::builder()
                .max_size(POOL_SIZE)
                .min_idle(Some(1))
                // A connection to a local file does not go stale between uses.
                .test_on_check_out(false)
                .connection_timeout(Duration::from_secs(30))
                .build(manager)
                .map_err(|e| StoreError::Config(format!("无法打开 SQLite 数据库 {path}：{e}")))?;
            if !memory {
                restrict_companions(&path);
            }
            Ok(Pool::Sqlite(pool, Arc::default()))
        } else if url.starts_with("postgres://") || url.starts_with("postgresql://") {
            let config: postgres::Config = url
                .parse()
                .map_err(|e| StoreError::Config(format!("PostgreSQL 连接串无效：{e}")))?;
            let pool = r2d2::Pool::builder()
                .max_size(POOL_SIZE)
                .min_idle(Some(1))
                .connection_timeout(Duration::from_secs(15))
                .build(PgManager { config })
                .map_err(|e| StoreError::Config(format!("无法连接 PostgreSQL：{e}")))?;
            Ok(Pool::Postgres(pool))
        } else {
            Err(StoreError::Config(format!(
                "不支持的数据库地址：{url}（应以 sqlite:// 或 postgres:// 开头）"
            )))
        }
    }

    pub fn dialect(&self) -> Dialect {
        match self {
            Pool::Sqlite(..) => Dialect::Sqlite,
            Pool::Postgres(_) => Dialect::Postgres,
        }
    }

    pub fn get(&self) -> StoreResult<Conn> {
        Ok(match self {
            Pool::Sqlite(p, gate) => Conn::Sqlite(Box::new(SqliteConn {
                conn: p
                    .get()
                    .map_err(|e| StoreError::Config(format!("数据库连接失败：{e}")))?,
                reserved: HashMap::new(),
                gate: gate.clone(),
                writing: false,
            })),
            Pool::Postgres(p) => Conn::Postgres(Box::new(
                p.get()
                    .map_err(|e| StoreError::Config(format!("数据库连接失败：{e}")))?,
            )),
        })
    }
}

/// Creates a new SQLite database file readable and writable by its owner only (0600), whatever
/// the umask: it holds the whole file of every subject. SQLite gives the `-wal` and `-shm` files
/// it creates later the mode of the database file. An existing file that others may read (left by
/// an older version) is restricted too, with a warning when that is not possible.
fn create_private(path: &str) -> StoreResult<()> {
    #[cfg(unix)]
    {
        use std::os::unix::fs::{OpenOptionsExt, PermissionsExt};
        match std::fs::OpenOptions::new()
            .write(true)
            .create_new(true)
            .mode(0o600)
            .open(path)
        {
            // `mode` is filtered by the umask; set it again so that no umask loosens it.
            Ok(f) => f
                .set_permissions(std::fs::Permissions::from_mode(0o600))
                .map_err(|e| StoreError::Config(format!("无法设置数据库文件 {path} 的权限：{e}"))),
            Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => {
                // A file an older version created 0644 is made private too (SQLite gives the
                // `-wal` it recreates the database file's mode); only a warning when that fails.
                if let Ok(meta) = std::fs::metadata(path)
                    && meta.permissions().mode() & 0o077 != 0
                    && let Err(e) =
                        std::fs::set_permissions(path, std::fs::Permissions::from_mode(0o600))
                {
                    tracing::warn!(
                        path,
                        error = %e,
                        mode = format!("{:o}", meta.permissions().mode() & 0o777),
                        "the database file is readable by other users and cannot be restricted; chmod 600 it"
                    );
                }
                Ok(())
            }
            Err(e) => Err(StoreError::Config(format!(
                "无法创建数据库文件 {path}：{e}"
            ))),
        }
    }
    #[cfg(not(unix))]
    {
        let _ = path;
        Ok(())
    }
}

/// The `-wal` and `-shm` files beside a database, as its owner alone may read them: they hold
/// recent pages of it. (Files left by an older version may have been created 0644.)
fn restrict_companions(path: &str) {
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let owner_only = |p: &str| match std::fs::metadata(p) {
            Ok(meta) if meta.permissions().mode() & 0o077 != 0 => {
                if let Err(e) = std::fs::set_permissions(p, std::fs::Permissions::from_mode(0o600))
                {
                    tracing::warn!(path = p, error = %e, "cannot restrict the permissions of a database file");
                }
            }
            _ => {}
        };
        owner_only(&format!("{path}-wal"));
        owner_only(&format!("{path}-shm"));
    }
    #[cfg(not(unix))]
    let _ = path;
}

fn unique_suffix() -> String {
    use std::sync::atomic::{AtomicU64, Ordering};
    static N: AtomicU64 = AtomicU64::new(0);
    format!(
        "{}-{}",
        std::process::id(),
        N.fetch_add(1, Ordering::Relaxed)
    )
}

/// Connections per pool. Twice the work a caller should run at once (see `probity_web`'s
/// `blocking`), so that an operation that opens a second connection never waits on a full pool.
pub const POOL_SIZE: u32 = 16;

/// A row lent by `Conn::for_each_ref`; its texts borrow from the database driver's buffers.
pub enum RowRef<'a> {
    Sqlite(&'a rusqlite::Row<'a>),
    Postgres(&'a postgres::Row),
}

impl RowRef<'_> {
    /// Integer column `col`, or `None` for NULL.
    pub fn int(&self, col: &str) -> StoreResult<Option<i64>> {
        match self {
            RowRef::Sqlite(r) => Ok(match r.get_ref(col)? {
                rusqlite::types::ValueRef::Integer(n) => Some(n),
                rusqlite::types::ValueRef::Null => None,
                _ => return Err(StoreError::Internal(format!("列 {col} 不是整数"))),
            }),
            RowRef::Postgres(r) => {
                let i = pg_column(r, col)?;
                match *r.columns()[i].type_() {
                    Type::INT8 => Ok(r.try_get::<_, Option<i64>>(i)?),
                    Type::INT4 => Ok(r.try_get::<_, Option<i32>>(i)?.map(i64::from)),
                    Type::INT2 => Ok(r.try_get::<_, Option<i16>>(i)?.map(i64::from)),
                    _ => Err(StoreError::Internal(format!("列 {col} 不是整数"))),
                }
            }
        }
    }

    /// Text column `col`, borrowed where the driver allows, or `None` for NULL.
    pub fn text(&self, col: &str) -> StoreResult<Option<std::borrow::Cow<'_, str>>> {
        use std::borrow::Cow;
        match self {
            RowRef::Sqlite(r) => Ok(match r.get_ref(col)? {
                rusqlite::types::ValueRef::Text(t) => Some(match std::str::from_utf8(t) {
                    Ok(s) => Cow::Borrowed(s),
                    Err(_) => Cow::Owned(String::from_utf8_lossy(t).into_owned()),
                }),
                rusqlite::types::ValueRef::Null => None,
                _ => return Err(StoreError::Internal(format!("列 {col} 不是文本"))),
            }),
            RowRef::Postgres(r) => Ok(r
                .try_get::<_, Option<&str>>(pg_column(r, col)?)?
                .map(Cow::Borrowed)),
        }
    }
}

impl RowRef<'_> {
    /// A date column (`YYYY-MM-DD`) that may not be NULL.
    pub fn date(&self, col: &str) -> StoreResult<chrono::NaiveDate> {
        let t = self
            .text(col)?
            .ok_or_else(|| StoreError::Internal(format!("列 {col} 为空")))?;
        stored_date(col, &t)
    }
}

/// The position of column `col` in a PostgreSQL row.
fn pg_column(r: &postgres::Row, col: &str) -> StoreResult<usize> {
    r.columns()
        .iter()
        .position(|c| c.name() == col)
        .ok_or_else(|| StoreError::Internal(format!("查询结果没有列 {col}")))
}

/// A SQLite connection, and the ids handed out in its open write transaction but not yet
/// inserted (see `Conn::next_ids`).
pub struct SqliteConn {
    conn: r2d2::PooledConnection<SqliteConnectionManager>,
    reserved: HashMap<String, i64>,
    /// The pool's writers queue here before `BEGIN IMMEDIATE`, and `writing` says this
    /// connection holds the turn.
    gate: Arc<WriteGate>,
    writing: bool,
}

/// The WAL pages after which a commit copies them back into the database.
pub(crate) const WAL_PAGES: i64 = 1000;

/// How long a writer waits for another process's write to finish.
const BUSY_TIMEOUT: Duration = Duration::from_secs(30);

/// One writer at a time among a pool's connections, in the order they came (a ticket each),
/// waited for in the process. SQLite's own lock makes a second writer sleep and try again, 1, 2,
/// 5, 10 … ms at a time, long after the first one committed, and lets a late comer in before
/// one that has waited long: under a few concurrent writes (a credit check logs each answer)
/// that made the 99th percentile. Another process writing to the same file still meets SQLite's
/// lock and its busy timeout. The turn is always passed on: at commit, at rollback, or when the
/// connection is dropped in the middle of a transaction.
#[derive(Default)]
pub struct WriteGate {
    /// The next ticket to hand out, and the ticket whose turn it is.
    tickets: Mutex<(u64, u64)>,
    turn: Condvar,
}

impl WriteGate {
    fn enter(&self) {
        let mut t = self.tickets.lock().unwrap_or_else(|e| e.into_inner());
        let mine = t.0;
        t.0 += 1;
        while t.1 != mine {
            t = self.turn.wait(t).unwrap_or_else(|e| e.into_inner());
        }
    }

    fn leave(&self) {
        self.tickets.lock().unwrap_or_else(|e| e.into_inner()).1 += 1;
        self.turn.notify_all();
    }
}

impl SqliteConn {
    fn leave_gate(&mut self) {
        if std::mem::take(&mut self.writing) {
            self.gate.leave();
        }
    }
}

impl Drop for SqliteConn {
    fn drop(&mut self) {
        // A transaction left open (a panic in the middle) is rolled back before the connection
        // goes back to the pool, and the turn is passed on.
        if self.writing {
            if !self.conn.is_autocommit() {
                let _ = self.conn.execute_batch("ROLLBACK");
            }
            self.leave_gate();
        }
    }
}

impl std::ops::Deref for SqliteConn {
    type Target = rusqlite::Connection;
    fn deref(&self) -> &rusqlite::Connection {
        &self.conn
    }
}

pub enum Conn {
    Sqlite(Box<SqliteConn>),
    Postgres(Box<r2d2::PooledConnection<PgManager>>),
}

/// The key of the advisory lock that serialises writers on PostgreSQL (the journal is one chain).
const WRITE_LOCK: i64 = 0x5052_4f42; // "PROB"

impl Conn {
    pub fn dialect(&self) -> Dialect {
        match self {
            Conn::Sqlite(_) => Dialect::Sqlite,
            Conn::Postgres(_) => Dialect::Postgres,
        }
    }

    pub fn batch(&mut self, sql: &str) -> StoreResult<()> {
        match self {
            Conn::Sqlite(c) => c.execute_batch(sql)?,
            Conn::Postgres(c) => c.client.batch_execute(sql)?,
        }
        Ok(())
    }

    pub fn exec(&mut self, sql: &str, params: &[Val]) -> StoreResult<u64> {
        match self {
            Conn::Sqlite(c) => {
                let mut st = c.prepare_cached(&to_sqlite(sql))?;
                Ok(st.execute(rusqlite::params_from_iter(params.iter()))? as u64)
            }
            Conn::Postgres(c) => {
                let st = c.statement(sql)?;
                let p: Vec<&(dyn ToSql + Sync)> =
                    params.iter().map(|v| v as &(dyn ToSql + Sync)).collect();
                Ok(c.client.execute(&st, &p)?)
            }
        }
    }

    /// Like `for_each`, lending each row as the database holds it instead of copying it into
    /// values: for long pages written straight out (the record list), where the copies cost more
    /// than the query.
    pub fn for_each_ref(
        &mut self,
        sql: &str,
        params: &[Val],
        mut f: impl FnMut(&RowRef<'_>) -> StoreResult<()>,
    ) -> StoreResult<()> {
        match self {
            Conn::Sqlite(c) => {
                let mut st = c.prepare_cached(&to_sqlite(sql))?;
                let mut rows = st.query(rusqlite::params_from_iter(params.iter()))?;
                while let Some(r) = rows.next()? {
                    f(&RowRef::Sqlite(r))?;
                }
                Ok(())
            }
            Conn::Postgres(c) => {
                let st = c.statement(sql)?;
                let mut it = c.client.query_raw(&st, params.iter())?;
                use postgres::fallible_iterator::FallibleIterator;
                while let Some(r) = it.next()? {
                    f(&RowRef::Postgres(&r))?;
                }
                Ok(())
            }
        }
    }

    pub fn query(&mut self, sql: &str, params: &[Val]) -> StoreResult<Vec<Row>> {
        let mut out = Vec::new();
        self.for_each(sql, params, |r| {
            out.push(r);
            Ok(())
        })?;
        Ok(out)
    }

    pub fn query_one(&mut self, sql: &str, params: &[Val]) -> StoreResult<Option<Row>> {
        Ok(self.query(sql, params)?.into_iter().next())
    }

    /// The one value a query answers (its only column, first row), `Null` when no row.
    fn query_value(&mut self, sql: &str, params: &[Val]) -> StoreResult<Val> {
        let mut rows = self.query(sql, params)?.into_iter();
        match rows.next() {
            None => Ok(Val::Null),
            Some(Row { mut vals, .. }) if vals.len() == 1 => Ok(vals.pop().unwrap_or(Val::Null)),
            Some(_) => Err(StoreError::Internal(format!("查询应只返回一列：{sql}"))),
        }
    }

    /// The integer a one-column query answers (`COUNT(*)`, `MAX(seq)`), `None` for no row or NULL.
    pub fn query_int(&mut self, sql: &str, params: &[Val]) -> StoreResult<Option<i64>> {
        match self.query_value(sql, params)? {
            Val::Null => Ok(None),
            Val::Int(i) => Ok(Some(i)),
            _ => Err(StoreError::Internal(format!("查询结果不是整数：{sql}"))),
        }
    }

    /// The text a one-column query answers, `None` for no row or NULL.
    pub fn query_text(&mut self, sql: &str, params: &[Val]) -> StoreResult<Option<String>> {
        match self.query_value(sql, params)? {
            Val::Null => Ok(None),
            Val::Text(s) => Ok(Some(s)),
            _ => Err(StoreError::Internal(format!("查询结果不是文本：{sql}"))),
        }
    }

    /// The blob a one-column query answers, `None` for no row or NULL.
    pub fn query_blob(&mut self, sql: &str, params: &[Val]) -> StoreResult<Option<Vec<u8>>> {
        match self.query_value(sql, params)? {
            Val::Null => Ok(None),
            Val::Blob(b) => Ok(Some(b)),
            _ => Err(StoreError::Internal(format!("查询结果不是二进制：{sql}"))),
        }
    }

    /// Streams the rows of a query through `f` without holding them all.
    pub fn for_each(
        &mut self,
        sql: &str,
        params: &[Val],
        mut f: impl FnMut(Row) -> StoreResult<()>,
    ) -> StoreResult<()> {
        match self {
            Conn::Sqlite(c) => {
                let mut st = c.prepare_cached(&to_sqlite(sql))?;
                let n = st.column_count();
                let cols = names(st.column_names().into_iter());
                let mut rows = st.query(rusqlite::params_from_iter(params.iter()))?;
                while let Some(r) = rows.next()? {
                    let mut vals = Vec::with_capacity(n);
                    for i in 0..n {
                        vals.push(sqlite_val(r.get_ref(i)?));
                    }
                    f(Row {
                        names: cols.clone(),
                        vals,
                    })?;
                }
                Ok(())
            }
            Conn::Postgres(c) => {
                let st = c.statement(sql)?;
                let cols = names(st.columns().iter().map(|c| c.name()));
                let mut it = c.client.query_raw(&st, params.iter())?;
                use postgres::fallible_iterator::FallibleIterator;
                while let Some(r) = it.next()? {
                    f(pg_row(&r, &cols)?)?;
                }
                Ok(())
            }
        }
    }

    /// Starts a write transaction. Writers are serialised, which is what keeps the journal a single
    /// gap-free chain.
    pub fn begin_write(&mut self) -> StoreResult<()> {
        match self {
            Conn::Sqlite(c) => {
                c.reserved.clear();
                if !c.writing {
                    c.gate.enter();
                    c.writing = true;
                }
                if let Err(e) = c.conn.execute_batch("BEGIN IMMEDIATE") {
                    c.leave_gate();
                    return Err(e.into());
                }
            }
            Conn::Postgres(c) => {
                c.client.batch_execute("BEGIN")?;
                c.client
                    .execute("SELECT pg_advisory_xact_lock($1)", &[&WRITE_LOCK])?;
            }
        }
        Ok(())
    }

    /// The first of `n` new ids for `table` (whose key column is `id`), drawn from the
    /// database's own sequence; call inside a write transaction. On PostgreSQL that is the
    /// table's identity sequence (ids a rolled-back transaction drew are not reused, as sequences
    /// go). On SQLite it is SQLite's own rule for a rowid: one past the largest in the table,
    /// and past those already handed out in this transaction and not inserted yet.
    pub fn next_ids(&mut self, table: &str, n: i64) -> StoreResult<i64> {
        let n = n.max(1);
        match self {
            Conn::Sqlite(c) => {
                let max: i64 = c.query_row(
                    &format!("SELECT COALESCE(MAX(id), 0) FROM {table}"),
                    [],
                    |r| r.get(0),
                )?;
                let held = c.reserved.get(table).copied().unwrap_or(0);
                let first = (max + 1).max(held);
                c.reserved.insert(table.to_string(), first + n);
                Ok(first)
            }
            Conn::Postgres(c) => {
                let st = c.statement(
                    "SELECT setval(s, nextval(s) + $2 - 1) \
                     FROM (SELECT pg_get_serial_sequence($1, 'id')::regclass AS s) q",
                )?;
                let last: Option<i64> = c.client.query_one(&st, &[&table, &n])?.try_get(0)?;
                let last =
                    last.ok_or_else(|| StoreError::Internal(format!("表 {table} 的 id 没有序列")))?;
                Ok(last - n + 1)
            }
        }
    }

    /// One new id for `table`: see `next_ids`.
    pub fn next_id(&mut self, table: &str) -> StoreResult<i64> {
        self.next_ids(table, 1)
    }

    pub fn commit(&mut self) -> StoreResult<()> {
        let done = self.batch("COMMIT");
        self.leave_gate();
        done
    }

    pub fn rollback(&mut self) {
        if let Err(e) = self.batch("ROLLBACK") {
            tracing::warn!("rollback failed: {e}");
        }
        self.leave_gate();
    }

    /// Passes the write turn on (SQLite), once the transaction is over.
    fn leave_gate(&mut self) {
        if let Conn::Sqlite(c) = self
            && c.conn.is_autocommit()
        {
            c.leave_gate();
        }
    }

    /// Runs `f` in a write transaction: committed when it returns Ok, rolled back otherwise.
    pub fn write<T>(&mut self, f: impl FnOnce(&mut Conn) -> StoreResult<T>) -> StoreResult<T> {
        self.begin_write()?;
        match f(self) {
            Ok(v) => {
                self.commit()?;
                Ok(v)
            }
            Err(e) => {
                self.rollback();
                Err(e)
            }
        }
    }

    /// Inserts many rows: one cached statement per row on SQLite, binary `COPY` on PostgreSQL
    /// (multi-row statements for a few rows, or when `suffix` is set). `suffix` is appended to
    /// each statement (e.g. an ON CONFLICT clause).
    pub fn insert_many(
        &mut self,
        table: &str,
        columns: &[&str],
        rows: Vec<Vec<Val>>,
        suffix: &str,
    ) -> StoreResult<()> {
        match self {
            Conn::Postgres(_) if !suffix.is_empty() => {
                check_rows(table, columns, &rows)?;
                self.insert_statements(table, columns, rows, suffix)
            }
            Conn::Sqlite(c) => sqlite_insert(c, table, columns, rows, suffix),
            Conn::Postgres(_) => self.insert_rows(table, columns, rows),
        }
    }

    /// Inserts the rows as `rows` yields them: on PostgreSQL through one binary `COPY` that the
    /// server works through while the caller builds the next rows (multi-row statements when
    /// there are only a few), on SQLite with one cached statement per row.
    pub fn insert_rows(
        &mut self,
        table: &str,
        columns: &[&str],
        rows: impl IntoIterator<Item = Vec<Val>>,
    ) -> StoreResult<()> {
        let mut rows = rows.into_iter();
        let c = match self {
            Conn::Sqlite(c) => return sqlite_insert(c, table, columns, rows, ""),
            Conn::Postgres(c) => c,
        };
        // A COPY costs two round trips more than a statement: not worth it for a few rows.
        let first: Vec<Vec<Val>> = rows.by_ref().take(COPY_MIN_ROWS).collect();
        if first.len() < COPY_MIN_ROWS {
            check_rows(table, columns, &first)?;
            return self.insert_statements(table, columns, first, "");
        }
        let probe = c.statement(&format!(
            "SELECT {} FROM {table} LIMIT 0",
            columns.join(", ")
        ))?;
        let types: Vec<Type> = probe
            .columns()
            .iter()
            .map(|col| col.type_().clone())
            .collect();
        let sink = c.client.copy_in(&format!(
            "COPY {table} ({}) FROM STDIN (FORMAT binary)",
            columns.join(", ")
        ))?;
        let mut writer = postgres::binary_copy::BinaryCopyInWriter::new(sink, &types);
        for row in first.into_iter().chain(rows) {
            check_row(table, columns, &row)?;
            let refs: Vec<&(dyn ToSql + Sync)> =
                row.iter().map(|v| v as &(dyn ToSql + Sync)).collect();
            writer.write(&refs)?;
        }
        // Dropped unfinished on an error above, the COPY is aborted.
        writer.finish()?;
        Ok(())
    }

    /// Multi-row INSERT statements, as many rows each as the parameter limits allow.
    fn insert_statements(
        &mut self,
        table: &str,
        columns: &[&str],
        rows: Vec<Vec<Val>>,
        suffix: &str,
    ) -> StoreResult<()> {
        let per_stmt = (30_000 / columns.len().max(1)).clamp(1, 500);
        let mut rows = rows.into_iter().peekable();
        while rows.peek().is_some() {
            let mut sql = format!("INSERT INTO {table} ({}) VALUES ", columns.join(", "));
            let mut params: Vec<Val> = Vec::with_capacity(per_stmt * columns.len());
            for (i, row) in rows.by_ref().take(per_stmt).enumerate() {
                sql.push_str(if i == 0 { "(" } else { ", (" });
                for j in 0..row.len() {
                    let _ = write!(
                        sql,
                        "{}${}",
                        if j == 0 { "" } else { ", " },
                        params.len() + j + 1
                    );
                }
                sql.push(')');
                params.extend(row);
            }
            sql.push_str(suffix);
            self.exec(&sql, &params)?;
        }
        Ok(())
    }
}

/// Rows from which a binary `COPY` pays for its two extra round trips.
const COPY_MIN_ROWS: usize = 64;

/// SQLite has no round trips to save: one cached single-row statement is the fastest path. A
/// multi-row statement costs more than it saves (measured: +15% CPU for the records of an
/// import), since a statement that writes several rows and may fail midway keeps a statement
/// journal of every page it changes, so that it can be undone alone.
fn sqlite_insert(
    c: &rusqlite::Connection,
    table: &str,
    columns: &[&str],
    rows: impl IntoIterator<Item = Vec<Val>>,
    suffix: &str,
) -> StoreResult<()> {
    let marks: Vec<String> = (1..=columns.len()).map(|i| format!("?{i}")).collect();
    let sql = format!(
        "INSERT INTO {table} ({}) VALUES ({}){suffix}",
        columns.join(", "),
        marks.join(", ")
    );
    let mut st = c.prepare_cached(&sql)?;
    for row in rows {
        check_row(table, columns, &row)?;
        st.execute(rusqlite::params_from_iter(row.iter()))?;
    }
    Ok(())
}

fn check_row(table: &str, columns: &[&str], row: &[Val]) -> StoreResult<()> {
    if row.len() == columns.len() {
        return Ok(());
    }
    Err(StoreError::Internal(format!(
        "{table}: row of {} values for {} columns",
        row.len(),
        columns.len()
    )))
}

fn check_rows(table: &str, columns: &[&str], rows: &[Vec<Val>]) -> StoreResult<()> {
    rows.iter().try_for_each(|r| check_row(table, columns, r))
}

/// `$k, $k+1, …` for an IN list of `n` values starting at parameter `first`.
pub fn placeholders(first: usize, n: usize) -> String {
    let mut s = String::new();
    for i in 0..n {
        let _ = write!(s, "{}${}", if i == 0 { "" } else { ", " }, first + i);
    }
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn placeholders_are_rewritten_for_sqlite() {
        assert_eq!(to_sqlite("SELECT $1, '$x', $12"), "SELECT ?1, '$x', ?12");
        assert_eq!(placeholders(3, 3), "$3, $4, $5");
    }

    #[test]
    fn rows_are_read_by_name_and_never_by_another_column() {
        let pool = Pool::open("sqlite::memory:").unwrap();
        let mut c = pool.get().unwrap();
        let r = c
            .query_one("SELECT 7 AS n, 'x' AS name, NULL AS gone", &[])
            .unwrap()
            .unwrap();
        assert_eq!(r.int("n").unwrap(), Some(7));
        assert_eq!(
            r.need_text("NAME").unwrap(),
            "x",
            "names are matched as SQL matches them"
        );
        assert_eq!(r.int("gone").unwrap(), None);
        assert!(r.need_int("gone").is_err(), "NULL where a value is needed");
        assert!(r.int("name").is_err(), "a text column is not an integer");
        assert!(
            r.int("missing").is_err(),
            "a column the query does not have"
        );
        assert_eq!(
            c.query_int("SELECT COUNT(*) FROM (SELECT 1) t", &[])
                .unwrap(),
            Some(1)
        );
        assert!(
            c.query_int("SELECT 1, 2", &[]).is_err(),
            "one value, not two"
        );
    }

    #[test]
    fn sqlite_ids_follow_the_rowid_and_what_this_write_handed_out() {
        let pool = Pool::open("sqlite::memory:").unwrap();
        let mut c = pool.get().unwrap();
        c.batch("CREATE TABLE t (id INTEGER PRIMARY KEY, v TEXT)")
            .unwrap();
        c.batch("INSERT INTO t (id, v) VALUES (41, 'old')").unwrap();
        c.begin_write().unwrap();
        let a = c.next_ids("t", 3).unwrap();
        let b = c.next_id("t").unwrap();
        assert_eq!(
            (a, b),
            (42, 45),
            "ids handed out and not yet inserted are not handed again"
        );
        c.rollback();
        c.begin_write().unwrap();
        assert_eq!(
            c.next_id("t").unwrap(),
            42,
            "a new write starts from the table"
        );
        c.rollback();
    }

    #[test]
    fn canonical_bytes_distinguish_types() {
        let mut a = Vec::new();
        Val::Text("1".into()).canonical_bytes(&mut a);
        let mut b = Vec::new();
        Val::Int(1).canonical_bytes(&mut b);
        assert_ne!(a, b);
    }
}
