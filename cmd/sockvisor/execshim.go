package main

import (
	"io"

	"github.com/sockvisor/sockvisor/supervisor"
)

// execShimName is the hidden command (and argv[0]) under which sockvisor re-executes itself to
// set LISTEN_PID to the service's own PID before exec'ing the service (DESIGN.md).
const execShimName = supervisor.ShimCommand

// runExecShim sets LISTEN_PID and the other per-process settings and execs the command; it
// returns only on failure (supervisor.RunShim).
func runExecShim(args []string, stderr io.Writer) int {
	return supervisor.RunShim(args, stderr)
}
