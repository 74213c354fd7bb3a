//! The single-query half of the search benchmark: each query answered by the search index and by
//! the `LIKE '%…%'` scan a typical portal runs over the same records, in the same run.
//!
//! `cargo run --release --example search_bench -- INDEX_DIR DB_URL [DB_URL …] -- QUERY …`
//!
//! Prints one tab-separated line per query and backend:
//! `query  chars  index_p50_ms  index_p99_ms  index_total  backend  like_ms  like_rows  speedup`.

use std::time::Instant;

use probity_search::{SearchIndex, SearchQuery};
use probity_store::db::{Pool, Val};

/// What a portal without a search engine runs: every public, disclosed record whose texts or
/// subject contain the words, newest decision first.
const LIKE_SQL: &str = "SELECT id, subject_name, document_no, decided_on FROM records \
    WHERE state IN ('active', 'objected') AND scope = 'public' \
    AND (subject_name LIKE $1 OR facts LIKE $1 OR document_no LIKE $1 OR authority LIKE $1 \
         OR outcome LIKE $1 \
         OR subject_id IN (SELECT id FROM subjects WHERE uscc LIKE $1)) \
    ORDER BY decided_on DESC LIMIT 20";

fn percentile(sorted: &[f64], p: f64) -> f64 {
    let i = ((sorted.len() as f64 - 1.0) * p).round() as usize;
    sorted[i.min(sorted.len() - 1)]
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let split = args.iter().position(|a| a == "--").unwrap_or(args.len());
    let (head, queries) = args.split_at(split);
    let queries = queries.get(1..).unwrap_or_default();
    let Some((index_dir, urls)) = head.split_first() else {
        eprintln!("用法：search_bench INDEX_DIR DB_URL [DB_URL …] -- QUERY …");
        std::process::exit(2);
    };
    let index = SearchIndex::open(std::path::Path::new(index_dir), 20_000_000)?;
    let today = probity_app::today();
    let pools: Vec<(String, Pool)> = urls
        .iter()
        .map(|u| {
            let name = if u.starts_with("postgres") {
                "postgres"
            } else {
                "sqlite"
            };
            Ok((name.to_string(), Pool::open(u)?))
        })
        .collect::<Result<_, Box<dyn std::error::Error>>>()?;
    for q in queries {
        let query = SearchQuery {
            text: q.clone(),
            limit: 20,
            ..Default::default()
        };
        // Warm up, then time 200 runs.
        let mut total = 0;
        for _ in 0..20 {
            total = index.search_uncached(&query, today)?.total;
        }
        let mut times: Vec<f64> = (0..200)
            .map(|_| {
                let t = Instant::now();
                let _ = index.search_uncached(&query, today);
                t.elapsed().as_secs_f64() * 1000.0
            })
            .collect();
        times.sort_by(f64::total_cmp);
        let (p50, p99) = (percentile(&times, 0.5), percentile(&times, 0.99));
        for (name, pool) in &pools {
            let mut c = pool.get()?;
            let pattern = Val::from(format!("%{q}%").as_str());
            // One warm-up scan (the file in the page cache), then the best of three.
            let mut rows = c.query(LIKE_SQL, std::slice::from_ref(&pattern))?.len();
            let mut best = f64::MAX;
            for _ in 0..3 {
                let t = Instant::now();
                rows = c.query(LIKE_SQL, std::slice::from_ref(&pattern))?.len();
                best = best.min(t.elapsed().as_secs_f64() * 1000.0);
            }
            println!(
                "{q}\t{}\t{p50:.3}\t{p99:.3}\t{total}\t{name}\t{best:.1}\t{rows}\t{:.0}",
                q.chars().count(),
                best / p50
            );
        }
    }
    Ok(())
}
