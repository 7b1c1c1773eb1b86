-- Bastion's shared state: prepaid accounts, the journal of every reservation, and API keys (hashes only).

CREATE TABLE bastion_accounts (
    account_id      text PRIMARY KEY,
    -- prepaid credit not yet spent; reserved amounts are still part of it
    balance_micros  bigint NOT NULL CHECK (balance_micros >= 0),
    -- held by requests in flight; never more than the balance, so the balance never goes below zero
    reserved_micros bigint NOT NULL DEFAULT 0 CHECK (reserved_micros >= 0 AND reserved_micros <= balance_micros),
    spent_micros    bigint NOT NULL DEFAULT 0 CHECK (spent_micros >= 0),
    created_at      timestamptz NOT NULL DEFAULT now()
);

-- One row per request id, ever: a request id is reserved at most once, and settled at most once.
CREATE TABLE bastion_ledger_journal (
    request_id      text PRIMARY KEY,
    account_id      text NOT NULL REFERENCES bastion_accounts (account_id),
    reserved_micros bigint NOT NULL CHECK (reserved_micros >= 0),
    -- reserved (in flight), settled (charged_micros charged; 0 for a release), expired (its node never came back)
    state           text NOT NULL CHECK (state IN ('reserved', 'settled', 'expired')),
    charged_micros  bigint CHECK (charged_micros >= 0),
    reserved_at     timestamptz NOT NULL,
    expires_at      timestamptz NOT NULL,
    ended_at        timestamptz
);

-- the sweeper's scan: reservations still held, oldest deadline first
CREATE INDEX bastion_ledger_journal_held ON bastion_ledger_journal (expires_at) WHERE state = 'reserved';

CREATE TABLE bastion_api_keys (
    key_id         text PRIMARY KEY,
    -- SHA-256 of the key, hexadecimal: the key itself is never stored
    key_hash       text NOT NULL UNIQUE,
    account_id     text NOT NULL,
    tier           text NOT NULL,
    -- canonical model ids the key may use; empty: every model
    allowed_models text[] NOT NULL DEFAULT '{}',
    created_at     timestamptz NOT NULL DEFAULT now(),
    revoked_at     timestamptz
);
