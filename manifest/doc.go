// Package manifest reads the descriptor files that teams commit to their
// repositories — Backstage catalog-info.yaml (every built-in kind, multi-document)
// and OpsLevel opslevel.yml (service:, component: and repository: forms) — into
// one model, and validates them with exact file:line:column positions.
//
// Parse never panics and never fails: whatever the input, it returns a
// Descriptor whose Findings say what is wrong, where, and how to fix it.
// Findings that Backstage itself would reject are errors; everything Switchboard
// checks beyond that (unknown keys, the organisation's standards) is a warning
// unless the organisation's Rules raise it.
//
// The package imports nothing else of Switchboard: the organisation's standards
// reach it as a Rules value.
package manifest
