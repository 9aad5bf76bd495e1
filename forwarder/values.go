package forwarder

import (
	"errors"
	"math"
	"strconv"
	"strings"
	"time"

	"github.com/sockvisor/sockvisor/socketunit"
)

// parseUnsigned reads a number the way systemd's safe_atou does: base auto (0x hex, 0 octal),
// an optional sign where "-" only allows zero, no trailing characters, at most 2^32-1.
func parseUnsigned(s string) (uint64, error) {
	t := strings.TrimLeft(s, " \t\n\r")
	neg := strings.HasPrefix(t, "-")
	t = strings.TrimPrefix(strings.TrimPrefix(t, "-"), "+")
	if t == "" || strings.ContainsAny(t[:1], "+-") {
		return 0, strconv.ErrSyntax
	}
	n, err := strconv.ParseUint(t, 0, 32)
	if err != nil || strings.Contains(t, "_") {
		return 0, strconv.ErrSyntax
	}
	if neg && n != 0 {
		return 0, strconv.ErrRange
	}
	return n, nil
}

// parseSpan reads a systemd time span; inf reports "infinity".
func parseSpan(s string) (d time.Duration, inf bool, err error) {
	ts, err := socketunit.ParseTimespan(s)
	if errors.Is(err, errors.ErrUnsupported) {
		return localSpan(s)
	}
	if err != nil {
		return 0, false, err
	}
	if ts == socketunit.Infinity {
		return 0, true, nil
	}
	return ts.Duration(), false, nil
}

// spanUnits are systemd's time span suffixes, longest first so prefixes do not shadow them.
var spanUnits = []struct {
	name string
	d    float64
}{
	{"seconds", 1e9}, {"second", 1e9}, {"minutes", 60e9}, {"minute", 60e9}, {"months", 2629800e9},
	{"month", 2629800e9}, {"hours", 3600e9}, {"hour", 3600e9}, {"years", 31557600e9},
	{"year", 31557600e9}, {"weeks", 604800e9}, {"week", 604800e9}, {"days", 86400e9},
	{"day", 86400e9}, {"msec", 1e6}, {"usec", 1e3}, {"nsec", 1}, {"sec", 1e9}, {"min", 60e9},
	{"hr", 3600e9}, {"ms", 1e6}, {"us", 1e3}, {"µs", 1e3}, {"μs", 1e3}, {"ns", 1}, {"s", 1e9},
	{"m", 60e9}, {"h", 3600e9}, {"d", 86400e9}, {"w", 604800e9}, {"M", 2629800e9},
	{"y", 31557600e9}, {"", 1e9},
}

// localSpan is the time span grammar used until socketunit.ParseTimespan exists.
func localSpan(s string) (time.Duration, bool, error) {
	t := strings.TrimSpace(s)
	if t == "infinity" {
		return 0, true, nil
	}
	if t == "" {
		return 0, false, strconv.ErrSyntax
	}
	var total float64
	for t != "" {
		i := 0
		for i < len(t) && (t[i] >= '0' && t[i] <= '9' || t[i] == '.') {
			i++
		}
		if i == 0 {
			return 0, false, strconv.ErrSyntax
		}
		n, err := strconv.ParseFloat(t[:i], 64)
		if err != nil {
			return 0, false, strconv.ErrSyntax
		}
		t = strings.TrimLeft(t[i:], " \t\n\r")
		j := 0
		for j < len(t) && !(t[j] >= '0' && t[j] <= '9') && t[j] != ' ' && t[j] != '\t' {
			j++
		}
		unit := -1
		for k, u := range spanUnits {
			if u.name == t[:j] {
				unit = k
				break
			}
		}
		if unit < 0 {
			return 0, false, strconv.ErrSyntax
		}
		total += n * spanUnits[unit].d
		t = strings.TrimLeft(t[j:], " \t\n\r")
	}
	if total >= math.MaxInt64 {
		return 0, true, nil
	}
	return time.Duration(total), false, nil
}

// parseSize reads a byte count with an optional 1024-based suffix (B, K, M, G).
func parseSize(s string) (uint64, error) {
	t := strings.TrimSpace(s)
	mult := uint64(1)
	if t != "" {
		switch t[len(t)-1] {
		case 'K', 'k':
			mult = 1 << 10
		case 'M':
			mult = 1 << 20
		case 'G':
			mult = 1 << 30
		case 'B':
		default:
			mult = 0
		}
		if mult != 0 {
			t = t[:len(t)-1]
		} else {
			mult = 1
		}
	}
	n, err := strconv.ParseUint(strings.TrimSpace(t), 10, 64)
	if err != nil || n > math.MaxUint64/mult {
		return 0, strconv.ErrSyntax
	}
	return n * mult, nil
}
