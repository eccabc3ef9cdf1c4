package main

import (
	"errors"
	"fmt"
	"net/http"
	"strings"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/switchboard-dev/switchboard/maven"
)

// envMavenRepositories names the Maven repositories the sync resolves
// pom.xml files against.
const envMavenRepositories = "MAVEN_REPOSITORIES"

// mavenConfig is MAVEN_REPOSITORIES, read and checked: where the sync
// fetches the POMs a repo's pom.xml files need (parents, BOMs, the
// dependencies' own POMs).
type mavenConfig struct {
	// Off: POMs are read as declared (MAVEN_REPOSITORIES=off).
	Off bool
	// Repos are tried in order; empty means Maven Central.
	Repos []maven.RemoteRepo
}

// loadMavenConfig reads MAVEN_REPOSITORIES: unset for Maven Central, a
// comma-separated list of repository URLs tried in order, or "off".
func loadMavenConfig(getenv func(string) string) (mavenConfig, error) {
	v := strings.TrimSpace(getenv(envMavenRepositories))
	if strings.EqualFold(v, "off") {
		return mavenConfig{Off: true}, nil
	}
	var c mavenConfig
	if v == "" {
		return c, nil
	}
	for _, u := range strings.Split(v, ",") {
		u = strings.TrimRight(strings.TrimSpace(u), "/")
		if u == "" {
			return c, fmt.Errorf("%s: an empty entry: want comma-separated repository URLs (e.g. %s), or off", envMavenRepositories, maven.DefaultRepositoryURL)
		}
		c.Repos = append(c.Repos, maven.RemoteRepo{URL: u})
	}
	if _, err := maven.NewRemote(c.Repos, nil); err != nil {
		return c, fmt.Errorf("%s: %w", envMavenRepositories, err)
	}
	return c, nil
}

// mavenTimeout bounds one request to a Maven repository when the caller
// gives no client of its own.
const mavenTimeout = 30 * time.Second

// resolver returns the resolver the sync uses: the configured repositories
// behind the POM cache in pool; nil when resolution is off. A nil client
// is one with a timeout of mavenTimeout.
func (c mavenConfig) resolver(pool *pgxpool.Pool, client *http.Client) (*maven.Resolver, error) {
	if c.Off {
		return nil, nil
	}
	if pool == nil {
		return nil, errors.New("maven resolver: no database for the POM cache")
	}
	if client == nil {
		client = &http.Client{Timeout: mavenTimeout}
	}
	remote, err := maven.NewRemote(c.Repos, client)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", envMavenRepositories, err)
	}
	return &maven.Resolver{Repo: &maven.Cached{Repo: remote, Store: maven.NewStore(pool)}}, nil
}
