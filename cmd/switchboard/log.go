package main

import (
	"io"
	"log/slog"
	"strings"
)

// newLogger writes text logs to w at the level named by LOG_LEVEL (debug,
// info, warn, error), or at def when it is unset or unknown.
func newLogger(w io.Writer, env *Env, def slog.Level) *slog.Logger {
	level := def
	switch strings.ToLower(env.Getenv("LOG_LEVEL")) {
	case "debug":
		level = slog.LevelDebug
	case "info":
		level = slog.LevelInfo
	case "warn", "warning":
		level = slog.LevelWarn
	case "error":
		level = slog.LevelError
	}
	return slog.New(slog.NewTextHandler(w, &slog.HandlerOptions{Level: level}))
}
