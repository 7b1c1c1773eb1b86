-- An account's tier (its keys' rate limits), for the admin API of nodes that share the database.
ALTER TABLE bastion_accounts ADD COLUMN tier text NOT NULL DEFAULT 'default';
