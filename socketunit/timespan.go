package socketunit

import (
	"errors"
	"math"
	"time"
)

// Timespan is a systemd time span in microseconds.
type Timespan uint64

// Infinity is the time span systemd writes as "infinity": never.
const Infinity Timespan = math.MaxUint64

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

// ParseTimespan parses a systemd time span (parse_sec): "90", "1min 30s", "0.5s", "infinity".
// Errors wrap syscall.EINVAL or syscall.ERANGE as systemd's parser returns them.
func ParseTimespan(s string) (Timespan, error) {
	return 0, errors.ErrUnsupported // implemented by the value-grammar work of issue 2
}
