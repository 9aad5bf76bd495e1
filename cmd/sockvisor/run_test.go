package main

import (
	"path/filepath"
	"strings"
	"testing"

	"github.com/sockvisor/sockvisor/internal/testbin"
)

func TestRunAndStatusCommandLine(t *testing.T) {
	bin := testbin.Path(t)
	ctl := filepath.Join(t.TempDir(), "none.sock")
	for _, c := range []struct {
		args       []string
		rc         int
		out, inErr string
	}{
		{args: []string{"run", "--bogus"}, rc: 1, inErr: "usage: sockvisor run [OPTIONS] [UNIT|DIR...]"},
		{args: []string{"run", "--log-level=loud", "x"}, rc: 1, inErr: "bad --log-level"},
		{args: []string{"run", "--help"}, rc: 0, inErr: "--no-in-process-proxy"},
		{args: []string{"run", "--control=none", filepath.Join(t.TempDir(), "missing.socket")}, rc: 1, inErr: "no socket unit to run"},
		{args: []string{"status", "--control=" + ctl}, rc: 1, inErr: "is sockvisor run running?"},
		{args: []string{"status", "--format=xml"}, rc: 1, inErr: "usage: sockvisor status"},
		{args: []string{"status", "extra"}, rc: 1, inErr: "usage: sockvisor status"},
	} {
		out, errOut, rc := runBin(t, nil, bin, c.args...)
		if rc != c.rc || !strings.Contains(errOut, c.inErr) || !strings.Contains(out, c.out) {
			t.Errorf("sockvisor %v: rc %d, stdout %q, stderr %q; want rc %d and stderr containing %q", c.args, rc, out, errOut, c.rc, c.inErr)
		}
	}
}
