// Command bench measures sockvisor against systemd's tools, haproxy and a direct connection in
// the same run, alternating them, and prints ratios (medians of several rounds).
//
//	go run ./bench -bin bin/sockvisor [NAME...]
//
// With no NAME every benchmark runs.
package main

import (
	"flag"
	"fmt"
	"os"
)

// benchmark is one named measurement.
type benchmark struct {
	name string
	run  func(cfg config) error
}

// config is what every benchmark gets.
type config struct {
	bin    string // the sockvisor binary under test
	rounds int
}

// benchmarks lists every benchmark in the order they run.
func benchmarks() []benchmark {
	return []benchmark{}
}

func main() {
	var cfg config
	flag.StringVar(&cfg.bin, "bin", "bin/sockvisor", "sockvisor binary to measure")
	flag.IntVar(&cfg.rounds, "rounds", 5, "rounds per measurement (the median is reported)")
	flag.Parse()
	want := map[string]bool{}
	for _, n := range flag.Args() {
		want[n] = true
	}
	failed := false
	for _, b := range benchmarks() {
		if len(want) > 0 && !want[b.name] {
			continue
		}
		fmt.Printf("== %s\n", b.name)
		if err := b.run(cfg); err != nil {
			fmt.Fprintf(os.Stderr, "bench %s: %v\n", b.name, err)
			failed = true
		}
	}
	if failed {
		os.Exit(1)
	}
}
