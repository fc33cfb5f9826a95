-- tracuu server schema 2: the per-address rate limit and the session clean-up read by index.
CREATE INDEX login_attempts_remote ON login_attempts (remote, at);
CREATE INDEX sessions_expires ON sessions (expires_at);
