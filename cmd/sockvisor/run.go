package main

import "fmt"

// runRun is the "run" command (issue 5).
func runRun(cio commandIO, args []string) int {
	fmt.Fprintf(cio.stderr, "%s: not implemented yet\n", cio.prog)
	return 1
}
