//go:build linux

package main

import (
	"context"
	"fmt"
	"net"
	"net/netip"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"time"
)

// Paths of the reference tools.
const (
	proxydPath   = "/lib/systemd/systemd-socket-proxyd"
	activatePath = "systemd-socket-activate"
	haproxyPath  = "haproxy"
)

// maxConns is the -c given to systemd-socket-proxyd and sockvisor proxy: the default of 256
// would refuse the memory measurement's connections.
const maxConns = 30000

// haproxyMaxconn is haproxy's maxconn: as many as its fd limit allows, at most maxConns.
// haproxy refuses to start when the limit is below what maxconn implies: two fds per
// connection plus two per pipe, with maxpipes defaulting to maxconn/4.
func haproxyMaxconn(nofile int) int {
	return max(100, min(maxConns, (nofile-1000)*2/5))
}

// idleConns is how many idle connections the memory measurement can hold through every proxy:
// cfg.conns unless systemd-socket-proxyd's 6 fds per connection (two sockets, two pipes) do not
// fit the fd limit, rounded down to a multiple of 500.
func idleConns(cfg config) int {
	fit := (cfg.nofile - 300) / 6 / 500 * 500
	return max(500, min(cfg.conns, fit))
}

// front is one way for a client to reach a backend: directly or through a proxy.
type front struct {
	name string
	// missing says why this contender cannot run ("" when it can).
	missing string
	// start starts the proxy listening on listen and forwarding to target; nil for direct.
	start func(ps *procs, dir, listen, target string) (*proc, error)
	// capacity is the most connections the front is configured for (0: no limit of its own).
	capacity int
}

// fronts returns the contenders of the proxy benchmark, in table order.
func fronts(cfg config) []front {
	fs := []front{
		{name: "direct"},
		{name: "proxyd", missing: missingAll(proxydPath, activatePath), start: startProxyd},
		{name: "haproxy", missing: missingAll(haproxyPath), capacity: haproxyMaxconn(cfg.nofile), start: func(ps *procs, dir, listen, target string) (*proc, error) {
			return startHaproxy(ps, dir, listen, target, haproxyMaxconn(cfg.nofile))
		}},
		{name: "sockvisor", missing: missingAll(cfg.bin, activatePath), start: func(ps *procs, dir, listen, target string) (*proc, error) {
			return ps.start("sockvisor proxy", nil, asService(activatePath, "-l", listen,
				cfg.bin, "proxy", "-c", strconv.Itoa(maxConns), target)...)
		}},
	}
	if cfg.ab != "" {
		fs = append(fs, front{name: "sockvisor-b", missing: missingAll(cfg.ab, activatePath), start: func(ps *procs, dir, listen, target string) (*proc, error) {
			return ps.start("sockvisor-b proxy", cfg.abEnv, asService(activatePath, "-l", listen,
				cfg.ab, "proxy", "-c", strconv.Itoa(maxConns), target)...)
		}})
	}
	return fs
}

// frontDescription says how each proxy was started, for the report.
func frontDescription(cfg config) string {
	ab := ""
	if cfg.ab != "" {
		ab = fmt.Sprintf("\n  sockvisor-b = the same with %s %s", strings.Join(cfg.abEnv, " "), cfg.ab)
	}
	return fmt.Sprintf(`fronts:
  proxyd    = %s -l 127.0.0.1:PORT %s -c %d 127.0.0.1:BACKEND
  sockvisor = %s -l 127.0.0.1:PORT %s proxy -c %d 127.0.0.1:BACKEND
  haproxy   = haproxy -db -f haproxy.cfg (mode tcp, nbthread 2, option splice-auto, maxconn %d)
  direct    = the client connects to the backend itself%s
  (-c %d so that 64 streams and the idle connections fit; proxyd's default is 256;
  proxyd and sockvisor run with SIGPIPE ignored, as systemd runs services)`,
		activatePath, proxydPath, maxConns, activatePath, cfg.bin, maxConns, haproxyMaxconn(cfg.nofile), ab, maxConns)
}

// startProxyd starts systemd-socket-proxyd under systemd-socket-activate, as users run it.
func startProxyd(ps *procs, dir, listen, target string) (*proc, error) {
	return ps.start("systemd-socket-proxyd", nil, asService(activatePath, "-l", listen,
		proxydPath, "-c", strconv.Itoa(maxConns), target)...)
}

// asService wraps argv so that it runs with SIGPIPE ignored, as systemd runs every service
// (IgnoreSIGPIPE=yes is the default). systemd-socket-proxyd 252 relies on it: with SIGPIPE at
// its default it dies as soon as a client leaves mid-transfer (iperf3 -P 64 does).
func asService(argv ...string) []string {
	return append([]string{"/bin/sh", "-c", "trap '' PIPE && exec \"$0\" \"$@\""}, argv...)
}

// haproxyConfig is a TCP proxy tuned the way its documentation suggests for forwarding.
const haproxyConfig = `global
    nbthread 2
    maxconn %[3]d
    tune.maxaccept 64

defaults
    mode tcp
    maxconn %[3]d
    option splice-auto
    timeout connect 5s
    timeout client 1h
    timeout server 1h

frontend f
    bind %[1]s
    default_backend b

backend b
    server s %[2]s
`

// startHaproxy writes a configuration into dir and starts haproxy in the foreground.
func startHaproxy(ps *procs, dir, listen, target string, maxconn int) (*proc, error) {
	cfgPath := filepath.Join(dir, "haproxy-"+strings.ReplaceAll(listen, ":", "_")+".cfg")
	if err := os.WriteFile(cfgPath, fmt.Appendf(nil, haproxyConfig, listen, target, maxconn), 0o644); err != nil {
		return nil, err
	}
	return ps.start("haproxy", nil, haproxyPath, "-db", "-f", cfgPath)
}

// missingAll returns a message naming the first program that cannot be found, or "".
func missingAll(progs ...string) string {
	for _, p := range progs {
		if _, err := exec.LookPath(p); err != nil {
			return fmt.Sprintf("%s not found", p)
		}
	}
	return ""
}

// freeAddr returns a loopback TCP address that is free right now.
func freeAddr() (string, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return "", err
	}
	defer l.Close()
	return l.Addr().String(), nil
}

// waitListening waits until addr accepts connections or p exits.
func waitListening(ctx context.Context, p *proc, addr string, limit time.Duration) error {
	deadline := time.Now().Add(limit)
	for {
		c, err := net.DialTimeout("tcp", addr, time.Second)
		if err == nil {
			c.Close()
			return nil
		}
		if p != nil && p.exited() {
			return fmt.Errorf("%s", p.describe())
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("%s not listening after %s: %v", addr, limit, err)
		}
		if ctx.Err() != nil {
			return ctx.Err()
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// tcpListening reports whether a TCP socket listens on addr (an IPv4 HOST:PORT), from
// /proc/net/tcp.
func tcpListening(addr string) bool {
	ap, err := netip.ParseAddrPort(addr)
	if err != nil || !ap.Addr().Is4() {
		return false
	}
	ip := ap.Addr().As4()
	// /proc/net/tcp prints the address as a little-endian 32-bit number.
	want := fmt.Sprintf("%02X%02X%02X%02X:%04X", ip[3], ip[2], ip[1], ip[0], ap.Port())
	b, err := os.ReadFile("/proc/net/tcp")
	if err != nil {
		return false
	}
	for _, line := range strings.Split(string(b), "\n") {
		f := strings.Fields(line)
		if len(f) > 3 && f[1] == want && f[3] == "0A" {
			return true
		}
	}
	return false
}
