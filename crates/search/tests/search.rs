//! The search index on its own: Chinese words, exact codes, filters, the disclosure window,
//! snippets, bad queries, replacement and removal, and the change-feed position across a reopen.

use chrono::NaiveDate;
use probity_search::{Hit, RecordDoc, SearchError, SearchIndex, SearchQuery, SubjectDoc};

fn d(s: &str) -> NaiveDate {
    NaiveDate::parse_from_str(s, "%Y-%m-%d").unwrap()
}

const TOWN_USCC: &str = "11120116MB1234567X";

fn record(id: i64, category: &str, facts: &str, decided: &str, until: &str) -> RecordDoc {
    RecordDoc {
        id,
        subject_id: 7,
        subject_name: "天津市滨海新区新河街道办事处".into(),
        subject_kind: "township".into(),
        uscc: Some(TOWN_USCC.into()),
        category: category.into(),
        category_name: match category {
            "PROCUREMENT_BREACH" => "政府采购毁约违约",
            "PAYMENT_ARREARS" => "拖欠企业账款",
            _ => "其他",
        }
        .into(),
        kind: "dishonest".into(),
        severity: Some("ordinary".into()),
        document_no: format!("津滨财〔2025〕{id}号"),
        authority: "天津市滨海新区财政局".into(),
        facts: facts.into(),
        outcome: "责令限期整改".into(),
        decided_on: d(decided),
        disclosed_until: d(until),
        objected: false,
    }
}

fn index() -> SearchIndex {
    let ix = SearchIndex::in_memory().unwrap();
    ix.put_subject(&SubjectDoc {
        id: 7,
        name: "天津市滨海新区新河街道办事处".into(),
        short_name: Some("新河街道".into()),
        kind: "township".into(),
        uscc: Some(TOWN_USCC.into()),
    })
    .unwrap();
    ix.put_record(&record(
        1,
        "PROCUREMENT_BREACH",
        "在政府采购合同履行中无正当理由拒绝验收，构成违约。",
        "2025-03-01",
        "2026-03-01",
    ))
    .unwrap();
    ix.put_record(&record(
        2,
        "PAYMENT_ARREARS",
        "逾期未支付中小企业货款<script>alert(1)</script>。",
        "2024-06-01",
        "2026-06-01",
    ))
    .unwrap();
    ix.put_record(&record(
        3,
        "PROCUREMENT_BREACH",
        "采购项目擅自变更合同，已过公示期。",
        "2022-01-01",
        "2023-01-01",
    ))
    .unwrap();
    ix.commit(42).unwrap();
    ix
}

fn q(text: &str) -> SearchQuery {
    SearchQuery {
        text: text.into(),
        limit: 20,
        ..Default::default()
    }
}

fn record_ids(h: &probity_search::Hits) -> Vec<i64> {
    let mut ids: Vec<i64> = h
        .hits
        .iter()
        .filter_map(|h| match h {
            Hit::Record { id, .. } => Some(*id),
            Hit::Subject { .. } => None,
        })
        .collect();
    ids.sort();
    ids
}

const TODAY: &str = "2025-09-01";

#[test]
fn two_character_words_match_as_words() {
    let ix = index();
    let h = ix.search(&q("采购"), d(TODAY)).unwrap();
    assert_eq!(record_ids(&h), vec![1], "record 3's period is over");
    let Hit::Record { snippet_html, .. } = &h.hits[0] else {
        panic!("{h:?}")
    };
    assert!(snippet_html.contains("<b>采购</b>"), "{snippet_html}");
    let h = ix.search(&q("违约"), d(TODAY)).unwrap();
    assert_eq!(record_ids(&h), vec![1], "{h:?}");
    // Both words must be found (in any field).
    assert_eq!(
        record_ids(&ix.search(&q("采购 货款"), d(TODAY)).unwrap()),
        Vec::<i64>::new()
    );
    assert_eq!(
        record_ids(&ix.search(&q("中小企业 货款"), d(TODAY)).unwrap()),
        vec![2]
    );
}

#[test]
fn codes_are_found_exactly() {
    let ix = index();
    for text in [
        TOWN_USCC,
        &TOWN_USCC.to_lowercase(),
        &format!(" {TOWN_USCC} "),
    ] {
        let h = ix.search(&q(text), d(TODAY)).unwrap();
        assert!(
            matches!(h.hits.first(), Some(Hit::Subject { id: 7, .. })),
            "the unit first for {text:?}: {h:?}"
        );
        assert_eq!(record_ids(&h), vec![1, 2]);
    }
    let h = ix.search(&q("津滨财〔2025〕2号"), d(TODAY)).unwrap();
    assert!(
        matches!(h.hits.first(), Some(Hit::Record { id: 2, .. })),
        "{h:?}"
    );
}

#[test]
fn filters_and_facets() {
    let ix = index();
    let mut query = q(TOWN_USCC);
    let h = ix.search(&query, d(TODAY)).unwrap();
    assert_eq!(h.by_category.get("PROCUREMENT_BREACH"), Some(&1));
    assert_eq!(h.by_category.get("PAYMENT_ARREARS"), Some(&1));
    assert_eq!(h.by_year.get(&2025), Some(&1));
    assert_eq!(h.by_year.get(&2024), Some(&1));
    query.category = Some("PAYMENT_ARREARS".into());
    let h = ix.search(&query, d(TODAY)).unwrap();
    assert_eq!(record_ids(&h), vec![2]);
    assert!(
        h.hits.iter().all(|h| matches!(h, Hit::Record { .. })),
        "a record filter leaves subjects out"
    );
    query.category = None;
    query.year = Some(2025);
    assert_eq!(record_ids(&ix.search(&query, d(TODAY)).unwrap()), vec![1]);
    query.year = None;
    query.severity = Some("grave".into());
    assert_eq!(
        record_ids(&ix.search(&query, d(TODAY)).unwrap()),
        Vec::<i64>::new()
    );
    query.severity = None;
    query.subject_kind = Some("civil_servant".into());
    assert!(ix.search(&query, d(TODAY)).unwrap().hits.is_empty());
}

#[test]
fn the_disclosure_window_is_kept_at_query_time() {
    let ix = index();
    // Before record 1 was decided, and after record 2's period ended.
    assert_eq!(
        record_ids(&ix.search(&q(TOWN_USCC), d("2024-12-31")).unwrap()),
        vec![2]
    );
    assert_eq!(
        record_ids(&ix.search(&q(TOWN_USCC), d("2026-03-02")).unwrap()),
        vec![2]
    );
    assert_eq!(
        record_ids(&ix.search(&q(TOWN_USCC), d("2026-06-02")).unwrap()),
        Vec::<i64>::new()
    );
    assert_eq!(
        record_ids(&ix.search(&q("擅自变更"), d("2022-06-01")).unwrap()),
        vec![3]
    );
}

#[test]
fn html_in_records_comes_back_as_text() {
    let ix = index();
    let h = ix.search(&q("货款"), d(TODAY)).unwrap();
    let Hit::Record { snippet_html, .. } = &h.hits[0] else {
        panic!("{h:?}")
    };
    assert!(!snippet_html.contains("<script>"), "{snippet_html}");
    assert!(snippet_html.contains("&lt;script&gt;"), "{snippet_html}");
}

#[test]
fn bad_queries_get_a_clear_answer() {
    let ix = index();
    for text in ["，。！？……", "!!!", "()\"'"] {
        match ix.search(&q(text), d(TODAY)) {
            Ok(h) => assert!(h.hits.is_empty(), "{text:?}: {h:?}"),
            Err(e) => panic!("{text:?}: {e}"),
        }
    }
    let long = "采购".repeat(101);
    assert!(matches!(
        ix.search(&q(&long), d(TODAY)),
        Err(SearchError::Query(_))
    ));
    // Query syntax, SQL and HTML are just text.
    for text in [
        "' OR 1=1 --",
        "facts:采购 AND NOT x",
        "<img src=x onerror=alert(1)>",
        "采购\" OR \"",
        "*",
        "category:PAYMENT_ARREARS",
    ] {
        assert!(ix.search(&q(text), d(TODAY)).is_ok(), "{text}");
    }
    // Past the last page: an empty page, the total still right.
    let mut query = q(TOWN_USCC);
    query.offset = 10_000;
    let h = ix.search(&query, d(TODAY)).unwrap();
    assert!(h.hits.is_empty());
    assert_eq!(h.total, 3);
    // An unknown code: nothing, no error.
    assert!(
        ix.search(&q("91120116MA05XXXXXX"), d(TODAY))
            .unwrap()
            .hits
            .is_empty()
    );
}

#[test]
fn replacing_and_removing_records() {
    let ix = index();
    let mut changed = record(
        1,
        "PROCUREMENT_BREACH",
        "改为：拖延支付工程款。",
        "2025-03-01",
        "2026-03-01",
    );
    changed.objected = true;
    ix.put_record(&changed).unwrap();
    ix.commit(43).unwrap();
    assert_eq!(
        record_ids(&ix.search(&q("验收"), d(TODAY)).unwrap()),
        Vec::<i64>::new(),
        "the old facts are gone"
    );
    let h = ix.search(&q("工程款"), d(TODAY)).unwrap();
    assert!(
        matches!(
            h.hits[..],
            [Hit::Record {
                id: 1,
                objected: true,
                ..
            }]
        ),
        "{h:?}"
    );
    ix.remove_record(1).unwrap();
    ix.commit(44).unwrap();
    assert!(ix.search(&q("工程款"), d(TODAY)).unwrap().hits.is_empty());
    assert_eq!(ix.indexed_seq().unwrap(), 44);
}

#[test]
fn the_change_feed_position_survives_a_reopen() {
    let dir = tempfile::tempdir().unwrap();
    {
        let ix = SearchIndex::open(dir.path(), 20_000_000).unwrap();
        assert_eq!(ix.indexed_seq().unwrap(), 0);
        ix.put_record(&record(
            9,
            "PAYMENT_ARREARS",
            "拖欠货款",
            "2025-01-01",
            "2026-01-01",
        ))
        .unwrap();
        ix.commit(1234).unwrap();
        ix.put_record(&record(
            10,
            "PAYMENT_ARREARS",
            "拖欠工程款",
            "2025-01-01",
            "2026-01-01",
        ))
        .unwrap();
        ix.commit(1234).unwrap();
        ix.optimize().unwrap();
        assert_eq!(ix.len(), 2, "one segment, both records");
    }
    let ix = SearchIndex::open(dir.path(), 20_000_000).unwrap();
    assert_eq!(ix.indexed_seq().unwrap(), 1234);
    assert_eq!(
        record_ids(&ix.search(&q("货款"), d(TODAY)).unwrap()),
        vec![9]
    );
}

#[test]
fn the_latest_disclosures_come_newest_first() {
    let ix = index();
    let ids: Vec<i64> = ix
        .latest(10, d(TODAY))
        .unwrap()
        .iter()
        .map(|h| match h {
            Hit::Record { id, .. } => *id,
            Hit::Subject { id, .. } => panic!("subject {id}"),
        })
        .collect();
    assert_eq!(ids, vec![1, 2], "record 3's period is over");
}

#[test]
fn cached_answers_end_with_the_next_commit() {
    let ix = index();
    let first = ix.search(&q("采购"), d(TODAY)).unwrap();
    assert_eq!(
        ix.search(&q("采购"), d(TODAY)).unwrap(),
        first,
        "the same answer again"
    );
    ix.put_record(&record(
        4,
        "PROCUREMENT_BREACH",
        "新增：采购合同违约。",
        "2025-04-01",
        "2026-04-01",
    ))
    .unwrap();
    // Not committed yet: not searchable, and the cached answer stands.
    assert_eq!(
        record_ids(&ix.search(&q("采购"), d(TODAY)).unwrap()),
        vec![1]
    );
    ix.commit(50).unwrap();
    assert_eq!(
        record_ids(&ix.search(&q("采购"), d(TODAY)).unwrap()),
        vec![1, 4]
    );
    // Another day is another answer: record 4's period ends.
    assert_eq!(
        record_ids(&ix.search(&q("采购"), d("2026-04-02")).unwrap()),
        Vec::<i64>::new()
    );
}

#[test]
fn a_commit_that_changes_no_document_keeps_the_cache() {
    let ix = index();
    let first = ix.search(&q("采购"), d(TODAY)).unwrap();
    assert_eq!(ix.cached_answers(), 1);
    // Another part of the database changed: the position moves, the answers stay cached.
    ix.commit(99).unwrap();
    assert_eq!(ix.indexed_seq().unwrap(), 99);
    assert_eq!(ix.cached_answers(), 1);
    assert_eq!(ix.search(&q("采购"), d(TODAY)).unwrap(), first);
    ix.remove_record(1).unwrap();
    ix.commit(100).unwrap();
    assert_eq!(
        ix.cached_answers(),
        0,
        "a changed document empties the cache"
    );
    assert!(record_ids(&ix.search(&q("采购"), d(TODAY)).unwrap()).is_empty());
}

#[test]
fn no_words_browses_the_disclosed_records_newest_first() {
    let ix = index();
    for text in ["", "   "] {
        let h = ix.search(&q(text), d(TODAY)).unwrap();
        // Records only (the unit is not listed), inside their window (record 3 has ended),
        // the latest decision first.
        let ids: Vec<i64> = h
            .hits
            .iter()
            .map(|h| match h {
                Hit::Record { id, .. } => *id,
                Hit::Subject { .. } => panic!("a unit in browsing: {h:?}"),
            })
            .collect();
        assert_eq!(ids, vec![1, 2], "{text:?}");
        assert_eq!(h.total, 2);
    }
    let only = ix
        .search(
            &SearchQuery {
                category: Some("PAYMENT_ARREARS".into()),
                ..q("")
            },
            d(TODAY),
        )
        .unwrap();
    assert_eq!(only.total, 1);
    assert!(
        matches!(&only.hits[0], Hit::Record { id: 2, snippet_html, .. } if snippet_html.contains("&lt;script&gt;"))
    );
}
