package main

import (
	"context"
	"fmt"
	"os"

	"github.com/sockvisor/sockvisor/listener"
	"github.com/sockvisor/sockvisor/socketunit"
)

// runSockets is the "sockets" command: open every listener of the given units as `run` would
// (adopting inherited fds), read every applied option back from the kernel, print one row per
// fd, and close them again. Exit status: 0, 1 when a unit could not be loaded or opened, 2 when
// the kernel holds a setting other than the unit asks for.
func runSockets(cio commandIO, args []string) int {
	fs := newFlagSet(cio, fmt.Sprintf("usage: %s [--format=text|json] [--all] UNIT...\n", cio.prog))
	format := fs.String("format", "text", "output format: text or json")
	all := fs.Bool("all", false, "text format: show every setting read back, not only those the unit applies")
	level := fs.String("log-level", "warn", "log level: debug, info, warn or error")
	if code, ok := parseFlags(cio, fs, args); !ok {
		return code
	}
	log, err := newLogger(cio, *level, "text")
	if err != nil || fs.NArg() == 0 || (*format != "text" && *format != "json") {
		fmt.Fprintf(cio.stderr, "%s: bad arguments\n", cio.prog)
		fs.Usage()
		return 1
	}

	inh, err := listener.Inherit(os.Getenv)
	for _, k := range []string{"LISTEN_PID", "LISTEN_FDS", "LISTEN_FDNAMES", "LISTEN_PIDFDID"} {
		os.Unsetenv(k)
	}
	if err != nil {
		fmt.Fprintf(cio.stderr, "%s: inherited fds: %v\n", cio.prog, err)
		return 1
	}
	fst := listener.NewFSThread()
	defer fst.Close()
	ctx := context.Background()
	code := 0
	var rows []listener.Row
	for _, name := range fs.Args() {
		l, err := socketunit.LoadSocket(name, socketunit.Options{})
		if err != nil {
			fmt.Fprintf(cio.stderr, "%s: %v\n", cio.prog, err)
			code = 1
			continue
		}
		for _, d := range l.Diagnostics {
			if d.Severity >= socketunit.SeverityWarning {
				fmt.Fprintln(cio.stderr, d.String())
			}
		}
		if l.Refused() {
			fmt.Fprintf(cio.stderr, "%s: %s: systemd would refuse to load this unit\n", cio.prog, name)
			code = 1
			continue
		}
		o := listener.OpenOptions{Inherited: inh, Log: log, FS: fst}
		if l.Service != nil {
			o.USB = listener.USBFunction{Descriptors: l.Service.USBFunctionDescriptors, Strings: l.Service.USBFunctionStrings}
		}
		r, err := listener.Inspect(ctx, l.Socket, o, 3)
		if err != nil {
			fmt.Fprintf(cio.stderr, "%s: %v\n", cio.prog, err)
			code = 1
		}
		rows = append(rows, r...)
	}
	rows = append(rows, listener.UnmatchedRows(inh)...)
	for _, d := range inh.Unmatched() {
		d.File.Close()
	}
	if len(rows) == 0 && code != 0 {
		return code
	}
	if err := listener.WriteRows(cio.stdout, rows, *format, *all); err != nil {
		return 1
	}
	for _, r := range rows {
		if r.Mismatch > 0 && code == 0 {
			code = 2
		}
	}
	return code
}
