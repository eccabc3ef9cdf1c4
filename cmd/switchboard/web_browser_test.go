package main

import (
	"context"
	"fmt"

	"log/slog"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"github.com/chromedp/chromedp/kb"

	"github.com/switchboard-dev/switchboard/bot/fakeslack"
	"github.com/switchboard-dev/switchboard/sampleorg"
)

// maxPageBytes is the most a page of the web catalog may weigh.
const maxPageBytes = 100 << 10

// envScreenshots overrides where the browser test writes its screenshots.
const envScreenshots = "SWITCHBOARD_SCREENSHOTS"

// findBrowser returns the path of a Chromium or Chrome on PATH, or "".
func findBrowser() string {
	for _, name := range []string{"chromium", "chromium-browser", "google-chrome", "google-chrome-stable"} {
		if p, err := exec.LookPath(name); err == nil {
			return p
		}
	}
	return ""
}

// screenshotDir is $SWITCHBOARD_SCREENSHOTS, else testoutput/screenshots at
// the repository's root (gitignored).
func screenshotDir(t *testing.T) string {
	dir := os.Getenv(envScreenshots)
	if dir == "" {
		dir = filepath.Join("..", "..", "testoutput", "screenshots")
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	abs, _ := filepath.Abs(dir)
	return abs
}

// TestWebBrowser drives a real headless Chromium through the web catalog
// served as serve serves it (newServer over the demo's sample organisation
// in a real Postgres, Sign in with Slack through the fake Slack): sign in,
// search by words of a description (not the name) with the keyboard, open
// the first hit, follow its team link, see the coverage chart. It writes a
// screenshot of each page.
func TestWebBrowser(t *testing.T) {
	browser := findBrowser()
	if browser == "" {
		t.Skip("no Chromium or Chrome on PATH (looked for chromium, chromium-browser, google-chrome): the browser test needs one; `apt-get install chromium` (.ci/run installs it)")
	}
	ctx, cancel := context.WithTimeout(context.Background(), 40*time.Second)
	defer cancel()
	log := slog.New(slog.DiscardHandler)
	env, _, _ := testEnv(t, map[string]string{})
	d, err := startDemo(ctx, dbFlags{}, env, log)
	if err != nil {
		t.Fatal(err)
	}
	defer d.close()
	pd, stopPD, err := startDemoPagerDuty(time.Now(), log)
	if err != nil {
		t.Fatal(err)
	}
	defer stopPD()
	if err := runDemoRosters(ctx, d.store, d.gitlabClient, pd, log); err != nil {
		t.Fatal(err)
	}
	// As the demo does, so that the pages' incident lines do not depend
	// on whether serve's incident job ran before the screenshot.
	if err := refreshDemoIncidents(ctx, d.store, pd); err != nil {
		t.Fatal(err)
	}
	if err := gradeDemo(ctx, d, pd, log); err != nil {
		t.Fatal(err)
	}
	var users []fakeslack.User
	for _, p := range sampleorg.People() {
		users = append(users, fakeslack.User{ID: p.SlackUserID, Name: strings.Split(p.Email, "@")[0], RealName: p.Name, Email: p.Email})
	}
	fake := fakeslack.NewForTest(t, users, nil)
	if err := fake.EnableOIDC(webTestClientID, webTestClientSecret, users[0].ID); err != nil {
		t.Fatal(err)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	base := "http://" + ln.Addr().String()
	cfg, err := loadServeConfig(envMap{"SLACK_BOT_TOKEN": fakeslack.Token, "SLACK_SIGNING_SECRET": e2eSecret, "SLACK_API_URL": fake.APIURL(),
		"WEB_AUTH": "slack", "SLACK_CLIENT_ID": webTestClientID, "SLACK_CLIENT_SECRET": webTestClientSecret, "WEB_SESSION_KEY": webTestSessionKey,
		"WEB_BASE_URL": base, "SLACK_OIDC_URL": fake.Issuer()}.get)
	if err != nil {
		t.Fatal(err)
	}
	srv, err := newServer(cfg, d.db, log, extras{pagerduty: pd, standards: d.standards, scorecardNotice: d.scorecardNotice})
	if err != nil {
		t.Fatal(err)
	}
	sctx, stop := context.WithCancel(ctx)
	done := make(chan error, 1)
	go func() { done <- srv.serve(sctx, ln) }()
	defer func() { stop(); <-done }()

	opts := append(chromedp.DefaultExecAllocatorOptions[:], chromedp.ExecPath(browser), chromedp.NoSandbox, chromedp.WindowSize(1280, 1000))
	actx, acancel := chromedp.NewExecAllocator(ctx, opts...)
	defer acancel()
	bctx, bcancel := chromedp.NewContext(actx)
	defer bcancel()
	dir := screenshotDir(t)
	do := func(t *testing.T, steps ...chromedp.Action[chromedp.Void]) {
		t.Helper()
		if err := chromedp.Do(bctx, steps...); err != nil {
			t.Fatal(err)
		}
	}
	shot := func(t *testing.T, name string) {
		t.Helper()
		png, err := chromedp.Run(bctx, chromedp.FullScreenshot(100)) // quality 100: PNG
		if err != nil {
			t.Fatal(err)
		}
		path := filepath.Join(dir, name+".png")
		if err := os.WriteFile(path, png, 0o644); err != nil {
			t.Fatal(err)
		}
		t.Logf("screenshot: %s", path)
	}
	evalString := func(t *testing.T, js string) string {
		t.Helper()
		v, err := chromedp.Run(bctx, chromedp.Evaluate[string](js))
		if err != nil {
			t.Fatalf("%s: %v", js, err)
		}
		return v
	}
	evalInt := func(t *testing.T, js string) int {
		t.Helper()
		v, err := chromedp.Run(bctx, chromedp.Evaluate[int](js))
		if err != nil {
			t.Fatalf("%s: %v", js, err)
		}
		return v
	}
	// pageWeight fetches path as the browser does and fails when its
	// HTML weighs over maxPageBytes.
	pageWeight := func(t *testing.T, path string) {
		t.Helper()
		n := evalInt(t, `(function(){var x=new XMLHttpRequest();x.open('GET','`+path+`',false);x.send();return x.status===200?new Blob([x.responseText]).size:-x.status;})()`)
		t.Logf("%s: %d bytes", path, n)
		if n <= 0 || n > maxPageBytes {
			t.Errorf("%s weighs %d bytes, want 1..%d", path, n, maxPageBytes)
		}
	}
	location := func(t *testing.T) string {
		t.Helper()
		loc, err := chromedp.Run(bctx, chromedp.Location())
		if err != nil {
			t.Fatal(err)
		}
		return loc
	}
	// noRepeats fails when the page links to itself (the answers' links
	// to a page belong in Slack) or says a heading twice.
	noRepeats := func(t *testing.T) {
		t.Helper()
		if bad := evalString(t, `(function(){var out=[],here=location.href.split('#')[0],seen={};
			[].forEach.call(document.querySelectorAll('main a[href]'),function(a){if(a.href.split('#')[0]===here)out.push('link to itself: '+a.textContent);});
			[].forEach.call(document.querySelectorAll('main h1,main h2,main h3'),function(h){var k=h.textContent.trim();if(seen[k])out.push('heading twice: '+k);seen[k]=1;});
			return out.join('; ');})()`); bad != "" {
			t.Errorf("%s: %s", location(t), bad)
		}
	}
	// tabTo presses Tab until the focused element el satisfies cond (a JS
	// boolean expression), at most max times, and fails if it never does.
	tabTo := func(t *testing.T, cond string, max int) {
		t.Helper()
		for range max {
			do(t, chromedp.KeyEvent(kb.Tab))
			ok, err := chromedp.Run(bctx, chromedp.Evaluate[bool]("(function(el){return !!el && ("+cond+");})(document.activeElement)"))
			if err != nil {
				t.Fatal(err)
			}
			if ok {
				return
			}
		}
		t.Fatalf("%d Tabs never reached %s; focus is on %s", max, cond,
			evalString(t, "document.activeElement ? document.activeElement.outerHTML.slice(0,200) : ''"))
	}

	t.Run("sign in", func(t *testing.T) {
		do(t, chromedp.Navigate(base+"/"), chromedp.WaitVisible(chromedp.CSS("#q")))
		if loc := location(t); loc != base+"/" {
			t.Fatalf("after sign-in at %s, want %s/", loc, base)
		}
		if who := evalString(t, `document.querySelector('.who').textContent`); !strings.Contains(who, users[0].RealName) {
			t.Fatalf("header says %q, want the signed-in %s", who, users[0].RealName)
		}
		if len(fake.Calls("openid.connect.token")) == 0 {
			t.Fatal("signed in without asking the fake Slack's openid.connect.token")
		}
	})
	t.Run("search by keyboard", func(t *testing.T) {
		// The skip link is the first stop.
		tabTo(t, `el.classList.contains('skip')`, 1)
		tabTo(t, `el.id === 'q'`, 10)
		// Words of invoice-service's description ("Issues invoices and
		// credit notes."), not its name; results come as one types.
		do(t, chromedp.KeyEvent("credit notes"), chromedp.WaitVisible(chromedp.CSS(`#results ol.hits li a`)))
		if first := evalString(t, `document.querySelector('#results ol.hits li a').getAttribute('href')`); first != "/services/default/invoice-service" {
			t.Fatalf("first hit %q, want invoice-service's page", first)
		}
		// Enter submits the plain form (the page works without script).
		do(t, chromedp.KeyEvent(kb.Enter), chromedp.Sleep(300*time.Millisecond), chromedp.WaitVisible(chromedp.CSS(`ol.hits`)))
		if loc := location(t); !strings.Contains(loc, "/search?q=credit+notes") {
			t.Fatalf("after Enter at %s", loc)
		}
		shot(t, "search")
	})
	t.Run("service page", func(t *testing.T) {
		// Keyboard again: Tab to the first hit, Enter follows it.
		tabTo(t, `el.getAttribute('href') === '/services/default/invoice-service'`, 15)
		do(t, chromedp.KeyEvent(kb.Enter), chromedp.WaitVisible(chromedp.CSS(`#team-link`)))
		if h1 := evalString(t, `document.querySelector('h1').textContent`); h1 != "invoice-service" {
			t.Fatalf("service page h1 %q", h1)
		}
		text := evalString(t, `document.querySelector('main').innerText`)
		for _, want := range []string{"Owner", "On call", "Scorecard", "log4j-core", "Descriptor: ok"} {
			if !strings.Contains(text, want) {
				t.Errorf("service page lacks %q", want)
			}
		}
		noRepeats(t)
		pageWeight(t, "/services/default/invoice-service")
		shot(t, "service")
	})
	t.Run("team page", func(t *testing.T) {
		do(t, chromedp.Click(chromedp.CSS("#team-link")), chromedp.Sleep(200*time.Millisecond), chromedp.WaitVisible(chromedp.CSS(`#lvl-h`)))
		// The /team answer's header is the page's.
		if h1 := evalString(t, `document.querySelector('h1').textContent`); h1 != "Back Office Tools (backoffice)" {
			t.Fatalf("team page h1 %q", h1)
		}
		// It links back to invoice-service, once among its services (the
		// /team answer lists its four: the page does not list them again)
		// and once among its levels.
		if n := evalInt(t, `document.querySelectorAll('main a[href$="/services/default/invoice-service"]').length`); n != 2 {
			t.Errorf("the team page links invoice-service %d times, want 2 (its services, its levels)", n)
		}
		noRepeats(t)
		pageWeight(t, "/teams/backoffice")
		shot(t, "team")
	})
	t.Run("service graph", func(t *testing.T) {
		// auth-service: 17 dependents (11 direct), each with its edges.
		do(t, chromedp.Navigate(base+"/services/default/auth-service"), chromedp.WaitVisible(chromedp.CSS(`#dependents`)))
		if n := evalInt(t, `document.querySelectorAll('#dependents > li').length`); n != 17 {
			t.Errorf("%d dependents shown, want 17", n)
		}
		if n := evalInt(t, `document.querySelectorAll('#dependencies > li').length`); n == 0 {
			t.Error("no dependencies shown")
		}
		if text := evalString(t, `document.querySelector('#dependents').innerText`); !strings.Contains(text, "opslevel.yml: dependencies auth") {
			t.Errorf("the dependents do not say where their edges come from:\n%s", text)
		}
		noRepeats(t)
		pageWeight(t, "/services/default/auth-service")
		shot(t, "service-graph")
	})
	t.Run("coverage chart", func(t *testing.T) {
		do(t, chromedp.Navigate(base+"/coverage"), chromedp.WaitVisible(chromedp.CSS(`figure svg`)))
		title := evalString(t, `document.querySelector('figure svg title').textContent`)
		// The demo recorded 90 days (sampleorg.CoverageHistory): the table
		// has a row for each, today's being "now".
		rows := evalInt(t, `document.querySelector('figure').nextElementSibling.querySelectorAll('tbody tr').length`)
		if title == "" || rows != demoCoverageDays {
			t.Fatalf("coverage chart: title %q, %d table rows, want %d days", title, rows, demoCoverageDays)
		}
		// Each series (catalogued, flagged, ignored) is a line through a
		// point a day: the three paths with the most points have one
		// per row.
		points := evalString(t, `[].map.call(document.querySelectorAll('figure svg path'), function(p){
			return ((p.getAttribute('d')||'').match(/[ML]/g)||[]).length;}).sort(function(a,b){return b-a;}).slice(0,3).join(',')`)
		if want := strings.Repeat(fmt.Sprint(rows)+",", 3); points+"," != want {
			t.Fatalf("the chart's longest paths have %s points, want three lines of %d", points, rows)
		}
		// The line rises: the first day's catalogued are fewer than now.
		first := evalInt(t, `+document.querySelector('figure').nextElementSibling.querySelector('tbody tr td:nth-child(3)').textContent`)
		now := evalInt(t, `+document.querySelector('figure').nextElementSibling.querySelector('tbody tr:last-child td:nth-child(3)').textContent`)
		if first >= now {
			t.Errorf("catalogued %d 90 days ago and %d now: no rise", first, now)
		}
		noRepeats(t)
		pageWeight(t, "/coverage")
		shot(t, "coverage")
	})
	t.Run("sign out", func(t *testing.T) {
		do(t, chromedp.Click(chromedp.CSS(`header form button`)), chromedp.Sleep(300*time.Millisecond),
			chromedp.Navigate(base+"/coverage"), chromedp.WaitVisible(chromedp.CSS(`figure`)))
		// Signed out, a page goes through the sign-in again (which the
		// fake Slack completes at once) and lands back on it.
		if loc := location(t); !strings.HasSuffix(loc, "/coverage") {
			t.Fatalf("after sign-out: %s", loc)
		}
		if n := len(fake.Calls("openid.connect.token")); n < 2 {
			t.Fatalf("%d sign-ins, want a second after signing out", n)
		}
	})
}
