package main

import "fmt"

// runProxy is the "proxy" command (issue 3).
func runProxy(cio commandIO, args []string) int {
	fmt.Fprintf(cio.stderr, "%s: not implemented yet\n", cio.prog)
	return 1
}
