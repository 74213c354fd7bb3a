//! The baseline of the import benchmark: the same rows inserted with one plain prepared statement
//! in one transaction, with no validation, dedup, journal or change feed.
//!
//! `cargo run --release --example raw_insert -- DB_URL RECORDS.csv`

use std::time::Instant;

use probity_ingest::TableReader;
use probity_store::db::{Pool, Val};

use probity_app::columns;

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let args: Vec<String> = std::env::args().collect();
    let [_, url, file] = args.as_slice() else {
        eprintln!("用法：raw_insert DB_URL RECORDS.csv");
        std::process::exit(2);
    };
    let pool = Pool::open(url)?;
    let mut c = pool.get()?;
    c.batch("DROP TABLE IF EXISTS raw_records")?;
    let cols: Vec<String> = columns::RECORDS
        .iter()
        .map(|c| format!("{} TEXT", c.key))
        .collect();
    c.batch(&format!(
        "CREATE TABLE raw_records (id BIGINT PRIMARY KEY, {})",
        cols.join(", ")
    ))?;
    let names: Vec<&str> = columns::RECORDS.iter().map(|c| c.key).collect();
    let params: Vec<String> = (1..=names.len() + 1).map(|i| format!("${i}")).collect();
    let sql = format!(
        "INSERT INTO raw_records (id, {}) VALUES ({})",
        names.join(", "),
        params.join(", ")
    );
    let start = Instant::now();
    let reader = TableReader::open(std::path::Path::new(file), columns::RECORDS)?;
    c.batch("BEGIN")?;
    let mut n: i64 = 0;
    for row in reader {
        let row = row?;
        n += 1;
        let mut vals = Vec::with_capacity(names.len() + 1);
        vals.push(Val::Int(n));
        vals.extend(row.cells.into_iter().map(Val::Text));
        c.exec(&sql, &vals)?;
    }
    c.batch("COMMIT")?;
    let secs = start.elapsed().as_secs_f64();
    println!(
        "raw_insert rows={n} seconds={secs:.3} rows_per_sec={:.0}",
        n as f64 / secs
    );
    Ok(())
}
