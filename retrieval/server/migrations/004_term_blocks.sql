-- tracuu server schema 4: BM25 postings as blocks, one row per term (per document when written, per
-- collection once compacted) instead of one row per term and chunk. Measured on schema 3: a query's
-- common terms touched ~1 M posting rows at 44k chunks (BM25 statement 2.2 s, 95 % of a hybrid
-- search); a block is read whole and scored in numpy by the searcher.
--
-- chunk_ids: the chunks' ids as big-endian int4; tfs: their term frequencies as big-endian uint16, in
-- the same order. doc_id NULL marks a compacted block: it may still name chunks deleted or rewritten
-- since (ids no longer in ``chunks``), which readers skip and the next compaction drops.
CREATE TABLE term_blocks (
    field         smallint NOT NULL,          -- 0 accented, 1 accent-stripped
    term          text NOT NULL,
    collection_id integer NOT NULL REFERENCES collections (id) ON DELETE CASCADE,
    doc_id        text REFERENCES documents (doc_id) ON DELETE CASCADE,
    chunk_ids     bytea NOT NULL,
    tfs           bytea NOT NULL
);
ALTER TABLE term_blocks ALTER COLUMN chunk_ids SET STORAGE EXTERNAL;  -- ids do not compress: no pglz
ALTER TABLE term_blocks ALTER COLUMN tfs SET STORAGE EXTERNAL;
CREATE INDEX term_blocks_term ON term_blocks (field, term, collection_id);
CREATE INDEX term_blocks_doc ON term_blocks (doc_id) WHERE doc_id IS NOT NULL;

-- Each collection's accent model (retrieval/accents.py: syllable counts learned from its chunks, for
-- queries typed without diacritics), recounted by the upkeep after imports; a reader merges those of
-- its collections instead of counting every chunk it loads (measured: 1.9 s per 2.9k chunks).
-- documents.written_version: meta.data_version of the commit that wrote the document.
CREATE TABLE accent_models (
    collection_id integer PRIMARY KEY REFERENCES collections (id) ON DELETE CASCADE,
    built_version bigint NOT NULL,     -- meta.data_version when it was counted
    n_chunks      integer NOT NULL,
    model         jsonb NOT NULL
);
ALTER TABLE documents ADD COLUMN written_version bigint NOT NULL DEFAULT 0;

-- The postings of schema 3, compacted per collection (live chunks only: postings cascade with them).
INSERT INTO term_blocks (field, term, collection_id, doc_id, chunk_ids, tfs)
SELECT field, term, collection_id, NULL,
       string_agg(int4send(chunk_id::integer), ''::bytea ORDER BY chunk_id),
       string_agg(int2send(least(tf, 32767)::smallint), ''::bytea ORDER BY chunk_id)
FROM postings
GROUP BY field, term, collection_id;

DROP TABLE postings;
