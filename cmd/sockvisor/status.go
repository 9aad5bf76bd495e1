package main

import "fmt"

// runStatus is the "status" command (issue 5).
func runStatus(cio commandIO, args []string) int {
	fmt.Fprintf(cio.stderr, "%s: not implemented yet\n", cio.prog)
	return 1
}
