-- What a team's scorecard (/scorecard TEAM, the App Home's levels) shows
-- of each grade, in plain columns written with the grade by
-- catalog.PutGrades, so that reading a team of 1,000 services decodes no
-- grade JSON: next_level is the rank of the next level to reach
-- (scorecard.Grade.Next, 0 at the top), and missing are that level's
-- checks not passed (Grade.Missing), in order, each as "status id"
-- ("failed runbook", "unknown oncall-now").
ALTER TABLE service_grades
    ADD COLUMN next_level integer NOT NULL DEFAULT 0 CHECK (next_level >= 0),
    ADD COLUMN missing text[] NOT NULL DEFAULT '{}';

-- Grades stored before: the same, from their JSON.
UPDATE service_grades SET
    next_level = COALESCE((grade->>'next')::int, 0),
    missing = ARRAY(
        SELECT (m.r->>'status') || ' ' || (m.r->>'id')
        FROM jsonb_array_elements(CASE jsonb_typeof(grade->'missing') WHEN 'array' THEN grade->'missing' ELSE '[]' END)
            WITH ORDINALITY AS m(r, n)
        ORDER BY m.n);
