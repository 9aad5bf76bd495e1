package main

import (
	"fmt"
	"io"
)

// execShimName is the hidden command (and argv[0]) under which sockvisor re-executes itself to
// set LISTEN_PID to the service's own PID before exec'ing the service (DESIGN.md).
const execShimName = "__exec"

// runExecShim sets LISTEN_PID and execs the command (issue 5).
func runExecShim(args []string, stderr io.Writer) int {
	fmt.Fprintln(stderr, "sockvisor: exec shim not implemented yet")
	return 127
}
