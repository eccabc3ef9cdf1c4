package commands

import "context"

// Answer replaces a command's answer with resp, for the person who ran it;
// an InChannel resp is posted for the whole channel instead (and the
// answer it follows is removed where the transport can).
type Answer func(ctx context.Context, resp Response) error

// Later is how a command answers again after it has returned, when what it
// answered was not final (a page PagerDuty did not confirm in time). The
// transport (the Slack bot: the request's response_url) implements it and
// puts it in the context of each request with WithLater; background work
// that outlives the request (serve's River jobs, on any replica) keeps its
// Address and answers through the transport's AnswerAt.
type Later interface {
	// Address is where the request's later answers go; "" when it has
	// none.
	Address() string
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
