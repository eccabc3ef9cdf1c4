package advisories

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net/http"
)

// Query and ForPackage are read by the tests only: they check the fake OSV
// server and the store against what OSV itself answers.

// maxPages bounds the pages one Query follows.
const maxPages = 100

// queryRequest is the body of POST /v1/query.
type queryRequest struct {
	Version   string       `json:"version,omitempty"`
	Package   queryPackage `json:"package"`
	PageToken string       `json:"page_token,omitempty"`
}

type queryPackage struct {
	Name      string `json:"name,omitempty"`
	Ecosystem string `json:"ecosystem,omitempty"`
	Purl      string `json:"purl,omitempty"`
}

// queryResponse is the answer of POST /v1/query: {} when nothing matches.
type queryResponse struct {
	Vulns         []Record `json:"vulns"`
	NextPageToken string   `json:"next_page_token"`
}

// Query returns the advisories affecting version of the package
// (POST /v1/query, every page); with version "", every advisory naming
// the package. ecosystem is Switchboard's or OSV's name.
func (c *Client) Query(ctx context.Context, ecosystem, name, version string) ([]*Record, error) {
	osv, ok := OSVEcosystem(ecosystem)
	if !ok {
		return nil, fmt.Errorf("query OSV for %s %s: %w %q", ecosystem, name, ErrUnsupportedEcosystem, ecosystem)
	}
	q := queryRequest{Version: version, Package: queryPackage{Name: name, Ecosystem: osv}}
	var out []*Record
	for page := 0; ; page++ {
		if page == maxPages {
			return nil, fmt.Errorf("query OSV for %s %s: more than %d pages", osv, name, maxPages)
		}
		body, err := json.Marshal(q)
		if err != nil {
			return nil, fmt.Errorf("query OSV for %s %s: %w", osv, name, err)
		}
		req, err := http.NewRequestWithContext(ctx, http.MethodPost, c.baseURL+"/v1/query", bytes.NewReader(body))
		if err != nil {
			return nil, fmt.Errorf("query OSV for %s %s: %w", osv, name, err)
		}
		req.Header.Set("Content-Type", "application/json")
		var res queryResponse
		if err := c.do(req, &res); err != nil {
			return nil, fmt.Errorf("query OSV for %s %s: %w", osv, name, err)
		}
		for i := range res.Vulns {
			if err := res.Vulns[i].Validate(); err != nil {
				return nil, fmt.Errorf("query OSV for %s %s: %w", osv, name, err)
			}
			out = append(out, &res.Vulns[i])
		}
		if res.NextPageToken == "" {
			return out, nil
		}
		q.PageToken = res.NextPageToken
	}
}

// ForPackage returns the advisories that name the package (ecosystem in
// Switchboard's or OSV's names; depfile.Gradle is Maven's namespace),
// whatever the version, ordered by id.
func (s *Store) ForPackage(ctx context.Context, ecosystem, name string) ([]*Record, error) {
	eco := ecosystem
	if osv, ok := OSVEcosystem(ecosystem); ok {
		eco = Ecosystem(osv)
	}
	rows, err := s.pool.Query(ctx, `
		SELECT a.record FROM advisories a
		WHERE a.id IN (SELECT advisory_id FROM advisory_packages WHERE ecosystem = $1 AND name_key = $2)
		ORDER BY a.id`, eco, NameKey(ecosystem, name))
	if err != nil {
		return nil, fmt.Errorf("advisories of %s %s: %w", ecosystem, name, err)
	}
	recs, err := scanRecords(rows)
	if err != nil {
		return nil, fmt.Errorf("advisories of %s %s: %w", ecosystem, name, err)
	}
	return recs, nil
}
