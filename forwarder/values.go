package forwarder

import (
	"time"

	"github.com/sockvisor/sockvisor/socketunit"
)

// parseUnsigned reads a number the way systemd's safe_atou does (base auto, at most 2^32-1).
func parseUnsigned(s string) (uint64, error) {
	n, err := socketunit.ParseUnsigned(s)
	return uint64(n), err
}

// parseSpan reads a systemd time span; inf reports "infinity".
func parseSpan(s string) (d time.Duration, inf bool, err error) {
	ts, err := socketunit.ParseTimespan(s)
	if err != nil {
		return 0, false, err
	}
	if ts == socketunit.Infinity {
		return 0, true, nil
	}
	return ts.Duration(), false, nil
}

// parseSize reads a byte count with systemd's 1024-based suffixes (K, M, G…).
func parseSize(s string) (uint64, error) { return socketunit.ParseSize(s) }
