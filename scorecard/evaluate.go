package scorecard

import (
	"cmp"
	"fmt"
	"slices"
	"strings"
)

// Service is what a check's AppliesTo looks at: the service's attributes,
// canonical as the catalog stores them.
type Service struct {
	// Tier is the service's tier, e.g. tier-1; empty when not set.
	Tier string
	// Lifecycle is the service's lifecycle, e.g. production.
	Lifecycle string
	// Type is the component type, e.g. service.
	Type string
	// Team is the owning team's name; empty without an owner.
	Team string
	// Tags are the service's tags.
	Tags []string
}

// Status is the outcome of a check for one service.
type Status uint8

// The outcomes of a check.
const (
	// Passed: the fact satisfies the check.
	Passed Status = iota + 1
	// Failed: the fact is known and does not satisfy the check.
	Failed
	// Unknown: the fact could not be known; never counted as failed.
	Unknown
)

// String returns "passed", "failed" or "unknown".
func (s Status) String() string {
	switch s {
	case Passed:
		return "passed"
	case Failed:
		return "failed"
	case Unknown:
		return "unknown"
	}
	return "status?"
}

// MarshalText writes the status's name.
func (s Status) MarshalText() ([]byte, error) { return []byte(s.String()), nil }

// UnmarshalText reads a status's name as MarshalText writes it.
func (s *Status) UnmarshalText(b []byte) error {
	for c := Passed; c <= Unknown; c++ {
		if c.String() == string(b) {
			*s = c
			return nil
		}
	}
	return fmt.Errorf("unknown status %q", b)
}

// Result is one applicable check's outcome for a service.
type Result struct {
	// Check is the check's index in Card.Checks (not stored: a stored
	// result is matched to a card by ID).
	Check int `json:"-"`
	// ID is the check's id.
	ID string `json:"id"`
	// Level is the rank of the check's level (1 for the lowest).
	Level int `json:"level"`
	// Status is passed, failed or unknown.
	Status Status `json:"status"`
	// Value is the fact's value as collected: with Where (the file and
	// line to change) when the collector knew it, and Reason when unknown.
	Value Value `json:"value"`
}

// Grade is a service's scorecard.
type Grade struct {
	// Level is the rank of the highest level whose applicable checks, and
	// those of every level below, all passed; 0 when not even the lowest
	// is reached. An unknown check keeps its level from being reached. A
	// level with no applicable check is reached when the one below is.
	Level int `json:"level"`
	// Ceiling is the level the service would have if every unknown check
	// passed (Level when nothing is unknown). Level < Ceiling means
	// unknown facts alone hold the service back.
	Ceiling int `json:"ceiling"`
	// Next is the rank of the next level to reach, 0 at the top.
	Next int `json:"next"`
	// Missing are the results of Next's checks that did not pass, failed
	// ones first, in the card's order: the next step.
	Missing []Result `json:"missing"`
	// Results are the outcomes of every applicable check, in the card's
	// order.
	Results []Result `json:"results"`
}

// Counts returns how many results passed, failed and were unknown.
func (g Grade) Counts() (passed, failed, unknown int) {
	for _, r := range g.Results {
		switch r.Status {
		case Passed:
			passed++
		case Failed:
			failed++
		case Unknown:
			unknown++
		}
	}
	return passed, failed, unknown
}

// Applies reports whether check i of the card applies to svc.
func (c *Card) Applies(i int, svc Service) bool {
	a := &c.compiled[i].allow
	return anyFold(a.Tiers, svc.Tier) && anyFold(a.Lifecycles, svc.Lifecycle) &&
		anyFold(a.Types, svc.Type) && anyFold(a.Teams, svc.Team) && tagsMatch(a.Tags, svc.Tags)
}

// anyFold: an empty allow list matches everything; otherwise s must be in
// it (allow is lower-cased).
func anyFold(allow []string, s string) bool {
	if len(allow) == 0 {
		return true
	}
	for _, a := range allow {
		if strings.EqualFold(a, s) {
			return true
		}
	}
	return false
}

func tagsMatch(allow, tags []string) bool {
	if len(allow) == 0 {
		return true
	}
	for _, t := range tags {
		if anyFold(allow, t) {
			return true
		}
	}
	return false
}

// Evaluate grades one service from its attributes and its facts. A fact
// the card needs that values does not hold, or holds with another kind
// than the registry's, is unknown. It does no I/O and allocates only the
// grade (for cards of fewer than 16 levels).
func (c *Card) Evaluate(svc Service, values Values) Grade {
	g := Grade{Results: make([]Result, 0, len(c.compiled))}
	n := len(c.levels)
	// pass[r]: every applicable check of rank r passed; noFail[r]: none failed.
	var buf [32]bool
	var pass, noFail []bool
	if n < 16 {
		pass, noFail = buf[:n+1], buf[16:16+n+1]
	} else {
		pass, noFail = make([]bool, n+1), make([]bool, n+1)
	}
	for r := range pass {
		pass[r], noFail[r] = true, true
	}
	for i := range c.compiled {
		cc := &c.compiled[i]
		if !c.Applies(i, svc) {
			continue
		}
		v, ok := values[cc.key]
		switch {
		case !ok:
			v = UnknownValue(cc.kind, "not collected")
		case v.Kind != cc.kind && v.Known:
			v = Value{Kind: cc.kind, Reason: "collected as " + v.Kind.String() + ", want " + cc.kind.String(), Where: v.Where}
		}
		st := Unknown
		if v.Known {
			st = Failed
			if cc.test(v) {
				st = Passed
			}
		}
		if st != Passed {
			pass[cc.rank] = false
		}
		if st == Failed {
			noFail[cc.rank] = false
		}
		g.Results = append(g.Results, Result{Check: i, ID: c.checks[i].ID, Level: cc.rank, Status: st, Value: v})
	}
	for r := 1; r <= n && pass[r]; r++ {
		g.Level = r
	}
	for r := 1; r <= n && noFail[r]; r++ {
		g.Ceiling = r
	}
	if g.Level < n {
		g.Next = g.Level + 1
		for _, want := range []Status{Failed, Unknown} {
			for _, r := range g.Results {
				if r.Level == g.Next && r.Status == want {
					g.Missing = append(g.Missing, r)
				}
			}
		}
	}
	return g
}

// test reports whether the known value v passes the check.
func (cc *compiled) test(v Value) bool {
	w := &cc.want
	switch cc.op {
	case OpTrue:
		return v.Bool
	case OpFalse:
		return !v.Bool
	case OpExists:
		if cc.kind == KindList {
			return len(v.List) > 0
		}
		return strings.TrimSpace(v.Text) != ""
	case OpEq, OpNe:
		var eq bool
		switch cc.kind {
		case KindBool:
			eq = v.Bool == w.Bool
		case KindNumber:
			eq = v.Number == w.Number
		case KindDuration:
			eq = v.Duration == w.Duration
		case KindText:
			eq = strings.EqualFold(strings.TrimSpace(v.Text), w.Text)
		}
		return eq == (cc.op == OpEq)
	case OpLt, OpLe, OpGt, OpGe:
		var c int
		if cc.kind == KindDuration {
			c = cmp.Compare(v.Duration, w.Duration)
		} else {
			c = cmp.Compare(v.Number, w.Number)
		}
		switch cc.op {
		case OpLt:
			return c < 0
		case OpLe:
			return c <= 0
		case OpGt:
			return c > 0
		}
		return c >= 0
	case OpIn:
		return anyFold(w.List, strings.TrimSpace(v.Text))
	case OpContains:
		if cc.kind == KindList {
			return slices.ContainsFunc(v.List, func(s string) bool { return strings.EqualFold(strings.TrimSpace(s), w.Text) })
		}
		return strings.Contains(strings.ToLower(v.Text), w.Text)
	case OpMatches:
		if cc.kind == KindList {
			return slices.ContainsFunc(v.List, cc.re.MatchString)
		}
		return cc.re.MatchString(v.Text)
	}
	return false
}

// Lift is what passing one check would do for a set of services (a
// team's): how many it would lift a level, how many it holds back.
type Lift struct {
	// Check is the check's index in Card.Checks.
	Check int `json:"-"`
	// ID is the check's id.
	ID string `json:"id"`
	// Lifts is how many services would reach their next level if this
	// check passed: it is the only check of that level they miss, and
	// none of that level's checks is unknown.
	Lifts int `json:"lifts"`
	// Blocks is how many services fail this check at their next level
	// (Lifts of them, and others that miss more).
	Blocks int `json:"blocks"`
}

// Lifts returns, for grades of this card (a team's services), each check
// failed at some service's next level, the one change that would lift most
// services first: by Lifts, then Blocks, then the card's order. Unknown
// checks are never suggested: there is nothing to change until they are
// known. Empty when no service misses a check at its next level.
func (c *Card) Lifts(grades []Grade) []Lift {
	byCheck := map[int]*Lift{}
	for _, g := range grades {
		failed, unknown := 0, 0
		var only int
		for _, r := range g.Missing {
			switch r.Status {
			case Failed:
				failed++
				only = r.Check
				l := byCheck[r.Check]
				if l == nil {
					l = &Lift{Check: r.Check, ID: c.checks[r.Check].ID}
					byCheck[r.Check] = l
				}
				l.Blocks++
			case Unknown:
				unknown++
			}
		}
		if failed == 1 && unknown == 0 {
			byCheck[only].Lifts++
		}
	}
	out := make([]Lift, 0, len(byCheck))
	for _, l := range byCheck {
		out = append(out, *l)
	}
	slices.SortFunc(out, func(a, b Lift) int {
		return cmp.Or(cmp.Compare(b.Lifts, a.Lifts), cmp.Compare(b.Blocks, a.Blocks), cmp.Compare(a.Check, b.Check))
	})
	return out
}

// ByLevel counts grades by level: out[r] services at rank r, out[0] those
// with no level; len(out) is the number of levels plus one.
func (c *Card) ByLevel(grades []Grade) []int {
	out := make([]int, len(c.levels)+1)
	for _, g := range grades {
		if g.Level >= 0 && g.Level < len(out) {
			out[g.Level]++
		}
	}
	return out
}
