package socketunit

import (
	"fmt"
	"math"
	"strings"
	"syscall"
)

// whitespace is systemd's WHITESPACE set, skipped before numbers.
const whitespace = " \t\n\r"

// cSpace reports whether b is a C-locale isspace() character, which strtol and friends skip.
func cSpace(b byte) bool {
	return b == ' ' || (b >= '\t' && b <= '\r')
}

// skipSet returns the index of the first byte of s at or after i that is not in set.
func skipSet(s string, i int, set string) int {
	for i < len(s) && strings.IndexByte(set, s[i]) >= 0 {
		i++
	}
	return i
}

// cNumber is the outcome of a C strto* conversion that starts at a given index.
type cNumber struct {
	mag      uint64 // magnitude of the digits read (saturated on overflow)
	neg      bool   // a '-' sign was read
	end      int    // index just past the number; the start index when nothing was converted
	overflow bool   // the magnitude did not fit in 64 bits
}

// digitValue returns the value of an ASCII digit or letter in bases up to 36, or 99.
func digitValue(b byte) int {
	switch {
	case b >= '0' && b <= '9':
		return int(b - '0')
	case b >= 'a' && b <= 'z':
		return int(b-'a') + 10
	case b >= 'A' && b <= 'Z':
		return int(b-'A') + 10
	}
	return 99
}

// strto mimics glibc's strtoul/strtol scanning of s from index start: leading isspace, an
// optional sign, the 0x/0 prefixes for base 0 (and 0x for base 16), then digits.
func strto(s string, start, base int) cNumber {
	i := start
	for i < len(s) && cSpace(s[i]) {
		i++
	}
	n := cNumber{end: start}
	if i < len(s) && (s[i] == '+' || s[i] == '-') {
		n.neg = s[i] == '-'
		i++
	}
	prefixEnd := -1
	if i < len(s) && s[i] == '0' {
		if (base == 0 || base == 16) && i+1 < len(s) && (s[i+1] == 'x' || s[i+1] == 'X') {
			prefixEnd = i + 1
			i += 2
			base = 16
		} else if base == 0 {
			base = 8
		}
	} else if base == 0 {
		base = 10
	}
	digits := 0
	for ; i < len(s); i++ {
		d := digitValue(s[i])
		if d >= base {
			break
		}
		digits++
		if n.overflow {
			continue
		}
		hi, lo := n.mag*uint64(base), uint64(d)
		if n.mag > math.MaxUint64/uint64(base) || hi > math.MaxUint64-lo {
			n.overflow = true
			n.mag = math.MaxUint64
			continue
		}
		n.mag = hi + lo
	}
	switch {
	case digits > 0:
		n.end = i
	case prefixEnd >= 0:
		n.end = prefixEnd // "0x" without hex digits converts the 0 and stops at the x
	default:
		n.end = start
	}
	return n
}

// mangleBase skips a Python-style 0b/0o prefix (safe_atou's mangle_base) and returns the new
// index and base; base stays 0 (auto) when there is none.
func mangleBase(s string, i int) (int, int) {
	if len(s)-i >= 2 && s[i] == '0' {
		switch s[i+1] {
		case 'b', 'B':
			return i + 2, 2
		case 'o', 'O':
			return i + 2, 8
		}
	}
	return i, 0
}

// safeAtoFlags are safe_atou_full's SAFE_ATO_* flags.
type safeAtoFlags uint8

const (
	refuseLeadingWhitespace safeAtoFlags = 1 << iota
	refusePlusMinus
	refuseLeadingZero
)

// safeAtoull is safe_atollu_full: an unsigned 64-bit value, base 0 (auto) unless base is given.
func safeAtoull(s string, base int, flags safeAtoFlags) (uint64, error) {
	if flags&refuseLeadingWhitespace != 0 && s != "" && strings.IndexByte(whitespace, s[0]) >= 0 {
		return 0, syscall.EINVAL
	}
	i := skipSet(s, 0, whitespace)
	if flags&refusePlusMinus != 0 && i < len(s) && (s[i] == '+' || s[i] == '-') {
		return 0, syscall.EINVAL
	}
	if flags&refuseLeadingZero != 0 && i < len(s) && s[i] == '0' && i+1 < len(s) {
		return 0, syscall.EINVAL
	}
	if base == 0 {
		i, base = mangleBase(s, i)
	}
	n := strto(s, i, base)
	if n.overflow {
		return 0, syscall.ERANGE
	}
	if n.end == i || n.end != len(s) {
		return 0, syscall.EINVAL
	}
	v := n.mag
	if n.neg {
		v = -v
	}
	if v != 0 && s[i] == '-' {
		return 0, syscall.ERANGE
	}
	return v, nil
}

// safeAtoll is safe_atolli: a signed 64-bit value, base auto.
func safeAtoll(s string) (int64, error) {
	i := skipSet(s, 0, whitespace)
	i, base := mangleBase(s, i)
	n := strto(s, i, base)
	if n.overflow || (!n.neg && n.mag > math.MaxInt64) || (n.neg && n.mag > 1<<63) {
		return 0, syscall.ERANGE
	}
	if n.end == i || n.end != len(s) {
		return 0, syscall.EINVAL
	}
	if n.neg {
		return int64(-n.mag), nil
	}
	return int64(n.mag), nil
}

// numError wraps a syscall errno with the value and what was parsed.
func numError(what, s string, err error) error {
	return fmt.Errorf("parse %s %q: %w", what, s, err)
}

// ParseBool parses a boolean as systemd's parse_boolean: 1 yes y true t on / 0 no n false f off,
// case-insensitive. Anything else (the empty string too) is syscall.EINVAL.
func ParseBool(s string) (bool, error) {
	switch strings.ToLower(s) {
	case "1", "yes", "y", "true", "t", "on":
		return true, nil
	case "0", "no", "n", "false", "f", "off":
		return false, nil
	}
	return false, numError("boolean", s, syscall.EINVAL)
}

// ParseUnsigned parses a 32-bit unsigned value as systemd's safe_atou: leading whitespace
// skipped, base auto (0x16, 010 octal, 0b1, 0o7), "-N" is ERANGE, garbage EINVAL.
func ParseUnsigned(s string) (uint32, error) {
	v, err := safeAtoull(s, 0, 0)
	if err == nil && v > math.MaxUint32 {
		err = syscall.ERANGE
	}
	if err != nil {
		return 0, numError("unsigned", s, err)
	}
	return uint32(v), nil
}

// ParseInt parses a 32-bit signed value as systemd's safe_atoi (base auto).
func ParseInt(s string) (int, error) {
	v, err := safeAtoll(s)
	if err == nil && (v > math.MaxInt32 || v < math.MinInt32) {
		err = syscall.ERANGE
	}
	if err != nil {
		return 0, numError("int", s, err)
	}
	return int(v), nil
}

// ParseLong parses a 64-bit signed value as systemd's safe_atoli (base auto).
func ParseLong(s string) (int64, error) {
	v, err := safeAtoll(s)
	if err != nil {
		return 0, numError("long", s, err)
	}
	return v, nil
}

// ParseMode parses a file mode as systemd's parse_mode: octal only, no sign, at most 07777.
func ParseMode(s string) (uint32, error) {
	v, err := safeAtoull(s, 8, refusePlusMinus)
	if err == nil && v > math.MaxUint32 {
		err = syscall.ERANGE
	}
	if err == nil && v > 0o7777 {
		err = syscall.ERANGE
	}
	if err != nil {
		return 0, numError("mode", s, err)
	}
	return uint32(v), nil
}

// parseIPPort is systemd's parse_ip_port: safe_atou16 without leading whitespace; 0 is EINVAL.
func parseIPPort(s string) (uint16, error) {
	v, err := safeAtoull(s, 0, refuseLeadingWhitespace)
	if err != nil {
		return 0, err
	}
	if v > math.MaxUint16 {
		return 0, syscall.ERANGE
	}
	if v == 0 {
		return 0, syscall.EINVAL
	}
	return uint16(v), nil
}
