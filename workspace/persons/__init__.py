"""A private person's own pages (issue #26): their profile with the masked identity number,
who read their data and why, and their subsidies. On the read side (workspace): they read
the register and the hub's call log, and later the subsidies."""
