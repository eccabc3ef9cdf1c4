package commands

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"path"
	"sort"
	"strings"
	"time"

	"github.com/switchboard-dev/switchboard/catalog"
	"github.com/switchboard-dev/switchboard/manifest"
	"github.com/switchboard-dev/switchboard/standards"
)

// ServiceRegistry is what /service needs of the catalog.
type ServiceRegistry interface {
	ServiceCatalog
	Teams(ctx context.Context) ([]catalog.Team, error)
	TeamsOf(ctx context.Context, slackUserID string) ([]catalog.Team, error)
	RepoByPath(ctx context.Context, path string) (catalog.Repo, error)
	UncataloguedRepos(ctx context.Context, query string, limit int) ([]catalog.Repo, error)
	RegisterService(ctx context.Context, svc catalog.Service, repoPath, requestedBy, descriptor string) (catalog.Service, *catalog.Registration, error)
}

// SubcommandFunc runs "/service VERB args...".
type SubcommandFunc func(ctx context.Context, req Request, args []string) (Response, error)

// ServiceConfig configures /service.
type ServiceConfig struct {
	Catalog   ServiceRegistry
	Standards *standards.Standards
	// More are further subcommands by verb (uncatalogued, ignore,
	// ignored), provided by the digest.
	More map[string]SubcommandFunc
}

// serviceAddForm is the id of the registration form.
const serviceAddForm = "service-add"

// RegisterServiceCommand registers /service and its registration form on r:
//
//	/service add [group/repo]   a form: name from the naming rule, owning team,
//	                            repo (search over repos not yet catalogued),
//	                            language, framework, database, tier, lifecycle,
//	                            description, channel, PagerDuty service
//	/service show NAME          the service's card, as /whoowns
//
// A submission is checked with the same rules as `switchboard lint`, and a
// name already taken or reserved is refused beside the name. An accepted
// one is in the catalog at once (source: Slack) and its catalog-info.yaml
// goes to the repo by merge request (see MRWorker).
func RegisterServiceCommand(r *Router, cfg ServiceConfig) {
	if cfg.Standards == nil {
		cfg.Standards = standards.Default()
	}
	r.Register(Command{
		Name:    "/service",
		Usage:   "add [group/repo] | show NAME | uncatalogued [group] | ignore group/repo REASON | unignore group/repo | ignored",
		Summary: "Register a service, show one, or deal with uncatalogued repos",
		Handler: func(ctx context.Context, req Request) (Response, error) {
			args := strings.Fields(req.Text)
			verb := ""
			if len(args) > 0 {
				verb, args = strings.ToLower(args[0]), args[1:]
			}
			switch verb {
			case "add", "register":
				return serviceAdd(ctx, cfg, req, args)
			case "show":
				if len(args) == 0 {
					return usageResponse("Which service? Usage: ", "/service show NAME"), nil
				}
				return WhoOwns(cfg.Catalog).Handler(ctx, Request{Command: "/whoowns", Text: strings.Join(args, " "), User: req.User, ChannelID: req.ChannelID})
			}
			if f, ok := cfg.More[verb]; ok {
				return f(ctx, req, args)
			}
			verbs := []string{"add", "show"}
			for v := range cfg.More {
				verbs = append(verbs, v)
			}
			sort.Strings(verbs[2:])
			return usageResponse(fmt.Sprintf("Usage: /service %s. For example ", strings.Join(verbs, "|")), "/service add acme/payments/refunds", ""), nil
		},
	})
	r.RegisterForm(serviceAddForm, func(ctx context.Context, req Request, state string, values map[string]string) (FormResult, error) {
		return serviceSubmit(ctx, cfg, req, state, values)
	})
	r.RegisterOptions(serviceAddForm, "repo", func(ctx context.Context, _ Request, query string) ([]Option, error) {
		repos, err := cfg.Catalog.UncataloguedRepos(ctx, query, 100)
		if err != nil {
			return nil, err
		}
		opts := make([]Option, 0, len(repos))
		for _, r := range repos {
			opts = append(opts, Option{Label: r.Path, Command: r.Path})
		}
		return opts, nil
	})
}

// serviceAdd builds the registration form. It does no slow work: Slack
// opens the form with a trigger that lasts three seconds.
func serviceAdd(ctx context.Context, cfg ServiceConfig, req Request, args []string) (Response, error) {
	std := cfg.Standards
	repoPath := ""
	if len(args) > 0 {
		repoPath = strings.Trim(args[0], "/")
		if _, err := cfg.Catalog.RepoByPath(ctx, repoPath); err != nil {
			if !errors.Is(err, catalog.ErrNotFound) {
				return Response{}, err
			}
			return Response{Text: "unknown repo", Blocks: []Block{&Section{Text: T(Plain("The catalog knows no repo "), Code(repoPath),
				Plain(". Give its full GitLab path (group/subgroup/name), or leave it out and pick it in the form."))}}}, nil
		}
	}
	teams, err := cfg.Catalog.Teams(ctx)
	if err != nil {
		return Response{}, err
	}
	team := ""
	for _, t := range teams { // the team whose GitLab group holds the repo
		if t.GitLabGroup != "" && repoPath != "" && strings.HasPrefix(strings.ToLower(repoPath), strings.ToLower(t.GitLabGroup)+"/") {
			team = t.Name
		}
	}
	if team == "" {
		if mine, err := cfg.Catalog.TeamsOf(ctx, req.User.ID); err == nil && len(mine) > 0 {
			team = mine[0].Name
		}
	}
	name := ""
	if repoPath != "" {
		purpose := path.Base(repoPath)
		if team != "" {
			purpose = strings.TrimPrefix(purpose, team+"-")
			name = std.DefaultName(team, purpose)
		} else {
			name = purpose
		}
	}
	teamOpts := make([]Option, 0, len(teams))
	for _, t := range teams {
		label := t.Name
		if t.Title != "" && t.Title != t.Name {
			label = t.Title + " (" + t.Name + ")"
		}
		teamOpts = append(teamOpts, Option{Label: label, Command: t.Name})
	}
	repoLabel := repoPath
	form := &Form{
		ID: serviceAddForm, Title: "Register a service", Submit: "Register", State: req.ChannelID,
		Fields: []FormField{
			{Name: "name", Label: "Name", Kind: FieldText, Initial: name, Hint: namingHint(std), Placeholder: "team-purpose"},
			{Name: "team", Label: "Owning team", Kind: FieldSelect, Options: teamOpts, Initial: team},
			{Name: "repo", Label: "Repository", Kind: FieldSearch, Initial: repoPath, InitialLabel: repoLabel, Optional: true,
				Hint: "Its catalog-info.yaml is proposed there by merge request."},
			choiceField("language", "Language", std.Languages),
			choiceField("framework", "Framework", std.Frameworks),
			choiceField("database", "Database", std.Databases),
			choiceField("tier", "Tier", std.Tiers),
			choiceField("lifecycle", "Lifecycle", std.Lifecycles),
			{Name: "description", Label: "Description", Kind: FieldTextArea, Optional: true, Placeholder: "What it does, in a sentence"},
			{Name: "channel", Label: "Slack channel", Kind: FieldChannel, Optional: true, Hint: "Where to talk about it; the team's channel when empty."},
			{Name: "pagerduty", Label: "PagerDuty service ID", Kind: FieldText, Optional: true, Placeholder: "PABC123"},
		},
	}
	form.Fields[4].Optional, form.Fields[5].Optional = true, true // framework, database
	return Response{Text: "Register a service", Form: form}, nil
}

// formFields are the choice fields whose values a submission is checked
// against (teams are checked by the owner rules).
func formFields(cfg ServiceConfig) []FormField {
	std := cfg.Standards
	return []FormField{
		choiceField("language", "Language", std.Languages), choiceField("framework", "Framework", std.Frameworks),
		choiceField("database", "Database", std.Databases), choiceField("tier", "Tier", std.Tiers),
		choiceField("lifecycle", "Lifecycle", std.Lifecycles),
	}
}

func hasOption(opts []Option, v string) bool {
	for _, o := range opts {
		if o.Command == v {
			return true
		}
	}
	return false
}

// namingHint is the name field's hint.
func namingHint(std *standards.Standards) string {
	h := "Lower case, words joined by -"
	if std.Naming.DefaultName != "" {
		h += ", like " + std.Naming.DefaultName
	}
	if len(std.Naming.Reserved) > 0 {
		h += "; not a bare generic name (" + strings.Join(std.Naming.Reserved[:min(4, len(std.Naming.Reserved))], ", ") + ")"
	}
	return h + "."
}

// choiceField is a select of the standards' approved values; free text
// when the standards list none.
func choiceField(name, label string, opts []standards.Option) FormField {
	f := FormField{Name: name, Label: label, Kind: FieldSelect}
	if len(opts) == 0 {
		f.Kind, f.Optional = FieldText, true
		return f
	}
	for _, o := range opts {
		f.Options = append(f.Options, Option{Label: o.DisplayLabel(), Command: o.Value})
	}
	return f
}

// formFieldOf is the form field of each descriptor field a registration
// writes (see manifest.BackstageYAML), by the path a finding carries
// (manifest.Finding.Field).
var formFieldOf = map[string]string{
	"metadata.name":        "name",
	"metadata.description": "description",
	"spec.owner":           "team",
	"spec.lifecycle":       "lifecycle",
	"spec.tier":            "tier",
	"spec.language":        "language",
	"spec.framework":       "framework",
	"metadata.annotations." + manifest.AnnotationPagerDutyServiceID: "pagerduty",
	"metadata.annotations." + manifest.AnnotationSlackBotNotify:     "channel",
	"metadata.annotations." + manifest.AnnotationGitLabProjectSlug:  "repo",
	"metadata.annotations." + databaseAnnotation:                    "database",
}

// databaseAnnotation records a registered service's database.
const databaseAnnotation = "switchboard.dev/database"

// fieldOf maps a descriptor finding to the form field it is about, by the
// field path it carries; a finding about no field of the form is shown
// beside the name.
func fieldOf(f manifest.Finding) string {
	if field, ok := formFieldOf[f.Field]; ok {
		return field
	}
	return "name"
}

// serviceSubmit checks a registration and, when it is sound, registers
// the service.
func serviceSubmit(ctx context.Context, cfg ServiceConfig, req Request, state string, values map[string]string) (FormResult, error) {
	v := func(k string) string { return strings.TrimSpace(values[k]) }
	e := manifest.Entity{
		Kind: manifest.KindComponent, Name: v("name"), Namespace: manifest.DefaultNamespace, Type: "service",
		Lifecycle: v("lifecycle"), Tier: v("tier"), Language: v("language"), Framework: v("framework"),
		Description: v("description"), Annotations: map[string]string{},
	}
	if t := v("team"); t != "" {
		e.Owner = "group:" + t
	}
	if repo := v("repo"); repo != "" {
		e.Annotations[manifest.AnnotationGitLabProjectSlug] = repo
	}
	if pd := v("pagerduty"); pd != "" {
		e.Annotations[manifest.AnnotationPagerDutyServiceID] = pd
	}
	if ch := v("channel"); ch != "" {
		e.Annotations[manifest.AnnotationSlackBotNotify] = ch
	}
	if db := v("database"); db != "" {
		e.Annotations[databaseAnnotation] = db
	}
	// Selects offer fixed choices; a value from elsewhere is a forged or
	// stale form.
	for _, fd := range formFields(cfg) {
		if val := v(fd.Name); fd.Kind == FieldSelect && val != "" && len(fd.Options) > 0 && !hasOption(fd.Options, val) {
			return FormResult{Errors: map[string]string{fd.Name: fmt.Sprintf("%q is not one of the choices.", val)}}, nil
		}
	}
	yaml := manifest.BackstageYAML(e)
	d := manifest.Parse("catalog-info.yaml", yaml, cfg.Standards.Rules())
	errs := map[string]string{}
	for _, f := range d.Findings {
		blocking := f.Severity == manifest.SeverityError || f.Rule == manifest.RuleReservedName || f.Rule == manifest.RuleNaming
		if !blocking {
			continue
		}
		field := fieldOf(f)
		if _, seen := errs[field]; !seen {
			msg := f.Message
			if f.Fix != "" {
				msg += " (" + f.Fix + ")"
			}
			errs[field] = msg
		}
	}
	if e.Name != "" && errs["name"] == "" {
		l, err := cfg.Catalog.FindService(ctx, e.Name)
		if err != nil {
			return FormResult{}, err
		}
		if l.Kind == catalog.MatchExact || l.Kind == catalog.MatchCaseInsensitive {
			for _, s := range l.Services {
				if s.Namespace == catalog.DefaultNamespace {
					errs["name"] = fmt.Sprintf("%s is taken: owned by %s. Choose another name, e.g. %s.", s.Name, orNone(s.Team), cfg.Standards.DefaultName(v("team"), e.Name))
				}
			}
		}
	}
	if len(errs) > 0 {
		return FormResult{Errors: errs}, nil
	}

	var links []catalog.Link
	svc := catalog.Service{
		Name: e.Name, Description: e.Description, Team: v("team"), Lifecycle: e.Lifecycle, Tier: e.Tier, Type: "service",
		Language: e.Language, Framework: e.Framework, PagerDutyServiceID: v("pagerduty"), Links: links,
	}
	if ch := v("channel"); ch != "" {
		svc.SlackChannel = ch
		if !strings.HasPrefix(ch, "C") && !strings.HasPrefix(ch, "G") && !strings.HasPrefix(ch, "#") {
			svc.SlackChannel = "#" + ch
		}
	}
	if db := v("database"); db != "" {
		svc.Tags = []string{"database:" + db}
	}
	stored, reg, err := cfg.Catalog.RegisterService(ctx, svc, v("repo"), req.User.ID, string(yaml))
	switch {
	case errors.Is(err, catalog.ErrConflict):
		return FormResult{Errors: map[string]string{"name": e.Name + " was registered by someone else a moment ago. Choose another name."}}, nil
	case errors.Is(err, catalog.ErrNotFound):
		return FormResult{Errors: map[string]string{"repo": "The catalog does not know this repo (any more)."}}, nil
	case err != nil:
		return FormResult{}, err
	}
	text := fmt.Sprintf("Registered %s, owned by %s.", stored.Ref(), orNone(stored.Team))
	blocks := []Block{
		&Section{Text: T(Plain("✅ Registered "), Bold(stored.Ref()), Plain(", owned by "), Bold(orNone(stored.Team)), Plain(". It answers "), Code("/whoowns "+stored.Ref()), Plain(" now."))},
		&Section{Fields: []Field{
			{Label: "Tier", Value: T(Plain(orNone(stored.Tier)))}, {Label: "Lifecycle", Value: T(Plain(orNone(stored.Lifecycle)))},
			{Label: "Language", Value: T(Plain(orNone(stored.Language)))}, {Label: "Repo", Value: T(Plain(orNone(v("repo"))))},
		}},
	}
	if reg != nil {
		blocks = append(blocks, &Context{Text: T(Plain("A merge request adding catalog-info.yaml to "), Code(reg.RepoPath),
			Plain(" is being opened; its link follows here. Once merged, the repo's descriptor is the source of this entry."))})
	} else {
		blocks = append(blocks, &Context{Text: T(Plain("No repo given: add a catalog-info.yaml to the service's repo when it has one (check it with "), Code("switchboard lint"), Plain(")."))})
	}
	return FormResult{Response: Response{Text: text, Blocks: blocks}}, nil
}

// MergeRequester opens merge requests; *gitlab.Client is one.
type MergeRequester interface {
	CreateMergeRequest(ctx context.Context, projectID int64, branch string, files map[string][]byte, title, description string) (string, error)
}

// RegistrationQueue holds the registrations whose merge request is due;
// *catalog.Store is one.
type RegistrationQueue interface {
	ClaimRegistrations(ctx context.Context, limit int, lease time.Duration) ([]catalog.Registration, error)
	TakeRegistration(ctx context.Context, id int64, lease time.Duration) (catalog.Registration, bool, error)
	RegistrationOpened(ctx context.Context, id int64, url string) error
	RegistrationFailed(ctx context.Context, id int64, reason string, retryAt time.Time) error
}

// Notifier tells a user something outside any conversation (a Slack DM;
// the demo prints it).
type Notifier interface {
	Notify(ctx context.Context, userID string, resp Response) error
}

// Publisher posts a response to a Slack channel (a name without "#", or an
// id) or a user: the digest and the scorecard's drop notices post through
// it. The bot's Notify is one: PublisherFunc(b.Notify).
type Publisher interface {
	Publish(ctx context.Context, channel string, resp Response) error
}

// PublisherFunc makes a function a Publisher.
type PublisherFunc func(ctx context.Context, channel string, resp Response) error

// Publish calls f.
func (f PublisherFunc) Publish(ctx context.Context, channel string, resp Response) error {
	return f(ctx, channel, resp)
}

// MaxMRAttempts is how often a merge request is tried before giving up.
const MaxMRAttempts = 8

// mrLease is how long one attempt holds a registration: another attempt
// does not take it meanwhile.
const mrLease = 5 * time.Minute

// MRWorker opens the merge requests of services registered in Slack and
// tells the requester the outcome: the link when it is opened; once, when
// GitLab first fails (the service stays registered and it is tried again);
// and when it gives up. The registration row is the record of each attempt.
//
// In serve each registration is a River job (Open), inserted in the
// registration's transaction and retried by River's policy; the demo and
// tests work the due registrations in-process with RunOnce, retrying with
// growing pauses (1 min, 2, 4 ... up to 2 h). Several replicas may run
// either: an attempt holds its registration.
type MRWorker struct {
	Queue  RegistrationQueue
	GitLab MergeRequester
	Notify Notifier
	Log    *slog.Logger
	// Now is the clock.
	Now func() time.Time
}

// RunOnce opens the merge requests that are due and returns how many it
// tried.
func (w *MRWorker) RunOnce(ctx context.Context) (int, error) {
	regs, err := w.Queue.ClaimRegistrations(ctx, 20, mrLease)
	if err != nil {
		return 0, err
	}
	for _, r := range regs {
		retry := time.Time{}
		if r.Attempts < MaxMRAttempts {
			retry = w.now().Add(min(time.Minute<<(r.Attempts-1), 2*time.Hour))
		}
		_ = w.open(ctx, r, retry)
	}
	return len(regs), nil
}

// Open makes one attempt at the merge request of registration id: nothing
// when it is no longer pending. When GitLab fails it returns the error,
// after recording it and, on the first attempt, telling the requester that
// it is tried again at retryAt; a zero retryAt is the last attempt: the
// registration is given up and the requester told so.
func (w *MRWorker) Open(ctx context.Context, id int64, retryAt time.Time) error {
	r, ok, err := w.Queue.TakeRegistration(ctx, id, mrLease)
	if err != nil || !ok {
		return err
	}
	return w.open(ctx, r, retryAt)
}

func (w *MRWorker) open(ctx context.Context, r catalog.Registration, retry time.Time) error {
	svc := r.Service
	branch := "switchboard/register-" + svc.Name
	title := "Register " + svc.Ref() + " in the service catalog"
	desc := fmt.Sprintf("Adds the Backstage descriptor of `%s`, registered from Slack by <@%s> with Switchboard.\n\n"+
		"Until this is merged the catalog keeps the Slack registration; once merged, this file is the source of the entry. "+
		"Check it locally with `switchboard lint catalog-info.yaml`.", svc.Ref(), r.RequestedBy)
	var err error
	url := ""
	if r.GitLabID == 0 {
		err = errors.New("the repo has no GitLab project id (not synced from GitLab)")
	} else {
		mctx, cancel := context.WithTimeout(ctx, 30*time.Second)
		url, err = w.GitLab.CreateMergeRequest(mctx, r.GitLabID, branch, map[string][]byte{"catalog-info.yaml": []byte(r.Descriptor)}, title, desc)
		cancel()
	}
	if err == nil {
		if rerr := w.Queue.RegistrationOpened(ctx, r.ID, url); rerr != nil {
			w.log().Error("record merge request", "registration", r.ID, "err", rerr)
		}
		w.tell(ctx, r.RequestedBy, Response{Text: "Merge request opened for " + svc.Ref(), Blocks: []Block{
			&Section{Text: T(Plain("Merge request opened to add the descriptor of "), Bold(svc.Ref()), Plain(" to "), Code(r.RepoPath), Plain(": "), Link("review it", url))},
		}})
		return nil
	}
	note := "Giving up after " + fmt.Sprint(r.Attempts) + " attempts: add catalog-info.yaml to the repo by hand (`/service show " + svc.Ref() + "`)."
	if !retry.IsZero() {
		note = fmt.Sprintf("Switchboard tries again in %s.", max(retry.Sub(w.now()), time.Second).Round(time.Second))
	}
	if rerr := w.Queue.RegistrationFailed(ctx, r.ID, err.Error(), retry); rerr != nil {
		w.log().Error("record merge request failure", "registration", r.ID, "err", rerr)
	}
	w.log().Warn("merge request not opened", "service", svc.Ref(), "repo", r.RepoPath, "attempt", r.Attempts, "err", err)
	if r.Attempts == 1 || retry.IsZero() { // tell once, and when giving up
		w.tell(ctx, r.RequestedBy, Response{Text: "Merge request for " + svc.Ref() + " not opened yet", Blocks: []Block{
			&Section{Text: T(Plain("Could not open the merge request for "), Bold(svc.Ref()), Plain(": "+err.Error()+". "),
				Plain("The service stays registered. "+note))},
		}})
	}
	return fmt.Errorf("merge request for %s: %w", svc.Ref(), err)
}

func (w *MRWorker) tell(ctx context.Context, user string, resp Response) {
	if w.Notify == nil || user == "" {
		return
	}
	if err := w.Notify.Notify(ctx, user, resp); err != nil {
		w.log().Warn("notify", "user", user, "err", err)
	}
}

func (w *MRWorker) log() *slog.Logger {
	if w.Log == nil {
		return slog.New(slog.DiscardHandler)
	}
	return w.Log
}

func (w *MRWorker) now() time.Time {
	if w.Now == nil {
		return time.Now()
	}
	return w.Now()
}
