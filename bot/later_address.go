package bot

import (
	"strings"

	"github.com/switchboard-dev/switchboard/commands"
)

// clickPrefix marks the address of a click's later answers: they replace
// the message clicked in.
const clickPrefix = "replace:"

// Address implements commands.Later: the request's response_url,
// marked when a later answer replaces the clicked message. Background work
// that outlives the request (a page's lookups, a River job) keeps it and
// answers through AnswerAt, on any replica.
func (l *later) Address() string {
	if l.url == "" {
		return ""
	}
	if l.click {
		return clickPrefix + l.url
	}
	return l.url
}

// AnswerAt returns the Answer of the later answers at address (a Later's
// Address): what the request's Later gives its work, for work done
// elsewhere or after a restart. The response_url behind it is valid for 30
// minutes.
func (b *Bot) AnswerAt(address string) commands.Answer {
	l := &later{b: b, url: strings.TrimPrefix(address, clickPrefix), click: strings.HasPrefix(address, clickPrefix)}
	return l.answer
}

var _ commands.Later = (*later)(nil)
