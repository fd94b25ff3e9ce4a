-- Invite codes that no longer work, by hash, and why: a claim page can then tell a used or replaced link
-- (410, "ask the admin for a new one") from a mistyped or made-up one (404). organisation_access keeps
-- only the current invite.
CREATE TABLE spent_invites (
    invite_hash     TEXT PRIMARY KEY,
    organisation_id TEXT NOT NULL,
    spent           TEXT NOT NULL,
    reason          TEXT NOT NULL CHECK (reason IN ('claimed', 'replaced'))
);
