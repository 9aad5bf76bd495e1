// Command gen maintains socketunit's golden corpus. Run it from the repository root:
//
//	go run ./testdata/gen units    # write testdata/units/broken/ and the services beside every unit
//	go run ./testdata/gen golden   # run systemd-analyze verify on every unit, write testdata/golden/
//
// "units" writes one broken variant per file (see variants.go) with a minimal NAME.service and
// NAME@.service beside it, and adds the same minimal services beside the real units of
// testdata/units/real (imported by testdata/units/real/import.sh), including the unit that a
// Service= line names. "golden" needs systemd-analyze (systemd 252); it normalises the output as
// package analyze describes and writes one testdata/golden/CORPUS/PATH.txt per unit.
package main

import (
	"bufio"
	"bytes"
	"fmt"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"sort"
	"strings"
	"sync"

	"github.com/sockvisor/sockvisor/testdata/gen/analyze"
)

const (
	unitsDir  = "testdata/units"
	goldenDir = "testdata/golden"
	// minimalService is the service put beside each socket so that systemd finds one.
	minimalService = "[Service]\nExecStart=/bin/true\n"
)

func main() {
	if len(os.Args) != 2 {
		fmt.Fprintln(os.Stderr, "usage: go run ./testdata/gen units|golden")
		os.Exit(2)
	}
	if _, err := os.Stat(unitsDir); err != nil {
		fmt.Fprintln(os.Stderr, "gen: run from the repository root:", err)
		os.Exit(2)
	}
	var err error
	switch os.Args[1] {
	case "units":
		err = writeUnits()
	case "golden":
		err = writeGolden()
	default:
		fmt.Fprintln(os.Stderr, "usage: go run ./testdata/gen units|golden")
		os.Exit(2)
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "gen:", err)
		os.Exit(1)
	}
}

// writeUnits rewrites testdata/units/broken and adds services beside the real units.
func writeUnits() error {
	dir := filepath.Join(unitsDir, "broken")
	if err := os.RemoveAll(dir); err != nil {
		return err
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	for _, v := range variants() {
		if err := os.WriteFile(filepath.Join(dir, v.name+".socket"), []byte(v.body), 0o644); err != nil {
			return err
		}
	}
	sockets, err := findSockets(unitsDir)
	if err != nil {
		return err
	}
	for _, s := range sockets {
		if err := writeServices(s); err != nil {
			return err
		}
	}
	fmt.Printf("gen: %d broken units, services for %d units\n", len(variants()), len(sockets))
	return nil
}

// serviceLine matches a Service= assignment.
var serviceLine = regexp.MustCompile(`(?m)^\s*Service\s*=\s*(\S+\.service)\s*$`)

// writeServices writes the minimal services a socket unit needs: NAME.service, NAME@.service
// (prefix@.service for an instance or template socket) and what Service= names.
func writeServices(socket string) error {
	dir, file := filepath.Split(socket)
	name := strings.TrimSuffix(file, ".socket")
	prefix, _, _ := strings.Cut(name, "@")
	names := []string{prefix + ".service", prefix + "@.service"}
	if !strings.Contains(name, "@") {
		names[0] = name + ".service"
	}
	body, err := os.ReadFile(socket)
	if err != nil {
		return err
	}
	for _, m := range serviceLine.FindAllSubmatch(body, -1) {
		svc := string(m[1])
		if strings.Contains(svc, "%") {
			p, _, ok := strings.Cut(svc, "@")
			if !ok {
				continue
			}
			svc = p + "@.service"
		} else if p, _, ok := strings.Cut(svc, "@"); ok {
			svc = p + "@.service"
		}
		if !strings.ContainsAny(svc, "/ ") {
			names = append(names, svc)
		}
	}
	for _, n := range names {
		p := filepath.Join(dir, n)
		if _, err := os.Stat(p); err == nil {
			continue
		}
		if err := os.WriteFile(p, []byte(minimalService), 0o644); err != nil {
			return err
		}
	}
	return nil
}

// findSockets lists every .socket file below root, sorted.
func findSockets(root string) ([]string, error) {
	var out []string
	err := filepath.WalkDir(root, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if !d.IsDir() && strings.HasSuffix(p, ".socket") {
			out = append(out, p)
		}
		return nil
	})
	sort.Strings(out)
	return out, err
}

// writeGolden runs systemd-analyze verify on every unit and writes the normalised output.
func writeGolden() error {
	bin, err := exec.LookPath("systemd-analyze")
	if err != nil {
		return fmt.Errorf("golden needs systemd-analyze (systemd 252): %w", err)
	}
	sockets, err := findSockets(unitsDir)
	if err != nil {
		return err
	}
	if err := os.RemoveAll(filepath.Join(goldenDir, "real")); err != nil {
		return err
	}
	if err := os.RemoveAll(filepath.Join(goldenDir, "broken")); err != nil {
		return err
	}
	type result struct {
		path  string
		lines []string
	}
	results := make([]result, len(sockets))
	var wg sync.WaitGroup
	work := make(chan int)
	for w := 0; w < 2; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range work {
				abs, err := filepath.Abs(sockets[i])
				if err != nil {
					continue
				}
				results[i] = result{sockets[i], analyze.Run(bin, filepath.Dir(abs), filepath.Base(abs))}
			}
		}()
	}
	for i := range sockets {
		work <- i
	}
	close(work)
	wg.Wait()
	for _, r := range results {
		rel, err := filepath.Rel(unitsDir, r.path)
		if err != nil {
			return err
		}
		out := filepath.Join(goldenDir, rel+".txt")
		if err := os.MkdirAll(filepath.Dir(out), 0o755); err != nil {
			return err
		}
		var b bytes.Buffer
		w := bufio.NewWriter(&b)
		for _, l := range r.lines {
			fmt.Fprintln(w, l)
		}
		w.Flush()
		if err := os.WriteFile(out, b.Bytes(), 0o644); err != nil {
			return err
		}
	}
	fmt.Printf("gen: golden output of %d units\n", len(results))
	return nil
}
