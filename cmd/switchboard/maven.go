package main

import (
	"errors"
	"fmt"
	"net/http"
	"strings"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/switchboard-dev/switchboard/maven"
	"github.com/switchboard-dev/switchboard/standards"
)

// envMavenRepositories names the Maven repositories the sync resolves
// pom.xml files against, replacing the standards file's.
const envMavenRepositories = "MAVEN_REPOSITORIES"

// mavenConfig is where the sync fetches the POMs a repo's pom.xml files
// need (parents, BOMs, the dependencies' own POMs): the standards file's
// dependencies.maven.repositories, with their credentials read from the
// environment variables it names, or MAVEN_REPOSITORIES when set.
type mavenConfig struct {
	// Off: POMs are read as declared (MAVEN_REPOSITORIES=off).
	Off bool
	// Repos are tried in order; empty means Maven Central.
	Repos []maven.RemoteRepo
}

// loadMavenConfig reads the Maven repositories: MAVEN_REPOSITORIES when
// set (a comma-separated list of repository URLs tried in order, or
// "off"), else std's (nil: none, so Maven Central). Each credential std
// names by environment variable is read now; a variable named but unset
// or empty is an error naming it, so that a deployment missing a secret
// stops at start rather than syncing partial graphs. No error carries a
// credential's value.
func loadMavenConfig(getenv func(string) string, std *standards.Standards) (mavenConfig, error) {
	v := strings.TrimSpace(getenv(envMavenRepositories))
	if strings.EqualFold(v, "off") {
		return mavenConfig{Off: true}, nil
	}
	var c mavenConfig
	if v == "" {
		return mavenFromStandards(getenv, std)
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

// mavenFromStandards reads std's Maven repositories and the credentials
// they name.
func mavenFromStandards(getenv func(string) string, std *standards.Standards) (mavenConfig, error) {
	var c mavenConfig
	if std == nil {
		return c, nil
	}
	var errs []error
	for i, r := range std.Dependencies.Maven.Repositories {
		repo := maven.RemoteRepo{URL: strings.TrimRight(strings.TrimSpace(r.URL), "/")}
		where := fmt.Sprintf("standards file: dependencies.maven.repositories[%d] (%s)", i, repo.URL)
		secret := func(field, name string) string {
			if name == "" {
				return ""
			}
			val := strings.TrimSpace(getenv(name))
			if val == "" {
				errs = append(errs, fmt.Errorf("%s: %s names the environment variable %s, which is not set or empty: set it to the repository's %s",
					where, field, name, strings.TrimSuffix(field, "_env")))
			}
			return val
		}
		repo.Token = secret("token_env", r.TokenEnv)
		repo.Username = secret("username_env", r.UsernameEnv)
		c.Repos = append(c.Repos, repo)
	}
	if err := errors.Join(errs...); err != nil {
		return mavenConfig{}, err
	}
	if _, err := maven.NewRemote(c.Repos, nil); err != nil {
		return mavenConfig{}, fmt.Errorf("standards file: dependencies.maven: %w", err)
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
		return nil, fmt.Errorf("maven repositories: %w", err)
	}
	return &maven.Resolver{Repo: &maven.Cached{Repo: remote, Store: maven.NewStore(pool)}}, nil
}
