package web

import (
	"fmt"
	"html/template"
)

// parseTemplates parses each page with the layout and the shared parts.
func parseTemplates() (map[string]*template.Template, error) {
	shared := []string{"templates/layout.html", "templates/searchform.html", "templates/hits.html"}
	out := map[string]*template.Template{}
	for _, page := range []string{"home", "search", "service", "team", "coverage", "campaigns", "campaign", "error"} {
		t, err := template.ParseFS(templateFS, append(shared, "templates/"+page+".html")...)
		if err != nil {
			return nil, fmt.Errorf("web: templates of %s: %w", page, err)
		}
		out[page] = t
	}
	t, err := template.ParseFS(templateFS, "templates/hits.html", "templates/results.html")
	if err != nil {
		return nil, fmt.Errorf("web: templates of results: %w", err)
	}
	out["results"] = t
	return out, nil
}
