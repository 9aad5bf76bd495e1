package main

import (
	"context"
	"fmt"
	"log/slog"
	"os"
	"os/signal"
	"strings"
	"syscall"

	"github.com/sockvisor/sockvisor/forwarder"
)

// runProxy is the "proxy" command: systemd-socket-proxyd's command line and messages, on
// sockvisor's forwarder.
func runProxy(cio commandIO, args []string) int {
	cfg, code := forwarder.ParseArgs(cio.prog, args, cio.stdout, cio.stderr)
	if code >= 0 {
		return code
	}
	log := proxyLogger(cio)

	files, err := forwarder.ListenFDs()
	if err != nil {
		fmt.Fprintln(cio.stderr, "Failed to receive sockets from parent.")
		log.Debug("LISTEN_FDS", "err", err)
		return 1
	}
	for _, f := range files {
		if err := forwarder.CheckListener(f); err != nil {
			fmt.Fprintln(cio.stderr, "Passed in socket is not a stream socket.")
			log.Debug("inherited socket", "fd", f.Fd(), "err", err)
			return 1
		}
	}
	own, err := forwarder.Listen(cfg)
	if err != nil {
		fmt.Fprintf(cio.stderr, "%s: %v\n", cio.prog, err)
		return 1
	}
	files = append(files, own...)
	if len(files) == 0 {
		fmt.Fprintln(cio.stderr, "Didn't get any sockets passed in.")
		return 1
	}
	cfg.Notify = true
	fw, err := forwarder.New(cfg, log)
	if err != nil {
		fmt.Fprintf(cio.stderr, "%s: %v\n", cio.prog, err)
		return 1
	}
	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGTERM, syscall.SIGINT)
	defer stop()
	if err := fw.Serve(ctx, files); err != nil {
		fmt.Fprintf(cio.stderr, "%s: %v\n", cio.prog, err)
		return 1
	}
	return 0
}

// proxyLogger logs to stderr at the level of $SYSTEMD_LOG_LEVEL (info by default), without
// timestamps under journald, which adds its own.
func proxyLogger(cio commandIO) *slog.Logger {
	level := slog.LevelInfo
	switch strings.ToLower(os.Getenv("SYSTEMD_LOG_LEVEL")) {
	case "debug", "7":
		level = slog.LevelDebug
	case "warning", "4", "err", "3", "crit", "2", "alert", "1", "emerg", "0":
		level = slog.LevelWarn
	}
	journal := os.Getenv("JOURNAL_STREAM") != ""
	h := slog.NewTextHandler(cio.stderr, &slog.HandlerOptions{
		Level: level,
		ReplaceAttr: func(groups []string, a slog.Attr) slog.Attr {
			if journal && len(groups) == 0 && a.Key == slog.TimeKey {
				return slog.Attr{}
			}
			return a
		},
	})
	return slog.New(h).With("prog", cio.prog)
}
