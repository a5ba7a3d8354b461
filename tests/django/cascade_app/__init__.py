"""A test-only app: users that a cascade deletes (for the policy cache's write-through tests)."""
