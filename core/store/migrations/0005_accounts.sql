-- Accounts: an initial or reset password set by an administrator can be marked to be changed by its
-- owner at the next login; until then the session may only read /api/me, change the password or log
-- out (core/http.c dispatch_route). password_changed_at records the owner's last own change.
ALTER TABLE users ADD COLUMN must_change_password INTEGER NOT NULL DEFAULT 0
  CHECK (must_change_password = 0 OR must_change_password = 1);
ALTER TABLE users ADD COLUMN password_changed_at TEXT;
