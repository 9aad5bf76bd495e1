//go:build linux

package supervisor

import (
	"fmt"
	"io"
	"net"
	"os"
	"strconv"
	"time"

	"github.com/coreos/go-systemd/v22/daemon"
	"testing"

	"github.com/sockvisor/sockvisor/internal/testbin"
	"github.com/sockvisor/sockvisor/socketunit"
)

// TestMain lets the test binary act as the exec shim (StartProcess re-executes
// os.Executable(), which under "go test" is this binary) and removes the sockvisor binary that
// integration tests build.
func TestMain(m *testing.M) {
	if len(os.Args) > 1 && os.Args[1] == ShimCommand {
		os.Exit(RunShim(os.Args[2:], os.Stderr))
	}
	if mode := os.Getenv(helperEnv); mode != "" {
		os.Exit(helperMain(mode)) // run's test services (run_helper_test.go)
	}
	if mode := os.Getenv(testServiceEnv); mode != "" {
		os.Exit(testServiceMain(mode))
	}
	testbin.Main(m)
}

// testServiceEnv makes the test binary act as a service (testServiceMain).
const testServiceEnv = "SOCKVISOR_EXEC_TEST_SERVICE"

// testService returns a command that runs the test binary as the service mode.
func testService(mode string) socketunit.ExecCommand {
	exe, _ := os.Executable()
	return socketunit.ExecCommand{Path: "/usr/bin/env", Argv: []string{"env", testServiceEnv + "=" + mode, exe}}
}

// testServiceMain is a service for the tests:
//
//	echo-fd3  check LISTEN_PID, accept connections on fd 3 and echo each one's lines
//	mixed     check LISTEN_PID; fd 3 a stream listener (echo), fd 4 a datagram socket (echo)
//	dgram     check LISTEN_PID; fd 3 a datagram socket: echo datagrams
//	notify    send STATUS=starting, then READY=1 with STATUS=serving, then wait for stdin to close
func testServiceMain(mode string) int {
	switch mode {
	case "notify":
		daemon.SdNotify(false, "STATUS=starting")
		time.Sleep(50 * time.Millisecond)
		if ok, err := daemon.SdNotify(false, "READY=1\nSTATUS=serving\nMAINPID="+strconv.Itoa(os.Getpid())); !ok || err != nil {
			fmt.Fprintln(os.Stderr, "notify failed:", ok, err)
			return 1
		}
		io.Copy(io.Discard, os.Stdin)
		return 0
	case "mixed", "dgram":
		n := 1
		if mode == "mixed" {
			n = 2
		}
		if os.Getenv("LISTEN_PID") != strconv.Itoa(os.Getpid()) || os.Getenv("LISTEN_FDS") != strconv.Itoa(n) {
			fmt.Fprintln(os.Stderr, "bad LISTEN_PID/LISTEN_FDS")
			return 2
		}
		dfd := 3
		if mode == "mixed" {
			l, err := net.FileListener(os.NewFile(3, "stream"))
			if err != nil {
				fmt.Fprintln(os.Stderr, "fd 3:", err)
				return 1
			}
			go func() {
				for {
					c, err := l.Accept()
					if err != nil {
						return
					}
					go io.Copy(c, c)
				}
			}()
			dfd = 4
		}
		pc, err := net.FilePacketConn(os.NewFile(uintptr(dfd), "dgram"))
		if err != nil {
			fmt.Fprintln(os.Stderr, "datagram fd:", err)
			return 1
		}
		buf := make([]byte, 2048)
		for {
			n, from, err := pc.ReadFrom(buf)
			if err != nil {
				return 1
			}
			pc.WriteTo(buf[:n], from)
		}
	case "echo-fd3":
		if os.Getenv("LISTEN_PID") != strconv.Itoa(os.Getpid()) || os.Getenv("LISTEN_FDS") != "1" {
			fmt.Fprintln(os.Stderr, "bad LISTEN_PID/LISTEN_FDS")
			return 2
		}
		l, err := net.FileListener(os.NewFile(3, "listen"))
		if err != nil {
			fmt.Fprintln(os.Stderr, err)
			return 1
		}
		for {
			c, err := l.Accept()
			if err != nil {
				return 1
			}
			go io.Copy(c, c)
		}
	}
	fmt.Fprintln(os.Stderr, "unknown test service", mode)
	return 2
}
