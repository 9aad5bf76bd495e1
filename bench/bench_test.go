//go:build linux

package main

import (
	"bytes"
	"fmt"
	"math"
	"net"
	"os"
	"strings"
	"syscall"
	"testing"
	"time"
)

const wrkSample = `Running 1s test @ http://127.0.0.1:18080/bad
  1 threads and 4 connections
  Thread Stats   Avg      Stdev     Max   +/- Stdev
    Latency   135.17us  139.84us   2.99ms   93.39%
    Req/Sec    14.95k     4.21k   20.22k    50.00%
  Latency Distribution
     50%  105.00us
     75%  165.00us
     90%  233.00us
     99%  591.00us
  14826 requests in 1.00s, 4.79MB read
  Socket errors: connect 0, read 3, write 0, timeout 2
  Non-2xx or 3xx responses: 14826
Requests/sec:  14784.35
Transfer/sec:      4.78MB
`

func TestParseWrk(t *testing.T) {
	r, err := parseWrk(wrkSample)
	if err != nil {
		t.Fatal(err)
	}
	if r.rps != 14784.35 || r.total != 14826 || r.errors != 14826+5 || math.Abs(r.p99ms-0.591) > 1e-9 {
		t.Fatalf("parseWrk = %+v", r)
	}
	sec := strings.Replace(wrkSample, "591.00us", "1.50s", 1)
	if r, err := parseWrk(sec); err != nil || r.p99ms != 1500 {
		t.Fatalf("p99 in seconds: %+v, %v", r, err)
	}
	if _, err := parseWrk("unable to connect to 127.0.0.1:1 Connection refused\n"); err == nil {
		t.Fatal("parseWrk accepted output without results")
	}
}

func FuzzParseWrk(f *testing.F) {
	f.Add(wrkSample)
	f.Add("Requests/sec: 1\n     99%  1ms\n")
	f.Fuzz(func(t *testing.T, s string) {
		r, err := parseWrk(s)
		if err == nil && (r.total <= 0 || r.rps < 0 || r.p99ms < 0) {
			t.Fatalf("accepted %q as %+v", s, r)
		}
	})
}

func TestMedianAndRatio(t *testing.T) {
	if m := median([]float64{5, 1, 3}); m != 3 {
		t.Fatalf("median odd = %v", m)
	}
	if m := median([]float64{4, 1, 3, 2}); m != 2.5 {
		t.Fatalf("median even = %v", m)
	}
	if !math.IsNaN(median(nil)) {
		t.Fatal("median of nothing is not NaN")
	}
	m := metric{higher: true}
	m.add(0, "a", 2)
	m.add(0, "b", 1)
	if r := m.ratio("a", "b"); r != 2 {
		t.Fatalf("ratio = %v", r)
	}
	if v := ratioVerdict(&m, "a", "b", 1.15, false); !v.ok || v.skipped != "" {
		t.Fatalf("verdict %+v", v)
	}
	if v := ratioVerdict(&m, "c", "b", 1, false); v.skipped == "" {
		t.Fatalf("missing contender not skipped: %+v", v)
	}
	low := metric{}
	low.add(0, "a", 2)
	low.add(0, "b", 1)
	if v := ratioVerdict(&low, "a", "b", 1, false); v.ok {
		t.Fatalf("lower-is-better ratio 2 passed: %+v", v)
	}
}

func TestPairedRatio(t *testing.T) {
	var m metric
	// b drifts by a factor of 10 between rounds; a is always twice b in the same round.
	for r, y := range []float64{1, 10, 100} {
		m.add(r, "a", 2*y)
		m.add(r, "b", y)
	}
	m.add(3, "a", 1000) // a round where b failed does not pair
	if p := m.pairedRatio("a", "b"); p != 2 {
		t.Fatalf("pairedRatio = %v, want 2", p)
	}
	if p := m.pairedRatio("a", "c"); !math.IsNaN(p) {
		t.Fatalf("pairedRatio with no pairs = %v", p)
	}
}

func TestTCPListening(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	if !tcpListening(addr) {
		t.Fatalf("%s listens but tcpListening says no", addr)
	}
	ln.Close()
	if tcpListening(addr) {
		t.Fatalf("%s closed but tcpListening says yes", addr)
	}
}

func TestRotate(t *testing.T) {
	up := []running{{front: front{name: "a"}}, {front: front{name: "b"}}, {front: front{name: "c"}}}
	got := ""
	for _, r := range rotate(up, 4) {
		got += r.name
	}
	if got != "bca" {
		t.Fatalf("rotate(abc, 4) = %s", got)
	}
}

// TestStopKillsGroup checks that stopping a process also ends the children it started.
func TestStopKillsGroup(t *testing.T) {
	var ps procs
	p, err := ps.start("sh", nil, "sh", "-c", "sleep 60 & sleep 60 & wait")
	if err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(5 * time.Second)
	for len(p.pids()) < 3 && time.Now().Before(deadline) {
		time.Sleep(10 * time.Millisecond)
	}
	pids := p.pids()
	if len(pids) < 3 {
		t.Fatalf("group has %d processes, want 3", len(pids))
	}
	if p.rssKiB() <= 0 {
		t.Fatal("no resident memory read for a running group")
	}
	ps.stopAll()
	for _, pid := range pids {
		for alive(pid) && time.Now().Before(deadline) {
			time.Sleep(10 * time.Millisecond)
		}
		if alive(pid) {
			t.Fatalf("pid %d still alive after stopAll", pid)
		}
	}
}

// alive reports whether pid exists and is not a zombie (an orphan's zombie waits for whoever
// reaps orphans here).
func alive(pid int) bool {
	if syscall.Kill(pid, 0) != nil {
		return false
	}
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return false
	}
	i := bytes.LastIndexByte(b, ')')
	return i < 0 || !bytes.HasPrefix(b[i+1:], []byte(" Z"))
}
