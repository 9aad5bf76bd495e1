package main

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"time"

	"github.com/sockvisor/sockvisor/supervisor"
)

// runStatus is the "status" command: the socket units of a running `sockvisor run`.
func runStatus(cio commandIO, args []string) int {
	fs := newFlagSet(cio, fmt.Sprintf("usage: %s [--control=PATH] [--format=text|json]\n", cio.prog))
	control := fs.String("control", "", "`PATH` of the control socket of the running supervisor (default as for sockvisor run)")
	format := fs.String("format", "text", "output format: text or json")
	if code, ok := parseFlags(cio, fs, args); !ok {
		return code
	}
	if fs.NArg() > 0 || (*format != "text" && *format != "json") {
		fmt.Fprintf(cio.stderr, "%s: bad arguments\n", cio.prog)
		fs.Usage()
		return 1
	}
	path := *control
	if path == "" {
		path = supervisor.DefaultControlPath(os.Getenv)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	units, err := supervisor.QueryStatus(ctx, path)
	if err != nil {
		fmt.Fprintf(cio.stderr, "%s: %v\n", cio.prog, err)
		return 1
	}
	if *format == "json" {
		enc := json.NewEncoder(cio.stdout)
		enc.SetIndent("", "  ")
		if units == nil {
			units = []supervisor.UnitStatus{}
		}
		if err := enc.Encode(units); err != nil {
			return 1
		}
		return 0
	}
	if err := supervisor.FormatStatus(cio.stdout, units); err != nil {
		return 1
	}
	return 0
}
