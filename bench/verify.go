//go:build linux

package main

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"strings"
	"time"
)

// benchVerify times `sockvisor verify` and `systemd-analyze verify --man=no` on the same
// generated units, each given all the files in one invocation, alternating round by round, and
// checks that sockvisor takes under a second.
func benchVerify(ctx context.Context, cfg config) (verdicts, error) {
	dir, err := os.MkdirTemp("", "sockvisor-bench-verify-")
	if err != nil {
		return nil, err
	}
	defer os.RemoveAll(dir)
	set, err := genVerifyUnits(dir, cfg.units)
	if err != nil {
		return nil, fmt.Errorf("generate units: %w", err)
	}
	fmt.Printf("%d socket units with their services in %s (every Listen kind without privilege, Accept=yes templates, drop-ins, 1 in 20 with mistakes)\n",
		len(set.sockets), dir)
	type tool struct {
		name string
		argv []string
		one  []string // the command for a single unit, the file appended
	}
	tools := []tool{
		{"systemd-analyze", append([]string{"systemd-analyze", "verify", "--man=no"}, set.sockets...), []string{"systemd-analyze", "verify", "--man=no"}},
		{"sockvisor", append([]string{cfg.bin, "verify"}, set.sockets...), []string{cfg.bin, "verify"}},
	}
	const sample = 20 // units verified one invocation each, per round
	fmt.Printf("commands: systemd-analyze verify --man=no UNIT... | %s verify UNIT... (all %d files in one invocation each)\n",
		cfg.bin, len(set.sockets))
	fmt.Printf("and one invocation per unit for every %dth unit (%d per round): start-up cost\n", len(set.sockets)/sample, sample)
	secs := metric{name: fmt.Sprintf("seconds for %d units", len(set.sockets)), format: "%.3f"}
	single := metric{name: "ms per one-unit invocation", format: "%.1f"}
	findings := map[string]int{}
	skip := map[string]string{}
	for _, t := range tools {
		if m := missingAll(t.argv[0]); m != "" {
			skip[t.name] = m
			fmt.Printf("skip %s: %s\n", t.name, m)
		}
	}
	for round := range cfg.rounds {
		for i := range tools {
			t := tools[(i+round)%len(tools)]
			if skip[t.name] != "" {
				continue
			}
			d, out, err := timeVerify(ctx, t.argv)
			if err != nil {
				if ctx.Err() != nil {
					return nil, ctx.Err()
				}
				skip[t.name] = err.Error()
				fmt.Printf("skip %s: not available: %v\n", t.name, err)
				continue
			}
			findings[t.name] = countFindings(out)
			secs.add(round, t.name, d.Seconds())
			var each time.Duration
			for k := range sample {
				d, _, err := timeVerify(ctx, append(t.one, set.sockets[k*len(set.sockets)/sample]))
				if err != nil {
					return nil, fmt.Errorf("%s on one unit: %w", t.name, err)
				}
				each += d
			}
			msEach := float64(each.Microseconds()) / 1000 / sample
			single.add(round, t.name, msEach)
			fmt.Printf("  round %d %-16s %.3f s  (%d findings), one unit %.1f ms\n", round+1, t.name, d.Seconds(), findings[t.name], msEach)
		}
	}
	names := []string{"systemd-analyze", "sockvisor"}
	printTable(os.Stdout, []*metric{&secs, &single}, names, "systemd-analyze")
	if findings["sockvisor"] != findings["systemd-analyze"] && len(secs.data["sockvisor"]) > 0 {
		fmt.Printf("note: sockvisor printed %d findings, systemd-analyze %d\n", findings["sockvisor"], findings["systemd-analyze"])
	}
	vs := verdicts{ratioVerdict(&secs, "sockvisor", "systemd-analyze", 1.0, true)}
	under := verdict{what: fmt.Sprintf("sockvisor verify of %d units", len(set.sockets)), need: "<1.000 s"}
	if v := median(secs.data["sockvisor"]); len(secs.data["sockvisor"]) == 0 {
		under.skipped = "sockvisor not measured: " + skip["sockvisor"]
	} else {
		under.got = fmt.Sprintf("%.3f s", v)
		under.ok = v < 1
	}
	vs = append(vs, under)
	for i := range vs {
		vs[i].what = "verify: " + vs[i].what
	}
	return vs, nil
}

// timeVerify runs a verifier and returns how long it took and its combined output. Exit status
// 1 with findings is a result; no output on failure, or "not implemented", is an error.
func timeVerify(ctx context.Context, argv []string) (time.Duration, string, error) {
	ctx, cancel := context.WithTimeout(ctx, time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, argv[0], argv[1:]...)
	start := time.Now()
	out, err := cmd.CombinedOutput()
	d := time.Since(start)
	text := string(out)
	if strings.Contains(text, "not implemented") {
		return 0, text, errors.New(strings.TrimSpace(lastLine(text)))
	}
	var ee *exec.ExitError
	if err != nil && !(errors.As(err, &ee) && ee.ExitCode() == 1 && strings.TrimSpace(text) != "") {
		return 0, text, fmt.Errorf("%s: %w: %s", argv[0], err, lastLine(text))
	}
	return d, text, nil
}

// countFindings counts the lines that name a unit file.
func countFindings(out string) int {
	n := 0
	for _, line := range strings.Split(out, "\n") {
		if strings.Contains(line, ".socket:") || strings.Contains(line, ".service:") {
			n++
		}
	}
	return n
}

// lastLine returns the last non-empty line of s.
func lastLine(s string) string {
	lines := strings.Split(strings.TrimSpace(s), "\n")
	return lines[len(lines)-1]
}
