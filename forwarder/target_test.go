//go:build linux

package forwarder

import (
	"testing"

	"golang.org/x/sys/unix"
)

// TestParseTarget checks every target form, including the ones systemd-socket-proxyd gets
// wrong ([v6]:port).
func TestParseTarget(t *testing.T) {
	cases := []struct {
		in   string
		want string // the fixed address printed, or "host NAME:PORT"
	}{
		{"127.0.0.1:8080", "127.0.0.1:8080"},
		{"127.0.0.1", "127.0.0.1:80"},
		{"127.0.0.1:http", "127.0.0.1:80"},
		{"[::1]:8080", "[::1]:8080"},
		{"::1:8080", "[::1]:8080"},
		{"[::1]", "[::1]:80"},
		{"/run/nginx/socket", "/run/nginx/socket"},
		{"@abstract", "@abstract"},
		{"vsock:2:1234", "vsock:2:1234"},
		{"localhost:8080", "host localhost:8080"},
		{"example.com", "host example.com:80"},
		{"example.com:https", "host example.com:443"},
	}
	for _, tc := range cases {
		tg, err := parseTarget(tc.in)
		if err != nil {
			t.Errorf("%q: %v", tc.in, err)
			continue
		}
		got := ""
		if len(tg.fixed) > 0 {
			got = sockaddrString(tg.fixed[0])
		} else {
			got = "host " + tg.host + ":" + itoa(tg.port)
		}
		if got != tc.want {
			t.Errorf("%q: %s, want %s", tc.in, got, tc.want)
		}
	}
	for _, bad := range []string{"", "[::1", "[::1]x", "host:", ":80", "host:nosuchservice", "vsock:x:1", "vsock:1",
		"/" + string(make([]byte, 120)), "[::1]:99999"} {
		if _, err := parseTarget(bad); err == nil {
			t.Errorf("%q accepted", bad)
		}
	}
}

func itoa(n int) string {
	var b [20]byte
	i := len(b)
	for {
		i--
		b[i] = byte('0' + n%10)
		n /= 10
		if n == 0 {
			return string(b[i:])
		}
	}
}

// FuzzParseTarget: no target string makes the parser panic, and what it accepts is usable.
func FuzzParseTarget(f *testing.F) {
	for _, s := range []string{"127.0.0.1:80", "[::1]:80", "::1:80", "/run/x", "@x", "vsock:2:3", "host", "h:http"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		tg, err := parseTarget(s)
		if err != nil {
			return
		}
		if len(tg.fixed) == 0 && (tg.host == "" || tg.port < 0 || tg.port > 65535) {
			t.Fatalf("%q: unusable target %+v", s, tg)
		}
		for _, sa := range tg.fixed {
			if sockaddrFamily(sa) == unix.AF_UNSPEC {
				t.Fatalf("%q: address of unknown family", s)
			}
		}
	})
}

// TestTimerHeap keeps deadlines ordered through sets, resets and clears.
func TestTimerHeap(t *testing.T) {
	var h timerHeap
	conns := make([]*conn, 50)
	for i := range conns {
		conns[i] = &conn{tidx: -1}
		h.set(conns[i], int64((i*37)%50+1))
	}
	h.set(conns[3], 1000)
	h.clear(conns[7])
	h.clear(conns[7])
	last := int64(0)
	n := 0
	for next := h.next(); next != 0; next = h.next() {
		if next < last {
			t.Fatalf("deadline %d after %d", next, last)
		}
		last = next
		c := h.expired(next)
		if c == nil || c.timer != 0 || c.tidx != -1 {
			t.Fatal("expired connection missing or keeps its deadline")
		}
		n++
	}
	if n != 49 {
		t.Fatalf("%d expired, want 49", n)
	}
	h.set(conns[0], 5)
	h.set(conns[1], 3)
	if h.next() != 3 || h.expired(2) != nil || h.expired(3) != conns[1] || h.next() != 5 {
		t.Fatal("order broken")
	}
}

// TestWorkerCount: by default one loop per two CPUs, at least one; never more loops than CPUs.
func TestWorkerCount(t *testing.T) {
	for _, c := range []struct{ want, cpus, loops int }{
		{0, 1, 1}, {0, 2, 1}, {0, 3, 1}, {0, 4, 2}, {0, 16, 8},
		{1, 16, 1}, {2, 2, 2}, {3, 2, 2}, {8, 1, 1},
	} {
		if got := workerCount(c.want, c.cpus); got != c.loops {
			t.Errorf("--workers=%d on %d CPUs: %d loops, want %d", c.want, c.cpus, got, c.loops)
		}
	}
}
