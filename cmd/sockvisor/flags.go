package main

import (
	"errors"
	"fmt"

	"github.com/spf13/pflag"
)

// newFlagSet returns a flag set that reports to stderr and prints header, then the options, as
// its usage text.
func newFlagSet(cio commandIO, header string) *pflag.FlagSet {
	fs := pflag.NewFlagSet(cio.prog, pflag.ContinueOnError)
	fs.SetOutput(cio.stderr)
	fs.Usage = func() {
		fmt.Fprintf(cio.stderr, "%s\noptions:\n", header)
		fs.PrintDefaults()
	}
	return fs
}

// parseFlags parses args into fs. When the command must end now it returns its exit code and
// false: 0 after --help, 1 after a bad flag (the error and the usage are printed).
func parseFlags(cio commandIO, fs *pflag.FlagSet, args []string) (int, bool) {
	err := fs.Parse(args)
	switch {
	case err == nil:
		return 0, true
	case errors.Is(err, pflag.ErrHelp):
		return 0, false
	}
	fmt.Fprintf(cio.stderr, "%s: %v\n", cio.prog, err)
	fs.Usage()
	return 1, false
}
