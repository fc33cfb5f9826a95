-- tracuu server schema 1: documents, chunks (exact spans in data), vectors (pgvector), BM25 postings,
-- the reference graph, users, collections, grants, sessions, login attempts, audit log, conversations.
CREATE EXTENSION IF NOT EXISTS vector;

CREATE TABLE meta (
    key   text PRIMARY KEY,
    value jsonb NOT NULL
);
INSERT INTO meta (key, value) VALUES ('data_version', '0');

CREATE TABLE collections (
    id           serial PRIMARY KEY,
    name         text NOT NULL UNIQUE CHECK (name ~ '^[a-z0-9][a-z0-9_-]{0,62}$'),
    title        text NOT NULL DEFAULT '',
    confidential boolean NOT NULL DEFAULT false,
    created_at   timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE users (
    id            serial PRIMARY KEY,
    username      text NOT NULL UNIQUE,
    display_name  text NOT NULL DEFAULT '',
    password_hash text NOT NULL,
    is_admin      boolean NOT NULL DEFAULT false,
    disabled      boolean NOT NULL DEFAULT false,
    created_at    timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE grants (
    user_id       integer NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    collection_id integer NOT NULL REFERENCES collections (id) ON DELETE CASCADE,
    role          text NOT NULL CHECK (role IN ('reader', 'editor')),
    PRIMARY KEY (user_id, collection_id)
);

CREATE TABLE sessions (
    token_hash text PRIMARY KEY,
    user_id    integer NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    created_at timestamptz NOT NULL DEFAULT now(),
    expires_at timestamptz NOT NULL
);
CREATE INDEX sessions_user ON sessions (user_id);

CREATE TABLE login_attempts (
    id       bigserial PRIMARY KEY,
    username text NOT NULL,
    remote   text NOT NULL DEFAULT '',
    ok       boolean NOT NULL,
    at       timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX login_attempts_recent ON login_attempts (username, at);

CREATE TABLE audit_log (
    id            bigserial PRIMARY KEY,
    at            timestamptz NOT NULL DEFAULT now(),
    user_id       integer REFERENCES users (id) ON DELETE SET NULL,
    username      text NOT NULL DEFAULT '',
    action        text NOT NULL,
    collection_id integer REFERENCES collections (id) ON DELETE SET NULL,
    target        text NOT NULL DEFAULT '',
    detail        jsonb NOT NULL DEFAULT '{}'
);
CREATE INDEX audit_log_at ON audit_log (at);

CREATE TABLE documents (
    doc_id        text PRIMARY KEY,
    collection_id integer NOT NULL REFERENCES collections (id) ON DELETE CASCADE,
    source        text NOT NULL,
    sha256        text NOT NULL,
    data          jsonb NOT NULL,          -- StoredDocument.to_json(): text, metadata, structure
    n_chunks      integer NOT NULL,
    indexed_at    timestamptz NOT NULL DEFAULT now(),
    UNIQUE (collection_id, source)
);
CREATE INDEX documents_collection ON documents (collection_id);

CREATE TABLE chunks (
    id            bigserial PRIMARY KEY,
    doc_id        text NOT NULL REFERENCES documents (doc_id) ON DELETE CASCADE,
    collection_id integer NOT NULL,
    ord           integer NOT NULL,
    data          jsonb NOT NULL,          -- Chunk.to_json(): spans, heading path, text, footnotes
    n_tokens      integer NOT NULL,        -- BM25 document length (accented and plain alike)
    embedding     vector NOT NULL,
    UNIQUE (doc_id, ord)
);
CREATE INDEX chunks_collection ON chunks (collection_id);

-- BM25 inverted index over the same tokens as the folder index (field 0 accented, 1 plain).
CREATE TABLE postings (
    field         smallint NOT NULL,
    term          text NOT NULL,
    chunk_id      bigint NOT NULL REFERENCES chunks (id) ON DELETE CASCADE,
    collection_id integer NOT NULL,
    tf            integer NOT NULL,
    dl            integer NOT NULL,        -- the chunk's n_tokens, kept here for scoring
    PRIMARY KEY (field, term, chunk_id)
);
CREATE INDEX postings_chunk ON postings (chunk_id);

-- The reference graph's edges as the documents cite them (resolved to a document at read time,
-- among the documents the reader may see).
CREATE TABLE doc_references (
    doc_id    text NOT NULL REFERENCES documents (doc_id) ON DELETE CASCADE,
    ord       integer NOT NULL,
    reference text NOT NULL,
    PRIMARY KEY (doc_id, ord)
);
CREATE INDEX doc_references_reference ON doc_references (reference);

CREATE TABLE conversations (
    id         text PRIMARY KEY,
    user_id    integer NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    title      text NOT NULL DEFAULT '',
    created    timestamptz NOT NULL DEFAULT now(),
    updated    timestamptz NOT NULL DEFAULT now(),
    turns      integer NOT NULL DEFAULT 0,
    size       integer NOT NULL DEFAULT 0
);
CREATE INDEX conversations_user ON conversations (user_id, updated DESC);

CREATE TABLE messages (
    id           bigserial PRIMARY KEY,
    conversation text NOT NULL REFERENCES conversations (id) ON DELETE CASCADE,
    position     integer NOT NULL,
    body         jsonb NOT NULL,
    UNIQUE (conversation, position)
);
