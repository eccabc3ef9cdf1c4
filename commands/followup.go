package commands

import "context"

// Answer replaces a command's answer with resp, for the person who ran it;
// an InChannel resp is posted for the whole channel instead (and the
// answer it follows is removed where the transport can).
type Answer func(ctx context.Context, resp Response) error

// Later is how a command answers again after it has returned, when what it
// answered was not final (a page PagerDuty did not confirm in time). The
// transport (the Slack bot: response_url) implements it and puts it in the
// context of each request with WithLater.
type Later interface {
	// Go runs work in the background once the command's answer has been
	// delivered, so that work's answers come after it. work's context ends
	// when the transport shuts down; the transport waits for work on a
	// graceful shutdown. answer delivers each later answer.
	Go(work func(ctx context.Context, answer Answer))
}

type laterKey struct{}

// WithLater returns ctx carrying l, for the commands dispatched with it.
func WithLater(ctx context.Context, l Later) context.Context {
	return context.WithValue(ctx, laterKey{}, l)
}

// LaterFrom returns the Later of ctx, nil when the transport has none (the
// command then says how to ask again instead).
func LaterFrom(ctx context.Context) Later {
	l, _ := ctx.Value(laterKey{}).(Later)
	return l
}
