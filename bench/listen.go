//go:build linux

package main

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"net"
	"net/netip"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"time"

	"golang.org/x/sys/unix"

	"github.com/sockvisor/sockvisor/listener"
	"github.com/sockvisor/sockvisor/socketunit"
)

// benchListen times opening one listener per unit for cfg.units stream units (TCP on 127.0.0.1
// and ::1, UNIX paths, abstract names) with sockvisor's listener package, and, for reference,
// systemd-socket-activate given the same addresses as -l options, alternating round by round.
func benchListen(ctx context.Context, cfg config) (verdicts, error) {
	dir, err := os.MkdirTemp("", "sockvisor-bench-listen-")
	if err != nil {
		return nil, err
	}
	defer os.RemoveAll(dir)
	basePort, err := freePortRange(cfg.units)
	if err != nil {
		return nil, err
	}
	set, err := genListenUnits(dir, cfg.units, basePort)
	if err != nil {
		return nil, fmt.Errorf("generate units: %w", err)
	}
	fmt.Printf("%d stream socket units in %s: TCP 127.0.0.1 and [::1] from port %d, UNIX paths, abstract names\n",
		len(set.sockets), dir, basePort)
	fmt.Printf("sockvisor: socketunit.LoadSocket + listener.Open for every unit, in this process (from parse to listening)\n")
	fmt.Printf("also: %s sockets UNIT... (the command: a process that opens every unit, reads every option back, prints, closes)\n", cfg.bin)
	fmt.Printf("reference: systemd-socket-activate -l ADDR ×%d /bin/sleep infinity, until it has printed every \"Listening on\"\n", len(set.sockets))
	secs := metric{name: fmt.Sprintf("seconds to listen on %d", len(set.sockets)), format: "%.3f"}
	saidBuilt := false
	parse := metric{name: "  of which LoadSocket (parse)", format: "%.3f"}
	var round int
	contenders := []struct {
		name string
		run  func() (time.Duration, error)
	}{
		{"systemd-socket-activate", func() (time.Duration, error) { return timeActivateListen(ctx, set.listens) }},
		{"sockvisor", func() (time.Duration, error) {
			d, parsed, built, err := timeListenerOpen(ctx, set)
			if err == nil && !built {
				parse.add(round, "sockvisor", parsed.Seconds())
			}
			if built && !saidBuilt {
				saidBuilt = true
				fmt.Printf("note: socketunit.LoadSocket is not implemented yet: the units are built as Go values, only listener.Open is timed\n")
			}
			return d, err
		}},
	}
	contenders = append(contenders, struct {
		name string
		run  func() (time.Duration, error)
	}{"sockvisor sockets", func() (time.Duration, error) {
		start := time.Now()
		_, err := runTool(ctx, time.Minute, append([]string{cfg.bin, "sockets"}, set.sockets...)...)
		return time.Since(start), err
	}})
	skip := map[string]string{}
	if m := missingAll(activatePath); m != "" {
		skip["systemd-socket-activate"] = m
		fmt.Printf("skip systemd-socket-activate: %s\n", m)
	}
	for round = range cfg.rounds {
		for i := range contenders {
			c := contenders[(i+round)%len(contenders)]
			if skip[c.name] != "" {
				continue
			}
			d, err := c.run()
			if err != nil {
				if ctx.Err() != nil {
					return nil, ctx.Err()
				}
				skip[c.name] = err.Error()
				fmt.Printf("skip %s: not available: %v\n", c.name, err)
				continue
			}
			secs.add(round, c.name, d.Seconds())
			fmt.Printf("  round %d %-24s %.3f s\n", round+1, c.name, d.Seconds())
		}
	}
	printTable(os.Stdout, []*metric{&secs, &parse}, []string{"systemd-socket-activate", "sockvisor", "sockvisor sockets"}, "systemd-socket-activate")
	v := verdict{what: fmt.Sprintf("listen: sockvisor opens %d listeners from %d units", len(set.sockets), len(set.sockets)), need: "<1.000 s"}
	if len(secs.data["sockvisor"]) == 0 {
		v.skipped = "sockvisor not measured: " + skip["sockvisor"]
	} else {
		m := median(secs.data["sockvisor"])
		v.got, v.ok = fmt.Sprintf("%.3f s", m), m < 1
	}
	return verdicts{v}, nil
}

// timeListenerOpen loads every unit and opens its listeners with the listener package, then
// closes them all; it returns the time from the first load to the last listening socket, and
// the part of it spent loading.
// Until socketunit.LoadSocket is implemented it builds the same units as Go values (and says so
// once).
func timeListenerOpen(ctx context.Context, set unitSet) (d, parsing time.Duration, built bool, err error) {
	var open []*listener.Set
	defer func() {
		for _, s := range open {
			_ = s.Close()
		}
	}()
	start := time.Now()
	for i, path := range set.sockets {
		t := time.Now()
		u, b, err := loadOrBuild(path, set.listens[i])
		if err != nil {
			return 0, 0, b, err
		}
		parsing += time.Since(t)
		built = built || b
		s, err := listener.Open(ctx, u, listener.OpenOptions{})
		if err != nil {
			return 0, 0, built, err
		}
		open = append(open, s)
	}
	return time.Since(start), parsing, built, nil
}

// loadOrBuild loads the unit at path, or builds it from its address (built is true) when
// LoadSocket is not implemented yet.
func loadOrBuild(path, addr string) (u *socketunit.Socket, built bool, err error) {
	l, err := socketunit.LoadSocket(path, socketunit.Options{})
	if errors.Is(err, errors.ErrUnsupported) {
		u, err := buildListenUnit(path, addr)
		return u, true, err
	}
	if err != nil {
		return nil, false, err
	}
	if l.Refused() {
		return nil, false, fmt.Errorf("%s refused: %v", path, l.Diagnostics)
	}
	return l.Socket, false, nil
}

// buildListenUnit is the Go value of a unit genListenUnits wrote (for use before LoadSocket
// exists): the address plus the options of its kind and systemd's defaults.
func buildListenUnit(path, addr string) (*socketunit.Socket, error) {
	name := filepath.Base(path) // the unit name, NAME.socket
	u := &socketunit.Socket{
		Name: name, Path: path, Backlog: 128, SocketMode: 0o666, DirectoryMode: 0o755,
		Priority: -1, IPTOS: -1, IPTTL: -1, Mark: -1,
	}
	a := socketunit.Address{Type: unix.SOCK_STREAM}
	switch {
	case strings.HasPrefix(addr, "/"):
		a.Family, a.Path = unix.AF_UNIX, addr
		u.SocketMode, u.RemoveOnStop = 0o660, true
	case strings.HasPrefix(addr, "@"):
		a.Family, a.Path = unix.AF_UNIX, addr
		u.ReceiveBuffer = 256 << 10
	default:
		ap, err := netip.ParseAddrPort(addr)
		if err != nil {
			return nil, err
		}
		a.IP, a.Port = ap.Addr(), ap.Port()
		if ap.Addr().Is4() {
			a.Family = unix.AF_INET
			u.NoDelay, u.KeepAlive = true, true
		} else {
			a.Family = unix.AF_INET6
			u.BindIPv6Only, u.ReusePort = socketunit.BindIPv6IPv6Only, true
		}
	}
	u.Listen = []socketunit.Listen{{Kind: socketunit.ListenStream, Address: a}}
	return u, nil
}

// timeActivateListen starts systemd-socket-activate with one -l per address and returns the
// time until it has reported listening on all of them.
func timeActivateListen(ctx context.Context, addrs []string) (time.Duration, error) {
	args := make([]string, 0, 2*len(addrs)+2)
	for _, a := range addrs {
		args = append(args, "-l", a)
	}
	args = append(args, "/bin/sleep", "infinity")
	cmd := exec.CommandContext(ctx, activatePath, args...)
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true, Pdeathsig: syscall.SIGKILL}
	cmd.Cancel = func() error { return syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL) }
	stderr, err := cmd.StderrPipe()
	if err != nil {
		return 0, err
	}
	start := time.Now()
	if err := cmd.Start(); err != nil {
		return 0, err
	}
	defer func() {
		_ = syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL)
		_ = cmd.Wait()
	}()
	sc := bufio.NewScanner(stderr)
	n := 0
	var last string
	for sc.Scan() {
		last = sc.Text()
		if strings.HasPrefix(last, "Listening on ") {
			n++
			if n == len(addrs) {
				return time.Since(start), nil
			}
		}
	}
	return 0, fmt.Errorf("systemd-socket-activate listened on %d of %d: %s", n, len(addrs), last)
}

// freePortRange finds n consecutive TCP ports below the ephemeral range that are free on both
// 127.0.0.1 and ::1 right now.
func freePortRange(n int) (int, error) {
	for base := 21000; base+n < 32768; base += 1000 {
		if portsFree(base, n) {
			return base, nil
		}
	}
	return 0, fmt.Errorf("no %d consecutive free ports between 21000 and 32767", n)
}

// portsFree reports whether every port in [base, base+n) can be bound on 127.0.0.1 and ::1.
func portsFree(base, n int) bool {
	for p := base; p < base+n; p++ {
		for _, host := range []string{"127.0.0.1", "::1"} {
			l, err := net.Listen("tcp", net.JoinHostPort(host, fmt.Sprint(p)))
			if err != nil {
				return false
			}
			l.Close()
		}
	}
	return true
}
