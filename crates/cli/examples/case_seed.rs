//! Seeds open cases for the tick benchmark (`bench/tick.sh`): N rectification cases on the first
//! N active records about units, their deadlines spread over the working days around TODAY (some
//! overdue, some due soon, most on time), and the rectification clock moved to the journal's
//! head so that the benchmark measures the deadline clock, not the opening of a million cases.
//! Written straight into the tables, without journal entries: a benchmark database, never one
//! to verify.
//!
//! `cargo run --release --example case_seed -- DB_URL N TODAY`

use chrono::{Days, NaiveDate};
use probity_store::db::{Pool, Val};

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let [url, n, today] = args.as_slice() else {
        return Err("usage: case_seed DB_URL N TODAY".into());
    };
    let n: i64 = n.parse()?;
    let today: NaiveDate = today.parse()?;
    // Opening the store runs the migrations (the case tables).
    let keys = probity_store::Keys::from_master(&[7u8; 32]);
    drop(probity_store::Store::open(url, keys)?);
    let pool = Pool::open(url)?;
    let mut c = pool.get()?;
    let records = c.query(
        &format!(
            "SELECT r.id AS id, r.subject_id AS subject_id FROM records r \
             JOIN subjects s ON s.id = r.subject_id \
             WHERE r.state = 'active' AND s.kind <> 'civil_servant' \
             AND NOT EXISTS (SELECT 1 FROM cases c WHERE c.record_id = r.id) \
             ORDER BY r.id LIMIT {n}"
        ),
        &[],
    )?;
    let now = format!("{today}T01:00:00.000000Z");
    let first = c
        .query_int("SELECT COALESCE(MAX(id), 0) AS n FROM cases", &[])?
        .unwrap_or(0)
        + 1;
    let rows: Vec<Vec<Val>> = records
        .iter()
        .enumerate()
        .map(|(i, r)| {
            // From 20 days overdue to 180 days ahead, evenly.
            let offset = (i as i64 % 200) - 20;
            let deadline = if offset < 0 {
                today.checked_sub_days(Days::new(offset.unsigned_abs()))
            } else {
                today.checked_add_days(Days::new(offset as u64))
            }
            .unwrap_or(today);
            let subject = r.int("subject_id").ok().flatten().unwrap_or_default();
            vec![
                Val::Int(first + i as i64),
                Val::from("rectification"),
                Val::from("open"),
                Val::Int(r.int("id").ok().flatten().unwrap_or_default()),
                Val::Int(subject),
                Val::from("system"),
                Val::Int(subject),
                Val::from(deadline.to_string()),
                Val::from("on_time"),
                Val::from("记录生效，请书面说明原因并限期整改"),
                Val::from("基准测试案件"),
                Val::from("{}"),
                Val::from(now.as_str()),
                Val::from(now.as_str()),
            ]
        })
        .collect();
    let count = rows.len();
    c.write(|c| {
        for chunk in rows.chunks(10_000) {
            c.insert_many(
                "cases",
                &[
                    "id",
                    "kind",
                    "state",
                    "record_id",
                    "subject_id",
                    "applicant_kind",
                    "assignee_unit",
                    "deadline",
                    "due",
                    "title",
                    "body",
                    "detail",
                    "created_at",
                    "updated_at",
                ],
                chunk.to_vec(),
                "",
            )?;
        }
        c.exec(
            "UPDATE clock_positions SET seq = (SELECT COALESCE(MAX(seq), 0) FROM journal) \
             WHERE name = 'rectification'",
            &[],
        )?;
        Ok(())
    })?;
    if url.starts_with("postgres") {
        // Ids drawn by the database afterwards continue past the seeded ones.
        c.batch(
            "SELECT setval(pg_get_serial_sequence('cases', 'id'), (SELECT MAX(id) FROM cases))",
        )?;
    }
    println!("{count}");
    Ok(())
}
