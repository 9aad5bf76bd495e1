package main

import (
	"context"
	"fmt"
	"log/slog"
	"os"

	"github.com/sockvisor/sockvisor/supervisor"
)

// runRun is the "run" command: supervise socket units until SIGTERM/SIGINT.
func runRun(cio commandIO, args []string) int {
	fs := newFlagSet(cio, fmt.Sprintf("usage: %s [OPTIONS] [UNIT|DIR...]\n\nSupervise socket units: listen, activate their services on traffic, reload on change.\nWithout arguments: the sockets enabled under sockets.target.wants/ in the unit search path.\n", cio.prog))
	control := fs.String("control", "", "`PATH` of the control socket that sockvisor status reads (default: $RUNTIME_DIRECTORY/control.sock, /run/sockvisor/control.sock as root, $XDG_RUNTIME_DIR/sockvisor/control.sock otherwise); \"none\" disables it")
	initMode := fs.Bool("init", false, "act as a container's init: child subreaper, reap every orphan, exit when no unit is left (implied when running as PID 1)")
	noInproc := fs.Bool("no-in-process-proxy", false, "start systemd-socket-proxyd services as processes instead of on the built-in forwarder")
	unitPath := fs.StringArray("unit-path", nil, "unit search path directory for services, drop-ins and enabled sockets (repeatable; default: systemd's system path)")
	logLevel := fs.String("log-level", "info", "log level: debug, info, warn, error")
	logFormat := fs.String("log-format", "text", "log format: text or json")
	if code, ok := parseFlags(cio, fs, args); !ok {
		return code
	}
	log, err := newLogger(cio, *logLevel, *logFormat)
	if err != nil {
		fmt.Fprintf(cio.stderr, "%s: %v\n", cio.prog, err)
		return 1
	}
	cfg := supervisor.Config{
		Units:            fs.Args(),
		SearchPath:       *unitPath,
		Control:          *control,
		Init:             *initMode || os.Getpid() == 1,
		NoInProcessProxy: *noInproc,
		Log:              log,
	}
	switch cfg.Control {
	case "":
		cfg.Control = supervisor.DefaultControlPath(os.Getenv)
	case "none":
		cfg.Control = ""
	}
	if err := supervisor.Run(context.Background(), cfg); err != nil {
		fmt.Fprintf(cio.stderr, "%s: %v\n", cio.prog, err)
		return 1
	}
	return 0
}

// newLogger builds the slog logger of --log-level and --log-format, writing to stderr.
func newLogger(cio commandIO, level, format string) (*slog.Logger, error) {
	var l slog.Level
	if err := l.UnmarshalText([]byte(level)); err != nil {
		return nil, fmt.Errorf("bad --log-level %q", level)
	}
	o := &slog.HandlerOptions{Level: l}
	if os.Getenv("JOURNAL_STREAM") != "" {
		// journald stamps every line itself.
		o.ReplaceAttr = func(groups []string, a slog.Attr) slog.Attr {
			if len(groups) == 0 && a.Key == slog.TimeKey {
				return slog.Attr{}
			}
			return a
		}
	}
	switch format {
	case "text":
		return slog.New(slog.NewTextHandler(cio.stderr, o)), nil
	case "json":
		return slog.New(slog.NewJSONHandler(cio.stderr, o)), nil
	}
	return nil, fmt.Errorf("bad --log-format %q (text or json)", format)
}
