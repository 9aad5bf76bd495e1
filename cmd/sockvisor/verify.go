package main

import (
	"bufio"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"strings"
	"syscall"

	"github.com/spf13/pflag"

	"github.com/sockvisor/sockvisor/socketunit"
)

const verifyUsage = "usage: sockvisor verify [--format=text|json] [--strict] UNIT..."

// Exit codes of verify.
const (
	verifyOK      = 0 // every unit would load (and, with --strict, has no warning)
	verifyRefused = 1 // a unit would be refused or cannot be read
	verifyUsageRC = 2 // bad flags or no unit
)

// verifyFinding is one finding in --format=json output.
type verifyFinding struct {
	File     string `json:"file"`
	Line     int    `json:"line"`
	Key      string `json:"key"`
	Severity string `json:"severity"`
	Message  string `json:"message"`
	Own      bool   `json:"own"`
}

// runVerify is the "verify" command: check units the way systemd-analyze verify does.
func runVerify(cio commandIO, args []string) int {
	fl := pflag.NewFlagSet("verify", pflag.ContinueOnError)
	fl.SetOutput(io.Discard)
	format := fl.String("format", "text", "output format: text or json")
	strict := fl.Bool("strict", false, "exit 1 on warnings too")
	help := fl.BoolP("help", "h", false, "show this help")
	if err := fl.Parse(args); err != nil {
		fmt.Fprintf(cio.stderr, "%s: %v\n%s\n", cio.prog, err, verifyUsage)
		return verifyUsageRC
	}
	if *help {
		fmt.Fprintf(cio.stdout, "%s\n\nCheck socket and service units the way systemd-analyze verify does.\n\n%s", verifyUsage, fl.FlagUsages())
		return verifyOK
	}
	if *format != "text" && *format != "json" {
		fmt.Fprintf(cio.stderr, "%s: invalid --format %q (text or json)\n%s\n", cio.prog, *format, verifyUsage)
		return verifyUsageRC
	}
	if fl.NArg() == 0 {
		fmt.Fprintf(cio.stderr, "%s: no unit given\n%s\n", cio.prog, verifyUsage)
		return verifyUsageRC
	}
	buf := bufio.NewWriter(cio.stdout)
	defer buf.Flush()
	out := newFindingWriter(buf, *format)
	rc := verifyOK
	for _, path := range fl.Args() {
		diags, err := socketunit.Verify(path, socketunit.Options{})
		if err != nil {
			diags = []socketunit.Diagnostic{readFailure(path, err)}
		}
		for _, d := range diags {
			out.write(d)
			switch {
			case d.Severity == socketunit.SeverityError:
				rc = verifyRefused
			case *strict && d.Severity == socketunit.SeverityWarning:
				rc = verifyRefused
			}
		}
	}
	return rc
}

// readFailure turns a unit that cannot be read into a finding.
func readFailure(path string, err error) socketunit.Diagnostic {
	msg := strings.TrimPrefix(err.Error(), path+": ")
	var errno syscall.Errno
	switch {
	case errors.Is(err, fs.ErrNotExist):
		msg = "cannot read the unit: No such file or directory"
	case errors.As(err, &errno):
		msg = "cannot read the unit: " + socketunit.ErrorText(errno)
	}
	return socketunit.Diagnostic{Location: socketunit.Location{File: path}, Severity: socketunit.SeverityError, Own: true, Message: msg}
}

// findingWriter prints findings as text lines or JSON objects (one per line).
type findingWriter struct {
	w    io.Writer
	json *json.Encoder
}

func newFindingWriter(w io.Writer, format string) *findingWriter {
	fw := &findingWriter{w: w}
	if format == "json" {
		fw.json = json.NewEncoder(w)
	}
	return fw
}

func (fw *findingWriter) write(d socketunit.Diagnostic) {
	if fw.json == nil {
		fmt.Fprintln(fw.w, d.String())
		return
	}
	_ = fw.json.Encode(verifyFinding{File: d.File, Line: d.Line, Key: d.Key, Severity: d.Severity.String(), Message: d.Message, Own: d.Own})
}
