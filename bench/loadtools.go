//go:build linux

package main

import (
	"context"
	"encoding/json"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"time"
)

// iperf3 runs an iperf3 client against addr with streams parallel streams for d and returns
// the received throughput in Gbit/s.
func iperf3(ctx context.Context, addr string, streams int, d time.Duration) (float64, error) {
	host, port, _ := net.SplitHostPort(addr)
	secs := max(1, int(d.Round(time.Second)/time.Second))
	out, err := runTool(ctx, d+30*time.Second, "iperf3", "-c", host, "-p", port,
		"-t", strconv.Itoa(secs), "-P", strconv.Itoa(streams), "-J", "--connect-timeout", "5000")
	var res struct {
		Error string `json:"error"`
		End   struct {
			SumReceived struct {
				BitsPerSecond float64 `json:"bits_per_second"`
			} `json:"sum_received"`
		} `json:"end"`
	}
	if jerr := json.Unmarshal([]byte(out), &res); jerr != nil {
		if err != nil {
			return 0, err
		}
		return 0, fmt.Errorf("iperf3: bad JSON: %w", jerr)
	}
	if res.Error != "" {
		return 0, fmt.Errorf("iperf3: %s", res.Error)
	}
	if err != nil {
		return 0, err
	}
	if res.End.SumReceived.BitsPerSecond <= 0 {
		return 0, fmt.Errorf("iperf3: no bytes received")
	}
	return res.End.SumReceived.BitsPerSecond / 1e9, nil
}

// wrkResult is what one wrk run measured.
type wrkResult struct {
	rps    float64 // requests per second
	p99ms  float64 // 99th percentile latency in milliseconds
	errors int     // socket errors plus non-2xx responses
	total  int     // requests completed
}

// wrk runs wrk against url with conns connections for d; close adds "Connection: close" so
// that every request opens a new connection.
func wrk(ctx context.Context, url string, conns int, d time.Duration, close bool) (wrkResult, error) {
	args := []string{"wrk", "-t2", "-c" + strconv.Itoa(conns), "-d" + d.String(), "--latency", "--timeout", "5s"}
	if close {
		args = append(args, "-H", "Connection: close")
	}
	out, err := runTool(ctx, d+30*time.Second, append(args, url)...)
	if err != nil {
		return wrkResult{}, err
	}
	return parseWrk(out)
}

var (
	wrkRPS    = regexp.MustCompile(`(?m)^Requests/sec:\s+([0-9.]+)`)
	wrkP99    = regexp.MustCompile(`(?m)^\s+99%\s+([0-9.]+)(us|ms|s)\s*$`)
	wrkTotal  = regexp.MustCompile(`(?m)^\s+(\d+) requests in`)
	wrkSocket = regexp.MustCompile(`Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)`)
	wrkNon2xx = regexp.MustCompile(`Non-2xx or 3xx responses: (\d+)`)
)

// parseWrk reads wrk's text report.
func parseWrk(out string) (wrkResult, error) {
	var r wrkResult
	m := wrkRPS.FindStringSubmatch(out)
	if m == nil {
		return r, fmt.Errorf("wrk: no Requests/sec in output: %q", out)
	}
	r.rps, _ = strconv.ParseFloat(m[1], 64)
	m = wrkP99.FindStringSubmatch(out)
	if m == nil {
		return r, fmt.Errorf("wrk: no 99%% latency in output: %q", out)
	}
	v, _ := strconv.ParseFloat(m[1], 64)
	switch m[2] {
	case "us":
		v /= 1000
	case "s":
		v *= 1000
	}
	r.p99ms = v
	if m = wrkTotal.FindStringSubmatch(out); m != nil {
		r.total, _ = strconv.Atoi(m[1])
	}
	if m = wrkSocket.FindStringSubmatch(out); m != nil {
		for _, s := range m[1:] {
			n, _ := strconv.Atoi(s)
			r.errors += n
		}
	}
	if m = wrkNon2xx.FindStringSubmatch(out); m != nil {
		n, _ := strconv.Atoi(m[1])
		r.errors += n
	}
	if r.total == 0 {
		return r, fmt.Errorf("wrk: no request completed: %q", strings.TrimSpace(out))
	}
	return r, nil
}

// nginxConfig serves a short fixed answer on one address, with logs off and keep-alive
// connections that last for the whole run.
const nginxConfig = `daemon off;
worker_processes 2;
worker_rlimit_nofile 65536;
pid %[1]s/nginx.pid;
error_log %[1]s/nginx-error.log warn;
events { worker_connections 16384; multi_accept on; }
http {
    access_log off;
    client_body_temp_path %[1]s/body;
    proxy_temp_path %[1]s/proxy;
    fastcgi_temp_path %[1]s/fastcgi;
    uwsgi_temp_path %[1]s/uwsgi;
    scgi_temp_path %[1]s/scgi;
    keepalive_requests 100000000;
    keepalive_timeout 300s;
    server {
        listen %[2]s backlog=4096;
        location / { return 200 "hello from nginx\n"; }
    }
}
`

// startNginx starts nginx listening on addr with its files in dir.
func startNginx(ctx context.Context, ps *procs, dir, addr string) (*proc, error) {
	conf := filepath.Join(dir, "nginx.conf")
	if err := os.WriteFile(conf, fmt.Appendf(nil, nginxConfig, dir, addr), 0o644); err != nil {
		return nil, err
	}
	p, err := ps.start("nginx", nil, "nginx", "-p", dir, "-c", conf, "-e", filepath.Join(dir, "nginx-error.log"))
	if err != nil {
		return nil, err
	}
	if err := waitListening(ctx, p, addr, 10*time.Second); err != nil {
		return nil, fmt.Errorf("nginx: %w", err)
	}
	return p, nil
}

// startIperf3Server starts an iperf3 server on addr.
func startIperf3Server(ctx context.Context, ps *procs, addr string) (*proc, error) {
	host, port, _ := net.SplitHostPort(addr)
	p, err := ps.start("iperf3 -s", nil, "iperf3", "-s", "-B", host, "-p", port, "--rcv-timeout", "10000")
	if err != nil {
		return nil, err
	}
	if err := waitListeningQuiet(ctx, p, addr); err != nil {
		return nil, fmt.Errorf("iperf3 server: %w", err)
	}
	return p, nil
}
