package main

import (
	"log/slog"
	"time"

	"github.com/switchboard-dev/switchboard/catalog"
	"github.com/switchboard-dev/switchboard/commands"
)

// deps are what the slash commands are built from; serve and demo fill
// them in, each from its own sources.
type deps struct {
	log   *slog.Logger
	store *catalog.Store
	// lookups answers the read-mostly questions (a catalog.Cache in serve).
	lookups commands.ServiceCatalog
}

// newRouter registers every slash command.
func newRouter(d deps) *commands.Router {
	router := commands.NewRouter(d.log, 10*time.Second)
	router.Register(commands.WhoOwns(d.lookups))
	router.Register(commands.Impact(d.store))
	return router
}
