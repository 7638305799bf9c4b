#!/usr/bin/env python3
"""Search benchmark: can a user find a row by the names people use for it?

    python bench/bench_search.py [--compare OTHER_CHECKOUT] [--per-kind 120] [--output bench/RESULTS.md]

Builds the Procore-shaped demo database and, when the sample-database corpus is present
($PROCORE_DATASETS_DIR, else the sample-database corpus beside the clone), chinook, northwind
and pagila in an embedded PostgreSQL; runs `scripts/ingest_database.py --full` to file:// for each (with
the code of this checkout and, with --compare DIR, with the code in DIR too, as "before"); then
ranks the `content_text` of the procore_record documents of the feed files the way the deployed
rank profile does and reports, per query kind, the share of queries with a right row in the
top 10 and the mean reciprocal rank (MRR).

Ranking, as Vespa does it for `bm25(content_text)`:
- tokens: runs of letters and digits, lower-cased, accents removed (Vespa's default
  normalisation); English plurals reduced to their singular (`rfis` -> `rfi`, `entries` ->
  `entry`), the part of Vespa's default kstem stemming that matters for these queries;
- any-term matching (Vespa's default weakAnd): a document with at least one query term is a hit;
- BM25 with k1 = 1.2, b = 0.75, idf = log(1 + (N - n + 0.5) / (n + 0.5)), the average field
  length of the corpus (one corpus per database, as one deployment indexes one database);
- a tie with a wrong document counts half a place (neither the best nor the worst case).

Queries are written from the data, not from the documents: "name of a related record + a word
of the row's own text (+ the record's kind for Procore tables)", the way a user types them
("Riverside Tower RFI conduit", "Led Zeppelin stairway", "Nancy Davolio Madrid"). The word is
picked at random (seeded) between the row's two most distinctive own words (of 4+ letters, not in
the name; fewest rows of the same kind have them), as a user types what they remember best.
A query's right rows are all rows of its kind with that related name and that word.
"""

from __future__ import annotations

import argparse
import math
import os
import random
import re
import statistics
import subprocess
import sys
import tempfile
import unicodedata
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

import orjson
import psycopg2

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from _common import publish, run_header  # noqa: E402  (bench/ is the script's folder)

from procore_ingest.demo import DemoSpec, build_demo_database  # noqa: E402
from tests.helpers import execute  # noqa: E402  (SQL as the owner, autocommit)
from tests.pgharness import DATASETS, load_dataset  # noqa: E402

K1, B = 1.2, 0.75
TOP = 10

# --- tokens as Vespa's default linguistics makes them (enough of it for these queries) ------

_TOKEN = re.compile(r"[^\W_]+")


def _fold(text: str) -> str:
    decomposed = unicodedata.normalize("NFKD", text.lower())
    return "".join(c for c in decomposed if not unicodedata.combining(c))


def stem(word: str) -> str:
    """English plurals to singular: what kstem does to the words of these queries."""
    if len(word) <= 3 or word.isdigit():
        return word
    if word.endswith("ies") and len(word) > 4:
        return word[:-3] + "y"
    if word.endswith(("sses", "shes", "ches", "xes", "zes")):
        return word[:-2]
    if word.endswith("s") and not word.endswith(("ss", "ous")):  # as kstem: `rfis` -> `rfi`, `nurses` -> `nurse`
        return word[:-1]
    return word


def tokens(text: str) -> list[str]:
    return [stem(t) for t in _TOKEN.findall(_fold(text))]


# --- BM25 over content_text --------------------------------------------------------------------


class Index:
    """An inverted index of one database's procore_record documents."""

    def __init__(self, docs: dict[str, str]) -> None:
        self.ids = list(docs)
        self.position = {doc_id: i for i, doc_id in enumerate(self.ids)}
        postings: dict[str, dict[int, int]] = defaultdict(dict)
        lengths = []
        for i, doc_id in enumerate(self.ids):
            words = tokens(docs[doc_id])
            lengths.append(len(words))
            for word in words:
                counts = postings[word]
                counts[i] = counts.get(i, 0) + 1
        average = max(sum(lengths) / max(len(lengths), 1), 1.0)
        norm = [K1 * (1 - B + B * n / average) for n in lengths]
        # per term: (idf, [(doc, tf part of BM25)])
        n_docs = len(self.ids)
        self.postings = {
            w: (math.log(1 + (n_docs - len(c) + 0.5) / (len(c) + 0.5)),
                [(d, tf * (K1 + 1) / (tf + norm[d])) for d, tf in c.items()])
            for w, c in postings.items()}

    def scores(self, query: str) -> dict[int, float]:
        """BM25 of every document that has at least one query term."""
        total: dict[int, float] = {}
        get = total.get
        for word in dict.fromkeys(tokens(query)):
            found = self.postings.get(word)
            if found is None:
                continue
            idf, docs = found
            for d, part in docs:
                total[d] = get(d, 0.0) + idf * part
        return total

    def top(self, query: str, n: int) -> list[tuple[str, float]]:
        """The `n` best documents of `query` and their scores."""
        scores = self.scores(query)
        return [(self.ids[d], s) for d, s in sorted(scores.items(), key=lambda x: (-x[1], x[0]))[:n]]

    def rank(self, query: str, relevant: set[str]) -> float | None:
        """The place of the best right document (1 = first), or None when none matches."""
        scores = self.scores(query)
        right = {self.position[r] for r in relevant if r in self.position}
        best = max((scores.get(i, 0.0) for i in right), default=0.0)
        if best <= 0:
            return None
        above = tied = 0
        for d, s in scores.items():
            if s >= best and d not in right:
                if s > best:
                    above += 1
                else:
                    tied += 1
        return 1 + above + tied / 2


# --- query sets -----------------------------------------------------------------------------

# Each returns (table, key, related name, the row's own text): the rows a kind of query looks for.
QUERY_SETS: dict[str, list[tuple[str, str, str]]] = {
    # kind, kind word (Procore tables: what users call the record; "" for other databases), SQL
    "demo": [
        ("project + RFI + subject word", "RFI",
         "SELECT 'rfis', r.id::text, coalesce(p.display_name, p.name), r.subject FROM rfis r JOIN projects p ON p.id = r.project_id"),
        ("project + photo + description word", "photo",
         "SELECT 'photos', x.id::text, coalesce(p.display_name, p.name), concat_ws(' ', x.description, x.location) "
         "FROM photos x JOIN projects p ON p.id = x.project_id"),
        ("project + drawing + title word", "drawing",
         "SELECT 'drawings', d.id::text, coalesce(p.display_name, p.name), d.title FROM drawings d JOIN projects p ON p.id = d.project_id"),
        ("project + submittal + title word", "submittal",
         "SELECT 'submittals', s.id::text, coalesce(p.display_name, p.name), s.title FROM submittals s JOIN projects p ON p.id = s.project_id"),
        ("vendor + commitment + title/description word", "commitment",
         "SELECT 'commitment_contracts', c.id::text, v.name, concat_ws(' ', c.title, c.description) "
         "FROM commitment_contracts c "
         "JOIN vendors v ON v.id = c.vendor_id"),
        ("project + daily log + description word", "daily log",
         "SELECT 'daily_logs', d.id::text, coalesce(p.display_name, p.name), d.description FROM daily_logs d JOIN projects p ON p.id = d.project_id"),
    ],
    "chinook": [
        ("track by artist (two links) + track word", "",
         "SELECT 'track', t.track_id::text, ar.name, t.name FROM track t JOIN album al USING (album_id) "
         "JOIN artist ar ON ar.artist_id = al.artist_id"),
        ("track by album + track word", "",
         "SELECT 'track', t.track_id::text, al.title, t.name FROM track t JOIN album al USING (album_id)"),
        ("invoice by customer + billing city", "",
         "SELECT 'invoice', i.invoice_id::text, c.first_name || ' ' || c.last_name, "
         "concat_ws(' ', i.billing_address, i.billing_city) FROM invoice i JOIN customer c USING (customer_id)"),
    ],
    "northwind": [
        ("order by customer company + ship city", "",
         "SELECT 'orders', o.order_id::text, c.company_name, concat_ws(' ', o.ship_city, o.ship_address) "
         "FROM orders o JOIN customers c USING (customer_id)"),
        ("order by employee name + ship city", "",
         "SELECT 'orders', o.order_id::text, e.first_name || ' ' || e.last_name, "
         "concat_ws(' ', o.ship_city, o.ship_address) FROM orders o JOIN employees e USING (employee_id)"),
        ("product by supplier + product word", "",
         "SELECT 'products', p.product_id::text, s.company_name, p.product_name FROM products p "
         "JOIN suppliers s USING (supplier_id)"),
        ("product by category + product word", "",
         "SELECT 'products', p.product_id::text, c.category_name, p.product_name FROM products p "
         "JOIN categories c USING (category_id)"),
    ],
    "pagila": [
        ("rental by customer + film title word (two links)", "",
         "SELECT 'rental', r.rental_id::text, c.first_name || ' ' || c.last_name, f.title FROM rental r "
         "JOIN customer c USING (customer_id) JOIN inventory i USING (inventory_id) JOIN film f USING (film_id)"),
        ("address by city + street word", "",
         "SELECT 'address', a.address_id::text, ci.city, a.address FROM address a JOIN city ci USING (city_id)"),
        ("city by country + city word", "",
         "SELECT 'city', ci.city_id::text, co.country, ci.city FROM city ci JOIN country co USING (country_id)"),
    ],
}

STOPWORDS = frozenset("""the and for with from that this into over under of in on at to by an or
a as is it be are was were not but its our your their""".split())


@dataclass
class Query:
    database: str
    kind: str
    text: str
    relevant: set[str] = field(default_factory=set)  # doc ids of right rows


def doc_id(table: str, key: str) -> str:
    return f"{table}:{key}"


def own_words(text: str, name: str) -> list[str]:
    named = set(tokens(name))
    seen = dict.fromkeys(w for w in _TOKEN.findall(text or "")
                         if len(w) >= 4 and w.isalpha() and w.lower() not in STOPWORDS
                         and stem(_fold(w)) not in named)
    return list(seen)


def make_queries(database: str, url: str, per_kind: int, seed: int) -> list[Query]:
    out: list[Query] = []
    conn = psycopg2.connect(url)
    try:
        with conn.cursor() as cur:
            for kind, kind_word, query in QUERY_SETS[database]:
                cur.execute(query)
                rows = [(t, k, n, x) for t, k, n, x in cur.fetchall() if n]
                by_name: dict[str, list[tuple[str, set[str]]]] = defaultdict(list)
                frequency: dict[str, int] = defaultdict(int)  # rows of the kind with the word
                for table, key, name, text in rows:
                    words = set(tokens(text or ""))
                    by_name[name].append((doc_id(table, key), words))
                    for word in words:
                        frequency[word] += 1
                rng = random.Random(f"{seed}:{database}:{kind}")
                rows.sort(key=lambda r: (r[0], r[1]))
                rng.shuffle(rows)
                made = 0
                for _table, _key, name, text in rows:
                    words = own_words(text, name)
                    if not words:
                        continue
                    # a distinctive word: one of the row's two rarest among the rows of its kind
                    words.sort(key=lambda w: (frequency[stem(_fold(w))], w))
                    word = rng.choice(words[:2])
                    wanted = stem(_fold(word))
                    relevant = {d for d, toks in by_name[name] if wanted in toks}
                    parts = [name, kind_word, word] if kind_word else [name, word]
                    out.append(Query(database, kind, " ".join(p for p in parts if p), relevant))
                    made += 1
                    if made == per_kind:
                        break
    finally:
        conn.close()
    return out


# --- feed files -------------------------------------------------------------------------------


def ingest(code: Path, url: str, feed: Path, state: Path) -> None:
    result = subprocess.run([sys.executable, str(code / "scripts" / "ingest_database.py"), "--full",
                             "--database-url", url, "--vespa-url", f"file://{feed}", "--state-dir", str(state),
                             "--no-progress"], capture_output=True, text=True, cwd=code,
                            env={**os.environ, "PYTHONPATH": str(code)})  # that checkout's code, not ours
    if result.returncode != 0:
        raise SystemExit(f"ingest with {code} failed ({result.returncode}): {result.stderr.strip()[-2000:]}")


def read_feed(feed: Path) -> dict[str, str]:
    """content_text of each procore_record document (`<table>:<key>` -> text)."""
    docs: dict[str, str] = {}
    for path in sorted(feed.glob("*.jsonl")):
        if path.name.startswith("_"):
            continue  # other document types (schema metadata, files)
        with path.open("rb") as fh:
            for line in fh:
                op = orjson.loads(line)
                if "put" not in op:
                    continue
                fields = op["fields"]
                docs[doc_id(fields["source_table"], fields["source_id"])] = fields.get("content_text", "")
    return docs


@dataclass
class Score:
    queries: int = 0
    top10: int = 0
    reciprocal: float = 0.0
    ranks: list[float] = field(default_factory=list)

    def add(self, rank: float | None) -> None:
        self.queries += 1
        if rank is not None:
            self.top10 += rank <= TOP
            self.reciprocal += 1 / rank
            self.ranks.append(rank)

    @property
    def share(self) -> float:
        return self.top10 / self.queries if self.queries else 0.0

    @property
    def mrr(self) -> float:
        return self.reciprocal / self.queries if self.queries else 0.0


def evaluate(index: Index, queries: list[Query]) -> dict[str, Score]:
    scores: dict[str, Score] = defaultdict(Score)
    for q in queries:
        scores[q.kind].add(index.rank(q.text, q.relevant))
    return scores


def growth(before: dict[str, str], after: dict[str, str]) -> list[int]:
    return [len(after[d].encode()) - len(before[d].encode()) for d in after if d in before]


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--compare", type=Path, help="a checkout whose code gives the 'before' figures")
    p.add_argument("--per-kind", type=int, default=120, help="queries per kind (default 120)")
    p.add_argument("--seed", type=int, default=7)
    p.add_argument("--databases", default="demo,chinook,northwind,pagila")
    p.add_argument("--output", default=str(ROOT / "bench" / "RESULTS.md"))
    p.add_argument("--examples", type=int, default=0, help="print this many missed queries per kind")
    p.add_argument("--show", action="append", default=[], metavar="QUERY",
                   help="print the top 3 documents of this query in each database (repeatable)")
    args = p.parse_args()

    codes = ([("before", args.compare.resolve())] if args.compare else []) + [("after" if args.compare else "this", ROOT)]
    wanted = [d.strip() for d in args.databases.split(",") if d.strip()]
    missing = [d for d in wanted if d != "demo" and not DATASETS.exists()]
    databases = [d for d in wanted if d not in missing]

    import pgserver

    work = Path(tempfile.mkdtemp(prefix="pgbq", dir="/tmp"))
    server = pgserver.get_server(work / "pg", cleanup_mode="stop")
    admin = server.get_uri("postgres")
    results: dict[str, dict[str, dict[str, Score]]] = {label: {} for label, _ in codes}
    texts: dict[str, dict[str, dict[str, str]]] = {label: {} for label, _ in codes}
    counts: dict[str, int] = {}
    try:
        for database in databases:
            execute(admin, f"CREATE DATABASE {database}")
            url = server.get_uri(database)
            if database == "demo":
                build_demo_database(url, DemoSpec())
            else:
                load_dataset(url, database)
            queries = make_queries(database, url, args.per_kind, args.seed)
            counts[database] = len(queries)
            for label, code in codes:
                feed = work / f"feed-{label}-{database}"
                ingest(code, url, feed, work / f"state-{label}-{database}")
                docs = read_feed(feed)
                texts[label][database] = docs
                index = Index(docs)
                results[label][database] = evaluate(index, queries)
                for text in args.show:
                    print(f"[{label}] {database}: {text!r}", file=sys.stderr)
                    for place, (doc, _score) in enumerate(index.top(text, 3), 1):
                        shown_text = " / ".join(docs[doc].splitlines()[:3])
                        print(f"  {place}. {doc.split(':', 1)[0]:<16} {shown_text[:150]}", file=sys.stderr)
                if args.examples:
                    shown: dict[str, int] = defaultdict(int)
                    for q in queries:
                        rank = index.rank(q.text, q.relevant)
                        if (rank is None or rank > TOP) and shown[q.kind] < args.examples:
                            shown[q.kind] += 1
                            print(f"[{label}] {database} / {q.kind}: {q.text!r} -> {rank} "
                                  f"(right: {sorted(q.relevant)[:3]})", file=sys.stderr)
    finally:
        server.cleanup()

    now, header = run_header()
    lines = [f"\n## bench_search.py — {now}\n",
             f"{header}; {sum(counts.values()):,} queries ({args.per_kind} per kind, seed {args.seed}) over "
             f"{', '.join(databases)}" + (f"; not run: {', '.join(missing)} (no corpus at {DATASETS})" if missing else "")
             + ". BM25 over content_text (k1 1.2, b 0.75, any-term matching, plurals stemmed).\n"]
    labels = [label for label, _ in codes]
    head = "| database | query kind | queries | " + " | ".join(f"top-10 {lb} | MRR {lb}" for lb in labels) + " |"
    lines += [head, "|---|---|---:|" + "---:|---:|" * len(labels)]
    overall = {label: Score() for label in labels}
    for database in databases:
        for kind, _, _ in QUERY_SETS[database]:
            cells = []
            n = 0
            for label in labels:
                s = results[label][database][kind]
                n = s.queries
                cells.append(f"{s.share:.0%} | {s.mrr:.2f}")
                o = overall[label]
                o.queries += s.queries
                o.top10 += s.top10
                o.reciprocal += s.reciprocal
            lines.append(f"| {database} | {kind} | {n} | " + " | ".join(cells) + " |")
    lines.append("| **all** | | " + str(overall[labels[0]].queries) + " | "
                 + " | ".join(f"**{overall[lb].share:.0%}** | **{overall[lb].mrr:.2f}**" for lb in labels) + " |")
    if len(labels) == 2:
        for database in databases:
            grown = growth(texts["before"][database], texts["after"][database])
            if grown:
                lines.append(f"- {database}: content_text grew by a median of {statistics.median(grown):.0f} B "
                             f"per document, max {max(grown):,} B ({len(grown):,} documents)")
    publish(args.output, lines)
    print(f"(finished {datetime.now():%H:%M:%S})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
