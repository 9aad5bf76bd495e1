package supervisor

import (
	"testing"
	"time"

	"github.com/sockvisor/sockvisor/socketunit"
)

func TestRateLimitBelow(t *testing.T) {
	t0 := time.Unix(1000, 0)
	r := newRateLimit(socketunit.Timespan(2e6), 3)
	for i := 0; i < 3; i++ {
		if !r.below(t0.Add(time.Duration(i) * time.Millisecond)) {
			t.Fatalf("event %d refused inside the burst", i+1)
		}
	}
	if r.below(t0.Add(time.Second)) {
		t.Fatal("4th event within the window was allowed (burst 3)")
	}
	if got, want := r.end(), t0.Add(2*time.Second); !got.Equal(want) {
		t.Fatalf("window end %v, want %v", got, want)
	}
	// Exactly at the window end the window still holds (systemd: "> interval" resets).
	if r.below(t0.Add(2 * time.Second)) {
		t.Fatal("event at begin+interval allowed; systemd resets only after the interval")
	}
	if !r.below(t0.Add(2*time.Second + time.Microsecond)) {
		t.Fatal("event after the window refused")
	}
}

func TestRateLimitDisabled(t *testing.T) {
	for _, r := range []rateLimit{newRateLimit(0, 5), newRateLimit(socketunit.Timespan(1e6), 0)} {
		for i := 0; i < 1000; i++ {
			if !r.below(time.Unix(0, 0)) {
				t.Fatalf("disabled limit %+v refused event %d", r, i)
			}
		}
	}
}
