package main

import "fmt"

// runActivate is the "activate" command (issue 5).
func runActivate(cio commandIO, args []string) int {
	fmt.Fprintf(cio.stderr, "%s: not implemented yet\n", cio.prog)
	return 1
}
