//go:build linux

// Command bench measures sockvisor against systemd's tools, haproxy and a direct connection in
// the same run, alternating them round by round, and prints medians and ratios.
//
//	go run ./bench -bin bin/sockvisor [NAME...]
//	make bench BENCH=proxy
//
// With no NAME every benchmark runs. Contenders whose binary is missing (or, for sockvisor,
// whose command is not implemented yet) are skipped with a message. Every process a benchmark
// starts runs in its own process group and is killed when the benchmark ends, fails, times out
// or is interrupted. Requirements that fail are printed as FAIL and make the exit status 1.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"os"
	"os/signal"
	"path/filepath"
	"runtime"
	"strings"
	"syscall"
	"time"
)

// benchmark is one named measurement.
type benchmark struct {
	name    string
	summary string
	limit   time.Duration // the benchmark is cancelled after this long
	run     func(ctx context.Context, cfg config) (verdicts, error)
}

// config is what every benchmark gets.
type config struct {
	bin      string        // the sockvisor binary under test (absolute path)
	rounds   int           // rounds per measurement; the median is reported
	duration time.Duration // length of one load-tool run
	conns    int           // idle connections for the memory measurement
	units    int           // units for verify, listen and run
	nofile   int           // RLIMIT_NOFILE of this process and its children
	ab       string        // a second sockvisor binary for the proxy benchmark ("" = none)
	abEnv    []string      // environment for the second contender (VAR=VAL)
	phases   string        // proxy: comma-separated phases to run
}

// benchmarks lists every benchmark in the order they run.
func benchmarks() []benchmark {
	return []benchmark{
		{"proxy", "sockvisor proxy vs systemd-socket-proxyd vs haproxy vs direct", 16 * time.Minute, benchProxy},
		{"verify", "sockvisor verify vs systemd-analyze verify", 4 * time.Minute, benchVerify},
		{"listen", "open listeners from unit files", 2 * time.Minute, benchListen},
		{"activate", "first-connection latency vs systemd-socket-activate; idle RSS of run", 3 * time.Minute, benchActivate},
	}
}

func main() {
	if len(os.Args) > 1 && os.Args[1] == fd3ServerArg {
		os.Exit(fd3Server())
	}
	os.Exit(mainExit())
}

// mainExit runs the benchmarks named on the command line and returns the exit status.
func mainExit() int {
	var cfg config
	flag.StringVar(&cfg.bin, "bin", "bin/sockvisor", "sockvisor binary to measure")
	flag.IntVar(&cfg.rounds, "rounds", 7, "rounds per measurement (the median is reported)")
	flag.DurationVar(&cfg.duration, "duration", 3*time.Second, "length of one wrk or iperf3 run")
	flag.IntVar(&cfg.conns, "conns", 10000, "idle connections for the memory measurement")
	flag.IntVar(&cfg.units, "units", 1000, "units for the verify and listen benchmarks")
	flag.StringVar(&cfg.phases, "phases", "throughput,requests,idle", "proxy: the phases to run")
	flag.StringVar(&cfg.ab, "ab", "", "proxy: also measure this sockvisor binary, as contender \"sockvisor-b\"")
	flag.Func("ab-env", "proxy: VAR=VAL for contender sockvisor-b (repeatable; -ab defaults to -bin)", func(s string) error {
		if !strings.Contains(s, "=") {
			return fmt.Errorf("want VAR=VAL")
		}
		cfg.abEnv = append(cfg.abEnv, s)
		return nil
	})
	flag.Usage = func() {
		fmt.Fprintf(os.Stderr, "usage: bench [-bin PATH] [-rounds N] [-duration D] [-conns N] [-units N] [NAME...]\n\nbenchmarks:\n")
		for _, b := range benchmarks() {
			fmt.Fprintf(os.Stderr, "  %-9s %s\n", b.name, b.summary)
		}
		fmt.Fprintln(os.Stderr)
		flag.PrintDefaults()
	}
	flag.Parse()
	if cfg.rounds < 1 || cfg.duration <= 0 || cfg.conns < 1 || cfg.units < 1 {
		flag.Usage()
		return 1
	}
	if abs, err := filepath.Abs(cfg.bin); err == nil {
		cfg.bin = abs
	}
	if cfg.ab == "" && len(cfg.abEnv) > 0 {
		cfg.ab = cfg.bin
	}
	if abs, err := filepath.Abs(cfg.ab); err == nil && cfg.ab != "" {
		cfg.ab = abs
	}
	known := map[string]bool{}
	for _, b := range benchmarks() {
		known[b.name] = true
	}
	want := map[string]bool{}
	for _, n := range flag.Args() {
		if !known[n] {
			fmt.Fprintf(os.Stderr, "bench: unknown benchmark %q\n", n)
			flag.Usage()
			return 1
		}
		want[n] = true
	}
	nofile, err := raiseNofile(1 << 18)
	if err != nil {
		fmt.Fprintf(os.Stderr, "bench: %v\n", err)
	}
	cfg.nofile = nofile
	// SIGPIPE too: with output piped into head, dying of it would orphan the grandchildren
	// (nginx workers) that the process-group kill at the end of each benchmark reaches.
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM, syscall.SIGHUP, syscall.SIGPIPE)
	defer stop()

	fmt.Printf("bench: %s, %d CPUs, %s, RLIMIT_NOFILE %d, rounds=%d duration=%s, sockvisor=%s\n",
		time.Now().UTC().Format("2006-01-02 15:04 MST"), runtime.NumCPU(), kernel(), cfg.nofile,
		cfg.rounds, cfg.duration, cfg.bin)
	status := 0
	var all verdicts
	for _, b := range benchmarks() {
		if len(want) > 0 && !want[b.name] {
			continue
		}
		fmt.Printf("\n== %s: %s\n", b.name, b.summary)
		// The limits hold for 7 rounds of 3 s; more or longer rounds get proportionally more.
		limit := b.limit * time.Duration(max(1, (cfg.rounds+6)/7)) * time.Duration(max(1, int((cfg.duration+2*time.Second)/(3*time.Second))))
		bctx, cancel := context.WithTimeout(ctx, limit)
		v, err := b.run(bctx, cfg)
		timedOut := errors.Is(bctx.Err(), context.DeadlineExceeded)
		cancel()
		all = append(all, v...)
		if err != nil {
			if timedOut {
				err = fmt.Errorf("%w (limit %s)", err, limit)
			}
			fmt.Fprintf(os.Stderr, "bench %s: %v\n", b.name, err)
			status = 1
		}
		if ctx.Err() != nil {
			fmt.Fprintln(os.Stderr, "bench: interrupted")
			return 1
		}
	}
	if len(all) > 0 {
		fmt.Printf("\n== requirements\n")
		if all.print(os.Stdout) {
			status = 1
		}
	}
	return status
}
