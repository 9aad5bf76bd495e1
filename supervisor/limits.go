package supervisor

import (
	"time"

	"github.com/sockvisor/sockvisor/socketunit"
)

// rateLimit is systemd's RateLimit with ratelimit_below(): a window opens at the first event and
// lasts interval; more than burst events inside one window are refused. A zero interval or burst
// disables the limit.
type rateLimit struct {
	interval time.Duration
	burst    uint32
	begin    time.Time // start of the current window; zero before the first event
	num      uint32    // events counted in the current window
}

// newRateLimit returns a limit of burst events per interval.
func newRateLimit(interval socketunit.Timespan, burst uint32) rateLimit {
	return rateLimit{interval: interval.Duration(), burst: burst}
}

// configured reports whether the limit is in force.
func (r *rateLimit) configured() bool { return r.interval > 0 && r.burst > 0 }

// below counts one event at now and reports whether it is still within the limit.
func (r *rateLimit) below(now time.Time) bool {
	if !r.configured() {
		return true
	}
	if r.begin.IsZero() || now.Sub(r.begin) > r.interval {
		r.begin = now
		r.num = 1
		return true
	}
	if r.num < r.burst {
		r.num++
		return true
	}
	if r.num != ^uint32(0) {
		r.num++
	}
	return false
}

// end returns when the current window closes.
func (r *rateLimit) end() time.Time { return r.begin.Add(r.interval) }
