//go:build linux

package main

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"time"
)

// benchActivate measures the first-connection latency of a cold Accept=no activation with
// `sockvisor activate` and `systemd-socket-activate` on the same command, alternating, and the
// idle resident memory of `sockvisor run` holding 100 socket units.
func benchActivate(ctx context.Context, cfg config) (verdicts, error) {
	self, err := os.Executable()
	if err != nil {
		return nil, fmt.Errorf("own executable: %w", err)
	}
	var vs verdicts
	v, err := firstConnection(ctx, cfg, self)
	vs = append(vs, v...)
	if err != nil {
		return vs, err
	}
	v2, err := runIdleRSS(ctx, cfg, self)
	return append(vs, v2), err
}

// firstConnection times, per round, from a listening activator to the first answer of the
// service it starts on the first connection.
func firstConnection(ctx context.Context, cfg config, self string) (verdicts, error) {
	type activator struct {
		name    string
		missing string
		argv    func(addr string) []string
	}
	acts := []activator{
		{"systemd-socket-activate", missingAll(activatePath), func(addr string) []string {
			return []string{activatePath, "-l", addr, "--", self, fd3ServerArg}
		}},
		{"sockvisor", missingAll(cfg.bin), func(addr string) []string {
			return []string{cfg.bin, "activate", "-l", addr, "--", self, fd3ServerArg}
		}},
	}
	fmt.Printf("first connection: ACTIVATOR -l 127.0.0.1:PORT -- %s %s (a Go server that accepts on fd 3 and answers)\n",
		self, fd3ServerArg)
	fmt.Printf("timed from the activator listening (seen in /proc/net/tcp) to the first answer read by the client; %d rounds\n", 10*cfg.rounds)
	ms := metric{name: "first-connection latency ms", format: "%.2f"}
	skip := map[string]string{}
	for _, a := range acts {
		if a.missing != "" {
			skip[a.name] = a.missing
			fmt.Printf("skip %s: %s\n", a.name, a.missing)
		}
	}
	// Cheap rounds with a wide spread (a process start on a shared machine): many of them.
	rounds := 10 * cfg.rounds
	for round := range rounds {
		for i := range acts {
			a := acts[(i+round)%len(acts)]
			if skip[a.name] != "" {
				continue
			}
			d, err := coldStart(ctx, a.argv)
			if err != nil {
				if ctx.Err() != nil {
					return nil, ctx.Err()
				}
				skip[a.name] = err.Error()
				fmt.Printf("skip %s: not available: %v\n", a.name, err)
				continue
			}
			ms.add(round, a.name, float64(d.Microseconds())/1000)
		}
	}
	names := []string{"systemd-socket-activate", "sockvisor"}
	printTable(os.Stdout, []*metric{&ms}, names, "systemd-socket-activate")
	printRounds(os.Stdout, []*metric{&ms}, names)
	v := ratioVerdict(&ms, "sockvisor", "systemd-socket-activate", 1.0, false)
	v.what = "activate: " + v.what
	if v.skipped != "" && skip["sockvisor"] != "" {
		v.skipped += ": " + skip["sockvisor"]
	}
	return verdicts{v}, nil
}

// coldStart starts an activator, waits until it listens, then connects once and returns the
// time until the service's answer arrives.
func coldStart(ctx context.Context, argv func(addr string) []string) (time.Duration, error) {
	var ps procs
	defer ps.stopAll()
	addr, err := freeAddr()
	if err != nil {
		return 0, err
	}
	args := argv(addr)
	p, err := ps.start(filepath.Base(args[0]), nil, args...)
	if err != nil {
		return 0, err
	}
	if err := waitListeningQuiet(ctx, p, addr); err != nil {
		return 0, err
	}
	start := time.Now()
	c, err := net.DialTimeout("tcp", addr, 5*time.Second)
	if err != nil {
		return 0, fmt.Errorf("dial: %w; %s", err, p.describe())
	}
	defer c.Close()
	_ = c.SetDeadline(time.Now().Add(10 * time.Second))
	line, err := bufio.NewReader(c).ReadString('\n')
	d := time.Since(start)
	if err != nil || line != fd3Answer {
		time.Sleep(100 * time.Millisecond)
		return 0, fmt.Errorf("answer %q, %v; %s", line, err, p.describe())
	}
	return d, nil
}

// runIdleRSS starts `sockvisor run` on a directory of 100 socket units, waits until every one
// listens and reads its resident memory.
func runIdleRSS(ctx context.Context, cfg config, self string) (verdict, error) {
	const units = 100
	v := verdict{what: fmt.Sprintf("activate: idle RSS of sockvisor run with %d units", units), need: "≤15.0 MiB"}
	if m := missingAll(cfg.bin); m != "" {
		v.skipped = m
		return v, nil
	}
	dir, err := os.MkdirTemp("", "sockvisor-bench-run-")
	if err != nil {
		return v, err
	}
	defer os.RemoveAll(dir)
	base, err := freePortRange(units)
	if err != nil {
		return v, err
	}
	var addrs []string
	for i := range units {
		addr := fmt.Sprintf("127.0.0.1:%d", base+i)
		name := fmt.Sprintf("idle%03d", i)
		sock := fmt.Sprintf("[Socket]\nListenStream=%s\n", addr)
		svc := fmt.Sprintf("[Service]\nExecStart=%s %s\n", self, fd3ServerArg)
		if err := os.WriteFile(filepath.Join(dir, name+".socket"), []byte(sock), 0o644); err != nil {
			return v, err
		}
		if err := os.WriteFile(filepath.Join(dir, name+".service"), []byte(svc), 0o644); err != nil {
			return v, err
		}
		addrs = append(addrs, addr)
	}
	fmt.Printf("\nidle RSS: %s run %s (%d units, ListenStream=127.0.0.1:PORT each, nothing connects)\n", cfg.bin, dir, units)
	var ps procs
	defer ps.stopAll()
	p, err := ps.start("sockvisor run", nil, cfg.bin, "run", dir)
	if err != nil {
		return v, err
	}
	deadline := time.Now().Add(15 * time.Second)
	for _, a := range addrs {
		for !tcpListening(a) {
			if p.exited() {
				v.skipped = "not available: " + p.describe()
				fmt.Printf("skip sockvisor run: %s\n", v.skipped)
				return v, nil
			}
			if time.Now().After(deadline) {
				return v, fmt.Errorf("sockvisor run: %s not listening after 15s; %s", a, p.describe())
			}
			if ctx.Err() != nil {
				return v, ctx.Err()
			}
			time.Sleep(20 * time.Millisecond)
		}
	}
	time.Sleep(2 * time.Second) // let start-up garbage be collected
	var samples []float64
	for range 5 {
		samples = append(samples, float64(p.rssKiB())/1024)
		time.Sleep(200 * time.Millisecond)
	}
	mib := median(samples)
	fmt.Printf("sockvisor run: %d units listening, RSS %.1f MiB (median of 5 readings), %d fds\n", units, mib, p.fds())
	v.got, v.ok = fmt.Sprintf("%.1f MiB", mib), mib <= 15
	return v, nil
}

// fd3ServerArg makes this program the test service: it accepts on the socket it inherited as
// fd 3 and answers each connection with fd3Answer.
const fd3ServerArg = "serve-fd3"

// fd3Answer is the test service's answer.
const fd3Answer = "pong\n"

// fd3Server is the test service; it returns the exit status.
func fd3Server() int {
	if os.Getenv("LISTEN_FDS") == "" {
		fmt.Fprintln(os.Stderr, "serve-fd3: LISTEN_FDS not set")
		return 1
	}
	ln, err := net.FileListener(os.NewFile(3, "listen"))
	if err != nil {
		fmt.Fprintf(os.Stderr, "serve-fd3: %v\n", err)
		return 1
	}
	for {
		c, err := ln.Accept()
		if err != nil {
			if errors.Is(err, net.ErrClosed) {
				return 0
			}
			fmt.Fprintf(os.Stderr, "serve-fd3: %v\n", err)
			return 1
		}
		_, _ = c.Write([]byte(fd3Answer))
		c.Close()
	}
}
