package socketunit

import (
	"fmt"
	"math"
	"strconv"
	"strings"
	"syscall"
	"time"
)

// Timespan is a systemd time span in microseconds.
type Timespan uint64

// Infinity is the time span systemd writes as "infinity": never.
const Infinity Timespan = math.MaxUint64

// Microseconds per unit, as systemd's time-util.h defines them.
const (
	usecPerMsec   = 1000
	usecPerSec    = 1000 * usecPerMsec
	usecPerMinute = 60 * usecPerSec
	usecPerHour   = 60 * usecPerMinute
	usecPerDay    = 24 * usecPerHour
	usecPerWeek   = 7 * usecPerDay
	usecPerMonth  = 2629800 * usecPerSec
	usecPerYear   = 31557600 * usecPerSec
)

// timeUnit is one suffix of the time span grammar.
type timeUnit struct {
	suffix string
	usec   uint64
}

// parseUnits is parse_time's suffix table; the first prefix match wins, so order matters
// ("msec" before "m", "M" is months, "m" minutes).
var parseUnits = [...]timeUnit{
	{"seconds", usecPerSec}, {"second", usecPerSec}, {"sec", usecPerSec}, {"s", usecPerSec},
	{"minutes", usecPerMinute}, {"minute", usecPerMinute}, {"min", usecPerMinute},
	{"months", usecPerMonth}, {"month", usecPerMonth}, {"M", usecPerMonth},
	{"msec", usecPerMsec}, {"ms", usecPerMsec}, {"m", usecPerMinute},
	{"hours", usecPerHour}, {"hour", usecPerHour}, {"hr", usecPerHour}, {"h", usecPerHour},
	{"days", usecPerDay}, {"day", usecPerDay}, {"d", usecPerDay},
	{"weeks", usecPerWeek}, {"week", usecPerWeek}, {"w", usecPerWeek},
	{"years", usecPerYear}, {"year", usecPerYear}, {"y", usecPerYear},
	{"usec", 1}, {"us", 1}, {"\u03bcs", 1}, {"\u00b5s", 1},
}

// formatUnits is format_timespan's table, largest first.
var formatUnits = [...]timeUnit{
	{"y", usecPerYear}, {"month", usecPerMonth}, {"w", usecPerWeek}, {"d", usecPerDay},
	{"h", usecPerHour}, {"min", usecPerMinute}, {"s", usecPerSec}, {"ms", usecPerMsec}, {"us", 1},
}

// extractMultiplier matches a unit suffix at s[i:], returning the index after it and its
// multiplier, or i and def when none matches.
func extractMultiplier(s string, i int, def uint64) (int, uint64) {
	for _, u := range parseUnits {
		if strings.HasPrefix(s[i:], u.suffix) {
			return i + len(u.suffix), u.usec
		}
	}
	return i, def
}

// parseTime is systemd's parse_time: whitespace-separated terms NUMBER[.FRACTION][UNIT] summed,
// or "infinity"; def is the unit of a bare number.
func parseTime(t string, def uint64) (uint64, error) {
	const inf = math.MaxUint64
	p := skipSet(t, 0, whitespace)
	if strings.HasPrefix(t[p:], "infinity") {
		if skipSet(t, p+len("infinity"), whitespace) != len(t) {
			return 0, syscall.EINVAL
		}
		return inf, nil
	}
	var usec uint64
	something := false
	for {
		p = skipSet(t, p, whitespace)
		if p == len(t) {
			if !something {
				return 0, syscall.EINVAL
			}
			return usec, nil
		}
		if t[p] == '-' { // "-0" is refused too
			return 0, syscall.ERANGE
		}
		n := strto(t, p, 10)
		if n.overflow || (!n.neg && n.mag > math.MaxInt64) || (n.neg && n.mag > 1<<63) {
			return 0, syscall.ERANGE
		}
		if n.neg && n.mag != 0 {
			return 0, syscall.ERANGE
		}
		l, e := n.mag, n.end
		dot := e < len(t) && t[e] == '.'
		switch {
		case dot:
			p = skipSet(t, e+1, "0123456789")
		case e == p:
			return 0, syscall.EINVAL
		default:
			p = e
		}
		s, mult := extractMultiplier(t, skipSet(t, p, whitespace), def)
		if s == p && s < len(t) { // "12.34.56" is refused, "12.34 .56" and "12.34s.56" are not
			return 0, syscall.EINVAL
		}
		p = s
		if l >= inf/mult {
			return 0, syscall.ERANGE
		}
		k := l * mult
		if k >= inf-usec {
			return 0, syscall.ERANGE
		}
		usec += k
		something = true
		if dot {
			m := mult / 10
			b := e + 1
			for ; b < len(t) && t[b] >= '0' && t[b] <= '9'; b, m = b+1, m/10 {
				k = uint64(t[b]-'0') * m
				if k >= inf-usec {
					return 0, syscall.ERANGE
				}
				usec += k
			}
			if b == e+1 { // "3.", "3.sec", "0.-0"
				return 0, syscall.EINVAL
			}
		}
	}
}

// ParseTimespan parses a systemd time span (parse_sec): "90", "1min 30s", "0.5s", "infinity".
// Units: us usec µs μs, ms msec, s sec second(s), m min minute(s), h hr hour(s), d day(s),
// w week(s), M month(s) (30.44 d), y year(s) (365.25 d); a bare number is seconds. Errors wrap
// syscall.EINVAL or syscall.ERANGE as systemd's parser returns them.
func ParseTimespan(s string) (Timespan, error) {
	v, err := parseTime(s, usecPerSec)
	if err != nil {
		return 0, fmt.Errorf("parse time span %q: %w", s, err)
	}
	return Timespan(v), nil
}

// ParseTimespanFix0 is ParseTimespan where 0 means Infinity (parse_sec_fix_0, used by
// TimeoutSec= and DeferTriggerMaxSec=).
func ParseTimespanFix0(s string) (Timespan, error) {
	t, err := ParseTimespan(s)
	if err == nil && t == 0 {
		t = Infinity
	}
	return t, err
}

// String formats the span as systemd's format_timespan with full accuracy, as
// `systemd-analyze timespan` prints it: "1min 30s", "1.500000s", "2min 3.456789s", "infinity".
func (t Timespan) String() string {
	if t == Infinity {
		return "infinity"
	}
	if t == 0 {
		return "0"
	}
	var b strings.Builder
	v := uint64(t)
	for _, u := range formatUnits {
		if v == 0 {
			break
		}
		if v < u.usec {
			continue
		}
		if b.Len() > 0 {
			b.WriteByte(' ')
		}
		a, rem := v/u.usec, v%u.usec
		if v < usecPerMinute && rem > 0 {
			digits := 0
			for cc := u.usec; cc > 1; cc /= 10 {
				digits++
			}
			if digits > 0 {
				frac := strconv.FormatUint(rem, 10)
				fmt.Fprintf(&b, "%d.%s%s%s", a, strings.Repeat("0", digits-len(frac)), frac, u.suffix)
				break
			}
		}
		fmt.Fprintf(&b, "%d%s", a, u.suffix)
		v = rem
	}
	return b.String()
}

// Duration converts the span to a time.Duration; Infinity and spans beyond time.Duration's range
// become the largest Duration.
func (t Timespan) Duration() time.Duration {
	if t > Timespan(math.MaxInt64/int64(time.Microsecond)) {
		return math.MaxInt64
	}
	return time.Duration(t) * time.Microsecond
}

// Seconds returns the span in whole seconds, as systemd passes it to socket options.
func (t Timespan) Seconds() uint64 { return uint64(t) / 1e6 }
