package main

import "fmt"

// runSockets is the "sockets" command (issue 4).
func runSockets(cio commandIO, args []string) int {
	fmt.Fprintf(cio.stderr, "%s: not implemented yet\n", cio.prog)
	return 1
}
