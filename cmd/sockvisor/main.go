// Command sockvisor is socket activation without systemd: it reads systemd .socket units, opens
// (or adopts) their sockets, starts services on first traffic and carries its own forwarding
// core, a drop-in for systemd-socket-proxyd. See README.md for the commands.
//
// This package holds argument parsing and wiring only; every behaviour lives in a package.
package main

import (
	"fmt"
	"github.com/sockvisor/sockvisor/internal/version"
	"io"
	"os"
	"path/filepath"
	"strings"
)

// command is one subcommand: run gets the arguments after the command name and returns the
// process exit code.
type command struct {
	name    string
	summary string
	run     func(io commandIO, args []string) int
}

// commandIO is what a command reads and writes besides its arguments.
type commandIO struct {
	prog   string // the name to print in messages ("sockvisor proxy", or "systemd-socket-proxyd")
	stdout io.Writer
	stderr io.Writer
}

// commands lists every subcommand in the order the usage text shows them.
func commands() []command {
	return []command{
		{"verify", "check unit files the way systemd would", runVerify},
		{"sockets", "open a unit's sockets, read every option back, close them", runSockets},
		{"proxy", "forward connections to a target (systemd-socket-proxyd)", runProxy},
		{"activate", "listen and start a command on traffic (systemd-socket-activate)", runActivate},
		{"run", "supervise socket units: listen, activate, reload", runRun},
		{"status", "show the socket units of a running supervisor", runStatus},
		{"version", "print the version", runVersion},
	}
}

// alias returns the command the binary runs when invoked under another tool's name (a
// symlink), or "".
func alias(base string) string {
	switch base {
	case "systemd-socket-proxyd":
		return "proxy"
	case "systemd-socket-activate":
		return "activate"
	}
	return ""
}

func main() {
	os.Exit(dispatch(os.Args, os.Stdout, os.Stderr))
}

// dispatch runs the command named by argv and returns its exit code.
func dispatch(argv []string, stdout, stderr io.Writer) int {
	base := filepath.Base(argv[0])
	if name := alias(base); name != "" {
		return find(name).run(commandIO{prog: base, stdout: stdout, stderr: stderr}, argv[1:])
	}
	if base == execShimName {
		return runExecShim(argv[1:], stderr)
	}
	if len(argv) < 2 {
		usage(stderr)
		return 1
	}
	switch argv[1] {
	case "-h", "--help", "help":
		usage(stdout)
		return 0
	case "--version":
		return runVersion(commandIO{stdout: stdout, stderr: stderr}, nil)
	case execShimName:
		return runExecShim(argv[2:], stderr)
	}
	c := find(argv[1])
	if c.run == nil {
		fmt.Fprintf(stderr, "sockvisor: unknown command %q\n", argv[1])
		usage(stderr)
		return 1
	}
	return c.run(commandIO{prog: "sockvisor " + c.name, stdout: stdout, stderr: stderr}, argv[2:])
}

func find(name string) command {
	for _, c := range commands() {
		if c.name == name {
			return c
		}
	}
	return command{}
}

func usage(w io.Writer) {
	var b strings.Builder
	b.WriteString("usage: sockvisor COMMAND [OPTIONS] [ARGS...]\n\ncommands:\n")
	for _, c := range commands() {
		fmt.Fprintf(&b, "  %-9s %s\n", c.name, c.summary)
	}
	b.WriteString("\nRun 'sockvisor COMMAND --help' for a command's options.\n")
	io.WriteString(w, b.String())
}

func runVersion(cio commandIO, _ []string) int {
	fmt.Fprintf(cio.stdout, "sockvisor %s\n", version.Release)
	return 0
}
