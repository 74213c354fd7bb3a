//! Chinese full-text search over subjects and disclosed records: a tantivy index with the jieba
//! tokenizer, so that two-character words such as 采购 or 违约 match as words; BM25 ranking;
//! filters by subject kind, category, severity and year; highlighted snippets; exact matches on a
//! USCC or a document number.
//!
//! The index holds only what the disclosure policy lets the public see, already masked; it is
//! derived from the database's change feed and can be rebuilt from it at any time. Which change it
//! has reached is kept in the index's own commit (`indexed_seq`), so that catching up after a
//! restart starts where it stopped.

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;
use std::sync::Mutex;

use chrono::{Datelike, NaiveDate};
use tantivy::collector::{Count, FilterCollector, TopDocs};
use tantivy::query::{BooleanQuery, BoostQuery, Occur, Query, TermQuery};
use tantivy::schema::{
    FAST, Field, INDEXED, IndexRecordOption, STORED, STRING, Schema, TextFieldIndexing,
    TextOptions, Value,
};
use tantivy::snippet::SnippetGenerator;
use tantivy::tokenizer::{LowerCaser, TextAnalyzer, TokenStream};
use tantivy::{Index, IndexReader, IndexWriter, ReloadPolicy, TantivyDocument, Term, doc};

mod snippet;

/// The longest query the search accepts, in characters.
pub const MAX_QUERY_CHARS: usize = 200;
/// The most hits one page returns.
pub const MAX_PAGE: usize = 100;

const TOKENIZER: &str = "jieba";

#[derive(Debug, thiserror::Error)]
pub enum SearchError {
    #[error("搜索索引出错：{0}")]
    Index(#[from] tantivy::TantivyError),
    #[error("搜索索引目录无法打开：{0}")]
    Directory(String),
    /// A query the search refuses, in words for the person who typed it.
    #[error("{0}")]
    Query(String),
}

pub type SearchResult<T> = Result<T, SearchError>;

/// A disclosed record, as the index keeps it: everything already passed through the disclosure
/// policy (names masked, ID numbers blanked).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RecordDoc {
    pub id: i64,
    pub subject_id: i64,
    pub subject_name: String,
    /// The subject's kind code (`township`, `civil_servant`, …).
    pub subject_kind: String,
    pub uscc: Option<String>,
    pub category: String,
    pub category_name: String,
    /// `dishonest` or `trustworthy`.
    pub kind: String,
    pub severity: Option<String>,
    pub document_no: String,
    pub authority: String,
    pub facts: String,
    pub outcome: String,
    pub decided_on: NaiveDate,
    pub disclosed_until: NaiveDate,
    pub objected: bool,
}

/// A subject on the roster.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SubjectDoc {
    pub id: i64,
    pub name: String,
    pub short_name: Option<String>,
    pub kind: String,
    pub uscc: Option<String>,
}

/// What to look for.
#[derive(Debug, Clone, Default)]
pub struct SearchQuery {
    pub text: String,
    pub subject_kind: Option<String>,
    pub category: Option<String>,
    pub severity: Option<String>,
    pub year: Option<i32>,
    pub offset: usize,
    pub limit: usize,
}

/// One hit. (A page holds at most `MAX_PAGE` of them; boxing the larger variant would buy
/// nothing.)
#[derive(Debug, Clone, PartialEq)]
#[allow(clippy::large_enum_variant)]
pub enum Hit {
    Subject {
        id: i64,
        name: String,
        kind: String,
        uscc: Option<String>,
        score: f32,
    },
    Record {
        id: i64,
        subject_id: i64,
        subject_name: String,
        uscc: Option<String>,
        category: String,
        category_name: String,
        kind: String,
        severity: Option<String>,
        document_no: String,
        authority: String,
        decided_on: String,
        disclosed_until: String,
        objected: bool,
        /// The facts around the matched words, HTML-escaped, matches in `<b>…</b>`.
        snippet_html: String,
        score: f32,
    },
}

/// A page of hits, with how many there are in all and the counts per facet value.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Hits {
    pub total: usize,
    pub hits: Vec<Hit>,
    /// Matching records per category code.
    pub by_category: BTreeMap<String, usize>,
    /// Matching records per decision year.
    pub by_year: BTreeMap<i32, usize>,
}

struct Fields {
    key: Field,
    doc_type: Field,
    id: Field,
    subject_id: Field,
    name: Field,
    short_name: Field,
    subject_kind: Field,
    uscc: Field,
    category: Field,
    category_name: Field,
    kind: Field,
    severity: Field,
    document_no: Field,
    document_text: Field,
    authority: Field,
    facts: Field,
    outcome: Field,
    decided_on: Field,
    until: Field,
    year: Field,
    objected: Field,
}

impl Fields {
    fn schema() -> (Schema, Fields) {
        let mut b = Schema::builder();
        let text = TextOptions::default()
            .set_indexing_options(
                TextFieldIndexing::default()
                    .set_tokenizer(TOKENIZER)
                    .set_index_option(IndexRecordOption::WithFreqsAndPositions),
            )
            .set_stored();
        let f = Fields {
            key: b.add_text_field("key", STRING),
            doc_type: b.add_text_field("doc_type", STRING | STORED),
            id: b.add_i64_field("id", STORED),
            subject_id: b.add_i64_field("subject_id", STORED),
            name: b.add_text_field("name", text.clone()),
            short_name: b.add_text_field("short_name", text.clone()),
            subject_kind: b.add_text_field("subject_kind", STRING | STORED),
            uscc: b.add_text_field("uscc", STRING | STORED),
            category: b.add_text_field("category", STRING | STORED | FAST),
            category_name: b.add_text_field("category_name", text.clone()),
            kind: b.add_text_field("kind", STRING | STORED),
            severity: b.add_text_field("severity", STRING | STORED),
            document_no: b.add_text_field("document_no", STRING | STORED),
            document_text: b.add_text_field(
                "document_text",
                TextOptions::default().set_indexing_options(
                    TextFieldIndexing::default()
                        .set_tokenizer(TOKENIZER)
                        .set_index_option(IndexRecordOption::WithFreqsAndPositions),
                ),
            ),
            authority: b.add_text_field("authority", text.clone()),
            facts: b.add_text_field("facts", text.clone()),
            outcome: b.add_text_field("outcome", text),
            decided_on: b.add_i64_field("decided_on", INDEXED | STORED | FAST),
            until: b.add_i64_field("until", INDEXED | STORED | FAST),
            year: b.add_i64_field("year", INDEXED | STORED | FAST),
            objected: b.add_bool_field("objected", STORED),
        };
        (b.build(), f)
    }

    /// The fields a word is looked for in.
    fn searched(&self) -> [(Field, f32); 7] {
        [
            (self.name, 3.0),
            (self.short_name, 3.0),
            (self.document_text, 2.0),
            (self.category_name, 1.5),
            (self.facts, 1.0),
            (self.outcome, 1.0),
            (self.authority, 1.0),
        ]
    }
}

fn analyzer() -> TextAnalyzer {
    TextAnalyzer::builder(tantivy_jieba::JiebaTokenizer::new())
        .filter(LowerCaser)
        .build()
}

/// The version of what the public view puts in the index, kept with the position in each
/// commit. Raise it whenever the disclosure policy or its masking changes what a document holds
/// (v2: every roster civil servant's name masked and ID numbers in every form blanked, issue 8):
/// an index of another version catches up from the start.
pub const PUBLIC_VIEW_VERSION: &str = "v2";

/// The index: one writer (behind a lock) and a reader that sees each commit.
pub struct SearchIndex {
    index: Index,
    reader: IndexReader,
    writer: Mutex<IndexWriter>,
    f: Fields,
    /// Answers to recent searches, valid until a commit that changes documents.
    cache: Mutex<ResultCache>,
    /// Documents were put or removed since the last commit.
    dirty: std::sync::atomic::AtomicBool,
}

/// How many answers the result cache keeps.
const CACHE_ENTRIES: usize = 1024;

/// Answers to recent searches. A portal's searches repeat (a unit's name, 采购 …); an answer stays
/// right until the index changes or the day does, and both are part of what invalidates it: a
/// commit empties the cache, and the day is part of the key.
#[derive(Default)]
struct ResultCache {
    map: std::collections::HashMap<String, Hits>,
    order: std::collections::VecDeque<String>,
    /// Counts commits: an answer computed before a commit is not kept after it.
    generation: u64,
}

impl ResultCache {
    fn get(&self, key: &str) -> Option<Hits> {
        self.map.get(key).cloned()
    }

    fn put(&mut self, key: String, hits: Hits) {
        if self.map.len() >= CACHE_ENTRIES
            && let Some(old) = self.order.pop_front()
        {
            self.map.remove(&old);
        }
        if self.map.insert(key.clone(), hits).is_none() {
            self.order.push_back(key);
        }
    }

    fn clear(&mut self) {
        self.map.clear();
        self.order.clear();
        self.generation += 1;
    }
}

/// A day as the index stores it.
fn day_number(d: NaiveDate) -> i64 {
    i64::from(d.num_days_from_ce())
}

fn day_text(n: i64) -> String {
    i32::try_from(n)
        .ok()
        .and_then(NaiveDate::from_num_days_from_ce_opt)
        .map(|d| d.format("%Y-%m-%d").to_string())
        .unwrap_or_default()
}

impl SearchIndex {
    /// Opens the index in `dir`, creating it (and the directory) when there is none. An index of
    /// another shape (an older version) is replaced by an empty one, to be rebuilt.
    pub fn open(dir: &Path, writer_memory: usize) -> SearchResult<SearchIndex> {
        std::fs::create_dir_all(dir)
            .map_err(|e| SearchError::Directory(format!("{}：{e}", dir.display())))?;
        let (schema, f) = Fields::schema();
        let mmap = tantivy::directory::MmapDirectory::open(dir)
            .map_err(|e| SearchError::Directory(format!("{}：{e}", dir.display())))?;
        let index = match Index::open_or_create(mmap, schema.clone()) {
            Ok(i) => i,
            Err(tantivy::TantivyError::SchemaError(_)) => {
                // Another version's index: start again (the database can always rebuild it).
                for entry in std::fs::read_dir(dir)
                    .map_err(|e| SearchError::Directory(e.to_string()))?
                    .flatten()
                {
                    let _ = std::fs::remove_file(entry.path());
                }
                let mmap = tantivy::directory::MmapDirectory::open(dir)
                    .map_err(|e| SearchError::Directory(e.to_string()))?;
                Index::create(mmap, schema, Default::default())?
            }
            Err(e) => return Err(e.into()),
        };
        Self::with_index(index, f, writer_memory)
    }

    /// An index in memory (tests).
    pub fn in_memory() -> SearchResult<SearchIndex> {
        let (schema, f) = Fields::schema();
        Self::with_index(Index::create_in_ram(schema), f, 50_000_000)
    }

    fn with_index(index: Index, f: Fields, writer_memory: usize) -> SearchResult<SearchIndex> {
        index.tokenizers().register(TOKENIZER, analyzer());
        let writer = index.writer(writer_memory.max(15_000_000))?;
        let reader = index
            .reader_builder()
            .reload_policy(ReloadPolicy::Manual)
            .try_into()?;
        Ok(SearchIndex {
            index,
            reader,
            writer: Mutex::new(writer),
            f,
            cache: Mutex::new(ResultCache::default()),
            dirty: std::sync::atomic::AtomicBool::new(false),
        })
    }

    /// The change-feed sequence number the index has reached (0 when empty, or when it was
    /// built under an older version of what the public may see: then everything is evaluated
    /// again, so that an upgrade that masks more never leaves old text searchable).
    pub fn indexed_seq(&self) -> SearchResult<i64> {
        Ok(self
            .index
            .load_metas()?
            .payload
            .and_then(|p| {
                p.strip_prefix(PUBLIC_VIEW_VERSION)
                    .and_then(|rest| rest.strip_prefix(':'))
                    .and_then(|n| n.parse().ok())
            })
            .unwrap_or(0))
    }

    fn lock(&self) -> SearchResult<std::sync::MutexGuard<'_, IndexWriter>> {
        self.writer
            .lock()
            .map_err(|_| SearchError::Directory("索引写入器不可用".into()))
    }

    /// Puts a record in the index, replacing any earlier version of it.
    pub fn put_record(&self, r: &RecordDoc) -> SearchResult<()> {
        let f = &self.f;
        let key = format!("r:{}", r.id);
        let mut d = doc!(
            f.key => key.as_str(),
            f.doc_type => "record",
            f.id => r.id,
            f.subject_id => r.subject_id,
            f.name => r.subject_name.as_str(),
            f.subject_kind => r.subject_kind.as_str(),
            f.category => r.category.as_str(),
            f.category_name => r.category_name.as_str(),
            f.kind => r.kind.as_str(),
            f.document_no => r.document_no.as_str(),
            f.document_text => r.document_no.as_str(),
            f.authority => r.authority.as_str(),
            f.facts => r.facts.as_str(),
            f.outcome => r.outcome.as_str(),
            f.decided_on => day_number(r.decided_on),
            f.until => day_number(r.disclosed_until),
            f.year => i64::from(r.decided_on.year()),
            f.objected => r.objected,
        );
        if let Some(u) = &r.uscc {
            d.add_text(f.uscc, u);
        }
        if let Some(s) = &r.severity {
            d.add_text(f.severity, s);
        }
        let w = self.lock()?;
        w.delete_term(Term::from_field_text(f.key, &key));
        w.add_document(d)?;
        self.touched();
        Ok(())
    }

    /// Takes a record out of the index (revoked, repaired, no longer disclosed).
    pub fn remove_record(&self, id: i64) -> SearchResult<()> {
        let w = self.lock()?;
        w.delete_term(Term::from_field_text(self.f.key, &format!("r:{id}")));
        self.touched();
        Ok(())
    }

    /// Puts a subject in the index, replacing any earlier version of it.
    pub fn put_subject(&self, s: &SubjectDoc) -> SearchResult<()> {
        let f = &self.f;
        let key = format!("s:{}", s.id);
        let mut d = doc!(
            f.key => key.as_str(),
            f.doc_type => "subject",
            f.id => s.id,
            // Units have no disclosure window: always inside the one every search applies.
            f.decided_on => i64::MIN,
            f.until => i64::MAX,
            f.name => s.name.as_str(),
            f.subject_kind => s.kind.as_str(),
        );
        if let Some(n) = &s.short_name {
            d.add_text(f.short_name, n);
        }
        if let Some(u) = &s.uscc {
            d.add_text(f.uscc, u);
        }
        let w = self.lock()?;
        w.delete_term(Term::from_field_text(f.key, &key));
        w.add_document(d)?;
        self.touched();
        Ok(())
    }

    /// Empties the index (before a rebuild).
    pub fn clear(&self) -> SearchResult<()> {
        self.lock()?.delete_all_documents()?;
        self.touched();
        Ok(())
    }

    /// Makes everything put since the last commit searchable, and records that the index has
    /// reached change `seq`.
    pub fn commit(&self, seq: i64) -> SearchResult<()> {
        {
            let mut w = self.lock()?;
            let mut prepared = w.prepare_commit()?;
            prepared.set_payload(&format!("{PUBLIC_VIEW_VERSION}:{seq}"));
            prepared.commit()?;
        }
        self.reader.reload()?;
        // A commit that only moves the change-feed position (a change elsewhere in the database)
        // leaves every cached answer right.
        if self.dirty.swap(false, std::sync::atomic::Ordering::AcqRel)
            && let Ok(mut c) = self.cache.lock()
        {
            c.clear();
        }
        Ok(())
    }

    /// Merges the index into one segment: after a rebuild, so that every search reads one set of
    /// postings rather than one per batch the writer flushed.
    pub fn optimize(&self) -> SearchResult<()> {
        let mut w = self.lock()?;
        // The writer also merges in the background; a segment it took meanwhile makes a merge of
        // the list read before fail, so read the list again and retry.
        for attempt in 0..20 {
            let ids = self.index.searchable_segment_ids()?;
            if ids.len() <= 1 {
                break;
            }
            match w.merge(&ids).wait() {
                Ok(_) => break,
                Err(tantivy::TantivyError::InvalidArgument(_)) if attempt < 19 => {
                    std::thread::sleep(std::time::Duration::from_millis(100));
                }
                Err(e) => return Err(e.into()),
            }
        }
        let _ = w.garbage_collect_files().wait();
        drop(w);
        self.reader.reload()?;
        if let Ok(mut c) = self.cache.lock() {
            c.clear();
        }
        Ok(())
    }

    /// How many answers the result cache holds (for tests and metrics).
    pub fn cached_answers(&self) -> usize {
        self.cache.lock().map(|c| c.map.len()).unwrap_or(0)
    }

    fn touched(&self) {
        self.dirty.store(true, std::sync::atomic::Ordering::Release);
    }

    /// How many documents (subjects and records) the index holds.
    pub fn len(&self) -> u64 {
        self.reader.searcher().num_docs()
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// The words of a query, as the index cut the texts: no punctuation, no spaces, lower case,
    /// each once.
    pub fn words(text: &str) -> Vec<String> {
        let mut a = analyzer();
        let mut stream = a.token_stream(text);
        let mut seen = BTreeSet::new();
        let mut out = Vec::new();
        while stream.advance() {
            let t = stream.token().text.trim();
            if t.chars().any(char::is_alphanumeric) && seen.insert(t.to_string()) {
                out.push(t.to_string());
            }
        }
        out
    }

    /// Searches on `today` (a record shows only inside its disclosure period).
    pub fn search(&self, q: &SearchQuery, today: NaiveDate) -> SearchResult<Hits> {
        let key = format!(
            "{today}|{:?}|{:?}|{:?}|{:?}|{}|{}|{}",
            q.subject_kind,
            q.category,
            q.severity,
            q.year,
            q.offset,
            q.limit,
            q.text.trim()
        );
        let generation = match self.cache.lock() {
            Ok(c) => match c.get(&key) {
                Some(hit) => return Ok(hit),
                None => c.generation,
            },
            Err(_) => return self.search_uncached(q, today),
        };
        let hits = self.search_uncached(q, today)?;
        // Kept only if no commit came in between (its answer could be older than the index).
        if let Ok(mut c) = self.cache.lock()
            && c.generation == generation
        {
            c.put(key, hits.clone());
        }
        Ok(hits)
    }

    /// `search` without the result cache (the benchmark's single-query latency).
    pub fn search_uncached(&self, q: &SearchQuery, today: NaiveDate) -> SearchResult<Hits> {
        let f = &self.f;
        let text = q.text.trim();
        if text.chars().count() > MAX_QUERY_CHARS {
            return Err(SearchError::Query(format!(
                "搜索词过长：最多 {MAX_QUERY_CHARS} 个字"
            )));
        }
        let words = Self::words(text);
        let exact = text.to_uppercase();
        let mut any: Vec<(Occur, Box<dyn Query>)> = vec![
            (
                Occur::Should,
                Box::new(BoostQuery::new(
                    Box::new(TermQuery::new(
                        Term::from_field_text(f.uscc, &exact),
                        IndexRecordOption::Basic,
                    )),
                    20.0,
                )),
            ),
            // The unit itself before its records.
            (
                Occur::Should,
                Box::new(BoostQuery::new(
                    Box::new(BooleanQuery::new(vec![
                        (Occur::Must, term(f.uscc, &exact)),
                        (Occur::Must, term(f.doc_type, "subject")),
                    ])),
                    20.0,
                )),
            ),
            (
                Occur::Should,
                Box::new(BoostQuery::new(
                    Box::new(TermQuery::new(
                        Term::from_field_text(f.document_no, text),
                        IndexRecordOption::Basic,
                    )),
                    20.0,
                )),
            ),
        ];
        if !words.is_empty() {
            let every_word: Vec<(Occur, Box<dyn Query>)> = words
                .iter()
                .map(|w| {
                    let somewhere: Vec<(Occur, Box<dyn Query>)> = f
                        .searched()
                        .iter()
                        .map(|(field, boost)| {
                            let q: Box<dyn Query> = Box::new(BoostQuery::new(
                                Box::new(TermQuery::new(
                                    Term::from_field_text(*field, w),
                                    IndexRecordOption::WithFreqs,
                                )),
                                *boost,
                            ));
                            (Occur::Should, q)
                        })
                        .collect();
                    let q: Box<dyn Query> = Box::new(BooleanQuery::new(somewhere));
                    (Occur::Must, q)
                })
                .collect();
            any.push((Occur::Should, Box::new(BooleanQuery::new(every_word))));
        }
        // No words: browsing (浏览), the disclosed records of the filters, newest first.
        let browsing = text.is_empty();
        let matched: Box<dyn Query> = if browsing {
            term(f.doc_type, "record")
        } else {
            Box::new(BooleanQuery::new(any))
        };

        // Filters of records leave the units out. The disclosure window is applied while the
        // hits are collected (`within`), from fast fields, not as a query over every date.
        let record_filters = q.category.is_some() || q.severity.is_some() || q.year.is_some();
        let mut all: Vec<(Occur, Box<dyn Query>)> = vec![(Occur::Must, matched)];
        if record_filters && !browsing {
            all.push((Occur::Must, term(f.doc_type, "record")));
        }
        if let Some(k) = &q.subject_kind {
            all.push((Occur::Must, term(f.subject_kind, k)));
        }
        if let Some(c) = &q.category {
            all.push((Occur::Must, term(f.category, c)));
        }
        if let Some(s) = &q.severity {
            all.push((Occur::Must, term(f.severity, s)));
        }
        if let Some(y) = q.year {
            all.push((
                Occur::Must,
                Box::new(TermQuery::new(
                    Term::from_field_i64(f.year, i64::from(y)),
                    IndexRecordOption::Basic,
                )),
            ));
        }
        let query = BooleanQuery::new(all);

        let searcher = self.reader.searcher();
        let limit = q.limit.clamp(1, MAX_PAGE);
        let today = day_number(today);
        if browsing {
            let (top, total, (by_category, by_year)) = searcher.search(
                &query,
                &within(
                    today,
                    (
                        TopDocs::with_limit(limit)
                            .and_offset(q.offset)
                            .order_by_fast_field::<i64>("decided_on", tantivy::Order::Desc),
                        Count,
                        FacetCounts {
                            category: "category".into(),
                            year: "year".into(),
                        },
                    ),
                ),
            )?;
            let hits = top
                .into_iter()
                .map(|(_, addr)| self.hit(&searcher, addr, 0.0, None))
                .collect::<SearchResult<Vec<_>>>()?;
            return Ok(Hits {
                total,
                hits,
                by_category,
                by_year,
            });
        }
        let (top, total, (by_category, by_year)) = searcher.search(
            &query,
            &within(
                today,
                (
                    TopDocs::with_limit(limit)
                        .and_offset(q.offset)
                        .order_by_score(),
                    Count,
                    FacetCounts {
                        category: "category".into(),
                        year: "year".into(),
                    },
                ),
            ),
        )?;
        let mut snippets = SnippetGenerator::create(&searcher, &query, f.facts)?;
        snippets.set_max_num_chars(120);
        let mut hits = Vec::with_capacity(top.len());
        for (score, addr) in top {
            hits.push(self.hit(&searcher, addr, score, Some(&snippets))?);
        }
        Ok(Hits {
            total,
            hits,
            by_category,
            by_year,
        })
    }

    /// The records disclosed most recently (by decision date) on `today`: the home page's list.
    pub fn latest(&self, n: usize, today: NaiveDate) -> SearchResult<Vec<Hit>> {
        let f = &self.f;
        let searcher = self.reader.searcher();
        let top = searcher.search(
            &TermQuery::new(
                Term::from_field_text(f.doc_type, "record"),
                IndexRecordOption::Basic,
            ),
            &within(
                day_number(today),
                TopDocs::with_limit(n.clamp(1, MAX_PAGE))
                    .order_by_fast_field::<i64>("decided_on", tantivy::Order::Desc),
            ),
        )?;
        top.into_iter()
            .map(|(_, addr)| self.hit(&searcher, addr, 0.0, None))
            .collect()
    }

    /// A stored document as a hit; the facts' snippet from `snippets`, else their beginning.
    fn hit(
        &self,
        searcher: &tantivy::Searcher,
        addr: tantivy::DocAddress,
        score: f32,
        snippets: Option<&SnippetGenerator>,
    ) -> SearchResult<Hit> {
        let f = &self.f;
        {
            let d: TantivyDocument = searcher.doc(addr)?;
            let s = |field: Field| {
                d.get_first(field)
                    .and_then(|v| v.as_str())
                    .unwrap_or_default()
                    .to_string()
            };
            let o = |field: Field| {
                d.get_first(field)
                    .and_then(|v| v.as_str())
                    .map(str::to_string)
            };
            let i = |field: Field| d.get_first(field).and_then(|v| v.as_i64()).unwrap_or(0);
            if s(f.doc_type) == "subject" {
                return Ok(Hit::Subject {
                    id: i(f.id),
                    name: s(f.name),
                    kind: s(f.subject_kind),
                    uscc: o(f.uscc),
                    score,
                });
            }
            let facts = s(f.facts);
            // `snippet_from_doc` counts its ranges in the trimmed text.
            let facts = facts.trim();
            let snippet = snippets.map(|g| g.snippet_from_doc(&d));
            let snippet_html = match snippet {
                Some(sn) if !sn.fragment().is_empty() => {
                    snippet::html(facts, sn.fragment_range(), sn.highlighted())
                }
                _ => {
                    let end = facts
                        .char_indices()
                        .nth(120)
                        .map_or(facts.len(), |(i, _)| i);
                    snippet::html(facts, 0..end, &[])
                }
            };
            Ok(Hit::Record {
                id: i(f.id),
                subject_id: i(f.subject_id),
                subject_name: s(f.name),
                uscc: o(f.uscc),
                category: s(f.category),
                category_name: s(f.category_name),
                kind: s(f.kind),
                severity: o(f.severity),
                document_no: s(f.document_no),
                authority: s(f.authority),
                decided_on: day_text(i(f.decided_on)),
                disclosed_until: day_text(i(f.until)),
                objected: d
                    .get_first(f.objected)
                    .and_then(|v| v.as_bool())
                    .unwrap_or(false),
                snippet_html,
                score,
            })
        }
    }
}

/// `collector`, fed only the documents inside their disclosure window on day `today`: decided on
/// or before it and disclosed until it or later (units carry a window without ends).
fn within<C: tantivy::collector::Collector>(
    today: i64,
    collector: C,
) -> impl tantivy::collector::Collector<Fruit = C::Fruit> {
    FilterCollector::new(
        "until".to_string(),
        move |until: i64| until >= today,
        FilterCollector::new(
            "decided_on".to_string(),
            move |decided: i64| decided <= today,
            collector,
        ),
    )
}

fn term(field: Field, value: &str) -> Box<dyn Query> {
    Box::new(TermQuery::new(
        Term::from_field_text(field, value),
        IndexRecordOption::Basic,
    ))
}

/// Text as HTML: `& < > " '` escaped (what the snippets and the console's charts write).
pub fn escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

/// Counts matches per category and per year from the fast fields.
struct FacetCounts {
    category: String,
    year: String,
}

struct FacetSegment {
    category: Option<tantivy::columnar::StrColumn>,
    year: Option<tantivy::columnar::Column<i64>>,
    by_category: BTreeMap<u64, usize>,
    by_year: BTreeMap<i64, usize>,
}

impl tantivy::collector::Collector for FacetCounts {
    type Fruit = (BTreeMap<String, usize>, BTreeMap<i32, usize>);
    type Child = FacetSegment;

    fn for_segment(
        &self,
        _: tantivy::SegmentOrdinal,
        reader: &tantivy::SegmentReader,
    ) -> tantivy::Result<FacetSegment> {
        let fast = reader.fast_fields();
        Ok(FacetSegment {
            category: fast.str(&self.category)?,
            year: fast.i64(&self.year).ok(),
            by_category: BTreeMap::new(),
            by_year: BTreeMap::new(),
        })
    }

    fn requires_scoring(&self) -> bool {
        false
    }

    fn merge_fruits(
        &self,
        fruits: Vec<(BTreeMap<String, usize>, BTreeMap<i32, usize>)>,
    ) -> tantivy::Result<Self::Fruit> {
        let mut out: Self::Fruit = Default::default();
        for (c, y) in fruits {
            for (k, n) in c {
                *out.0.entry(k).or_default() += n;
            }
            for (k, n) in y {
                *out.1.entry(k).or_default() += n;
            }
        }
        Ok(out)
    }
}

impl tantivy::collector::SegmentCollector for FacetSegment {
    type Fruit = (BTreeMap<String, usize>, BTreeMap<i32, usize>);

    fn collect(&mut self, doc: tantivy::DocId, _: tantivy::Score) {
        if let Some(c) = &self.category
            && let Some(ord) = c.term_ords(doc).next()
        {
            *self.by_category.entry(ord).or_default() += 1;
        }
        if let Some(y) = &self.year
            && let Some(v) = y.first(doc)
        {
            *self.by_year.entry(v).or_default() += 1;
        }
    }

    fn harvest(self) -> Self::Fruit {
        let mut by_category = BTreeMap::new();
        if let Some(c) = &self.category {
            for (ord, n) in self.by_category {
                let mut name = String::new();
                if c.ord_to_str(ord, &mut name).unwrap_or(false) {
                    *by_category.entry(name).or_default() += n;
                }
            }
        }
        let by_year = self
            .by_year
            .into_iter()
            .filter_map(|(y, n)| i32::try_from(y).ok().map(|y| (y, n)))
            .collect();
        (by_category, by_year)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// An index an older version built (its commit says only a number) is caught up from the
    /// start, so that text it holds unmasked is put again through today's public view.
    #[test]
    fn an_index_of_an_older_public_view_starts_again() {
        let dir = tempfile::tempdir().unwrap();
        let ix = SearchIndex::open(dir.path(), 20_000_000).unwrap();
        ix.commit(1234).unwrap();
        assert_eq!(ix.indexed_seq().unwrap(), 1234);
        {
            let mut w = ix.lock().unwrap();
            let mut prepared = w.prepare_commit().unwrap();
            prepared.set_payload("1234");
            prepared.commit().unwrap();
        }
        assert_eq!(ix.indexed_seq().unwrap(), 0);
        {
            let mut w = ix.lock().unwrap();
            let mut prepared = w.prepare_commit().unwrap();
            prepared.set_payload("v1:1234");
            prepared.commit().unwrap();
        }
        assert_eq!(ix.indexed_seq().unwrap(), 0);
    }
}
