//go:build linux

package main

import (
	"context"
	"fmt"
	"net/http"
	"os"
	"strings"
	"time"
)

// base is the contender every ratio is taken against.
const base = "proxyd"

// proxyMetrics are the rows of the proxy benchmark's table.
type proxyMetrics struct {
	single, multi       metric // iperf3 Gbit/s, 1 and 64 streams
	closeRPS, keepRPS   metric // wrk requests/s, new connection per request and keep-alive
	keepP99, closeP99   metric // wrk p99 latency in ms
	rss, slab, fdsPerCn metric // per idle connection
	rss2, slab2         metric // the same with more connections, for the fronts that fit
	cpuGB, cpuClose     metric // proxy CPU: ms per GB (iperf3 64 streams), µs per request (new conn)
	cpuKeep             metric // proxy CPU µs per request (keep-alive)
}

func (pm *proxyMetrics) all() []*metric {
	return []*metric{&pm.single, &pm.multi, &pm.closeRPS, &pm.closeP99, &pm.keepRPS, &pm.keepP99,
		&pm.rss, &pm.slab, &pm.fdsPerCn, &pm.rss2, &pm.slab2, &pm.cpuGB, &pm.cpuClose, &pm.cpuKeep}
}

// benchProxy compares sockvisor proxy, systemd-socket-proxyd, haproxy and a direct connection:
// iperf3 throughput with 1 and 64 streams, wrk request rate with a new connection per request,
// wrk p99 latency with keep-alive, and memory per idle connection.
func benchProxy(ctx context.Context, cfg config) (verdicts, error) {
	dir, err := os.MkdirTemp("", "sockvisor-bench-proxy-")
	if err != nil {
		return nil, err
	}
	defer os.RemoveAll(dir)
	all := fronts(cfg)
	var names []string
	for _, f := range all {
		names = append(names, f.name)
		if f.missing != "" {
			fmt.Printf("skip %s: %s\n", f.name, f.missing)
		}
	}
	fmt.Println(frontDescription(cfg))
	pm := &proxyMetrics{
		single:   metric{name: "iperf3 1 stream Gbit/s", format: "%.2f", higher: true},
		multi:    metric{name: "iperf3 64 streams Gbit/s", format: "%.2f", higher: true},
		closeRPS: metric{name: "wrk new conn/request req/s", format: "%.0f", higher: true},
		closeP99: metric{name: "wrk new conn/request p99 ms", format: "%.2f"},
		keepRPS:  metric{name: "wrk keep-alive req/s", format: "%.0f", higher: true},
		keepP99:  metric{name: "wrk keep-alive p99 ms", format: "%.2f"},
		rss:      metric{name: fmt.Sprintf("RSS KiB/conn (%d idle)", idleConns(cfg)), format: "%.2f"},
		slab:     metric{name: "kernel slab KiB/conn (machine)", format: "%.1f"},
		fdsPerCn: metric{name: "fds/conn", format: "%.1f"},
		rss2:     metric{format: "%.2f"},
		slab2:    metric{format: "%.1f"},
		cpuGB:    metric{name: "proxy CPU ms/GB (64 streams)", format: "%.0f"},
		cpuClose: metric{name: "proxy CPU µs/req (new conn)", format: "%.1f"},
		cpuKeep:  metric{name: "proxy CPU µs/req (keep-alive)", format: "%.1f"},
	}
	phases := []struct {
		name string
		run  func(context.Context, config, string, []front, *proxyMetrics) error
	}{{"throughput", throughputPhase}, {"requests", requestPhase}, {"idle", idlePhase}}
	want := map[string]bool{}
	for _, p := range strings.Split(cfg.phases, ",") {
		want[strings.TrimSpace(p)] = true
	}
	var firstErr error
	for _, ph := range phases {
		if !want[ph.name] {
			fmt.Printf("phase %s not selected (-phases)\n", ph.name)
			continue
		}
		phase := ph.run
		if err := phase(ctx, cfg, dir, all, pm); err != nil {
			fmt.Printf("phase failed: %v\n", err)
			if firstErr == nil {
				firstErr = err
			}
		}
		if ctx.Err() != nil {
			break
		}
	}
	printTable(os.Stdout, pm.all(), names, base)
	printRounds(os.Stdout, pm.all(), names)

	var vs verdicts
	for _, m := range pm.all() {
		if cfg.ab != "" {
			continue // an A/B run: no verdicts
		}
		switch m {
		case &pm.fdsPerCn, &pm.rss2, &pm.slab2, &pm.closeP99, &pm.keepRPS, &pm.cpuGB, &pm.cpuClose, &pm.cpuKeep:
			continue // informative rows, no requirement
		}
		bound := 1.0
		vs = append(vs, ratioVerdict(m, "sockvisor", base, bound, false))
	}
	if cfg.ab == "" {
		for _, m := range []*metric{&pm.single, &pm.multi, &pm.closeRPS} {
			vs = append(vs, ratioVerdict(m, "sockvisor", base, 1.15, true))
		}
		vs = append(vs, ratioVerdict(&pm.rss, "sockvisor", base, 0.5, true))
	}
	for i := range vs {
		vs[i].what = "proxy: " + vs[i].what
	}
	return vs, firstErr
}

// running is a front that is up for one phase.
type running struct {
	front
	addr string // where clients connect
	p    *proc  // nil for direct
}

// cpu returns the CPU seconds the front's proxy has used (0 for direct).
func (r running) cpu() float64 {
	if r.p == nil {
		return 0
	}
	return r.p.cpuSeconds()
}

// startFronts starts every available front towards the backend that backend returns (called
// once per front), checks each with check and returns those that work; the others are reported
// and left out. Waiting for a front to listen does not connect to it, so the backend sees only
// the check's connections.
func startFronts(ctx context.Context, ps *procs, dir string, all []front, backend func() (string, error), check func(addr string) error) ([]running, error) {
	var up []running
	for _, f := range all {
		if f.missing != "" {
			continue
		}
		target, err := backend()
		if err != nil {
			return nil, err
		}
		r := running{front: f, addr: target}
		if f.start != nil {
			addr, err := freeAddr()
			if err != nil {
				return nil, err
			}
			p, err := f.start(ps, dir, addr, target)
			if err != nil {
				fmt.Printf("skip %s: %v\n", f.name, err)
				continue
			}
			if err := waitListeningQuiet(ctx, p, addr); err != nil {
				fmt.Printf("skip %s: %v\n", f.name, err)
				p.stop()
				continue
			}
			r.addr, r.p = addr, p
		}
		if err := check(r.addr); err != nil {
			if ctx.Err() != nil {
				return nil, ctx.Err()
			}
			msg := err.Error()
			if r.p != nil {
				time.Sleep(100 * time.Millisecond)
				msg += "; " + r.p.describe()
				r.p.stop()
			}
			fmt.Printf("skip %s: not available: %s\n", f.name, msg)
			continue
		}
		up = append(up, r)
	}
	return up, nil
}

// waitListeningQuiet waits until addr (127.0.0.1:PORT) is a listening TCP socket, without
// connecting to it, or until p exits.
func waitListeningQuiet(ctx context.Context, p *proc, addr string) error {
	deadline := time.Now().Add(10 * time.Second)
	for !tcpListening(addr) {
		if p.exited() {
			return fmt.Errorf("%s", p.describe())
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("%s not listening after 10s", addr)
		}
		if ctx.Err() != nil {
			return ctx.Err()
		}
		time.Sleep(20 * time.Millisecond)
	}
	return nil
}

// rotate returns the fronts in the order for round i: each round starts with the next one, so
// that no contender always runs first or last.
func rotate(up []running, i int) []running {
	if len(up) == 0 {
		return nil
	}
	k := i % len(up)
	return append(append([]running(nil), up[k:]...), up[:k]...)
}

// throughputPhase measures iperf3 throughput with 1 and 64 streams through every front.
func throughputPhase(ctx context.Context, cfg config, dir string, all []front, pm *proxyMetrics) error {
	if m := missingAll("iperf3"); m != "" {
		fmt.Printf("skip throughput: %s\n", m)
		return nil
	}
	var ps procs
	defer ps.stopAll()
	// One iperf3 server per front: a server serves one test at a time, and one left in a bad
	// state by a failing front must not spoil the others.
	up, err := startFronts(ctx, &ps, dir, all, func() (string, error) {
		server, err := freeAddr()
		if err != nil {
			return "", err
		}
		_, err = startIperf3Server(ctx, &ps, server)
		return server, err
	}, func(addr string) error {
		_, err := iperf3(ctx, addr, 1, time.Second)
		return err
	})
	if err != nil {
		return err
	}
	fmt.Printf("throughput (iperf3 -t %s, -P 1 and -P 64, one iperf3 server per front):\n", cfg.duration)
	for round := range cfg.rounds {
		for _, m := range []struct {
			m       *metric
			streams int
		}{{&pm.single, 1}, {&pm.multi, 64}} {
			for _, r := range rotate(up, round) {
				cpu0 := r.cpu()
				g, err := iperf3(ctx, r.addr, m.streams, cfg.duration)
				if err != nil {
					if ctx.Err() != nil {
						return ctx.Err()
					}
					fmt.Printf("  round %d %s %s: %v\n", round+1, r.name, m.m.name, err)
					continue
				}
				m.m.add(round, r.name, g)
				cpuNote := ""
				if r.p != nil && m.streams == 64 {
					gb := g * cfg.duration.Seconds() / 8
					msPerGB := (r.cpu() - cpu0) * 1000 / gb
					pm.cpuGB.add(round, r.name, msPerGB)
					cpuNote = fmt.Sprintf("  proxy CPU %.0f ms/GB", msPerGB)
				}
				fmt.Printf("  round %d %-9s %-26s %8.2f%s\n", round+1, r.name, m.m.name, g, cpuNote)
			}
		}
	}
	return nil
}

// requestPhase measures wrk request rate with a new connection per request and p99 latency
// with keep-alive through every front to nginx.
func requestPhase(ctx context.Context, cfg config, dir string, all []front, pm *proxyMetrics) error {
	if m := missingAll("wrk", "nginx"); m != "" {
		fmt.Printf("skip requests: %s\n", m)
		return nil
	}
	var ps procs
	defer ps.stopAll()
	server, err := freeAddr()
	if err != nil {
		return err
	}
	if _, err := startNginx(ctx, &ps, dir, server); err != nil {
		return err
	}
	client := &http.Client{Timeout: 5 * time.Second, Transport: &http.Transport{DisableKeepAlives: true}}
	up, err := startFronts(ctx, &ps, dir, all, func() (string, error) { return server, nil }, func(addr string) error {
		resp, err := client.Get("http://" + addr + "/")
		if err != nil {
			return err
		}
		resp.Body.Close()
		if resp.StatusCode != 200 {
			return fmt.Errorf("HTTP status %d", resp.StatusCode)
		}
		return nil
	})
	if err != nil {
		return err
	}
	const conns = 50
	fmt.Printf("requests (wrk -t2 -c%d -d%s, nginx on %s):\n", conns, cfg.duration, server)
	for round := range cfg.rounds {
		for _, close := range []bool{true, false} {
			for _, r := range rotate(up, round) {
				cpu0 := r.cpu()
				res, err := wrk(ctx, "http://"+r.addr+"/", conns, cfg.duration, close)
				if err != nil {
					if ctx.Err() != nil {
						return ctx.Err()
					}
					fmt.Printf("  round %d %s: %v\n", round+1, r.name, err)
					continue
				}
				usPerReq := (r.cpu() - cpu0) * 1e6 / float64(res.total)
				kind, cpuM := "keep-alive", &pm.cpuKeep
				if close {
					kind, cpuM = "Connection: close", &pm.cpuClose
					pm.closeRPS.add(round, r.name, res.rps)
					pm.closeP99.add(round, r.name, res.p99ms)
				} else {
					pm.keepRPS.add(round, r.name, res.rps)
					pm.keepP99.add(round, r.name, res.p99ms)
				}
				cpuNote := ""
				if r.p != nil {
					cpuM.add(round, r.name, usPerReq)
					cpuNote = fmt.Sprintf("  proxy CPU %.1f µs/req", usPerReq)
				}
				fmt.Printf("  round %d %-9s %-17s %9.0f req/s  p99 %7.2f ms  errors %d%s\n",
					round+1, r.name, kind, res.rps, res.p99ms, res.errors, cpuNote)
			}
		}
	}
	return nil
}

// idlePhase measures the memory and fds per idle connection of each front with cfg.conns
// connections held open, a fresh proxy each time. When the fd limit keeps systemd-socket-proxyd
// (6 fds per connection) below cfg.conns, the fronts that need at most 2 fds per connection
// are measured a second time with as many connections as fit.
func idlePhase(ctx context.Context, cfg config, dir string, all []front, pm *proxyMetrics) error {
	h, err := newHolder()
	if err != nil {
		return err
	}
	defer h.close()
	var avail []front
	for _, f := range all {
		if f.missing == "" {
			avail = append(avail, f)
		}
	}
	n := idleConns(cfg)
	if n < cfg.conns {
		fmt.Printf("idle connections: %d instead of %d: RLIMIT_NOFILE is %d and systemd-socket-proxyd needs 6 fds per connection\n",
			n, cfg.conns, cfg.nofile)
	}
	if err := idleRounds(ctx, cfg, dir, avail, h, n, &pm.rss, &pm.slab, &pm.fdsPerCn); err != nil {
		return err
	}
	// Bench holds client and backend ends (2 fds per connection), a 2-fd proxy the same.
	n2 := min(cfg.conns, (cfg.nofile-1000)/2/500*500)
	if n2 <= n {
		return nil
	}
	var lean []front
	for _, f := range avail {
		switch {
		case f.capacity > 0 && f.capacity < n2:
			fmt.Printf("%s left out of the %d-connection run: its maxconn is %d under this fd limit\n", f.name, n2, f.capacity)
		case f.start == nil || (len(pm.fdsPerCn.data[f.name]) > 0 && median(pm.fdsPerCn.data[f.name]) <= 2.5):
			lean = append(lean, f)
		}
	}
	if len(lean) < 2 {
		return nil
	}
	pm.rss2.name = fmt.Sprintf("RSS KiB/conn (%d idle)", n2)
	pm.slab2.name = fmt.Sprintf("kernel slab KiB/conn (%d idle)", n2)
	fmt.Printf("again with %d connections for the fronts that need at most 2 fds per connection:\n", n2)
	var fds metric
	return idleRounds(ctx, cfg, dir, lean, h, n2, &pm.rss2, &pm.slab2, &fds)
}

// idleRounds measures n idle connections through each front per round, alternating them.
func idleRounds(ctx context.Context, cfg config, dir string, fronts []front, h *holder, n int, rss, slab, fds *metric) error {
	failed := map[string]bool{}
	// Resident memory barely moves from round to round: 5 rounds are plenty.
	rounds := min(cfg.rounds, 5)
	fmt.Printf("idle connections (%d held open by the backend, a fresh proxy each round, %d rounds):\n", n, rounds)
	for round := range rounds {
		for i := range fronts {
			f := fronts[(i+round)%len(fronts)]
			if failed[f.name] {
				continue
			}
			cost, err := idleOnce(ctx, n, dir, f, h)
			if err != nil {
				if ctx.Err() != nil {
					return ctx.Err()
				}
				fmt.Printf("  round %d %s: %v\n", round+1, f.name, err)
				failed[f.name] = true
				continue
			}
			if f.start != nil {
				rss.add(round, f.name, cost.rssKiB)
				fds.add(round, f.name, cost.fds)
			}
			slab.add(round, f.name, cost.slabKiB)
			fmt.Printf("  round %d %-9s RSS %6.2f KiB/conn  slab %5.1f KiB/conn  fds %.1f/conn\n",
				round+1, f.name, cost.rssKiB, cost.slabKiB, cost.fds)
		}
	}
	return nil
}

// idleOnce starts f fresh towards the holder and measures one round of idle connections.
func idleOnce(ctx context.Context, n int, dir string, f front, h *holder) (idleCost, error) {
	var ps procs
	defer ps.stopAll()
	addr := h.addr()
	var p *proc
	if f.start != nil {
		a, err := freeAddr()
		if err != nil {
			return idleCost{}, err
		}
		if p, err = f.start(&ps, dir, a, h.addr()); err != nil {
			return idleCost{}, err
		}
		if err := waitListeningQuiet(ctx, p, a); err != nil {
			return idleCost{}, err
		}
		addr = a
	}
	return measureIdle(ctx, p, addr, h, n)
}
