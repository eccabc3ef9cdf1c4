// Package scorecard grades services against the organisation's standards:
// levels (bronze < silver < gold) reached by passing checks, each check a
// fact of the registry (Facts) compared with a value.
//
// The pieces, in the order they are used:
//
//   - the registry of facts (Facts, LookupFact, ParseFactRef): each fact's
//     name, kind of value, where it comes from, and whether it may be
//     unknown;
//   - a card (Compile, usually through the standards file's scorecard:
//     section): levels and checks, type-checked and compiled once (operators
//     resolved, regular expressions compiled), then read-only and safe for
//     concurrent use;
//   - Card.Needs: the facts a collector must gather for each service, as
//     keys of Values;
//   - Card.Evaluate: a service's attributes and Values to a Grade (each
//     applicable check passed, failed or unknown, the level, the next level
//     and what it misses);
//   - Card.Lifts: over a team's grades, the check whose passing would lift
//     most services a level.
//
// Unknown is never failed: a fact that could not be known (Value.Known
// false, or not collected) makes its check Unknown. An unknown check keeps
// its level from being reached, as a failed one does (Cortex and OpsLevel
// both count a level as reached only when its checks pass), but it is
// reported as unknown, and Grade.Ceiling says the level the service would
// have if every unknown check passed: a drop of Level with Ceiling not
// dropped is a drop caused only by unknown facts, not to be announced.
//
// What a collector (the catalog, later) does for each service: for each
// FactRef of Card.Needs, put a Value under FactRef.Key in the service's
// Values, of the kind the registry gives (LookupFact); a value of another
// kind counts as unknown. Text not set is Text(""), not unknown. A fact whose
// system could not be asked is UnknownValue(kind, why). Value.At records
// the file and line to change (the descriptor's line, the README found).
// For file:GLOB, CompileGlob(ref.Param) gives Match for one path and
// Regexp for Postgres (path ~* regexp), so one query answers a glob for
// every repo. The collector also gives the service's attributes (Service)
// for applies_to.
//
// Grades, Results and Values marshal to JSON and back (kinds, operators and
// statuses by name), for storing each day's grade; a stored result names its
// check by ID.
//
// The package imports nothing of Switchboard's, so the catalog, the
// commands and the sync can all use it.
package scorecard

import (
	"encoding/json"
	"errors"
	"fmt"
	"regexp"
	"slices"
	"strings"
)

// Level is a level of the scorecard, e.g. bronze.
type Level struct {
	// Name is the level's name, e.g. "silver".
	Name string `json:"name"`
	// Description says what reaching the level means, when given.
	Description string `json:"description,omitempty"`
}

// AppliesTo selects the services a check applies to. Each non-empty list
// must match (ignoring case); an empty list matches every service. Tags
// match when the service has any of them.
type AppliesTo struct {
	// Tiers are the tiers the check applies to, e.g. tier-1.
	Tiers []string `json:"tiers,omitempty"`
	// Lifecycles are the lifecycles the check applies to, e.g. production.
	Lifecycles []string `json:"lifecycles,omitempty"`
	// Types are the component types the check applies to, e.g. service.
	Types []string `json:"types,omitempty"`
	// Teams are the owning teams the check applies to.
	Teams []string `json:"teams,omitempty"`
	// Tags: the check applies to services with any of these tags.
	Tags []string `json:"tags,omitempty"`
}

// Check is one check of a card.
type Check struct {
	// ID is the check's stable identifier, e.g. "runbook" (lower case,
	// digits, '-', '_' and '.'); stored results and buttons refer to it.
	ID string `json:"id"`
	// Level is the name of the level the check belongs to.
	Level string `json:"level"`
	// Name is what people read, e.g. "Has a runbook"; empty shows ID.
	Name string `json:"name,omitempty"`
	// Fact is the fact looked at: a registry name, or Name:PARAM for a
	// parametrised fact ("file:README*").
	Fact string `json:"fact"`
	// Op compares the fact with Value; 0 means DefaultOp of the fact's kind.
	Op Op `json:"op"`
	// Value is what Op compares the fact with, of the kind
	// Op.ValueKind gives; the zero Value for an operator that takes none.
	Value Value `json:"value"`
	// Message says how to pass the check.
	Message string `json:"message,omitempty"`
	// AppliesTo selects the services the check applies to.
	AppliesTo AppliesTo `json:"applies_to"`
}

// Title returns the check's Name, or its ID when it has none.
func (c Check) Title() string {
	if c.Name != "" {
		return c.Name
	}
	return c.ID
}

// idRe is what a check's id looks like.
var idRe = regexp.MustCompile(`^[a-z0-9][a-z0-9_.-]{0,63}$`)

// ValidID reports whether id is a valid check id: 1 to 64 lower-case
// letters, digits, '-', '_' and '.', starting with a letter or digit.
func ValidID(id string) bool { return idRe.MatchString(id) }

// Card is a compiled scorecard: read-only once compiled, safe for
// concurrent use. Build it with Compile.
type Card struct {
	levels   []Level
	checks   []Check
	compiled []compiled
	needs    []FactRef
	// byID is the index in checks of each check's id.
	byID map[string]int
}

// compiled is a check ready to evaluate.
type compiled struct {
	rank  int // 1-based rank of the level
	key   string
	kind  Kind
	op    Op
	want  Value
	re    *regexp.Regexp
	allow AppliesTo // lists of AppliesTo, lower-cased
}

// Compile checks levels and checks and compiles them into a Card. Levels
// are in order, lowest first. It returns every problem found, joined, and
// no card when there is one: an unknown fact or level, an operator that
// does not apply to the fact's kind, a value of the wrong kind, a regular
// expression or glob that does not compile, a duplicate id or level.
func Compile(levels []Level, checks []Check) (*Card, error) {
	var errs []error
	c := &Card{levels: slices.Clone(levels), checks: slices.Clone(checks)}
	rank := map[string]int{}
	if len(levels) == 0 {
		errs = append(errs, errors.New("a scorecard needs at least one level"))
	}
	for i, l := range levels {
		if l.Name == "" {
			errs = append(errs, fmt.Errorf("level %d has no name", i+1))
			continue
		}
		if _, dup := rank[l.Name]; dup {
			errs = append(errs, fmt.Errorf("level %q is listed twice", l.Name))
			continue
		}
		rank[l.Name] = i + 1
	}
	ids := map[string]bool{}
	seen := map[string]bool{}
	for i := range c.checks {
		ch := &c.checks[i]
		fail := func(format string, args ...any) {
			errs = append(errs, fmt.Errorf("check %q: %s", ch.ID, fmt.Sprintf(format, args...)))
		}
		if !ValidID(ch.ID) {
			fail("the id must be 1 to 64 lower-case letters, digits, '-', '_' or '.'")
		}
		if ids[ch.ID] {
			fail("the id is used twice")
		}
		ids[ch.ID] = true
		r, ok := rank[ch.Level]
		if !ok {
			fail("level %q is not one of the card's levels", ch.Level)
		}
		ref, fact, err := ParseFactRef(ch.Fact)
		if err != nil {
			fail("%v", err)
			continue
		}
		ch.Fact = ref.Key()
		if ch.Op == 0 {
			ch.Op = DefaultOp(fact.Kind)
			if ch.Op == 0 {
				fail("a %s fact needs an operator: one of %s", fact.Kind, strings.Join(OpsFor(fact.Kind), ", "))
				continue
			}
		}
		vk, err := ch.Op.ValueKind(fact.Kind)
		if err != nil {
			fail("%s: %v", ch.Fact, err)
			continue
		}
		cc := compiled{rank: r, key: ref.Key(), kind: fact.Kind, op: ch.Op, want: ch.Value}
		switch {
		case vk == 0 && ch.Value.Kind != 0:
			fail("operator %s takes no value", ch.Op)
			continue
		case vk != 0 && (ch.Value.Kind != vk || !ch.Value.Known):
			fail("operator %s on %s needs a %s value", ch.Op, ch.Fact, vk)
			continue
		}
		if ch.Op == OpIn && len(ch.Value.List) == 0 {
			fail("operator in needs at least one value")
			continue
		}
		if ch.Op == OpMatches {
			cc.re, err = regexp.Compile(ch.Value.Text)
			if err != nil {
				fail("value is not a regular expression: %v", err)
				continue
			}
		}
		if ch.Op == OpIn || ch.Op == OpContains || ch.Op == OpEq || ch.Op == OpNe {
			cc.want.Text = strings.ToLower(cc.want.Text)
			cc.want.List = lower(cc.want.List)
		}
		a := ch.AppliesTo
		cc.allow = AppliesTo{Tiers: lower(a.Tiers), Lifecycles: lower(a.Lifecycles), Types: lower(a.Types), Teams: lower(a.Teams), Tags: lower(a.Tags)}
		if r > 0 {
			c.compiled = append(c.compiled, cc)
		}
		if !seen[cc.key] {
			seen[cc.key] = true
			c.needs = append(c.needs, ref)
		}
	}
	if len(errs) > 0 {
		return nil, fmt.Errorf("compile scorecard: %w", errors.Join(errs...))
	}
	c.byID = make(map[string]int, len(c.checks))
	for i, ch := range c.checks {
		c.byID[ch.ID] = i
	}
	return c, nil
}

func lower(ss []string) []string {
	if len(ss) == 0 {
		return nil
	}
	out := make([]string, len(ss))
	for i, s := range ss {
		out[i] = strings.ToLower(strings.TrimSpace(s))
	}
	return out
}

// Levels returns the card's levels, lowest first.
func (c *Card) Levels() []Level { return slices.Clone(c.levels) }

// Checks returns the card's checks, with their facts in canonical form
// and their operators resolved (DefaultOp filled in).
func (c *Card) Checks() []Check { return slices.Clone(c.checks) }

// Check returns the card's check with this id, false when the card has
// none (a stored result may name a check the card no longer has).
func (c *Card) Check(id string) (Check, bool) {
	i, ok := c.byID[id]
	if !ok {
		return Check{}, false
	}
	return c.checks[i], true
}

// Needs returns the facts the card's checks look at, once each, in the
// order of the checks: what a collector must put in each service's Values
// (under FactRef.Key).
func (c *Card) Needs() []FactRef { return slices.Clone(c.needs) }

// LevelNames returns the names of the card's levels, lowest first.
func (c *Card) LevelNames() []string {
	var names []string
	for _, l := range c.levels {
		names = append(names, l.Name)
	}
	return names
}

// NoLevel is how rank 0 (no level reached) reads to people.
const NoLevel = "no level"

// LevelName returns the name of the level of rank (1 for the lowest), ""
// for 0 (no level reached) or out of range.
func (c *Card) LevelName(rank int) string {
	if rank < 1 || rank > len(c.levels) {
		return ""
	}
	return c.levels[rank-1].Name
}

// Rank returns the rank of the level named name (1 for the lowest), 0 when
// the card has no such level.
func (c *Card) Rank(name string) int {
	for i, l := range c.levels {
		if l.Name == name {
			return i + 1
		}
	}
	return 0
}

// MarshalJSON writes the card's levels and checks.
func (c *Card) MarshalJSON() ([]byte, error) {
	return json.Marshal(struct {
		Levels []Level `json:"levels"`
		Checks []Check `json:"checks"`
	}{c.levels, c.checks})
}
