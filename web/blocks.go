package web

import (
	"html"
	"html/template"
	"net/url"
	"strings"

	"github.com/switchboard-dev/switchboard/commands"
)

// view is where on a page a command's answer is drawn.
type view struct {
	// level is the heading level of the answer's headers (2..6).
	level int
	// base is the catalog's external address (Config.BaseURL), under
	// which the answers' links to catalog pages are absolute.
	base string
	// self is the path of the page the answer is drawn on: links to it
	// are left out (in Slack they lead to the page; on it, nowhere).
	self string
	// heading takes the answer's first block, when a header, out as
	// answer.Heading: the page shows it as its own heading instead of
	// under one saying the same.
	heading bool
}

// answer is a command's answer drawn as HTML.
type answer struct {
	// Heading is the answer's header taken out (view.heading), or "".
	Heading string
	// Body is the rest of the answer.
	Body template.HTML
	// linked are the paths of the catalog's pages Body links to.
	linked map[string]bool
}

// answerHTML renders a command's answer as HTML: the same blocks Slack and
// the shell show, every string escaped. Buttons that stand for commands are
// left out (the catalog is read-only); link buttons become links. Headers
// become headings at v.level. Links to the page itself (v.self) are left
// out, with the separator before them; a block left empty by that goes.
func answerHTML(resp commands.Response, v view) answer {
	var b strings.Builder
	a := answer{linked: map[string]bool{}}
	h := "h" + string(rune('0'+min(max(v.level, 2), 6)))
	blocks := resp.Blocks
	if v.heading && len(blocks) > 0 {
		if x, ok := blocks[0].(*commands.Header); ok {
			a.Heading, blocks = x.Text, blocks[1:]
		}
	}
	for _, blk := range blocks {
		switch x := blk.(type) {
		case *commands.Header:
			b.WriteString("<" + h + ">" + html.EscapeString(x.Text) + "</" + h + ">")
		case *commands.Section:
			if t := v.strip(x.Text); len(t) > 0 {
				b.WriteString("<p>")
				v.writeText(&b, t, a.linked)
				b.WriteString("</p>")
			}
			var fields []commands.Field
			for _, f := range x.Fields {
				// A field only linking to the page itself goes.
				if val := v.strip(f.Value); len(val) > 0 || len(f.Value) == 0 {
					f.Value = val
					fields = append(fields, f)
				}
			}
			if len(fields) > 0 {
				b.WriteString(`<dl class="fields">`)
				for _, f := range fields {
					b.WriteString("<div><dt>" + html.EscapeString(f.Label) + "</dt><dd>")
					v.writeText(&b, f.Value, a.linked)
					b.WriteString("</dd></div>")
				}
				b.WriteString("</dl>")
			}
		case *commands.Context:
			if t := v.strip(x.Text); len(t) > 0 {
				b.WriteString(`<p class="note">`)
				v.writeText(&b, t, a.linked)
				b.WriteString("</p>")
			}
		case *commands.Divider:
			b.WriteString("<hr>")
		case *commands.Actions:
			var links []string
			for _, btn := range x.Buttons {
				if u := safeURL(btn.URL); u != "" && !v.isSelf(u) {
					links = append(links, `<a href="`+html.EscapeString(u)+`">`+html.EscapeString(btn.Label)+"</a>")
				}
			}
			if len(links) > 0 {
				b.WriteString(`<p class="actions">` + strings.Join(links, " · ") + "</p>")
			}
		}
	}
	if len(resp.Blocks) == 0 && resp.Text != "" {
		b.WriteString("<p>" + html.EscapeString(resp.Text) + "</p>")
	}
	a.Body = template.HTML(b.String()) //nolint:gosec // every value above is escaped
	return a
}

// path is the catalog page u links to ("" when u is not under v.base):
// the answers' links are absolute, under the catalog's base URL.
func (v view) path(u string) string {
	base := strings.TrimRight(v.base, "/")
	if base == "" || !strings.HasPrefix(u, base+"/") {
		return ""
	}
	p := u[len(base):]
	if i := strings.IndexAny(p, "?#"); i >= 0 {
		p = p[:i]
	}
	return p
}

// isSelf reports whether u is the page's own address.
func (v view) isSelf(u string) bool {
	return v.self != "" && (u == v.self || v.path(u) == v.self)
}

// strip is t without its spans linking to the page itself, each with the
// separator (" · ", ", ") before it; nothing when only separators and
// space are left.
func (v view) strip(t commands.Text) commands.Text {
	if v.self == "" {
		return t
	}
	var out commands.Text
	for _, sp := range t {
		if sp.URL != "" && v.isSelf(sp.URL) {
			if n := len(out); n > 0 && out[n-1].URL == "" && isSeparator(out[n-1].Text) {
				out = out[:n-1]
			}
			continue
		}
		out = append(out, sp)
	}
	for _, sp := range out {
		if !isSeparator(sp.Text) {
			return out
		}
	}
	return nil
}

// isSeparator reports whether s is only space and list punctuation.
func isSeparator(s string) bool {
	return strings.Trim(s, " \n\t·,|—-") == ""
}

func (v view) writeText(b *strings.Builder, t commands.Text, linked map[string]bool) {
	for _, sp := range t {
		txt := strings.ReplaceAll(html.EscapeString(sp.Text), "\n", "<br>")
		switch sp.Style {
		case "bold":
			txt = "<strong>" + txt + "</strong>"
		case "code":
			txt = "<code>" + txt + "</code>"
		}
		if u := safeURL(sp.URL); u != "" {
			if p := v.path(u); p != "" {
				linked[p] = true
			}
			txt = `<a href="` + html.EscapeString(u) + `">` + txt + "</a>"
		}
		b.WriteString(txt)
	}
}

// safeURL returns u when it is an http(s) or mailto URL, else "".
func safeURL(u string) string {
	p, err := url.Parse(u)
	if err != nil {
		return ""
	}
	switch p.Scheme {
	case "http", "https", "mailto":
		return u
	}
	return ""
}
