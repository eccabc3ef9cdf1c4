// Package migrations holds the catalog's schema as numbered SQL files,
// embedded in the binary. They are applied in order by catalog.Migrate.
package migrations

import "embed"

// FS holds the migration files, named NNN_description.sql.
//
//go:embed *.sql
var FS embed.FS
