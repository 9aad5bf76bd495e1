package socketunit

import (
	"fmt"
	"math"
	"strings"
	"syscall"
)

// iecSuffixes is parse_size's base-1024 table, largest first; "" (no suffix) is last.
var iecSuffixes = [...]struct {
	suffix string
	factor uint64
}{
	{"E", 1 << 60}, {"P", 1 << 50}, {"T", 1 << 40}, {"G", 1 << 30}, {"M", 1 << 20}, {"K", 1 << 10},
	{"B", 1}, {"", 1},
}

// ParseSize parses a byte size as systemd's parse_size with base 1024 (config_parse_iec_size):
// "4096", "1.5K", "1G 512M" (terms summed, suffixes in decreasing order), suffixes B K M G T P E
// (no "KiB"). Negative values and results beyond 64 bits wrap syscall.ERANGE, anything else
// that does not parse syscall.EINVAL.
func ParseSize(s string) (uint64, error) {
	v, err := parseSize(s)
	if err != nil {
		return 0, fmt.Errorf("parse size %q: %w", s, err)
	}
	return v, nil
}

func parseSize(t string) (uint64, error) {
	var r uint64
	start, p := 0, 0
	for {
		p = skipSet(t, p, whitespace)
		n := strto(t, p, 10)
		if n.overflow {
			return 0, syscall.ERANGE
		}
		if n.end == p {
			return 0, syscall.EINVAL
		}
		if t[p] == '-' {
			return 0, syscall.ERANGE
		}
		l := n.mag
		if n.neg {
			l = -l
		}
		e := n.end
		frac := 0.0
		if e < len(t) && t[e] == '.' {
			e++
			if e < len(t) && t[e] >= '0' && t[e] <= '9' {
				f := strto(t, e, 10)
				if f.overflow {
					return 0, syscall.ERANGE
				}
				frac = float64(f.mag)
				for ; e < f.end; e++ {
					frac /= 10
				}
			}
		}
		e = skipSet(t, e, whitespace)
		i := start
		for ; i < len(iecSuffixes); i++ {
			if strings.HasPrefix(t[e:], iecSuffixes[i].suffix) {
				break
			}
		}
		if i >= len(iecSuffixes) {
			return 0, syscall.EINVAL
		}
		factor := iecSuffixes[i].factor
		carry := uint64(0)
		if frac > 0 {
			carry = 1
		}
		if l > math.MaxUint64-carry || l+carry > math.MaxUint64/factor {
			return 0, syscall.ERANGE
		}
		tmp := l*factor + uint64(frac*float64(factor))
		if tmp > math.MaxUint64-r {
			return 0, syscall.ERANGE
		}
		r += tmp
		p = e + len(iecSuffixes[i].suffix)
		start = i + 1
		if p >= len(t) {
			return r, nil
		}
	}
}
