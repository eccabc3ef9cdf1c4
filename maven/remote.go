package maven

import (
	"context"
	"encoding/xml"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"time"
)

// DefaultRepositoryURL is Maven Central, the repository used when none is
// configured.
const DefaultRepositoryURL = "https://repo.maven.apache.org/maven2"

// RemoteRepo is one Maven repository: a base URL in the Maven repository
// layout, with optional credentials.
type RemoteRepo struct {
	// URL is the base, e.g. https://nexus.example.com/repository/maven-public.
	URL string
	// Token, when set, is sent as "Authorization: Bearer TOKEN", unless
	// Username is set: then Username and Token are sent as basic
	// authentication (Nexus and Artifactory user tokens).
	Token    string
	Username string
}

// maxPOMSize bounds a POM read from a repository.
const maxPOMSize = 4 << 20

// Remote fetches POMs from Maven repositories over HTTP, trying each in
// order: the first that has a POM serves it.
type Remote struct {
	// Repos are tried in order; empty means Maven Central.
	Repos []RemoteRepo
	// Client is the HTTP client; nil means http.DefaultClient.
	Client *http.Client
	// Retries is how many times a request that failed for a reason other
	// than "not found" (5xx, refused, reset) is tried again, after
	// RetryWait, twice as long each time: 1 when 0, none when negative.
	Retries int
	// RetryWait is the first wait before a retry; 200 ms when 0.
	RetryWait time.Duration
}

// NewRemote returns a Remote over repos (Maven Central when empty), each
// URL checked: absolute http or https, no query or fragment.
func NewRemote(repos []RemoteRepo, client *http.Client) (*Remote, error) {
	for i, repo := range repos {
		u, err := url.Parse(repo.URL)
		if err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" || u.RawQuery != "" || u.Fragment != "" {
			return nil, fmt.Errorf("maven repository %d: URL %q: want an absolute http(s) URL without query, e.g. %s", i+1, repo.URL, DefaultRepositoryURL)
		}
		if u != nil && u.User != nil {
			return nil, fmt.Errorf("maven repository %d (%s://%s%s): credentials in the URL: name the environment variables that hold them instead (token_env, username_env)", i+1, u.Scheme, u.Host, u.Path)
		}
		if repo.Username != "" && repo.Token == "" {
			return nil, fmt.Errorf("maven repository %d (%s): a username needs a token (the password)", i+1, repo.URL)
		}
	}
	return &Remote{Repos: repos, Client: client}, nil
}

// FetchPOM returns the POM of c from the first repository that has it. It
// returns ErrNotFound when every repository answered 404, and an error
// wrapping ErrUnavailable when none has it and one could not answer.
func (r *Remote) FetchPOM(ctx context.Context, c Coord) ([]byte, error) {
	if !c.valid() {
		return nil, fmt.Errorf("fetch %s: invalid coordinate: %w", c, ErrNotFound)
	}
	return r.get(ctx, c.Path())
}

// Versions lists the versions in groupID:artifactID's maven-metadata.xml,
// merged over the repositories.
func (r *Remote) Versions(ctx context.Context, groupID, artifactID string) ([]string, error) {
	data, err := r.get(ctx, strings.ReplaceAll(groupID, ".", "/")+"/"+artifactID+"/maven-metadata.xml")
	if err != nil {
		return nil, err
	}
	var md struct {
		Versions []string `xml:"versioning>versions>version"`
	}
	if err := xml.Unmarshal(data, &md); err != nil {
		return nil, fmt.Errorf("read maven-metadata.xml of %s:%s: %w", groupID, artifactID, err)
	}
	return md.Versions, nil
}

// get fetches one path from the first repository that has it.
func (r *Remote) get(ctx context.Context, p string) ([]byte, error) {
	repos := r.Repos
	if len(repos) == 0 {
		repos = []RemoteRepo{{URL: DefaultRepositoryURL}}
	}
	client := r.Client
	if client == nil {
		client = http.DefaultClient
	}
	retries, wait := r.Retries, r.RetryWait
	if retries == 0 {
		retries = 1
	}
	if wait <= 0 {
		wait = 200 * time.Millisecond
	}
	var unavailable error
	for _, repo := range repos {
		data, err := repo.get(ctx, client, p)
		var refused *refusedError
		for try, w := 0, wait; try < retries && err != nil && !errors.Is(err, ErrNotFound) && !errors.As(err, &refused) && ctx.Err() == nil; try, w = try+1, w*2 {
			select {
			case <-time.After(w):
			case <-ctx.Done():
			}
			if ctx.Err() == nil {
				data, err = repo.get(ctx, client, p)
			}
		}
		if err == nil {
			return data, nil
		}
		if ctx.Err() != nil {
			return nil, fmt.Errorf("get %s: %w", p, ctx.Err())
		}
		if !errors.Is(err, ErrNotFound) && unavailable == nil {
			unavailable = err
		}
	}
	if unavailable != nil {
		return nil, unavailable
	}
	return nil, fmt.Errorf("get %s: %w", p, ErrNotFound)
}

// get fetches one path from the repository.
func (repo RemoteRepo) get(ctx context.Context, client *http.Client, p string) ([]byte, error) {
	u := strings.TrimSuffix(repo.URL, "/") + "/" + p
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, u, nil)
	if err != nil {
		return nil, fmt.Errorf("get %s: %w", u, err)
	}
	switch {
	case repo.Username != "":
		req.SetBasicAuth(repo.Username, repo.Token)
	case repo.Token != "":
		req.Header.Set("Authorization", "Bearer "+repo.Token)
	}
	resp, err := client.Do(req)
	if err != nil {
		return nil, fmt.Errorf("get %s: %w: %w", u, ErrUnavailable, err)
	}
	defer resp.Body.Close()
	switch {
	case resp.StatusCode == http.StatusNotFound || resp.StatusCode == http.StatusGone:
		return nil, fmt.Errorf("get %s: %w", u, ErrNotFound)
	case resp.StatusCode == http.StatusUnauthorized || resp.StatusCode == http.StatusForbidden:
		return nil, &refusedError{url: repo.URL, status: resp.StatusCode, credentials: repo.Token != ""}
	case resp.StatusCode != http.StatusOK:
		return nil, fmt.Errorf("get %s: %w: status %d", u, ErrUnavailable, resp.StatusCode)
	}
	data, err := io.ReadAll(io.LimitReader(resp.Body, maxPOMSize+1))
	if err != nil {
		return nil, fmt.Errorf("get %s: %w: %w", u, ErrUnavailable, err)
	}
	if len(data) > maxPOMSize {
		return nil, fmt.Errorf("get %s: larger than %d bytes: %w", u, maxPOMSize, ErrUnavailable)
	}
	return data, nil
}

// refusedError is a repository's 401 or 403. It is not tried again within
// the sync (the same credentials get the same answer), but it is
// ErrUnavailable: the graph is partial, and the next sync tries again (the
// credentials may have been fixed). It never holds the credentials, only
// whether there were any.
type refusedError struct {
	url         string
	status      int
	credentials bool
}

func (e *refusedError) Error() string {
	if !e.credentials {
		return fmt.Sprintf("Maven repository %s asks for credentials (%d): name them with token_env in the standards file", e.url, e.status)
	}
	return fmt.Sprintf("Maven repository %s refused the credentials (%d)", e.url, e.status)
}

// Is makes a refusal match ErrUnavailable.
func (e *refusedError) Is(target error) bool { return target == ErrUnavailable }
