package main

import "fmt"

// runVerify is the "verify" command (issue 2).
func runVerify(cio commandIO, args []string) int {
	fmt.Fprintf(cio.stderr, "%s: not implemented yet\n", cio.prog)
	return 1
}
