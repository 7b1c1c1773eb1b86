-- The first 12 characters of a key ("qbt_" and 8), kept so that the admin API can show which key is which;
-- null for a key registered by its hash alone, or stored before this column. Never the whole key.
ALTER TABLE bastion_api_keys ADD COLUMN key_prefix text;

-- the admin API lists an account's keys, newest first
CREATE INDEX bastion_api_keys_account ON bastion_api_keys (account_id, created_at DESC);
