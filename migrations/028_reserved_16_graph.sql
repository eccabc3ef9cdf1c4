-- Reserved for issue 16 (filled in by its work; a no-op until then so that
-- the numbering has no gap).
SELECT 1;
