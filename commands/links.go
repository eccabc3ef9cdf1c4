package commands

import (
	"strings"

	"github.com/switchboard-dev/switchboard/catalog"
	"github.com/switchboard-dev/switchboard/weblinks"
)

// Links from answers about a service to its page in the web catalog
// (WEB_BASE_URL). With no web catalog configured (the zero
// weblinks.Links) names are shown as before, in bold, and nothing links.

// serviceName is a service's reference, linked to its page in the web
// catalog when one is configured, else in bold.
func serviceName(links weblinks.Links, svc catalog.Service) Span {
	return refName(links, svc.Ref())
}

// serviceCode is a service's reference linked to its page, or as code
// without a web catalog (where a list shows names as code).
func serviceCode(links weblinks.Links, svc catalog.Service) Span {
	if u := links.Service(svc.Namespace, svc.Name); u != "" {
		return Link(svc.Ref(), u)
	}
	return Code(svc.Ref())
}

// refName is a service reference ("name" or "namespace/name"), linked to
// the service's page when a web catalog is configured, else in bold.
func refName(links weblinks.Links, ref string) Span {
	namespace, name := catalog.DefaultNamespace, ref
	if i := strings.IndexByte(ref, '/'); i >= 0 {
		namespace, name = ref[:i], ref[i+1:]
	}
	if u := links.Service(namespace, name); u != "" {
		return Link(ref, u)
	}
	return Bold(ref)
}

// pageLink is a context line linking to the service's page, or nil with
// no web catalog.
func pageLink(links weblinks.Links, svc catalog.Service) Block {
	u := links.Service(svc.Namespace, svc.Name)
	if u == "" {
		return nil
	}
	return &Context{Text: T(Link(svc.Ref()+" in the catalog", u))}
}

// appendBlock appends b unless it is nil.
func appendBlock(blocks []Block, b Block) []Block {
	if b == nil {
		return blocks
	}
	return append(blocks, b)
}
