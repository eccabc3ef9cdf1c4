package web

import (
	"html"
	"html/template"
	"net/url"
	"strings"

	"github.com/switchboard-dev/switchboard/commands"
)

// answerHTML renders a command's answer as HTML: the same blocks Slack and
// the shell show, every string escaped. Buttons that stand for commands are
// left out (the catalog is read-only); link buttons become links. Headers
// become headings at level, the page's section depth.
func answerHTML(resp commands.Response, level int) template.HTML {
	var b strings.Builder
	h := "h" + string(rune('0'+min(max(level, 2), 6)))
	for _, blk := range resp.Blocks {
		switch x := blk.(type) {
		case *commands.Header:
			b.WriteString("<" + h + ">" + html.EscapeString(x.Text) + "</" + h + ">")
		case *commands.Section:
			if len(x.Text) > 0 {
				b.WriteString("<p>")
				writeText(&b, x.Text)
				b.WriteString("</p>")
			}
			if len(x.Fields) > 0 {
				b.WriteString(`<dl class="fields">`)
				for _, f := range x.Fields {
					b.WriteString("<div><dt>" + html.EscapeString(f.Label) + "</dt><dd>")
					writeText(&b, f.Value)
					b.WriteString("</dd></div>")
				}
				b.WriteString("</dl>")
			}
		case *commands.Context:
			b.WriteString(`<p class="note">`)
			writeText(&b, x.Text)
			b.WriteString("</p>")
		case *commands.Divider:
			b.WriteString("<hr>")
		case *commands.Actions:
			var links []string
			for _, btn := range x.Buttons {
				if u := safeURL(btn.URL); u != "" {
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
	return template.HTML(b.String()) //nolint:gosec // every value above is escaped
}

func writeText(b *strings.Builder, t commands.Text) {
	for _, sp := range t {
		txt := strings.ReplaceAll(html.EscapeString(sp.Text), "\n", "<br>")
		switch sp.Style {
		case "bold":
			txt = "<strong>" + txt + "</strong>"
		case "code":
			txt = "<code>" + txt + "</code>"
		}
		if u := safeURL(sp.URL); u != "" {
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
