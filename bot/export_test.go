package bot

import "time"

// SetDirectoryClock sets the clock of d's caches, for tests.
func SetDirectoryClock(d *Directory, now func() time.Time) { d.now = now }
