package sampleorg

import (
	"fmt"
	"strings"
)

// relations are what a sample service's descriptor says it depends on,
// for the service graph (/blast): a shared auth service most things
// depend on (auth-service, named by name, by alias from OpsLevel
// descriptors, and across namespaces), an API one service provides and
// others consume (permissions-api), a cycle (auth-service and permissions
// need each other), and references to things the catalog does not hold
// (databases as Backstage resources, a service never catalogued), which
// /blast shows as such. The library most Go services use is inferred from
// their go.mod (see goLibrary), not declared.
type relations struct {
	// dependsOn: Backstage spec.dependsOn references, or OpsLevel
	// dependencies (names or aliases).
	dependsOn []string
	// consumesAPIs and providesAPIs: Backstage only.
	consumesAPIs, providesAPIs []string
}

// graph maps a sample service's reference to its relations.
var graph = map[string]relations{
	"auth-service":        {dependsOn: []string{"permissions", "sessions-db"}},
	"permissions":         {dependsOn: []string{"component:auth-service", "resource:permissions-db"}, providesAPIs: []string{"permissions-api"}},
	"user-profile":        {dependsOn: []string{"component:auth-service"}},
	"sso-bridge":          {dependsOn: []string{"component:auth-service", "component:partner-directory"}},
	"checkout-api":        {dependsOn: []string{"component:auth-service", "component:payment-gateway", "component:pricing-engine", "component:basket-service", "resource:orders-db"}, consumesAPIs: []string{"permissions-api"}},
	"payment-gateway":     {dependsOn: []string{"auth", "ledger", "fraud-scoring"}},
	"refunds-worker":      {dependsOn: []string{"component:payment-gateway", "component:ledger"}},
	"basket-service":      {dependsOn: []string{"auth", "pricing-engine"}},
	"mobile-bff":          {dependsOn: []string{"component:auth-service", "component:user-profile", "component:checkout-api"}, consumesAPIs: []string{"permissions-api"}},
	"ios-app":             {dependsOn: []string{"component:mobile-bff"}},
	"android-app":         {dependsOn: []string{"component:mobile-bff"}},
	"notification-center": {dependsOn: []string{"component:user-profile"}},
	"storefront/frontend": {dependsOn: []string{"component:default/auth-service", "component:default/basket-service", "component:default/product-pages"}},
	"product-pages":       {dependsOn: []string{"component:search-api"}},
	"search-api":          {dependsOn: []string{"component:search-indexer", "component:autocomplete"}, consumesAPIs: []string{"permissions-api"}},
	"backoffice/frontend": {dependsOn: []string{"component:default/auth-service", "component:default/invoice-service"}, consumesAPIs: []string{"api:default/permissions-api"}},
	"invoice-service":     {dependsOn: []string{"component:ledger"}},
	"partner-api":         {dependsOn: []string{"component:auth-service", "component:invoice-service"}},
	"reporting-api":       {dependsOn: []string{"component:ledger", "component:auth-service"}},
}

// goLibrary is the Go module the logging-pipeline repo publishes (its
// module path: the client services ship their logs with) and most sample
// Go services require: the library whose users /blast finds from their
// go.mod, with the line.
const goLibrary = "example.acme/logging-pipeline"

// writeBackstageRelations adds the service's relations to a Backstage
// descriptor's spec.
func writeBackstageRelations(b *strings.Builder, s service) {
	r := graph[ref(s)]
	list := func(field string, refs []string) {
		if len(refs) == 0 {
			return
		}
		fmt.Fprintf(b, "  %s:\n", field)
		for _, x := range refs {
			fmt.Fprintf(b, "    - %s\n", x)
		}
	}
	list("dependsOn", r.dependsOn)
	list("providesApis", r.providesAPIs)
	list("consumesApis", r.consumesAPIs)
}

// writeOpsLevelRelations adds the service's dependencies to an OpsLevel
// descriptor.
func writeOpsLevelRelations(b *strings.Builder, s service) {
	r := graph[ref(s)]
	if len(r.dependsOn) == 0 {
		return
	}
	b.WriteString("  dependencies:\n")
	for _, x := range r.dependsOn {
		fmt.Fprintf(b, "    - alias: %s\n", x)
	}
}
