package fakepd

import (
	"crypto/md5"
	"crypto/sha256"
	"encoding/base32"
	"encoding/hex"
	"fmt"
	"strings"
	"time"
)

// SampleToken is the REST API token the sample organisation accepts.
const SampleToken = "fakepd-sample-token"

// SampleDomain is the sample organisation's email domain (the same as the
// demo catalog's, so PagerDuty users map to Slack users by email).
const SampleDomain = "acme.example"

// SampleShift is the length of a turn on the sample's rotations.
const SampleShift = 7 * 24 * time.Hour

type sampleTeam struct {
	name, title string
	people      []string
	// manager is targeted directly at level 2 when the team is too small
	// for a secondary rotation, and at level 3 when set on a larger team.
	manager  string
	services []sampleService
}

type sampleService struct {
	ref     string // catalog name, or namespace/name when the name is shared
	withKey bool   // has an Events API v2 integration
}

// sampleTeams is the demo organisation. It mirrors the demo catalog
// (package sampleorg): same teams, same people, same service names.
func sampleTeams() []sampleTeam {
	return []sampleTeam{
		{name: "payments", title: "Payments", people: []string{"Ada Lovelace", "Grace Hopper", "Alan Turing", "Barbara Liskov"},
			services: []sampleService{{"checkout-api", true}, {"payment-gateway", true}, {"ledger", true}, {"refunds-worker", false}, {"fraud-scoring", false}}},
		{name: "identity", title: "Identity & Access", people: []string{"Ken Thompson", "Radia Perlman", "Whitfield Diffie"},
			services: []sampleService{{"auth-service", false}, {"user-profile", false}, {"permissions", false}, {"sso-bridge", false}}},
		{name: "search", title: "Search", people: []string{"Karen Sparck Jones", "Gerard Salton", "Doug Cutting"},
			services: []sampleService{{"search-api", true}, {"search-indexer", false}, {"autocomplete", true}}},
		{name: "platform", title: "Platform / SRE", people: []string{"Margaret Hamilton", "Linus Torvalds", "Brendan Gregg", "Charity Majors"}, manager: "Margaret Hamilton",
			services: []sampleService{{"deploy-bot", false}, {"service-mesh", true}, {"logging-pipeline", true}, {"metrics-gateway", false}, {"ci-runners", false}, {"redis", true}}},
		{name: "data", title: "Data", people: []string{"Edgar Codd", "Jim Gray", "Michael Stonebraker"},
			services: []sampleService{{"events-pipeline", true}, {"warehouse-loader", false}, {"reporting-api", false}}},
		{name: "mobile", title: "Mobile", people: []string{"Jean Sammet", "Frances Allen"}, manager: "Frances Allen",
			services: []sampleService{{"ios-app", true}, {"android-app", true}, {"mobile-bff", false}}},
		{name: "storefront", title: "Storefront", people: []string{"Tim Berners-Lee", "Brendan Eich", "Hakon Lie"},
			services: []sampleService{{"storefront/frontend", true}, {"product-pages", false}, {"basket-service", true}}},
		{name: "backoffice", title: "Back Office Tools", people: []string{"Dennis Ritchie", "Bjarne Stroustrup"}, manager: "Bjarne Stroustrup",
			services: []sampleService{{"backoffice/frontend", false}, {"inventory-sync", false}}},
	}
}

// SampleService is a service of the sample organisation as the catalog needs
// it: its catalog reference, its team, its PagerDuty service ID and its
// Events API v2 integration key ("" when it has none: paging then goes
// through POST /incidents).
type SampleService struct {
	Ref            string
	Team           string
	ID             string
	IntegrationKey string
}

// SampleServices lists the sample's PagerDuty services. Catalog services
// that are not listed (pricing-engine, ranking-model, legacy-cron,
// email-sender) have no PagerDuty service, on purpose.
func SampleServices() []SampleService {
	var out []SampleService
	for _, t := range sampleTeams() {
		for _, s := range t.services {
			ss := SampleService{Ref: s.ref, Team: t.name, ID: sampleID("service", s.ref)}
			if s.withKey {
				ss.IntegrationKey = sampleKey(s.ref)
			}
			out = append(out, ss)
		}
	}
	return out
}

// SampleServiceID is the PagerDuty service ID of a sample service, by its
// catalog reference ("checkout-api", "storefront/frontend"); "" when the
// sample has no PagerDuty service for it.
func SampleServiceID(ref string) string {
	for _, s := range SampleServices() {
		if s.Ref == ref {
			return s.ID
		}
	}
	return ""
}

// SampleIntegrationKey is the Events API v2 integration key of a sample
// service, by its catalog reference; "" when it has none.
func SampleIntegrationKey(ref string) string {
	for _, s := range SampleServices() {
		if s.Ref == ref {
			return s.IntegrationKey
		}
	}
	return ""
}

// SampleEscalationPolicyID is the escalation policy ID of a sample team:
// "EP" and the first three letters of the team's name (EPPAY for payments).
func SampleEscalationPolicyID(team string) string {
	if len(team) < 3 {
		return ""
	}
	return "EP" + strings.ToUpper(team[:3])
}

// SampleEmail is the email of a sample person: "Karen Sparck Jones" is
// karen.sparck.jones@acme.example, as in the demo catalog.
func SampleEmail(name string) string {
	return strings.ToLower(strings.ReplaceAll(name, " ", ".")) + "@" + SampleDomain
}

// SampleUserID is the PagerDuty user ID of a sample person, by email.
func SampleUserID(email string) string { return sampleID("user", strings.ToLower(email)) }

// SampleScheduleID is the ID of a sample team's primary (secondary false)
// or secondary rotation: "P" + the team's first three letters + PRI or SEC.
func SampleScheduleID(team string, secondary bool) string {
	if len(team) < 3 {
		return ""
	}
	suffix := "PRI"
	if secondary {
		suffix = "SEC"
	}
	return "P" + strings.ToUpper(team[:3]) + suffix
}

// SampleRotationStart is when the sample's rotations started for a sample
// built at now: the Monday 09:00 UTC of eight weeks before now's week.
func SampleRotationStart(now time.Time) time.Time {
	t := now.UTC()
	monday := time.Date(t.Year(), t.Month(), t.Day(), 9, 0, 0, 0, time.UTC)
	monday = monday.AddDate(0, 0, -((int(monday.Weekday()) + 6) % 7))
	if monday.After(t) {
		monday = monday.AddDate(0, 0, -7)
	}
	return monday.AddDate(0, 0, -8*7)
}

// Sample returns a fake holding the demo organisation, its clock frozen at
// now: eight teams, each with an escalation policy EP<TEA> whose level 1 is
// a weekly primary rotation and level 2 a secondary rotation (the same
// people one week ahead) or, for two-person teams, a manager; platform has
// its head at level 3. Users are first.last@acme.example. Services are those
// of SampleServices; the REST token is SampleToken.
func Sample(now time.Time) *Server {
	s := New(SampleToken)
	s.SetNow(now)
	start := SampleRotationStart(now)
	for _, t := range sampleTeams() {
		var ids []string
		for _, name := range t.people {
			email := SampleEmail(name)
			id := SampleUserID(email)
			must(s.AddUser(User{ID: id, Name: name, Email: email}))
			ids = append(ids, id)
		}
		primary := Schedule{ID: SampleScheduleID(t.name, false), Name: t.title + " primary", Users: ids, Start: start, Shift: SampleShift}
		must(s.AddSchedule(primary))
		rules := []Rule{{DelayMinutes: 15, Targets: []Target{{Type: TargetSchedule, ID: primary.ID}}}}
		manager := SampleUserID(SampleEmail(t.manager))
		if len(ids) >= 3 {
			next := append(append([]string{}, ids[1:]...), ids[0])
			secondary := Schedule{ID: SampleScheduleID(t.name, true), Name: t.title + " secondary", Users: next, Start: start, Shift: SampleShift}
			must(s.AddSchedule(secondary))
			rules = append(rules, Rule{DelayMinutes: 15, Targets: []Target{{Type: TargetSchedule, ID: secondary.ID}}})
			if t.manager != "" {
				rules = append(rules, Rule{DelayMinutes: 30, Targets: []Target{{Type: TargetUser, ID: manager}}})
			}
		} else if t.manager != "" {
			rules = append(rules, Rule{DelayMinutes: 30, Targets: []Target{{Type: TargetUser, ID: manager}}})
		}
		policy := EscalationPolicy{ID: SampleEscalationPolicyID(t.name), Name: t.title + " escalation policy", Rules: rules}
		must(s.AddEscalationPolicy(policy))
	}
	for _, ss := range SampleServices() {
		must(s.AddService(Service{
			ID: ss.ID, Name: ss.Ref, Description: "The " + ss.Ref + " service of the " + ss.Team + " team.",
			EscalationPolicyID: SampleEscalationPolicyID(ss.Team), IntegrationKey: ss.IntegrationKey,
		}))
	}
	return s
}

// must stops on an error in the sample's static data (a bug, caught by the
// package's tests).
func must(err error) {
	if err != nil {
		panic(fmt.Sprintf("fakepd sample: %v", err))
	}
}

// sampleID makes a PagerDuty-looking ID (P and six letters or digits) that
// is stable for a kind and name.
func sampleID(kind, name string) string {
	sum := sha256.Sum256([]byte(kind + ":" + name))
	return "P" + base32.StdEncoding.EncodeToString(sum[:])[:6]
}

// sampleKey makes a stable 32-character integration key for a service.
func sampleKey(ref string) string {
	sum := md5.Sum([]byte("switchboard-demo:" + ref))
	return hex.EncodeToString(sum[:])
}
