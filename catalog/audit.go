package catalog

import (
	"context"
	"encoding/json"
	"fmt"

	"github.com/jackc/pgx/v5/pgconn"
)

// Audit appends e to the audit log. At is set by the database.
func (s *Store) Audit(ctx context.Context, e AuditEntry) error {
	return appendAudit(ctx, s.pool, e)
}

// execer runs a statement: a pool, or a transaction whose change the audit
// entry must share.
type execer interface {
	Exec(ctx context.Context, sql string, args ...any) (pgconn.CommandTag, error)
}

// appendAudit appends e to the audit log through db.
func appendAudit(ctx context.Context, db execer, e AuditEntry) error {
	detail := e.Detail
	if detail == nil {
		detail = map[string]any{}
	}
	b, err := json.Marshal(detail)
	if err != nil {
		return fmt.Errorf("audit %s: encode detail: %w", e.Action, err)
	}
	if e.Result == "" {
		e.Result = "ok"
	}
	if _, err := db.Exec(ctx, `INSERT INTO audit_log (actor, action, subject, detail, result) VALUES ($1, $2, $3, $4, $5)`,
		e.Actor, e.Action, e.Subject, b, e.Result); err != nil {
		return fmt.Errorf("audit %s %s: %w", e.Action, e.Subject, err)
	}
	return nil
}

// AuditLog returns the newest limit entries about subject ("" for all),
// newest first.
func (s *Store) AuditLog(ctx context.Context, subject string, limit int) ([]AuditEntry, error) {
	rows, err := s.pool.Query(ctx, `
		SELECT id, at, actor, action, subject, detail, result FROM audit_log
		WHERE $1 = '' OR subject = $1 ORDER BY at DESC, id DESC LIMIT $2`, subject, limit)
	if err != nil {
		return nil, fmt.Errorf("read audit log: %w", err)
	}
	defer rows.Close()
	var out []AuditEntry
	for rows.Next() {
		var e AuditEntry
		var detail []byte
		if err := rows.Scan(&e.ID, &e.At, &e.Actor, &e.Action, &e.Subject, &detail, &e.Result); err != nil {
			return nil, fmt.Errorf("read audit log: %w", err)
		}
		if err := json.Unmarshal(detail, &e.Detail); err != nil {
			return nil, fmt.Errorf("read audit log entry %d: %w", e.ID, err)
		}
		out = append(out, e)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("read audit log: %w", err)
	}
	return out, nil
}
